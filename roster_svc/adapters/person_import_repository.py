"""Bulk reads and writes of an import batch (item 8 of issue 3): the port and its SQL adapter.

Written with SQLAlchemy Core and executemany rather than the mapper: a batch of thousands of
rows is read with a few IN queries and written with one INSERT (and one UPDATE) per table,
inside the caller's unit of work. The tables are roster-core's (orm.persons, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from roster_svc.adapters import orm
from roster_svc.domain.assessments import INDICATORS

#: Keys per IN query: well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 1000


@dataclass(frozen=True)
class ExistingPerson:
    id: str
    id_hash: str
    town_id: str
    village_id: str
    display_name: str
    address: str
    phone: str
    version: int


@dataclass(frozen=True)
class ExistingAssessment:
    person_id: str
    assessment_date: dt.date
    assessor: str
    answers: dict[str, bool]


class PersonImportRepository(Protocol):
    def towns(self) -> list[tuple[str, str, str]]:
        """(id, administrative code, display name) of every town."""
        ...

    def villages_of(self, town_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """(village id, display name) of every village of the towns, by town id."""
        ...

    def persons_by_hash(self, hashes: Sequence[str]) -> dict[str, ExistingPerson]: ...

    def latest_assessments(self, person_ids: Sequence[str]) -> dict[str, ExistingAssessment]:
        """Each person's latest assessment, by person id."""
        ...

    def insert_persons(self, rows: list[dict[str, Any]]) -> None: ...
    def update_persons(self, rows: list[dict[str, Any]]) -> int:
        """Updates by id and expected version; returns how many rows matched."""
        ...

    def insert_status_changes(self, rows: list[dict[str, Any]]) -> None: ...
    def insert_assessments(self, rows: list[dict[str, Any]]) -> None: ...


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


class SqlPersonImportRepository:
    def __init__(self, session: Session):
        self.session = session

    def towns(self) -> list[tuple[str, str, str]]:
        t = orm.towns
        rows = self.session.execute(select(t.c.id, t.c.administrative_code, t.c.display_name))
        return [(r.id, r.administrative_code, r.display_name) for r in rows]

    def villages_of(self, town_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        v = orm.villages
        found: dict[str, list[tuple[str, str]]] = {}
        for chunk in _chunks(list(town_ids)):
            rows = self.session.execute(
                select(v.c.town_id, v.c.id, v.c.display_name).where(v.c.town_id.in_(chunk))
            )
            for r in rows:
                found.setdefault(r.town_id, []).append((r.id, r.display_name))
        return found

    def persons_by_hash(self, hashes: Sequence[str]) -> dict[str, ExistingPerson]:
        p = orm.persons
        found: dict[str, ExistingPerson] = {}
        for chunk in _chunks(list(hashes)):
            rows = self.session.execute(
                select(
                    p.c.id,
                    p.c.id_hash,
                    p.c.town_id,
                    p.c.village_id,
                    p.c.display_name,
                    p.c.address,
                    p.c.phone,
                    p.c.version,
                ).where(p.c.id_hash.in_(chunk))
            )
            for r in rows:
                found[r.id_hash] = ExistingPerson(
                    r.id,
                    r.id_hash,
                    r.town_id,
                    r.village_id,
                    r.display_name,
                    r.address,
                    r.phone,
                    r.version,
                )
        return found

    def latest_assessments(self, person_ids: Sequence[str]) -> dict[str, ExistingAssessment]:
        a = orm.assessments
        found: dict[str, ExistingAssessment] = {}
        for chunk in _chunks(list(person_ids)):
            latest = (
                select(a.c.person_id, func.max(a.c.assessment_date).label("latest"))
                .where(a.c.person_id.in_(chunk))
                .group_by(a.c.person_id)
                .subquery()
            )
            rows = self.session.execute(
                select(a).join(
                    latest,
                    (a.c.person_id == latest.c.person_id)
                    & (a.c.assessment_date == latest.c.latest),
                )
            )
            for r in rows:
                found[r.person_id] = ExistingAssessment(
                    r.person_id,
                    r.assessment_date,
                    r.assessor,
                    {i: bool(getattr(r, i)) for i in INDICATORS},
                )
        return found

    def insert_persons(self, rows: list[dict[str, Any]]) -> None:
        _bulk_insert(self.session, orm.persons, rows)

    def update_persons(self, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        p = orm.persons
        statement = (
            update(p)
            .where(p.c.id == bindparam("b_id"), p.c.version == bindparam("b_version"))
            .values(
                village_id=bindparam("village_id"),
                display_name=bindparam("display_name"),
                address=bindparam("address"),
                phone=bindparam("phone"),
                version=bindparam("b_version") + 1,
            )
        )
        result = self.session.connection().execute(statement, rows)
        return int(result.rowcount)

    def insert_status_changes(self, rows: list[dict[str, Any]]) -> None:
        _bulk_insert(self.session, orm.status_changes, rows)

    def insert_assessments(self, rows: list[dict[str, Any]]) -> None:
        _bulk_insert(self.session, orm.assessments, rows)


def _bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """One driver-level executemany of rows (all with the same keys) into table, in the
    session's transaction. Each value goes through its column type's own bind processor, as
    SQLAlchemy would, but without SQLAlchemy's per-row statement machinery: for a batch of
    thousands of rows that machinery cost more than the database (see docs/roster-import.md).
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(k) for k in keys)}) "
        f"VALUES ({', '.join([marker] * len(keys))})"
    )
    columns: list[list[Any]] = []
    for key in keys:
        column = [row[key] for row in rows]
        process = table.c[key].type.bind_processor(dialect)
        if process is not None:
            column = [None if v is None else process(v) for v in column]
        columns.append(column)
    values = list(zip(*columns, strict=True))
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(sql, values)
    finally:
        cursor.close()
