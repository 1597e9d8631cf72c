"""Repositories of HR: ports (Protocols) and their SQLAlchemy adapters."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from hr_svc.adapters import orm
from hr_svc.domain.workers import Worker


class WorkerRepository(Protocol):
    def add(self, worker: Worker) -> None: ...
    def get(self, worker_id: str) -> Worker | None: ...
    def list(self, town: str | None, after_seq: int | None, limit: int) -> list[Worker]: ...


class SqlWorkerRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, worker: Worker) -> None:
        self.session.add(worker)
        self.session.flush()  # assigns seq

    def get(self, worker_id: str) -> Worker | None:
        return self.session.scalars(select(Worker).where(orm.workers.c.id == worker_id)).first()

    def list(self, town: str | None, after_seq: int | None, limit: int) -> list[Worker]:
        query = select(Worker).order_by(orm.workers.c.seq).limit(limit)
        if town:
            query = query.where(orm.workers.c.town == town)
        if after_seq is not None:
            query = query.where(orm.workers.c.seq > after_seq)
        return list(self.session.scalars(query))
