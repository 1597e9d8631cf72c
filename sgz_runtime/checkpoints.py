"""Signed checkpoints of chain heads, kept by a service other than the chain's owner
(docs/privacy.md): the keeping side's table and use cases, and the publishing side's loop.

The keeper cannot forge a checkpoint (it does not hold the owner's key) and the owner cannot
rewrite one (another database, append-only by trigger): a tail truncated in the owner's database,
with its head moved back, shows against the latest checkpoint.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from sgz.common.v1 import audit_pb2
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session, sessionmaker

from sgz_runtime.chain import ChainKey, Checkpoint
from sgz_runtime.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.proto_values import timestamp_from_pb, timestamp_to_pb

log = logging.getLogger("sgz.checkpoints")

_SERVICE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
MAX_CHAIN = 120
#: Who reads kept checkpoints besides the services themselves.
READERS = (Role.AUDITOR, Role.CITY_CIVIL_AFFAIRS)


def table(metadata: MetaData) -> Table:
    """The keeper's table, as its migration creates it (roster migration 0103)."""
    return Table(
        "chain_checkpoints",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("service", String(30), nullable=False),
        Column("chain", String(MAX_CHAIN), nullable=False),
        Column("seq", Integer, nullable=False),
        Column("head", String(64), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("signature", String(64), nullable=False),
        Column("published_by", String(200), nullable=False),
    )


def to_pb(checkpoint: Checkpoint) -> audit_pb2.ChainCheckpoint:
    return audit_pb2.ChainCheckpoint(
        service=checkpoint.service,
        chain=checkpoint.chain,
        sequence=checkpoint.seq,
        head_hash=checkpoint.head,
        create_time=timestamp_to_pb(checkpoint.at),
        signature=checkpoint.signature,
    )


def from_pb(message: audit_pb2.ChainCheckpoint, prefix: str = "chain_checkpoint.") -> Checkpoint:
    """A checkpoint as sent; every malformed field refused at once."""
    bad: list[FieldViolation] = []
    if not _SERVICE.match(message.service):
        bad.append(FieldViolation(prefix + "service", tr("must be a service name")))
    if not message.chain or len(message.chain) > MAX_CHAIN:
        bad.append(
            FieldViolation(prefix + "chain", tr("must be 1 to {limit} characters", limit=MAX_CHAIN))
        )
    if not 0 <= message.sequence < 2**31:
        bad.append(FieldViolation(prefix + "sequence", tr("is out of range")))
    for name, value in (("head_hash", message.head_hash), ("signature", message.signature)):
        if not _HEX64.match(value):
            bad.append(FieldViolation(prefix + name, tr("must be 64 lower-case hex digits")))
    if not message.HasField("create_time"):
        bad.append(FieldViolation(prefix + "create_time", tr("is required")))
    if bad:
        raise InvalidArgument.of(bad)
    return Checkpoint(
        message.service,
        message.chain,
        message.sequence,
        message.head_hash,
        timestamp_from_pb(message.create_time),
        message.signature,
    )


class SqlCheckpointStore:
    """The keeper's side: append and read, never update or delete."""

    def __init__(self, factory: sessionmaker[Session]):
        self._factory = factory
        self._table = table(MetaData())

    def add(self, checkpoint: Checkpoint, published_by: str) -> None:
        with self._factory() as session, session.begin():
            session.execute(
                insert(self._table).values(
                    service=checkpoint.service,
                    chain=checkpoint.chain,
                    seq=checkpoint.seq,
                    head=checkpoint.head,
                    at=checkpoint.at.astimezone(UTC),
                    signature=checkpoint.signature,
                    published_by=published_by[:200],
                )
            )

    def latest(self, service: str, chain: str) -> Checkpoint | None:
        t = self._table
        with self._factory() as session:
            row = session.execute(
                select(t)
                .where(t.c.service == service, t.c.chain == chain)
                .order_by(t.c.seq.desc(), t.c.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
        return Checkpoint(row.service, row.chain, row.seq, row.head, at, row.signature)


def keep(store: SqlCheckpointStore, caller: Caller, checkpoint: Checkpoint) -> Checkpoint:
    """Keeps a checkpoint another service sent (services only)."""
    if caller.role is not Role.SYSTEM:
        raise PermissionDenied(tr("only the services keep checkpoints"))
    store.add(checkpoint, caller.subject)
    return checkpoint


def latest(store: SqlCheckpointStore, caller: Caller, service: str, chain: str) -> Checkpoint:
    caller.require_role(*READERS)
    if caller.role is not Role.SYSTEM and caller.scope_level is not ScopeLevel.CITY:
        raise PermissionDenied(tr("checkpoints are read city-wide only"))
    found = store.latest(service, chain[:MAX_CHAIN])
    if found is None:
        raise NotFound(f"chainCheckpoints/{service}:{chain[:MAX_CHAIN]}")
    return found


class CheckpointClient(Protocol):
    """The owner's port to wherever its checkpoints are kept."""

    def publish(self, checkpoint: Checkpoint) -> None: ...

    def latest(self, service: str, chain: str) -> Checkpoint | None: ...


class MemoryCheckpointClient:
    """Kept in memory, for tests."""

    def __init__(self) -> None:
        self.kept: list[Checkpoint] = []

    def publish(self, checkpoint: Checkpoint) -> None:
        self.kept.append(checkpoint)

    def latest(self, service: str, chain: str) -> Checkpoint | None:
        found = [c for c in self.kept if (c.service, c.chain) == (service, chain)]
        return max(found, key=lambda c: c.seq) if found else None


class CheckpointPublisher:
    """Publishes the heads of a service's chains that moved since the last publication, every
    `interval_s` seconds on its own thread and whenever `publish_now` is called (at period close,
    at shutdown)."""

    def __init__(
        self,
        service: str,
        key: ChainKey,
        heads: Callable[[], list[tuple[str, int, str]]],
        client: CheckpointClient,
        interval_s: float,
        clock: Callable[[], datetime] | None = None,
    ):
        self._service = service
        self._key = key
        self._heads = heads
        self._client = client
        self._interval_s = interval_s
        self._clock = clock or (lambda: datetime.now(UTC))
        self._published: dict[str, tuple[int, str]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def publish_now(self) -> int:
        """Publishes every head that moved; returns how many were published."""
        with self._lock:
            count = 0
            for chain, seq, head in self._heads():
                if self._published.get(chain) == (seq, head) or seq == 0:
                    continue
                checkpoint = Checkpoint(self._service, chain, seq, head, self._clock())
                self._client.publish(checkpoint.signed_by(self._key))
                self._published[chain] = (seq, head)
                count += 1
            return count

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.publish_now()
            except Exception:  # the keeper may be down: try again at the next interval
                log.warning("checkpoints_not_published", exc_info=True)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.publish_now()
        except Exception:
            log.warning("checkpoints_not_published_at_stop", exc_info=True)
