"""Use cases on visits: recording one (rules V2, V9, and V3-V6 for its findings), reading them."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sgz_runtime import names, paging
from sgz_runtime.china_time import CST
from sgz_runtime.errors import Aborted, InvalidArgument, NotFound, PermissionDenied
from sgz_runtime.i18n import ZH, tr
from sgz_runtime.identity import Caller, ScopeLevel
from visit_svc.adapters.roster_client import RosterClient
from visit_svc.domain.escalations import Escalation, open_escalation
from visit_svc.domain.policy import plan_escalations, policy_on
from visit_svc.domain.visits import (
    CheckItem,
    Visit,
    admit_visit,
    check_checks,
    visit_fingerprint,
)
from visit_svc.domain.weeks import local_date
from visit_svc.service_layer import common
from visit_svc.service_layer.unit_of_work import VisitUnitOfWork

METHOD = "CreateVisit"


def visit_payload(visit: Visit) -> dict[str, Any]:
    """What the work ledger keeps of a visit (rule V7)."""
    return {
        "person": visit.person,
        "village": visit.village,
        "worker": visit.worker,
        "visit": visit.name,
        "visited_at": visit.visited_at.isoformat(),
        "substitute_for": visit.substitute_for or "",
        "checks": {
            item.value: {"value": check.result.value, "note": check.note}
            for item, check in visit.checks.items()
        },
        "findings": [f.value for f in visit.findings()],
        "note": visit.notes,
    }


def escalation_payload(escalation: Escalation) -> dict[str, Any]:
    return {
        "person": escalation.person,
        "village": escalation.village,
        "worker": escalation.worker,
        "visit": f"visits/{escalation.visit_id}",
        "escalation": escalation.name,
        "findings": [f.value for f in escalation.findings],
        "urgency": escalation.urgency.value,
        "action": escalation.action.value,
        "policy_version": escalation.policy_version,
        "contact_deadline": escalation.contact_deadline.isoformat(),
        "action_deadline": escalation.action_deadline.isoformat(),
    }


def record_visit(
    uow: VisitUnitOfWork,
    roster: RosterClient,
    caller: Caller,
    visit: Visit,
    request_id: str,
    *,
    clock: common.Clock,
    skew: timedelta,
) -> Visit:
    """Records a visit and, in the same transaction, the escalations its findings call for
    and their ledger entries. A retry with the same request id returns the same visit."""
    common.require_writer(caller)
    common.check_request_id(request_id)
    names.parse("visit.person", visit.person, "persons")
    names.parse("visit.worker", visit.worker, "workers")
    if visit.visited_at.tzinfo is None:
        raise InvalidArgument.field("visit.visit_time", tr("must carry a time zone"))
    visit.visited_at = visit.visited_at.astimezone(UTC)
    if caller.scope_level is ScopeLevel.CASELOAD and caller.scope != visit.worker:
        raise PermissionDenied(tr("a worker records only their own visits"))
    fingerprint = visit_fingerprint(visit)
    with uow:
        if request_id:  # a retry is answered before the roster is asked again
            done = common.replayed(uow, request_id, METHOD, fingerprint)
            if done is not None:
                return _existing(uow, caller, done)
        # Rule V2: the extra checks are those of the policy of the visit's day.
        policy = policy_on(uow.policies.list(), local_date(visit.visited_at))
    check_checks(visit.checks, policy.extra_checks)
    now = clock()
    day = local_date(visit.visited_at)
    try:
        # Rule V9 (issue 7): asked fresh, so a reassignment or status change just made in the
        # roster is seen; a cached timeline could admit a worker reassigned away.
        timeline = roster.person_timeline(visit.person, day, day, fresh=True)
    except NotFound:
        raise NotFound(visit.person) from None
    common.require_sees(caller, visit.person, timeline.town, timeline.village, visit.worker)
    visit.substitute_for = admit_visit(timeline, visit.worker, visit.visited_at, now, skew=skew)
    if CheckItem.ABLE_TO_FEED_SELF in visit.findings():
        # Rules R3, R4 (issue 7): the first self-care indicator failing is a reported change;
        # the roster is asked first, with an id derived from the visit, as for rule V8.
        description = tr(
            "the visit of {time} by {worker} found the person unable to feed themselves "
            "(rule {rule})",
            time=visit.visited_at.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
            worker=visit.worker,
            rule="R4",
        ).render(ZH)
        roster.open_reassessment(
            visit.person,
            day,
            description,
            reassessment_request_id(visit.person, visit.visited_at),
        )
    visit.town, visit.village = timeline.town, timeline.village
    visit.id = uuid.uuid4().hex
    visit.recorded_by, visit.recorded_at = caller.subject, now
    try:
        return _record(uow, caller, visit, request_id, fingerprint, now)
    except Aborted:
        # A concurrent retry with the same request id won the race: return what it made.
        with uow:
            done = common.replayed(uow, request_id, METHOD, fingerprint)
            if done is None:
                raise
            return _existing(uow, caller, done)


def reassessment_request_id(person: str, visited_at: datetime) -> str:
    """Rule R4: derived from the visit (its person and moment), so every retry of the visit
    sends the same id and the roster opens one re-assessment."""
    digest = hashlib.sha256(f"{person}|{visited_at.astimezone(UTC).isoformat()}".encode())
    return f"visit-r4-{digest.hexdigest()[:40]}"


def _existing(uow: VisitUnitOfWork, caller: Caller, name: str) -> Visit:
    found = uow.visits.get(name.removeprefix("visits/"))
    if found is None:  # the request id outlived its visit: impossible while rows are kept
        raise NotFound(name)
    common.require_sees(caller, name, found.town, found.village, found.worker)
    return found


def _record(
    uow: VisitUnitOfWork,
    caller: Caller,
    visit: Visit,
    request_id: str,
    fingerprint: str,
    now: datetime,
) -> Visit:
    with uow:
        policy = policy_on(uow.policies.list(), local_date(visit.visited_at))
        uow.visits.add(visit)
        uow.ledger.append(
            visit.town, "visit", visit.name, caller.subject, visit.visited_at, visit_payload(visit)
        )
        for planned in plan_escalations(policy, visit.findings()):
            if uow.escalations.open_for(visit.person, planned.action) is not None:
                # The same action is already under way for this person: its deadlines stand,
                # and the visit's ledger entry records the finding again.
                continue
            escalation = open_escalation(
                uuid.uuid4().hex,
                planned,
                visit_id=visit.id,
                person=visit.person,
                town=visit.town,
                village=visit.village,
                worker=visit.worker,
                visit_at=visit.visited_at,
                now=now,
            )
            uow.escalations.add(escalation)
            uow.ledger.append(
                visit.town,
                "escalation",
                escalation.name,
                caller.subject,
                visit.visited_at,
                escalation_payload(escalation),
            )
            visit.escalations.append(escalation.name)
        common.remember(uow, request_id, METHOD, fingerprint, visit.name)
        uow.commit()
    return visit


def get_visit(uow: VisitUnitOfWork, caller: Caller, name: str) -> Visit:
    (visit_id,) = names.parse("name", name, "visits")
    with uow:
        visit = uow.visits.get(visit_id)
    if visit is None:
        raise NotFound(name)
    common.require_sees(caller, name, visit.town, visit.village, visit.worker)
    return visit


def list_visits(
    uow: VisitUnitOfWork, caller: Caller, person: str, page_size: int, page_token: str
) -> tuple[list[Visit], str]:
    """A person's visits, oldest first; those outside the caller's scope are left out."""
    names.parse("person", person, "persons")
    query = {"person": person}
    page = paging.parse(page_size, page_token, query)
    try:
        after = int(page.after) if page.after is not None else None
    except ValueError:
        raise InvalidArgument.field("page_token", tr("is not a token this method issued")) from None
    with uow:
        rows = uow.visits.list_for_person(person, after, page.size + 1)
    more = len(rows) > page.size
    rows = rows[: page.size]
    token = paging.next_token(str(rows[-1][0]) if more else None, query)
    visible = [v for _, v in rows if common.sees(caller, v.town, v.village, v.worker)]
    return visible, token
