"""Use case: import a batch of rows of a town's roster file (issue 3, item 8; rules R1-R3, R6).

Validates every row against the roster (villages of the town, persons already there), and
unless asked only to validate, writes the batch in one transaction: a person with the same ID
number (matched by its keyed hash) is updated, never duplicated; a row identical to what is
stored changes nothing, so importing the same file twice leaves the roster as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from roster_svc.adapters.person_import_repository import (
    DuplicateKey,
    ExistingAssessment,
    ExistingPerson,
    PersonImportRepository,
)
from roster_svc.domain.assessments import INDICATORS
from roster_svc.domain.person_import import (
    MAX_BATCH,
    Checked,
    ImportDefaults,
    ImportRow,
    Places,
    Problem,
    TownIndex,
    ValidRow,
    VillageIndex,
    check_rows,
)
from roster_svc.domain.persons import PersonStatus
from roster_svc.service_layer.unit_of_work import RosterUnitOfWork
from sgz_runtime import names
from sgz_runtime.errors import Aborted, InvalidArgument, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role
from sgz_runtime.pii.vault import IdVault

#: Who may import a town's roster: the city bureau, the town head and the station chief.
_IMPORTERS = (Role.CITY_CIVIL_AFFAIRS, Role.TOWN_HEAD, Role.STATION_CHIEF)


@dataclass(frozen=True)
class ImportOptions:
    validate_only: bool = False
    #: Write the good rows of a batch that has bad ones (they are still reported).
    valid_only: bool = False
    defaults: ImportDefaults = field(default_factory=ImportDefaults)
    #: The day new persons are dispersed from (rule R6); the import day when None.
    start_date: dt.date | None = None
    #: Stage the valid rows under this id for `commit_import`, rather than write them.
    import_id: str = ""


@dataclass
class ImportResult:
    valid_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def import_persons(
    uow: RosterUnitOfWork,
    vault: IdVault,
    caller: Caller,
    parent: str,
    rows: list[ImportRow],
    options: ImportOptions,
    today: dt.date,
) -> ImportResult:
    (town_id,) = names.parse("parent", parent, "towns")
    if len(rows) > MAX_BATCH:
        raise InvalidArgument.field(
            "rows", tr("at most {MAX_BATCH} rows per call", MAX_BATCH=MAX_BATCH)
        )
    caller.require_role(*_IMPORTERS)
    with uow:
        repo = uow.imports
        places = _places(uow, caller, parent, town_id, rows)
        checked = check_rows(rows, places, today, options.defaults)
        hashes = [vault.digest(v.resident_id.number) for v in checked.valid]
        existing = repo.persons_by_hash(hashes)
        latest = repo.latest_assessments([p.id for p in existing.values()])
        if options.import_id:
            _check_import_id(options.import_id)
        plan = _plan(checked, hashes, existing, latest)
        result = ImportResult(
            valid_rows=len(plan.rows),
            errors=sorted(checked.errors, key=lambda p: p.row_number),
            warnings=checked.warnings,
        )
        if options.validate_only or (checked.errors and not options.valid_only):
            return result
        if options.import_id:
            staged = _staged(vault, plan, options.import_id, options.start_date or today, result)
            try:
                repo.stage(staged)
            except DuplicateKey:
                # Rule R2 across the batches of one file (the staging table's unique key).
                raise InvalidArgument.field(
                    "rows",
                    tr(
                        "an ID number of this batch was staged by an earlier batch of the same "
                        "import (one ID, one person); nothing of this batch was staged"
                    ),
                    rule="R2",
                ) from None
        else:
            _write(repo, vault, plan, options.start_date or today, result)
        uow.commit()
    return result


def _new_id() -> str:
    """A 32-hex id, time-ordered like a UUIDv7 (48-bit milliseconds, then 80 random bits): a
    batch's new rows land side by side at the end of the primary-key index instead of all over
    it, which keeps a large import's inserts cheap."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


#: Staged rows not committed within this time are forgotten.
STAGING_KEPT = dt.timedelta(days=1)
_IMPORT_ID = re.compile(r"^[A-Za-z0-9]{16,64}$")


def _check_import_id(import_id: str) -> None:
    if not _IMPORT_ID.match(import_id):
        raise InvalidArgument.field("import_id", tr("must be 16 to 64 letters and digits"))


def commit_import(
    uow: RosterUnitOfWork,
    caller: Caller,
    parent: str,
    import_id: str,
    discard: bool,
    now: dt.datetime,
) -> ImportResult:
    """Applies every row staged under import_id in one transaction (or discards them): the
    whole file is written or nothing is. Aborted when the roster changed since staging."""
    names.parse("parent", parent, "towns")
    _check_import_id(import_id)
    caller.require_role(*_IMPORTERS)
    with uow:
        repo = uow.imports
        towns = repo.staged_towns(import_id)
        if not towns or not all(caller.sees_town(f"towns/{t}") for t in towns):
            raise NotFound(
                f"{parent}/imports/{import_id}", message=tr("nothing is staged under it")
            )
        repo.purge_staged_before(now - STAGING_KEPT)
        if discard:
            repo.discard_staged(import_id)
            uow.commit()
            return ImportResult()
        counts = repo.apply_staged(import_id)
        uow.commit()
    return ImportResult(
        created=counts.get("create", 0),
        updated=counts.get("update", 0) + counts.get("assess", 0),
        unchanged=counts.get("same", 0),
    )


def _staged(
    vault: IdVault, plan: _Plan, import_id: str, start_date: dt.date, result: ImportResult
) -> list[dict[str, Any]]:
    """The plan's rows prepared for the staging table: ids drawn, numbers sealed, the
    operation each will be (create, update, assess: only a new assessment, same)."""
    staged: list[dict[str, Any]] = []
    for row, digest, person, new_assessment in plan.rows:
        resident = row.resident_id
        if person is None:
            op, person_id, expected = "create", _new_id(), None
            cipher: str | None = vault.seal(resident.number)
            result.created += 1
        else:
            person_id, expected, cipher = person.id, person.version, None
            same = (person.village_id, person.display_name, person.address, person.phone) == (
                row.village_id,
                row.display_name,
                row.address,
                row.phone,
            )
            op = "update" if not same else ("assess" if new_assessment else "same")
            if op == "same":
                result.unchanged += 1
            else:
                result.updated += 1
        a = row.assessment if new_assessment else None
        staged.append(
            {
                "import_id": import_id,
                "row_number": row.row_number,
                "op": op,
                "person_id": person_id,
                "town_id": row.town_id,
                "village_id": row.village_id,
                "display_name": row.display_name,
                "id_hash": digest,
                "id_cipher": cipher,
                "id_masked": resident.masked,
                "gender": resident.gender,
                "birth_date": resident.birth_date,
                "address": row.address,
                "phone": row.phone,
                "expected_version": expected,
                "effective_date": start_date,
                "assessment_id": None if a is None else _new_id(),
                "assessor": None if a is None else a.assessor,
                "assessment_date": None if a is None else a.assessment_date,
                **{i: None if a is None else a.answers[i] for i in INDICATORS},
                "care_level": None if a is None else a.care_level,
            }
        )
    return staged


def _places(
    uow: RosterUnitOfWork, caller: Caller, parent: str, town_id: str, rows: list[ImportRow]
) -> Places:
    """The town of the request, or for `towns/-` the towns in the caller's scope that the
    rows may name, with the villages of those the rows do name."""
    repo = uow.imports
    if town_id != "-":
        if not caller.sees_town(parent) or uow.towns.get(town_id) is None:
            raise NotFound(parent)
        own = repo.villages_of([town_id]).get(town_id, [])
        return Places({town_id: VillageIndex(own)}, fixed_town=town_id)
    index = TownIndex(t for t in repo.towns() if caller.sees_town(f"towns/{t[0]}"))
    named: set[str] = set()
    for row in rows:
        try:
            named.add(index.find(row.town))
        except ValueError:
            continue  # reported row by row by check_rows
    villages = repo.villages_of(sorted(named))
    return Places({t: VillageIndex(v) for t, v in villages.items()}, towns=index)


@dataclass
class _Plan:
    """The valid rows, each with its hash and the person it matches (None: a new person)."""

    rows: list[tuple[ValidRow, str, ExistingPerson | None, bool]] = field(default_factory=list)


def _plan(
    checked: Checked,
    hashes: list[str],
    existing: dict[str, ExistingPerson],
    latest: dict[str, ExistingAssessment],
) -> _Plan:
    """Checks each valid row against the stored roster; a row that cannot be written moves
    to the errors (rules R2, R6)."""
    plan = _Plan()
    for row, digest in zip(checked.valid, hashes, strict=True):
        person = existing.get(digest)
        new_assessment = row.assessment is not None
        if person is not None and person.town_id != row.town_id:
            # One ID, one person (R2): a move between towns is not an import. Where the number
            # is on the roster is not said: the importer may not see that town (privacy.md).
            checked.errors.append(
                Problem(
                    row.row_number,
                    "id_number",
                    "cannot be imported here: ask the city civil-affairs bureau",
                    "R2",
                )
            )
            continue
        if person is not None and row.assessment is not None:
            stored = latest.get(person.id)
            if stored is not None:
                when = row.assessment.assessment_date
                same = (
                    stored.assessment_date == when
                    and stored.answers == row.assessment.answers
                    and stored.assessor == row.assessment.assessor
                )
                if same:
                    new_assessment = False
                elif when <= stored.assessment_date:
                    checked.errors.append(
                        Problem(
                            row.row_number,
                            "assessed_date",
                            f"the person's latest assessment is of {stored.assessment_date}; "
                            "a new one must be dated after it (history is never rewritten)",
                            "R6",
                        )
                    )
                    continue
        plan.rows.append((row, digest, person, new_assessment))
    return plan


def _write(
    repo: PersonImportRepository,
    vault: IdVault,
    plan: _Plan,
    start_date: dt.date,
    result: ImportResult,
) -> None:
    new_persons: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    assessments: list[dict[str, Any]] = []
    for row, digest, person, new_assessment in plan.rows:
        if person is None:
            person_id = _new_id()
            resident = row.resident_id
            new_persons.append(
                {
                    "id": person_id,
                    "town_id": row.town_id,
                    "village_id": row.village_id,
                    "display_name": row.display_name,
                    "id_hash": digest,
                    "id_cipher": vault.seal(resident.number),
                    "id_masked": resident.masked,
                    "gender": resident.gender,
                    "birth_date": resident.birth_date,
                    "address": row.address,
                    "phone": row.phone,
                    "version": 1,
                }
            )
            # Rule R6: on the roster as dispersed (R1) from the start date, as CreatePerson does.
            statuses.append(
                {
                    "person_id": person_id,
                    "status": PersonStatus.DISPERSED,
                    "effective_date": start_date,
                    "reason": "imported",
                    "request_id": None,
                }
            )
            result.created += 1
        else:
            person_id = person.id
            if (person.village_id, person.display_name, person.address, person.phone) != (
                row.village_id,
                row.display_name,
                row.address,
                row.phone,
            ):
                changed.append(
                    {
                        "b_id": person.id,
                        "b_version": person.version,
                        "village_id": row.village_id,
                        "display_name": row.display_name,
                        "address": row.address,
                        "phone": row.phone,
                    }
                )
                result.updated += 1
            elif not new_assessment:
                result.unchanged += 1
            else:
                result.updated += 1
        if new_assessment and row.assessment is not None:
            a = row.assessment
            assessments.append(
                {
                    "id": _new_id(),
                    "person_id": person_id,
                    "assessor": a.assessor,
                    "assessment_date": a.assessment_date,
                    **a.answers,
                    "care_level": a.care_level,
                }
            )
    _flush(repo, new_persons, statuses, changed, assessments)


def _flush(
    repo: PersonImportRepository,
    new_persons: list[dict[str, Any]],
    statuses: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    assessments: list[dict[str, Any]],
) -> None:
    repo.insert_persons(new_persons)
    if repo.update_persons(changed) != len(changed):
        raise Aborted(tr("a person changed while the batch was imported; import it again"))
    repo.insert_status_changes(statuses)
    repo.insert_assessments(assessments)
