"""Rule V1, one rule in two places: the facts query counts a worker's covered persons in SQL
(visit_counts), the due lists use visits_cover() in Python. A property test on the real
database (SQLite and PostgreSQL) holds them equal for random weeks of visits, substitutes and
policy versions."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from sgz_runtime.db import make_engine, migrate, session_factory
from visit_svc.adapters import orm
from visit_svc.adapters.facts_queries import SqlFactsUnitOfWork
from visit_svc.domain.due import visits_cover
from visit_svc.domain.weeks import local_date, week_start

MIGRATIONS = Path(__file__).resolve().parents[2] / "visit_svc" / "migrations"
MONDAYS = (date(2026, 11, 9), date(2026, 11, 16))
WORKERS = ("workers/a", "workers/b", "workers/c")
PERSONS = ("persons/p1", "persons/p2", "persons/p3")
_ids = itertools.count()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One database for the module: each example writes its own town."""
    from tests.conftest import BACKEND, POSTGRES_URL

    if BACKEND == "postgres":
        import psycopg

        name = f"sgz_test_visit_prop_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('prop') / 'visit.db'}"
    made = make_engine(url, durable=False)
    migrate(made, MIGRATIONS)
    yield made
    made.dispose()
    if BACKEND == "postgres":
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


# (person, worker, substitute_for or None, week index, day of week, hour in China)
_visit = st.tuples(
    st.sampled_from(PERSONS),
    st.sampled_from(WORKERS),
    st.one_of(st.none(), st.sampled_from(WORKERS)),
    st.integers(0, 1),
    st.integers(0, 6),
    st.sampled_from([0, 9, 23]),
)
# Policy versions: (days after the first Monday it takes effect, visits per week).
_steps = st.lists(st.tuples(st.integers(-7, 13), st.integers(1, 3)), min_size=1, max_size=3)


def _needed(steps: list[tuple[date, int]], monday: date) -> int:
    """The version in effect on the Monday; before any, the earliest one (as the query)."""
    effective = [(start, n) for start, n in steps if start <= monday]
    return max(effective)[1] if effective else min(steps)[1]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(_visit, max_size=12), _steps)
def test_sql_covered_equals_the_python_rule(
    engine: Engine,
    visits: list[tuple[str, str, str | None, int, int, int]],
    raw_steps: list[tuple[int, int]],
) -> None:
    town = f"towns/t{next(_ids)}"
    steps = sorted({(MONDAYS[0] + timedelta(days=d), n) for d, n in raw_steps})
    steps = [s for i, s in enumerate(steps) if i == 0 or s[0] != steps[i - 1][0]]
    with engine.begin() as conn:
        for person, worker, sub, week, weekday, hour in visits:
            if sub == worker:
                sub = None
            day = MONDAYS[week] + timedelta(days=weekday)
            at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 8)
            conn.execute(
                insert(orm.visits).values(
                    id=uuid.uuid4().hex, person=person, town=town,
                    village=f"{town}/villages/v", worker=worker, substitute_for=sub,
                    visited_at=at, week_start=week_start(local_date(at)), notes="",
                    recorded_by=worker, recorded_at=at,
                )
            )  # fmt: skip
    with SqlFactsUnitOfWork(session_factory(engine)) as uow:
        counts = uow.facts.visit_counts(town, list(WORKERS), MONDAYS[0], MONDAYS[1], steps)
    made: Counter[tuple[str, date, str]] = Counter()
    for person, worker, sub, week, weekday, hour in visits:
        day = MONDAYS[week] + timedelta(days=weekday)
        at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 8)
        credited = sub if sub is not None and sub != worker else worker
        made[(credited, week_start(local_date(at)), person)] += 1
    expected: Counter[tuple[str, date]] = Counter()
    for (credited, monday, _person), n in made.items():
        expected[(credited, monday)] += visits_cover(n, _needed(steps, monday))
    got = {key: c.persons_covered for key, c in counts.items()}
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}


def test_the_rule_itself() -> None:
    """Rule V1: covered when the visits made reach those required, not one fewer."""
    assert [visits_cover(m, 2) for m in (0, 1, 2, 3)] == [False, False, True, True]
