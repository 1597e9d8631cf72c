"""The finance ledger: settings (F2, F3), periods (F1), allocations, and the append-only,
hash-chained double-entry postings (F5) that a closed period refuses (F4).

Revision ID: 0001
Revises:
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY = "postings are immutable (rule F5): record an adjusting entry instead"
_CLOSED = "the period is closed (rule F4): record an adjusting entry in an open period"
_LEDGER_TABLES = ("postings", "posting_lines")

#: Rule F3's DOMAIN.md list, in force from before the first period sgz serves.
_DEFAULT_CATEGORIES = "worker_pay,performance_pay,training,visit_transport,cleaning_assistance"


def upgrade() -> None:
    bind = op.get_bind()
    # The tables as this revision made them (adapters/orm.py declares the current ones; a later
    # change is a revision of its own).
    when = sa.DateTime(timezone=True)
    fen = sa.BigInteger
    op.create_table(
        "minimum_wages",
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("monthly_fen", fen, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", when, nullable=False),
    )
    op.create_table(
        "care_standards",
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("self_care_fen", fen, nullable=False),
        sa.Column("partial_fen", fen, nullable=False),
        sa.Column("full_loss_fen", fen, nullable=False),
        sa.Column("below_floor_reason", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", when, nullable=False),
    )
    categories = op.create_table(
        "expense_categories",
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", when, nullable=False),
    )
    op.create_table(
        "periods",
        sa.Column("town", sa.String(80), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("allocated_fen", fen, nullable=True),
        sa.Column("closed_at", when, nullable=True),
        sa.Column("closed_by", sa.String(200), nullable=False),
        sa.Column("statement_json", sa.Text, nullable=False),
        sa.Column("statement_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "allocations",
        sa.Column("town", sa.String(80), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("amount_fen", fen, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("computed_by", sa.String(200), nullable=False),
        sa.Column("computed_at", when, nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=False),
        sa.Column("approved_at", when, nullable=True),
        sa.Column("supersedes", sa.Integer, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("unassessed_override_reason", sa.Text, nullable=False),
    )
    op.create_table(
        "ledger_heads",
        sa.Column("town", sa.String(80), primary_key=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "postings",
        sa.Column("town", sa.String(80), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount_fen", fen, nullable=False),
        sa.Column("leg", sa.String(20), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("payee", sa.String(200), nullable=False),
        sa.Column("evidence", sa.String(300), nullable=False),
        sa.Column("adjusts", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("posted_by", sa.String(200), nullable=False),
        sa.Column("posted_at", when, nullable=False),
        sa.Column("request_id", sa.String(100), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_postings_town_period", "postings", ["town", "period"])
    op.create_table(
        "posting_lines",
        sa.Column("town", sa.String(80), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("account", sa.String(20), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("amount_fen", fen, nullable=False),
    )
    op.create_index("ix_posting_lines_town_period", "posting_lines", ["town", "period"])
    op.create_table(
        "request_ids",
        sa.Column("request_id", sa.String(100), primary_key=True),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", sa.String(200), nullable=False),
    )
    op.bulk_insert(
        categories,
        [
            {
                "effective_from": dt.date(2020, 1, 1),
                "categories": _DEFAULT_CATEGORIES,
                "recorded_by": "migration 0001 (DOMAIN.md F3)",
                "recorded_at": dt.datetime(2026, 11, 29, tzinfo=dt.UTC),
            }
        ],
    )
    # Defence in depth: the application has no update path, and the database refuses one too;
    # the hash chain (VerifyPostings) shows an edit by someone who dropped the triggers.
    if bind.dialect.name == "sqlite":
        for table in _LEDGER_TABLES:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
                )
        op.execute(
            "CREATE TRIGGER postings_not_in_closed BEFORE INSERT ON postings "
            "WHEN (SELECT state FROM periods WHERE town = NEW.town AND period = NEW.period) "
            f"= 'closed' BEGIN SELECT RAISE(ABORT, '{_CLOSED}'); END"
        )
    else:
        op.execute(
            "CREATE FUNCTION finance_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END; $$ LANGUAGE plpgsql"
        )
        for table in _LEDGER_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION finance_append_only()"
            )
        op.execute(
            "CREATE FUNCTION finance_not_in_closed() RETURNS trigger AS $$ BEGIN "
            "IF (SELECT state FROM periods WHERE town = NEW.town AND period = NEW.period) "
            f"= 'closed' THEN RAISE EXCEPTION '{_CLOSED}'; END IF; RETURN NEW; END; $$ "
            "LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER postings_not_in_closed BEFORE INSERT ON postings "
            "FOR EACH ROW EXECUTE FUNCTION finance_not_in_closed()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in _LEDGER_TABLES:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
        op.execute("DROP TRIGGER IF EXISTS postings_not_in_closed")
    else:
        for table in _LEDGER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP TRIGGER IF EXISTS postings_not_in_closed ON postings")
        op.execute("DROP FUNCTION IF EXISTS finance_append_only()")
        op.execute("DROP FUNCTION IF EXISTS finance_not_in_closed()")
    for table in (
        "request_ids",
        "posting_lines",
        "postings",
        "ledger_heads",
        "allocations",
        "periods",
        "expense_categories",
        "care_standards",
        "minimum_wages",
    ):
        op.drop_table(table)
