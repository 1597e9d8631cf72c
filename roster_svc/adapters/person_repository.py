"""Repositories of persons and their history: ports (Protocols) and SQLAlchemy adapters.

Lists read one page in one query: what holds on a day (status, care level, worker) is a
correlated subquery on the (person, date) index, never a query per person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from roster_svc.adapters import orm
from roster_svc.domain.assessments import INDICATORS, Assessment, Reassessment
from roster_svc.domain.assignments import Agreement, Assignment, MissingReason, Substitution
from roster_svc.domain.persons import (
    CareLevel,
    Facts,
    Period,
    Person,
    PersonStatus,
    StatusChange,
)

_P = orm.persons.c
_S = orm.status_changes.c
_A = orm.assessments.c
_W = orm.assignments.c
_G = orm.agreements.c


def _latest_at(value: Any, person_id: Any, effective: Any, day: dt.date) -> Any:
    """The value of the person's latest event effective on or before day (rule R6: history is
    effective-dated, and "as of D" reads the last change on or before D)."""
    return (
        select(value)
        .where(person_id == _P.id, effective <= day)
        .order_by(effective.desc())
        .limit(1)
        .scalar_subquery()
    )


def _status_at(day: dt.date) -> Any:
    return _latest_at(_S.status, _S.person_id, _S.effective_date, day)


def _care_at(day: dt.date) -> Any:
    return _latest_at(_A.care_level, _A.person_id, _A.assessment_date, day)


def _worker_at(day: dt.date) -> Any:
    return _latest_at(_W.worker, _W.person_id, _W.start_date, day)


@dataclass(frozen=True)
class PersonQuery:
    """Which persons a list reads: a town, maybe one village, filters read on `day`."""

    town_id: str
    village_id: str | None
    day: dt.date
    status: PersonStatus | None = None
    worker: str | None = None


@dataclass(frozen=True)
class ReassessmentQuery:
    """The re-assessments of one person, or of every person of one town."""

    person_id: str | None = None
    town_id: str | None = None
    open_only: bool = False


@dataclass(frozen=True)
class TownEvents:
    """(person, town) pairs, (person, date, status) and (person, date, care level) events."""

    people: list[tuple[str, str]]
    statuses: list[tuple[str, dt.date, PersonStatus]]
    levels: list[tuple[str, dt.date, CareLevel]]


@dataclass(frozen=True)
class MissingAgreementRow:
    person: Person
    worker: str
    reason: MissingReason
    latest_agreement: Agreement | None


@dataclass(frozen=True)
class AssignmentSpanRow:
    assignment: Assignment
    end_date: dt.date | None


class PersonRepository(Protocol):
    def add(self, person: Person) -> None: ...
    def get(self, person_id: str) -> Person | None: ...
    def get_by_hash(self, id_hash: str) -> Person | None: ...
    def upsert_many(self, persons: Sequence[Person]) -> set[str]:
        """Inserts or updates persons matched by id_hash; each person's `id` becomes the stored
        one. Returns the ids inserted (new persons). One batch of queries for the lot."""
        ...

    def list_page(
        self, query: PersonQuery, after: str | None, limit: int
    ) -> list[tuple[Person, Facts]]: ...

    def page(
        self, town_id: str, village_id: str | None, after: str | None, limit: int
    ) -> list[Person]: ...
    def facts(self, person_ids: Sequence[str], day: dt.date) -> dict[str, Facts]: ...
    def list_involving_worker(
        self,
        town_id: str,
        village_id: str | None,
        worker: str,
        period: Period,
        after: str | None,
        limit: int,
    ) -> list[Person]: ...


class HistoryRepository(Protocol):
    def add_status(self, change: StatusChange) -> None: ...
    def add_statuses(self, changes: Sequence[StatusChange]) -> None: ...
    def status_by_request_id(self, request_id: str) -> StatusChange | None: ...
    def statuses(self, person_ids: Sequence[str]) -> list[StatusChange]: ...
    def add_assessment(self, assessment: Assessment) -> None: ...
    def assessments(self, person_ids: Sequence[str]) -> list[Assessment]: ...
    def list_assessments(
        self, person_id: str, after: str | None, limit: int
    ) -> list[Assessment]: ...

    def add_reassessment(self, reassessment: Reassessment) -> None: ...
    def open_reassessments(self, person_id: str) -> list[Reassessment]: ...
    def list_reassessments(
        self, query: ReassessmentQuery, after: str | None, limit: int
    ) -> list[Reassessment]: ...
    def town_events(self, town_ids: Sequence[str]) -> TownEvents: ...


class CaseloadRepository(Protocol):
    def add_assignment(self, assignment: Assignment) -> None: ...
    def assignments(self, person_ids: Sequence[str]) -> list[Assignment]: ...
    def assignment_spans(
        self, town_id: str, period: Period, after: tuple[str, str, str] | None, limit: int
    ) -> list[AssignmentSpanRow]: ...
    def caseloads(self, town_id: str, day: dt.date) -> list[tuple[str, int]]: ...
    def add_substitution(self, substitution: Substitution) -> None: ...
    def substitutions_of(
        self, town_id: str, workers: Sequence[str] | None = None
    ) -> list[Substitution]: ...
    def list_substitutions(
        self, town_id: str, after: str | None, limit: int
    ) -> list[Substitution]: ...
    def add_agreement(self, agreement: Agreement) -> None: ...
    def list_agreements(self, person_id: str, after: str | None, limit: int) -> list[Agreement]: ...

    def missing_agreements(
        self, town_id: str, day: dt.date, after: str | None, limit: int
    ) -> list[MissingAgreementRow]: ...


def _after(query: Select[Any], column: Any, after: str | None) -> Select[Any]:
    return query if after is None else query.where(column > after)


class SqlPersonRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, person: Person) -> None:
        self.session.add(person)

    def get(self, person_id: str) -> Person | None:
        return self.session.get(Person, person_id)

    def get_by_hash(self, id_hash: str) -> Person | None:
        return self.session.scalars(select(Person).where(_P.id_hash == id_hash)).first()

    def upsert_many(self, persons: Sequence[Person]) -> set[str]:
        if not persons:
            return set()
        hashes = [p.id_hash for p in persons]
        existing: dict[str, tuple[str, int]] = {}
        for chunk in range(0, len(hashes), 900):  # SQLite's bound-parameter limit
            rows = self.session.execute(
                select(_P.id_hash, _P.id, _P.version).where(
                    _P.id_hash.in_(hashes[chunk : chunk + 900])
                )
            )
            existing.update({h: (i, v) for h, i, v in rows})
        fields = ("town_id", "village_id", "display_name", "id_cipher", "id_masked", "gender",
                  "birth_date", "address", "phone")  # fmt: skip
        new_rows: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        inserted: set[str] = set()
        for person in persons:
            values = {f: getattr(person, f) for f in fields}
            found = existing.get(person.id_hash)
            if found is None:
                new_rows.append(
                    {"id": person.id, "id_hash": person.id_hash, "version": 1, **values}
                )
                inserted.add(person.id)
            else:
                person.id, person.version = found[0], found[1] + 1
                changed.append({"b_id": found[0], "version": found[1] + 1, **values})
        if new_rows:
            self.session.execute(insert(orm.persons), new_rows)
        if changed:
            statement = (
                update(orm.persons)
                .where(_P.id == bindparam("b_id"))
                .values({f: bindparam(f) for f in (*fields, "version")})
            )
            self.session.connection().execute(statement, changed)
        return inserted

    def _scoped(self, query: PersonQuery) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [_P.town_id == query.town_id]
        if query.village_id is not None:
            where.append(_P.village_id == query.village_id)
        return where

    def list_page(
        self, query: PersonQuery, after: str | None, limit: int
    ) -> list[tuple[Person, Facts]]:
        status, care, worker = (
            _status_at(query.day).label("s"),
            _care_at(query.day).label("c"),
            _worker_at(query.day).label("w"),
        )
        scoped = select(_P.id.label("pid"), status, care, worker).where(*self._scoped(query))
        inner = _after(scoped, _P.id, after).subquery()
        statement = (
            select(Person, inner.c.s, inner.c.c, inner.c.w)
            .join(inner, inner.c.pid == _P.id)
            .order_by(_P.id)
            .limit(limit)
        )
        if query.status is not None:
            statement = statement.where(inner.c.s == query.status)
        if query.worker is not None:
            statement = statement.where(inner.c.w == query.worker)
        return [(p, Facts(s, c, w or "")) for p, s, c, w in self.session.execute(statement)]

    def page(
        self, town_id: str, village_id: str | None, after: str | None, limit: int
    ) -> list[Person]:
        where = self._scoped(PersonQuery(town_id, village_id, dt.date.min))
        query = _after(select(Person).where(*where), _P.id, after)
        return list(self.session.scalars(query.order_by(_P.id).limit(limit)))

    def facts(self, person_ids: Sequence[str], day: dt.date) -> dict[str, Facts]:
        if not person_ids:
            return {}
        statement = select(_P.id, _status_at(day), _care_at(day), _worker_at(day)).where(
            _P.id.in_(person_ids)
        )
        return {i: Facts(s, c, w or "") for i, s, c, w in self.session.execute(statement)}

    def list_involving_worker(
        self,
        town_id: str,
        village_id: str | None,
        worker: str,
        period: Period,
        after: str | None,
        limit: int,
    ) -> list[Person]:
        spans = (
            select(
                _W.person_id,
                _W.worker,
                _W.start_date,
                func.lead(_W.start_date, type_=Date)
                .over(partition_by=_W.person_id, order_by=_W.start_date)
                .label("end_date"),
            )
            .join(orm.persons, _P.id == _W.person_id)
            .where(_P.town_id == town_id)
            .subquery()
        )
        sub = orm.substitutions.c
        substituted = (
            select(sub.id)
            .where(
                sub.worker == spans.c.worker,
                sub.substitute == worker,
                sub.start_date < period.end,
                sub.end_date > period.start,
                sub.end_date > spans.c.start_date,
                or_(spans.c.end_date.is_(None), sub.start_date < spans.c.end_date),
            )
            .exists()
        )
        involved = select(spans.c.person_id).where(
            spans.c.start_date < period.end,
            or_(spans.c.end_date.is_(None), spans.c.end_date > period.start),
            or_(spans.c.worker == worker, substituted),
        )
        statement = select(Person).where(_P.town_id == town_id, _P.id.in_(involved))
        if village_id is not None:
            statement = statement.where(_P.village_id == village_id)
        statement = _after(statement, _P.id, after).order_by(_P.id).limit(limit)
        return list(self.session.scalars(statement))


class SqlHistoryRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_status(self, change: StatusChange) -> None:
        self.session.add(change)

    def add_statuses(self, changes: Sequence[StatusChange]) -> None:
        if changes:
            self.session.execute(
                insert(orm.status_changes),
                [
                    {
                        "person_id": c.person_id,
                        "status": c.status,
                        "effective_date": c.effective_date,
                        "reason": c.reason,
                        "request_id": c.request_id,
                    }
                    for c in changes
                ],
            )

    def status_by_request_id(self, request_id: str) -> StatusChange | None:
        query = select(StatusChange).where(_S.request_id == request_id)
        return self.session.scalars(query).first()

    def statuses(self, person_ids: Sequence[str]) -> list[StatusChange]:
        """Read-only history rows as plain values (not tracked by the session): cheaper."""
        query = select(_S.person_id, _S.status, _S.effective_date, _S.reason, _S.request_id)
        query = query.where(_S.person_id.in_(person_ids))
        rows = self.session.execute(query.order_by(_S.person_id, _S.effective_date))
        return [StatusChange(*row) for row in rows]

    def add_assessment(self, assessment: Assessment) -> None:
        self.session.add(assessment)

    def assessments(self, person_ids: Sequence[str]) -> list[Assessment]:
        """Read-only rows as plain values (not tracked by the session): cheaper."""
        columns = [_A.id, _A.person_id, _A.assessor, _A.assessment_date]
        columns += [getattr(_A, i) for i in INDICATORS] + [_A.care_level]
        query = select(*columns).where(_A.person_id.in_(person_ids))
        rows = self.session.execute(query.order_by(_A.person_id, _A.assessment_date))
        return [Assessment(*row) for row in rows]

    def list_assessments(self, person_id: str, after: str | None, limit: int) -> list[Assessment]:
        query = select(Assessment).where(_A.person_id == person_id)
        if after is not None:
            day, ident = after.split("/", 1)
            key = dt.date.fromisoformat(day)
            query = query.where(
                or_(_A.assessment_date > key, and_(_A.assessment_date == key, _A.id > ident))
            )
        return list(self.session.scalars(query.order_by(_A.assessment_date, _A.id).limit(limit)))

    def add_reassessment(self, reassessment: Reassessment) -> None:
        self.session.add(reassessment)

    def open_reassessments(self, person_id: str) -> list[Reassessment]:
        r = orm.reassessments.c
        query = select(Reassessment).where(r.person_id == person_id, r.assessment_id.is_(None))
        return list(self.session.scalars(query.order_by(r.reported_date)))

    def list_reassessments(
        self, query: ReassessmentQuery, after: str | None, limit: int
    ) -> list[Reassessment]:
        r = orm.reassessments.c
        statement = select(Reassessment)
        if query.person_id is not None:
            statement = statement.where(r.person_id == query.person_id)
        else:
            in_town = select(_P.id).where(_P.town_id == query.town_id)
            statement = statement.where(r.person_id.in_(in_town))
        if query.open_only:
            statement = statement.where(r.assessment_id.is_(None))
        if after is not None:
            day, ident = after.split("/", 1)
            due = dt.date.fromisoformat(day)
            statement = statement.where(
                or_(r.due_date > due, and_(r.due_date == due, r.id > ident))
            )
        statement = statement.order_by(r.due_date, r.id).limit(limit)
        return list(self.session.scalars(statement))

    def town_events(self, town_ids: Sequence[str]) -> TownEvents:
        """Every person of the towns with their status and care-level events, as plain rows:
        three queries whatever their number, no ORM objects."""
        in_towns = select(_P.id).where(_P.town_id.in_(town_ids))
        people = self.session.execute(select(_P.id, _P.town_id).where(_P.town_id.in_(town_ids)))
        statuses = self.session.execute(
            select(_S.person_id, _S.effective_date, _S.status).where(_S.person_id.in_(in_towns))
        )
        levels = self.session.execute(
            select(_A.person_id, _A.assessment_date, _A.care_level).where(
                _A.person_id.in_(in_towns)
            )
        )
        return TownEvents(
            [(i, t) for i, t in people],
            [(p, d, s) for p, d, s in statuses],
            [(p, d, c) for p, d, c in levels],
        )


class SqlCaseloadRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_assignment(self, assignment: Assignment) -> None:
        self.session.add(assignment)

    def assignments(self, person_ids: Sequence[str]) -> list[Assignment]:
        """Read-only rows as plain values (not tracked by the session): cheaper."""
        query = select(_W.id, _W.person_id, _W.worker, _W.start_date)
        query = query.where(_W.person_id.in_(person_ids))
        rows = self.session.execute(query.order_by(_W.person_id, _W.start_date))
        return [Assignment(*row) for row in rows]

    def assignment_spans(
        self, town_id: str, period: Period, after: tuple[str, str, str] | None, limit: int
    ) -> list[AssignmentSpanRow]:
        spans = (
            select(
                _W.id,
                _W.person_id,
                _W.worker,
                _W.start_date,
                func.lead(_W.start_date, type_=Date)
                .over(partition_by=_W.person_id, order_by=_W.start_date)
                .label("end_date"),
            )
            .join(orm.persons, _P.id == _W.person_id)
            .where(_P.town_id == town_id)
            .subquery()
        )
        c = spans.c
        query = select(c.id, c.person_id, c.worker, c.start_date, c.end_date).where(
            c.start_date < period.end, or_(c.end_date.is_(None), c.end_date > period.start)
        )
        if after is not None:
            worker, person_id, start = after
            day = dt.date.fromisoformat(start)
            query = query.where(
                or_(
                    c.worker > worker,
                    and_(c.worker == worker, c.person_id > person_id),
                    and_(c.worker == worker, c.person_id == person_id, c.start_date > day),
                )
            )
        query = query.order_by(c.worker, c.person_id, c.start_date).limit(limit)
        return [
            AssignmentSpanRow(Assignment(i, p, w, s), e)
            for i, p, w, s, e in self.session.execute(query)
        ]

    def caseloads(self, town_id: str, day: dt.date) -> list[tuple[str, int]]:
        inner = (
            select(_status_at(day).label("s"), _worker_at(day).label("w"))
            .where(_P.town_id == town_id)
            .subquery()
        )
        query = (
            select(inner.c.w, func.count())
            .where(inner.c.s == PersonStatus.DISPERSED, inner.c.w.is_not(None))
            .group_by(inner.c.w)
            .order_by(inner.c.w)
        )
        return [(w, int(n)) for w, n in self.session.execute(query)]

    def add_substitution(self, substitution: Substitution) -> None:
        self.session.add(substitution)

    def substitutions_of(
        self, town_id: str, workers: Sequence[str] | None = None
    ) -> list[Substitution]:
        s = orm.substitutions.c
        query = select(Substitution).where(s.town_id == town_id)
        if workers is not None:
            query = query.where(s.worker.in_(workers))
        return list(self.session.scalars(query.order_by(s.start_date, s.id)))

    def list_substitutions(self, town_id: str, after: str | None, limit: int) -> list[Substitution]:
        s = orm.substitutions.c
        query = _after(select(Substitution).where(s.town_id == town_id), s.id, after)
        return list(self.session.scalars(query.order_by(s.id).limit(limit)))

    def add_agreement(self, agreement: Agreement) -> None:
        self.session.add(agreement)

    def list_agreements(self, person_id: str, after: str | None, limit: int) -> list[Agreement]:
        query = _after(select(Agreement).where(_G.person_id == person_id), _G.id, after)
        return list(self.session.scalars(query.order_by(_G.id).limit(limit)))

    def missing_agreements(
        self, town_id: str, day: dt.date, after: str | None, limit: int
    ) -> list[MissingAgreementRow]:
        latest = (
            select(_G.id)
            .where(_G.person_id == _P.id, _G.signed_date <= day)
            .order_by(_G.signed_date.desc(), _G.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        inner = select(
            _P.id.label("pid"),
            _status_at(day).label("s"),
            _worker_at(day).label("w"),
            latest.label("g"),
        ).where(_P.town_id == town_id)
        inner_q = _after(inner, _P.id, after).subquery()
        statement = (
            select(Person, inner_q.c.w, Agreement)
            .join(inner_q, inner_q.c.pid == _P.id)
            .outerjoin(orm.agreements, _G.id == inner_q.c.g)
            .where(
                inner_q.c.s == PersonStatus.DISPERSED,
                or_(
                    inner_q.c.g.is_(None),
                    inner_q.c.w.is_(None),
                    _G.worker != inner_q.c.w,
                ),
            )
            .order_by(_P.id)
            .limit(limit)
        )
        rows: list[MissingAgreementRow] = []
        for person, worker, agreement in self.session.execute(statement):
            reason = MissingReason.NONE if agreement is None else MissingReason.WORKER_CHANGED
            rows.append(MissingAgreementRow(person, worker or "", reason, agreement))
        return rows
