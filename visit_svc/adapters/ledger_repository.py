"""The work ledger's repository (rule V7): append and read, never update or delete.

Use cases call `append` inside their own unit of work, so an item and its ledger entry commit
together or not at all. The agreed port for the visit use cases is

    append(town, kind, subject, actor, at, payload) -> LedgerEntry

(`kind` an EntryKind or its text; keyword-only `corrects` and `reason` serve corrections).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Row, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from sgz_runtime.chain import ChainKey
from sgz_runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from visit_svc.adapters.ledger_orm import ledger_entries, ledger_heads
from visit_svc.adapters.raw_sql import Prepared
from visit_svc.domain.ledger import (
    GENESIS_HASH,
    EntryKind,
    LedgerEntry,
    NewEntry,
    StoredEntry,
    canonical_payload,
    check_new_entry,
    legacy_parts,
    seal,
)

#: The key fakes chain with; real services read theirs with sgz_runtime.chain.chain_key.
FAKE_KEY = ChainKey(b"fake ledger key, for tests only", "fake")


class LedgerRepository(Protocol):
    """Append-only by construction: there is no method that changes or removes an entry."""

    @property
    def key(self) -> ChainKey:
        """The key the chains are sealed and verified with (kept outside the database)."""
        ...

    def append(
        self,
        town: str,
        kind: EntryKind | str,
        subject: str,
        actor: str,
        at: datetime,
        payload: Mapping[str, Any],
        *,
        corrects: int | None = None,
        reason: str = "",
    ) -> LedgerEntry: ...

    def get(self, town: str, seq: int) -> LedgerEntry | None: ...

    def list_entries(
        self,
        town: str,
        *,
        after_seq: int,
        limit: int,
        start: datetime | None = None,
        end: datetime | None = None,
        subject: str | None = None,
    ) -> list[LedgerEntry]:
        """Entries in seq order after after_seq; `at` in [start, end) when given."""
        ...

    def head(self, town: str) -> tuple[int, str]:
        """The last seq and hash of the town's chain; (0, GENESIS_HASH) when empty."""
        ...

    def stored(self, town: str, *, after_seq: int, upto_seq: int, limit: int) -> list[StoredEntry]:
        """Entries exactly as stored, for verification, in seq order."""
        ...

    def legacy_seq(self, town: str) -> int:
        """How many of the town's first entries may predate the key: the signed boundary, 0
        when its signature does not hold under the key."""
        ...


def kind_of(kind: EntryKind | str) -> EntryKind:
    try:
        return EntryKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in EntryKind)
        raise InvalidArgument.field("kind", f"must be one of {known}", rule="V7") from None


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; the ledger stores UTC only."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _stored(row: Row[Any]) -> StoredEntry:
    return StoredEntry(
        town=row.town,
        seq=row.seq,
        kind=row.kind,
        subject=row.subject,
        actor=row.actor,
        at=_aware(row.at),
        recorded_at=_aware(row.recorded_at),
        payload_json=row.payload,
        corrects=row.corrects,
        reason=row.reason,
        prev_hash=row.prev_hash,
        hash=row.hash,
        hash_alg=row.hash_alg,
    )


def _entry(row: Row[Any]) -> LedgerEntry:
    return LedgerEntry(
        town=row.town,
        seq=row.seq,
        kind=EntryKind(row.kind),
        subject=row.subject,
        actor=row.actor,
        at=_aware(row.at),
        recorded_at=_aware(row.recorded_at),
        payload=json.loads(row.payload),
        corrects=row.corrects,
        reason=row.reason,
        prev_hash=row.prev_hash,
        hash=row.hash,
        payload_json=row.payload,
        hash_alg=row.hash_alg,
    )


# Built once: the append path runs for every item recorded (the benchmark's hot path).
_BUMP = (
    update(ledger_heads)
    .where(ledger_heads.c.town == bindparam("t"))
    .values(last_seq=ledger_heads.c.last_seq + 1)
    .returning(ledger_heads.c.last_seq, ledger_heads.c.last_hash)
)
_SET_HASH = (
    update(ledger_heads)
    .where(ledger_heads.c.town == bindparam("t"))
    .values(last_hash=bindparam("h"))
)
_INSERT = ledger_entries.insert()
# Run on the DB-API cursor (raw_sql.py): the same statements, without SQLAlchemy's
# per-execution work.
_RAW_BUMP = Prepared(_BUMP)
_RAW_SET_HASH = Prepared(_SET_HASH)
_RAW_INSERT = Prepared(
    _INSERT,
    [
        "town",
        "seq",
        "kind",
        "subject",
        "actor",
        "at",
        "recorded_at",
        "payload",
        "corrects",
        "reason",
        "prev_hash",
        "hash",
        "hash_alg",
    ],
)


class SqlLedgerRepository:
    def __init__(
        self,
        session: Session,
        clock: Callable[[], datetime] | None = None,
        *,
        key: ChainKey | None = None,
    ):
        self.session = session
        self._clock = clock or (lambda: datetime.now(UTC))
        self._key = key

    @property
    def key(self) -> ChainKey:
        if self._key is None:
            raise FailedPrecondition("the work ledger has no chain key configured")
        return self._key

    def _ensure_head(self, town: str) -> None:
        dialect = self.session.get_bind().dialect.name
        values = {
            "town": town,
            "last_seq": 0,
            "last_hash": GENESIS_HASH,
            "legacy_seq": 0,
            "legacy_sig": self.key.sign(*legacy_parts(town, 0)),
        }
        if dialect == "postgresql":
            stmt: Any = pg_insert(ledger_heads).values(values).on_conflict_do_nothing()
        else:
            stmt = sqlite_insert(ledger_heads).values(values).on_conflict_do_nothing()
        self.session.execute(stmt)

    def append(
        self,
        town: str,
        kind: EntryKind | str,
        subject: str,
        actor: str,
        at: datetime,
        payload: Mapping[str, Any],
        *,
        corrects: int | None = None,
        reason: str = "",
    ) -> LedgerEntry:
        new = NewEntry(town, kind_of(kind), subject, actor, at, payload, corrects, reason)
        check_new_entry(new)
        # The UPDATE comes first: it takes SQLite's write lock (the driver begins the
        # transaction at the first write) or PostgreSQL's row lock on the head before the
        # previous hash is read, so two appends to one town never share a seq or a parent.
        row = _RAW_BUMP.first(self.session, {"t": town})
        if row is None:
            self._ensure_head(town)
            row = _RAW_BUMP.first(self.session, {"t": town})
            assert row is not None, "the head was just made"
        seq, prev_hash = int(row[0]), str(row[1])
        if corrects is not None:
            self._check_correctable(town, corrects, seq)
        entry = seal(new, seq=seq, prev_hash=prev_hash, recorded_at=self._clock(), key=self.key)
        _RAW_INSERT.execute(
            self.session,
            {
                "town": entry.town,
                "seq": entry.seq,
                "kind": entry.kind.value,
                "subject": entry.subject,
                "actor": entry.actor,
                "at": entry.at,
                "recorded_at": entry.recorded_at,
                "payload": entry.payload_json,
                "corrects": entry.corrects,
                "reason": entry.reason,
                "prev_hash": entry.prev_hash,
                "hash": entry.hash,
                "hash_alg": entry.hash_alg,
            },
        )
        _RAW_SET_HASH.execute(self.session, {"t": town, "h": entry.hash})
        return entry

    def _check_correctable(self, town: str, corrects: int, seq: int) -> None:
        found = self.session.execute(
            select(ledger_entries.c.seq).where(
                ledger_entries.c.town == town, ledger_entries.c.seq == corrects
            )
        ).first()
        if found is None or corrects >= seq:
            raise NotFound(f"{town}/ledgerEntries/{corrects}")

    def get(self, town: str, seq: int) -> LedgerEntry | None:
        row = self.session.execute(
            select(ledger_entries).where(ledger_entries.c.town == town, ledger_entries.c.seq == seq)
        ).first()
        return None if row is None else _entry(row)

    def list_entries(
        self,
        town: str,
        *,
        after_seq: int,
        limit: int,
        start: datetime | None = None,
        end: datetime | None = None,
        subject: str | None = None,
    ) -> list[LedgerEntry]:
        query = (
            select(ledger_entries)
            .where(ledger_entries.c.town == town, ledger_entries.c.seq > after_seq)
            .order_by(ledger_entries.c.seq)
            .limit(limit)
        )
        if start is not None:
            query = query.where(ledger_entries.c.at >= start.astimezone(UTC))
        if end is not None:
            query = query.where(ledger_entries.c.at < end.astimezone(UTC))
        if subject is not None:
            query = query.where(ledger_entries.c.subject == subject)
        return [_entry(row) for row in self.session.execute(query)]

    def head(self, town: str) -> tuple[int, str]:
        row = self.session.execute(
            select(ledger_heads.c.last_seq, ledger_heads.c.last_hash).where(
                ledger_heads.c.town == town
            )
        ).first()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))

    def stored(self, town: str, *, after_seq: int, upto_seq: int, limit: int) -> list[StoredEntry]:
        query = (
            select(ledger_entries)
            .where(
                ledger_entries.c.town == town,
                ledger_entries.c.seq > after_seq,
                ledger_entries.c.seq <= upto_seq,
            )
            .order_by(ledger_entries.c.seq)
            .limit(limit)
        )
        return [_stored(row) for row in self.session.execute(query)]

    def legacy_seq(self, town: str) -> int:
        row = self.session.execute(
            select(ledger_heads.c.legacy_seq, ledger_heads.c.legacy_sig).where(
                ledger_heads.c.town == town
            )
        ).first()
        if row is None or row[0] is None or row[1] is None:
            return 0
        seq = int(row[0])
        return seq if self.key.signed(str(row[1]), *legacy_parts(town, seq)) else 0


def anchor_legacy_chains(session: Session, key: ChainKey) -> int:
    """Signs, once, how many entries of each town predate the keyed chain (those written
    before the upgrade, hashed with plain SHA-256); returns the towns anchored. Run at start,
    before any append, so no keyed entry is ever counted as legacy."""
    rows = session.execute(
        select(ledger_heads.c.town, ledger_heads.c.last_seq).where(
            ledger_heads.c.legacy_sig.is_(None)
        )
    ).all()
    for town, last_seq in rows:
        session.execute(
            update(ledger_heads)
            .where(ledger_heads.c.town == town)
            .values(legacy_seq=last_seq, legacy_sig=key.sign(*legacy_parts(town, int(last_seq))))
        )
    return len(rows)


def chain_heads(factory: sessionmaker[Session]) -> list[tuple[str, int, str]]:
    """Every town's ledger chain head and the audit trail's, for checkpoints."""
    with factory() as session:
        rows = session.execute(
            select(ledger_heads.c.town, ledger_heads.c.last_seq, ledger_heads.c.last_hash)
        ).all()
        heads = [(f"ledger:{town}", int(seq), str(h)) for town, seq, h in rows]
        audit_head = session.execute(text("SELECT last_seq, last_hash FROM audit_head")).first()
    if audit_head is not None:
        heads.append(("audit", int(audit_head[0]), str(audit_head[1])))
    return heads


class FakeLedgerRepository:
    """In memory, same rules, for unit tests of use cases that write the ledger."""

    def __init__(self, clock: Callable[[], datetime] | None = None, key: ChainKey = FAKE_KEY):
        self.entries: dict[str, list[LedgerEntry]] = {}
        self._clock = clock or (lambda: datetime.now(UTC))
        self.key = key

    def append(
        self,
        town: str,
        kind: EntryKind | str,
        subject: str,
        actor: str,
        at: datetime,
        payload: Mapping[str, Any],
        *,
        corrects: int | None = None,
        reason: str = "",
    ) -> LedgerEntry:
        new = NewEntry(town, kind_of(kind), subject, actor, at, payload, corrects, reason)
        check_new_entry(new)
        chain = self.entries.setdefault(town, [])
        if corrects is not None and not 1 <= corrects <= len(chain):
            raise NotFound(f"{town}/ledgerEntries/{corrects}")
        prev = chain[-1].hash if chain else GENESIS_HASH
        entry = seal(
            new, seq=len(chain) + 1, prev_hash=prev, recorded_at=self._clock(), key=self.key
        )
        chain.append(entry)
        return entry

    def get(self, town: str, seq: int) -> LedgerEntry | None:
        chain = self.entries.get(town, [])
        return chain[seq - 1] if 1 <= seq <= len(chain) else None

    def list_entries(
        self,
        town: str,
        *,
        after_seq: int,
        limit: int,
        start: datetime | None = None,
        end: datetime | None = None,
        subject: str | None = None,
    ) -> list[LedgerEntry]:
        found = [
            e
            for e in self.entries.get(town, [])
            if e.seq > after_seq
            and (start is None or e.at >= start)
            and (end is None or e.at < end)
            and (subject is None or e.subject == subject)
        ]
        return found[:limit]

    def head(self, town: str) -> tuple[int, str]:
        chain = self.entries.get(town, [])
        return (len(chain), chain[-1].hash) if chain else (0, GENESIS_HASH)

    def stored(self, town: str, *, after_seq: int, upto_seq: int, limit: int) -> list[StoredEntry]:
        return [
            StoredEntry(
                e.town,
                e.seq,
                e.kind.value,
                e.subject,
                e.actor,
                e.at,
                e.recorded_at,
                canonical_payload(e.payload),
                e.corrects,
                e.reason,
                e.prev_hash,
                e.hash,
                e.hash_alg,
            )
            for e in self.entries.get(town, [])
            if after_seq < e.seq <= upto_seq
        ][:limit]

    def legacy_seq(self, town: str) -> int:
        return 0
