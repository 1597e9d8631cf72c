"""Use cases on persons (rules R1, R2), their status history and timelines (rule R6)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from roster_svc.adapters.person_repository import PersonQuery
from roster_svc.domain import history
from roster_svc.domain.persons import (
    Facts,
    Period,
    Person,
    PersonStatus,
    StatusChange,
    Timeline,
    check_person,
    check_status_change,
)
from roster_svc.service_layer.unit_of_work import RosterUnitOfWork
from sgz_runtime import names, paging
from sgz_runtime.audit import Action, AuditLog, AuditRecord, check_purpose
from sgz_runtime.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel, current_request_id
from sgz_runtime.pii import resident_id
from sgz_runtime.pii.vault import IdVault

audit = logging.getLogger("sgz.audit")

#: Who keeps the roster: the city bureau and the town that runs the station.
WRITERS = (Role.CITY_CIVIL_AFFAIRS, Role.TOWN_HEAD, Role.STATION_CHIEF)
#: Who may also report a status change (V8: the worker assists the move to an institution).
STATUS_WRITERS = (*WRITERS, Role.STATION_WORKER)
#: Who may read a full ID number; every reveal is logged for the audit trail.
REVEALERS = (Role.CITY_CIVIL_AFFAIRS, Role.TOWN_HEAD, Role.STATION_CHIEF)
UPDATABLE = {"display_name", "village", "address", "phone"}


@dataclass(frozen=True)
class Deps:
    """What person use cases need besides the unit of work."""

    vault: IdVault
    today: dt.date
    #: Where reads of full ID numbers are kept (docs/privacy.md); reveals refuse without it.
    audit: AuditLog | None = None


@dataclass
class PersonView:
    """A person with what holds for them on the day read."""

    person: Person
    facts: Facts = field(default_factory=Facts)


def visible(caller: Caller, person: Person, facts: Facts) -> bool:
    """Town and village callers see their area; a worker sees the persons assigned to them."""
    if caller.scope_level is ScopeLevel.CITY:
        return True
    if caller.scope_level is ScopeLevel.TOWN:
        return caller.scope == person.town
    if caller.scope_level is ScopeLevel.VILLAGE:
        return caller.scope == person.village
    return bool(facts.worker) and facts.worker == caller.scope


def parse_place(field_name: str, parent: str) -> tuple[str, str | None]:
    """(town id, village id or None) of `towns/{t}` or `towns/{t}/villages/{v}`."""
    if parent.count("/") == 1:
        (town_id,) = names.parse(field_name, parent, "towns")
        return town_id, None
    town_id, village_id = names.parse(field_name, parent, "towns", "villages")
    return town_id, village_id


def _check_parent_visible(
    uow: RosterUnitOfWork, caller: Caller, parent: str
) -> tuple[str, str | None]:
    town_id, village_id = parse_place("parent", parent)
    town = f"towns/{town_id}"
    if caller.scope_level is ScopeLevel.VILLAGE and village_id is None:
        raise NotFound(parent)
    if caller.scope_level is ScopeLevel.VILLAGE and caller.scope != parent:
        raise NotFound(parent)
    if caller.scope_level is ScopeLevel.TOWN and not caller.sees_town(town):
        raise NotFound(parent)
    exists = (
        uow.towns.get(town_id) is not None
        if village_id is None
        else uow.villages.get(town_id, village_id) is not None
    )
    if not exists:
        raise NotFound(parent)
    return town_id, village_id


def load_person(uow: RosterUnitOfWork, caller: Caller, name: str, day: dt.date) -> PersonView:
    (person_id,) = names.parse("name", name, "persons")
    person = uow.persons.get(person_id)
    if person is None:
        raise NotFound(name)
    facts = uow.persons.facts([person_id], day).get(person_id, Facts())
    if not visible(caller, person, facts) and not _substituting(uow, caller, person, facts, day):
        raise NotFound(name)
    return PersonView(person, facts)


def _substituting(
    uow: RosterUnitOfWork, caller: Caller, person: Person, facts: Facts, day: dt.date
) -> bool:
    """A worker the chief named to stand in for the person's worker sees them meanwhile (V9)."""
    if caller.scope_level is not ScopeLevel.CASELOAD or not facts.worker:
        return False
    return any(
        s.substitute == caller.scope and s.start_date <= day < s.end_date
        for s in uow.caseloads.substitutions_of(person.town_id, [facts.worker])
    )


def load_for_write(
    uow: RosterUnitOfWork, caller: Caller, name: str, day: dt.date, roles: tuple[Role, ...]
) -> PersonView:
    """The person behind name, for a caller of one of roles whose scope covers them."""
    caller.require_role(*roles)
    return load_person(uow, caller, name, day)


def create_person(
    uow: RosterUnitOfWork,
    deps: Deps,
    caller: Caller,
    person: Person,
    id_number: str,
    village: str,
    start_date: dt.date,
    status: PersonStatus = PersonStatus.DISPERSED,
) -> PersonView:
    """Rule R2: the ID is checked (an unknown address code only warns); one ID, one person."""
    caller.require_role(*WRITERS)
    rid = resident_id.parse(id_number, deps.today)
    town_id, village_id = names.parse("person.village", village, "towns", "villages")
    caller.require_town(f"towns/{town_id}")
    if caller.scope_level is ScopeLevel.VILLAGE and caller.scope != village:
        raise PermissionDenied(tr("{village} is outside the caller's scope", village=village))
    person.town_id, person.village_id = town_id, village_id
    check_person(person)
    person.id = uuid.uuid4().hex
    person.id_hash = deps.vault.digest(rid.number)
    person.id_cipher = deps.vault.seal(rid.number)
    person.id_masked = rid.masked
    person.gender, person.birth_date = rid.gender, rid.birth_date
    with uow:
        if uow.villages.get(town_id, village_id) is None:
            raise InvalidArgument.field(
                "person.village", tr("{village} is not in the roster", village=village), rule="R1"
            )
        existing = uow.persons.get_by_hash(person.id_hash)
        if existing is not None:
            if not visible(caller, existing, Facts()):
                # Whether a number is on the roster elsewhere is itself personal data: a
                # caller who may not see that person learns nothing more (docs/privacy.md).
                raise FailedPrecondition(
                    tr("this person cannot be registered here: ask the city civil-affairs bureau"),
                    rule="R2",
                )
            raise AlreadyExists(
                existing.name, message=tr("a person with this ID number is on the roster (rule R2)")
            )
        uow.persons.add(person)
        uow.history.add_status(StatusChange(person.id, status, start_date, "registered"))
        uow.commit()
    return PersonView(person, Facts(status if start_date <= deps.today else None))


def get_person(uow: RosterUnitOfWork, deps: Deps, caller: Caller, name: str) -> PersonView:
    with uow:
        return load_person(uow, caller, name, deps.today)


def lookup_person(uow: RosterUnitOfWork, deps: Deps, caller: Caller, id_number: str) -> PersonView:
    rid = resident_id.parse(id_number, deps.today, field="id_number")
    with uow:
        person = uow.persons.get_by_hash(deps.vault.digest(rid.number))
        if person is None:
            raise NotFound("persons/-", message=tr("nobody on the roster has this ID number"))
        facts = uow.persons.facts([person.id], deps.today).get(person.id, Facts())
        if not visible(caller, person, facts):
            raise NotFound("persons/-", message=tr("nobody on the roster has this ID number"))
        return PersonView(person, facts)


def reveal_id_number(
    uow: RosterUnitOfWork, deps: Deps, caller: Caller, name: str, purpose: str
) -> str:
    """The full number, for the roles allowed; audited (who, whom, why, never the number) in the
    roster's append-only trail before it is answered (docs/privacy.md)."""
    caller.require_role(*REVEALERS)
    stated = check_purpose(purpose)
    if deps.audit is None:
        raise FailedPrecondition(tr("the roster keeps no audit trail, so it reveals no number"))
    with uow:
        view = load_person(uow, caller, name, deps.today)
    deps.audit.record(
        AuditRecord(
            caller,
            Action.ID_NUMBER_REVEALED,
            view.person.name,
            stated,
            request_id=current_request_id(),
        )
    )
    audit.info("id_number_revealed", extra={"person": view.person.name})
    return deps.vault.reveal(view.person.id_cipher)


def list_persons(
    uow: RosterUnitOfWork,
    deps: Deps,
    caller: Caller,
    parent: str,
    status: PersonStatus | None,
    worker: str,
    as_of: dt.date | None,
    page_size: int,
    page_token: str,
) -> tuple[list[PersonView], str]:
    """The persons of a town or village; status and worker filters read on as_of (today)."""
    if caller.scope_level is ScopeLevel.CASELOAD:
        if worker and worker != caller.scope:
            return [], ""
        worker = caller.scope
    day = as_of or deps.today
    query_key = {
        "parent": parent,
        "status": status.value if status else "",
        "worker": worker,
        "day": day.isoformat(),
    }
    page = paging.parse(page_size, page_token, query_key)
    with uow:
        town_id, village_id = _check_parent_visible(uow, caller, parent)
        query = PersonQuery(town_id, village_id, day, status, worker or None)
        found = uow.persons.list_page(query, page.after, page.size + 1)
    more = len(found) > page.size
    found = found[: page.size]
    views = [PersonView(p, f) for p, f in found]
    return views, paging.next_token(found[-1][0].id if more else None, query_key)


def update_person(
    uow: RosterUnitOfWork,
    deps: Deps,
    caller: Caller,
    name: str,
    changes: Person,
    village: str,
    etag: str,
    fields: set[str],
) -> PersonView:
    with uow:
        view = load_for_write(uow, caller, name, deps.today, WRITERS)
        person = view.person
        if etag and etag != str(person.version):
            raise Aborted(
                tr(
                    "{name} changed since it was read (etag {version})",
                    name=name,
                    version=person.version,
                )
            )
        if "village" in fields:
            town_id, village_id = names.parse("person.village", village, "towns", "villages")
            if town_id != person.town_id:
                raise FailedPrecondition(
                    tr(
                        "person.village: {village} is in another town; the person's town, "
                        "station worker and agreement would all change (rule R5)",
                        village=village,
                    ),
                    rule="R5",
                )
            if uow.villages.get(town_id, village_id) is None:
                raise InvalidArgument.field(
                    "person.village",
                    tr("{village} is not in the roster", village=village),
                    rule="R1",
                )
            person.village_id = village_id
        for simple in ("display_name", "address", "phone"):
            if simple in fields:
                setattr(person, simple, getattr(changes, simple))
        check_person(person)
        uow.commit()
        return view


def change_status(
    uow: RosterUnitOfWork,
    deps: Deps,
    caller: Caller,
    name: str,
    status: PersonStatus,
    effective_date: dt.date,
    reason: str,
    request_id: str,
) -> PersonView:
    """Rule R6: appends a change after the latest; a retried request_id returns the same."""
    with uow:
        view = load_for_write(uow, caller, name, deps.today, STATUS_WRITERS)
        if request_id:
            done = uow.history.status_by_request_id(request_id)
            if done is not None:
                same = (done.person_id, done.status, done.effective_date) == (
                    view.person.id,
                    status,
                    effective_date,
                )
                if not same:
                    raise InvalidArgument.field(
                        "request_id", tr("was already used for a different status change")
                    )
                return view
        changes = uow.history.statuses([view.person.id])
        change = StatusChange(view.person.id, status, effective_date, reason, request_id or None)
        check_status_change(changes, change)
        uow.history.add_status(change)
        uow.commit()
        facts = uow.persons.facts([view.person.id], deps.today)[view.person.id]
        return PersonView(view.person, facts)


def get_timeline(
    uow: RosterUnitOfWork, deps: Deps, caller: Caller, name: str, period: Period
) -> Timeline:
    with uow:
        view = load_person(uow, caller, name, deps.today)
        return _timelines(uow, [view.person], period)[0]


def _timelines(uow: RosterUnitOfWork, persons: list[Person], period: Period) -> list[Timeline]:
    """Four queries for any number of persons (of one town): no query per person."""
    if not persons:
        return []
    ids = [p.id for p in persons]
    assigned = uow.caseloads.assignments(ids)
    workers = sorted({a.worker for a in assigned})
    substitutions = uow.caseloads.substitutions_of(persons[0].town_id, workers) if workers else []
    return history.timelines(
        persons,
        uow.history.statuses(ids),
        uow.history.assessments(ids),
        assigned,
        substitutions,
        period,
    )


def list_timelines(
    uow: RosterUnitOfWork,
    deps: Deps,
    caller: Caller,
    parent: str,
    worker: str,
    period: Period,
    page_size: int,
    page_token: str,
) -> tuple[list[Timeline], str]:
    if caller.scope_level is ScopeLevel.CASELOAD:
        if worker and worker != caller.scope:
            return [], ""
        worker = caller.scope
    query_key = {
        "parent": parent,
        "worker": worker,
        "period": f"{period.start}/{period.end}",
    }
    page = paging.parse(page_size, page_token, query_key)
    with uow:
        town_id, village_id = _check_parent_visible(uow, caller, parent)
        if worker:
            persons = uow.persons.list_involving_worker(
                town_id, village_id, worker, period, page.after, page.size + 1
            )
        else:
            persons = uow.persons.page(town_id, village_id, page.after, page.size + 1)
        more = len(persons) > page.size
        persons = persons[: page.size]
        found = _timelines(uow, persons, period)
    return found, paging.next_token(persons[-1].id if more else None, query_key)
