"""Repositories of HR: ports (Protocols) and their SQLAlchemy adapters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from hr_svc.adapters import orm
from hr_svc.domain.certificates import Certificate
from hr_svc.domain.contracts import Contract
from hr_svc.domain.policy import HrPolicy, TownWithholding
from hr_svc.domain.training import TrainingRecord
from hr_svc.domain.workers import Worker, WorkerRef, WorkerRole

#: IN lists are cut into chunks this long (PostgreSQL and SQLite both take it comfortably).
_CHUNK = 900


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


class WorkerRepository(Protocol):
    def add(self, worker: Worker) -> None: ...
    def get(self, worker_id: str) -> Worker | None: ...
    def in_towns(self, towns: list[str] | None) -> list[Worker]: ...
    def chiefs_of(self, town: str) -> list[Worker]: ...
    def serialize(self, key: str) -> None: ...
    def by_id_digest(self, digest: str) -> Worker | None: ...
    def refs(self, worker_ids: list[str]) -> dict[str, WorkerRef]: ...
    # Last: a method named `list` shadows the builtin in the rest of the class body.
    def list(self, town: str | None, after_seq: int | None, limit: int) -> list[Worker]: ...


class SqlWorkerRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, worker: Worker) -> None:
        self.session.add(worker)
        self.session.flush()  # assigns seq

    def get(self, worker_id: str) -> Worker | None:
        return self.session.scalars(select(Worker).where(orm.workers.c.id == worker_id)).first()

    def in_towns(self, towns: list[str] | None) -> list[Worker]:
        query = select(Worker).order_by(orm.workers.c.town, orm.workers.c.seq)
        if towns is not None:
            query = query.where(orm.workers.c.town.in_(towns))
        return list(self.session.scalars(query))

    def serialize(self, key: str) -> None:
        """Check-then-write rules under concurrency (H5: one chief per town; H6: no overlapping
        contracts of a worker): transactions naming the same key run their checks one after
        the other. Called first in the transaction. PostgreSQL: an advisory lock on the key
        until the transaction ends. SQLite: a write that changes nothing takes the database's
        one write lock now (a concurrent one waits for the busy timeout), so the check that
        follows reads what the other committed."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "hr:" + key}
            )
        else:
            self.session.execute(text("UPDATE workers SET version = version WHERE 1 = 0"))

    def chiefs_of(self, town: str) -> list[Worker]:
        query = select(Worker).where(
            orm.workers.c.town == town, orm.workers.c.role == WorkerRole.STATION_CHIEF
        )
        return list(self.session.scalars(query))

    def by_id_digest(self, digest: str) -> Worker | None:
        query = select(Worker).where(orm.workers.c.id_digest == digest)
        return self.session.scalars(query).first()

    def refs(self, worker_ids: list[str]) -> dict[str, WorkerRef]:
        """Who and where, read with Core: reports need no employment history."""
        w = orm.workers.c
        out: dict[str, WorkerRef] = {}
        for chunk in _chunks(worker_ids):
            rows = self.session.execute(select(w.id, w.display_name, w.town).where(w.id.in_(chunk)))
            out.update({row[0]: WorkerRef(row[0], row[1], row[2]) for row in rows})
        return out

    def list(self, town: str | None, after_seq: int | None, limit: int) -> list[Worker]:
        query = select(Worker).order_by(orm.workers.c.seq).limit(limit)
        if town:
            query = query.where(orm.workers.c.town == town)
        if after_seq is not None:
            query = query.where(orm.workers.c.seq > after_seq)
        return list(self.session.scalars(query))


class ContractRepository(Protocol):
    def add(self, contract: Contract) -> None: ...
    def get(self, contract_id: str) -> Contract | None: ...
    def of_workers(self, worker_ids: list[str]) -> list[Contract]: ...
    def ending_between(
        self, towns: list[str] | None, first: date, before: date
    ) -> list[Contract]: ...


#: The columns of a Contract, in the domain's field names.
_CONTRACT_COLUMNS = tuple(col for col in orm.contracts.c if col.name != "seq")


class SqlContractRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, contract: Contract) -> None:
        self.session.add(contract)
        self.session.flush()

    def get(self, contract_id: str) -> Contract | None:
        query = select(Contract).where(orm.contracts.c.id == contract_id)
        return self.session.scalars(query).first()

    # Contracts are never updated: the reads below build them from Core rows, detached, at
    # about half the cost of loading them into the session (the renewal report reads
    # thousands).

    def of_workers(self, worker_ids: list[str]) -> list[Contract]:
        c = orm.contracts.c
        out: list[Contract] = []
        for chunk in _chunks(worker_ids):
            query = (
                select(*_CONTRACT_COLUMNS)
                .where(c.worker_id.in_(chunk))
                .order_by(c.worker_id, c.start_date)
            )
            out.extend(Contract(**row._mapping) for row in self.session.execute(query))
        return out

    def ending_between(self, towns: list[str] | None, first: date, before: date) -> list[Contract]:
        c, w = orm.contracts.c, orm.workers.c
        query = (
            select(*_CONTRACT_COLUMNS)
            .join(orm.workers, w.id == c.worker_id)
            .where(c.end_date >= first, c.end_date < before)
            .order_by(c.end_date, c.worker_id)
        )
        if towns is not None:
            query = query.where(w.town.in_(towns))
        return [Contract(**row._mapping) for row in self.session.execute(query)]


class CertificateRepository(Protocol):
    def add(self, certificate: Certificate) -> None: ...
    def of_workers(self, worker_ids: list[str]) -> list[Certificate]: ...


class SqlCertificateRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, certificate: Certificate) -> None:
        self.session.add(certificate)
        self.session.flush()

    def of_workers(self, worker_ids: list[str]) -> list[Certificate]:
        columns = tuple(col for col in orm.certificates.c if col.name != "seq")
        out: list[Certificate] = []
        for chunk in _chunks(worker_ids):
            query = select(*columns).where(orm.certificates.c.worker_id.in_(chunk))
            out.extend(Certificate(**row._mapping) for row in self.session.execute(query))
        return out


class TrainingRepository(Protocol):
    def add(self, record: TrainingRecord) -> None: ...
    def tenths_in_year(self, worker_ids: list[str], year: int) -> dict[str, int]: ...


class SqlTrainingRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, record: TrainingRecord) -> None:
        self.session.add(record)
        self.session.flush()

    def tenths_in_year(self, worker_ids: list[str], year: int) -> dict[str, int]:
        t = orm.training_records.c
        out: dict[str, int] = {}
        for chunk in _chunks(worker_ids):
            query = (
                select(t.worker_id, func.sum(t.tenth_hours))
                .where(
                    t.worker_id.in_(chunk),
                    t.date >= date(year, 1, 1),
                    t.date <= date(year, 12, 31),
                )
                .group_by(t.worker_id)
            )
            out.update({row[0]: int(row[1]) for row in self.session.execute(query)})
        return out


@dataclass(frozen=True)
class DecisionRow:
    contract_id: str
    outcome: str
    reason: str
    new_contract_id: str | None
    decided_by: str
    decided_at: datetime
    reasons: list[dict[str, Any]]


class DecisionRepository(Protocol):
    def add(self, decision: DecisionRow) -> None: ...
    def get(self, contract_id: str) -> DecisionRow | None: ...


class SqlDecisionRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, decision: DecisionRow) -> None:
        self.session.execute(insert(orm.renewal_decisions).values(**decision.__dict__))

    def get(self, contract_id: str) -> DecisionRow | None:
        d = orm.renewal_decisions.c
        row = self.session.execute(
            select(orm.renewal_decisions).where(d.contract_id == contract_id)
        ).first()
        return DecisionRow(**row._asdict()) if row else None


class SettingsRepository(Protocol):
    def policies(self) -> list[HrPolicy]: ...
    def add_policy(self, policy: HrPolicy) -> None: ...
    def withholding(self, towns: list[str] | None) -> list[TownWithholding]: ...
    def add_withholding(self, setting: TownWithholding, by: str) -> None: ...


_POLICY_FIELDS = (
    "training_tenth_hours_per_year",
    "max_tenth_hours_per_record",
    "written_weight_percent",
    "first_contract_months",
    "early_warning_months",
    "withholding_ratio_bp",
    "employer_rates_bp",
    "worker_rates_bp",
)


class SqlSettingsRepository:
    def __init__(self, session: Session):
        self.session = session

    def policies(self) -> list[HrPolicy]:
        rows = self.session.execute(select(orm.hr_policies)).all()
        return [
            HrPolicy(
                version=r.version,
                effective_from=r.effective_from,
                **{k: v for k, v in r.body.items() if k in _POLICY_FIELDS},
            )
            for r in rows
        ]

    def add_policy(self, policy: HrPolicy) -> None:
        body = {k: getattr(policy, k) for k in _POLICY_FIELDS}
        body["employer_rates_bp"] = dict(policy.employer_rates_bp)
        body["worker_rates_bp"] = dict(policy.worker_rates_bp)
        self.session.execute(
            insert(orm.hr_policies).values(
                version=policy.version, effective_from=policy.effective_from, body=body
            )
        )

    def withholding(self, towns: list[str] | None) -> list[TownWithholding]:
        t = orm.town_withholding.c
        query = select(t.town, t.effective_from, t.ratio_bp)
        if towns is not None:
            query = query.where(t.town.in_(towns))
        return [TownWithholding(*row) for row in self.session.execute(query)]

    def add_withholding(self, setting: TownWithholding, by: str) -> None:
        self.session.execute(
            insert(orm.town_withholding).values(
                town=setting.town,
                effective_from=setting.effective_from,
                ratio_bp=setting.ratio_bp,
                recorded_by=by,
            )
        )


@dataclass(frozen=True)
class RoundRow:
    town: str
    id: str
    round_date: date
    posts: int
    written_weight_percent: int
    applicants: list[dict[str, Any]]
    creator: str
    create_time: datetime


class RoundRepository(Protocol):
    def add(self, row: RoundRow) -> None: ...
    def get(self, town: str, round_id: str) -> RoundRow | None: ...
    def accepted(self, town: str, round_id: str) -> dict[str, str]: ...
    def accept(self, town: str, round_id: str, applicant_id: str, worker_id: str) -> None: ...


class SqlRoundRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, row: RoundRow) -> None:
        self.session.execute(insert(orm.recruitment_rounds).values(**row.__dict__))

    def get(self, town: str, round_id: str) -> RoundRow | None:
        r = orm.recruitment_rounds.c
        found = self.session.execute(
            select(orm.recruitment_rounds).where(r.town == town, r.id == round_id)
        ).first()
        return RoundRow(**found._asdict()) if found else None

    def accepted(self, town: str, round_id: str) -> dict[str, str]:
        a = orm.accepted_offers.c
        rows = self.session.execute(
            select(a.applicant_id, a.worker_id).where(a.town == town, a.round_id == round_id)
        )
        return {row[0]: row[1] for row in rows}

    def accept(self, town: str, round_id: str, applicant_id: str, worker_id: str) -> None:
        self.session.execute(
            insert(orm.accepted_offers).values(
                town=town, round_id=round_id, applicant_id=applicant_id, worker_id=worker_id
            )
        )
