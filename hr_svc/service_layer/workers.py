"""Use cases on workers and their employment (rules H1, H2, H5)."""

from __future__ import annotations

import uuid
from datetime import date

from hr_svc.adapters.roster_client import RosterClient
from hr_svc.domain.workers import Worker, WorkerRole, check_worker, join, leave, refuse_second_chief
from hr_svc.service_layer import commands, common
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime import china_time, names, paging
from sgz_runtime.errors import (
    Aborted,
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.pii import phones, resident_id
from sgz_runtime.pii.vault import IdVault


def _personal_data(
    worker: Worker, cmd: commands.CreateWorker | commands.UpdateWorker, vault: IdVault
) -> None:
    """Validated, masked and encrypted as the roster does it (sgz_runtime.pii): the ID number
    by rule R2, the phone as a mainland number."""
    violations: list[FieldViolation] = []
    if cmd.id_number.strip():
        try:
            parsed = resident_id.parse(cmd.id_number, china_time.today(), "worker.id_number")
        except InvalidArgument as exc:
            violations.extend(exc.violations)
        else:
            worker.id_digest = vault.digest(parsed.number)
            worker.id_sealed = vault.seal(parsed.number)
            worker.id_masked = parsed.masked
    if cmd.phone.strip():
        try:
            phone = phones.normalise_phone(cmd.phone.strip())
        except ValueError:
            violations.append(
                FieldViolation(
                    "worker.phone", tr("is not a valid mainland mobile or landline number")
                )
            )
        else:
            worker.phone_sealed = vault.seal(phone)
            worker.phone_masked = phones.mask_phone(phone)
    if violations:
        raise InvalidArgument.of(violations)


def create_worker(
    cmd: commands.CreateWorker,
    uow: HrUnitOfWork,
    roster: RosterClient,
    vault: IdVault,
    *,
    caller: Caller,
    clock: common.Clock = china_time.now,
) -> Worker:
    """A worker employed from the start date; a chief only while the town has none (H5)."""
    now = clock()
    start = cmd.start_date or china_time.local_date(now)
    worker = Worker(
        id=uuid.uuid4().hex,
        display_name=cmd.display_name,
        town=cmd.town,
        role=cmd.role,
        creator=caller.subject,
        create_time=now,
    )
    check_worker(worker)
    _personal_data(worker, cmd, vault)
    caller.require_town(worker.town)
    if not roster.town_exists(worker.town):
        raise InvalidArgument.field(
            "worker.town", tr("{town} is not a town in the roster", town=worker.town)
        )
    join(worker, start, caller.subject, now)
    with uow:
        if worker.role is WorkerRole.STATION_CHIEF:
            uow.workers.serialize("chief:" + worker.town)
            refuse_second_chief(uow.workers.chiefs_of(worker.town), worker.town, start)
        if worker.id_digest and uow.workers.by_id_digest(worker.id_digest) is not None:
            raise AlreadyExists(
                worker.id_masked,
                message=tr("a worker with the ID number {masked} exists", masked=worker.id_masked),
            )
        uow.workers.add(worker)
        uow.commit()
    return worker


#: What UpdateWorker changes (AIP-134); town, role and employment have their own rules.
UPDATABLE = frozenset({"display_name", "phone", "id_number"})


def update_worker(
    cmd: commands.UpdateWorker,
    uow: HrUnitOfWork,
    vault: IdVault,
    *,
    caller: Caller,
) -> Worker:
    """Applies the fields named; a stale etag is refused, an ID number another worker has too.
    Nothing is written on refusal."""
    wid = common.worker_id(cmd.worker, "worker.name")
    with uow:
        worker = uow.workers.get(wid)
        if worker is None or not caller.sees_town(worker.town):
            raise NotFound(cmd.worker)
        common.require_writer(caller, worker.town, (*common.WRITERS, Role.CITY_CIVIL_AFFAIRS))
        if cmd.etag and cmd.etag != str(worker.version):
            raise Aborted(
                tr(
                    "{name} changed since you read it: read it again and repeat the change",
                    name=cmd.worker,
                )
            )
        if "display_name" in cmd.fields:
            worker.display_name = cmd.display_name
        check_worker(worker)
        if "phone" in cmd.fields and not cmd.phone.strip():
            worker.phone_sealed, worker.phone_masked = None, ""
        if "id_number" in cmd.fields and not cmd.id_number.strip():
            worker.id_digest, worker.id_sealed, worker.id_masked = None, None, ""
        _personal_data(
            worker,
            commands.UpdateWorker(
                worker=cmd.worker,
                fields=cmd.fields,
                phone=cmd.phone if "phone" in cmd.fields else "",
                id_number=cmd.id_number if "id_number" in cmd.fields else "",
            ),
            vault,
        )
        if worker.id_digest:
            other = uow.workers.by_id_digest(worker.id_digest)
            if other is not None and other.id != worker.id:
                raise AlreadyExists(
                    worker.id_masked,
                    message=tr(
                        "a worker with the ID number {masked} exists", masked=worker.id_masked
                    ),
                )
        uow.commit()
        return worker


def end_employment(
    cmd: commands.EndEmployment,
    uow: HrUnitOfWork,
    *,
    caller: Caller,
    clock: common.Clock = china_time.now,
) -> Worker:
    """Appends "left" to the worker's history (rule H2); nothing earlier is changed."""
    wid = common.worker_id(cmd.worker, "name")
    with uow:
        worker = uow.workers.get(wid)
        if worker is None or not caller.sees_town(worker.town):
            raise NotFound(cmd.worker)
        common.require_writer(caller, worker.town)
        leave(worker, cmd.last_day, cmd.reason, caller.subject, clock())
        uow.commit()
        return worker


def get_worker(uow: HrUnitOfWork, caller: Caller, name: str) -> Worker:
    (worker_id,) = names.parse("name", name, "workers")
    with uow:
        worker = uow.workers.get(worker_id)
        # A worker (caseload scope) reads their own record, which names their town.
        own = caller.scope_level is ScopeLevel.CASELOAD and caller.scope == name
        if worker is None or not (own or caller.sees_town(worker.town)):
            raise NotFound(name)
        return worker


def list_workers(
    uow: HrUnitOfWork,
    caller: Caller,
    town: str,
    page_size: int,
    page_token: str,
    employed_on: date | None = None,
) -> tuple[list[Worker], str]:
    """Workers in order of creation; with employed_on, only those employed that day (H2)."""
    if town:
        names.parse("town", town, "towns")
    if caller.scope_level is not ScopeLevel.CITY:
        mine = common.own_town(caller)
        if town and town != mine:
            return [], ""
        town = mine
    query = {"town": town, "employed_on": employed_on.isoformat() if employed_on else ""}
    page = paging.parse(page_size, page_token, query)
    try:
        after = int(page.after) if page.after is not None else None
    except ValueError:
        raise InvalidArgument.field("page_token", "is not a token this method issued") from None
    with uow:
        scanned = uow.workers.list(town or None, after, page.size + 1)
    more = len(scanned) > page.size
    scanned = scanned[: page.size]
    found = [
        w for w in scanned if employed_on is None or any(s.covers(employed_on) for s in w.spells())
    ]
    return found, paging.next_token(str(scanned[-1].seq) if more else None, query)
