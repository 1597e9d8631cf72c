"""Tables of the work ledger (rule V7), on the visit database's one `metadata`.

`ledger_heads` holds each town's chain head: the last seq and hash. Appends lock that row (an
UPDATE first, so SQLite takes its write lock and PostgreSQL its row lock before anything is
read), which numbers a town's entries without gaps under concurrent appends and lets a verify
notice a removed last entry.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from visit_svc.adapters.orm import metadata

ledger_heads = Table(
    "ledger_heads",
    metadata,
    Column("town", String(80), primary_key=True),
    Column("last_seq", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
    #: Entries 1..legacy_seq predate the keyed chain; signed with the chain key (privacy.md).
    Column("legacy_seq", Integer, nullable=True),
    Column("legacy_sig", String(64), nullable=True),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("town", String(80), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(20), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("actor", String(200), nullable=False),
    #: When the item happened, and when it was recorded; both UTC.
    Column("at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    #: The canonical JSON the hash covers, stored as written so it is re-hashed byte for byte.
    Column("payload", Text, nullable=False),
    Column("corrects", Integer, nullable=True),
    Column("reason", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    #: `hmac-sha256:<key id>`, or `sha256` for entries written before the chain was keyed.
    Column("hash_alg", String(40), nullable=False, server_default="sha256"),
    ForeignKeyConstraint(
        ["town", "corrects"], ["ledger_entries.town", "ledger_entries.seq"], name="fk_corrects"
    ),
    Index("ix_ledger_entries_town_subject", "town", "subject"),
    Index("ix_ledger_entries_town_at", "town", "at"),
)
