"""Villages carry their 12-digit division code (places import); assessment corrections keep
the values they replaced (rule R6).

Revision ID: 0104
Revises: 0103 (the audit trail)
"""

import sqlalchemy as sa
from alembic import op

revision = "0104"
down_revision = "0103"
branch_labels = None
depends_on = None

_INDICATORS = ("eating", "dressing", "transferring", "toileting", "indoor_walking", "bathing")


def upgrade() -> None:
    # Room for the 9-digit town codes of the statistical division (the places import).
    with op.batch_alter_table("towns") as batch:
        batch.alter_column("administrative_code", type_=sa.String(12), existing_type=sa.String(6))
    with op.batch_alter_table("villages") as batch:
        batch.add_column(sa.Column("administrative_code", sa.String(12), nullable=True))
    op.create_index(
        "ix_villages_administrative_code", "villages", ["administrative_code"], unique=True
    )
    op.create_table(
        "assessment_corrections",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("assessment_id", sa.String(32), nullable=False, index=True),
        sa.Column("person_id", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("corrector", sa.String(120), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True, unique=True),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("previous_assessor", sa.String(200), nullable=False),
        sa.Column("previous_date", sa.Date, nullable=False),
        *(sa.Column(f"previous_{i}", sa.Boolean, nullable=False) for i in _INDICATORS),
        sa.Column("previous_care_level", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("assessment_corrections")
    op.drop_index("ix_villages_administrative_code", "villages")
    with op.batch_alter_table("villages") as batch:
        batch.drop_column("administrative_code")
