"""Towns and villages.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "towns",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("administrative_code", sa.String(6), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "villages",
        sa.Column("town_id", sa.String(63), sa.ForeignKey("towns.id"), primary_key=True),
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("contact_name", sa.String(100), nullable=False),
        sa.Column("contact_phone", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("villages")
    op.drop_table("towns")
