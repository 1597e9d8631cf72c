"""The assessment's unit of work: one short transaction over its repository."""

from __future__ import annotations

from typing import Protocol

from assessment_svc.adapters.repository import AssessmentRepository, SqlAssessmentRepository
from sgz_runtime.uow import SqlUnitOfWork, UnitOfWork


class AssessmentUnitOfWork(UnitOfWork, Protocol):
    repo: AssessmentRepository


class SqlAssessmentUnitOfWork(SqlUnitOfWork):
    repo: AssessmentRepository

    def _open(self) -> None:
        self.repo = SqlAssessmentRepository(self.session)
