"""Stations of the towns (rules S1, S2).

Revision ID: 0100
Revises: 0001

The roster keeps ONE linear chain: roster-core's revisions are 0002, 0003, ...; the station and
import revisions are 0100, 0101, ... and each revises the latest revision at the time it was
added. A revision added after this one revises 0100 (or whatever is latest then), so that
`alembic heads` shows a single head.
"""

import sqlalchemy as sa
from alembic import op

revision = "0100"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("town_id", sa.String(63), sa.ForeignKey("towns.id"), primary_key=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("registered_date", sa.Date, nullable=True),
        sa.Column("registration_number", sa.String(18), nullable=False),
        sa.Column("legal_representative", sa.String(100), nullable=False),
        sa.Column("charity_plate_hung", sa.Boolean, nullable=False),
        sa.Column("office_area_m2", sa.Float, nullable=True),
        sa.Column("equipment", sa.JSON, nullable=False),
        sa.Column("projects", sa.JSON, nullable=False),
        sa.Column("funding_account", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stations")
