"""The record path's statements run on the DB-API cursor of the session's connection.

SQLAlchemy's per-execution machinery (cache key, execution context, result wrapping) cost
more than half of the statements' CPU on the record path (seven statements a visit). A
`Prepared` statement is compiled once per dialect by SQLAlchemy itself, and its parameters go
through the same type processors (so a time is stored exactly as SQLAlchemy stores it), but
each execution is one cursor call. Nothing else changes:

- the session still owns the transaction: `session.connection()` begins it, the unit of work
  commits or rolls it back as before;
- the engine's `before_cursor_execute` / `after_cursor_execute` listeners run as SQLAlchemy
  would run them (group commit takes its writer lock in one);
- a driver error becomes SQLAlchemy's exception (a duplicate key is still an IntegrityError,
  which the unit of work turns into ABORTED).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

_Compiled = tuple[str, tuple[str, ...] | None, dict[str, Any], dict[str, Callable[[Any], Any]]]


class Prepared:
    """One statement, compiled per dialect on first use. `keys` names the columns an INSERT
    without values sets (every row passed must have them)."""

    def __init__(self, statement: ClauseElement, keys: Sequence[str] | None = None):
        self._statement = statement
        self._keys = list(keys) if keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled: Any = self._statement.compile(dialect=dialect, column_keys=self._keys)
            if any(getattr(compiled, a, None) for a in ("insert_prefetch", "update_prefetch")):
                # Column defaults are computed by SQLAlchemy's execution context: not here.
                raise ValueError(f"{self._statement} relies on column defaults; list the values")
            # Literal values of the statement itself (`last_seq + 1`): bound like the others.
            defaults = {
                name: bind.effective_value
                for name, bind in compiled.binds.items()
                if not bind.required and bind.callable is None
            }
            positions = tuple(compiled.positiontup) if compiled.positional else None
            found = (compiled.string, positions, defaults, dict(compiled._bind_processors))
            self._by_dialect[dialect.name] = found
        return found

    def _bound(self, compiled: _Compiled, values: Mapping[str, Any]) -> Any:
        _, positions, defaults, processors = compiled
        merged = {**defaults, **values} if defaults else values
        if positions is None:
            return {
                k: (processors[k](v) if k in processors and v is not None else v)
                for k, v in merged.items()
            }
        out = []
        for k in positions:
            v = merged[k]
            out.append(processors[k](v) if k in processors and v is not None else v)
        return tuple(out)

    def execute(self, session: Session, values: Mapping[str, Any]) -> None:
        """Runs the statement with one row of values."""
        self._run(session, values, many=False).close()

    def execute_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Runs the statement once per row (the driver's executemany)."""
        self._run(session, rows, many=True).close()

    def first(self, session: Session, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Runs the statement (a SELECT, or a write with RETURNING) and returns its first row
        as the driver gives it (no result processing: use it for text and integers)."""
        cursor = self._run(session, values, many=False)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else tuple(row)

    def _run(self, session: Session, values: Any, *, many: bool) -> Any:
        connection = session.connection()
        dialect = connection.dialect
        compiled = self._compiled(dialect)
        statement = compiled[0]
        if many:
            parameters: Any = [self._bound(compiled, row) for row in values]
        else:
            parameters = self._bound(compiled, values)
        cursor = connection.connection.cursor()
        statement, parameters = _before(connection, cursor, statement, parameters, many)
        try:
            if many:
                cursor.executemany(statement, parameters)
            else:
                cursor.execute(statement, parameters)
        except dialect.loaded_dbapi.Error as error:
            cursor.close()
            raise exc.DBAPIError.instance(
                statement, parameters, error, dialect.loaded_dbapi.Error, dialect=dialect
            ) from error
        if connection._has_events or connection.engine._has_events:
            connection.dispatch.after_cursor_execute(
                connection, cursor, statement, parameters, None, many
            )
        return cursor


def _before(
    connection: Connection, cursor: Any, statement: str, parameters: Any, many: bool
) -> tuple[str, Any]:
    if connection._has_events or connection.engine._has_events:
        for fn in connection.dispatch.before_cursor_execute:
            statement, parameters = fn(connection, cursor, statement, parameters, None, many)
    return statement, parameters
