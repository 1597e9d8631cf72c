"""The finance service's unit of work: one short transaction over the finance repository."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from finance_svc.adapters.repository import FinanceRepository
from sgz_runtime.chain import ChainKey
from sgz_runtime.errors import Aborted
from sgz_runtime.uow import SqlUnitOfWork


class FinanceUnitOfWork(SqlUnitOfWork):
    repo: FinanceRepository

    def __init__(self, factory: sessionmaker[Session], key: ChainKey):
        super().__init__(factory)
        self._key = key

    def _open(self) -> None:
        self.repo = FinanceRepository(self.session, self._key)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        if isinstance(exc, IntegrityError):
            # Core statements run at once: a concurrent writer's key surfaces here.
            raise Aborted("a concurrent change conflicted with this one; retry") from None
