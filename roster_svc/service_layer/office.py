"""Use cases a town office needs beyond the resources' own: update a town, find persons by
name, get several at once, correct a mistyped assessment (rule R6), export a roster."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from roster_svc.adapters.office_queries import (
    Correction,
    ExportRow,
    OfficeQueries,
    Scope,
    SqlOfficeQueries,
)
from roster_svc.domain.assessments import INDICATORS, Assessment, check_assessment
from roster_svc.domain.places import Town, check_town
from roster_svc.service_layer.office_commands import (
    BatchGetPersons,
    CorrectAssessment,
    ExportPersons,
    SearchPersons,
    UpdateTown,
)
from roster_svc.service_layer.persons import REVEALERS, WRITERS, PersonView, visible
from roster_svc.service_layer.unit_of_work import RosterUnitOfWork, SqlRosterUnitOfWork
from sgz_runtime import names, paging
from sgz_runtime.errors import (
    Aborted,
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.pii.vault import SEALED_PREFIX, IdVault

audit_log = logging.getLogger("sgz.audit")

MAX_BATCH = 1000
EXPORT_PAGE = 5000
MAX_EXPORT_PAGE = 10000


class OfficeUnitOfWork(RosterUnitOfWork, Protocol):
    office: OfficeQueries


class SqlOfficeUnitOfWork(SqlRosterUnitOfWork):
    office: OfficeQueries

    def _open(self) -> None:
        super()._open()
        self.office = SqlOfficeQueries(self.session)


class ExportAudit(Protocol):
    """Where an export is recorded: once per export, with who, what, why and how many."""

    def exported(
        self, caller: Caller, parent: str, purpose: str, persons: int, revealed: bool
    ) -> None: ...


class LoggedExportAudit:
    """The audit log of the process (JSON lines, `sgz.audit`)."""

    def exported(
        self, caller: Caller, parent: str, purpose: str, persons: int, revealed: bool
    ) -> None:
        audit_log.info(
            "persons_exported",
            extra={
                "subject": caller.subject,
                "role": caller.role.value,
                "parent": parent,
                "purpose": purpose,
                "persons": persons,
                "id_numbers_revealed": revealed,
            },
        )


# --- Towns ---


def update_town(cmd: UpdateTown, uow: RosterUnitOfWork, *, caller: Caller) -> Town:
    """Applies the fields named; a stale etag is refused, a code another town has too."""
    if caller.scope_level is not ScopeLevel.CITY:
        raise PermissionDenied(
            tr("only a city-wide caller changes a town: ask the city civil-affairs bureau")
        )
    (town_id,) = names.parse("town.name", cmd.name, "towns")
    with uow:
        town = uow.towns.get(town_id)
        if town is None:
            raise NotFound(cmd.name)
        if cmd.etag and cmd.etag != str(town.version):
            raise Aborted(
                tr(
                    "{name} changed since you read it: read it again and repeat the change",
                    name=cmd.name,
                )
            )
        if "administrative_code" in cmd.fields:
            other = uow.towns.get_by_code(cmd.administrative_code)
            if other is not None and other.id != town.id:
                raise AlreadyExists(
                    cmd.name,
                    message=tr(
                        "{other} already has administrative code {code}: check the code of {name}",
                        other=other.name,
                        code=cmd.administrative_code,
                        name=cmd.name,
                    ),
                )
            town.administrative_code = cmd.administrative_code
        if "display_name" in cmd.fields:
            town.display_name = cmd.display_name
        if "kind" in cmd.fields:
            if cmd.kind is None:
                raise InvalidArgument.field(
                    "town.kind",
                    tr("must be one of TOWN_KIND_TOWN, TOWN_KIND_DISTRICT, TOWN_KIND_SUBDISTRICT"),
                )
            town.kind = cmd.kind
        check_town(town)
        uow.commit()
        return town


# --- Finding persons ---


def _scope(uow: OfficeUnitOfWork, caller: Caller, parent: str, field: str, day: dt.date) -> Scope:
    """What the caller may read under parent (`towns/-`, a town or a village); NOT_FOUND when
    the parent is outside their scope. Call inside the unit of work."""
    parts = parent.split("/")
    worker = caller.scope if caller.scope_level is ScopeLevel.CASELOAD else None
    if parent == "towns/-":
        if caller.scope_level is ScopeLevel.CITY or caller.scope_level is ScopeLevel.CASELOAD:
            return Scope(None, None, worker)
        town_id = caller.scope.split("/")[1] if caller.scope.startswith("towns/") else ""
        village_id = parts_of(caller.scope)[1] if caller.scope_level is ScopeLevel.VILLAGE else None
        return Scope((town_id,), village_id, None)
    if len(parts) == 2:
        (town_id,) = names.parse(field, parent, "towns")
        village_id = None
    else:
        town_id, village_id = names.parse(field, parent, "towns", "villages")
    if uow.towns.get(town_id) is None:
        raise NotFound(parent)
    if village_id is not None and uow.villages.get(town_id, village_id) is None:
        raise NotFound(parent)
    if caller.scope_level is ScopeLevel.TOWN and not caller.sees_town(f"towns/{town_id}"):
        raise NotFound(parent)
    if caller.scope_level is ScopeLevel.VILLAGE:
        own = parts_of(caller.scope)
        if own[0] != town_id or (village_id is not None and village_id != own[1]):
            raise NotFound(parent)
        village_id = own[1]
    return Scope((town_id,), village_id, worker)


def parts_of(village: str) -> tuple[str, str]:
    """(town id, village id) of `towns/{town}/villages/{village}`; empty ids otherwise."""
    parts = village.split("/")
    return (parts[1], parts[3]) if len(parts) == 4 else ("", "")


def search_persons(
    cmd: SearchPersons, uow: OfficeUnitOfWork, *, caller: Caller, today: dt.date
) -> tuple[list[PersonView], str]:
    """The persons the caller sees whose name contains the query, by name."""
    query = cmd.query.strip()
    violations: list[FieldViolation] = []
    if not query:
        violations.append(
            FieldViolation("query", tr("must give at least one character of the name"))
        )
    if not cmd.parent:
        violations.append(
            FieldViolation(
                "parent",
                tr("must be a town such as towns/chengdong, one of its villages, or towns/-"),
            )
        )
    if violations:
        raise InvalidArgument.of(violations)
    key = {"parent": cmd.parent, "query": query, "day": today.isoformat()}
    page = paging.parse(cmd.page_size, cmd.page_token, key)
    after: tuple[str, str] | None = None
    if page.after is not None:
        name, _sep, ident = page.after.rpartition("\x1f")
        after = (name, ident)
    with uow:
        scope = _scope(uow, caller, cmd.parent, "parent", today)
        found = uow.office.search(scope, query, today, after, page.size + 1)
    more = len(found) > page.size
    found = found[: page.size]
    last = f"{found[-1][0].display_name}\x1f{found[-1][0].id}" if more else None
    return [PersonView(p, f) for p, f in found], paging.next_token(last, key)


def batch_get_persons(
    cmd: BatchGetPersons, uow: OfficeUnitOfWork, *, caller: Caller, today: dt.date
) -> list[PersonView]:
    """The persons named that exist and the caller sees, in the order asked."""
    if len(cmd.names) > MAX_BATCH:
        raise InvalidArgument.field(
            "names",
            tr(
                "asks for {count} persons: ask for at most {most} at a time",
                count=len(cmd.names),
                most=MAX_BATCH,
            ),
        )
    violations: list[FieldViolation] = []
    ids: list[str] = []
    for i, name in enumerate(cmd.names):
        parts = name.split("/")
        if len(parts) != 2 or parts[0] != "persons" or not parts[1]:
            violations.append(
                FieldViolation(
                    f"names[{i}]", tr("must be a person's name such as persons/0190a1b2")
                )
            )
        else:
            ids.append(parts[1])
    if violations:
        raise InvalidArgument.of(violations)
    with uow:
        found = {p.id: PersonView(p, f) for p, f in uow.office.persons(sorted(set(ids)), today)}
    return [
        found[i]
        for i in dict.fromkeys(ids)
        if i in found and visible(caller, found[i].person, found[i].facts)
    ]


# --- Correcting an assessment (R3, R6) ---


def _fingerprint(cmd: CorrectAssessment) -> str:
    a = cmd.corrected
    body = {
        "name": cmd.name,
        "reason": cmd.reason,
        "assessor": a.assessor,
        "date": a.assessment_date.isoformat(),
        **{i: getattr(a, i) for i in INDICATORS},
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def correct_assessment(
    cmd: CorrectAssessment,
    uow: OfficeUnitOfWork,
    *,
    caller: Caller,
    today: dt.date,
    now: dt.datetime,
) -> tuple[Assessment, list[Correction]]:
    """The assessment takes the corrected values; a correction keeps the ones it replaced."""
    caller.require_role(*WRITERS)
    person_id, assessment_id = names.parse("name", cmd.name, "persons", "assessments")
    violations: list[FieldViolation] = []
    if not cmd.reason.strip():
        violations.append(
            FieldViolation("reason", tr("must say what was mistyped, e.g. the form says otherwise"))
        )
    try:
        corrected = dataclasses.replace(cmd.corrected, id=assessment_id, person_id=person_id)
        level = check_assessment(corrected, today)
    except InvalidArgument as exc:
        violations += exc.violations
        level = None
    if violations:
        raise InvalidArgument.of(violations)
    fingerprint = _fingerprint(cmd)
    with uow:
        person = uow.persons.get(person_id)
        target = next(
            (a for a in uow.history.assessments([person_id]) if a.id == assessment_id), None
        )
        if person is None or target is None:
            raise NotFound(cmd.name)
        facts = uow.persons.facts([person_id], today).get(person_id)
        if facts is None or not visible(caller, person, facts):
            raise NotFound(cmd.name)
        if cmd.request_id:
            done = uow.office.correction_by_request(cmd.request_id)
            if done is not None:
                if done.request_fingerprint != fingerprint or done.assessment_id != assessment_id:
                    raise InvalidArgument.field(
                        "request_id",
                        tr("was used for another correction: make a new request id"),
                    )
                return _current(uow, person_id, assessment_id)
        clash = [
            a
            for a in uow.history.assessments([person_id])
            if a.assessment_date == corrected.assessment_date and a.id != assessment_id
        ]
        if clash:
            raise AlreadyExists(
                clash[0].name,
                message=tr(
                    "{person} already has an assessment on {date}: correct that one instead",
                    person=person.name,
                    date=corrected.assessment_date.isoformat(),
                ),
            )
        uow.office.add_correction(
            Correction(
                assessment_id=assessment_id,
                reason=cmd.reason.strip(),
                corrector=caller.subject,
                corrected_at=now,
                previous=target,
                request_id=cmd.request_id or None,
                request_fingerprint=fingerprint,
            )
        )
        stored = uow.history.list_assessments(person_id, None, 10_000)
        row = next(a for a in stored if a.id == assessment_id)
        row.assessor = corrected.assessor
        row.assessment_date = corrected.assessment_date
        for i in INDICATORS:
            setattr(row, i, getattr(corrected, i))
        row.care_level = level
        uow.commit()
        return _current(uow, person_id, assessment_id)


def _current(
    uow: OfficeUnitOfWork, person_id: str, assessment_id: str
) -> tuple[Assessment, list[Correction]]:
    found = next(a for a in uow.history.assessments([person_id]) if a.id == assessment_id)
    return found, uow.office.corrections([assessment_id]).get(assessment_id, [])


def corrections_of(uow: OfficeUnitOfWork, assessment_ids: list[str]) -> dict[str, list[Correction]]:
    """The corrections of the assessments listed (for ListAssessments)."""
    with uow:
        return uow.office.corrections(assessment_ids)


# --- Export ---


class BulkOpener(Protocol):
    """Opens many sealed values at once (the ID numbers, addresses and phones of a page)."""

    def decrypt_many(self, tokens: Sequence[str]) -> list[str]: ...


class OneByOne:
    """The vault's own reveal, one value at a time (when no bulk opener is wired)."""

    def __init__(self, vault: IdVault):
        self._vault = vault

    def decrypt_many(self, tokens: Sequence[str]) -> list[str]:
        return [self._vault.reveal(t) for t in tokens]


@dataclass(frozen=True)
class ExportedPerson:
    row: ExportRow
    id_number: str  # empty unless revealed
    address: str
    phone: str


@dataclass(frozen=True)
class ExportPage:
    rows: list[ExportedPerson]
    next_page_token: str
    revealed: bool
    total: int


def _open_sealed(opener: BulkOpener, values: list[str]) -> list[str]:
    """Sealed column values (`enc1:` + token) opened, in one batch; others as they are."""
    sealed = [i for i, v in enumerate(values) if v.startswith(SEALED_PREFIX)]
    opened = opener.decrypt_many([values[i][len(SEALED_PREFIX) :] for i in sealed])
    out = list(values)
    for i, text in zip(sealed, opened, strict=True):
        out[i] = text
    return out


def export_persons(
    cmd: ExportPersons,
    uow: OfficeUnitOfWork,
    *,
    caller: Caller,
    opener: BulkOpener,
    audit: ExportAudit,
    today: dt.date,
) -> ExportPage:
    """One page of an export; the first page is audited with the purpose and the count."""
    purpose = cmd.purpose.strip()
    violations: list[FieldViolation] = []
    if not purpose:
        violations.append(
            FieldViolation(
                "purpose", tr("must say why the persons are exported, e.g. annual review")
            )
        )
    if not cmd.parent:
        violations.append(
            FieldViolation(
                "parent", tr("must be a town such as towns/chengdong, or one of its villages")
            )
        )
    if cmd.page_size < 0:
        violations.append(FieldViolation("page_size", tr("must not be negative")))
    if violations:
        raise InvalidArgument.of(violations)
    if cmd.reveal_id_numbers and caller.role not in (*REVEALERS, Role.SYSTEM):
        raise PermissionDenied(
            tr(
                "your role may not read full ID numbers: export them masked, or ask the "
                "station chief or the town head"
            )
        )
    size = min(cmd.page_size or EXPORT_PAGE, MAX_EXPORT_PAGE)
    key = {"parent": cmd.parent, "purpose": purpose, "reveal": str(cmd.reveal_id_numbers)}
    after = paging.parse(0, cmd.page_token, key).after
    with uow:
        scope = _scope(uow, caller, cmd.parent, "parent", today)
        found = uow.office.export_page(scope, today, after, size + 1, facts=not cmd.as_table)
        total = uow.office.count(scope, today) if after is None else 0
    if after is None:
        audit.exported(caller, cmd.parent, purpose, total, cmd.reveal_id_numbers)
    more = len(found) > size
    found = found[:size]
    numbers = (
        opener.decrypt_many([r.id_cipher for r in found])
        if cmd.reveal_id_numbers
        else [""] * len(found)
    )
    addresses = _open_sealed(opener, [r.address for r in found])
    phones = _open_sealed(opener, [r.phone for r in found])
    rows = [
        ExportedPerson(r, n, a, p)
        for r, n, a, p in zip(found, numbers, addresses, phones, strict=True)
    ]
    token = paging.next_token(found[-1].id if more else None, key)
    return ExportPage(rows, token, cmd.reveal_id_numbers, total)
