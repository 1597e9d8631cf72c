"""The audit trail (docs/privacy.md): append-only, hash-chained records of who read which
person's full ID number and why; and the signed checkpoints other services publish of their
chains' heads, kept here, away from the database they vouch for.

Revision ID: 0103
Revises: 0102
"""

import sqlalchemy as sa
from alembic import op

from sgz_runtime import audit

revision = "0103"
down_revision = "0102"
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit.create_tables(op)
    op.create_table(
        "chain_checkpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(30), nullable=False),
        sa.Column("chain", sa.String(120), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("head", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_chain_checkpoints_chain", "chain_checkpoints", ["service", "chain", "seq"])
    audit.append_only(op, "chain_checkpoints", "checkpoints are append-only")


def downgrade() -> None:
    audit.drop_append_only(op, "chain_checkpoints")
    op.drop_index("ix_chain_checkpoints_chain", "chain_checkpoints")
    op.drop_table("chain_checkpoints")
    audit.drop_tables(op)
