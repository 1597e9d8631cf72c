"""Fakes of the assessment's ports to the visit, HR and finance services, type-checked against
the ports (see the assignments at the end)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from assessment_svc.adapters.finance_client import ExpenseSink, PerformancePay
from assessment_svc.adapters.hr_client import PayTerms, PayTermsSource
from assessment_svc.adapters.visit_client import EscalationFact, TownFacts, VisitFacts, WeekFact
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
