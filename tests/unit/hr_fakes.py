"""Fakes of HR's ports, type-checked against them: the unit of work and its repositories in
memory, the roster client and the assessment client."""

from __future__ import annotations

import copy
from datetime import date
from typing import Self

from hr_svc.adapters.assessment_client import AssessmentClient
from hr_svc.adapters.repository import DecisionRow, RoundRow
from hr_svc.adapters.roster_client import RosterClient, VillageCount
from hr_svc.domain.certificates import Certificate
from hr_svc.domain.contracts import Contract
from hr_svc.domain.policy import HrPolicy, TownWithholding, default_policy
from hr_svc.domain.renewal import YearlyResult
from hr_svc.domain.training import TrainingRecord
from hr_svc.domain.workers import Worker, WorkerRef, WorkerRole
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime import errors
from sgz_runtime.pii.vault import FernetIdVault

#: Keys for tests only.
TEST_VAULT = FernetIdVault(b"0" * 64, b"ZmFrZS1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXM=")


class FakeWorkers:
    def __init__(self) -> None:
        self.rows: list[Worker] = []
        self.locked = ""

    def add(self, worker: Worker) -> None:
        worker.seq = len(self.rows) + 1
        self.rows.append(worker)

    def get(self, worker_id: str) -> Worker | None:
        return next((w for w in self.rows if w.id == worker_id), None)

    def in_towns(self, towns: list[str] | None) -> list[Worker]:
        return [w for w in self.rows if towns is None or w.town in towns]

    def serialize(self, key: str) -> None:
        self.locked = key

    def chiefs_of(self, town: str) -> list[Worker]:
        return [w for w in self.rows if w.town == town and w.role is WorkerRole.STATION_CHIEF]

    def by_id_digest(self, digest: str) -> Worker | None:
        return next((w for w in self.rows if w.id_digest == digest), None)

    def refs(self, worker_ids: list[str]) -> dict[str, WorkerRef]:
        return {
            w.id: WorkerRef(w.id, w.display_name, w.town) for w in self.rows if w.id in worker_ids
        }

    def list(self, town: str | None, after_seq: int | None, limit: int) -> list[Worker]:
        found = [w for w in self.rows if (not town or w.town == town)]
        found = [w for w in found if after_seq is None or (w.seq or 0) > after_seq]
        return found[:limit]


class FakeContracts:
    def __init__(self) -> None:
        self.rows: list[Contract] = []

    def add(self, contract: Contract) -> None:
        self.rows.append(contract)

    def get(self, contract_id: str) -> Contract | None:
        return next((c for c in self.rows if c.id == contract_id), None)

    def of_workers(self, worker_ids: list[str]) -> list[Contract]:
        found = [c for c in self.rows if c.worker_id in worker_ids]
        return sorted(found, key=lambda c: (c.worker_id, c.start_date))

    def ending_between(self, towns: list[str] | None, first: date, before: date) -> list[Contract]:
        raise NotImplementedError("set by FakeUnitOfWork")


class FakeCertificates:
    def __init__(self) -> None:
        self.rows: list[Certificate] = []

    def add(self, certificate: Certificate) -> None:
        self.rows.append(certificate)

    def of_workers(self, worker_ids: list[str]) -> list[Certificate]:
        return [c for c in self.rows if c.worker_id in worker_ids]


class FakeTraining:
    def __init__(self) -> None:
        self.rows: list[TrainingRecord] = []

    def add(self, record: TrainingRecord) -> None:
        self.rows.append(record)

    def tenths_in_year(self, worker_ids: list[str], year: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rows:
            if r.worker_id in worker_ids and r.date.year == year:
                out[r.worker_id] = out.get(r.worker_id, 0) + r.tenth_hours
        return out


class FakeDecisions:
    def __init__(self) -> None:
        self.rows: dict[str, DecisionRow] = {}

    def add(self, decision: DecisionRow) -> None:
        self.rows[decision.contract_id] = decision

    def get(self, contract_id: str) -> DecisionRow | None:
        return self.rows.get(contract_id)


class FakeSettings:
    def __init__(self) -> None:
        self.rows: list[HrPolicy] = [default_policy(date(2000, 1, 1))]
        self.towns: list[TownWithholding] = []

    def policies(self) -> list[HrPolicy]:
        return list(self.rows)

    def add_policy(self, policy: HrPolicy) -> None:
        self.rows.append(policy)

    def withholding(self, towns: list[str] | None) -> list[TownWithholding]:
        return [t for t in self.towns if towns is None or t.town in towns]

    def add_withholding(self, setting: TownWithholding, by: str) -> None:
        self.towns.append(setting)


class FakeRounds:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], RoundRow] = {}
        self.accepts: dict[tuple[str, str], dict[str, str]] = {}

    def add(self, row: RoundRow) -> None:
        self.rows[(row.town, row.id)] = row

    def get(self, town: str, round_id: str) -> RoundRow | None:
        return self.rows.get((town, round_id))

    def accepted(self, town: str, round_id: str) -> dict[str, str]:
        return dict(self.accepts.get((town, round_id), {}))

    def accept(self, town: str, round_id: str, applicant_id: str, worker_id: str) -> None:
        self.accepts.setdefault((town, round_id), {})[applicant_id] = worker_id


class FakeUnitOfWork:
    """Writes become visible only on commit: a refused use case leaves `committed_state`
    exactly as it was, which is how tests check "nothing written"."""

    def __init__(self) -> None:
        self.workers = FakeWorkers()
        self.contracts = FakeContracts()
        self.certificates = FakeCertificates()
        self.training = FakeTraining()
        self.decisions = FakeDecisions()
        self.settings = FakeSettings()
        self.rounds = FakeRounds()
        self.commits = 0
        self._snapshot: dict[str, object] = {}
        self.contracts.ending_between = self._ending_between  # type: ignore[method-assign]

    def _ending_between(self, towns: list[str] | None, first: date, before: date) -> list[Contract]:
        town_of = {w.id: w.town for w in self.workers.rows}
        found = [
            c
            for c in self.contracts.rows
            if c.end_date is not None
            and first <= c.end_date < before
            and (towns is None or town_of.get(c.worker_id) in towns)
        ]
        return sorted(found, key=lambda c: (c.end_date or first, c.worker_id))

    def _parts(self) -> dict[str, object]:
        return {
            "workers": self.workers,
            "contracts": self.contracts.rows,
            "certificates": self.certificates.rows,
            "training": self.training.rows,
            "decisions": self.decisions.rows,
            "settings": self.settings.rows,
            "rounds": self.rounds.rows,
            "accepts": self.rounds.accepts,
        }

    def __enter__(self) -> Self:
        self._snapshot = copy.deepcopy(
            {
                "workers": self.workers.rows,
                "contracts": self.contracts.rows,
                "certificates": self.certificates.rows,
                "training": self.training.rows,
                "decisions": self.decisions.rows,
                "rounds": self.rounds.rows,
                "accepts": self.rounds.accepts,
            }
        )
        return self

    def __exit__(self, *args: object) -> None:
        if self._snapshot:  # not committed: roll back
            self.workers.rows = self._snapshot["workers"]  # type: ignore[assignment]
            self.contracts.rows = self._snapshot["contracts"]  # type: ignore[assignment]
            self.certificates.rows = self._snapshot["certificates"]  # type: ignore[assignment]
            self.training.rows = self._snapshot["training"]  # type: ignore[assignment]
            self.decisions.rows = self._snapshot["decisions"]  # type: ignore[assignment]
            self.rounds.rows = self._snapshot["rounds"]  # type: ignore[assignment]
            self.rounds.accepts = self._snapshot["accepts"]  # type: ignore[assignment]
        self._snapshot = {}

    def commit(self) -> None:
        self.commits += 1
        self._snapshot = {}


class FakeRosterClient:
    def __init__(self, villages: dict[str, int] | None = None, *, down: bool = False):
        self.villages = dict(villages or {})
        self.down = down

    def town_exists(self, town: str) -> bool:
        if self.down:
            raise errors.Unavailable("the roster service is unreachable")
        return town in self.villages

    def village_counts(self, towns: list[str] | None) -> dict[str, VillageCount]:
        if self.down:
            raise errors.Unavailable("the roster service is unreachable")
        return {
            t: VillageCount(t, n) for t, n in self.villages.items() if towns is None or t in towns
        }


class FakeAssessmentClient:
    """Results the tests decide; a worker without one is absent, as the contract says."""

    def __init__(self, results: list[YearlyResult] | None = None, *, down: bool = False):
        self.results = list(results or [])
        self.down = down
        self.asked: list[tuple[list[str], int]] = []

    def yearly_results(self, workers: list[str], year: int) -> dict[str, YearlyResult]:
        if self.down:
            raise errors.Unavailable("the assessment service is unreachable")
        self.asked.append((list(workers), year))
        return {r.worker: r for r in self.results if r.worker in workers and r.year == year}


def _typed() -> None:
    """mypy checks each fake against its port here."""
    uow: HrUnitOfWork = FakeUnitOfWork()
    roster: RosterClient = FakeRosterClient()
    assessment: AssessmentClient = FakeAssessmentClient()
    del uow, roster, assessment
