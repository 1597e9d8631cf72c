"""Fakes of the assessment's ports to the visit, HR and finance services and of its own unit of
work, type-checked against the ports (see the assignments)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Self

from assessment_svc.adapters.finance_client import ExpenseSink, PerformancePay
from assessment_svc.adapters.hr_client import PayTerms, PayTermsSource
from assessment_svc.adapters.repository import AssessmentRepository
from assessment_svc.adapters.visit_client import EscalationFact, TownFacts, VisitFacts, WeekFact
from assessment_svc.domain.pay_runs import ManualScore, PayRun, RunState, YearlyResult
from assessment_svc.domain.policy import PayPolicy, default_policy
from assessment_svc.service_layer.unit_of_work import AssessmentUnitOfWork
from sgz_runtime import errors
from sgz_runtime.periods import Period

#: Monday of the second ISO week of 2026 (the first, from 2025-12-29, has its Thursday on
#: 1 January and belongs to 2026H1 too).
FIRST_MONDAY = date(2026, 1, 5)


def week(i: int) -> date:
    return FIRST_MONDAY + timedelta(weeks=i)


class FakeVisitFacts:
    """Facts per town held in memory; `down` makes every call Unavailable."""

    def __init__(self) -> None:
        self.facts: dict[str, TownFacts] = {}
        self.down = False
        self.calls = 0

    def add(
        self,
        town: str,
        weeks: list[tuple[str, int, int]],
        escalations: list[tuple[str, int, int, int]],
        *,
        first_monday: date = FIRST_MONDAY,
    ) -> None:
        """weeks: (worker, due, covered), one ISO week each from first_monday on;
        escalations: (worker, urgency, contact outcome, action outcome), in the first week.
        Added to what the town already has."""
        monday = first_monday - FIRST_MONDAY
        found = self.facts.setdefault(town, TownFacts([], []))
        found.weeks.extend(
            WeekFact(w, week(i) + monday, due, covered) for i, (w, due, covered) in enumerate(weeks)
        )
        found.escalations.extend(
            EscalationFact(w, week(0) + monday, u, c, a) for w, u, c, a in escalations
        )

    def town_facts(self, town: str, first: date, last: date) -> TownFacts:
        self.calls += 1
        if self.down:
            raise errors.Unavailable("the visit service is unreachable")
        return self.facts.get(town, TownFacts([], []))


class FakePayTerms:
    def __init__(self) -> None:
        self.terms: dict[str, list[PayTerms]] = {}

    def pay_terms(self, town: str, period: Period) -> list[PayTerms]:
        return list(self.terms.get(town, []))


@dataclass
class FakeExpenseSink:
    """Idempotent on request_id like finance: the same id and content returns the same
    expense, other content is refused. `fail_after`: posts accepted before Unavailable."""

    posted: dict[str, PerformancePay] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    fail_after: int | None = None

    def create_expense(self, pay: PerformancePay) -> str:
        self.calls += 1
        full = self.fail_after is not None and len(self.posted) >= self.fail_after
        if full and pay.request_id not in self.posted:
            raise errors.Unavailable("the finance service is unreachable")
        found = self.posted.get(pay.request_id)
        if found is not None:
            if found != pay:
                raise errors.InvalidArgument.field("request_id", "was used for another expense")
            return self.names[pay.request_id]
        self.posted[pay.request_id] = pay
        self.names[pay.request_id] = f"{pay.period}/expenses/{len(self.posted)}"
        return self.names[pay.request_id]


_visits: VisitFacts = FakeVisitFacts()
_hr: PayTermsSource = FakePayTerms()
_finance: ExpenseSink = FakeExpenseSink()


class FakeAssessmentRepository:
    """The repository in memory; written only on commit by FakeAssessmentUnitOfWork."""

    def __init__(self) -> None:
        self.policy_list: list[PayPolicy] = [default_policy()]
        self.scores: list[ManualScore] = []
        self.runs: dict[str, PayRun] = {}
        self.results: dict[tuple[str, int], YearlyResult] = {}

    def policies(self, town: str) -> list[PayPolicy]:
        return [p for p in self.policy_list if p.town in (town, "")]

    def add_policy(self, policy: PayPolicy, created_by: str, at: datetime) -> None:
        self.policy_list.append(policy)

    def add_manual_score(self, score: ManualScore) -> None:
        self.scores.append(score)

    def manual_scores(self, town: str, period: str) -> dict[str, ManualScore]:
        return self.manual_scores_in([town], period)

    def add_run(self, run: PayRun) -> None:
        self.runs[run.id] = run

    def add_runs(self, runs: Sequence[PayRun]) -> None:
        for run in runs:
            self.add_run(run)

    def all_policies(self) -> list[PayPolicy]:
        return list(self.policy_list)

    def manual_scores_in(self, towns: Sequence[str], period: str) -> dict[str, ManualScore]:
        return {s.worker: s for s in self.scores if s.town in towns and s.period == period}

    def approved_towns(self, towns: Sequence[str], period: str) -> set[str]:
        return {
            r.town
            for r in self.runs.values()
            if r.town in towns and r.period == period and r.state is RunState.APPROVED
        }

    def get_run(self, town: str, run_id: str) -> PayRun | None:
        found = self.runs.get(run_id)
        return found if found is not None and found.town == town else None

    def list_runs(
        self, town: str, period: str | None, before: str | None, limit: int
    ) -> list[PayRun]:
        found = [
            r
            for r in self.runs.values()
            if r.town == town
            and (not period or r.period == period)
            and (before is None or r.id < before)
        ]
        return sorted(found, key=lambda r: r.id, reverse=True)[:limit]

    def latest_approved(self, town: str, period: str) -> PayRun | None:
        approved = [
            r
            for r in self.runs.values()
            if r.town == town and r.period == period and r.state is RunState.APPROVED
        ]
        return max(approved, key=lambda r: (r.approved_at or datetime.min, r.id), default=None)

    def approve(self, run: PayRun) -> bool:
        current = self.runs.get(run.id)
        if current is None or current.state is not RunState.DRAFT:
            return False
        self.runs[run.id] = run
        return True

    def yearly_result(self, worker: str, year: int) -> YearlyResult | None:
        return self.results.get((worker, year))

    def add_yearly_result(self, result: YearlyResult) -> None:
        self.results[(result.worker, result.year)] = result

    def yearly_results(self, workers: Sequence[str], year: int) -> list[YearlyResult]:
        return [self.results[(w, year)] for w in sorted(workers) if (w, year) in self.results]


class FakeAssessmentUnitOfWork:
    """Works on a copy of the repository; commit makes the copy the state, like a transaction."""

    def __init__(self, state: FakeAssessmentRepository):
        self.state = state
        self.repo: AssessmentRepository = state
        self.commits = 0

    def __enter__(self) -> Self:
        self.repo = copy.deepcopy(self.state)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.repo = self.state

    def commit(self) -> None:
        working = self.repo
        assert isinstance(working, FakeAssessmentRepository)
        self.state.__dict__.update(copy.deepcopy(working.__dict__))
        self.commits += 1


_uow: AssessmentUnitOfWork = FakeAssessmentUnitOfWork(FakeAssessmentRepository())
