"""Pay runs (rule A4): a draft every figure of which is explained, approved once by the town's
chief, never recomputed (a correction is a new run naming the approved one); the chief's score
(rule A3); the yearly result (rule A5)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime

from assessment_svc.domain.metrics import Component
from assessment_svc.domain.policy import FULL_SCORE, PayoutRule
from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument, PermissionDenied
from sgz_runtime.i18n import Text, tr
from sgz_runtime.identity import Caller, Role


class RunState(enum.Enum):
    DRAFT = "draft"
    APPROVED = "approved"
    #: A what-if, never saved.
    PREVIEW = "preview"


@dataclass(frozen=True)
class MetricLine:
    """One component of a worker's score: counts, the town's prior, the estimate, weights."""

    component: Component
    numerator: int
    denominator: int
    #: NaN when neither the worker nor the town was measured on it.
    estimate: float
    prior_alpha: float
    prior_beta: float
    weight_bp: int
    effective_weight: float


@dataclass(frozen=True)
class ManualScore:
    """Rule A3: the chief's score, 0-100 in hundredths, with a reason, attributed."""

    town: str
    worker: str
    period: str
    score: int
    reason: str
    scored_by: str
    scored_at: datetime


@dataclass(frozen=True)
class PayLine:
    worker: str
    display_name: str
    metrics: tuple[MetricLine, ...]
    manual: ManualScore | None
    #: 0-100 in hundredths.
    score: int
    monthly_base: int
    ratio_bp: int
    months: int
    withheld: int
    paid: int
    #: A correction's line: what the corrected run paid the worker.
    previously_paid: int = 0
    expense: str = ""

    @property
    def to_post(self) -> int:
        """What finance still has to pay: a correction posts only the increase."""
        return max(self.paid - self.previously_paid, 0)


@dataclass(frozen=True)
class PayRun:
    id: str
    town: str
    period: str
    state: RunState
    policy_version: str
    payout_rule: PayoutRule
    weights_bp: tuple[int, ...]
    method: str
    lines: tuple[PayLine, ...]
    created_by: str
    created_at: datetime
    corrects: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    approve_request_id: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: The totals as stored, for a run read without its lines (a list page).
    stored_totals: tuple[int, int] | None = None

    @property
    def name(self) -> str:
        return f"{self.town}/payRuns/{self.id}"

    @property
    def total_withheld(self) -> int:
        if self.stored_totals is not None and not self.lines:
            return self.stored_totals[0]
        return sum(line.withheld for line in self.lines)

    @property
    def total_paid(self) -> int:
        if self.stored_totals is not None and not self.lines:
            return self.stored_totals[1]
        return sum(line.paid for line in self.lines)

    def expense_request_id(self, worker: str) -> str:
        """Derived from the run and the worker, so a retried approval posts nothing twice."""
        return f"assessment-{self.id}-{worker.rsplit('/', 1)[-1]}"

    def approved(self, by: str, at: datetime, request_id: str, expenses: dict[str, str]) -> PayRun:
        lines = tuple(replace(line, expense=expenses.get(line.worker, "")) for line in self.lines)
        return replace(
            self,
            state=RunState.APPROVED,
            approved_by=by,
            approved_at=at,
            approve_request_id=request_id,
            lines=lines,
        )


def require_town(caller: Caller, town: str) -> None:
    """A town's assessment is its own (rule A1): a caller of another town sees nothing."""
    if not caller.sees_town(town):
        raise PermissionDenied(tr("{town} is outside your scope (rule A1)", town=town), rule="A1")


def require_chief(caller: Caller, town: str, what: Text) -> None:
    """Only the town's station chief decides pay and scores (rules A3, A4); never a worker."""
    require_town(caller, town)
    if caller.role is Role.STATION_WORKER:
        raise PermissionDenied(
            tr("a station worker may not {what} (rule A4)", what=what), rule="A4"
        )
    if caller.role not in (Role.STATION_CHIEF, Role.SYSTEM):
        raise PermissionDenied(
            tr("only the station chief may {what} (rule A4)", what=what), rule="A4"
        )


def check_approval(run: PayRun, latest_approved: PayRun | None, request_id: str) -> bool:
    """True when this is a retry of the approval already made (answer it again); refuses a
    second approval (rule A4) and a run overtaken by another approved run of its period."""
    if run.state is RunState.APPROVED:
        if request_id and run.approve_request_id == request_id:
            return True
        raise FailedPrecondition(
            tr(
                "{run} was already approved by {who}; a correction is a new run (rule A4)",
                run=run.name,
                who=run.approved_by or "",
            ),
            rule="A4",
        )
    expected = latest_approved.name if latest_approved is not None else None
    if run.corrects != expected:
        raise FailedPrecondition(
            tr(
                "{period} of {town} already has the approved run {approved}; compute a new "
                "run that corrects it (rule A4)",
                period=run.period,
                town=run.town,
                approved=expected or "-",
            ),
            rule="A4",
        )
    return False


def check_manual_score(score: float, reason: str) -> int:
    """Rule A3: 0-100 (two decimals at most) with a reason; every problem at once."""
    problems: list[FieldViolation] = []
    hundredths = round(score * 100)
    if not 0 <= score <= 100 or abs(score * 100 - hundredths) > 1e-6:
        problems.append(
            FieldViolation(
                "manual_score.score",
                tr("a score is 0 to 100 with at most two decimals (rule A3)"),
                rule="A3",
            )
        )
    if not reason.strip():
        problems.append(
            FieldViolation(
                "manual_score.reason", tr("a score needs its reason (rule A3)"), rule="A3"
            )
        )
    if problems:
        raise InvalidArgument.of(problems)
    return min(max(hundredths, 0), FULL_SCORE)


@dataclass(frozen=True)
class YearlyResult:
    """Rule A5: the town's yearly assessment of a worker, which H7 reads as passed or not."""

    worker: str
    year: int
    town: str
    passed: bool
    score: int
    pass_mark: int
    reason: str
    decided_by: str
    decided_at: datetime
