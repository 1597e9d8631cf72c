"""Group commit (an acknowledged visit is on disk) and the short-lived timeline cache."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from visit_svc.adapters.group_commit import WalFlusher
from visit_svc.adapters.roster_cache import CachingRosterClient
from visit_svc.adapters.roster_client import FakeRosterClient
from visit_svc.domain.timeline import AssignmentSpan, PersonStatus, PersonTimeline, StatusSpan

DAY = date(2026, 11, 23)


def test_a_commit_is_acknowledged_only_after_a_sync_that_began_after_it(tmp_path: Path) -> None:
    wal = tmp_path / "visit.db-wal"
    wal.write_bytes(b"frames")
    events: list[str] = []
    started = threading.Event()
    release = threading.Event()

    def slow_fsync(fd: int) -> None:
        events.append("sync-start")
        started.set()
        release.wait(5)
        events.append("sync-end")

    flusher = WalFlusher(wal, fsync=slow_fsync)
    try:

        def wait_then_ack() -> None:
            flusher.wait_durable()
            events.append("ack")

        waiter = threading.Thread(target=wait_then_ack)
        waiter.start()
        assert started.wait(5)
        time.sleep(0.05)
        assert "ack" not in events  # still syncing: not acknowledged
        release.set()
        waiter.join(5)
        assert events == ["sync-start", "sync-end", "ack"]
    finally:
        flusher.stop()


def test_many_commits_share_one_sync(tmp_path: Path) -> None:
    wal = tmp_path / "visit.db-wal"
    wal.write_bytes(b"frames")
    gate = threading.Event()
    syncs: list[int] = []

    def fsync(fd: int) -> None:
        syncs.append(fd)
        gate.wait(5)

    flusher = WalFlusher(wal, fsync=fsync)
    try:
        first = threading.Thread(target=flusher.wait_durable)
        first.start()
        time.sleep(0.05)  # the first sync is under way; these commit meanwhile
        rest = [threading.Thread(target=flusher.wait_durable) for _ in range(8)]
        for t in rest:
            t.start()
        time.sleep(0.05)
        gate.set()
        for t in [first, *rest]:
            t.join(5)
        assert len(syncs) == 2  # one for the first, one shared by the eight others
    finally:
        flusher.stop()


def test_a_failed_sync_is_never_acknowledged(tmp_path: Path) -> None:
    wal = tmp_path / "visit.db-wal"
    wal.write_bytes(b"frames")

    def broken(fd: int) -> None:
        raise OSError("disk gone")

    flusher = WalFlusher(wal, fsync=broken)
    with pytest.raises(OSError):
        flusher.wait_durable()
    flusher.stop()


def _timeline(worker: str) -> PersonTimeline:
    return PersonTimeline(
        person="persons/p1",
        town="towns/t",
        village="towns/t/villages/v",
        statuses=(StatusSpan(date(2024, 1, 1), None, PersonStatus.DISPERSED),),
        assignments=(AssignmentSpan(date(2024, 1, 1), None, worker),),
    )


def test_timelines_are_reused_within_their_ttl_then_asked_again_v9() -> None:
    now = [0.0]
    roster = FakeRosterClient([_timeline("workers/a")])
    cached = CachingRosterClient(roster, 10.0, clock=lambda: now[0])
    assert cached.person_timeline("persons/p1", DAY, DAY).worker_on(DAY) == "workers/a"
    roster.timelines["persons/p1"] = _timeline("workers/b")  # reassigned in the roster
    now[0] = 9.0
    assert cached.person_timeline("persons/p1", DAY, DAY).worker_on(DAY) == "workers/a"
    now[0] = 10.5
    assert cached.person_timeline("persons/p1", DAY, DAY).worker_on(DAY) == "workers/b"
    assert roster.calls == 2


def test_a_status_change_made_here_is_seen_at_once_v8() -> None:
    roster = FakeRosterClient([_timeline("workers/a")])
    cached = CachingRosterClient(roster, 60.0)
    assert cached.person_timeline("persons/p1", DAY, DAY).dispersed_on(DAY)
    cached.change_person_status("persons/p1", PersonStatus.IN_INSTITUTION, DAY, "admitted", "req-1")
    assert not cached.person_timeline("persons/p1", DAY, DAY).dispersed_on(DAY)


def test_a_reassignment_in_the_roster_reaches_the_visit_checks_at_once_v9() -> None:
    """Rule V9 (issue 7, bug 3): the timeline cache serves reads, never the check of who may
    record a visit: the worker reassigned away a moment ago is refused."""
    from sgz_runtime.errors import FailedPrecondition
    from sgz_runtime.identity import Caller, Role, ScopeLevel
    from tests.unit.visit_fakes import FakeVisitUnitOfWork, cst, visit
    from visit_svc.service_layer.visits import record_visit

    roster = FakeRosterClient([_timeline("workers/a")])
    cached = CachingRosterClient(roster, 60.0)
    chief = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, "towns/t")
    uow = FakeVisitUnitOfWork()
    at, now = cst(DAY, 9), cst(DAY, 12)

    def record(worker: str) -> None:
        v = visit("persons/p1", at, worker=worker)
        record_visit(uow, cached, chief, v, "", clock=lambda: now, skew=timedelta(0))

    record("workers/a")
    roster.timelines["persons/p1"] = _timeline("workers/b")  # reassigned in the roster
    with pytest.raises(FailedPrecondition) as info:
        record("workers/a")
    assert info.value.rule == "V9"
    record("workers/b")
