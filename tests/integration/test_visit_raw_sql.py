"""The visit record path's DB-API statements (visit_svc/adapters/raw_sql.py) on a real database
(SQLite or PostgreSQL by SGZ_TEST_DB): rows stored exactly as SQLAlchemy stores them, a
duplicate key still an IntegrityError (ABORTED for AIP-155 retries), and the engine's cursor
listeners still called (group commit takes its writer lock in one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    event,
    insert,
    text,
)
from sqlalchemy.exc import IntegrityError

from sgz_runtime.db import make_engine, migrate, session_factory
from visit_svc.adapters import orm
from visit_svc.adapters.raw_sql import Prepared

MIGRATIONS = Path(__file__).resolve().parents[2] / "visit_svc" / "migrations"
KEYS = ["id", "person", "town", "village", "worker", "substitute_for", "visited_at"]
KEYS += ["week_start", "notes", "recorded_by", "recorded_at"]


@pytest.fixture
def engine(database_url: Callable[[str], str]) -> Iterator[Engine]:
    engine = make_engine(database_url("visit"), durable=True)
    migrate(engine, MIGRATIONS)
    yield engine
    engine.dispose()


def _row(visit_id: str) -> dict[str, Any]:
    return {
        "id": visit_id,
        "person": "persons/p1",
        "town": "towns/t",
        "village": "towns/t/villages/v",
        "worker": "workers/w",
        "substitute_for": None,
        "visited_at": datetime(2026, 11, 20, 1, 2, 3, 456789, tzinfo=UTC),
        "week_start": date(2026, 11, 16),
        "notes": "门口有积水",
        "recorded_by": "users/chief",
        "recorded_at": datetime(2026, 11, 20, 1, 2, 4, 7, tzinfo=UTC),
    }


def test_a_row_written_on_the_cursor_is_stored_as_sqlalchemy_stores_it(engine: Engine) -> None:
    factory = session_factory(engine)
    with factory() as session:
        session.execute(insert(orm.visits), _row("a" * 32))
        Prepared(insert(orm.visits), KEYS).execute(session, _row("b" * 32))
        session.commit()
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT {', '.join(KEYS[1:])} FROM visits ORDER BY id")
        ).all()
    assert len(rows) == 2
    assert rows[0] == rows[1]  # the very same stored values (text of the times on SQLite)


def test_a_duplicate_key_on_the_cursor_is_an_integrity_error(engine: Engine) -> None:
    add = Prepared(insert(orm.request_ids), ["request_id", "method", "body_hash", "resource"])
    values = {"request_id": "r1", "method": "CreateVisit", "body_hash": "h", "resource": "x"}
    factory = session_factory(engine)
    with factory() as session:
        add.execute(session, values)
        session.commit()
    with factory() as session, pytest.raises(IntegrityError):
        add.execute(session, values)


def test_the_engine_cursor_listeners_see_statements_run_on_the_cursor(engine: Engine) -> None:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split()[0])

    factory = session_factory(engine)
    with factory() as session:
        Prepared(insert(orm.visits), KEYS).execute(session, _row("c" * 32))
        session.commit()
    assert seen == ["INSERT"]


def test_a_statement_relying_on_column_defaults_is_refused(engine: Engine) -> None:
    # b's default is computed by SQLAlchemy's execution context: the cursor would skip it.
    table = Table(
        "t", MetaData(), Column("a", Integer, primary_key=True), Column("b", String(9), default="x")
    )
    factory = session_factory(engine)
    with factory() as session, pytest.raises(ValueError, match="column defaults"):
        Prepared(insert(table), ["a"]).execute(session, {"a": 1})
