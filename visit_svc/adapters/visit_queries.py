"""Visits listed by place, worker and week (ListVisits with a parent): one query per page on
the visits table's town, village, worker and week columns, each visit with its checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from visit_svc.adapters import orm
from visit_svc.adapters.repository import SqlVisitRepository
from visit_svc.domain.visits import Visit


@dataclass(frozen=True)
class VisitFilter:
    """A town, maybe one of its villages, maybe one worker, maybe one week (its Monday)."""

    town: str
    village: str | None = None
    worker: str | None = None
    week_start: date | None = None


class VisitQueries(Protocol):
    def list_in(
        self, where: VisitFilter, after_seq: int | None, limit: int
    ) -> list[tuple[int, Visit]]:
        """Visits matching, in the order they were recorded, after after_seq."""
        ...


class SqlVisitQueries:
    def __init__(self, factory: Callable[[], Session]):
        self._factory = factory

    def list_in(
        self, where: VisitFilter, after_seq: int | None, limit: int
    ) -> list[tuple[int, Visit]]:
        v = orm.visits.c
        query = select(orm.visits).where(v.town == where.town)
        if where.village is not None:
            query = query.where(v.village == where.village)
        if where.worker is not None:
            query = query.where(v.worker == where.worker)
        if where.week_start is not None:
            query = query.where(v.week_start == where.week_start)
        if after_seq is not None:
            query = query.where(v.seq > after_seq)
        with self._factory() as session:
            rows = session.execute(query.order_by(v.seq).limit(limit)).all()
            return SqlVisitRepository(session)._load(rows)
