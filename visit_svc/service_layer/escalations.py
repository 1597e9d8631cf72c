"""Use cases on escalations (rules V3-V6, V8): each step of the lifecycle in its own unit of work
with its ledger entry (V7); the lists of what is due soon and overdue, computed when asked."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sgz_runtime import names, paging
from sgz_runtime.errors import InvalidArgument, NotFound
from sgz_runtime.i18n import ZH, tr
from sgz_runtime.identity import Caller, ScopeLevel
from visit_svc.adapters.roster_client import RosterClient
from visit_svc.domain.escalations import ContactChannel, Escalation, Outcome
from visit_svc.domain.policy import Action, policy_on
from visit_svc.domain.timeline import PersonStatus
from visit_svc.domain.visits import body_hash
from visit_svc.domain.weeks import local_date
from visit_svc.service_layer import common
from visit_svc.service_layer.unit_of_work import VisitUnitOfWork


class View(enum.Enum):
    #: Every escalation, in the order opened.
    ALL = "all"
    #: Neither resolved nor cancelled.
    OPEN = "open"
    #: Open, with the next step's deadline within the due-soon window.
    DUE_SOON = "due_soon"
    #: Open, with the next step's deadline passed and the step not done (rule V6).
    OVERDUE = "overdue"


def get_escalation(uow: VisitUnitOfWork, caller: Caller, name: str) -> Escalation:
    (escalation_id,) = names.parse("name", name, "escalations")
    with uow:
        found = uow.escalations.get(escalation_id)
    if found is None:
        raise NotFound(name)
    common.require_sees(caller, name, found.town, found.village, found.worker)
    return found


def list_escalations(
    uow: VisitUnitOfWork,
    caller: Caller,
    parent: str,
    worker: str,
    view: View,
    within: timedelta | None,
    page_size: int,
    page_token: str,
    clock: common.Clock,
    *,
    roster: RosterClient | None = None,
) -> tuple[list[Escalation], str]:
    """A town's or village's escalations (or one worker's there) in the view asked for.
    Overdue and due soon are decided now, from the deadlines fixed when each was opened.
    With the roster, the open escalations of persons who left care at home are closed first
    (close_departed), so no list shows them as still to do."""
    parts = parent.split("/")
    if len(parts) == 2:
        names.parse("parent", parent, "towns")
        village = None
    else:
        names.parse("parent", parent, "towns", "villages")
        village = parent
    town = "/".join(parts[:2])
    if worker:
        names.parse("worker", worker, "workers")
    if caller.scope_level is ScopeLevel.CASELOAD:
        worker = caller.scope
    else:
        in_village = caller.scope_level is not ScopeLevel.VILLAGE or village == caller.scope
        if not in_village or not caller.sees_town(town):
            raise NotFound(parent)
    if within is not None and within <= timedelta(0):
        raise InvalidArgument.field("within", tr("must be positive"))
    query = {"parent": parent, "worker": worker, "view": view.value}
    page = paging.parse(page_size, page_token, query)
    try:
        after = int(page.after) if page.after is not None else None
    except ValueError:
        raise InvalidArgument.field("page_token", tr("is not a token this method issued")) from None
    now = clock()
    if roster is not None and caller.scope_level is not ScopeLevel.CASELOAD:
        close_departed(uow, roster, caller, parent, now)
    with uow:
        window = within or policy_on(uow.policies.list(), local_date(now)).due_soon
        keep: Callable[[Escalation], bool] = {
            View.ALL: lambda e: True,
            View.OPEN: lambda e: True,
            View.DUE_SOON: lambda e: e.due_soon(now, window),
            View.OVERDUE: lambda e: e.pending_overdue(now),
        }[view]
        found: list[tuple[int, Escalation]] = []
        more = False
        while True:
            batch = uow.escalations.list(
                town, village, worker or None, view is not View.ALL, after, page.size + 1
            )
            for seq, escalation in batch:
                if keep(escalation):
                    found.append((seq, escalation))
            if len(found) > page.size:
                more = True
                break
            if len(batch) <= page.size:
                break
            after = batch[-1][0]
    found = found[: page.size]
    return [e for _, e in found], paging.next_token(str(found[-1][0]) if more else None, query)


def _step(
    uow: VisitUnitOfWork,
    caller: Caller,
    name: str,
    request_id: str,
    method: str,
    body: dict[str, Any],
    apply: Callable[[Escalation], tuple[str, datetime, dict[str, Any]]],
    then: Callable[[Escalation], None] | None = None,
) -> Escalation:
    """Loads, applies one transition, saves, and appends its ledger entry, in one unit of work.
    `apply` returns the ledger kind, when the step happened and its payload; `then` does what
    follows from it in the same unit of work."""
    common.require_writer(caller)
    common.check_request_id(request_id)
    (escalation_id,) = names.parse("name", name, "escalations")
    fingerprint = body_hash({"name": name, **body})
    with uow:
        escalation = uow.escalations.get(escalation_id)
        if escalation is None:
            raise NotFound(name)
        common.require_sees(caller, name, escalation.town, escalation.village, escalation.worker)
        if common.replayed(uow, request_id, method, fingerprint) is not None:
            return escalation
        kind, at, payload = apply(escalation)
        uow.escalations.save(escalation)
        _append(uow, caller, escalation, kind, at, payload)
        if then is not None:
            then(escalation)
        common.remember(uow, request_id, method, fingerprint, escalation.name)
        uow.commit()
    return escalation


def _append(
    uow: VisitUnitOfWork,
    caller: Caller,
    escalation: Escalation,
    kind: str,
    at: datetime,
    payload: dict[str, Any],
) -> None:
    """The step's ledger entry (rule V7)."""
    uow.ledger.append(
        escalation.town,
        kind,
        escalation.name,
        caller.subject,
        at,
        {
            "person": escalation.person,
            "village": escalation.village,
            "worker": escalation.worker,
            "visit": f"visits/{escalation.visit_id}",
            "escalation": escalation.name,
            "action": escalation.action.value,
            "urgency": escalation.urgency.value,
            **payload,
        },
    )


#: Rules R6, V8: statuses that end care at home for good (a hospital stay does not).
DEPARTED = (PersonStatus.IN_INSTITUTION, PersonStatus.DECEASED, PersonStatus.EXITED)

_DEPARTURE_REASON = {
    PersonStatus.IN_INSTITUTION: tr(
        "closed: the person moved to a care institution on {day} (rule {rule})"
    ),
    PersonStatus.DECEASED: tr("closed: the person died on {day} (rule {rule})"),
    PersonStatus.EXITED: tr("closed: the person left dispersed support on {day} (rule {rule})"),
}


def _close_open_of(
    uow: VisitUnitOfWork,
    caller: Caller,
    person: str,
    status: PersonStatus,
    since: date,
    rule: str,
    now: datetime,
    keep: str = "",
) -> int:
    """Closes the person's open escalations (but `keep`) with the reason, each with its
    ledger entry, in the caller's unit of work; returns how many."""
    template = _DEPARTURE_REASON[status]
    # Stored text the town reads in the ledger export: rendered in Chinese.
    reason = tr(template.msgid, day=since.isoformat(), rule=rule).render(ZH)
    closed = 0
    for action in Action:
        escalation = uow.escalations.open_for(person, action)
        if escalation is None or escalation.id == keep:
            continue
        at = max(now, escalation.last_step_at)
        escalation.cancel(reason, at, at)
        uow.escalations.save(escalation)
        _append(uow, caller, escalation, "cancellation", at, {"reason": reason})
        closed += 1
    return closed


def close_departed(
    uow: VisitUnitOfWork, roster: RosterClient, caller: Caller, parent: str, now: datetime
) -> int:
    """Rules R6, V8 (issue 7): the open escalations of persons of a town or village who died,
    left, or moved to an institution according to the roster today are closed, each with the
    reason and a ledger entry. Returns how many were closed."""
    today = local_date(now)
    departed: list[tuple[str, PersonStatus, date]] = []
    for timeline in roster.person_timelines(parent, None, today, today):
        current = timeline.status_on(today)
        if current in DEPARTED:
            assert current is not None
            since = max(s.start for s in timeline.statuses if s.status is current)
            departed.append((timeline.person, current, since))
    if not departed:
        return 0
    closed = 0
    with uow:
        for person, current, since in departed:
            rule = "V8" if current is PersonStatus.IN_INSTITUTION else "R6"
            closed += _close_open_of(uow, caller, person, current, since, rule, now)
        if closed:
            uow.commit()
    return closed


def notify_contact(
    uow: VisitUnitOfWork,
    caller: Caller,
    name: str,
    contact_name: str,
    channel: ContactChannel,
    at: datetime,
    note: str,
    request_id: str,
    clock: common.Clock,
) -> Escalation:
    """Rules V3-V5: who at the village was told, when and how. Before the visit is refused."""

    def apply(e: Escalation) -> tuple[str, datetime, dict[str, Any]]:
        e.notify_contact(contact_name, channel, at, note, clock())
        return (
            "contact",
            at,
            {
                "contact_name": contact_name,
                "contact_at": at.isoformat(),
                "contact_method": channel.value,
                "contact_deadline": e.contact_deadline.isoformat(),
                "within_deadline": not e.contact_overdue(at),
                "note": note,
            },
        )

    body = {"contact": contact_name, "channel": channel.value, "at": at.isoformat(), "note": note}
    return _step(uow, caller, name, request_id, "NotifyVillageContact", body, apply)


def arrange_action(
    uow: VisitUnitOfWork,
    caller: Caller,
    name: str,
    action: Action,
    action_date: date,
    at: datetime,
    note: str,
    request_id: str,
    clock: common.Clock,
) -> Escalation:
    """The village arranged cleaning, a hospital or an institution admission, for a date."""

    def apply(e: Escalation) -> tuple[str, datetime, dict[str, Any]]:
        e.arrange(action, action_date, at, note, clock())
        return (
            "arrangement",
            at,
            {
                "arranged_action": action.value,
                "arranged_date": action_date.isoformat(),
                "arranged_at": at.isoformat(),
                "action_deadline": e.action_deadline.isoformat(),
                "within_deadline": not e.action_overdue(at),
                "note": note,
            },
        )

    body = {
        "action": action.value,
        "date": action_date.isoformat(),
        "at": at.isoformat(),
        "note": note,
    }
    return _step(uow, caller, name, request_id, "ArrangeEscalationAction", body, apply)


def record_assistance(
    uow: VisitUnitOfWork,
    caller: Caller,
    name: str,
    at: datetime,
    note: str,
    request_id: str,
    clock: common.Clock,
) -> Escalation:
    """Rules V4, V5: the worker's help with the procedures."""

    def apply(e: Escalation) -> tuple[str, datetime, dict[str, Any]]:
        e.record_assistance(at, note, clock())
        return "assistance", at, {"note": note}

    body = {"at": at.isoformat(), "note": note}
    return _step(uow, caller, name, request_id, "RecordEscalationAssistance", body, apply)


def cancel_escalation(
    uow: VisitUnitOfWork,
    caller: Caller,
    name: str,
    reason: str,
    at: datetime,
    request_id: str,
    clock: common.Clock,
) -> Escalation:
    def apply(e: Escalation) -> tuple[str, datetime, dict[str, Any]]:
        e.cancel(reason, at, clock())
        return "cancellation", at, {"reason": reason}

    body = {"reason": reason, "at": at.isoformat()}
    return _step(uow, caller, name, request_id, "CancelEscalation", body, apply)


def roster_request_id(escalation_id: str) -> str:
    """Rule V8: derived from the escalation, so every retry of the move sends the same id."""
    return f"visit-escalation-{escalation_id}-institution"


def resolve_escalation(
    uow: VisitUnitOfWork,
    roster: RosterClient,
    caller: Caller,
    name: str,
    outcome: Outcome,
    outcome_date: date | None,
    at: datetime,
    note: str,
    request_id: str,
    clock: common.Clock,
) -> Escalation:
    """Resolves with the outcome. An institution admission done (rule V8) first changes the
    person's status in the roster from outcome_date, with a request id derived from the
    escalation, and only then records the resolution.

    If the roster cannot be reached or refuses, nothing is recorded here and the error is
    returned: the call is retried as a whole, and the roster applies the change at most once
    because the request id is the same on every try. If the roster applied it but this
    service then failed to commit, the same retry completes it (the roster answers the
    repeated id with the same result); meanwhile the roster already stops the weekly due.
    """
    body = {
        "outcome": outcome.value,
        "outcome_date": outcome_date.isoformat() if outcome_date else "",
        "at": at.isoformat(),
        "note": note,
    }
    (escalation_id,) = names.parse("name", name, "escalations")
    move = outcome is Outcome.ADMITTED_TO_INSTITUTION
    roster_id = roster_request_id(escalation_id) if move else None
    if move:
        # Check everything local first, so the roster is told only of a resolution that will
        # be recorded; nothing is written in this unit of work.
        with uow:
            escalation = uow.escalations.get(escalation_id)
            if escalation is None:
                raise NotFound(name)
            common.require_writer(caller)
            common.require_sees(
                caller, name, escalation.town, escalation.village, escalation.worker
            )
            fingerprint = body_hash({"name": name, **body})
            if common.replayed(uow, request_id, "ResolveEscalation", fingerprint) is not None:
                return escalation
            escalation.check_resolution(outcome, outcome_date, at, clock())
        assert outcome_date is not None and roster_id is not None
        roster.change_person_status(
            escalation.person,
            PersonStatus.IN_INSTITUTION,
            outcome_date,
            f"rule V8: admitted to a care institution ({name})",
            roster_id,
        )

    def apply(e: Escalation) -> tuple[str, datetime, dict[str, Any]]:
        e.resolve(outcome, outcome_date, at, note, clock(), roster_id)
        payload: dict[str, Any] = {
            "outcome": outcome.value,
            "outcome_date": outcome_date.isoformat() if outcome_date else "",
            "note": note,
        }
        if roster_id:
            payload["roster_status"] = PersonStatus.IN_INSTITUTION.value
            payload["roster_request_id"] = roster_id
        return "outcome", at, payload

    def close_others(e: Escalation) -> None:
        # Rule V8 (issue 7): living in an institution, the person needs no cleaning or
        # hospital arrangement at home any more.
        if move and outcome_date is not None:
            now = clock()
            _close_open_of(
                uow, caller, e.person, PersonStatus.IN_INSTITUTION, outcome_date, "V8", now, e.id
            )

    return _step(uow, caller, name, request_id, "ResolveEscalation", body, apply, close_others)
