"""Employment history, contracts, certificates, training, renewal decisions, dated settings,
recruitment rounds (rules H2-H10), and personal data of workers.

Revision ID: 0002
Revises: 0001
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from sgz_runtime import china_time

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: Version v1 of the HR policy (hr_svc.domain.policy.default_policy), written out so that the
#: migration never changes when the code's defaults do.
V1 = {
    "training_tenth_hours_per_year": 300,
    "max_tenth_hours_per_record": 1200,
    "written_weight_percent": 40,
    "first_contract_months": 36,
    "early_warning_months": 6,
    "withholding_ratio_bp": 1000,
    "employer_rates_bp": {
        "pension": 1600,
        "medical": 700,
        "unemployment": 50,
        "work_injury": 20,
        "maternity": 80,
        "housing_fund": 800,
    },
    "worker_rates_bp": {
        "pension": 800,
        "medical": 200,
        "unemployment": 50,
        "work_injury": 0,
        "maternity": 0,
        "housing_fund": 800,
    },
}


def upgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.add_column(sa.Column("creator", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("create_time", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("id_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("id_sealed", sa.Text, nullable=True))
        batch.add_column(sa.Column("id_masked", sa.String(18), nullable=False, server_default=""))
        batch.add_column(sa.Column("phone_sealed", sa.Text, nullable=True))
        batch.add_column(
            sa.Column("phone_masked", sa.String(20), nullable=False, server_default="")
        )
        batch.create_unique_constraint("uq_workers_id_digest", ["id_digest"])
    op.create_table(
        "employment_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("worker_id", sa.String(63), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("change", sa.String(10), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_employment_events_worker_id", "employment_events", ["worker_id"])
    # Workers recorded before employment had dates joined on the day of this migration.
    op.execute(
        sa.text(
            "INSERT INTO employment_events (worker_id, change, effective_date, reason, "
            "recorded_by) SELECT id, 'JOINED', :day, '', 'migration 0002' FROM workers"
        ).bindparams(day=china_time.today())
    )
    op.create_table(
        "contracts",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(63), nullable=False, unique=True),
        sa.Column("worker_id", sa.String(63), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=True),
        sa.Column("probation_months", sa.Integer, nullable=False),
        sa.Column("monthly_base_fen", sa.BigInteger, nullable=False),
        sa.Column("renewal_of", sa.String(63), nullable=True),
        sa.Column("consecutive_fixed_terms", sa.Integer, nullable=False),
        sa.Column("open_ended_required", sa.Boolean, nullable=False),
        sa.Column("worker_asked_fixed_term", sa.Boolean, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_contracts_worker", "contracts", ["worker_id", "start_date"])
    op.create_index("ix_contracts_end", "contracts", ["end_date"])
    op.create_table(
        "certificates",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(63), nullable=False, unique=True),
        sa.Column("worker_id", sa.String(63), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("level", sa.String(14), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("obtained_date", sa.Date, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_certificates_worker_id", "certificates", ["worker_id"])
    op.create_table(
        "training_records",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(63), nullable=False, unique=True),
        sa.Column("worker_id", sa.String(63), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("tenth_hours", sa.Integer, nullable=False),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_training_worker_date", "training_records", ["worker_id", "date"])
    op.create_table(
        "renewal_decisions",
        sa.Column(
            "contract_id", sa.String(63), sa.ForeignKey("contracts.id"), primary_key=True
        ),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("new_contract_id", sa.String(63), nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
    )
    policies = op.create_table(
        "hr_policies",
        sa.Column("version", sa.String(63), primary_key=True),
        sa.Column("effective_from", sa.Date, nullable=False, unique=True),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.bulk_insert(
        policies, [{"version": "v1", "effective_from": dt.date(2000, 1, 1), "body": V1}]
    )
    op.create_table(
        "town_withholding",
        sa.Column("town", sa.String(80), primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("ratio_bp", sa.Integer, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "recruitment_rounds",
        sa.Column("town", sa.String(80), primary_key=True),
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("round_date", sa.Date, nullable=False),
        sa.Column("posts", sa.Integer, nullable=False),
        sa.Column("written_weight_percent", sa.Integer, nullable=False),
        sa.Column("applicants", sa.JSON, nullable=False),
        sa.Column("creator", sa.String(100), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "accepted_offers",
        sa.Column("town", sa.String(80), primary_key=True),
        sa.Column("round_id", sa.String(63), primary_key=True),
        sa.Column("applicant_id", sa.String(63), primary_key=True),
        sa.Column("worker_id", sa.String(63), sa.ForeignKey("workers.id"), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "accepted_offers",
        "recruitment_rounds",
        "town_withholding",
        "hr_policies",
        "renewal_decisions",
        "training_records",
        "certificates",
        "contracts",
        "employment_events",
    ):
        op.drop_table(table)
    with op.batch_alter_table("workers") as batch:
        batch.drop_constraint("uq_workers_id_digest", type_="unique")
        for column in (
            "phone_masked",
            "phone_sealed",
            "id_masked",
            "id_sealed",
            "id_digest",
            "create_time",
            "creator",
        ):
            batch.drop_column(column)
