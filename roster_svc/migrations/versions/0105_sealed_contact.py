"""Persons' addresses and phones sealed at rest (docs/privacy.md): the columns become text wide
enough for the sealed form; the service seals the values already there on its next start.

Revision ID: 0105
Revises: 0104
"""

import sqlalchemy as sa
from alembic import op

revision = "0105"
down_revision = "0104"
branch_labels = None
depends_on = None

_COLUMNS = (("persons", "address"), ("persons", "phone"))
_STAGED = (("person_import_staging", "address"), ("person_import_staging", "phone"))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # SQLite keeps text of any length in a VARCHAR column
    for table, column in (*_COLUMNS, *_STAGED):
        op.alter_column(table, column, type_=sa.Text)


def downgrade() -> None:
    pass  # sealed values do not fit the old widths; the columns stay text
