"""Pure rules of the roster: R3 levels, R4 working days, R6 history spans, R5 agreements,
and the person-months finance reads (F2)."""

from __future__ import annotations

import datetime as dt

import pytest

from roster_svc.domain import history
from roster_svc.domain.assessments import INDICATORS, Assessment, care_level_of, check_assessment
from roster_svc.domain.assignments import MissingReason, missing_reason
from roster_svc.domain.persons import (
    CareLevel,
    Period,
    PersonStatus,
    Span,
    StatusChange,
    check_status_change,
    clip,
)
from roster_svc.domain.workdays import CalendarBasis, WorkdayCalendar
from sgz_runtime.errors import FailedPrecondition, InvalidArgument

D = dt.date


@pytest.mark.parametrize(
    ("fails", "level"),
    [
        (0, CareLevel.SELF_CARE),
        (1, CareLevel.PARTIAL),
        (3, CareLevel.PARTIAL),
        (4, CareLevel.FULL_LOSS),
        (6, CareLevel.FULL_LOSS),
    ],
)
def test_r3_level_is_derived_from_the_number_of_failed_indicators(
    fails: int, level: CareLevel
) -> None:
    answers = {name: i >= fails for i, name in enumerate(INDICATORS)}
    assert care_level_of(answers) is level


def test_r3_unanswered_indicator_and_missing_assessor_are_refused() -> None:
    assessment = Assessment("a", "p", "", D(2024, 1, 1), True, True, True, True, True)
    with pytest.raises(InvalidArgument) as info:
        check_assessment(assessment, D(2024, 2, 1))
    assert info.value.rule == "R3"
    assert [v.field for v in info.value.violations] == ["assessment.bathing", "assessment.assessor"]


def test_r4_ten_working_days_skip_the_spring_festival_on_the_official_calendar() -> None:
    # 2025 Spring Festival: Jan 28 - Feb 4 off, Jan 26 (Sun) and Feb 8 (Sat) worked.
    due, basis = WorkdayCalendar().add_working_days(D(2025, 1, 24), 10)
    assert basis is CalendarBasis.OFFICIAL
    # Jan 26, 27, Feb 5, 6, 7, 8, 10, 11, 12, 13.
    assert due == D(2025, 2, 13)


def test_r4_years_past_the_package_use_the_configured_holidays() -> None:
    calendar = WorkdayCalendar.configured(holidays=[D(2027, 1, 1)], workdays=[D(2027, 1, 2)])
    due, basis = calendar.add_working_days(D(2026, 12, 31), 2)
    assert basis is CalendarBasis.CONFIGURED
    assert due == D(2027, 1, 4)  # Jan 1 off, Jan 2 (Sat) worked, Jan 4 (Mon)


def test_r4_unknown_years_fall_back_to_monday_to_friday_and_say_so() -> None:
    due, basis = WorkdayCalendar().add_working_days(D(2027, 9, 30), 1)
    assert basis is CalendarBasis.WEEKDAYS_FALLBACK
    assert due == D(2027, 10, 1)  # National Day unknown: a Friday counts as working


def test_r6_status_change_must_come_after_the_latest() -> None:
    history_ = [StatusChange("p", PersonStatus.DISPERSED, D(2024, 1, 1))]
    for day in (D(2023, 12, 1), D(2024, 1, 1)):
        with pytest.raises(FailedPrecondition) as info:
            check_status_change(history_, StatusChange("p", PersonStatus.HOSPITALISED, day))
        assert info.value.rule == "R6"
    check_status_change(history_, StatusChange("p", PersonStatus.HOSPITALISED, D(2024, 2, 1)))


def test_r6_nothing_follows_death_and_a_repeat_is_refused() -> None:
    dead = [StatusChange("p", PersonStatus.DECEASED, D(2024, 1, 1))]
    with pytest.raises(FailedPrecondition):
        check_status_change(dead, StatusChange("p", PersonStatus.DISPERSED, D(2024, 2, 1)))
    alive = [StatusChange("p", PersonStatus.DISPERSED, D(2024, 1, 1))]
    with pytest.raises(FailedPrecondition):
        check_status_change(alive, StatusChange("p", PersonStatus.DISPERSED, D(2024, 2, 1)))


def test_r6_spans_are_clipped_to_the_period_asked() -> None:
    spans = history.status_spans(
        [
            StatusChange("p", PersonStatus.DISPERSED, D(2024, 1, 1)),
            StatusChange("p", PersonStatus.HOSPITALISED, D(2024, 3, 1)),
        ]
    )
    assert clip(spans, Period.closed(D(2024, 2, 1), D(2024, 3, 31))) == [
        Span(PersonStatus.DISPERSED, D(2024, 2, 1), D(2024, 3, 1)),
        Span(PersonStatus.HOSPITALISED, D(2024, 3, 1), D(2024, 4, 1)),
    ]
    assert clip(spans, Period.closed(D(2023, 1, 1), D(2023, 12, 31))) == []


def test_f2_person_months_count_the_first_day_and_days_count_every_day() -> None:
    statuses = [
        (D(2024, 1, 10), PersonStatus.DISPERSED),
        (D(2024, 2, 20), PersonStatus.HOSPITALISED),
    ]
    levels = [(D(2024, 1, 1), CareLevel.FULL_LOSS), (D(2024, 2, 10), CareLevel.PARTIAL)]
    months = history.month_windows(Period.closed(D(2024, 1, 1), D(2024, 3, 31)))
    assert history.care_months(statuses, levels, months) == {
        (D(2024, 1, 1), CareLevel.FULL_LOSS): (0, 22),
        (D(2024, 2, 1), CareLevel.FULL_LOSS): (1, 9),
        (D(2024, 2, 1), CareLevel.PARTIAL): (0, 10),
    }


def test_f2_days_before_the_first_assessment_count_without_a_level() -> None:
    months = history.month_windows(Period.closed(D(2024, 3, 15), D(2024, 4, 30)))
    counted = history.care_months(
        [(D(2024, 1, 1), PersonStatus.DISPERSED)], [(D(2024, 4, 10), CareLevel.SELF_CARE)], months
    )
    assert counted == {
        (D(2024, 3, 1), None): (1, 17),
        (D(2024, 4, 1), None): (1, 9),
        (D(2024, 4, 1), CareLevel.SELF_CARE): (0, 21),
    }


def test_r5_agreement_is_missing_when_none_or_the_worker_changed() -> None:
    assert missing_reason("workers/a", None) is MissingReason.NONE
    assert missing_reason("workers/b", "workers/a") is MissingReason.WORKER_CHANGED
    assert missing_reason("workers/a", "workers/a") is None
