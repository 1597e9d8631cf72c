"""Signed checkpoints of the roster's chains (its audit trail), kept here, away from the roster's
database they vouch for, as the roster keeps the visit service's (docs/privacy.md).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from sgz_runtime import audit

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
    op.create_index(
        "ix_chain_checkpoints_chain", "chain_checkpoints", ["service", "chain", "seq"]
    )
    audit.append_only(op, "chain_checkpoints", "checkpoints are append-only")


def downgrade() -> None:
    audit.drop_append_only(op, "chain_checkpoints")
    op.drop_index("ix_chain_checkpoints_chain", "chain_checkpoints")
    op.drop_table("chain_checkpoints")
