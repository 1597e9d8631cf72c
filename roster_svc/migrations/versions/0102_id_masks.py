"""Masks that mask: stored masked ID numbers keep the address code only (docs/privacy.md).

Revision ID: 0102
Revises: 0101

The earlier mask kept the last four characters (sequence and check digit) while the birth date
was returned beside it, which added up to the whole number.
"""

from alembic import op

revision = "0102"
down_revision = "0101"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("persons", "person_import_staging"):
        op.execute(f"UPDATE {table} SET id_masked = substr(id_masked, 1, 6) || '************'")


def downgrade() -> None:
    pass  # the hidden characters are not kept: they stay hidden
