"""HR's unit of work: its repositories inside one transaction."""

from __future__ import annotations

from typing import Protocol

from hr_svc.adapters.repository import SqlWorkerRepository, WorkerRepository
from sgz_runtime.uow import SqlUnitOfWork, UnitOfWork


class HrUnitOfWork(UnitOfWork, Protocol):
    workers: WorkerRepository


class SqlHrUnitOfWork(SqlUnitOfWork):
    workers: WorkerRepository

    def _open(self) -> None:
        self.workers = SqlWorkerRepository(self.session)
