"""Rows of a file being imported, staged until CommitPersonImport applies them at once.

Revision ID: 0101
Revises: 0002

One linear chain: this revises 0002 (persons), the latest revision when it was added.
"""

import sqlalchemy as sa
from alembic import op

revision = "0101"
down_revision = "0002"
branch_labels = None
depends_on = None

_INDICATORS = ("eating", "dressing", "transferring", "toileting", "indoor_walking", "bathing")


def upgrade() -> None:
    op.create_table(
        "person_import_staging",
        sa.Column("import_id", sa.String(64), primary_key=True),
        sa.Column("row_number", sa.Integer, primary_key=True),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("person_id", sa.String(32), nullable=False),
        sa.Column("town_id", sa.String(63), nullable=False),
        sa.Column("village_id", sa.String(63), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("id_cipher", sa.Text, nullable=True),
        sa.Column("id_masked", sa.String(18), nullable=False),
        sa.Column("gender", sa.String(10), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("expected_version", sa.Integer, nullable=True),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("assessment_id", sa.String(32), nullable=True),
        sa.Column("assessor", sa.String(200), nullable=True),
        sa.Column("assessment_date", sa.Date, nullable=True),
        *(sa.Column(i, sa.Boolean, nullable=True) for i in _INDICATORS),
        sa.Column("care_level", sa.String(20), nullable=True),
        sa.Column(
            "staged_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        # One ID, one person (R2) across every batch of a file.
        sa.UniqueConstraint("import_id", "id_hash"),
    )


def downgrade() -> None:
    op.drop_table("person_import_staging")
