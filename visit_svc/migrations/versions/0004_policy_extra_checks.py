"""Rule V2's extra checks become part of the dated visit policy: each version names the checks
asked at every visit besides the text's five. Existing versions keep the two that were
hard-coded (food source, able to feed oneself).

Revision ID: 0004
Revises: 0003 (facts indexes)
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visit_policies") as batch:
        batch.add_column(
            sa.Column(
                "extra_checks",
                sa.String(400),
                nullable=False,
                server_default="food_source,able_to_feed_self",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("visit_policies") as batch:
        batch.drop_column("extra_checks")
