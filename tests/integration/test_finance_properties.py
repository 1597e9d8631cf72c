"""Property tests over random sequences of disbursements, expenses, returns, adjustments and
closes, on a real database (SQLite and PostgreSQL): debits always equal credits, no holding
account goes below zero (rule F3), every closed period ends at exactly zero (rule F4), and a
closed period's statement never changes afterwards (rule F5)."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from finance_svc.app import MIGRATIONS
from finance_svc.domain.allocation import CareMonths
from finance_svc.domain.categories import ExpenseCategory
from finance_svc.domain.ledger import Account, AccountKey, Leg, Line
from finance_svc.domain.periods import PeriodState
from finance_svc.domain.standards import CareLevel
from finance_svc.service_layer import allocations, closing, commands, postings
from finance_svc.service_layer import settings as finance_settings
from finance_svc.service_layer.unit_of_work import FinanceUnitOfWork
from sgz_runtime.chain import ChainKey
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.errors import DomainError
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.money import Fen
from sgz_runtime.periods import Period
from tests.unit.finance_fakes import FakeRosterClient

PERIODS = (Period.parse("2026H1"), Period.parse("2026H2"))
MAKER = Caller("users/maker", Role.CITY_FINANCE, ScopeLevel.CITY)
CHECKER = Caller("users/checker", Role.CITY_FINANCE, ScopeLevel.CITY)
CIVIL = Caller("users/civil", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
COUNTER = itertools.count()

#: The chain key the postings are linked with in these tests (rule F5).
CHAIN_KEY = ChainKey(b"finance test chain key")


def clock() -> datetime:
    return datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def uow_and_engine(
    database_url: Callable[[str], str],
) -> Iterator[tuple[Callable[[], FinanceUnitOfWork], Engine]]:
    engine = make_engine(database_url("finance"), durable=True)
    migrate(engine, MIGRATIONS)
    factory = session_factory(engine)

    def uow() -> FinanceUnitOfWork:
        return FinanceUnitOfWork(factory, CHAIN_KEY)

    finance_settings.create_minimum_wage(
        commands.CreateMinimumWage(effective_from=date(2025, 1, 1), monthly=Fen(249000)),
        uow(),
        caller=CIVIL,
        clock=clock,
    )
    finance_settings.create_care_standard(
        commands.CreateCareStandard(
            effective_from=date(2026, 1, 1),
            amounts={
                CareLevel.SELF_CARE: Fen(15000),
                CareLevel.PARTIAL: Fen(40000),
                CareLevel.FULL_LOSS: Fen(80000),
            },
        ),
        uow(),
        caller=CIVIL,
        clock=clock,
    )
    yield uow, engine
    engine.dispose()


amounts = st.integers(min_value=1, max_value=60000)
categories = st.sampled_from(
    [
        ExpenseCategory.WORKER_PAY,
        ExpenseCategory.PERFORMANCE_PAY,
        ExpenseCategory.TRAINING,
        ExpenseCategory.VISIT_TRANSPORT,
    ]
)
operations = st.one_of(
    st.tuples(st.just("disburse"), st.sampled_from(list(Leg)), amounts),
    st.tuples(st.just("expense"), categories, amounts),
    st.tuples(st.just("return"), st.sampled_from([Account.TOWN, Account.STATION]), amounts),
    st.tuples(st.just("adjust"), categories, amounts),
    st.tuples(st.just("close"), st.none(), st.none()),
    st.tuples(st.just("settle"), st.none(), st.none()),
    st.tuples(st.just("finish"), st.none(), st.none()),
)


def _apply(
    uow: Callable[[], FinanceUnitOfWork],
    town: str,
    period: Period,
    op: tuple[str, object, int | None],
    rid: str,
) -> None:
    kind, what, fen = op
    if kind == "disburse":
        assert isinstance(what, Leg) and fen is not None
        postings.disburse(
            commands.Disburse(town=town, period=period, leg=what, amount=Fen(fen), request_id=rid),
            uow(),
            caller=MAKER,
            clock=clock,
        )
    elif kind == "expense":
        assert isinstance(what, ExpenseCategory) and fen is not None
        postings.record_expense(
            commands.RecordExpense(
                town=town,
                period=period,
                category=what,
                payee="workers/w",
                amount=Fen(fen),
                evidence="vouchers/1",
                request_id=rid,
            ),
            uow(),
            caller=MAKER,
            clock=clock,
        )
    elif kind == "return":
        assert isinstance(what, Account) and fen is not None
        postings.return_unspent(
            commands.ReturnUnspent(
                town=town, period=period, account=what, amount=Fen(fen), request_id=rid
            ),
            uow(),
            caller=MAKER,
            clock=clock,
        )
    elif kind == "adjust":
        # Reclassify part of the other period's first posting's expense into this one's books.
        assert isinstance(what, ExpenseCategory) and fen is not None
        other = PERIODS[1] if period is PERIODS[0] else PERIODS[0]
        found = postings.list_postings(uow(), caller=MAKER, town=town, period=other)
        if not found:
            return
        postings.adjust(
            commands.Adjust(
                town=town,
                period=period,
                adjusts=found[0].name,
                lines=(
                    Line(AccountKey(Account.EXPENSE, what), Fen(fen)),
                    Line(AccountKey(Account.STATION), Fen(-fen)),
                ),
                reason="property test correction",
                request_id=rid,
            ),
            uow(),
            caller=MAKER,
            clock=clock,
        )
    elif kind == "finish":
        _apply(uow, town, period, ("settle", None, None), rid + "-s")
        _apply(uow, town, period, ("close", None, None), rid + "-c")
    elif kind == "settle":
        # Pays out what remains to disburse and returns everything held: a closable period.
        view = closing.get_period(uow(), caller=MAKER, town=town, period=period)
        left = (view.record.allocated or Fen(0)).fen - view.flows.received.fen
        if left > 0:
            _apply(uow, town, period, ("disburse", Leg.CITY_TO_TOWN, left), rid + "-d")
        view = closing.get_period(uow(), caller=MAKER, town=town, period=period)
        for account, held in (
            (Account.TOWN, view.flows.town_balance),
            (Account.STATION, view.flows.station_balance),
        ):
            if held.fen > 0:
                _apply(uow, town, period, ("return", account, held.fen), f"{rid}-{account.value}")
    else:
        closing.close_period(
            commands.ClosePeriod(town=town, period=period), uow(), caller=MAKER, clock=clock
        )


@settings(
    max_examples=int(os.environ.get("SGZ_FINANCE_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    persons=st.tuples(st.integers(0, 6), st.integers(0, 6)),
    steps=st.lists(st.tuples(st.integers(0, 1), operations), min_size=1, max_size=14),
)
def test_ledger_invariants_hold_over_any_sequence(
    uow_and_engine: tuple[Callable[[], FinanceUnitOfWork], Engine],
    persons: tuple[int, int],
    steps: list[tuple[int, tuple[str, object, int | None]]],
) -> None:
    uow, engine = uow_and_engine
    n = next(COUNTER)
    town = f"towns/p{n}"
    rows = [
        CareMonths(town, date(2026, 1 + 6 * half, 1), CareLevel.SELF_CARE, persons[half])
        for half in (0, 1)
    ]
    for half, period in enumerate(PERIODS):
        (draft,) = allocations.compute_allocations(
            commands.ComputeAllocations(parent=town, period=period),
            uow(),
            FakeRosterClient(rows),
            caller=MAKER,
            clock=clock,
        )
        assert draft.amount == Fen(15000 * persons[half])
        allocations.approve_allocation(
            commands.ApproveAllocation(town=town, period=period, version=1),
            uow(),
            caller=CHECKER,
            clock=clock,
        )
    fixed: dict[str, str] = {}
    for i, (which, op) in enumerate(steps):
        # A refusal must have posted nothing, which the invariants below check.
        with contextlib.suppress(DomainError):
            _apply(uow, town, PERIODS[which], op, f"{town}-{i}")
        with engine.connect() as conn:
            total = conn.execute(
                text("SELECT COALESCE(SUM(amount_fen), 0) FROM posting_lines WHERE town = :t"),
                {"t": town},
            ).scalar_one()
            lowest = conn.execute(
                text(
                    "SELECT COALESCE(MIN(s), 0) FROM (SELECT SUM(amount_fen) AS s FROM "
                    "posting_lines WHERE town = :t AND account IN ('town', 'station') "
                    "GROUP BY period, account) AS b"
                ),
                {"t": town},
            ).scalar_one()
        assert total == 0  # debits = credits (F5)
        assert lowest >= 0  # no holding account below zero (F3)
        for period in PERIODS:
            view = closing.get_period(uow(), caller=MAKER, town=town, period=period)
            if view.record.state is PeriodState.CLOSED:
                assert view.flows.held == Fen(0)  # F4
                now = closing.get_statement(uow(), caller=MAKER, town=town, period=period).text
                assert fixed.setdefault(period.name, now) == now  # F5: never changes
                assert closing.recompute_statement(uow(), town, period) == now
                event(f"{period.name} closed")
    assert closing.verify_postings(uow(), caller=MAKER, town=town).holds
