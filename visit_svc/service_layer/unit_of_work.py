"""The visit service's unit of work: visits, escalations, the policy and the work ledger in
one transaction, so an item and its ledger entry (rule V7) commit together or not at all."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sgz_runtime.chain import ChainKey
from sgz_runtime.errors import Aborted
from sgz_runtime.i18n import tr
from sgz_runtime.uow import SqlUnitOfWork, UnitOfWork
from visit_svc.adapters.ledger_repository import LedgerRepository, SqlLedgerRepository
from visit_svc.adapters.repository import (
    EscalationRepository,
    PolicyCache,
    PolicyRepository,
    RequestIdRepository,
    SqlEscalationRepository,
    SqlPolicyRepository,
    SqlRequestIdRepository,
    SqlVisitRepository,
    VisitRepository,
)


class VisitUnitOfWork(UnitOfWork, Protocol):
    visits: VisitRepository
    escalations: EscalationRepository
    policies: PolicyRepository
    request_ids: RequestIdRepository
    ledger: LedgerRepository


class SqlVisitUnitOfWork(SqlUnitOfWork):
    """`policies` may share a process-wide PolicyCache (the version list changes rarely and
    never backdates)."""

    visits: VisitRepository
    escalations: EscalationRepository
    policies: PolicyRepository
    request_ids: RequestIdRepository
    ledger: LedgerRepository

    def __init__(
        self,
        factory: sessionmaker[Session],
        policy_cache: PolicyCache | None = None,
        chain_key: ChainKey | None = None,
    ):
        super().__init__(factory)
        self._policy_cache = policy_cache
        self._chain_key = chain_key

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        if isinstance(exc, IntegrityError):
            # Core statements run at once, so a concurrent writer's key (a request id, a
            # ledger position) surfaces here rather than at commit: the same answer, retry.
            raise Aborted(tr("a concurrent change conflicted with this one; retry")) from None

    def _open(self) -> None:
        self.visits = SqlVisitRepository(self.session)
        self.escalations = SqlEscalationRepository(self.session)
        self.policies = SqlPolicyRepository(self.session, self._policy_cache)
        self.request_ids = SqlRequestIdRepository(self.session)
        self.ledger = SqlLedgerRepository(self.session, key=self._chain_key)
