"""Tables of the assessment database: dated pay policies, the chief's scores, pay runs (their
explained lines kept as they were approved) and yearly results."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

#: Rules A1, A4: one dated version of a town's pay policy ("" = the city's default).
pay_policies = Table(
    "pay_policies",
    metadata,
    Column("version", String(200), primary_key=True),
    Column("town", String(80), nullable=False),
    Column("effective_from", Date, nullable=False),
    #: JSON: basis points per component, in Component order.
    Column("weights", Text, nullable=False),
    Column("payout_rule", String(20), nullable=False),
    #: JSON: [[score hundredths, share basis points], ...].
    Column("curve", Text, nullable=False),
    Column("max_prior_strength", Integer, nullable=False),
    Column("pass_mark", Integer, nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("town", "effective_from", name="uq_pay_policies_town_from"),
)

#: Rule A3: every score the chief gave, kept; the latest counts.
manual_scores = Table(
    "manual_scores",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("town", String(80), nullable=False),
    Column("worker", String(80), nullable=False),
    Column("period", String(10), nullable=False),
    Column("score", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("scored_by", String(120), nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=False),
    Index("ix_manual_scores_town_period", "town", "period"),
)

#: Rule A4: pay runs; `lines` is the JSON of every worker's explained line, written once.
pay_runs = Table(
    "pay_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("town", String(80), nullable=False),
    Column("period", String(10), nullable=False),
    Column("state", String(10), nullable=False),
    Column("policy_version", String(200), nullable=False),
    Column("payout_rule", String(20), nullable=False),
    Column("weights", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("lines", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("corrects", String(200), nullable=True),
    Column("total_withheld", BigInteger, nullable=False),
    Column("total_paid", BigInteger, nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", String(120), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    Column("approve_request_id", String(120), nullable=True),
    Index("ix_pay_runs_town_period", "town", "period"),
)

#: Rule A5: one decided result per worker and year.
yearly_results = Table(
    "yearly_results",
    metadata,
    Column("worker", String(80), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("town", String(80), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("score", Integer, nullable=False),
    Column("pass_mark", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_by", String(120), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)
