"""Visit rules against known answers written out in tests/oracles/visit_times.py: the visit day
and week in China time (V1, V9), the week over at Sunday midnight China time (V1), the V6
deadlines of a visit, and a substitute tied to the worker they stand in for (V9)."""

from __future__ import annotations

import datetime as dt

import pytest

from sgz_runtime.errors import FailedPrecondition
from tests.oracles import visit_times as oracle
from visit_svc.domain.due import WeekDue, missed
from visit_svc.domain.escalations import open_escalation
from visit_svc.domain.policy import default_policy, plan_escalations
from visit_svc.domain.timeline import (
    AssignmentSpan,
    PersonStatus,
    PersonTimeline,
    StatusSpan,
    SubstituteSpan,
)
from visit_svc.domain.visits import CheckItem, admit_visit
from visit_svc.domain.weeks import IsoWeek, local_date

D = dt.date


@pytest.mark.parametrize(("at", "day", "week"), oracle.VISIT_DAYS)
def test_the_visit_day_and_week_are_those_of_china(
    at: dt.datetime, day: dt.date, week: tuple[int, int]
) -> None:
    """Rules V1, V9: 15:59 UTC is still Sunday in China, 16:00 UTC is Monday."""
    assert local_date(at) == day
    assert (IsoWeek.of(local_date(at)).year, IsoWeek.of(local_date(at)).week) == week


def _due(made: int) -> WeekDue:
    week = IsoWeek(*oracle.WEEK_47)
    assert (week.monday, week.sunday) == (oracle.WEEK_47_MONDAY, oracle.WEEK_47_SUNDAY)
    return WeekDue(
        "persons/p1", "towns/t", "towns/t/villages/v", "", week, "workers/a", (), 1, made
    )


@pytest.mark.parametrize("now", oracle.WEEK_47_NOT_OVER)
def test_a_week_is_not_missed_before_sunday_midnight_china_time(now: dt.datetime) -> None:
    """Rule V1: Sunday counts until 23:59 in China, so the week is not over a day early."""
    assert not missed(_due(0), now)


def test_a_week_without_its_visit_is_missed_at_sunday_midnight_china_time() -> None:
    assert missed(_due(0), oracle.WEEK_47_OVER)
    assert not missed(_due(1), oracle.WEEK_47_OVER)


@pytest.mark.parametrize("finding", sorted(oracle.DEADLINES))
def test_deadlines_are_counted_from_the_visit_as_the_v6_table_says(finding: str) -> None:
    """Rule V6 (Default): contact within 2 h (immediate) or 24 h (prompt); action within 3 days
    (cleaning), 1 day (hospital), 7 days (institution); deadlines as literal instants."""
    urgency, action, contact_by, act_by = oracle.DEADLINES[finding]
    (planned,) = plan_escalations(default_policy(D(2022, 1, 1)), [CheckItem(finding)])
    assert (planned.urgency.value, planned.action.value) == (urgency, action)
    assert planned.contact_within == dt.timedelta(hours=oracle.CONTACT_HOURS[urgency])
    assert planned.action_within == dt.timedelta(hours=oracle.ACTION_HOURS[action])
    e = open_escalation(
        "e1", planned, visit_id="v1", person="persons/p1", town="towns/t",
        village="towns/t/villages/v", worker="workers/a", visit_at=oracle.VISIT_AT,
        now=oracle.VISIT_AT,
    )  # fmt: skip
    assert (e.contact_deadline, e.action_deadline) == (contact_by, act_by)


START = D(2026, 1, 1)
DAY = oracle.WEEK_47_MONDAY


def _timeline(substitutes: tuple[SubstituteSpan, ...]) -> PersonTimeline:
    return PersonTimeline(
        person="persons/p1",
        town="towns/t",
        village="towns/t/villages/v",
        statuses=(StatusSpan(START, None, PersonStatus.DISPERSED),),
        assignments=(AssignmentSpan(START, D(2026, 11, 10), "workers/a"),
                     AssignmentSpan(D(2026, 11, 10), None, "workers/b")),
        substitutes=substitutes,
    )  # fmt: skip


def test_a_substitute_stands_in_only_for_the_worker_assigned_that_day() -> None:
    """Rule V9: a substitute named for workers/a (no longer assigned) may not visit for
    workers/b's person; the one named for workers/b may, and the visit says for whom."""
    at = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC)
    now = at + dt.timedelta(hours=1)
    stale = _timeline((SubstituteSpan(D(2026, 11, 1), None, "workers/a", "workers/s"),))
    with pytest.raises(FailedPrecondition) as info:
        admit_visit(stale, "workers/s", at, now, skew=dt.timedelta(0))
    assert info.value.rule == "V9"
    named = _timeline((SubstituteSpan(D(2026, 11, 1), None, "workers/b", "workers/s"),))
    assert admit_visit(named, "workers/s", at, now, skew=dt.timedelta(0)) == "workers/b"
    assert admit_visit(named, "workers/b", at, now, skew=dt.timedelta(0)) is None


def test_the_visit_day_for_v9_is_the_day_in_china() -> None:
    """Rule V9: a visit at 16:30 UTC on 15 Nov is on 16 Nov in China, the first day of the
    person's care at home: admitted; the same visit at 15:30 UTC (the 15th) is refused."""
    timeline = PersonTimeline(
        person="persons/p1", town="towns/t", village="towns/t/villages/v",
        statuses=(StatusSpan(DAY, None, PersonStatus.DISPERSED),),
        assignments=(AssignmentSpan(DAY, None, "workers/a"),),
    )  # fmt: skip
    later = dt.datetime(2026, 11, 17, tzinfo=dt.UTC)
    on_monday = dt.datetime(2026, 11, 15, 16, 30, tzinfo=dt.UTC)
    assert admit_visit(timeline, "workers/a", on_monday, later, skew=dt.timedelta(0)) is None
    with pytest.raises(FailedPrecondition):
        admit_visit(
            timeline,
            "workers/a",
            on_monday - dt.timedelta(hours=1),
            later,
            skew=dt.timedelta(0),
        )


def test_v1_v6_a_policy_is_checked_field_by_field() -> None:
    """Rules V1, V2, V6: every wrong figure of a new policy is named at once, with its rule."""
    from sgz_runtime.errors import InvalidArgument
    from visit_svc.domain.policy import (
        Action,
        PolicyRule,
        Urgency,
        VisitPolicy,
        check_policy,
    )

    hour = dt.timedelta(hours=1)
    ok = PolicyRule(CheckItem.ILLNESS, Urgency.PROMPT, Action.HOSPITAL_ADMISSION, hour, hour, True)
    check_policy(VisitPolicy("v2", D(2027, 1, 1), 1, hour, (ok,)))
    bad = VisitPolicy(
        "v2",
        D(2027, 1, 1),
        0,
        dt.timedelta(0),
        (
            ok,
            PolicyRule(CheckItem.ILLNESS, Urgency.PROMPT, Action.CLEANING, hour, hour, False),
            PolicyRule(
                CheckItem.HOUSE_SAFETY,
                Urgency.IMMEDIATE,
                Action.INSTITUTION_ADMISSION,
                dt.timedelta(0),
                -hour,
                True,
            ),
        ),
    )
    with pytest.raises(InvalidArgument) as info:
        check_policy(bad)
    assert info.value.rule == "V6"
    assert [(v.field, v.rule) for v in info.value.violations] == [
        ("policy.visits_per_week", "V1"),
        ("policy.due_soon", "V6"),
        ("policy.rules[1].finding", "V6"),
        ("policy.rules[2].contact_within", "V6"),
        ("policy.rules[2].action_within", "V6"),
    ]
