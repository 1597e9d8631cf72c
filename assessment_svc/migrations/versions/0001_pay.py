"""Pay policies (seeded with the city's default), the chief's scores, pay runs, yearly results.

Revision ID: 0001
Revises:
"""

import json
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    policies = op.create_table(
        "pay_policies",
        sa.Column("version", sa.String(200), primary_key=True),
        sa.Column("town", sa.String(80), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("weights", sa.Text, nullable=False),
        sa.Column("payout_rule", sa.String(20), nullable=False),
        sa.Column("curve", sa.Text, nullable=False),
        sa.Column("max_prior_strength", sa.Integer, nullable=False),
        sa.Column("pass_mark", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("town", "effective_from", name="uq_pay_policies_town_from"),
    )
    op.create_table(
        "manual_scores",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("town", sa.String(80), nullable=False),
        sa.Column("worker", sa.String(80), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("scored_by", sa.String(120), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_manual_scores_town_period", "manual_scores", ["town", "period"])
    op.create_table(
        "pay_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("town", sa.String(80), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("policy_version", sa.String(200), nullable=False),
        sa.Column("payout_rule", sa.String(20), nullable=False),
        sa.Column("weights", sa.Text, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("lines", sa.Text, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("corrects", sa.String(200), nullable=True),
        sa.Column("total_withheld", sa.BigInteger, nullable=False),
        sa.Column("total_paid", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(120), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approve_request_id", sa.String(120), nullable=True),
    )
    op.create_index("ix_pay_runs_town_period", "pay_runs", ["town", "period"])
    op.create_table(
        "yearly_results",
        sa.Column("worker", sa.String(80), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("town", sa.String(80), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("pass_mark", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(120), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    # The city's default pay policy (rules A1, A4): a setting, dated, never buried in code.
    op.bulk_insert(
        policies,
        [
            {
                "version": "city-default",
                "town": "",
                "effective_from": date(2020, 1, 1),
                "weights": json.dumps([4000, 1500, 1000, 1000, 500, 2000]),
                "payout_rule": "individual",
                "curve": json.dumps([[6000, 6000], [9000, 10000]]),
                "max_prior_strength": 100,
                "pass_mark": 6000,
                "created_by": "system",
                "created_at": datetime(2020, 1, 1, tzinfo=UTC),
            }
        ],
    )


def downgrade() -> None:
    for table in ("yearly_results", "pay_runs", "manual_scores", "pay_policies"):
        op.drop_table(table)
