"""Read-side queries for the assessment's facts: visits counted in SQL per worker and week
(GROUP BY), escalations read for one page of workers. No visit row leaves the database.

Indexes (migration 0003): ix_visits_facts (town, week_start, worker, substitute_for, person)
covers the visit counts; ix_escalations_town_visit_at serves the escalation page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import Index, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from sgz_runtime.uow import SqlUnitOfWork, UnitOfWork
from visit_svc.adapters import orm
from visit_svc.adapters.repository import PolicyRepository, SqlPolicyRepository

visits = orm.visits
escalations = orm.escalations

# Declared here too, so the metadata matches the schema of migration 0003.
Index(
    "ix_visits_facts",
    visits.c.town,
    visits.c.week_start,
    visits.c.worker,
    visits.c.substitute_for,
    visits.c.person,
)
Index("ix_escalations_town_visit_at", escalations.c.town, escalations.c.visit_at)


@dataclass(frozen=True)
class VisitCounts:
    """One worker's week: distinct persons visited, visits made, persons visited as often
    as the week's policy requires (rule V1)."""

    persons_visited: int
    visits: int
    persons_covered: int


@dataclass(frozen=True)
class EscalationRow:
    escalation: str
    worker: str
    urgency: str
    action: str
    findings: tuple[str, ...]
    state: str
    visit_at: datetime
    contact_deadline: datetime
    contact_at: datetime | None
    action_deadline: datetime
    arranged_at: datetime | None
    cancelled_at: datetime | None


class FactsQueries(Protocol):
    def credited_workers(self, town: str, first_week: date, last_week: date) -> set[str]:
        """Workers credited with a visit in the town between the two Mondays."""
        ...

    def visit_counts(
        self,
        town: str,
        workers: Sequence[str],
        first_week: date,
        last_week: date,
        required: Sequence[tuple[date, int]],
    ) -> dict[tuple[str, date], VisitCounts]:
        """Per (worker, Monday): the counts; `required` is (from Monday, visits a week),
        ascending."""
        ...

    def escalations(
        self, town: str, workers: Sequence[str], start: datetime, end: datetime
    ) -> list[EscalationRow]:
        """Escalations opened by visits in [start, end) of the given workers."""
        ...


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _credited() -> Any:
    # A named substitute's visit covers the absent worker's case (rule V9): credit them.
    return func.coalesce(visits.c.substitute_for, visits.c.worker)


def _for_workers(workers: Sequence[str]) -> Any:
    # Spelled out so the index on (town, week_start, worker, substitute_for) serves it.
    return or_(
        and_(visits.c.substitute_for.is_(None), visits.c.worker.in_(workers)),
        visits.c.substitute_for.in_(workers),
    )


class SqlFactsQueries:
    def __init__(self, session: Session):
        self.session = session

    def credited_workers(self, town: str, first_week: date, last_week: date) -> set[str]:
        query = (
            select(_credited())
            .where(
                visits.c.town == town,
                visits.c.week_start >= first_week,
                visits.c.week_start <= last_week,
            )
            .distinct()
        )
        return {str(w) for w in self.session.scalars(query)}

    def visit_counts(
        self,
        town: str,
        workers: Sequence[str],
        first_week: date,
        last_week: date,
        required: Sequence[tuple[date, int]],
    ) -> dict[tuple[str, date], VisitCounts]:
        if not workers:
            return {}
        credited = _credited().label("worker")
        per_person = (
            select(
                credited,
                visits.c.week_start.label("week_start"),
                visits.c.person,
                func.count().label("n"),
            )
            .where(
                visits.c.town == town,
                visits.c.week_start >= first_week,
                visits.c.week_start <= last_week,
                _for_workers(workers),
            )
            .group_by(credited, visits.c.week_start, visits.c.person)
            .subquery()
        )
        # The policy in effect on each Monday, as one CASE (latest version first).
        needed: Any = literal(1)
        if required:
            needed = case(
                *[
                    (per_person.c.week_start >= start, literal(n))
                    for start, n in sorted(required, reverse=True)
                ],
                else_=literal(sorted(required)[0][1]),
            )
        query = select(
            per_person.c.worker,
            per_person.c.week_start,
            func.count().label("persons_visited"),
            func.sum(per_person.c.n).label("visits"),
            func.sum(case((per_person.c.n >= needed, 1), else_=0)).label("covered"),
        ).group_by(per_person.c.worker, per_person.c.week_start)
        found: dict[tuple[str, date], VisitCounts] = {}
        for row in self.session.execute(query):
            monday = row.week_start
            if isinstance(monday, datetime):
                monday = monday.date()
            found[(str(row.worker), monday)] = VisitCounts(
                int(row.persons_visited), int(row.visits), int(row.covered)
            )
        return found

    def escalations(
        self, town: str, workers: Sequence[str], start: datetime, end: datetime
    ) -> list[EscalationRow]:
        if not workers:
            return []
        e = escalations.c
        query = (
            select(
                e.id,
                e.worker,
                e.urgency,
                e.action,
                e.findings,
                e.state,
                e.visit_at,
                e.contact_deadline,
                e.contact_at,
                e.action_deadline,
                e.arranged_at,
                e.cancelled_at,
            )
            .where(
                e.town == town,
                e.visit_at >= start.astimezone(UTC),
                e.visit_at < end.astimezone(UTC),
                e.worker.in_(workers),
            )
            .order_by(e.worker, e.visit_at, e.id)
        )
        return [
            EscalationRow(
                escalation=f"escalations/{row.id}",
                worker=row.worker,
                urgency=row.urgency,
                action=row.action,
                findings=tuple(f for f in row.findings.split(",") if f),
                state=row.state,
                visit_at=_utc(row.visit_at),  # type: ignore[arg-type]
                contact_deadline=_utc(row.contact_deadline),  # type: ignore[arg-type]
                contact_at=_utc(row.contact_at),
                action_deadline=_utc(row.action_deadline),  # type: ignore[arg-type]
                arranged_at=_utc(row.arranged_at),
                cancelled_at=_utc(row.cancelled_at),
            )
            for row in self.session.execute(query)
        ]


class FactsUnitOfWork(UnitOfWork, Protocol):
    facts: FactsQueries
    policies: PolicyRepository


class SqlFactsUnitOfWork(SqlUnitOfWork):
    """A read-only unit of work: the facts queries and the dated visit policy."""

    facts: FactsQueries
    policies: PolicyRepository

    def _open(self) -> None:
        self.facts = SqlFactsQueries(self.session)
        self.policies = SqlPolicyRepository(self.session)
