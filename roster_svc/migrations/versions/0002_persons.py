"""Persons (R1, R2) and their append-only history: status changes, assessments (R3),
re-assessments (R4), assignments, substitutions and four-party agreements (R5, R6).

Revision ID: 0002
Revises: 0100

One linear chain: this revises 0100 (stations), the latest revision when it was added.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0100"
branch_labels = None
depends_on = None

_NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("town_id", sa.String(63), nullable=False),
        sa.Column("village_id", sa.String(63), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("id_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("id_cipher", sa.Text, nullable=False),
        sa.Column("id_masked", sa.String(18), nullable=False),
        sa.Column("gender", sa.String(10), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(["town_id", "village_id"], ["villages.town_id", "villages.id"]),
    )
    op.create_index("ix_persons_town_village", "persons", ["town_id", "village_id", "id"])
    op.create_table(
        "status_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(32), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True, unique=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.UniqueConstraint("person_id", "effective_date"),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("person_id", sa.String(32), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("assessor", sa.String(200), nullable=False),
        sa.Column("assessment_date", sa.Date, nullable=False),
        sa.Column("eating", sa.Boolean, nullable=False),
        sa.Column("dressing", sa.Boolean, nullable=False),
        sa.Column("transferring", sa.Boolean, nullable=False),
        sa.Column("toileting", sa.Boolean, nullable=False),
        sa.Column("indoor_walking", sa.Boolean, nullable=False),
        sa.Column("bathing", sa.Boolean, nullable=False),
        sa.Column("care_level", sa.String(20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.UniqueConstraint("person_id", "assessment_date"),
    )
    op.create_table(
        "reassessments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("person_id", sa.String(32), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("reported_date", sa.Date, nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("due_date_basis", sa.String(20), nullable=False),
        sa.Column("assessment_id", sa.String(32), sa.ForeignKey("assessments.id"), nullable=True),
    )
    op.create_index("ix_reassessments_person_id", "reassessments", ["person_id"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("person_id", sa.String(32), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.UniqueConstraint("person_id", "start_date"),
    )
    op.create_index("ix_assignments_worker", "assignments", ["worker"])
    op.create_table(
        "substitutions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("town_id", sa.String(63), sa.ForeignKey("towns.id"), nullable=False),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.Column("substitute", sa.String(100), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
    )
    op.create_index("ix_substitutions_town_id", "substitutions", ["town_id"])
    op.create_index("ix_substitutions_worker", "substitutions", ["worker"])
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("person_id", sa.String(32), sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("town_id", sa.String(63), nullable=False),
        sa.Column("village_id", sa.String(63), nullable=False),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.Column("signed_date", sa.Date, nullable=False),
        sa.Column("document_reference", sa.String(200), nullable=False),
    )
    op.create_index("ix_agreements_person_id", "agreements", ["person_id"])


def downgrade() -> None:
    for table in (
        "agreements",
        "substitutions",
        "assignments",
        "reassessments",
        "assessments",
        "status_changes",
        "persons",
    ):
        op.drop_table(table)
