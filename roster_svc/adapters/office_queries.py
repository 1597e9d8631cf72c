"""The town office's queries beyond the resources' own: search by name, a page of an export with
each person's latest assessment, places by division code, assessment corrections (rule R6).

Each list is one query per page (what holds on a day is the same correlated subquery as
person_repository's), never a query per person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from roster_svc.adapters import orm
from roster_svc.adapters.person_repository import _care_at, _status_at, _worker_at
from roster_svc.domain.assessments import INDICATORS, Assessment
from roster_svc.domain.persons import CareLevel, Facts, Person
from roster_svc.domain.places import Town, Village
from sgz_runtime.pii.resident_id import Gender

_P = orm.persons.c
_A = orm.assessments.c
_V = orm.villages.c
_T = orm.towns.c

_metadata = MetaData()

#: Migration 0104: one row per correction, with the values it replaced.
assessment_corrections = Table(
    "assessment_corrections",
    _metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("assessment_id", String(32), nullable=False),
    Column("person_id", String(32), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("corrector", String(120), nullable=False),
    Column("corrected_at", DateTime(timezone=True), nullable=False),
    Column("request_id", String(100), nullable=True),
    Column("request_fingerprint", String(64), nullable=False),
    Column("previous_assessor", String(200), nullable=False),
    Column("previous_date", Date, nullable=False),
    *(Column(f"previous_{i}", Boolean, nullable=False) for i in INDICATORS),
    Column("previous_care_level", String(20), nullable=False),
)
_C = assessment_corrections.c


@dataclass(frozen=True)
class Scope:
    """Which persons a query may return: some towns (None: every town), maybe one village,
    maybe only one worker's caseload on `day`."""

    town_ids: tuple[str, ...] | None
    village_id: str | None = None
    worker: str | None = None


@dataclass(frozen=True)
class Correction:
    """A correction of an assessment: the values it replaced, who, when and why (rule R6)."""

    assessment_id: str
    reason: str
    corrector: str
    corrected_at: dt.datetime
    previous: Assessment
    request_id: str | None = None
    request_fingerprint: str = ""


@dataclass(frozen=True)
class LatestAssessment:
    """The assessment in force, as plain values (an export reads tens of thousands)."""

    id: str
    assessor: str
    assessment_date: dt.date
    answers: tuple[bool, ...]  # in the order of INDICATORS
    care_level: CareLevel | None


@dataclass(frozen=True)
class ExportRow:
    """One person of an export as plain values, not a session-tracked Person: building tens of
    thousands of mapped objects costs more than the query. `address` and `phone` are as stored
    (possibly sealed, `enc1:...`); the use case opens them in bulk."""

    id: str
    town_id: str
    village_id: str
    display_name: str
    id_cipher: str
    id_masked: str
    gender: Gender
    birth_date: dt.date
    address: str
    phone: str
    version: int
    facts: Facts
    village_display_name: str
    latest: LatestAssessment | None


class OfficeQueries(Protocol):
    def search(
        self, scope: Scope, query: str, day: dt.date, after: tuple[str, str] | None, limit: int
    ) -> list[tuple[Person, Facts]]: ...
    def persons(self, person_ids: Sequence[str], day: dt.date) -> list[tuple[Person, Facts]]: ...
    def export_page(
        self, scope: Scope, day: dt.date, after: str | None, limit: int, *, facts: bool = True
    ) -> list[ExportRow]:
        """facts=False leaves status, care level and worker out (a file export has no
        column for them) and saves their three subqueries a row."""
        ...

    def count(self, scope: Scope, day: dt.date) -> int: ...
    def towns_by_code(self, codes: Sequence[str]) -> dict[str, Town]: ...
    def villages_by_code(self, codes: Sequence[str]) -> dict[str, Village]: ...
    def villages_of(self, town_ids: Sequence[str]) -> list[Village]: ...
    def add_correction(self, correction: Correction) -> None: ...
    def correction_by_request(self, request_id: str) -> Correction | None: ...
    def corrections(self, assessment_ids: Sequence[str]) -> dict[str, list[Correction]]: ...


def _like(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_ASSESSMENT_COLUMNS = [_A.id, _A.person_id, _A.assessor, _A.assessment_date]
_ASSESSMENT_COLUMNS += [getattr(_A, i) for i in INDICATORS] + [_A.care_level]


class SqlOfficeQueries:
    def __init__(self, session: Session):
        self.session = session

    def _where(self, scope: Scope, day: dt.date) -> list[Any]:
        where: list[Any] = []
        if scope.town_ids is not None:
            where.append(_P.town_id.in_(scope.town_ids))
        if scope.village_id is not None:
            where.append(_P.village_id == scope.village_id)
        if scope.worker is not None:
            where.append(_worker_at(day) == scope.worker)
        return where

    def _with_facts(self, where: list[Any], day: dt.date, order: list[Any], limit: int) -> Any:
        return (
            select(Person, _status_at(day), _care_at(day), _worker_at(day))
            .where(*where)
            .order_by(*order)
            .limit(limit)
        )

    def search(
        self, scope: Scope, query: str, day: dt.date, after: tuple[str, str] | None, limit: int
    ) -> list[tuple[Person, Facts]]:
        where = self._where(scope, day)
        where.append(_P.display_name.like(_like(query), escape="\\"))
        if after is not None:
            name, ident = after
            where.append(or_(_P.display_name > name, and_(_P.display_name == name, _P.id > ident)))
        statement = self._with_facts(where, day, [_P.display_name, _P.id], limit)
        return [(p, Facts(s, c, w or "")) for p, s, c, w in self.session.execute(statement)]

    def persons(self, person_ids: Sequence[str], day: dt.date) -> list[tuple[Person, Facts]]:
        if not person_ids:
            return []
        statement = self._with_facts([_P.id.in_(person_ids)], day, [_P.id], len(person_ids))
        return [(p, Facts(s, c, w or "")) for p, s, c, w in self.session.execute(statement)]

    def export_page(
        self, scope: Scope, day: dt.date, after: str | None, limit: int, *, facts: bool = True
    ) -> list[ExportRow]:
        where = self._where(scope, day)
        none = null()
        status, care, worker = (
            (_status_at(day), _care_at(day), _worker_at(day)) if facts else (none, none, none)
        )
        if after is not None:
            where.append(_P.id > after)
        # Sealed columns read as stored (type_coerce skips their one-at-a-time decryption).
        statement = (
            select(
                _P.id,
                _P.town_id,
                _P.village_id,
                _P.display_name,
                _P.id_cipher,
                _P.id_masked,
                _P.gender,
                _P.birth_date,
                type_coerce(_P.address, Text).label("address"),
                type_coerce(_P.phone, Text).label("phone"),
                _P.version,
                status.label("fact_status"),
                care.label("fact_care"),
                worker.label("fact_worker"),
                _V.display_name.label("village_display_name"),
            )
            .join(orm.villages, and_(_V.town_id == _P.town_id, _V.id == _P.village_id))
            .where(*where)
            .order_by(_P.id)
            .limit(limit)
        )
        rows = self.session.execute(statement).all()
        latest = self._latest_assessments([r.id for r in rows], day)
        return [
            ExportRow(
                r.id,
                r.town_id,
                r.village_id,
                r.display_name,
                r.id_cipher,
                r.id_masked,
                r.gender,
                r.birth_date,
                r.address or "",
                r.phone or "",
                r.version,
                Facts(r.fact_status, r.fact_care, r.fact_worker or ""),
                r.village_display_name,
                latest.get(r.id),
            )
            for r in rows
        ]

    def _latest_assessments(
        self, person_ids: Sequence[str], day: dt.date
    ) -> dict[str, LatestAssessment]:
        if not person_ids:
            return {}
        statement = (
            select(*_ASSESSMENT_COLUMNS)
            .where(_A.person_id.in_(person_ids), _A.assessment_date <= day)
            .order_by(_A.person_id, _A.assessment_date)
        )
        # Ordered by date: the last one of each person wins.
        return {
            row.person_id: LatestAssessment(
                row.id,
                row.assessor,
                row.assessment_date,
                tuple(bool(getattr(row, i)) for i in INDICATORS),
                row.care_level,
            )
            for row in self.session.execute(statement)
        }

    def count(self, scope: Scope, day: dt.date) -> int:
        statement = select(func.count()).select_from(orm.persons).where(*self._where(scope, day))
        return int(self.session.execute(statement).scalar_one())

    def towns_by_code(self, codes: Sequence[str]) -> dict[str, Town]:
        if not codes:
            return {}
        found = self.session.scalars(select(Town).where(_T.administrative_code.in_(codes)))
        return {t.administrative_code: t for t in found}

    def villages_by_code(self, codes: Sequence[str]) -> dict[str, Village]:
        if not codes:
            return {}
        found = self.session.scalars(select(Village).where(_V.administrative_code.in_(codes)))
        return {v.administrative_code: v for v in found if v.administrative_code}

    def villages_of(self, town_ids: Sequence[str]) -> list[Village]:
        if not town_ids:
            return []
        query = select(Village).where(_V.town_id.in_(town_ids)).order_by(_V.town_id, _V.id)
        return list(self.session.scalars(query))

    def add_correction(self, correction: Correction) -> None:
        previous = correction.previous
        values: dict[str, Any] = {
            "assessment_id": correction.assessment_id,
            "person_id": previous.person_id,
            "reason": correction.reason,
            "corrector": correction.corrector,
            "corrected_at": correction.corrected_at,
            "request_id": correction.request_id,
            "request_fingerprint": correction.request_fingerprint,
            "previous_assessor": previous.assessor,
            "previous_date": previous.assessment_date,
            "previous_care_level": previous.care_level.value if previous.care_level else "",
        }
        values.update({f"previous_{i}": bool(getattr(previous, i)) for i in INDICATORS})
        self.session.execute(insert(assessment_corrections).values(**values))

    def _correction(self, row: Any) -> Correction:
        previous = Assessment(
            id=row.assessment_id,
            person_id=row.person_id,
            assessor=row.previous_assessor,
            assessment_date=row.previous_date,
            care_level=CareLevel(row.previous_care_level) if row.previous_care_level else None,
            **{i: getattr(row, f"previous_{i}") for i in INDICATORS},
        )
        corrected_at = row.corrected_at
        if corrected_at.tzinfo is None:  # SQLite gives naive datetimes back
            corrected_at = corrected_at.replace(tzinfo=dt.UTC)
        return Correction(
            assessment_id=row.assessment_id,
            reason=row.reason,
            corrector=row.corrector,
            corrected_at=corrected_at,
            previous=previous,
            request_id=row.request_id,
            request_fingerprint=row.request_fingerprint,
        )

    def correction_by_request(self, request_id: str) -> Correction | None:
        row = self.session.execute(
            select(assessment_corrections).where(_C.request_id == request_id)
        ).first()
        return self._correction(row) if row is not None else None

    def corrections(self, assessment_ids: Sequence[str]) -> dict[str, list[Correction]]:
        found: dict[str, list[Correction]] = {}
        if not assessment_ids:
            return found
        query = (
            select(assessment_corrections)
            .where(_C.assessment_id.in_(assessment_ids))
            .order_by(_C.seq)
        )
        for row in self.session.execute(query):
            found.setdefault(row.assessment_id, []).append(self._correction(row))
        return found
