"""Rule R5, one rule in two places: the roster lists persons missing an agreement in SQL
(missing_agreements), and missing_reason() says the rule in Python. A property test on the
real database (SQLite and PostgreSQL) holds them equal for random histories of status,
assignment and agreements."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from roster_svc.adapters.orm import start_mappers
from roster_svc.domain.assignments import Agreement, Assignment, missing_reason
from roster_svc.domain.persons import Person, PersonStatus, StatusChange
from roster_svc.domain.places import Town, TownKind, Village, VillageKind
from roster_svc.service_layer.unit_of_work import SqlRosterUnitOfWork
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.pii.resident_id import Gender

MIGRATIONS = Path(__file__).resolve().parents[2] / "roster_svc" / "migrations"
START = date(2026, 1, 5)
DAY = START + timedelta(days=20)
WORKERS = ("workers/a", "workers/b")
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One database for the module: each example writes its own town."""
    from tests.conftest import BACKEND, POSTGRES_URL

    if BACKEND == "postgres":
        import psycopg

        name = f"sgz_test_roster_prop_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('prop') / 'roster.db'}"
    start_mappers()
    made = make_engine(url, durable=False)
    migrate(made, MIGRATIONS)
    yield made
    made.dispose()
    if BACKEND == "postgres":
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


_day = st.integers(0, 40).map(lambda d: START + timedelta(days=d))
_person = st.fixed_dictionaries(
    {
        # Status changes on distinct days, the first always dispersed.
        "statuses": st.lists(
            st.tuples(_day, st.sampled_from([PersonStatus.DISPERSED, PersonStatus.HOSPITALISED])),
            max_size=2,
            unique_by=lambda s: s[0],
        ),
        "assignments": st.lists(
            st.tuples(_day, st.sampled_from(WORKERS)), max_size=2, unique_by=lambda a: a[0]
        ),
        "agreements": st.lists(st.tuples(_day, st.sampled_from(WORKERS)), max_size=3),
    }
)


T = TypeVar("T")


def _latest(rows: list[tuple[date, T]], day: date) -> T | None:
    """The value of the latest row dated on or before day (ties: the later row)."""
    before = [(d, i) for i, (d, _v) in enumerate(rows) if d <= day]
    return rows[max(before)[1]][1] if before else None


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(_person, min_size=1, max_size=4))
def test_sql_missing_agreements_equal_the_python_rule(
    engine: Engine, persons: list[dict[str, list[tuple[date, object]]]]
) -> None:
    n = next(_ids)
    town_id = f"t{n}"
    uow = SqlRosterUnitOfWork(session_factory(engine))
    expected: dict[str, tuple[str, object]] = {}
    with uow:
        uow.towns.add(Town(town_id, town_id, f"{n:06d}", TownKind.TOWN))
        uow.session.flush()  # imperative mappings carry no relationships: parents first
        uow.villages.add(Village(town_id, "v", "v", VillageKind.VILLAGE))
        uow.session.flush()
        for i, history in enumerate(persons):
            pid = f"{n}x{i}"
            uow.persons.add(
                Person(pid, town_id, "v", "李四", uuid.uuid4().hex * 2, "c", "m",
                       Gender.FEMALE, date(1950, 1, 1))
            )  # fmt: skip
            uow.session.flush()
            statuses = [(START, PersonStatus.DISPERSED)]
            statuses += [(d, s) for d, s in history["statuses"] if d != START]  # type: ignore[misc]
            statuses.sort(key=lambda s: s[0])
            for day, status in statuses:
                uow.history.add_status(StatusChange(pid, status, day))  # type: ignore[arg-type]
            for j, (day, worker) in enumerate(history["assignments"]):
                uow.caseloads.add_assignment(Assignment(f"{pid}a{j}", pid, str(worker), day))
            for j, (day, worker) in enumerate(history["agreements"]):
                uow.caseloads.add_agreement(
                    Agreement(f"{pid}g{j:02d}", pid, town_id, "v", str(worker), day, "")
                )
            status_now = _latest([(d, s) for d, s in statuses], DAY)  # type: ignore[misc]
            if status_now is not PersonStatus.DISPERSED:
                continue
            worker_now = _latest([(d, str(w)) for d, w in history["assignments"]], DAY) or ""
            signed = _latest([(d, str(w)) for d, w in history["agreements"]], DAY)
            reason = missing_reason(worker_now, signed)
            if reason is not None:
                expected[pid] = (worker_now, reason)
        uow.commit()
    with uow:
        rows = uow.caseloads.missing_agreements(town_id, DAY, None, 1000)
    assert {r.person.id: (r.worker, r.reason) for r in rows} == expected
