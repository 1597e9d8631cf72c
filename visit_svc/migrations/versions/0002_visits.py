"""Visits, their checks, escalations, request ids and the dated visit policy, seeded with the
DOMAIN.md defaults (V1, V3-V6) as version v1 from 2022-01-01.

Revision ID: 0002
Revises: 0001 (the work ledger)
"""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)

# finding, urgency, action, contact within (minutes), action within (minutes), assistance
_DEFAULT_RULES = [
    ("residence_hygiene", "prompt", "cleaning", 24 * 60, 3 * 24 * 60, False),  # V3
    ("personal_hygiene", "prompt", "cleaning", 24 * 60, 3 * 24 * 60, False),  # V3
    ("regular_diet", "immediate", "institution_admission", 120, 7 * 24 * 60, True),  # V4
    ("food_source", "immediate", "institution_admission", 120, 7 * 24 * 60, True),  # V4
    ("able_to_feed_self", "immediate", "institution_admission", 120, 7 * 24 * 60, True),  # V4
    ("house_safety", "immediate", "institution_admission", 120, 7 * 24 * 60, True),  # V4
    ("illness", "prompt", "hospital_admission", 24 * 60, 24 * 60, True),  # V5
]


def upgrade() -> None:
    policies = op.create_table(
        "visit_policies",
        sa.Column("version", sa.String(63), primary_key=True),
        sa.Column("effective_from", sa.Date, nullable=False, unique=True),
        sa.Column("visits_per_week", sa.Integer, nullable=False),
        sa.Column("due_soon_minutes", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    rules = op.create_table(
        "visit_policy_rules",
        sa.Column(
            "version", sa.String(63), sa.ForeignKey("visit_policies.version"), primary_key=True
        ),
        sa.Column("finding", sa.String(40), primary_key=True),
        sa.Column("urgency", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("contact_within_minutes", sa.Integer, nullable=False),
        sa.Column("action_within_minutes", sa.Integer, nullable=False),
        sa.Column("assistance_required", sa.Boolean, nullable=False),
    )
    op.create_table(
        "visits",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("person", sa.String(80), nullable=False),
        sa.Column("town", sa.String(80), nullable=False),
        sa.Column("village", sa.String(160), nullable=False),
        sa.Column("worker", sa.String(80), nullable=False),
        sa.Column("substitute_for", sa.String(80), nullable=True),
        sa.Column("visited_at", _TZ, nullable=False),
        sa.Column("week_start", sa.Date, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("recorded_at", _TZ, nullable=False),
    )
    op.create_index("ix_visits_person_time", "visits", ["person", "visited_at"])
    op.create_index("ix_visits_town_week", "visits", ["town", "week_start"])
    op.create_table(
        "visit_checks",
        sa.Column("visit_id", sa.String(32), sa.ForeignKey("visits.id"), primary_key=True),
        sa.Column("item", sa.String(40), primary_key=True),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "escalations",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("visit_id", sa.String(32), sa.ForeignKey("visits.id"), nullable=False),
        sa.Column("person", sa.String(80), nullable=False),
        sa.Column("town", sa.String(80), nullable=False),
        sa.Column("village", sa.String(160), nullable=False),
        sa.Column("worker", sa.String(80), nullable=False),
        sa.Column("findings", sa.String(400), nullable=False),
        sa.Column("urgency", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("policy_version", sa.String(63), nullable=False),
        sa.Column("assistance_required", sa.Boolean, nullable=False),
        sa.Column("visit_at", _TZ, nullable=False),
        sa.Column("contact_deadline", _TZ, nullable=False),
        sa.Column("action_deadline", _TZ, nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("opened_at", _TZ, nullable=False),
        sa.Column("contact_name", sa.String(100), nullable=True),
        sa.Column("contact_channel", sa.String(20), nullable=True),
        sa.Column("contact_at", _TZ, nullable=True),
        sa.Column("contact_note", sa.Text, nullable=True),
        sa.Column("arranged_action", sa.String(40), nullable=True),
        sa.Column("arranged_at", _TZ, nullable=True),
        sa.Column("action_date", sa.Date, nullable=True),
        sa.Column("arrangement_note", sa.Text, nullable=True),
        sa.Column("assisted_at", _TZ, nullable=True),
        sa.Column("assistance_note", sa.Text, nullable=True),
        sa.Column("resolved_at", _TZ, nullable=True),
        sa.Column("outcome", sa.String(40), nullable=True),
        sa.Column("outcome_date", sa.Date, nullable=True),
        sa.Column("outcome_note", sa.Text, nullable=True),
        sa.Column("roster_request_id", sa.String(80), nullable=True),
        sa.Column("cancelled_at", _TZ, nullable=True),
        sa.Column("cancel_reason", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_escalations_town_state", "escalations", ["town", "state"])
    op.create_index(
        "ix_escalations_person_action", "escalations", ["person", "action", "state"]
    )
    op.create_table(
        "request_ids",
        sa.Column("request_id", sa.String(80), primary_key=True),
        sa.Column("method", sa.String(60), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(120), nullable=False),
    )
    op.bulk_insert(
        policies,
        [
            {
                "version": "v1",
                "effective_from": date(2022, 1, 1),
                "visits_per_week": 1,
                "due_soon_minutes": 24 * 60,
                "created_by": "migration 0002 (DOMAIN.md defaults V1, V6)",
                "created_at": datetime(2026, 11, 26, tzinfo=UTC),
            }
        ],
    )
    op.bulk_insert(
        rules,
        [
            {
                "version": "v1",
                "finding": finding,
                "urgency": urgency,
                "action": action,
                "contact_within_minutes": contact,
                "action_within_minutes": within,
                "assistance_required": assist,
            }
            for finding, urgency, action, contact, within, assist in _DEFAULT_RULES
        ],
    )


def downgrade() -> None:
    op.drop_table("request_ids")
    op.drop_index("ix_escalations_person_action", "escalations")
    op.drop_index("ix_escalations_town_state", "escalations")
    op.drop_table("escalations")
    op.drop_table("visit_checks")
    op.drop_index("ix_visits_town_week", "visits")
    op.drop_index("ix_visits_person_time", "visits")
    op.drop_table("visits")
    op.drop_table("visit_policy_rules")
    op.drop_table("visit_policies")
