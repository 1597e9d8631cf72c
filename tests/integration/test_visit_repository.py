"""The visit service's SQL adapters on a real database (SQLite or PostgreSQL by SGZ_TEST_DB):
times kept in UTC and read back aware, CST week boundaries, optimistic escalation versions,
and concurrent retries of one visit recorded once (AIP-155)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.errors import Aborted
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.visit_fakes import TOWN, cst, roster, timeline, visit
from visit_svc.adapters import orm
from visit_svc.adapters.ledger_repository import FAKE_KEY
from visit_svc.domain.visits import CheckItem, visit_fingerprint
from visit_svc.service_layer import visits as use
from visit_svc.service_layer.unit_of_work import SqlVisitUnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "visit_svc" / "migrations"
CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, TOWN)
MONDAY = date(2026, 11, 16)
NOW = cst(MONDAY + timedelta(days=10), 12)


@pytest.fixture
def engine(database_url: Callable[[str], str]) -> Iterator[Engine]:
    engine = make_engine(database_url("visit"), durable=True)
    migrate(engine, MIGRATIONS)
    yield engine
    engine.dispose()


def _uow(engine: Engine) -> SqlVisitUnitOfWork:
    return SqlVisitUnitOfWork(session_factory(engine), chain_key=FAKE_KEY)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(orm.visits)).scalar_one())


def _record(engine: Engine, v, request_id: str = ""):  # type: ignore[no-untyped-def]
    client = roster(timeline("persons/p1"))
    return use.record_visit(
        _uow(engine), client, CHIEF, v, request_id, clock=lambda: NOW, skew=timedelta(0)
    )


def test_a_visit_reads_back_as_written_with_aware_utc_times(engine: Engine) -> None:
    """Rules V2, V7: checks, notes and escalations survive the round trip."""
    made = _record(engine, visit("persons/p1", cst(MONDAY, 9), problems=(CheckItem.ILLNESS,)))
    with _uow(engine) as uow:
        got = uow.visits.get(made.id)
        (escalation,) = uow.escalations.for_visit(made.id)
    assert got is not None
    assert got.visited_at == cst(MONDAY, 9) and got.visited_at.tzinfo is not None
    assert got.checks == made.checks and got.escalations == [escalation.name]
    assert escalation.contact_deadline == cst(MONDAY, 9) + timedelta(hours=24)


def test_visit_days_follow_china_standard_time(engine: Engine) -> None:
    """Rule V1: 23:30 CST Sunday is Sunday; 00:30 CST Monday is the next week."""
    sunday = MONDAY + timedelta(days=6)
    _record(engine, visit("persons/p1", cst(sunday, 23, 30)))
    _record(engine, visit("persons/p1", cst(sunday + timedelta(days=1), 0, 30)))
    with _uow(engine) as uow:
        days = uow.visits.visit_days(["persons/p1"], MONDAY, sunday)
    assert days == {"persons/p1": [sunday]}


def test_a_stale_escalation_is_not_overwritten(engine: Engine) -> None:
    made = _record(engine, visit("persons/p1", cst(MONDAY, 9), problems=(CheckItem.ILLNESS,)))
    escalation_id = made.escalations[0].removeprefix("escalations/")
    with _uow(engine) as uow:
        first = uow.escalations.get(escalation_id)
        second = uow.escalations.get(escalation_id)
        assert first is not None and second is not None
        uow.escalations.save(first)
        with pytest.raises(Aborted):
            uow.escalations.save(second)


def test_a_duplicate_request_id_at_write_time_is_aborted_and_writes_nothing(engine: Engine) -> None:
    """AIP-155: the key catches the race the read-check misses."""
    _record(engine, visit("persons/p1", cst(MONDAY, 9)), "req-1")
    late = visit("persons/p1", cst(MONDAY, 9))
    late.id, late.town, late.village = uuid.uuid4().hex, TOWN, "towns/chengdong/villages/xinhua"
    with pytest.raises(Aborted):
        use._record(_uow(engine), CHIEF, late, "req-1", visit_fingerprint(late), NOW)
    assert _count(engine) == 1


def test_concurrent_retries_of_one_visit_record_it_once(engine: Engine) -> None:
    """AIP-155 under concurrency: eight retries at once, one visit, one answer."""
    names: list[str] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            names.append(_record(engine, visit("persons/p1", cst(MONDAY, 9)), "req-2").name)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(names)) == 1 and len(names) == 8
    assert _count(engine) == 1


def test_utc_is_what_is_stored(engine: Engine) -> None:
    made = _record(engine, visit("persons/p1", datetime(2026, 11, 16, 1, 0, tzinfo=UTC)))
    with engine.connect() as conn:
        stored = conn.execute(
            select(orm.visits.c.visited_at).where(orm.visits.c.id == made.id)
        ).scalar_one()
    assert stored.replace(tzinfo=None) == datetime(2026, 11, 16, 1, 0) or stored == datetime(
        2026, 11, 16, 1, 0, tzinfo=UTC
    )
