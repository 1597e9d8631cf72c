"""Recording visits (rules V2, V9), the escalations their findings open under the dated policy
(V3-V6) and their ledger entries (V7): use cases against fakes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sgz_runtime.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.visit_fakes import (
    TOWN,
    FakeVisitUnitOfWork,
    cst,
    replace_checks,
    roster,
    timeline,
    visit,
)
from visit_svc.adapters.roster_client import FakeRosterClient
from visit_svc.domain.escalations import State
from visit_svc.domain.policy import Action, PolicyRule, Urgency, VisitPolicy
from visit_svc.domain.timeline import SubstituteSpan
from visit_svc.domain.visits import Check, CheckItem, CheckResult, Visit
from visit_svc.service_layer.policies import create_policy
from visit_svc.service_layer.visits import record_visit

WORKER = Caller("users/wang", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/wang")
CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, TOWN)
CITY = Caller("users/city", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY, "")
MONDAY = date(2026, 11, 16)
NOW = cst(MONDAY + timedelta(days=2), 18)
SKEW = timedelta(minutes=2)


def _clock():  # type: ignore[no-untyped-def]
    return NOW


def _record(
    uow: FakeVisitUnitOfWork,
    client: FakeRosterClient,
    v: Visit,
    request_id: str = "",
    caller: Caller = WORKER,
) -> Visit:
    return record_visit(uow, client, caller, v, request_id, clock=_clock, skew=SKEW)


@pytest.fixture
def uow() -> FakeVisitUnitOfWork:
    return FakeVisitUnitOfWork()


@pytest.fixture
def client() -> FakeRosterClient:
    return roster(timeline("persons/p1"), timeline("persons/p2", moved_on=MONDAY))


def test_a_fine_visit_is_recorded_with_its_ledger_entry_and_no_escalation(uow, client) -> None:  # type: ignore[no-untyped-def]
    """Rules V2, V7."""
    recorded = _record(uow, client, visit("persons/p1", cst(MONDAY, 9)))
    assert recorded.name.startswith("visits/")
    assert recorded.town == TOWN and recorded.escalations == []
    assert uow.ledger_kinds(TOWN) == ["visit"]
    entry = uow.state.ledger.entries[TOWN][0]
    assert entry.subject == recorded.name
    assert entry.payload["checks"]["house_safety"] == {"value": "fine", "note": ""}


def test_a_missing_required_check_is_refused_citing_v2_and_nothing_is_written(uow, client) -> None:  # type: ignore[no-untyped-def]
    v = visit("persons/p1", cst(MONDAY, 9))
    del v.checks[CheckItem.ILLNESS]
    with pytest.raises(InvalidArgument) as info:
        _record(uow, client, v)
    assert info.value.rule == "V2"
    assert [f.field for f in info.value.violations] == ["visit.checks.illness"]
    assert uow.state.visits == {} and uow.ledger_kinds(TOWN) == []


def test_a_problem_or_a_skipped_check_needs_a_note(uow, client) -> None:  # type: ignore[no-untyped-def]
    """Rule V2."""
    v = visit("persons/p1", cst(MONDAY, 9))
    v.checks[CheckItem.ILLNESS] = Check(CheckResult.NOT_CHECKED, "")
    with pytest.raises(InvalidArgument) as info:
        _record(uow, client, v)
    assert info.value.violations[0].field == "visit.checks.illness.note"


def test_a_visit_in_the_future_is_refused_citing_v9(uow, client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FailedPrecondition) as info:
        _record(uow, client, visit("persons/p1", NOW + timedelta(hours=1)))
    assert info.value.rule == "V9"
    assert uow.state.visits == {}


def test_a_visit_within_the_clock_skew_is_accepted(uow, client) -> None:  # type: ignore[no-untyped-def]
    """Rule V9: phones drift; the tolerance is a setting."""
    assert _record(uow, client, visit("persons/p1", NOW + timedelta(minutes=1))).name


def test_a_visit_by_a_worker_not_assigned_that_day_is_refused_citing_v9(uow, client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FailedPrecondition) as info:
        _record(uow, client, visit("persons/p1", cst(MONDAY), worker="workers/li"), caller=CHIEF)
    assert info.value.rule == "V9"
    assert "neither assigned" in info.value.message
    assert uow.state.visits == {} and uow.ledger_kinds(TOWN) == []


def test_a_named_substitute_may_visit_on_the_days_named(uow) -> None:  # type: ignore[no-untyped-def]
    """Rule V9: a substitute the chief named, only on those days."""
    sub = SubstituteSpan(MONDAY, MONDAY + timedelta(days=1), "workers/wang", "workers/li")
    client = roster(timeline("persons/p1", substitutes=(sub,)))
    recorded = _record(
        uow, client, visit("persons/p1", cst(MONDAY), worker="workers/li"), caller=CHIEF
    )
    assert recorded.substitute_for == "workers/wang"
    with pytest.raises(FailedPrecondition):
        _record(
            uow,
            client,
            visit("persons/p1", cst(MONDAY + timedelta(days=1)), worker="workers/li"),
            caller=CHIEF,
        )


def test_a_person_in_an_institution_is_not_visited_citing_v9(uow, client) -> None:  # type: ignore[no-untyped-def]
    """Rules V8, V9: from the day of the move the person is not dispersed."""
    with pytest.raises(FailedPrecondition) as info:
        _record(uow, client, visit("persons/p2", cst(MONDAY, 9)))
    assert info.value.rule == "V9"
    assert "in a care institution" in info.value.message
    assert "集中供养" in info.value.text.render("zh-CN")
    # The day before the move, the visit stands.
    assert _record(uow, client, visit("persons/p2", cst(MONDAY - timedelta(days=1), 9))).name


def test_an_unknown_person_is_not_found(uow, client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        _record(uow, client, visit("persons/nobody", cst(MONDAY)))


def test_a_worker_records_only_their_own_visits(uow, client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        _record(uow, client, visit("persons/p1", cst(MONDAY), worker="workers/li"))


def test_an_auditor_records_nothing(uow, client) -> None:  # type: ignore[no-untyped-def]
    auditor = Caller("users/a", Role.AUDITOR, ScopeLevel.CITY, "")
    with pytest.raises(PermissionDenied):
        _record(uow, client, visit("persons/p1", cst(MONDAY)), caller=auditor)


def test_a_retried_visit_returns_the_same_visit_and_records_it_once(uow, client) -> None:  # type: ignore[no-untyped-def]
    """AIP-155: the phone retries after a lost answer."""
    v = visit("persons/p1", cst(MONDAY), problems=(CheckItem.ILLNESS,))
    first = _record(uow, client, v, "req-1")
    again = _record(
        uow, client, visit("persons/p1", cst(MONDAY), problems=(CheckItem.ILLNESS,)), "req-1"
    )
    assert again.name == first.name and again.escalations == first.escalations
    assert len(uow.state.visits) == 1 and len(uow.state.escalations) == 1
    assert uow.ledger_kinds(TOWN) == ["visit", "escalation"]


def test_the_same_request_id_with_a_different_body_is_refused(uow, client) -> None:  # type: ignore[no-untyped-def]
    _record(uow, client, visit("persons/p1", cst(MONDAY)), "req-1")
    with pytest.raises(InvalidArgument) as info:
        _record(uow, client, visit("persons/p1", cst(MONDAY, 11)), "req-1")
    assert info.value.violations[0].field == "request_id"
    assert len(uow.state.visits) == 1


@pytest.mark.parametrize(
    ("finding", "urgency", "action", "contact", "arrange", "assist"),
    [
        (CheckItem.RESIDENCE_HYGIENE, Urgency.PROMPT, Action.CLEANING, 24, 72, False),  # V3
        (CheckItem.PERSONAL_HYGIENE, Urgency.PROMPT, Action.CLEANING, 24, 72, False),  # V3
        (CheckItem.REGULAR_DIET, Urgency.IMMEDIATE, Action.INSTITUTION_ADMISSION, 2, 168, True),
        (CheckItem.FOOD_SOURCE, Urgency.IMMEDIATE, Action.INSTITUTION_ADMISSION, 2, 168, True),
        (
            CheckItem.ABLE_TO_FEED_SELF,
            Urgency.IMMEDIATE,
            Action.INSTITUTION_ADMISSION,
            2,
            168,
            True,
        ),
        (CheckItem.HOUSE_SAFETY, Urgency.IMMEDIATE, Action.INSTITUTION_ADMISSION, 2, 168, True),
        (CheckItem.ILLNESS, Urgency.PROMPT, Action.HOSPITAL_ADMISSION, 24, 24, True),  # V5
    ],
)
def test_each_finding_opens_its_escalation_with_the_v6_deadlines(  # type: ignore[no-untyped-def]
    uow, client, finding, urgency, action, contact, arrange, assist
) -> None:
    """Rules V3 (hygiene), V4 (diet, food, feeding, house), V5 (illness), V6 (deadlines)."""
    at = cst(MONDAY, 9)
    recorded = _record(uow, client, visit("persons/p1", at, problems=(finding,)))
    (escalation,) = uow.state.escalations.values()
    assert recorded.escalations == [escalation.name]
    assert (escalation.urgency, escalation.action) == (urgency, action)
    assert escalation.contact_deadline == at + timedelta(hours=contact)
    assert escalation.action_deadline == at + timedelta(hours=arrange)
    assert escalation.assistance_required is assist
    assert escalation.state is State.OPENED and escalation.policy_version == "v1"
    assert uow.ledger_kinds(TOWN) == ["visit", "escalation"]


def test_findings_calling_for_one_action_open_one_escalation_at_the_most_urgent(
    uow: FakeVisitUnitOfWork, client: FakeRosterClient
) -> None:
    """Rules V3-V5: one escalation per action; different actions open one each."""
    problems = (CheckItem.REGULAR_DIET, CheckItem.HOUSE_SAFETY, CheckItem.ILLNESS)
    _record(uow, client, visit("persons/p1", cst(MONDAY), problems=problems))
    by_action = {e.action: e for e in uow.state.escalations.values()}
    assert set(by_action) == {Action.INSTITUTION_ADMISSION, Action.HOSPITAL_ADMISSION}
    assert by_action[Action.INSTITUTION_ADMISSION].findings == (
        CheckItem.REGULAR_DIET,
        CheckItem.HOUSE_SAFETY,
    )


def test_a_finding_already_under_way_does_not_open_a_second_escalation(uow, client) -> None:  # type: ignore[no-untyped-def]
    """Rule V6: the open escalation's deadlines stand; the visit still records the finding."""
    _record(uow, client, visit("persons/p1", cst(MONDAY), problems=(CheckItem.RESIDENCE_HYGIENE,)))
    again = _record(
        uow, client, visit("persons/p1", cst(MONDAY, 15), problems=(CheckItem.RESIDENCE_HYGIENE,))
    )
    assert again.escalations == [] and len(uow.state.escalations) == 1
    assert uow.state.ledger.entries[TOWN][-1].payload["findings"] == ["residence_hygiene"]


def test_a_later_policy_applies_from_its_date_and_leaves_older_escalations_alone(
    uow: FakeVisitUnitOfWork, client: FakeRosterClient
) -> None:
    """Rule V6: the table is dated data; an escalation keeps the version it was opened under."""
    _record(uow, client, visit("persons/p1", cst(MONDAY), problems=(CheckItem.ILLNESS,)))
    (old,) = uow.state.escalations.values()
    tomorrow = MONDAY + timedelta(days=3)
    stricter = VisitPolicy(
        version="v2",
        effective_from=tomorrow,
        visits_per_week=2,
        due_soon=timedelta(hours=12),
        rules=(
            PolicyRule(
                CheckItem.ILLNESS,
                Urgency.IMMEDIATE,
                Action.HOSPITAL_ADMISSION,
                timedelta(hours=1),
                timedelta(hours=12),
                True,
            ),
        ),
    )
    create_policy(uow, CITY, stricter, _clock)
    later = cst(tomorrow, 9)

    def clock_later():  # type: ignore[no-untyped-def]
        return later + timedelta(hours=1)

    # The old one is resolved as cancelled so the new finding opens a new escalation.
    from visit_svc.service_layer.escalations import cancel_escalation

    cancel_escalation(uow, CHIEF, old.name, "admitted elsewhere", later, "", clock_later)
    record_visit(
        uow,
        client,
        WORKER,
        visit("persons/p1", later, problems=(CheckItem.ILLNESS,)),
        "",
        clock=clock_later,
        skew=SKEW,
    )
    new = next(e for e in uow.state.escalations.values() if e.id != old.id)
    assert (new.policy_version, new.urgency) == ("v2", Urgency.IMMEDIATE)
    assert new.contact_deadline == later + timedelta(hours=1)
    kept = uow.state.escalations[old.id]
    assert kept.policy_version == "v1"
    assert kept.contact_deadline == old.contact_deadline


def test_a_policy_cannot_be_backdated(uow) -> None:  # type: ignore[no-untyped-def]
    """Rule V6: history is not rewritten."""
    backdated = VisitPolicy("v2", MONDAY, 1, timedelta(hours=24), ())
    with pytest.raises(FailedPrecondition) as info:
        create_policy(uow, CITY, backdated, _clock)
    assert info.value.rule == "V6"


def test_only_the_city_sets_the_policy(uow) -> None:  # type: ignore[no-untyped-def]
    later = VisitPolicy("v2", MONDAY + timedelta(days=30), 1, timedelta(hours=24), ())
    with pytest.raises(PermissionDenied):
        create_policy(uow, CHIEF, later, _clock)


def test_the_extra_checks_are_a_dated_setting_of_the_policy(uow, client) -> None:  # type: ignore[no-untyped-def]
    """Rule V2 (issue 7, bug 5): the text names five checks; food source and feeding oneself
    are our defaults, asked while the policy in effect names them, and not once a later
    version drops them. The text's five stay required under any version."""
    from visit_svc.domain.policy import default_policy

    assert default_policy(MONDAY).extra_checks == (
        CheckItem.FOOD_SOURCE,
        CheckItem.ABLE_TO_FEED_SELF,
    )
    short = visit("persons/p1", cst(MONDAY, 9))
    del short.checks[CheckItem.FOOD_SOURCE], short.checks[CheckItem.ABLE_TO_FEED_SELF]
    with pytest.raises(InvalidArgument) as info:
        _record(uow, client, replace_checks(short))
    assert [f.field for f in info.value.violations] == [
        "visit.checks.food_source",
        "visit.checks.able_to_feed_self",
    ]
    lighter = VisitPolicy("v2", MONDAY + timedelta(days=1), 1, timedelta(hours=24), (), ())
    uow.state.policies.append(lighter)  # as if created before MONDAY
    later = replace_checks(short, visited_at=cst(MONDAY + timedelta(days=1), 9))
    assert _record(uow, client, later).name
    del later.checks[CheckItem.ILLNESS]
    with pytest.raises(InvalidArgument) as info:
        _record(uow, client, replace_checks(later, checks=dict(later.checks)))
    assert [f.field for f in info.value.violations] == ["visit.checks.illness"]


def test_an_extra_check_already_asked_is_refused(uow) -> None:  # type: ignore[no-untyped-def]
    """Rule V2: an extra check names one of the other five, once."""
    later = VisitPolicy(
        "v2", MONDAY + timedelta(days=30), 1, timedelta(hours=24), (),
        (CheckItem.ILLNESS, CheckItem.MENTAL_STATE, CheckItem.MENTAL_STATE),
    )  # fmt: skip
    with pytest.raises(InvalidArgument) as info:
        create_policy(uow, CITY, later, _clock)
    assert [f.field for f in info.value.violations] == [
        "policy.extra_checks[0]",
        "policy.extra_checks[2]",
    ]


def test_a_person_found_unable_to_feed_themselves_gets_a_reassessment_once(uow, client) -> None:  # type: ignore[no-untyped-def]
    """Rules R3, R4 (issue 7, bug 4): the first indicator of self-care failing at a visit is a
    reported change: the roster opens the re-assessment, dated the visit's day in China
    time, with a request id derived from the visit, so the retry opens nothing more."""
    from visit_svc.service_layer.visits import reassessment_request_id

    at = cst(MONDAY, 7, 30)  # 2026-11-15 23:30 UTC: the day is Monday in China
    v = visit("persons/p1", at, problems=(CheckItem.ABLE_TO_FEED_SELF,))
    _record(uow, client, v, request_id="r-1")
    (opened,) = client.reassessments
    assert (opened.person, opened.reported) == ("persons/p1", MONDAY)
    assert opened.request_id == reassessment_request_id("persons/p1", at)
    # The roster answered but this service failed to commit: the retry sends the same id.
    uow.state.visits.clear(), uow.state.request_ids.clear()
    _record(uow, client, visit("persons/p1", at, problems=(CheckItem.ABLE_TO_FEED_SELF,)), "r-1")
    assert len(client.reassessments) == 1
    _record(uow, client, visit("persons/p1", cst(MONDAY, 15), problems=(CheckItem.ILLNESS,)))
    assert len(client.reassessments) == 1
