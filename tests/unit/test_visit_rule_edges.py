"""Edges of the visit rules that mutation testing found untested: deadlines exactly at their
instant (V6), steps at the same instant as the previous one, the rule cited by each refusal
(V4, V5), an admission on the visit's own day (V8), a visit at the very end of the allowed clock
skew (V9), the worker of a week with a reassignment in it (V1), stable request fingerprints."""

from __future__ import annotations

import datetime as dt

import pytest

from sgz_runtime.errors import FailedPrecondition, InvalidArgument
from visit_svc.domain.due import week_due
from visit_svc.domain.escalations import (
    ContactChannel,
    Escalation,
    Outcome,
    State,
    open_escalation,
)
from visit_svc.domain.policy import Action, default_policy, plan_escalations
from visit_svc.domain.timeline import AssignmentSpan, PersonStatus, PersonTimeline, StatusSpan
from visit_svc.domain.visits import CheckItem, admit_visit, body_hash
from visit_svc.domain.weeks import IsoWeek

UTC = dt.UTC
D = dt.date
VISIT = dt.datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # 09:00 Monday in China
HOUR = dt.timedelta(hours=1)


def _escalation(finding: CheckItem) -> Escalation:
    (planned,) = plan_escalations(default_policy(D(2022, 1, 1)), [finding])
    return open_escalation(
        "e1", planned, visit_id="v1", person="persons/p1", town="towns/t",
        village="towns/t/villages/v", worker="workers/a", visit_at=VISIT, now=VISIT + HOUR,
    )  # fmt: skip


def test_v6_an_escalation_carries_where_and_who_and_when_it_was_opened() -> None:
    e = _escalation(CheckItem.HOUSE_SAFETY)
    assert (e.person, e.town, e.village, e.worker) == (
        "persons/p1", "towns/t", "towns/t/villages/v", "workers/a",
    )  # fmt: skip
    assert (e.visit_at, e.opened_at, e.state) == (VISIT, VISIT + HOUR, State.OPENED)


def test_v6_a_deadline_is_met_at_its_instant_and_missed_just_after() -> None:
    e = _escalation(CheckItem.HOUSE_SAFETY)  # contact within 2 h: by 03:00 UTC
    deadline = VISIT + 2 * HOUR
    assert e.next_deadline() == deadline
    assert not e.contact_overdue(deadline) and not e.pending_overdue(deadline)
    assert e.contact_overdue(deadline + dt.timedelta(seconds=1))
    assert e.pending_overdue(deadline + dt.timedelta(seconds=1))
    assert e.due_soon(deadline, dt.timedelta(0))  # now == deadline is still due, not over
    assert e.due_soon(deadline - HOUR, HOUR)  # exactly at the end of the window
    assert not e.due_soon(deadline - HOUR, HOUR - dt.timedelta(seconds=1))
    e.notify_contact("王红", _phone(), deadline, "", deadline)
    assert not e.contact_overdue(deadline + dt.timedelta(days=9))  # done on time stays met
    assert e.next_deadline() == e.action_deadline == VISIT + 7 * 24 * HOUR
    assert not e.action_overdue(e.action_deadline)
    assert e.action_overdue(e.action_deadline + dt.timedelta(seconds=1))
    e.arrange(
        Action.INSTITUTION_ADMISSION, D(2026, 11, 20), e.action_deadline, "", e.action_deadline
    )
    assert not e.action_overdue(e.action_deadline + dt.timedelta(days=9))
    assert e.next_deadline() is None


def _phone() -> ContactChannel:
    return ContactChannel.PHONE


def test_v6_a_cancelled_escalation_is_never_overdue() -> None:
    e = _escalation(CheckItem.ILLNESS)
    e.cancel("mistaken", VISIT + HOUR, VISIT + HOUR)
    later = VISIT + dt.timedelta(days=30)
    assert not e.contact_overdue(later) and not e.action_overdue(later) and not e.overdue(later)


def test_a_step_may_share_the_instant_of_the_one_before() -> None:
    e = _escalation(CheckItem.ILLNESS)
    e.notify_contact("王红", _phone(), VISIT, "at the door", VISIT)  # the same minute as the visit
    e.arrange(Action.HOSPITAL_ADMISSION, D(2026, 11, 16), VISIT, "", VISIT)
    assert e.state is State.ACTION_ARRANGED


@pytest.mark.parametrize(
    ("finding", "rule"), [(CheckItem.HOUSE_SAFETY, "V4"), (CheckItem.ILLNESS, "V5")]
)
def test_v4_v5_a_resolution_without_assistance_cites_the_rule_and_says_what_first(
    finding: CheckItem, rule: str
) -> None:
    e = _escalation(finding)
    e.notify_contact("王红", _phone(), VISIT + HOUR, "", VISIT + HOUR)
    action = e.action
    e.arrange(action, D(2026, 11, 17), VISIT + HOUR, "", VISIT + HOUR)
    outcome = (
        Outcome.ADMITTED_TO_INSTITUTION if action is Action.INSTITUTION_ADMISSION
        else Outcome.ADMITTED_TO_HOSPITAL
    )  # fmt: skip
    with pytest.raises(FailedPrecondition) as info:
        e.check_resolution(outcome, D(2026, 11, 17), VISIT + 2 * HOUR, VISIT + 2 * HOUR)
    assert info.value.rule == rule
    assert info.value.message == f"first record the assistance with the procedures (rule {rule})"
    with pytest.raises(InvalidArgument) as blank:
        e.record_assistance(VISIT + 2 * HOUR, " ", VISIT + 2 * HOUR)
    assert blank.value.rule == rule and blank.value.violations[0].field == "note"
    with pytest.raises(FailedPrecondition) as again:
        e.notify_contact("王红", _phone(), VISIT + 2 * HOUR, "", VISIT + 2 * HOUR)
    assert "already" in again.value.message and again.value.rule == rule


def test_v8_an_admission_may_be_done_on_the_visits_own_day() -> None:
    e = _escalation(CheckItem.HOUSE_SAFETY)
    e.notify_contact("王红", _phone(), VISIT, "", VISIT)
    e.arrange(Action.INSTITUTION_ADMISSION, D(2026, 11, 16), VISIT, "", VISIT)
    e.record_assistance(VISIT, "forms", VISIT)
    e.check_resolution(Outcome.ADMITTED_TO_INSTITUTION, D(2026, 11, 16), VISIT, VISIT)
    with pytest.raises(InvalidArgument) as before:
        e.check_resolution(Outcome.ADMITTED_TO_INSTITUTION, D(2026, 11, 15), VISIT, VISIT)
    assert before.value.rule == "V8"


def _timeline(*assignments: AssignmentSpan) -> PersonTimeline:
    return PersonTimeline(
        person="persons/p1", town="towns/t", village="towns/t/villages/v", display_name="李四",
        statuses=(StatusSpan(D(2026, 1, 1), None, PersonStatus.DISPERSED),),
        assignments=assignments,
    )  # fmt: skip


def test_v9_a_visit_at_the_end_of_the_clock_skew_is_admitted() -> None:
    timeline = _timeline(AssignmentSpan(D(2026, 1, 1), None, "workers/a"))
    skew = dt.timedelta(minutes=2)
    admit_visit(timeline, "workers/a", VISIT + skew, VISIT, skew=skew)
    with pytest.raises(FailedPrecondition) as info:
        admit_visit(timeline, "workers/a", VISIT + skew + dt.timedelta(seconds=1), VISIT, skew=skew)
    assert info.value.rule == "V9"


def test_v1_a_weeks_worker_is_the_one_holding_the_case_on_its_last_day() -> None:
    """Reassigned on Wednesday: the week is workers/b's to answer for."""
    timeline = _timeline(
        AssignmentSpan(D(2026, 1, 1), D(2026, 11, 18), "workers/a"),
        AssignmentSpan(D(2026, 11, 18), D(2026, 11, 21), "workers/b"),
        AssignmentSpan(D(2026, 11, 21), None, "workers/c"),
    )
    due = week_due(timeline, IsoWeek(2026, 47), [D(2026, 11, 17)], 1)
    assert due is not None
    assert (due.worker, due.made, due.required) == ("workers/c", 1, 1)
    assert (due.person, due.town, due.village, due.display_name) == (
        "persons/p1", "towns/t", "towns/t/villages/v", "李四",
    )  # fmt: skip


def test_a_request_fingerprint_ignores_key_order_and_reads_dates() -> None:
    assert body_hash({"a": 1, "b": "新华村"}) == body_hash({"b": "新华村", "a": 1})
    assert body_hash({"day": D(2026, 11, 16)}) == body_hash({"day": "2026-11-16"})
    assert body_hash({"a": 1}) != body_hash({"a": 2})
