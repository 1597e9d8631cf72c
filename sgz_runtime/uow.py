"""The SQL unit of work every service's own unit of work extends: one short transaction."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from sgz_runtime.errors import Aborted


class UnitOfWork(Protocol):
    """The port every service's unit of work extends with its repositories."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class SqlUnitOfWork:
    """`with uow: ...; uow.commit()`; anything not committed is rolled back on exit.

    Subclasses build their repositories on `self.session` in `_open`.
    """

    session: Session

    def __init__(self, factory: sessionmaker[Session]):
        self._factory = factory

    def _open(self) -> None:
        """Creates the repositories on self.session."""

    def __enter__(self) -> Self:
        self.session = self._factory()
        self._open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Detach what was loaded first, so callers may read it after the block ends.
        self.session.expunge_all()
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        try:
            self.session.commit()
        except StaleDataError:
            self.session.rollback()
            raise Aborted("the record changed since it was read; read it again and retry") from None
        except IntegrityError:
            # A concurrent writer took the same key between our check and our write.
            self.session.rollback()
            raise Aborted("a concurrent change conflicted with this one; retry") from None
