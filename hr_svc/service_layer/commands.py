"""The commands of HR's use cases: one frozen, keyword-only dataclass each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hr_svc.domain.certificates import CertificateLevel
from hr_svc.domain.contracts import ContractKind
from hr_svc.domain.policy import HrPolicy
from hr_svc.domain.recruitment import Applicant
from hr_svc.domain.training import TrainingKind
from hr_svc.domain.workers import WorkerRole


@dataclass(frozen=True, kw_only=True)
class CreateWorker:
    display_name: str
    town: str
    role: WorkerRole
    #: Today when None.
    start_date: date | None = None
    id_number: str = ""
    phone: str = ""


@dataclass(frozen=True, kw_only=True)
class UpdateWorker:
    """AIP-134: only the fields named change (display_name, phone, id_number); a blank phone or
    ID number named in `fields` clears it. A non-empty etag must match the stored version."""

    worker: str
    fields: frozenset[str]
    display_name: str = ""
    phone: str = ""
    id_number: str = ""
    etag: str = ""


@dataclass(frozen=True, kw_only=True)
class EndEmployment:
    worker: str
    last_day: date
    reason: str


@dataclass(frozen=True, kw_only=True)
class GetTownStaffing:
    town: str
    on: date | None = None


@dataclass(frozen=True, kw_only=True)
class ListTownStaffing:
    on: date | None = None
    page_size: int = 0
    page_token: str = ""
    shortfall_only: bool = False


@dataclass(frozen=True, kw_only=True)
class CreateContract:
    worker: str
    kind: ContractKind
    start_date: date
    #: For a first fixed-term contract, None means the policy's first term (3 years, H6).
    end_date: date | None
    probation_months: int
    monthly_base_fen: int
    worker_asked_fixed_term: bool = False


@dataclass(frozen=True, kw_only=True)
class CreateCertificate:
    worker: str
    level: CertificateLevel
    number: str
    obtained_date: date


@dataclass(frozen=True, kw_only=True)
class CreateTrainingRecord:
    worker: str
    kind: TrainingKind
    tenth_hours: int
    provider: str
    date: date


@dataclass(frozen=True, kw_only=True)
class ListTrainingHours:
    parent: str
    year: int
    short_only: bool = False


@dataclass(frozen=True, kw_only=True)
class GetRenewalReport:
    parent: str
    ending_before: date
    ending_after: date | None = None
    on: date | None = None


@dataclass(frozen=True, kw_only=True)
class DecideRenewal:
    contract: str
    renew: bool
    reason: str
    new_end_date: date | None = None
    worker_asked_fixed_term: bool = False
    monthly_base_fen: int | None = None


@dataclass(frozen=True, kw_only=True)
class ListPayTerms:
    parent: str
    period: str


@dataclass(frozen=True, kw_only=True)
class CreateRecruitmentRound:
    town: str
    round_id: str
    round_date: date
    posts: int
    applicants: list[Applicant] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class AcceptOffer:
    round: str
    applicant_id: str
    start_date: date
    monthly_base_fen: int
    probation_months: int = 0


@dataclass(frozen=True, kw_only=True)
class CreateHrPolicy:
    policy: HrPolicy


@dataclass(frozen=True, kw_only=True)
class CreateWithholdingSetting:
    town: str
    effective_from: date
    ratio_bp: int
