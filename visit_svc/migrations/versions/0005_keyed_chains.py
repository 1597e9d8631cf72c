"""Keyed chains (docs/privacy.md): each ledger entry says how its hash was made, each town's
head keeps the signed count of entries written before the key; visits and their checks become
append-only like the ledger; the audit trail of reads of health findings.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from sgz_runtime import audit

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries already written keep their plain SHA-256 ("sha256"); the service signs how many
    # there are on its next start (anchor_legacy_chains), before it appends a keyed one.
    op.add_column(
        "ledger_entries",
        sa.Column("hash_alg", sa.String(40), nullable=False, server_default="sha256"),
    )
    op.add_column("ledger_heads", sa.Column("legacy_seq", sa.Integer, nullable=True))
    op.add_column("ledger_heads", sa.Column("legacy_sig", sa.String(64), nullable=True))
    # A visit and its checks are facts as recorded (rule V7): a correction is a ledger entry.
    for table in ("visits", "visit_checks"):
        audit.append_only(op, table, f"{table} are append-only (rule V7): record a correction")
    audit.create_tables(op)


def downgrade() -> None:
    audit.drop_tables(op)
    for table in ("visits", "visit_checks"):
        audit.drop_append_only(op, table)
    op.drop_column("ledger_heads", "legacy_sig")
    op.drop_column("ledger_heads", "legacy_seq")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("hash_alg")
