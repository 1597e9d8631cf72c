"""Roster rules against known answers written out in tests/oracles/: R4 working days of 2026
from the State Council's notice, R3's assessment date, H1's staffing edges."""

from __future__ import annotations

import datetime as dt

import pytest

from roster_svc.domain.assessments import Assessment, check_assessment
from roster_svc.domain.stations import required_workers
from roster_svc.domain.workdays import CalendarBasis, WorkdayCalendar
from roster_svc.person_settings import PersonSettings
from roster_svc.service_layer import care
from sgz_runtime.errors import InvalidArgument
from tests.oracles import workdays_2026 as oracle

D = dt.date


@pytest.mark.parametrize("day", oracle.WEEKDAYS_OFF)
def test_r4_weekdays_off_in_2026_are_not_working_days(day: dt.date) -> None:
    assert WorkdayCalendar().is_workday(day) == (False, CalendarBasis.OFFICIAL)


@pytest.mark.parametrize("day", oracle.WEEKENDS_WORKED)
def test_r4_weekends_worked_in_2026_are_working_days(day: dt.date) -> None:
    assert WorkdayCalendar().is_workday(day) == (True, CalendarBasis.OFFICIAL)


@pytest.mark.parametrize(("reported", "days", "due"), oracle.DUE)
def test_r4_due_dates_match_those_counted_by_hand(
    reported: dt.date, days: int, due: dt.date
) -> None:
    assert WorkdayCalendar().add_working_days(reported, days) == (due, CalendarBasis.OFFICIAL)


@pytest.mark.parametrize(("reported", "days", "due"), oracle.DUE[:4])
def test_r4_the_notice_configured_by_hand_gives_the_same_due_dates(
    reported: dt.date, days: int, due: dt.date
) -> None:
    """Past a package's data the notice is a configured list; typed in from the notice it
    answers like the package, and says it was configured."""
    holidays = [*oracle.WEEKDAYS_OFF, D(2025, 1, 1)]
    calendar = WorkdayCalendar(
        frozenset(holidays), frozenset(oracle.WEEKENDS_WORKED), official=lambda d: None
    )
    assert calendar.add_working_days(reported, days) == (due, CalendarBasis.CONFIGURED)


def test_r4_the_default_is_ten_working_days() -> None:
    """Rule R4 (law): within 10 working days, both in the use case's default and the
    service's setting."""
    assert care.CareDeps(WorkdayCalendar()).reassessment_working_days == 10
    assert PersonSettings().reassessment_working_days == oracle.REASSESSMENT_WORKING_DAYS


def test_r3_an_assessment_dated_after_today_is_refused() -> None:
    today = D(2026, 11, 26)
    answers = (True, True, True, True, True, True)
    check_assessment(Assessment("", "", "评估中心", today, *answers), today)
    with pytest.raises(InvalidArgument) as info:
        check_assessment(Assessment("", "", "评估中心", D(2026, 11, 27), *answers), today)
    assert [v.field for v in info.value.violations] == ["assessment.assessment_date"]


@pytest.mark.parametrize(
    ("villages", "workers"),
    # max(3, ceil(v / 6)): 0..18 villages need 3 (18 / 6 = 3), 19 need 4, 24 need 4, 25 need 5.
    [(0, 3), (1, 3), (12, 3), (18, 3), (19, 4), (24, 4), (25, 5), (31, 6)],
)
def test_h1_one_worker_per_six_villages_and_at_least_three(villages: int, workers: int) -> None:
    assert required_workers(villages) == workers
