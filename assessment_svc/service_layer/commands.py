"""The assessment's commands: one frozen keyword-only dataclass per use case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from assessment_svc.domain.metrics import Component
from assessment_svc.domain.policy import PayoutRule
from sgz_runtime.periods import Period


@dataclass(frozen=True, kw_only=True)
class CreatePayPolicy:
    town: str
    policy_id: str
    effective_from: date
    weights: dict[Component, float]
    payout_rule: PayoutRule
    #: (score 0-100, share 0-1) points; the city default's curve when empty.
    curve: tuple[tuple[float, float], ...]
    max_prior_strength: int
    #: 0-100.
    pass_mark: float


@dataclass(frozen=True, kw_only=True)
class SetManualScore:
    town: str
    worker: str
    period: Period
    score: float
    reason: str


@dataclass(frozen=True, kw_only=True)
class ComputePayRun:
    town: str
    period: Period
    #: The approved run this one corrects, `towns/{t}/payRuns/{r}`.
    corrects: str | None = None


@dataclass(frozen=True, kw_only=True)
class PreviewPayRun:
    town: str
    period: Period
    #: Other weights to try; the policy's when None.
    weights: dict[Component, float] | None = None
    #: Another payout rule to try; the policy's when None.
    payout_rule: PayoutRule | None = None


@dataclass(frozen=True, kw_only=True)
class ApprovePayRun:
    name: str
    request_id: str


@dataclass(frozen=True, kw_only=True)
class DecideYearlyResult:
    town: str
    worker: str
    year: int
    passed: bool
    reason: str


@dataclass(frozen=True, kw_only=True)
class BatchGetYearlyResults:
    workers: tuple[str, ...]
    year: int


@dataclass(frozen=True, kw_only=True)
class ComputePayRuns:
    """Drafts for many towns at once (the city's `--all`); each town as ComputePayRun."""

    towns: tuple[str, ...]
    period: Period
