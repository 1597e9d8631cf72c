"""HR's pure rules with their edges: staffing (H1, H2), probation (H6, art. 19), art. 14 (H8),
certificates on the end date (H7), training hours (H9), renewal reasons and pay months (H10)."""

from __future__ import annotations

from datetime import date

import pytest

from hr_svc.domain.calendar import add_months
from hr_svc.domain.certificates import (
    Certificate,
    CertificateLevel,
    best_held_on,
    check_certificate,
)
from hr_svc.domain.contracts import (
    Contract,
    ContractKind,
    article_14,
    check_contract,
    first_contract_end,
    probation_limit,
    refuse_overlap,
)
from hr_svc.domain.employment import EmploymentChange, EmploymentEvent, Spell, spells
from hr_svc.domain.pay import base_in_force, months_employed
from hr_svc.domain.policy import HrPolicy, default_policy, policy_on
from hr_svc.domain.renewal import (
    Eligibility,
    ReasonCode,
    YearlyResult,
    assess_renewal,
    assessment_year,
    early_warning,
)
from hr_svc.domain.staffing import required_workers, staffing_on
from hr_svc.domain.training import TrainingKind, TrainingRecord, check_training, hours_in_year
from sgz_runtime.errors import FailedPrecondition, InvalidArgument
from sgz_runtime.periods import Period
from tests.oracles.hr_probation import ART_19

TOWN = "towns/chengdong"


# --- H1, H2 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("villages", "required"),
    [(0, 3), (1, 3), (6, 3), (17, 3), (18, 3), (19, 4), (24, 4), (25, 5), (36, 6), (37, 7)],
)
def test_h1_required_is_max_3_and_one_per_6_villages(villages: int, required: int) -> None:
    assert required_workers(villages) == required


def test_h1_the_chief_is_not_counted() -> None:
    workers = [Spell(date(2025, 1, 1), None), Spell(date(2025, 1, 1), None)]
    chief = [Spell(date(2024, 6, 1), None)]
    got = staffing_on(TOWN, date(2026, 3, 1), 18, workers, chief)
    assert (got.required, got.active, got.shortfall, got.has_chief) == (3, 2, 1, True)


def test_h2_shortfall_lasts_from_the_day_after_the_leaver_s_last_day() -> None:
    workers = [
        Spell(date(2024, 1, 1), None),
        Spell(date(2024, 1, 1), None),
        Spell(date(2024, 1, 1), date(2025, 9, 30)),  # left; last day 30 September
        Spell(date(2024, 3, 1), None),  # 4 while 19 villages need 4
    ]
    on = date(2026, 3, 1)
    got = staffing_on(TOWN, on, 19, workers, [])
    assert (got.required, got.active, got.shortfall, got.since) == (4, 3, 1, date(2025, 10, 1))


def test_h2_a_replacement_ends_the_shortfall_and_a_later_leaver_starts_a_new_one() -> None:
    workers = [
        Spell(date(2024, 1, 1), None),
        Spell(date(2024, 1, 1), None),
        Spell(date(2024, 1, 1), date(2025, 1, 31)),
        Spell(date(2025, 4, 1), date(2025, 12, 31)),  # replacement, who left too
    ]
    got = staffing_on(TOWN, date(2026, 2, 1), 10, workers, [])
    assert (got.required, got.active, got.since) == (3, 2, date(2026, 1, 1))
    full = staffing_on(TOWN, date(2025, 6, 1), 10, workers, [])
    assert (full.active, full.shortfall, full.since) == (3, 0, None)


def test_h2_a_town_never_staffed_has_no_since() -> None:
    got = staffing_on(TOWN, date(2026, 2, 1), 10, [Spell(date(2025, 1, 1), None)], [])
    assert (got.shortfall, got.since) == (2, None)


def test_employment_history_answers_as_of_a_day() -> None:
    events = [
        EmploymentEvent("w1", EmploymentChange.JOINED, date(2023, 3, 1)),
        EmploymentEvent("w1", EmploymentChange.LEFT, date(2025, 7, 1), "辞职"),
        EmploymentEvent("w1", EmploymentChange.JOINED, date(2026, 1, 5)),
    ]
    assert spells(events) == [
        Spell(date(2023, 3, 1), date(2025, 6, 30)),
        Spell(date(2026, 1, 5), None),
    ]


# --- H6 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "limit"), ART_19)
def test_h6_art_19_bracket_and_its_limit(start: date, end: date | None, limit: int) -> None:
    assert probation_limit(start, end)[0] == limit


def _contract(
    start: date = date(2026, 1, 1),
    end: date | None = date(2028, 12, 31),
    probation: int = 0,
    kind: ContractKind = ContractKind.FIXED_TERM,
    cid: str = "c1",
) -> Contract:
    return Contract(cid, "w1", kind, start, end, probation, 450000)


@pytest.mark.parametrize(("start", "end", "limit"), ART_19)
def test_h6_probation_at_the_limit_is_accepted_and_one_more_month_refused(
    start: date, end: date | None, limit: int
) -> None:
    kind = ContractKind.FIXED_TERM if end else ContractKind.OPEN_ENDED
    check_contract(_contract(start, end, limit, kind), first=True)
    with pytest.raises(InvalidArgument) as info:
        check_contract(_contract(start, end, limit + 1, kind), first=True)
    assert [(v.field, v.rule) for v in info.value.violations] == [
        ("contract.probation_months", "H6")
    ]


def test_h6_seven_months_on_a_three_year_contract_is_refused() -> None:
    with pytest.raises(InvalidArgument) as info:
        check_contract(_contract(probation=7), first=True)
    assert info.value.rule == "H6"
    assert "7 months is too long" in info.value.message


def test_h6_a_renewal_has_no_probation() -> None:
    check_contract(_contract(probation=0), first=False)
    with pytest.raises(InvalidArgument) as info:
        check_contract(_contract(probation=1), first=False)
    assert info.value.rule == "H6"


def test_h6_first_contract_defaults_to_three_years() -> None:
    assert first_contract_end(date(2026, 1, 1), 36) == date(2028, 12, 31)
    assert first_contract_end(date(2024, 2, 29), 36) == date(2027, 2, 27)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_h6_overlapping_contracts_are_refused_and_the_next_day_is_not_an_overlap() -> None:
    first = _contract(date(2023, 1, 1), date(2025, 12, 31))
    refuse_overlap([first], _contract(date(2026, 1, 1), date(2028, 12, 31), cid="c2"))
    with pytest.raises(FailedPrecondition) as info:
        refuse_overlap([first], _contract(date(2025, 12, 31), date(2028, 12, 31), cid="c2"))
    assert info.value.rule == "H6"


# --- H8 ---------------------------------------------------------------------------------------


def test_h8_after_two_consecutive_fixed_terms_the_renewal_is_open_ended() -> None:
    one = _contract(date(2020, 1, 1), date(2022, 12, 31), cid="c1")
    two = _contract(date(2023, 1, 1), date(2025, 12, 31), cid="c2")
    after_one = article_14([one], date(2023, 1, 1))
    assert (after_one.prior_consecutive_fixed_terms, after_one.open_ended_required) == (1, False)
    after_two = article_14([one, two], date(2026, 1, 1))
    assert (after_two.prior_consecutive_fixed_terms, after_two.open_ended_required) == (2, True)


def test_h8_a_gap_breaks_the_chain() -> None:
    one = _contract(date(2020, 1, 1), date(2022, 12, 31), cid="c1")
    two = _contract(date(2023, 2, 1), date(2025, 12, 31), cid="c2")  # a month's gap
    got = article_14([one, two], date(2026, 1, 1))
    assert (got.prior_consecutive_fixed_terms, got.open_ended_required) == (1, False)


def test_h8_ten_years_continuous_service_makes_it_open_ended() -> None:
    # one fixed term after an open-ended one: the fixed count is 1, service since 2016-01-01
    open_ended = _contract(date(2016, 1, 1), date(2022, 12, 31), kind=ContractKind.FIXED_TERM)
    nine_years = article_14([open_ended], date(2023, 1, 1))
    assert nine_years.open_ended_required is False
    long = _contract(date(2016, 1, 1), date(2025, 12, 31), cid="c9")
    ten = article_14([long], date(2026, 1, 1))
    assert (ten.prior_consecutive_fixed_terms, ten.open_ended_required) == (1, True)
    assert ten.service_since == date(2016, 1, 1)


# --- H7 ---------------------------------------------------------------------------------------


def _cert(day: date, level: CertificateLevel = CertificateLevel.JUNIOR) -> Certificate:
    return Certificate("k1", "w1", level, "2025-0001", day)


def test_h7_certificate_on_the_end_date_counts_and_the_day_after_does_not() -> None:
    end = date(2026, 6, 30)
    assert best_held_on([_cert(date(2026, 6, 30))], end) is CertificateLevel.JUNIOR
    assert best_held_on([_cert(date(2026, 7, 1))], end) is None


def test_h7_any_of_the_three_levels_is_junior_or_higher() -> None:
    for level in CertificateLevel:
        assert best_held_on([_cert(date(2020, 1, 1), level)], date(2026, 1, 1)) is level


def test_h7_a_certificate_dated_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidArgument) as info:
        check_certificate(_cert(date(2026, 12, 1)), today=date(2026, 11, 29))
    assert [(v.field, v.rule) for v in info.value.violations] == [
        ("certificate.obtained_date", "H7")
    ]


def _assess(
    certs: list[Certificate], result: YearlyResult | None, hours: int = 300
) -> tuple[Eligibility, list[ReasonCode]]:
    contract = _contract(date(2023, 7, 1), date(2026, 6, 30))
    got = assess_renewal(
        contract,
        all_contracts=[contract],
        certificates=certs,
        training_tenth_hours=hours,
        required_tenth_hours=300,
        result=result,
    )
    return got.eligibility, [r.code for r in got.reasons]


PASSED = YearlyResult("workers/w1", 2025, True, "users/chief")
FAILED = YearlyResult("workers/w1", 2025, False, "users/chief")


def test_h7_renewal_reasons_each_and_all() -> None:
    held = [_cert(date(2026, 6, 30))]
    assert _assess(held, PASSED) == (Eligibility.ELIGIBLE, [])
    assert _assess([], PASSED) == (Eligibility.NOT_ELIGIBLE, [ReasonCode.NO_CERTIFICATE])
    assert _assess(held, FAILED) == (Eligibility.NOT_ELIGIBLE, [ReasonCode.ASSESSMENT_NOT_PASSED])
    assert _assess(held, None) == (
        Eligibility.UNDETERMINED,
        [ReasonCode.ASSESSMENT_NOT_AVAILABLE],
    )
    assert _assess([], None, hours=275) == (
        Eligibility.NOT_ELIGIBLE,
        [
            ReasonCode.NO_CERTIFICATE,
            ReasonCode.ASSESSMENT_NOT_AVAILABLE,
            ReasonCode.TRAINING_SHORT,
        ],
    )
    assert _assess(held, PASSED, hours=275) == (Eligibility.ELIGIBLE, [ReasonCode.TRAINING_SHORT])


def test_h7_training_short_says_by_how_much() -> None:
    contract = _contract(date(2023, 7, 1), date(2026, 6, 30))
    got = assess_renewal(
        contract,
        all_contracts=[contract],
        certificates=[],
        training_tenth_hours=275,
        required_tenth_hours=300,
        result=None,
    )
    short = next(r for r in got.reasons if r.code is ReasonCode.TRAINING_SHORT)
    assert short.text.render("en") == "training in 2025: 27.5 of 30 hours, 2.5 short"
    assert short.text.render("zh-CN") == "2025 年培训 27.5 小时，要求 30 小时，还差 2.5 小时"


def test_h7_the_assessment_read_is_of_the_last_complete_year() -> None:
    assert assessment_year(date(2026, 6, 30)) == 2025
    assert assessment_year(date(2026, 12, 31)) == 2026


def test_h7_h8_third_contract_renewal_is_flagged_open_ended() -> None:
    one = _contract(date(2020, 7, 1), date(2023, 6, 30), cid="c1")
    two = _contract(date(2023, 7, 1), date(2026, 6, 30), cid="c2")
    got = assess_renewal(
        two,
        all_contracts=[one, two],
        certificates=[_cert(date(2021, 5, 1))],
        training_tenth_hours=300,
        required_tenth_hours=300,
        result=PASSED,
    )
    assert got.eligibility is Eligibility.ELIGIBLE and got.open_ended_required
    assert [r.code for r in got.reasons] == [ReasonCode.MUST_BE_OPEN_ENDED]


def test_h7_early_warning_within_six_months_without_a_certificate() -> None:
    on = date(2026, 1, 1)
    ends_in_6 = _contract(date(2023, 7, 1), date(2026, 7, 1))
    ends_in_7 = _contract(date(2023, 8, 1), date(2026, 7, 31))
    assert early_warning(ends_in_6, [], on, 6) is not None
    assert early_warning(ends_in_7, [], on, 6) is None
    assert early_warning(ends_in_6, [_cert(date(2025, 12, 31))], on, 6) is None


# --- H9 ---------------------------------------------------------------------------------------


def _training(tenths: int, day: date = date(2026, 3, 1)) -> TrainingRecord:
    return TrainingRecord("t1", "w1", TrainingKind.TRAINING, tenths, "市民政局", day)


@pytest.mark.parametrize("tenths", [0, -30, 1201, 99999])
def test_h9_negative_zero_or_absurd_hours_are_refused(tenths: int) -> None:
    with pytest.raises(InvalidArgument) as info:
        check_training(_training(tenths), date(2026, 11, 29), 1200)
    assert [(v.field, v.rule) for v in info.value.violations] == [
        ("training_record.tenth_hours", "H9")
    ]


def test_h9_hours_are_counted_per_calendar_year() -> None:
    records = [
        _training(120, date(2025, 12, 31)),
        _training(160, date(2026, 1, 1)),
        _training(85, date(2026, 6, 1)),
    ]
    assert hours_in_year(records, 2025) == 120
    assert hours_in_year(records, 2026) == 245


def test_h9_the_thirty_hours_are_a_dated_setting() -> None:
    v1 = default_policy(date(2000, 1, 1))
    v2 = HrPolicy("v2", date(2027, 1, 1), training_tenth_hours_per_year=400)
    assert policy_on([v1, v2], date(2026, 12, 31)).training_tenth_hours_per_year == 300
    assert policy_on([v1, v2], date(2027, 1, 1)).training_tenth_hours_per_year == 400


# --- H10 --------------------------------------------------------------------------------------


def test_h10_months_employed_count_any_day_of_a_month() -> None:
    h1 = Period.parse("2026H1")
    assert months_employed([Spell(date(2026, 1, 31), date(2026, 3, 1))], h1) == 3
    assert months_employed([Spell(date(2025, 1, 1), None)], h1) == 6
    assert months_employed([Spell(date(2026, 7, 1), None)], h1) == 0


def test_h10_base_is_the_contract_in_force_at_the_end_of_the_period() -> None:
    old = Contract(
        "c1", "w1", ContractKind.FIXED_TERM, date(2023, 4, 1), date(2026, 3, 31), 0, 420000
    )
    new = Contract(
        "c2", "w1", ContractKind.FIXED_TERM, date(2026, 4, 1), date(2029, 3, 31), 0, 450000
    )
    working = [Spell(date(2023, 4, 1), None)]
    assert base_in_force([old, new], working, Period.parse("2026H1")) == 450000
    assert base_in_force([old, new], working, Period.parse("2026-03")) == 420000
    left = [Spell(date(2023, 4, 1), date(2026, 3, 31))]
    assert base_in_force([old, new], left, Period.parse("2026H1")) == 420000
