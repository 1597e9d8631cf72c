"""HR's unit of work: its repositories inside one transaction."""

from __future__ import annotations

from typing import Protocol

from hr_svc.adapters.repository import (
    CertificateRepository,
    ContractRepository,
    DecisionRepository,
    RoundRepository,
    SettingsRepository,
    SqlCertificateRepository,
    SqlContractRepository,
    SqlDecisionRepository,
    SqlRoundRepository,
    SqlSettingsRepository,
    SqlTrainingRepository,
    SqlWorkerRepository,
    TrainingRepository,
    WorkerRepository,
)
from sgz_runtime.uow import SqlUnitOfWork, UnitOfWork


class HrUnitOfWork(UnitOfWork, Protocol):
    # Read-only members, so a fake may hold its own (narrower) repository types.
    @property
    def workers(self) -> WorkerRepository: ...
    @property
    def contracts(self) -> ContractRepository: ...
    @property
    def certificates(self) -> CertificateRepository: ...
    @property
    def training(self) -> TrainingRepository: ...
    @property
    def decisions(self) -> DecisionRepository: ...
    @property
    def settings(self) -> SettingsRepository: ...
    @property
    def rounds(self) -> RoundRepository: ...


class SqlHrUnitOfWork(SqlUnitOfWork):
    workers: WorkerRepository
    contracts: ContractRepository
    certificates: CertificateRepository
    training: TrainingRepository
    decisions: DecisionRepository
    settings: SettingsRepository
    rounds: RoundRepository

    def _open(self) -> None:
        self.workers = SqlWorkerRepository(self.session)
        self.contracts = SqlContractRepository(self.session)
        self.certificates = SqlCertificateRepository(self.session)
        self.training = SqlTrainingRepository(self.session)
        self.decisions = SqlDecisionRepository(self.session)
        self.settings = SqlSettingsRepository(self.session)
        self.rounds = SqlRoundRepository(self.session)
