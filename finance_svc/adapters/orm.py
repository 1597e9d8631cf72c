"""The finance database's tables (SQLAlchemy Core), on one `metadata`.

`postings` and `posting_lines` are append-only (database triggers, migration 0001) and
hash-chained per town (rule F5); `ledger_heads` holds each town's chain head and is the row a
town's writers lock, so every posting of a town is numbered, checked against the balances and
written one at a time.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

minimum_wages = Table(
    "minimum_wages",
    metadata,
    Column("effective_from", Date, primary_key=True),
    Column("monthly_fen", BigInteger, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

care_standards = Table(
    "care_standards",
    metadata,
    Column("effective_from", Date, primary_key=True),
    Column("self_care_fen", BigInteger, nullable=False),
    Column("partial_fen", BigInteger, nullable=False),
    Column("full_loss_fen", BigInteger, nullable=False),
    Column("below_floor_reason", Text, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

expense_categories = Table(
    "expense_categories",
    metadata,
    Column("effective_from", Date, primary_key=True),
    #: Comma-separated ExpenseCategory values.
    Column("categories", Text, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

periods = Table(
    "periods",
    metadata,
    Column("town", String(80), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("state", String(20), nullable=False),
    Column("allocated_fen", BigInteger, nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("closed_by", String(200), nullable=False, default=""),
    #: The statement fixed at close (rule F5): canonical JSON and its sha256.
    Column("statement_json", Text, nullable=False, default=""),
    Column("statement_hash", String(64), nullable=False, default=""),
)

allocations = Table(
    "allocations",
    metadata,
    Column("town", String(80), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("state", String(20), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    #: The explanation (lines, unassessed, warnings) as JSON.
    Column("explanation", Text, nullable=False),
    Column("computed_by", String(200), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", String(200), nullable=False),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    Column("supersedes", Integer, nullable=True),
    Column("reason", Text, nullable=False),
    Column("unassessed_override_reason", Text, nullable=False),
)

ledger_heads = Table(
    "ledger_heads",
    metadata,
    Column("town", String(80), primary_key=True),
    Column("last_seq", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

postings = Table(
    "postings",
    metadata,
    Column("town", String(80), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("period", String(10), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("leg", String(20), nullable=False),
    Column("category", String(30), nullable=False),
    Column("payee", String(200), nullable=False),
    Column("evidence", String(300), nullable=False),
    Column("adjusts", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("posted_by", String(200), nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Column("request_id", String(100), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_postings_town_period", "town", "period"),
)

posting_lines = Table(
    "posting_lines",
    metadata,
    Column("town", String(80), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("period", String(10), nullable=False),
    Column("account", String(20), nullable=False),
    Column("category", String(30), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Index("ix_posting_lines_town_period", "town", "period"),
)

request_ids = Table(
    "request_ids",
    metadata,
    Column("request_id", String(100), primary_key=True),
    Column("method", String(40), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("result", String(200), nullable=False),
)
