"""Indexes for the assessment's facts: visits counted per worker and week without reading the
table, escalations found per town and visit time.

Revision ID: 0003
Revises: 0002 (visits and escalations)
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Covers the facts query's GROUP BY (credited worker, week, person) for one town: an
    # index-only scan on PostgreSQL, a covering index on SQLite.
    op.create_index(
        "ix_visits_facts",
        "visits",
        ["town", "week_start", "worker", "substitute_for", "person"],
    )
    op.create_index("ix_escalations_town_visit_at", "escalations", ["town", "visit_at"])


def downgrade() -> None:
    op.drop_index("ix_escalations_town_visit_at", "escalations")
    op.drop_index("ix_visits_facts", "visits")
