"""Facts for assessment (rules A2, V1, V6) on a real database, checked against figures
worked out by hand for a town of four persons over two ISO weeks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.errors import PermissionDenied
from sgz_runtime.identity import Caller, Role, ScopeLevel
from visit_svc.adapters import orm
from visit_svc.adapters.facts_queries import SqlFactsUnitOfWork
from visit_svc.adapters.roster_client import FakeRosterClient
from visit_svc.domain.timeline import (
    AssignmentSpan,
    PersonStatus,
    PersonTimeline,
    StatusSpan,
    SubstituteSpan,
)
from visit_svc.domain.weeks import local_date, week_start
from visit_svc.service_layer.facts import DeadlineOutcome, WorkerFacts, worker_week_facts

MIGRATIONS = Path(__file__).resolve().parents[2] / "visit_svc" / "migrations"
TOWN = "towns/t"
VILLAGE = "towns/t/villages/v"
CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, TOWN)
START = date(2026, 1, 1)
W46, W47 = date(2026, 11, 9), date(2026, 11, 16)  # Mondays


def _timeline(
    person: str, worker: str, *, until: date | None = None, sub: str = ""
) -> PersonTimeline:
    statuses = [StatusSpan(START, until, PersonStatus.DISPERSED)]
    if until is not None:
        statuses.append(StatusSpan(until, None, PersonStatus.IN_INSTITUTION))
    substitutes = (SubstituteSpan(W47, W47 + timedelta(days=7), worker, sub),) if sub else ()
    return PersonTimeline(
        person=person,
        town=TOWN,
        village=VILLAGE,
        statuses=tuple(statuses),
        assignments=(AssignmentSpan(START, None, worker),),
        substitutes=substitutes,
    )


ROSTER = [
    _timeline("persons/p1", "workers/a"),
    _timeline("persons/p2", "workers/a"),
    # In an institution from the Monday of W47: due in W46 only (rule V8).
    _timeline("persons/p3", "workers/b", until=W47),
    # workers/c stands in for workers/b during W47 (rule V9).
    _timeline("persons/p4", "workers/b", sub="workers/c"),
]


@pytest.fixture
def engine(database_url: Callable[[str], str]) -> Iterator[Engine]:
    engine = make_engine(database_url("visit"), durable=True)
    migrate(engine, MIGRATIONS)
    yield engine
    engine.dispose()


def _at(day: date, hour: int = 10) -> datetime:
    """hour o'clock CST on day, in UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def _visit(
    conn: object, vid: str, person: str, worker: str, at: datetime, sub: str | None = None
) -> None:
    conn.execute(  # type: ignore[attr-defined]
        insert(orm.visits).values(
            id=vid,
            person=person,
            town=TOWN,
            village=VILLAGE,
            worker=worker,
            substitute_for=sub,
            visited_at=at,
            week_start=week_start(local_date(at)),
            notes="",
            recorded_by=worker,
            recorded_at=at,
        )
    )


def _escalation(
    conn: object,
    eid: str,
    visit: str,
    worker: str,
    at: datetime,
    *,
    urgency: str,
    contact_in: timedelta,
    action_in: timedelta,
    contact_after: timedelta | None,
    arranged_after: timedelta | None,
) -> None:
    conn.execute(  # type: ignore[attr-defined]
        insert(orm.escalations).values(
            id=eid,
            visit_id=visit,
            person="persons/p1",
            town=TOWN,
            village=VILLAGE,
            worker=worker,
            findings="house_safety",
            urgency=urgency,
            action="institution_admission",
            policy_version="v1",
            assistance_required=True,
            visit_at=at,
            contact_deadline=at + contact_in,
            action_deadline=at + action_in,
            state="opened",
            opened_at=at,
            contact_at=None if contact_after is None else at + contact_after,
            arranged_at=None if arranged_after is None else at + arranged_after,
            version=1,
        )
    )


@pytest.fixture
def town(engine: Engine) -> Engine:
    with engine.begin() as conn:
        # W46: p1 twice and p2 once by a; p3 once by b; p4 not at all.
        _visit(conn, "v1", "persons/p1", "workers/a", _at(date(2026, 11, 10)))
        _visit(conn, "v2", "persons/p1", "workers/a", _at(date(2026, 11, 12)))
        _visit(conn, "v3", "persons/p2", "workers/a", _at(date(2026, 11, 13)))
        _visit(conn, "v4", "persons/p3", "workers/b", _at(date(2026, 11, 15), 23))
        # W47: p1 by a; p4 by c standing in for b (credited to b); p2 not at all.
        _visit(conn, "v5", "persons/p1", "workers/a", _at(date(2026, 11, 16), 8))
        _visit(conn, "v6", "persons/p4", "workers/c", _at(date(2026, 11, 18)), sub="workers/b")
        # Outside the period: the Sunday before W46, late in the evening CST.
        _visit(conn, "v0", "persons/p1", "workers/a", _at(date(2026, 11, 8), 23))
        # a: contacted after 1 h of 2 h (met), arranged after 8 of 7 days (late).
        _escalation(
            conn,
            "e1",
            "v1",
            "workers/a",
            _at(date(2026, 11, 10)),
            urgency="immediate",
            contact_in=timedelta(hours=2),
            action_in=timedelta(days=7),
            contact_after=timedelta(hours=1),
            arranged_after=timedelta(days=8),
        )
        # b: never contacted (24 h passed: overdue); action due in 30 days (pending).
        _escalation(
            conn,
            "e2",
            "v4",
            "workers/b",
            _at(date(2026, 11, 15), 23),
            urgency="prompt",
            contact_in=timedelta(hours=24),
            action_in=timedelta(days=30),
            contact_after=None,
            arranged_after=None,
        )
    return engine


NOW = datetime(2026, 11, 23, 4, tzinfo=UTC)


def _facts(
    engine: Engine, caller: Caller = CHIEF, size: int = 0, token: str = ""
) -> tuple[list[WorkerFacts], str]:
    factory = session_factory(engine)
    return worker_week_facts(
        SqlFactsUnitOfWork(factory),
        FakeRosterClient(ROSTER),
        caller,
        TOWN,
        date(2026, 11, 9),
        date(2026, 11, 22),
        size,
        token,
        now=NOW,
    )


def _figures(facts: list[WorkerFacts]) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    return {
        (w.worker, str(wk.week)): (
            wk.persons_due,
            wk.persons_visited,
            wk.visits,
            wk.persons_covered,
        )
        for w in facts
        for wk in w.weeks
    }


def test_due_and_visited_per_worker_and_week_match_hand_counts_v1_v8_v9(town: Engine) -> None:
    facts, token = _facts(town)
    assert token == ""
    assert _figures(facts) == {
        # (due, persons visited, visits, persons visited as often as required)
        ("workers/a", "2026-W46"): (2, 2, 3, 2),
        ("workers/a", "2026-W47"): (2, 1, 1, 1),
        ("workers/b", "2026-W46"): (2, 1, 1, 1),
        ("workers/b", "2026-W47"): (1, 1, 1, 1),  # p3 moved to an institution; p4 by c
    }


def test_escalation_delays_are_judged_against_their_deadlines_v6(town: Engine) -> None:
    facts, _ = _facts(town)
    by = {(w.worker, str(wk.week)): wk.escalations for w in facts for wk in w.weeks}
    (a,) = by[("workers/a", "2026-W46")]
    assert (a.row.urgency, a.contact_delay, a.action_delay) == (
        "immediate",
        timedelta(hours=1),
        timedelta(days=8),
    )
    assert (a.contact, a.action) == (DeadlineOutcome.MET, DeadlineOutcome.LATE)
    (b,) = by[("workers/b", "2026-W46")]
    assert (b.contact_delay, b.contact, b.action) == (
        None,
        DeadlineOutcome.OVERDUE,
        DeadlineOutcome.PENDING,
    )
    assert by[("workers/a", "2026-W47")] == []


def test_facts_are_paged_by_worker(town: Engine) -> None:
    first, token = _facts(town, size=1)
    assert [w.worker for w in first] == ["workers/a"]
    rest, last = _facts(town, size=1, token=token)
    assert ([w.worker for w in rest], last) == (["workers/b"], "")


def test_a_worker_sees_only_their_own_facts_and_another_town_none(town: Engine) -> None:
    worker = Caller("workers/b", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/b")
    facts, _ = _facts(town, caller=worker)
    assert [w.worker for w in facts] == ["workers/b"]
    other = Caller("users/x", Role.STATION_CHIEF, ScopeLevel.TOWN, "towns/other")
    with pytest.raises(PermissionDenied):
        _facts(town, caller=other)
