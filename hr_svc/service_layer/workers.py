"""Use cases on workers."""

from __future__ import annotations

import uuid

from hr_svc.adapters.roster_client import RosterClient
from hr_svc.domain.workers import Worker, check_worker
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime import names, paging
from sgz_runtime.errors import InvalidArgument, NotFound
from sgz_runtime.identity import Caller, ScopeLevel


def create_worker(
    uow: HrUnitOfWork, roster: RosterClient, caller: Caller, worker: Worker
) -> Worker:
    check_worker(worker)
    caller.require_town(worker.town)
    if not roster.town_exists(worker.town):
        raise InvalidArgument.field("worker.town", f"{worker.town} is not a town in the roster")
    worker.id = uuid.uuid4().hex
    with uow:
        uow.workers.add(worker)
        uow.commit()
    return worker


def get_worker(uow: HrUnitOfWork, caller: Caller, name: str) -> Worker:
    (worker_id,) = names.parse("name", name, "workers")
    with uow:
        worker = uow.workers.get(worker_id)
        if worker is None or not caller.sees_town(worker.town):
            raise NotFound(name)
        return worker


def list_workers(
    uow: HrUnitOfWork, caller: Caller, town: str, page_size: int, page_token: str
) -> tuple[list[Worker], str]:
    if town:
        names.parse("town", town, "towns")
    if caller.scope_level is not ScopeLevel.CITY:
        own_town = "/".join(caller.scope.split("/")[:2])
        if town and town != own_town:
            return [], ""
        town = own_town
    query = {"town": town}
    page = paging.parse(page_size, page_token, query)
    try:
        after = int(page.after) if page.after is not None else None
    except ValueError:
        raise InvalidArgument.field("page_token", "is not a token this method issued") from None
    with uow:
        found = uow.workers.list(town or None, after, page.size + 1)
    more = len(found) > page.size
    found = found[: page.size]
    return found, paging.next_token(str(found[-1].seq) if more else None, query)
