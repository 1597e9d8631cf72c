"""The finance rules as pure functions: the Jiangsu floor and dated standards (F2), the period
state machine (F1), allocation with maker-checker (F1, F2), balanced postings and no overdraft
(F3, F5), the close at exactly zero (F4). Expected figures are worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from finance_svc.domain import allocation as alloc
from finance_svc.domain.categories import (
    DEFAULT_CATEGORIES,
    CategorySetting,
    ExpenseCategory,
    admit_category,
)
from finance_svc.domain.closing import check_close, flows
from finance_svc.domain.ledger import (
    Account,
    AccountKey,
    Balances,
    Leg,
    Line,
    Posting,
    PostingKind,
    chain_hash,
    check_balanced,
    check_no_overdraft,
    disbursement_lines,
    expense_lines,
    verify_chain,
)
from finance_svc.domain.periods import PeriodState, advance, disbursement_period
from finance_svc.domain.standards import (
    CareLevel,
    CareStandard,
    MinimumWage,
    admit_standard,
    floors_of,
    standard_on,
)
from sgz_runtime.chain import ChainKey
from sgz_runtime.errors import FailedPrecondition, InvalidArgument
from sgz_runtime.i18n import use_locale
from sgz_runtime.money import Fen

NOW = datetime(2026, 7, 2, 1, 0, tzinfo=UTC)
KEY = ChainKey(b"finance unit test key")
WAGE_2025 = MinimumWage(date(2025, 1, 1), Fen(249000))


def table(self_care: int, partial: int, full: int, on: date, reason: str = "") -> CareStandard:
    amounts = {
        CareLevel.SELF_CARE: Fen(self_care),
        CareLevel.PARTIAL: Fen(partial),
        CareLevel.FULL_LOSS: Fen(full),
    }
    return CareStandard(on, amounts, reason)


# --- F2: the floor and the dated standard ------------------------------------------------------


def test_f2_floor_is_30_15_5_percent_of_the_previous_years_minimum_wage() -> None:
    """2,490.00 元: 30% = 747.00, 15% = 373.50, 5% = 124.50."""
    assert floors_of(WAGE_2025) == {
        CareLevel.FULL_LOSS: Fen(74700),
        CareLevel.PARTIAL: Fen(37350),
        CareLevel.SELF_CARE: Fen(12450),
    }


def test_f2_floor_rounds_half_up_to_the_fen() -> None:
    """2,345.67 元 x 5% = 117.2835 -> 117.28; x 15% = 351.8505 -> 351.85; x 30% = 703.701."""
    floors = floors_of(MinimumWage(date(2025, 1, 1), Fen(234567)))
    assert floors[CareLevel.SELF_CARE] == Fen(11728)
    assert floors[CareLevel.PARTIAL] == Fen(35185)
    assert floors[CareLevel.FULL_LOSS] == Fen(70370)


def test_f2_standard_below_the_floor_is_refused_without_a_reason() -> None:
    low = table(12449, 40000, 80000, date(2026, 1, 1))
    with pytest.raises(FailedPrecondition) as refused:
        admit_standard(low, [WAGE_2025])
    assert refused.value.rule == "F2"
    assert "124.49 < 124.50" in refused.value.message


def test_f2_standard_below_the_floor_with_a_reason_is_kept_with_a_warning() -> None:
    low = table(12449, 40000, 80000, date(2026, 1, 1), reason="county budget decision 2026-3")
    check = admit_standard(low, [WAGE_2025])
    assert check.below == (CareLevel.SELF_CARE,)
    warning = check.warning(low)
    assert warning is not None and "county budget decision 2026-3" in str(warning)


def test_f2_floor_uses_the_wage_in_force_at_the_end_of_the_previous_year() -> None:
    """A wage raised on 2026-01-01 does not raise the 2026 floor; the 2025 one does."""
    wages = [WAGE_2025, MinimumWage(date(2026, 1, 1), Fen(300000))]
    assert admit_standard(table(12450, 37350, 74700, date(2026, 3, 1)), wages).below == ()


def test_f2_no_wage_of_the_previous_year_refuses_the_standard() -> None:
    with pytest.raises(FailedPrecondition) as refused:
        admit_standard(table(20000, 40000, 80000, date(2024, 1, 1)), [WAGE_2025])
    assert refused.value.rule == "F2"


def test_f2_standard_on_a_day_is_the_latest_in_force() -> None:
    first = table(15000, 40000, 80000, date(2026, 1, 1))
    second = table(16000, 42000, 85000, date(2026, 4, 1))
    assert standard_on([second, first], date(2026, 3, 31)) is first
    assert standard_on([second, first], date(2026, 4, 1)) is second
    with pytest.raises(FailedPrecondition):
        standard_on([first], date(2025, 12, 31))


# --- F1: periods --------------------------------------------------------------------------------


def test_f1_a_period_never_moves_backwards() -> None:
    assert advance(PeriodState.OPEN, PeriodState.ALLOCATED) is PeriodState.ALLOCATED
    with pytest.raises(FailedPrecondition) as refused:
        advance(PeriodState.CLOSED, PeriodState.DISBURSED)
    assert refused.value.rule == "F1"


def test_f1_disbursement_periods_are_half_years() -> None:
    assert disbursement_period("2026H2").first == date(2026, 7, 1)
    with pytest.raises(InvalidArgument):
        disbursement_period("2026-03")


# --- F1, F2: allocation -------------------------------------------------------------------------


def test_f2_allocation_is_person_months_by_level_times_the_standard_of_each_month() -> None:
    """Jan: 2 self-care x 150.00 + 1 full loss x 800.00 = 1,100.00; Apr (new table): 2 self-care
    x 160.00 = 320.00; 3 unassessed person-months count nowhere. Total 1,420.00 元."""
    standards = [
        table(15000, 40000, 80000, date(2026, 1, 1)),
        table(16000, 42000, 85000, date(2026, 4, 1)),
    ]
    rows = [
        alloc.CareMonths("towns/a", date(2026, 1, 1), CareLevel.SELF_CARE, 2),
        alloc.CareMonths("towns/a", date(2026, 1, 1), CareLevel.FULL_LOSS, 1),
        alloc.CareMonths("towns/a", date(2026, 1, 1), None, 3),
        alloc.CareMonths("towns/a", date(2026, 4, 1), CareLevel.SELF_CARE, 2),
    ]
    explained = alloc.explain(rows, standards, [WAGE_2025])["towns/a"]
    assert explained.amount == Fen(142000)
    assert explained.unassessed_person_months == 3
    assert [(x.month.month, x.level, x.amount.fen) for x in explained.lines] == [
        (1, CareLevel.SELF_CARE, 30000),
        (1, CareLevel.FULL_LOSS, 80000),
        (4, CareLevel.SELF_CARE, 32000),
    ]
    assert explained.warnings == ()


def _draft(explanation: alloc.Explanation, override: str = "") -> alloc.Allocation:
    draft, _ = alloc.new_version(
        [],
        town="towns/a",
        period="2026H1",
        explanation=explanation,
        computed_by="users/maker",
        now=NOW,
        unassessed_override_reason=override,
    )
    return draft


def test_f1_the_maker_cannot_approve_their_own_allocation() -> None:
    draft = _draft(alloc.Explanation((), 0, ()))
    with pytest.raises(FailedPrecondition) as refused:
        alloc.approve(draft, [draft], approver="users/maker", now=NOW)
    assert refused.value.rule == "F1"
    approved, _ = alloc.approve(draft, [draft], approver="users/checker", now=NOW)
    assert approved.state is alloc.AllocationState.APPROVED


def test_f1_unassessed_persons_block_approval_unless_the_maker_overrode_with_a_reason() -> None:
    pending = alloc.Explanation((), 4, ())
    with pytest.raises(FailedPrecondition):
        alloc.approve(_draft(pending), [_draft(pending)], approver="users/checker", now=NOW)
    overridden = _draft(pending, override="assessments booked for July")
    approved, _ = alloc.approve(overridden, [overridden], approver="users/checker", now=NOW)
    assert approved.unassessed_override_reason == "assessments booked for July"


def test_f1_an_approved_allocation_is_corrected_only_by_a_new_version_with_a_reason() -> None:
    draft = _draft(alloc.Explanation((), 0, ()))
    approved, _ = alloc.approve(draft, [draft], approver="users/checker", now=NOW)
    with pytest.raises(FailedPrecondition):
        alloc.new_version(
            [approved],
            town="towns/a",
            period="2026H1",
            explanation=draft.explanation,
            computed_by="users/maker",
            now=NOW,
        )
    second, _ = alloc.new_version(
        [approved],
        town="towns/a",
        period="2026H1",
        explanation=draft.explanation,
        computed_by="users/maker",
        now=NOW,
        reason="late death report",
    )
    assert (second.version, second.supersedes) == (2, 1)


# --- F3, F5: postings ---------------------------------------------------------------------------


def test_f5_an_unbalanced_posting_is_refused() -> None:
    lines = (
        Line(AccountKey(Account.TOWN), Fen(100)),
        Line(AccountKey(Account.CITY_FUND), Fen(-99)),
    )
    with pytest.raises(InvalidArgument) as refused:
        check_balanced(lines)
    assert refused.value.rule == "F5"
    check_balanced(disbursement_lines(Leg.CITY_TO_TOWN, Fen(100)))


def test_f3_nothing_is_paid_beyond_the_station_balance() -> None:
    held = Balances.of(
        disbursement_lines(Leg.CITY_TO_TOWN, Fen(500))
        + disbursement_lines(Leg.TOWN_TO_STATION, Fen(500))
    )
    check_no_overdraft(held, expense_lines(ExpenseCategory.TRAINING, Fen(500)))
    with pytest.raises(FailedPrecondition) as refused:
        check_no_overdraft(held, expense_lines(ExpenseCategory.TRAINING, Fen(501)))
    assert refused.value.rule == "F3"
    assert "0.01" in refused.value.message


def test_f3_a_category_outside_the_setting_is_diversion() -> None:
    settings = [CategorySetting(date(2020, 1, 1), frozenset(DEFAULT_CATEGORIES))]
    assert admit_category(settings, date(2026, 3, 1), ExpenseCategory.TRAINING)
    with pytest.raises(InvalidArgument) as refused:
        admit_category(settings, date(2026, 3, 1), ExpenseCategory.OTHER)
    assert refused.value.rule == "F3"


# --- F4: close ----------------------------------------------------------------------------------


def _posting(
    kind: PostingKind, lines: tuple[Line, ...], amount: int, leg: Leg | None = None
) -> Posting:
    return Posting("towns/a", "2026H1", kind, lines, Fen(amount), "users/x", NOW, leg=leg)


def test_f4_close_refuses_one_fen_left_naming_it_in_chinese_by_default() -> None:
    found = flows(
        [
            _posting(
                PostingKind.DISBURSEMENT,
                disbursement_lines(Leg.CITY_TO_TOWN, Fen(100)),
                100,
                Leg.CITY_TO_TOWN,
            ),
            _posting(
                PostingKind.DISBURSEMENT,
                disbursement_lines(Leg.TOWN_TO_STATION, Fen(100)),
                100,
                Leg.TOWN_TO_STATION,
            ),
            _posting(PostingKind.EXPENSE, expense_lines(ExpenseCategory.TRAINING, Fen(99)), 99),
        ]
    )
    with pytest.raises(FailedPrecondition) as refused:
        check_close("towns/a/periods/2026H1", PeriodState.DISBURSED, Fen(100), found)
    assert refused.value.rule == "F4"
    assert refused.value.message.startswith("0.01 元 remains")
    with use_locale("zh-CN"):
        assert refused.value.text.render().startswith("尚余 0.01 元")


def test_f5_the_chain_shows_a_changed_posting() -> None:
    first = _posting(
        PostingKind.DISBURSEMENT,
        disbursement_lines(Leg.CITY_TO_TOWN, Fen(100)),
        100,
        Leg.CITY_TO_TOWN,
    )
    from dataclasses import replace

    first = replace(first, seq=1, prev_hash="0" * 64)
    first = replace(first, hash=chain_hash(KEY, "0" * 64, first))
    assert verify_chain(KEY, "towns/a", [first], (1, first.hash)).holds
    edited = replace(first, amount=Fen(1))
    found = verify_chain(KEY, "towns/a", [edited], (1, first.hash))
    # Re-sealed with a key the service does not hold: still caught.
    forged = replace(edited, hash=chain_hash(ChainKey(b"another key"), "0" * 64, edited))
    assert not verify_chain(KEY, "towns/a", [forged], (1, forged.hash)).holds
    assert not found.holds and found.problem == "the content was changed"
