"""Use cases on caseloads: assignments of persons to workers, substitutes named by the chief,
and four-party agreements (rule R5)."""

from __future__ import annotations

import datetime as dt
import uuid

from roster_svc.adapters.hr_client import HrClient
from roster_svc.adapters.person_repository import AssignmentSpanRow, MissingAgreementRow
from roster_svc.domain.assignments import (
    Agreement,
    Assignment,
    Substitution,
    check_assignment_order,
    check_substitution,
    check_substitution_overlap,
    check_worker_name,
    check_worker_town,
)
from roster_svc.domain.history import status_spans, worker_spans
from roster_svc.domain.persons import STATUS_TEXT, Period, PersonStatus, as_of
from roster_svc.service_layer.persons import WRITERS, Deps, load_for_write, load_person
from roster_svc.service_layer.unit_of_work import RosterUnitOfWork
from sgz_runtime import names, paging
from sgz_runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel

#: Who names substitutes: the station chief, or the town head who runs the station.
CHIEFS = (Role.STATION_CHIEF, Role.TOWN_HEAD)


def _worker_town(hr: HrClient, worker: str) -> str | None:
    found = hr.get_worker(worker)
    return None if found is None else found.town


def _town(uow: RosterUnitOfWork, caller: Caller, parent: str) -> str:
    (town_id,) = names.parse("parent", parent, "towns")
    if caller.scope_level is ScopeLevel.CASELOAD or not caller.sees_town(parent):
        raise NotFound(parent)
    if uow.towns.get(town_id) is None:
        raise NotFound(parent)
    return town_id


def create_assignment(
    uow: RosterUnitOfWork,
    deps: Deps,
    hr: HrClient,
    caller: Caller,
    parent: str,
    worker: str,
    start_date: dt.date,
) -> Assignment:
    """A dispersed person (R1) to a worker of their own town (R5), after the latest (R6)."""
    check_worker_name("assignment.worker", worker)
    with uow:
        view = load_for_write(uow, caller, parent, deps.today, WRITERS)
    # HR is asked outside the transaction: no lock is held while another service answers.
    check_worker_town("assignment.worker", worker, _worker_town(hr, worker), view.person.town)
    with uow:
        person = view.person
        status = as_of(status_spans(uow.history.statuses([person.id])), start_date)
        if status is not PersonStatus.DISPERSED:
            raise FailedPrecondition(
                tr(
                    "{name} is not dispersed on {start_date} ({value}); only dispersed "
                    "persons are assigned a worker",
                    name=person.name,
                    start_date=start_date,
                    value=STATUS_TEXT[status] if status else tr("not on the roster"),
                ),
                rule="R1",
            )
        assignment = Assignment(uuid.uuid4().hex, person.id, worker, start_date)
        check_assignment_order(uow.caseloads.assignments([person.id]), assignment)
        uow.caseloads.add_assignment(assignment)
        uow.commit()
    return assignment


def list_assignments(
    uow: RosterUnitOfWork, caller: Caller, parent: str, period: Period, size: int, token: str
) -> tuple[list[AssignmentSpanRow], str]:
    """Every assignment of the town's persons overlapping period, clipped to it, by worker."""
    query_key = {"parent": parent, "period": f"{period.start}/{period.end}"}
    page = paging.parse(size, token, query_key)
    after: tuple[str, str, str] | None = None
    if page.after is not None:
        parts = page.after.split("|")
        if len(parts) != 3:
            raise InvalidArgument.field("page_token", tr("is not a token this method issued"))
        after = (parts[0], parts[1], parts[2])
    with uow:
        town_id = _town(uow, caller, parent)
        rows = uow.caseloads.assignment_spans(town_id, period, after, page.size + 1)
    more = len(rows) > page.size
    rows = rows[: page.size]
    clipped = [
        AssignmentSpanRow(
            Assignment(
                r.assignment.id,
                r.assignment.person_id,
                r.assignment.worker,
                max(r.assignment.start_date, period.start),
            ),
            period.end if r.end_date is None else min(r.end_date, period.end),
        )
        for r in rows
    ]
    last = None
    if more:
        a = rows[-1].assignment
        last = f"{a.worker}|{a.person_id}|{a.start_date.isoformat()}"
    return clipped, paging.next_token(last, query_key)


def list_caseloads(
    uow: RosterUnitOfWork, deps: Deps, caller: Caller, parent: str, day: dt.date | None
) -> list[tuple[str, int]]:
    with uow:
        town_id = _town(uow, caller, parent)
        return uow.caseloads.caseloads(town_id, day or deps.today)


def create_substitution(
    uow: RosterUnitOfWork, hr: HrClient, caller: Caller, parent: str, substitution: Substitution
) -> Substitution:
    """The chief names a substitute of the same town (R5) for a period; one at a time (R6)."""
    caller.require_role(*CHIEFS)
    check_worker_name("substitution.worker", substitution.worker)
    check_worker_name("substitution.substitute", substitution.substitute)
    check_substitution(substitution)
    with uow:
        town_id = _town(uow, caller, parent)
    caller.require_town(parent)
    for field, worker in (
        ("substitution.worker", substitution.worker),
        ("substitution.substitute", substitution.substitute),
    ):
        check_worker_town(field, worker, _worker_town(hr, worker), parent)
    with uow:
        substitution.town_id = town_id
        existing = uow.caseloads.substitutions_of(town_id, [substitution.worker])
        check_substitution_overlap(existing, substitution)
        substitution.id = uuid.uuid4().hex
        uow.caseloads.add_substitution(substitution)
        uow.commit()
    return substitution


def list_substitutions(
    uow: RosterUnitOfWork, caller: Caller, parent: str, size: int, token: str
) -> tuple[list[Substitution], str]:
    page = paging.parse(size, token, {"parent": parent})
    with uow:
        town_id = _town(uow, caller, parent)
        found = uow.caseloads.list_substitutions(town_id, page.after, page.size + 1)
    more = len(found) > page.size
    found = found[: page.size]
    return found, paging.next_token(found[-1].id if more else None, {"parent": parent})


def create_agreement(
    uow: RosterUnitOfWork, deps: Deps, caller: Caller, parent: str, agreement: Agreement
) -> Agreement:
    """Rule R5: the four parties are the person's town, village, the worker assigned on the
    signing date, and the person."""
    check_worker_name("agreement.worker", agreement.worker)
    if not agreement.document_reference.strip():
        raise InvalidArgument.field(
            "agreement.document_reference", tr("must say where the signed document is"), rule="R5"
        )
    if agreement.signed_date > deps.today:
        raise InvalidArgument.field("agreement.signed_date", tr("is in the future"), rule="R5")
    with uow:
        view = load_for_write(uow, caller, parent, deps.today, WRITERS)
        person = view.person
        assigned = as_of(
            worker_spans(uow.caseloads.assignments([person.id])), agreement.signed_date
        )
        if assigned != agreement.worker:
            raise FailedPrecondition(
                tr(
                    "agreement.worker: {worker} is not the worker assigned to {name} on "
                    "{signed_date} ({value})",
                    worker=agreement.worker,
                    name=person.name,
                    signed_date=agreement.signed_date,
                    value=assigned or "none",
                ),
                rule="R5",
            )
        agreement.id = uuid.uuid4().hex
        agreement.person_id = person.id
        agreement.town_id, agreement.village_id = person.town_id, person.village_id
        uow.caseloads.add_agreement(agreement)
        uow.commit()
    return agreement


def list_agreements(
    uow: RosterUnitOfWork, deps: Deps, caller: Caller, parent: str, size: int, token: str
) -> tuple[list[Agreement], str]:
    page = paging.parse(size, token, {"parent": parent})
    with uow:
        view = load_person(uow, caller, parent, deps.today)
        found = uow.caseloads.list_agreements(view.person.id, page.after, page.size + 1)
    more = len(found) > page.size
    found = found[: page.size]
    return found, paging.next_token(found[-1].id if more else None, {"parent": parent})


def list_missing_agreements(
    uow: RosterUnitOfWork,
    deps: Deps,
    caller: Caller,
    parent: str,
    day: dt.date | None,
    size: int,
    token: str,
) -> tuple[list[MissingAgreementRow], str]:
    """Rule R5: dispersed persons with no agreement, or whose worker changed since it."""
    on = day or deps.today
    query_key = {"parent": parent, "day": on.isoformat()}
    page = paging.parse(size, token, query_key)
    with uow:
        town_id = _town(uow, caller, parent)
        rows = uow.caseloads.missing_agreements(town_id, on, page.after, page.size + 1)
    more = len(rows) > page.size
    rows = rows[: page.size]
    return rows, paging.next_token(rows[-1].person.id if more else None, query_key)
