"""Bulk reads and writes of an import batch (item 8 of issue 3): the port and its SQL adapter.

Written with SQLAlchemy Core and executemany rather than the mapper: a batch of thousands of
rows is read with a few IN queries and written with one INSERT (and one UPDATE) per table,
inside the caller's unit of work. The tables are roster-core's (orm.persons, ...).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Table, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from roster_svc.adapters import orm
from roster_svc.domain.assessments import INDICATORS
from roster_svc.domain.persons import PersonStatus
from sgz_runtime.errors import Aborted

#: Keys per IN query: well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 1000


class DuplicateKey(Exception):
    """A bulk insert met a unique key already taken (the transaction is to be rolled back)."""


@contextlib.contextmanager
def _planned_each_time(session: Session) -> Iterator[None]:
    """PostgreSQL: plan these lookups for the table as it is now. psycopg prepares a statement
    run five times, and a plan made while the table was empty (a fresh roster filling up)
    would scan it whole for every batch."""
    driver: Any = session.connection().connection.driver_connection
    if not hasattr(driver, "prepare_threshold"):
        yield
        return
    before = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = before


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

    # Staging: a file's batches prepared one by one, applied together (CommitPersonImport).
    def stage(self, rows: list[dict[str, Any]]) -> None:
        """DuplicateKey when an ID is already staged under the same import."""
        ...

    def staged_towns(self, import_id: str) -> set[str]: ...
    def apply_staged(self, import_id: str) -> dict[str, int]:
        """Writes every staged row (Aborted when the roster changed since) and forgets them;
        the number of rows per op."""
        ...

    def discard_staged(self, import_id: str) -> None: ...
    def purge_staged_before(self, moment: dt.datetime) -> None: ...


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
                select(v.c.town_id, v.c.id, v.c.display_name, v.c.administrative_code).where(
                    v.c.town_id.in_(chunk)
                )
            )
            for r in rows:
                found.setdefault(r.town_id, []).append((r.id, r.display_name))
                if r.administrative_code:
                    # A file may name the village by its 12-digit code (places import).
                    found[r.town_id].append((r.id, r.administrative_code))
        return found

    def persons_by_hash(self, hashes: Sequence[str]) -> dict[str, ExistingPerson]:
        with _planned_each_time(self.session):
            return self._persons_by_hash(hashes)

    def latest_assessments(self, person_ids: Sequence[str]) -> dict[str, ExistingAssessment]:
        with _planned_each_time(self.session):
            return self._latest_assessments(person_ids)

    def _persons_by_hash(self, hashes: Sequence[str]) -> dict[str, ExistingPerson]:
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

    def _latest_assessments(self, person_ids: Sequence[str]) -> dict[str, ExistingAssessment]:
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

    # --- staging (CommitPersonImport) ---

    def stage(self, rows: list[dict[str, Any]]) -> None:
        _bulk_insert(self.session, orm.person_import_staging, rows)

    def staged_towns(self, import_id: str) -> set[str]:
        st = orm.person_import_staging
        rows = self.session.execute(
            select(st.c.town_id).where(st.c.import_id == import_id).distinct()
        )
        return {r.town_id for r in rows}

    def apply_staged(self, import_id: str) -> dict[str, int]:
        """Set-based: one INSERT ... SELECT or UPDATE ... FROM per table, no row in Python."""
        st, p = orm.person_import_staging, orm.persons
        mine = st.c.import_id == import_id
        counts = {
            op: int(n)
            for op, n in self.session.execute(
                select(st.c.op, func.count()).where(mine).group_by(st.c.op)
            )
        }
        person_columns = [
            "id", "town_id", "village_id", "display_name", "id_hash", "id_cipher", "id_masked",
            "gender", "birth_date", "address", "phone", "version",
        ]  # fmt: skip
        try:
            self.session.execute(
                insert(p).from_select(
                    person_columns,
                    select(
                        st.c.person_id, st.c.town_id, st.c.village_id, st.c.display_name,
                        st.c.id_hash, st.c.id_cipher, st.c.id_masked, st.c.gender,
                        st.c.birth_date, st.c.address, st.c.phone, literal(1),
                    ).where(mine, st.c.op == "create"),
                )
            )  # fmt: skip
            updated = self.session.execute(
                update(p)
                .where(
                    mine,
                    st.c.op == "update",
                    p.c.id == st.c.person_id,
                    p.c.version == st.c.expected_version,
                )
                .values(
                    village_id=st.c.village_id,
                    display_name=st.c.display_name,
                    address=st.c.address,
                    phone=st.c.phone,
                    version=p.c.version + 1,
                )
            )
            if updated.rowcount != counts.get("update", 0):  # type: ignore[attr-defined]
                raise Aborted("a person changed since the file was checked; import it again")
            s = orm.status_changes
            self.session.execute(
                insert(s).from_select(
                    ["person_id", "status", "effective_date", "reason"],
                    select(
                        st.c.person_id,
                        literal(PersonStatus.DISPERSED, s.c.status.type),
                        st.c.effective_date,
                        literal("imported"),
                    ).where(mine, st.c.op == "create"),
                )
            )
            a = orm.assessments
            answers = [
                "eating", "dressing", "transferring", "toileting", "indoor_walking", "bathing"
            ]  # fmt: skip
            self.session.execute(
                insert(a).from_select(
                    ["id", "person_id", "assessor", "assessment_date", *answers, "care_level"],
                    select(
                        st.c.assessment_id, st.c.person_id, st.c.assessor, st.c.assessment_date,
                        *(st.c[i] for i in answers), st.c.care_level,
                    ).where(mine, st.c.assessment_id.is_not(None)),
                )
            )  # fmt: skip
        except IntegrityError:
            # Another import or a CreatePerson took the same ID or assessment date meanwhile.
            raise Aborted(
                "the roster changed since the file was checked (the same person or assessment "
                "was added meanwhile); import it again"
            ) from None
        self.session.execute(delete(st).where(mine))
        return counts

    def discard_staged(self, import_id: str) -> None:
        st = orm.person_import_staging
        self.session.execute(delete(st).where(st.c.import_id == import_id))

    def purge_staged_before(self, moment: dt.datetime) -> None:
        st = orm.person_import_staging
        self.session.execute(delete(st).where(st.c.staged_at < moment))


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
    except dialect.loaded_dbapi.IntegrityError:
        raise DuplicateKey(f"a row of {table.name} repeats a unique key") from None
    finally:
        cursor.close()
