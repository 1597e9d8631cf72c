"""Group commit for the visit database on SQLite: every acknowledged write is on disk, with one
fsync shared by all the transactions that committed while the previous one ran.

With `synchronous=FULL` each commit waits for its own fsync of the WAL (about 6.6 ms on the
benchmark machine), one writer at a time: at most ~150 commits a second. Here commits run with
`synchronous=NORMAL` (the WAL is written, not yet synced) and then the committing thread waits
until a flusher thread has fsynced the WAL file *after* that commit. A call is acknowledged
only then, so an acknowledged write survives a power loss exactly as under FULL; a crash
before the flush can only lose writes nobody was told about (clients retry them with their
AIP-155 request id). SQLite's own checkpoints sync the WAL before copying it and the database
after (that is what NORMAL keeps), so nothing already synced is ever exposed to loss.

Writers are also queued on an in-process lock from their first write to their commit, so they
wait on each other in order instead of in SQLite's busy handler, which sleeps in growing steps
(up to 100 ms) and made the tail latency.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from sgz_runtime.chain import ChainKey
from visit_svc.adapters.repository import PolicyCache
from visit_svc.service_layer.unit_of_work import SqlVisitUnitOfWork

log = logging.getLogger("sgz.visit.group_commit")

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_HOLDS = "sgz_write_lock_held"


class WalFlusher:
    """One thread that fsyncs the WAL file for every waiter that committed before it began."""

    def __init__(self, wal_path: Path, fsync: Callable[[int], None] = os.fsync):
        self._wal = wal_path
        self._fsync = fsync
        lock = threading.Lock()
        # Two conditions on one lock: committers wake the flusher, the flusher wakes
        # committers. (One shared condition woke every waiting committer on every commit.)
        self._work = threading.Condition(lock)  # the flusher waits here for a request
        self._done = threading.Condition(lock)  # committers wait here for their sync
        self._requested = 0  # the latest ticket handed out
        self._durable = 0  # every ticket up to this one is on disk
        self._failed: BaseException | None = None
        self._stopping = False
        self.flushes = 0
        self._thread = threading.Thread(target=self._run, name="visit-wal-flusher", daemon=True)
        self._thread.start()

    def wait_durable(self) -> None:
        """Blocks until a fsync begun after this call has finished (the caller has committed)."""
        with self._done:
            self._requested += 1
            ticket = self._requested
            self._work.notify()
            while self._durable < ticket:
                if self._failed is not None:
                    raise OSError(
                        "the visit database could not be synced to disk"
                    ) from self._failed
                self._done.wait()

    def _run(self) -> None:
        while True:
            with self._work:
                while self._requested == self._durable and not self._stopping:
                    self._work.wait()
                if self._stopping:
                    return
                target = self._requested
            try:
                self._sync()
            except OSError as exc:  # every waiter hears of it; nothing is acknowledged
                log.exception("fsync of the WAL failed")
                with self._done:
                    self._failed = exc
                    self._done.notify_all()
                return
            with self._done:
                self._durable = target
                self.flushes += 1
                self._done.notify_all()

    def _sync(self) -> None:
        # Opened each time: after a restart of the WAL the path may name a new file.
        try:
            fd = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:
            return  # no WAL: every commit is already in the (synced) database file
        try:
            self._fsync(fd)
        finally:
            os.close(fd)

    def stop(self) -> None:
        with self._work:
            self._stopping = True
            self._work.notify_all()
        self._thread.join(timeout=5)


def _serialise_writers(engine: Engine) -> None:
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _take(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not conn.info.get(_HOLDS) and statement.lstrip()[:7].upper().startswith(_WRITES):
            lock.acquire()
            conn.info[_HOLDS] = True

    # Released when the connection goes back to the pool: after the DBAPI commit or rollback
    # (the engine's "commit" event fires before the commit itself).
    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(_HOLDS, False):
            lock.release()


def enable(engine: Engine) -> WalFlusher | None:
    """Turns group commit on for a SQLite engine; None (nothing to do) for PostgreSQL, whose
    own commit already groups WAL flushes of concurrent transactions."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    database = Path(engine.url.database).resolve()

    @event.listens_for(engine, "connect")
    def _normal(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")  # the flusher syncs the WAL instead
        cursor.close()

    engine.dispose()  # connections made before (migrations) were opened with FULL
    _serialise_writers(engine)
    fd = os.open(database.parent, os.O_RDONLY)
    try:
        os.fsync(fd)  # the WAL's directory entry, once
    finally:
        os.close(fd)
    return WalFlusher(Path(f"{database}-wal"))


class GroupCommitVisitUnitOfWork(SqlVisitUnitOfWork):
    """The visit unit of work whose commit returns once the commit is on disk."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        flusher: WalFlusher | None,
        policy_cache: PolicyCache | None = None,
        chain_key: ChainKey | None = None,
    ):
        super().__init__(factory, policy_cache, chain_key)
        self._flusher = flusher

    def commit(self) -> None:
        super().commit()
        if self._flusher is not None:
            self._flusher.wait_durable()
