"""Tables of the HR database, mapped onto the domain classes. History tables (employment,
contracts, decisions) are appended to, never updated."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import registry, relationship

from hr_svc.domain.certificates import Certificate, CertificateLevel
from hr_svc.domain.contracts import Contract, ContractKind
from hr_svc.domain.employment import EmploymentChange, EmploymentEvent
from hr_svc.domain.training import TrainingKind, TrainingRecord
from hr_svc.domain.workers import Worker, WorkerRole

metadata = MetaData()
mapper_registry = registry(metadata=metadata)

workers = Table(
    "workers",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(63), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("town", String(80), nullable=False, index=True),
    Column("role", Enum(WorkerRole, native_enum=False, length=20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("creator", String(100), nullable=False, default=""),
    Column("create_time", DateTime(timezone=True), nullable=True),
    Column("id_digest", String(64), nullable=True, unique=True),
    Column("id_sealed", Text, nullable=True),
    Column("id_masked", String(18), nullable=False, default=""),
    Column("phone_sealed", Text, nullable=True),
    Column("phone_masked", String(20), nullable=False, default=""),
)

# Rule H2: joined / left, each holding until the next.
employment_events = Table(
    "employment_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(63), ForeignKey("workers.id"), nullable=False, index=True),
    Column("change", Enum(EmploymentChange, native_enum=False, length=10), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("reason", String(200), nullable=False, default=""),
    Column("recorded_by", String(100), nullable=False, default=""),
    Column("recorded_at", DateTime(timezone=True), nullable=True),
)

# Rules H6, H8, H10.
contracts = Table(
    "contracts",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(63), nullable=False, unique=True),
    Column("worker_id", String(63), ForeignKey("workers.id"), nullable=False),
    Column("kind", Enum(ContractKind, native_enum=False, length=12), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
    Column("probation_months", Integer, nullable=False),
    Column("monthly_base_fen", BigInteger, nullable=False),
    Column("renewal_of", String(63), nullable=True),
    Column("consecutive_fixed_terms", Integer, nullable=False),
    Column("open_ended_required", Boolean, nullable=False),
    Column("worker_asked_fixed_term", Boolean, nullable=False),
    Column("recorded_by", String(100), nullable=False, default=""),
    Column("recorded_at", DateTime(timezone=True), nullable=True),
    Index("ix_contracts_worker", "worker_id", "start_date"),
    Index("ix_contracts_end", "end_date"),
)

# Rule H7.
certificates = Table(
    "certificates",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(63), nullable=False, unique=True),
    Column("worker_id", String(63), ForeignKey("workers.id"), nullable=False, index=True),
    Column("level", Enum(CertificateLevel, native_enum=False, length=14), nullable=False),
    Column("number", String(64), nullable=False),
    Column("obtained_date", Date, nullable=False),
    Column("recorded_by", String(100), nullable=False, default=""),
    Column("recorded_at", DateTime(timezone=True), nullable=True),
)

# Rule H9.
training_records = Table(
    "training_records",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(63), nullable=False, unique=True),
    Column("worker_id", String(63), ForeignKey("workers.id"), nullable=False),
    Column("kind", Enum(TrainingKind, native_enum=False, length=24), nullable=False),
    Column("tenth_hours", Integer, nullable=False),
    Column("provider", String(200), nullable=False),
    Column("date", Date, nullable=False),
    Column("recorded_by", String(100), nullable=False, default=""),
    Column("recorded_at", DateTime(timezone=True), nullable=True),
    Index("ix_training_worker_date", "worker_id", "date"),
)

# Rule H7: one decision per contract, with who and why; read with Core.
renewal_decisions = Table(
    "renewal_decisions",
    metadata,
    Column("contract_id", String(63), ForeignKey("contracts.id"), primary_key=True),
    Column("outcome", String(10), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("new_contract_id", String(63), nullable=True),
    Column("decided_by", String(100), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("reasons", JSON, nullable=False),
)

# Dated settings (H6, H7, H9, H10, A1); read with Core.
hr_policies = Table(
    "hr_policies",
    metadata,
    Column("version", String(63), primary_key=True),
    Column("effective_from", Date, nullable=False, unique=True),
    Column("body", JSON, nullable=False),
)

town_withholding = Table(
    "town_withholding",
    metadata,
    Column("town", String(80), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("ratio_bp", Integer, nullable=False),
    Column("recorded_by", String(100), nullable=False, default=""),
)

# Rules H3, H4: a round keeps its applicants as given; the ranking is recomputed from them.
recruitment_rounds = Table(
    "recruitment_rounds",
    metadata,
    Column("town", String(80), primary_key=True),
    Column("id", String(63), primary_key=True),
    Column("round_date", Date, nullable=False),
    Column("posts", Integer, nullable=False),
    Column("written_weight_percent", Integer, nullable=False),
    Column("applicants", JSON, nullable=False),
    Column("creator", String(100), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
)

accepted_offers = Table(
    "accepted_offers",
    metadata,
    Column("town", String(80), primary_key=True),
    Column("round_id", String(63), primary_key=True),
    Column("applicant_id", String(63), primary_key=True),
    Column("worker_id", String(63), ForeignKey("workers.id"), nullable=False),
)

_mapped = False


def start_mappers() -> None:
    """Maps the domain classes once per process (never at import)."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(EmploymentEvent, employment_events)
    mapper_registry.map_imperatively(
        Worker,
        workers,
        version_id_col=workers.c.version,
        properties={
            "employment": relationship(
                EmploymentEvent,
                order_by=employment_events.c.seq,
                lazy="selectin",
                primaryjoin=workers.c.id == employment_events.c.worker_id,
                foreign_keys=[employment_events.c.worker_id],
            )
        },
    )
    mapper_registry.map_imperatively(Contract, contracts)
    mapper_registry.map_imperatively(Certificate, certificates)
    mapper_registry.map_imperatively(TrainingRecord, training_records)
    _mapped = True
