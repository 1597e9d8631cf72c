"""Facts for assessment (rule A2): per worker and ISO week, persons due (from the roster's
history, rule V1), persons visited, and each escalation's delays against its deadlines (V6).

Sized for a province's half-year: one call is one town and one page of workers; visits are
counted in SQL and never leave the database; due is computed from the town's timelines.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sgz_runtime import names, paging
from sgz_runtime.errors import InvalidArgument, PermissionDenied
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, ScopeLevel
from visit_svc.adapters.facts_queries import EscalationRow, FactsUnitOfWork, VisitCounts
from visit_svc.adapters.roster_client import RosterClient
from visit_svc.domain.due import week_due
from visit_svc.domain.policy import policy_on
from visit_svc.domain.weeks import IsoWeek, local_date, start_of_day, weeks_between

#: The longest period one call may cover: two years of weeks.
MAX_WEEKS = 106


class DeadlineOutcome(enum.Enum):
    """How a step of an escalation stands against its deadline (rule V6), as of a time."""

    MET = "met"  # done by the deadline
    LATE = "late"  # done, after the deadline
    OVERDUE = "overdue"  # not done and the deadline has passed
    PENDING = "pending"  # not done, the deadline is still ahead
    CANCELLED = "cancelled"  # cancelled before the deadline, never done


def judge(
    done_at: datetime | None, deadline: datetime, cancelled_at: datetime | None, as_of: datetime
) -> DeadlineOutcome:
    """Computed when asked, never stored (rule V6)."""
    if done_at is not None:
        return DeadlineOutcome.MET if done_at <= deadline else DeadlineOutcome.LATE
    if cancelled_at is not None and cancelled_at <= deadline:
        return DeadlineOutcome.CANCELLED
    return DeadlineOutcome.OVERDUE if as_of > deadline else DeadlineOutcome.PENDING


@dataclass(frozen=True)
class EscalationFacts:
    row: EscalationRow
    contact: DeadlineOutcome
    action: DeadlineOutcome

    @property
    def contact_delay(self) -> timedelta | None:
        """Visit to village contact."""
        return None if self.row.contact_at is None else self.row.contact_at - self.row.visit_at

    @property
    def action_delay(self) -> timedelta | None:
        """Visit to the action arranged."""
        return None if self.row.arranged_at is None else self.row.arranged_at - self.row.visit_at


@dataclass
class WeekFacts:
    week: IsoWeek
    persons_due: int = 0
    persons_visited: int = 0
    persons_covered: int = 0
    visits: int = 0
    escalations: list[EscalationFacts] = field(default_factory=list)


@dataclass
class WorkerFacts:
    worker: str
    weeks: list[WeekFacts]


def _town(parent: str) -> str:
    (town_id,) = names.parse("parent", parent, "towns")
    return f"towns/{town_id}"


def worker_week_facts(
    uow: FactsUnitOfWork,
    roster: RosterClient,
    caller: Caller,
    parent: str,
    first: date,
    last: date,
    page_size: int,
    page_token: str,
    *,
    now: datetime | None = None,
) -> tuple[list[WorkerFacts], str]:
    """One page of workers (in name order) of a town, each with every ISO week touching
    first..last. A week's figures cover the whole week, so weeks are never split."""
    town = _town(parent)
    if last < first:
        raise InvalidArgument.field("period.end_date", tr("must not be before the start date"))
    weeks = weeks_between(IsoWeek.of(first), IsoWeek.of(last))
    if len(weeks) > MAX_WEEKS:
        raise InvalidArgument.field(
            "period", tr("at most {MAX_WEEKS} weeks at a time", MAX_WEEKS=MAX_WEEKS)
        )
    only: str | None = None
    if caller.scope_level is ScopeLevel.CASELOAD:
        only = caller.scope  # a worker sees their own facts only
    elif not caller.sees_town(town):
        raise PermissionDenied(tr("{town} is outside the caller's scope", town=town))
    query = {"parent": town, "first": first.isoformat(), "last": last.isoformat()}
    page = paging.parse(page_size, page_token, query)
    as_of = now or datetime.now(UTC)
    monday, sunday = weeks[0].monday, weeks[-1].sunday

    # Due (rule V1): from the roster's history, person by person, never from stored flags.
    timelines = roster.person_timelines(town, only, monday, sunday)
    with uow:
        policies = uow.policies.list()
        required = {w: policy_on(policies, w.monday).visits_per_week for w in weeks}
        due: Counter[tuple[str, IsoWeek]] = Counter()
        for timeline in timelines:
            for week in weeks:
                found = week_due(timeline, week, [], required[week])
                if found is not None and found.worker:
                    due[(found.worker, week)] += 1
        workers = {w for w, _ in due} | uow.facts.credited_workers(town, monday, weeks[-1].monday)
        if only is not None:
            workers &= {only}
        ordered = sorted(w for w in workers if page.after is None or w > page.after)
        chosen = ordered[: page.size]
        steps = sorted({(policy_on(policies, w.monday).effective_from, required[w]) for w in weeks})
        counts = uow.facts.visit_counts(town, chosen, monday, weeks[-1].monday, steps)
        rows = uow.facts.escalations(
            town, chosen, start_of_day(monday), start_of_day(sunday + timedelta(days=1))
        )
    result = [_worker(w, weeks, due, counts) for w in chosen]
    by_worker = {f.worker: {wf.week: wf for wf in f.weeks} for f in result}
    for row in rows:
        week = IsoWeek.of(local_date(row.visit_at))
        slot = by_worker.get(row.worker, {}).get(week)
        if slot is not None:
            slot.escalations.append(
                EscalationFacts(
                    row,
                    judge(row.contact_at, row.contact_deadline, row.cancelled_at, as_of),
                    judge(row.arranged_at, row.action_deadline, row.cancelled_at, as_of),
                )
            )
    more = len(ordered) > page.size
    return result, paging.next_token(chosen[-1] if more and chosen else None, query)


def _worker(
    worker: str,
    weeks: list[IsoWeek],
    due: Counter[tuple[str, IsoWeek]],
    counts: dict[tuple[str, date], VisitCounts],
) -> WorkerFacts:
    out: list[WeekFacts] = []
    for week in weeks:
        c = counts.get((worker, week.monday), VisitCounts(0, 0, 0))
        out.append(
            WeekFacts(
                week=week,
                persons_due=due[(worker, week)],
                persons_visited=c.persons_visited,
                persons_covered=c.persons_covered,
                visits=c.visits,
            )
        )
    return WorkerFacts(worker, out)
