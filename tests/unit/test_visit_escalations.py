"""The escalation lifecycle (rules V3-V6), its deadlines computed when asked, and the move to an
institution through the roster (rule V8), each step with its ledger entry (V7)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from sgz_runtime.errors import FailedPrecondition, InvalidArgument, Unavailable
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.visit_fakes import TOWN, VILLAGE, FakeVisitUnitOfWork, cst, roster, timeline, visit
from visit_svc.adapters.roster_client import FakeRosterClient
from visit_svc.domain.escalations import ContactChannel, Escalation, Outcome, State
from visit_svc.domain.policy import Action
from visit_svc.domain.timeline import PersonStatus
from visit_svc.domain.visits import CheckItem
from visit_svc.domain.weeks import IsoWeek
from visit_svc.service_layer import escalations as use
from visit_svc.service_layer.due import weekly_due
from visit_svc.service_layer.visits import record_visit

CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, TOWN)
MONDAY = date(2026, 11, 16)
VISIT_AT = cst(MONDAY, 9)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(cst(MONDAY, 9, 30))


@pytest.fixture
def uow() -> FakeVisitUnitOfWork:
    return FakeVisitUnitOfWork()


@pytest.fixture
def client() -> FakeRosterClient:
    return roster(timeline("persons/p1"))


def _open(
    uow: FakeVisitUnitOfWork, client: FakeRosterClient, clock: Clock, finding: CheckItem
) -> Escalation:
    record_visit(
        uow,
        client,
        CHIEF,
        visit("persons/p1", VISIT_AT, problems=(finding,)),
        "",
        clock=clock,
        skew=timedelta(0),
    )
    return [e for e in uow.state.escalations.values() if finding in e.findings][-1]


def _notify(uow, clock, e: Escalation, at: datetime, request_id: str = "") -> Escalation:  # type: ignore[no-untyped-def]
    return use.notify_contact(
        uow, CHIEF, e.name, "王红", ContactChannel.PHONE, at, "told by phone", request_id, clock
    )


def _arrange(uow, clock, e: Escalation, at: datetime, action: Action) -> Escalation:  # type: ignore[no-untyped-def]
    return use.arrange_action(uow, CHIEF, e.name, action, at.date(), at, "", "", clock)


def test_a_cleaning_escalation_goes_through_its_steps_each_in_the_ledger(
    uow: FakeVisitUnitOfWork, client: FakeRosterClient, clock: Clock
) -> None:
    """Rules V3, V7: cleaning needs no assistance step."""
    e = _open(uow, client, clock, CheckItem.RESIDENCE_HYGIENE)
    clock.now = cst(MONDAY, 18)
    e = _notify(uow, clock, e, cst(MONDAY, 11))
    assert e.state is State.CONTACT_NOTIFIED and not e.contact_overdue(clock.now)
    e = _arrange(uow, clock, e, cst(MONDAY, 17), Action.CLEANING)
    e = use.resolve_escalation(
        uow, client, CHIEF, e.name, Outcome.CLEANED, None, cst(MONDAY, 18), "clean", "", clock
    )
    assert e.state is State.RESOLVED
    assert uow.ledger_kinds(TOWN) == ["visit", "escalation", "contact", "arrangement", "outcome"]
    contact = uow.state.ledger.entries[TOWN][2]
    assert contact.payload["contact_name"] == "王红" and contact.payload["within_deadline"]


def test_steps_out_of_order_are_refused_and_write_nothing(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    """Rule V4: no arrangement before the village contact is notified."""
    e = _open(uow, client, clock, CheckItem.HOUSE_SAFETY)
    with pytest.raises(FailedPrecondition) as info:
        _arrange(uow, clock, e, cst(MONDAY, 9, 20), Action.INSTITUTION_ADMISSION)
    assert info.value.rule == "V4"
    with pytest.raises(FailedPrecondition):
        use.record_assistance(uow, CHIEF, e.name, cst(MONDAY, 9, 20), "forms", "", clock)
    assert uow.state.escalations[e.id].state is State.OPENED
    assert uow.ledger_kinds(TOWN) == ["visit", "escalation"]


def test_a_contact_time_before_the_visit_is_refused(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    """Rule V3."""
    e = _open(uow, client, clock, CheckItem.PERSONAL_HYGIENE)
    with pytest.raises(FailedPrecondition) as info:
        _notify(uow, clock, e, VISIT_AT - timedelta(minutes=5))
    assert info.value.rule == "V3" and "before the visit" in info.value.message
    with pytest.raises(FailedPrecondition):
        _notify(uow, clock, e, clock.now + timedelta(hours=1))
    assert uow.state.escalations[e.id].contact_at is None


def test_an_admission_needs_the_workers_assistance_before_it_resolves(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    """Rules V4, V5: the worker assists with the procedures."""
    e = _open(uow, client, clock, CheckItem.ILLNESS)
    _notify(uow, clock, e, cst(MONDAY, 9, 10))
    _arrange(uow, clock, e, cst(MONDAY, 9, 20), Action.HOSPITAL_ADMISSION)
    with pytest.raises(FailedPrecondition) as info:
        use.resolve_escalation(
            uow,
            client,
            CHIEF,
            e.name,
            Outcome.ADMITTED_TO_HOSPITAL,
            None,
            cst(MONDAY, 9, 25),
            "",
            "",
            clock,
        )
    assert info.value.rule == "V5"
    use.record_assistance(uow, CHIEF, e.name, cst(MONDAY, 9, 25), "filled the forms", "", clock)
    done = use.resolve_escalation(
        uow,
        client,
        CHIEF,
        e.name,
        Outcome.ADMITTED_TO_HOSPITAL,
        None,
        cst(MONDAY, 9, 28),
        "",
        "",
        clock,
    )
    assert done.state is State.RESOLVED


def test_an_outcome_that_does_not_fit_the_action_is_refused(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    e = _open(uow, client, clock, CheckItem.RESIDENCE_HYGIENE)
    _notify(uow, clock, e, cst(MONDAY, 9, 10))
    _arrange(uow, clock, e, cst(MONDAY, 9, 20), Action.CLEANING)
    with pytest.raises(InvalidArgument):
        use.resolve_escalation(
            uow,
            client,
            CHIEF,
            e.name,
            Outcome.ADMITTED_TO_HOSPITAL,
            None,
            cst(MONDAY, 9, 25),
            "",
            "",
            clock,
        )


def test_overdue_and_due_soon_are_computed_when_asked(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    """Rule V6: the unsafe house (contact within 2 h) is overdue at 11:30 with no contact; the
    hygiene one (within 24 h) is due soon; nothing about it is stored."""
    house = _open(uow, client, clock, CheckItem.HOUSE_SAFETY)
    hygiene = _open(uow, client, clock, CheckItem.RESIDENCE_HYGIENE)
    clock.now = cst(MONDAY, 11, 30)

    def names(view: use.View) -> list[str]:
        found, _ = use.list_escalations(uow, CHIEF, TOWN, "", view, None, 50, "", clock)
        return [e.name for e in found]

    assert names(use.View.OVERDUE) == [house.name]
    assert names(use.View.DUE_SOON) == [hygiene.name]
    stored = uow.state.escalations[house.id]
    assert stored.state is State.OPENED  # no flag was written
    clock.now = cst(MONDAY + timedelta(days=1), 10)
    assert names(use.View.OVERDUE) == [house.name, hygiene.name]


def test_a_late_contact_stays_shown_as_having_missed_its_deadline(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    """Rule V6: done late is recorded, and the miss is still visible."""
    e = _open(uow, client, clock, CheckItem.FOOD_SOURCE)
    clock.now = cst(MONDAY, 15)
    e = _notify(uow, clock, e, cst(MONDAY, 14))
    assert e.contact_overdue(clock.now)
    assert uow.state.ledger.entries[TOWN][-1].payload["within_deadline"] is False


def test_a_cancelled_escalation_needs_a_reason_and_cannot_be_cancelled_twice(
    uow: FakeVisitUnitOfWork, client: FakeRosterClient, clock: Clock
) -> None:
    e = _open(uow, client, clock, CheckItem.ILLNESS)
    with pytest.raises(InvalidArgument):
        use.cancel_escalation(uow, CHIEF, e.name, " ", cst(MONDAY, 9, 20), "", clock)
    use.cancel_escalation(uow, CHIEF, e.name, "false alarm", cst(MONDAY, 9, 20), "", clock)
    with pytest.raises(FailedPrecondition):
        use.cancel_escalation(uow, CHIEF, e.name, "again", cst(MONDAY, 9, 25), "", clock)
    assert uow.ledger_kinds(TOWN)[-1] == "cancellation"


def test_a_retried_step_returns_the_escalation_unchanged(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    """AIP-155 on transitions: the retry does not fail as out of order."""
    e = _open(uow, client, clock, CheckItem.ILLNESS)
    first = _notify(uow, clock, e, cst(MONDAY, 9, 10), "n-1")
    again = _notify(uow, clock, e, cst(MONDAY, 9, 10), "n-1")
    assert again.state is State.CONTACT_NOTIFIED and again.version == first.version
    assert uow.ledger_kinds(TOWN).count("contact") == 1


def _ready_for_admission(uow, client, clock) -> Escalation:  # type: ignore[no-untyped-def]
    e = _open(uow, client, clock, CheckItem.HOUSE_SAFETY)
    _notify(uow, clock, e, cst(MONDAY, 9, 10))
    _arrange(uow, clock, e, cst(MONDAY, 9, 20), Action.INSTITUTION_ADMISSION)
    use.record_assistance(uow, CHIEF, e.name, cst(MONDAY, 9, 25), "forms", "", clock)
    clock.now = cst(MONDAY + timedelta(days=2), 12)
    return e


def _admit(uow, client, clock, e: Escalation) -> Escalation:  # type: ignore[no-untyped-def]
    return use.resolve_escalation(
        uow,
        client,
        CHIEF,
        e.name,
        Outcome.ADMITTED_TO_INSTITUTION,
        MONDAY + timedelta(days=2),
        cst(MONDAY + timedelta(days=2), 11),
        "moved",
        "",
        clock,
    )


def test_an_admission_done_changes_the_roster_status_and_ends_the_weekly_due(
    uow: FakeVisitUnitOfWork, client: FakeRosterClient, clock: Clock
) -> None:
    """Rule V8."""
    e = _ready_for_admission(uow, client, clock)
    done = _admit(uow, client, clock, e)
    assert done.state is State.RESOLVED
    (change,) = client.changes
    assert change.status is PersonStatus.IN_INSTITUTION
    assert change.effective == MONDAY + timedelta(days=2)
    assert change.request_id == use.roster_request_id(e.id) == done.roster_request_id
    week = IsoWeek.of(MONDAY)
    assert weekly_due(uow, client, CHIEF, VILLAGE, "", week.next()).due == []
    assert uow.state.ledger.entries[TOWN][-1].payload["roster_status"] == "in_institution"


def test_an_unreachable_roster_leaves_nothing_half_done_and_the_retry_completes_once(
    uow: FakeVisitUnitOfWork, client: FakeRosterClient, clock: Clock
) -> None:
    """Rule V8: roster first with a derived request id; nothing recorded here on failure."""
    e = _ready_for_admission(uow, client, clock)
    client.down = True
    with pytest.raises(Unavailable):
        _admit(uow, client, clock, e)
    assert uow.state.escalations[e.id].state is State.ASSISTANCE_RECORDED
    assert uow.ledger_kinds(TOWN)[-1] == "assistance"
    client.down = False
    assert _admit(uow, client, clock, e).state is State.RESOLVED
    assert len(client.changes) == 1


def test_a_roster_change_applied_before_a_local_failure_is_completed_by_the_retry(
    uow: FakeVisitUnitOfWork, client: FakeRosterClient, clock: Clock
) -> None:
    """Rule V8: the roster saw the change, this service crashed before committing; the same
    call again sends the same request id, which the roster answers without a second change."""
    e = _ready_for_admission(uow, client, clock)
    client.change_person_status(
        "persons/p1",
        PersonStatus.IN_INSTITUTION,
        MONDAY + timedelta(days=2),
        f"rule V8: admitted to a care institution ({e.name})",
        use.roster_request_id(e.id),
    )
    assert _admit(uow, client, clock, e).state is State.RESOLVED
    assert len(client.changes) == 1


def test_a_roster_refusal_is_returned_with_its_rule_and_nothing_is_recorded(
    uow: FakeVisitUnitOfWork, client: FakeRosterClient, clock: Clock
) -> None:
    e = _ready_for_admission(uow, client, clock)
    client.change_person_status(
        "persons/p1", PersonStatus.DECEASED, MONDAY + timedelta(days=2), "died", "other"
    )
    with pytest.raises(FailedPrecondition) as info:
        _admit(uow, client, clock, e)
    assert info.value.rule == "R6"
    assert uow.state.escalations[e.id].state is State.ASSISTANCE_RECORDED


def test_an_admission_without_its_date_is_refused_citing_v8(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    e = _ready_for_admission(uow, client, clock)
    with pytest.raises(InvalidArgument) as info:
        use.resolve_escalation(
            uow,
            client,
            CHIEF,
            e.name,
            Outcome.ADMITTED_TO_INSTITUTION,
            None,
            cst(MONDAY + timedelta(days=2), 11),
            "",
            "",
            clock,
        )
    assert info.value.rule == "V8"
    assert client.changes == []


def test_a_declined_admission_resolves_without_the_later_steps(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    """Rule V4: the person may refuse the move; the escalation closes with that outcome and
    the roster is not touched."""
    e = _open(uow, client, clock, CheckItem.HOUSE_SAFETY)
    with pytest.raises(FailedPrecondition):
        use.resolve_escalation(
            uow, client, CHIEF, e.name, Outcome.DECLINED_BY_PERSON, None,
            cst(MONDAY, 9, 20), "", "", clock,
        )  # fmt: skip
    _notify(uow, clock, e, cst(MONDAY, 9, 10))
    done = use.resolve_escalation(
        uow, client, CHIEF, e.name, Outcome.DECLINED_BY_PERSON, None,
        cst(MONDAY, 9, 20), "本人拒绝入住", "", clock,
    )  # fmt: skip
    assert done.state is State.RESOLVED and client.changes == []


def test_an_escalation_is_arranged_only_as_its_own_action(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    """Rules V3, V4 (issue 7, bug 1): a cleaning escalation cannot be turned into an
    institution admission and then resolved as admitted with no assistance recorded; a
    different need opens its own escalation at a visit. Nothing is written, the roster is
    not touched."""
    e = _open(uow, client, clock, CheckItem.RESIDENCE_HYGIENE)
    _notify(uow, clock, e, cst(MONDAY, 9, 10))
    with pytest.raises(InvalidArgument) as info:
        _arrange(uow, clock, e, cst(MONDAY, 9, 20), Action.INSTITUTION_ADMISSION)
    assert info.value.rule == "V3" and info.value.violations[0].field == "action"
    assert uow.state.escalations[e.id].state is State.CONTACT_NOTIFIED
    assert uow.ledger_kinds(TOWN)[-1] == "contact"
    with pytest.raises(InvalidArgument):
        use.resolve_escalation(
            uow, client, CHIEF, e.name, Outcome.ADMITTED_TO_INSTITUTION, MONDAY,
            cst(MONDAY, 9, 25), "", "", clock,
        )  # fmt: skip
    assert client.changes == []


def test_the_assistance_check_follows_the_action_even_from_a_stored_mismatch() -> None:
    """Rules V4, V8 (issue 7, bug 1): an escalation stored before the fix with a cleaning
    action but an institution arrangement still needs the worker's assistance before it is
    resolved as admitted."""
    from visit_svc.domain.policy import Urgency

    e = Escalation(
        id="e1", visit_id="v1", person="persons/p1", town=TOWN, village=VILLAGE,
        worker="workers/w1", findings=(CheckItem.RESIDENCE_HYGIENE,), urgency=Urgency.PROMPT,
        action=Action.CLEANING, policy_version="v1", assistance_required=False,
        visit_at=VISIT_AT, contact_deadline=VISIT_AT + timedelta(hours=24),
        action_deadline=VISIT_AT + timedelta(days=3), state=State.ACTION_ARRANGED,
        opened_at=VISIT_AT, contact_at=cst(MONDAY, 9, 10), arranged_at=cst(MONDAY, 9, 20),
        arranged_action=Action.INSTITUTION_ADMISSION, action_date=MONDAY,
    )  # fmt: skip
    with pytest.raises((FailedPrecondition, InvalidArgument)):
        e.check_resolution(
            Outcome.ADMITTED_TO_INSTITUTION, MONDAY, cst(MONDAY, 9, 30), cst(MONDAY, 10)
        )


def test_an_admission_done_closes_the_persons_other_open_escalations(uow, client, clock) -> None:  # type: ignore[no-untyped-def]
    """Rules V8, R6 (issue 7, bug 3): once the person lives in an institution, the cleaning
    and hospital escalations still open are closed with the reason, each in the ledger."""
    cleaning = _open(uow, client, clock, CheckItem.RESIDENCE_HYGIENE)
    hospital = _open(uow, client, clock, CheckItem.ILLNESS)
    e = _ready_for_admission(uow, client, clock)
    _admit(uow, client, clock, e)
    for other in (cleaning, hospital):
        closed = uow.state.escalations[other.id]
        assert closed.state is State.CANCELLED
        assert "V8" in (closed.cancel_reason or "")
    kinds = uow.ledger_kinds(TOWN)
    assert kinds[-3:] == ["outcome", "cancellation", "cancellation"]


def test_a_death_recorded_in_the_roster_closes_the_open_escalations_when_listed(
    uow: FakeVisitUnitOfWork, client: FakeRosterClient, clock: Clock
) -> None:
    """Rule R6 (issue 7, bug 3): the roster records the death; the next list of the town's
    escalations closes the person's open ones with the reason and a ledger entry each, and
    shows them no more as open."""
    e = _open(uow, client, clock, CheckItem.ILLNESS)
    client.change_person_status("persons/p1", PersonStatus.DECEASED, MONDAY, "died", "d-1")
    clock.now = cst(MONDAY, 12)
    found, _ = use.list_escalations(
        uow, CHIEF, TOWN, "", use.View.OPEN, None, 50, "", clock, roster=client
    )
    assert found == []
    closed = uow.state.escalations[e.id]
    assert closed.state is State.CANCELLED and "R6" in (closed.cancel_reason or "")
    assert uow.ledger_kinds(TOWN)[-1] == "cancellation"
