"""The work ledger: per-town chain heads and hash-chained, append-only entries (rule V7).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_REFUSE = "the work ledger is append-only (rule V7): record a correction instead"


def upgrade() -> None:
    op.create_table(
        "ledger_heads",
        sa.Column("town", sa.String(80), primary_key=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("town", sa.String(80), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("corrects", sa.Integer, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["town", "corrects"],
            ["ledger_entries.town", "ledger_entries.seq"],
            name="fk_corrects",
        ),
    )
    op.create_index("ix_ledger_entries_town_subject", "ledger_entries", ["town", "subject"])
    op.create_index("ix_ledger_entries_town_at", "ledger_entries", ["town", "at"])
    # Defence in depth: the application has no update path, and the database refuses one too.
    # Someone with the rights to drop these triggers can still edit rows: the hash chain is
    # what makes that visible (VerifyLedger).
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_entries_no_{event.lower()} BEFORE {event} "
                f"ON ledger_entries BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_REFUSE}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS ledger_entries_append_only()")
    op.drop_index("ix_ledger_entries_town_at", "ledger_entries")
    op.drop_index("ix_ledger_entries_town_subject", "ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_heads")
