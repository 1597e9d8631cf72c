"""A worked disbursement period for two towns, on a real database (SQLite and PostgreSQL),
through the use cases with the roster faked: allocation to the fen (rules F1, F2), maker-checker,
disbursement (F1), expenses (F3), the close refused and then made at exactly zero (F4), the
statement fixed at close and the hash chain (F5), and the database refusing edits (F5)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from finance_svc.app import MIGRATIONS
from finance_svc.domain.allocation import CareMonths
from finance_svc.domain.categories import ExpenseCategory
from finance_svc.domain.ledger import Account, Leg
from finance_svc.domain.periods import PeriodState
from finance_svc.domain.standards import CareLevel
from finance_svc.service_layer import allocations, closing, commands, postings, settings
from finance_svc.service_layer.unit_of_work import FinanceUnitOfWork
from sgz_runtime.chain import ChainKey
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound
from sgz_runtime.i18n import use_locale
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.money import Fen
from sgz_runtime.periods import Period
from tests.unit.finance_fakes import FakeRosterClient

H1 = Period.parse("2026H1")
A, B = "towns/a", "towns/b"
MAKER = Caller("users/maker", Role.CITY_FINANCE, ScopeLevel.CITY)
CHECKER = Caller("users/checker", Role.CITY_FINANCE, ScopeLevel.CITY)
CIVIL = Caller("users/civil", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
CHIEF_B = Caller("users/chief-b", Role.STATION_CHIEF, ScopeLevel.TOWN, B)

#: The chain key the postings are linked with in these tests (rule F5).
CHAIN_KEY = ChainKey(b"finance test chain key")


def clock() -> datetime:
    return datetime(2026, 7, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: Callable[[str], str]) -> Iterator[Engine]:
    made = make_engine(database_url("finance"), durable=True)
    migrate(made, MIGRATIONS)
    yield made
    made.dispose()


@pytest.fixture
def uow(engine: Engine) -> Callable[[], FinanceUnitOfWork]:
    factory = session_factory(engine)
    return lambda: FinanceUnitOfWork(factory, CHAIN_KEY)


def _months(town: str, months: range, level: CareLevel, count: int) -> list[CareMonths]:
    return [CareMonths(town, date(2026, m, 1), level, count) for m in months]


def roster() -> FakeRosterClient:
    """Town a: Jan-Mar 10 self-care, 4 partial, 2 full loss; Apr-Jun 9, 5, 2.
    Town b: 3 self-care every month, 1 partial in February, 1 full loss in June, and one
    person not yet assessed in January (counted nowhere)."""
    rows = (
        _months(A, range(1, 4), CareLevel.SELF_CARE, 10)
        + _months(A, range(1, 4), CareLevel.PARTIAL, 4)
        + _months(A, range(1, 4), CareLevel.FULL_LOSS, 2)
        + _months(A, range(4, 7), CareLevel.SELF_CARE, 9)
        + _months(A, range(4, 7), CareLevel.PARTIAL, 5)
        + _months(A, range(4, 7), CareLevel.FULL_LOSS, 2)
        + _months(B, range(1, 7), CareLevel.SELF_CARE, 3)
        + [CareMonths(B, date(2026, 2, 1), CareLevel.PARTIAL, 1)]
        + [CareMonths(B, date(2026, 6, 1), CareLevel.FULL_LOSS, 1)]
        + [CareMonths(B, date(2026, 1, 1), None, 1)]
    )
    return FakeRosterClient(rows, unassessed={B: ["persons/p-b-not-assessed"]})


def set_up_standards(uow: Callable[[], FinanceUnitOfWork]) -> None:
    """2025 minimum wage 2,490.00 元 -> 2026 floors 124.50 / 373.50 / 747.00. Tables: from
    2026-01-01 150.00 / 400.00 / 800.00, from 2026-04-01 160.00 / 420.00 / 850.00."""
    settings.create_minimum_wage(
        commands.CreateMinimumWage(effective_from=date(2025, 1, 1), monthly=Fen(249000)),
        uow(),
        caller=CIVIL,
        clock=clock,
    )
    for day, amounts in (
        (date(2026, 1, 1), (15000, 40000, 80000)),
        (date(2026, 4, 1), (16000, 42000, 85000)),
    ):
        settings.create_care_standard(
            commands.CreateCareStandard(
                effective_from=day,
                amounts={
                    CareLevel.SELF_CARE: Fen(amounts[0]),
                    CareLevel.PARTIAL: Fen(amounts[1]),
                    CareLevel.FULL_LOSS: Fen(amounts[2]),
                },
            ),
            uow(),
            caller=CIVIL,
            clock=clock,
        )


def allocate(uow: Callable[[], FinanceUnitOfWork]) -> None:
    set_up_standards(uow)
    allocations.compute_allocations(
        commands.ComputeAllocations(
            parent="towns/-", period=H1, unassessed_override_reason="assessment booked in July"
        ),
        uow(),
        roster(),
        caller=MAKER,
        clock=clock,
    )
    allocations.approve_latest_allocations(
        commands.ApproveLatestAllocations(towns=(A, B), period=H1),
        uow(),
        caller=CHECKER,
        clock=clock,
    )


def pay(uow: Callable[[], FinanceUnitOfWork], town: str, leg: Leg, fen: int, rid: str) -> None:
    postings.disburse(
        commands.Disburse(town=town, period=H1, leg=leg, amount=Fen(fen), request_id=rid),
        uow(),
        caller=MAKER,
        clock=clock,
    )


def spend(
    uow: Callable[[], FinanceUnitOfWork],
    town: str,
    category: ExpenseCategory,
    fen: int,
    rid: str,
    caller: Caller = MAKER,
) -> None:
    postings.record_expense(
        commands.RecordExpense(
            town=town,
            period=H1,
            category=category,
            payee="workers/w1",
            amount=Fen(fen),
            evidence=f"vouchers/{rid}",
            request_id=rid,
        ),
        uow(),
        caller=caller,
        clock=clock,
    )


def give_back(
    uow: Callable[[], FinanceUnitOfWork], town: str, account: Account, fen: int, rid: str
) -> None:
    postings.return_unspent(
        commands.ReturnUnspent(
            town=town, period=H1, account=account, amount=Fen(fen), request_id=rid
        ),
        uow(),
        caller=MAKER,
        clock=clock,
    )


def close(uow: Callable[[], FinanceUnitOfWork], town: str) -> None:
    closing.close_period(
        commands.ClosePeriod(town=town, period=H1), uow(), caller=MAKER, clock=clock
    )


def test_worked_period_for_two_towns_to_the_fen(uow: Callable[[], FinanceUnitOfWork]) -> None:
    """Rules F1, F2, F4, F5, worked by hand.

    Town a: Jan-Mar 3 x (10 x 150.00 + 4 x 400.00 + 2 x 800.00) = 3 x 4,700.00 = 14,100.00;
            Apr-Jun 3 x (9 x 160.00 + 5 x 420.00 + 2 x 850.00) = 3 x 5,240.00 = 15,720.00;
            allocation 29,820.00 元 = 2,982,000 fen.
    Town b: self-care Jan-Mar 9 x 150.00 = 1,350.00, Apr-Jun 9 x 160.00 = 1,440.00; partial Feb
            400.00; full loss Jun 850.00; allocation 4,040.00 元 = 404,000 fen; one unassessed
            person-month counted nowhere (approved with the maker's override reason).
    Town a spends 20,000.00 pay + 5,000.00 performance pay + 123.45 transport = 25,123.45; the
    close is refused with 4,696.55 left; the station returns it; the close succeeds.
    Town b: disbursed 3,000.00 + 1,040.00; 4,000.00 passed to the station; 3,999.99 training:
    40.01 left (40.00 at the town, 0.01 at the station): refused; both returned; closed.
    """
    allocate(uow)
    found = allocations.list_allocations(uow(), caller=MAKER, town=A, period=H1)
    assert [(a.version, a.state.value, a.amount.fen) for a in found] == [(1, "approved", 2982000)]
    found_b = allocations.list_allocations(uow(), caller=MAKER, town=B, period=H1)[0]
    assert found_b.amount == Fen(404000)
    assert found_b.explanation.unassessed_person_months == 1
    assert found_b.explanation.unassessed_persons == ("persons/p-b-not-assessed",)
    assert [
        (x.month.month, x.level.value, x.person_months, x.amount.fen)
        for x in found_b.explanation.lines
        if x.month.month in (2, 6)
    ] == [
        (2, "self_care", 3, 45000),
        (2, "partial", 1, 40000),
        (6, "self_care", 3, 48000),
        (6, "full_loss", 1, 85000),
    ]

    pay(uow, A, Leg.CITY_TO_TOWN, 2982000, "a-1")
    pay(uow, A, Leg.TOWN_TO_STATION, 2982000, "a-2")
    spend(uow, A, ExpenseCategory.WORKER_PAY, 2000000, "a-3")
    spend(uow, A, ExpenseCategory.PERFORMANCE_PAY, 500000, "a-4")
    spend(uow, A, ExpenseCategory.VISIT_TRANSPORT, 12345, "a-5")
    with pytest.raises(FailedPrecondition) as refused:
        close(uow, A)
    assert refused.value.rule == "F4"
    assert refused.value.message.startswith("4696.55 元 remains")
    give_back(uow, A, Account.STATION, 469655, "a-6")
    close(uow, A)

    pay(uow, B, Leg.CITY_TO_TOWN, 300000, "b-1")
    pay(uow, B, Leg.CITY_TO_TOWN, 104000, "b-2")
    pay(uow, B, Leg.TOWN_TO_STATION, 400000, "b-3")
    spend(uow, B, ExpenseCategory.TRAINING, 399999, "b-4", caller=CHIEF_B)
    with pytest.raises(FailedPrecondition) as refused, use_locale("zh-CN"):
        close(uow, B)
    with use_locale("zh-CN"):
        assert refused.value.text.render().startswith("尚余 40.01 元")
    give_back(uow, B, Account.TOWN, 4000, "b-5")
    give_back(uow, B, Account.STATION, 1, "b-6")
    close(uow, B)

    statement = closing.get_statement(uow(), caller=MAKER, town=A, period=H1).body
    assert {
        k: statement[k]
        for k in (
            "opening",
            "allocated",
            "received",
            "spent",
            "returned",
            "closing",
            "posting_count",
        )
    } == {
        "opening": 0,
        "allocated": 2982000,
        "received": 2982000,
        "spent": {"performance_pay": 500000, "visit_transport": 12345, "worker_pay": 2000000},
        "returned": 469655,
        "closing": 0,
        "posting_count": 6,
    }
    period_b = closing.get_period(uow(), caller=MAKER, town=B, period=H1)
    assert period_b.record.state is PeriodState.CLOSED
    assert (period_b.flows.returned.fen, period_b.flows.spent_total.fen) == (4001, 399999)
    assert closing.verify_postings(uow(), caller=MAKER, town=A).holds


def test_f1_maker_cannot_approve_and_approval_is_never_silently_replaced(
    uow: Callable[[], FinanceUnitOfWork],
) -> None:
    set_up_standards(uow)
    compute = commands.ComputeAllocations(parent=A, period=H1)
    (draft,) = allocations.compute_allocations(compute, uow(), roster(), caller=MAKER, clock=clock)
    approve = commands.ApproveAllocation(town=A, period=H1, version=draft.version)
    with pytest.raises(FailedPrecondition) as refused:
        allocations.approve_allocation(approve, uow(), caller=MAKER, clock=clock)
    assert refused.value.rule == "F1"
    allocations.approve_allocation(approve, uow(), caller=CHECKER, clock=clock)
    with pytest.raises(FailedPrecondition):
        allocations.compute_allocations(compute, uow(), roster(), caller=MAKER, clock=clock)
    corrected = commands.ComputeAllocations(parent=A, period=H1, reason="a death reported late")
    (second,) = allocations.compute_allocations(
        corrected, uow(), roster(), caller=MAKER, clock=clock
    )
    assert (second.version, second.supersedes, second.reason) == (2, 1, "a death reported late")
    states = [
        a.state.value for a in allocations.list_allocations(uow(), caller=MAKER, town=A, period=H1)
    ]
    assert states == ["approved", "draft"]


def test_disbursement_is_idempotent_and_refuses_the_same_id_with_another_amount(
    uow: Callable[[], FinanceUnitOfWork],
) -> None:
    allocate(uow)
    pay(uow, A, Leg.CITY_TO_TOWN, 100000, "same")
    pay(uow, A, Leg.CITY_TO_TOWN, 100000, "same")  # a retry pays nothing more
    assert closing.get_period(uow(), caller=MAKER, town=A, period=H1).flows.received == Fen(100000)
    with pytest.raises(InvalidArgument) as refused:
        pay(uow, A, Leg.CITY_TO_TOWN, 100001, "same")
    assert refused.value.violations[0].field == "request_id"
    with pytest.raises(FailedPrecondition) as beyond:
        pay(uow, A, Leg.CITY_TO_TOWN, 2882001, "too-much")
    assert beyond.value.rule == "F1"


def test_bad_expenses_are_refused_and_nothing_is_posted(
    uow: Callable[[], FinanceUnitOfWork],
) -> None:
    """Zero, negative, diversion (F3), overdraft (F3), other town's chief, closed period (F4)."""
    allocate(uow)
    pay(uow, B, Leg.CITY_TO_TOWN, 404000, "b-1")
    pay(uow, B, Leg.TOWN_TO_STATION, 404000, "b-2")
    for fen in (0, -5):
        with pytest.raises(InvalidArgument):
            spend(uow, B, ExpenseCategory.TRAINING, fen, f"bad-{fen}")
    with pytest.raises(InvalidArgument) as diverted:
        spend(uow, B, ExpenseCategory.OTHER, 100, "diverted")
    assert diverted.value.rule == "F3"
    with pytest.raises(FailedPrecondition) as overdraft:
        spend(uow, B, ExpenseCategory.TRAINING, 404001, "overdraft")
    assert overdraft.value.rule == "F3"
    with pytest.raises(NotFound):  # town b's chief sees nothing of town a
        spend(uow, A, ExpenseCategory.TRAINING, 1, "elsewhere", caller=CHIEF_B)
    assert len(postings.list_postings(uow(), caller=MAKER, town=B, period=H1)) == 2
    spend(uow, B, ExpenseCategory.TRAINING, 404000, "all")
    close(uow, B)
    with pytest.raises(FailedPrecondition) as closed:
        spend(uow, B, ExpenseCategory.TRAINING, 1, "late")
    assert closed.value.rule == "F4"


def test_f4_correction_of_a_closed_period_is_an_adjusting_entry_in_an_open_one(
    uow: Callable[[], FinanceUnitOfWork],
) -> None:
    """1.00 元 of 2026H1 training was worker pay: reclassified in 2026H2, the H1 statement
    unchanged."""
    allocate(uow)
    pay(uow, B, Leg.CITY_TO_TOWN, 404000, "b-1")
    pay(uow, B, Leg.TOWN_TO_STATION, 404000, "b-2")
    spend(uow, B, ExpenseCategory.TRAINING, 404000, "b-3")
    close(uow, B)
    before = closing.get_statement(uow(), caller=MAKER, town=B, period=H1).text
    h2 = Period.parse("2026H2")
    # An H2 allocation so the adjusting period is open and allocated.
    allocations.compute_allocations(
        commands.ComputeAllocations(parent=B, period=h2),
        uow(),
        roster(),
        caller=MAKER,
        clock=clock,
    )
    allocations.approve_allocation(
        commands.ApproveAllocation(town=B, period=h2, version=1),
        uow(),
        caller=CHECKER,
        clock=clock,
    )
    from finance_svc.domain.ledger import AccountKey, Line

    posting = postings.adjust(
        commands.Adjust(
            town=B,
            period=h2,
            adjusts=f"{B}/periods/2026H1/postings/3",
            lines=(
                Line(AccountKey(Account.EXPENSE, ExpenseCategory.WORKER_PAY), Fen(100)),
                Line(AccountKey(Account.EXPENSE, ExpenseCategory.TRAINING), Fen(-100)),
            ),
            reason="voucher 17 was a salary",
            request_id="adj-1",
        ),
        uow(),
        caller=MAKER,
        clock=clock,
    )
    assert posting.period == "2026H2" and posting.adjusts.endswith("2026H1/postings/3")
    assert closing.get_statement(uow(), caller=MAKER, town=B, period=H1).text == before
    assert closing.recompute_statement(uow(), B, H1) == before


def test_f5_postings_cannot_be_edited_or_deleted_in_the_database(
    uow: Callable[[], FinanceUnitOfWork], engine: Engine
) -> None:
    allocate(uow)
    pay(uow, A, Leg.CITY_TO_TOWN, 1000, "a-1")
    for statement in (
        "UPDATE postings SET amount_fen = 1",
        "DELETE FROM postings",
        "UPDATE posting_lines SET amount_fen = 1",
        "DELETE FROM posting_lines",
    ):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))
    assert closing.verify_postings(uow(), caller=MAKER, town=A).holds


def test_f2_standard_below_the_floor_needs_a_reason(uow: Callable[[], FinanceUnitOfWork]) -> None:
    set_up_standards(uow)
    low = {
        CareLevel.SELF_CARE: Fen(12000),
        CareLevel.PARTIAL: Fen(40000),
        CareLevel.FULL_LOSS: Fen(80000),
    }
    cmd = commands.CreateCareStandard(effective_from=date(2026, 7, 1), amounts=low)
    with pytest.raises(FailedPrecondition) as refused:
        settings.create_care_standard(cmd, uow(), caller=CIVIL, clock=clock)
    assert refused.value.rule == "F2"
    with_reason = commands.CreateCareStandard(
        effective_from=date(2026, 7, 1), amounts=low, below_floor_reason="county decision 12"
    )
    made = settings.create_care_standard(with_reason, uow(), caller=CIVIL, clock=clock)
    assert made.check is not None and made.check.below == (CareLevel.SELF_CARE,)
    (draft,) = allocations.compute_allocations(
        commands.ComputeAllocations(parent=A, period=Period.parse("2026H2")),
        uow(),
        FakeRosterClient([CareMonths(A, date(2026, 7, 1), CareLevel.SELF_CARE, 1)]),
        caller=MAKER,
        clock=clock,
    )
    assert draft.amount == Fen(12000)
    assert any("county decision 12" in w for w in draft.explanation.warnings)
    assert json.dumps(list(draft.explanation.warnings))


def test_f5_a_posting_edited_behind_the_services_back_breaks_the_chain(
    uow: Callable[[], FinanceUnitOfWork], engine: Engine
) -> None:
    """Someone who drops the triggers can edit a row, but not re-seal it without the key."""
    allocate(uow)
    pay(uow, A, Leg.CITY_TO_TOWN, 1000, "a-1")
    pay(uow, A, Leg.TOWN_TO_STATION, 1000, "a-2")
    assert closing.verify_postings(uow(), caller=MAKER, town=A).holds
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER postings_no_update"))
        else:
            conn.execute(text("DROP TRIGGER postings_append_only ON postings"))
        conn.execute(text("UPDATE postings SET amount_fen = 1 WHERE town = 'towns/a' AND seq = 2"))
    found = closing.verify_postings(uow(), caller=MAKER, town=A)
    assert not found.holds
    assert found.first_broken == "towns/a/periods/2026H1/postings/2"


def test_periods_are_listed_by_town_in_pages(uow: Callable[[], FinanceUnitOfWork]) -> None:
    allocate(uow)
    first, token = closing.list_periods(
        uow(), caller=MAKER, towns=None, period="2026H1", page_size=1
    )
    rest, last = closing.list_periods(
        uow(), caller=MAKER, towns=None, period="2026H1", page_size=1, page_token=token
    )
    assert [v.record.town for v in first + rest] == [A, B] and last == ""
    assert [v.record.allocated for v in first + rest] == [Fen(2982000), Fen(404000)]
    seen_by_b, _ = closing.list_periods(uow(), caller=CHIEF_B, towns=None, period=None)
    assert [v.record.town for v in seen_by_b] == [B]


def test_two_concurrent_disbursements_never_pay_beyond_the_allocation(
    uow: Callable[[], FinanceUnitOfWork],
) -> None:
    """Rules F1, F3 under concurrency: the town's chain lock serializes the checks, so of two
    requests each for the whole allocation, exactly one pays."""
    import threading

    allocate(uow)
    outcomes: list[str] = []

    def attempt(rid: str) -> None:
        try:
            pay(uow, B, Leg.CITY_TO_TOWN, 404000, rid)
            outcomes.append("paid")
        except (FailedPrecondition, Aborted) as refused:
            outcomes.append(type(refused).__name__)

    threads = [threading.Thread(target=attempt, args=(f"c-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("paid") == 1 and len(outcomes) == 2
    assert closing.get_period(uow(), caller=MAKER, town=B, period=H1).flows.received == Fen(404000)
