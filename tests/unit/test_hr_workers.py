"""HR worker use cases against fakes: the roster client port and an in-memory unit of work."""

from __future__ import annotations

from typing import Self

import pytest

from hr_svc.adapters.roster_client import FakeRosterClient
from hr_svc.domain.workers import Worker, WorkerRole
from hr_svc.service_layer import workers
from sgz_runtime.errors import InvalidArgument, PermissionDenied, Unavailable
from sgz_runtime.identity import Caller, Role, ScopeLevel

CITY = Caller("users/a", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
CHENGDONG_HEAD = Caller("users/b", Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/chengdong")


class FakeWorkers:
    def __init__(self) -> None:
        self.rows: list[Worker] = []

    def add(self, worker: Worker) -> None:
        worker.seq = len(self.rows) + 1
        self.rows.append(worker)

    def get(self, worker_id: str) -> Worker | None:
        return next((w for w in self.rows if w.id == worker_id), None)

    def list(self, town: str | None, after_seq: int | None, limit: int) -> list[Worker]:
        found = [w for w in self.rows if (not town or w.town == town)]
        found = [w for w in found if after_seq is None or (w.seq or 0) > after_seq]
        return found[:limit]


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.workers = FakeWorkers()
        self.committed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
        pass

    def commit(self) -> None:
        self.committed = True


def _worker(town: str = "towns/chengdong") -> Worker:
    return Worker(id="", display_name="李四", town=town, role=WorkerRole.STATION_WORKER)


def test_worker_of_a_known_town_is_created() -> None:
    uow = FakeUnitOfWork()
    created = workers.create_worker(uow, FakeRosterClient({"towns/chengdong"}), CITY, _worker())
    assert uow.committed and created.name.startswith("workers/")


def test_worker_of_an_unknown_town_is_refused_and_nothing_written() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidArgument) as info:
        workers.create_worker(uow, FakeRosterClient(set()), CITY, _worker("towns/nowhere"))
    assert [v.field for v in info.value.violations] == ["worker.town"]
    assert uow.workers.rows == [] and not uow.committed


def test_town_head_cannot_create_a_worker_in_another_town() -> None:
    uow = FakeUnitOfWork()
    roster = FakeRosterClient({"towns/xicheng"})
    with pytest.raises(PermissionDenied):
        workers.create_worker(uow, roster, CHENGDONG_HEAD, _worker("towns/xicheng"))


def test_unreachable_roster_is_unavailable_not_a_refusal() -> None:
    with pytest.raises(Unavailable):
        workers.create_worker(FakeUnitOfWork(), FakeRosterClient(down=True), CITY, _worker())


def test_town_head_lists_only_own_town_and_pages() -> None:
    uow = FakeUnitOfWork()
    roster = FakeRosterClient({"towns/chengdong", "towns/xicheng"})
    for town in ["towns/chengdong", "towns/xicheng", "towns/chengdong", "towns/chengdong"]:
        workers.create_worker(uow, roster, CITY, _worker(town))
    page, token = workers.list_workers(uow, CHENGDONG_HEAD, "", 2, "")
    assert [w.town for w in page] == ["towns/chengdong"] * 2 and token
    rest, last = workers.list_workers(uow, CHENGDONG_HEAD, "", 2, token)
    assert [w.town for w in rest] == ["towns/chengdong"] and last == ""
    with pytest.raises(InvalidArgument):
        workers.list_workers(uow, CITY, "", 2, token)  # token of another query
