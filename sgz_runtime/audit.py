"""The audit trail as evidence: who read which personal data, why, and when, kept append-only in
the database of the service that served the read, hash-chained under the service's chain key.

Each service that keeps one creates the tables with `create_tables` in one of its migrations
(triggers there refuse UPDATE and DELETE, on SQLite and PostgreSQL) and writes with
`SqlAuditLog.record`; the auditor reads them with `ListAuditEntries`. Nothing deletes rows: they
are kept at least RETENTION_YEARS years (docs/privacy.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sgz.common.v1 import audit_pb2
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from sgz_runtime import paging
from sgz_runtime.chain import GENESIS, LEGACY, ChainKey, Checkpoint
from sgz_runtime.errors import InvalidArgument, PermissionDenied
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.proto_values import timestamp_from_pb, timestamp_to_pb

#: Audit records are kept at least this long; no code path deletes them.
RETENTION_YEARS = 3
#: The bounds of each field (a 1 MB purpose once pushed every earlier record out of a log).
MAX_PURPOSE = 500
MAX_RESOURCE = 200
MAX_ACTOR = 200
MAX_ACTION = 60
MAX_REQUEST_ID = 128
MAX_DETAIL = 1000
#: The most entries one page lists.
MAX_PAGE = 500

_REFUSE = "the audit trail is append-only: nothing in it is changed or removed"
_FORMAT = "sgz-audit-v1"


class Action:
    """What was read or done. Values are stored: never rename one."""

    ID_NUMBER_REVEALED = "id_number_revealed"
    ID_NUMBERS_EXPORTED = "id_numbers_exported"
    HEALTH_FINDINGS_READ = "health_findings_read"


def tables(metadata: MetaData) -> tuple[Table, Table]:
    """The audit tables on a service's metadata: entries and the chain's one head row."""
    head = Table(
        "audit_head",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("last_seq", Integer, nullable=False),
        Column("last_hash", String(64), nullable=False),
    )
    entries = Table(
        "audit_entries",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", DateTime(timezone=True), nullable=False, index=True),
        Column("actor", String(MAX_ACTOR), nullable=False),
        Column("role", String(40), nullable=False),
        Column("scope", String(MAX_RESOURCE), nullable=False),
        Column("action", String(MAX_ACTION), nullable=False),
        Column("resource", String(MAX_RESOURCE), nullable=False, index=True),
        Column("purpose", String(MAX_PURPOSE), nullable=False),
        Column("request_id", String(MAX_REQUEST_ID), nullable=False),
        Column("detail", String(MAX_DETAIL), nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Column("hash_alg", String(40), nullable=False),
    )
    return entries, head


def create_tables(op: Any) -> None:
    """For a service's Alembic migration: the audit tables, append-only by trigger."""
    metadata = MetaData()
    entries, head = tables(metadata)
    metadata.create_all(op.get_bind(), tables=[head, entries])
    append_only(op, "audit_entries", _REFUSE)


def drop_tables(op: Any) -> None:
    drop_append_only(op, "audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("audit_head")


def append_only(op: Any, table: str, refusal: str) -> None:
    """Triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on table, as the
    work ledger's. Whoever may drop triggers can still edit rows: the chains show that."""
    refusal = refusal.replace("'", "''")
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} "
                f"ON {table} BEGIN SELECT RAISE(ABORT, '{refusal}'); END"
            )
    else:
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{refusal}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )


def drop_append_only(op: Any, table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


@dataclass(frozen=True)
class AuditRecord:
    """One read to keep: who (the caller), what, of whom, why."""

    caller: Caller
    action: str
    resource: str
    purpose: str = ""
    request_id: str = ""
    detail: str = ""


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    role: str
    scope: str
    action: str
    resource: str
    purpose: str
    request_id: str
    detail: str
    prev_hash: str
    hash: str
    hash_alg: str

    def content(self) -> bytes:
        at = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        fields = [_FORMAT, self.seq, at, self.actor, self.role, self.scope, self.action]
        fields += [self.resource, self.purpose, self.request_id, self.detail]
        return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class AuditVerification:
    holds: bool
    entries_checked: int
    head_seq: int
    first_broken_seq: int | None = None
    problem: str = ""


def check_purpose(purpose: str, field: str = "purpose") -> str:
    """The stated purpose of a read of personal data, stripped; refused when blank or over
    MAX_PURPOSE characters."""
    stated = purpose.strip()
    if not stated:
        raise InvalidArgument.field(field, tr("must say why the data is needed"))
    if len(stated) > MAX_PURPOSE:
        raise InvalidArgument.field(
            field, tr("must be at most {limit} characters", limit=MAX_PURPOSE)
        )
    return stated


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class AuditLog(Protocol):
    """The port use cases write the audit trail through."""

    def record(self, record: AuditRecord) -> AuditEntry: ...


class SqlAuditLog:
    """The audit trail in the service's own database, each append in its own short transaction
    (a read is answered only once its record is committed)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        key: ChainKey,
        clock: Callable[[], datetime] | None = None,
    ):
        self._factory = factory
        self.key = key
        self._clock = clock or (lambda: datetime.now(UTC))
        self._entries, self._head = tables(MetaData())

    def record(self, record: AuditRecord) -> AuditEntry:
        with self._factory() as session, session.begin():
            return self._append(session, record)

    def _append(self, session: Session, record: AuditRecord) -> AuditEntry:
        head = self._head
        # The UPDATE first takes the write lock (SQLite) or the row lock (PostgreSQL), so two
        # appends never share a seq or a parent.
        bump = (
            update(head)
            .where(head.c.id == 1)
            .values(last_seq=head.c.last_seq + 1)
            .returning(head.c.last_seq, head.c.last_hash)
        )
        row = session.execute(bump).first()
        if row is None:
            values = {"id": 1, "last_seq": 0, "last_hash": GENESIS}
            if session.get_bind().dialect.name == "postgresql":
                session.execute(pg_insert(head).values(values).on_conflict_do_nothing())
            else:
                session.execute(sqlite_insert(head).values(values).on_conflict_do_nothing())
            row = session.execute(bump).first()
            assert row is not None, "the head was just made"
        caller = record.caller
        draft = AuditEntry(
            seq=int(row[0]),
            at=self._clock().astimezone(UTC),
            actor=_cut(caller.subject, MAX_ACTOR),
            role=caller.role.value,
            scope=_cut(caller.scope, MAX_RESOURCE),
            action=_cut(record.action, MAX_ACTION),
            resource=_cut(record.resource, MAX_RESOURCE),
            purpose=_cut(record.purpose, MAX_PURPOSE),
            request_id=_cut(record.request_id, MAX_REQUEST_ID),
            detail=_cut(record.detail, MAX_DETAIL),
            prev_hash=str(row[1]),
            hash="",
            hash_alg=self.key.tag,
        )
        entry = AuditEntry(
            **{**draft.__dict__, "hash": self.key.link(draft.prev_hash, draft.content())}
        )
        session.execute(insert(self._entries).values(**entry.__dict__))
        session.execute(update(head).where(head.c.id == 1).values(last_hash=entry.hash))
        return entry

    def entries(
        self,
        *,
        after_seq: int = 0,
        limit: int = 100,
        resource: str = "",
        actor: str = "",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[AuditEntry]:
        """Entries in seq order after after_seq, filtered."""
        e = self._entries
        query = select(e).where(e.c.seq > after_seq).order_by(e.c.seq).limit(min(limit, MAX_PAGE))
        if resource:
            query = query.where(e.c.resource == resource)
        if actor:
            query = query.where(e.c.actor == actor)
        if start is not None:
            query = query.where(e.c.at >= start.astimezone(UTC))
        if end is not None:
            query = query.where(e.c.at < end.astimezone(UTC))
        with self._factory() as session:
            return [_entry(r) for r in session.execute(query)]

    def verify(self, batch: int = 2000, kept: Checkpoint | None = None) -> AuditVerification:
        """Walks the chain from its first entry to the head; any edit, removal or re-hash
        without the key shows as the first broken entry; with the latest checkpoint kept by
        another service, a truncated tail (head moved back) shows too."""
        if kept is not None and not kept.holds_for(self.key):
            return AuditVerification(
                False, 0, 0, kept.seq, "the latest checkpoint is not signed with this key"
            )
        e, head = self._entries, self._head
        with self._factory() as session:
            row = session.execute(select(head.c.last_seq, head.c.last_hash)).first()
            head_seq, head_hash = (0, GENESIS) if row is None else (int(row[0]), str(row[1]))
            prev, expected, checked = GENESIS, 1, 0
            while True:
                rows = session.execute(
                    select(e)
                    .where(e.c.seq >= expected, e.c.seq <= head_seq)
                    .order_by(e.c.seq)
                    .limit(batch)
                ).all()
                if not rows:
                    break
                for r in rows:
                    entry = _entry(r)
                    checked += 1
                    problem = _problem(entry, expected, prev, self.key)
                    if not problem and kept and (entry.seq, entry.hash) != (kept.seq, kept.head):
                        problem = (
                            "it differs from the entry the checkpoint saw"
                            if entry.seq == kept.seq
                            else ""
                        )
                    if problem:
                        return AuditVerification(False, checked, head_seq, entry.seq, problem)
                    prev, expected = entry.hash, expected + 1
        if kept is not None and kept.seq > expected - 1:
            return AuditVerification(
                False,
                checked,
                head_seq,
                expected,
                f"a signed checkpoint saw {kept.seq} entries but {expected - 1} were found",
            )
        if expected - 1 != head_seq or prev != head_hash:
            return AuditVerification(
                False, checked, head_seq, expected, "the chain head does not match its entries"
            )
        return AuditVerification(True, checked, head_seq)


def _problem(entry: AuditEntry, expected: int, prev: str, key: ChainKey) -> str:
    if entry.seq != expected:
        return f"entry {expected} is missing"
    if entry.prev_hash != prev:
        return "its link to the previous entry does not match"
    if entry.hash_alg == LEGACY or entry.hash_alg != key.tag:
        return "its hash is not keyed with this service's key"
    if key.link(prev, entry.content()) != entry.hash:
        return "its content was changed after it was recorded"
    return ""


def _entry(row: Any) -> AuditEntry:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
    return AuditEntry(
        seq=row.seq,
        at=at,
        actor=row.actor,
        role=row.role,
        scope=row.scope,
        action=row.action,
        resource=row.resource,
        purpose=row.purpose,
        request_id=row.request_id,
        detail=row.detail,
        prev_hash=row.prev_hash,
        hash=row.hash,
        hash_alg=row.hash_alg,
    )


class MemoryAuditLog:
    """In memory, for unit tests of use cases that audit."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def record(self, record: AuditRecord) -> AuditEntry:
        self.records.append(record)
        caller = record.caller
        return AuditEntry(
            len(self.records),
            datetime.now(UTC),
            caller.subject,
            caller.role.value,
            caller.scope,
            record.action,
            record.resource,
            record.purpose,
            record.request_id,
            record.detail,
            GENESIS,
            "",
            "memory",
        )


#: Who reads an audit trail: the auditor, and the city bureau that answers for the data.
READERS = (Role.AUDITOR, Role.CITY_CIVIL_AFFAIRS)


@dataclass(frozen=True)
class ListAuditEntries:
    """The command of ListAuditEntries, from whichever service's request."""

    page_size: int = 0
    page_token: str = ""
    resource: str = ""
    actor: str = ""
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_page_token: str
    verification: AuditVerification


def list_entries(
    log: SqlAuditLog,
    caller: Caller,
    command: ListAuditEntries,
    kept: Callable[[], Checkpoint | None] | None = None,
) -> AuditPage:
    """A page of the trail, with whether the whole chain holds (against the latest checkpoint
    another service keeps, when `kept` finds one). City-wide readers only: the trail spans
    every town."""
    caller.require_role(*READERS)
    if caller.scope_level is not ScopeLevel.CITY:
        raise PermissionDenied(tr("the audit trail is read city-wide only"))
    for name, value in (("resource", command.resource), ("actor", command.actor)):
        if len(value) > MAX_RESOURCE:
            raise InvalidArgument.field(
                name, tr("must be at most {limit} characters", limit=MAX_RESOURCE)
            )
    query = {
        "resource": command.resource,
        "actor": command.actor,
        "start": command.start.isoformat() if command.start else "",
        "end": command.end.isoformat() if command.end else "",
    }
    wanted = paging.parse(command.page_size, command.page_token, query)
    try:
        after = int(wanted.after or 0)
    except ValueError:
        raise InvalidArgument.field("page_token", "is not a token this method issued") from None
    size = min(wanted.size, MAX_PAGE)
    found = log.entries(
        after_seq=after,
        limit=size + 1,
        resource=command.resource,
        actor=command.actor,
        start=command.start,
        end=command.end,
    )
    shown = found[:size]
    last = str(shown[-1].seq) if len(found) > size else None
    return AuditPage(
        shown, paging.next_token(last, query), log.verify(kept=kept() if kept else None)
    )


def entry_to_pb(entry: AuditEntry) -> audit_pb2.AuditEntry:
    return audit_pb2.AuditEntry(
        sequence=entry.seq,
        create_time=timestamp_to_pb(entry.at),
        actor=entry.actor,
        role=entry.role,
        scope=entry.scope,
        action=entry.action,
        resource=entry.resource,
        purpose=entry.purpose,
        request_id=entry.request_id,
        detail=entry.detail,
        previous_hash=entry.prev_hash,
        hash=entry.hash,
    )


def verification_to_pb(result: AuditVerification) -> audit_pb2.AuditVerification:
    return audit_pb2.AuditVerification(
        holds=result.holds,
        entries_checked=result.entries_checked,
        head_sequence=result.head_seq,
        first_broken_sequence=result.first_broken_seq or 0,
        problem=result.problem,
    )


def command_from_pb(request: Any) -> ListAuditEntries:
    """The command of any service's ListAuditEntriesRequest (they share one shape)."""
    return ListAuditEntries(
        page_size=request.page_size,
        page_token=request.page_token,
        resource=request.resource,
        actor=request.actor,
        start=timestamp_from_pb(request.start_time) if request.HasField("start_time") else None,
        end=timestamp_from_pb(request.end_time) if request.HasField("end_time") else None,
    )


def audit_head(factory: sessionmaker[Session]) -> list[tuple[str, int, str]]:
    """The audit trail's head as the one chain to checkpoint: [("audit", seq, hash)]."""
    _, head = tables(MetaData())
    with factory() as session:
        row = session.execute(select(head.c.last_seq, head.c.last_hash)).first()
    return [] if row is None else [("audit", int(row[0]), str(row[1]))]
