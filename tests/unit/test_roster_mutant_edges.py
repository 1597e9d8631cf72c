"""Edges of the roster rules the last mutation run left untested (issue 7): care months (F2)
over a status gap and a care-level change, events on the same day (R6), a configured calendar's
holidays. Expected values are worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt

from roster_svc.domain.assessments import Assessment
from roster_svc.domain.history import care_level_spans, care_months
from roster_svc.domain.persons import CareLevel, PersonStatus
from roster_svc.domain.workdays import CalendarBasis, WorkdayCalendar

D = dt.date
JAN, FEB, MAR, APR = D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)
# The month windows of 2026Q1: (month, first day inside the period, end inside the period).
Q1 = [(JAN, JAN, FEB), (FEB, FEB, MAR), (MAR, MAR, APR)]


def test_care_months_resume_after_a_status_gap() -> None:
    # Dispersed 1-9 January, in hospital from 10 January, dispersed again from 5 March:
    # January counts (dispersed on its 1st) with 9 days; February nothing; March 27 days
    # (5..31) but no month (not dispersed on the 1st).
    statuses = [
        (D(2026, 1, 1), PersonStatus.DISPERSED),
        (D(2026, 1, 10), PersonStatus.HOSPITALISED),
        (D(2026, 3, 5), PersonStatus.DISPERSED),
    ]
    assert care_months(statuses, [], Q1) == {(JAN, None): (1, 9), (MAR, None): (0, 27)}


def test_care_months_add_up_two_dispersed_stretches_in_one_month() -> None:
    # Dispersed 1-9 January (9 days, counted on the 1st) and again from 20 January (20..31:
    # 12 days): one month, 21 days.
    statuses = [
        (D(2026, 1, 1), PersonStatus.DISPERSED),
        (D(2026, 1, 10), PersonStatus.HOSPITALISED),
        (D(2026, 1, 20), PersonStatus.DISPERSED),
    ]
    assert care_months(statuses, [], [(JAN, JAN, FEB)]) == {(JAN, None): (1, 21)}


def test_care_months_follow_a_care_level_change_past_an_earlier_level() -> None:
    # Dispersed throughout; self-care from December, full loss from 1 February: January is
    # self-care (31 days), February (28) and March (31) full loss.
    statuses = [(D(2025, 12, 1), PersonStatus.DISPERSED)]
    levels = [(D(2025, 12, 1), CareLevel.SELF_CARE), (D(2026, 2, 1), CareLevel.FULL_LOSS)]
    assert care_months(statuses, levels, Q1) == {
        (JAN, CareLevel.SELF_CARE): (1, 31),
        (FEB, CareLevel.FULL_LOSS): (1, 28),
        (MAR, CareLevel.FULL_LOSS): (1, 31),
    }


def test_of_two_status_changes_on_one_day_the_later_recorded_holds() -> None:
    # Dispersed and then hospitalised, both on 1 January: never dispersed for a whole day.
    statuses = [
        (D(2026, 1, 1), PersonStatus.DISPERSED),
        (D(2026, 1, 1), PersonStatus.HOSPITALISED),
    ]
    assert care_months(statuses, [], Q1) == {}


def test_care_level_spans_run_from_one_assessment_to_the_next() -> None:
    first = Assessment(
        id="a1",
        person_id="p1",
        assessor="Dr Wang",
        assessment_date=D(2026, 1, 5),
        care_level=CareLevel.SELF_CARE,
    )
    second = Assessment(
        id="a2",
        person_id="p1",
        assessor="Dr Wang",
        assessment_date=D(2026, 2, 10),
        care_level=CareLevel.PARTIAL,
    )
    found = [(s.value, s.start, s.end) for s in care_level_spans([second, first])]
    assert found == [
        (CareLevel.SELF_CARE, D(2026, 1, 5), D(2026, 2, 10)),
        (CareLevel.PARTIAL, D(2026, 2, 10), None),
    ]


def test_a_configured_calendar_keeps_its_holidays() -> None:
    # 1 October 2030 is a Tuesday; configured as a holiday, it is not a working day, while
    # 2 October (Wednesday, not configured) is.
    calendar = WorkdayCalendar.configured(holidays=[D(2030, 10, 1)])
    assert calendar.is_workday(D(2030, 10, 1)) == (False, CalendarBasis.CONFIGURED)
    assert calendar.is_workday(D(2030, 10, 2)) == (True, CalendarBasis.CONFIGURED)
