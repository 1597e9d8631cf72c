"""In-memory fakes of the visit service's repositories and unit of work, for use-case tests.
A unit of work not committed leaves nothing behind, like the SQL one."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from sgz_runtime.errors import Aborted
from visit_svc.adapters.ledger_repository import FakeLedgerRepository, LedgerRepository
from visit_svc.adapters.repository import (
    EscalationRepository,
    PolicyRepository,
    RequestIdRepository,
    RequestRecord,
    VisitRepository,
)
from visit_svc.adapters.roster_client import FakeRosterClient
from visit_svc.domain.escalations import TERMINAL, Escalation
from visit_svc.domain.policy import Action, VisitPolicy, default_policy
from visit_svc.domain.timeline import AssignmentSpan, PersonStatus, PersonTimeline, StatusSpan
from visit_svc.domain.visits import Check, CheckItem, CheckResult, Visit
from visit_svc.domain.weeks import local_date


class _State:
    def __init__(self) -> None:
        self.visits: dict[str, Visit] = {}
        self.escalations: dict[str, Escalation] = {}
        self.policies: list[VisitPolicy] = [default_policy(date(2022, 1, 1))]
        self.request_ids: dict[str, RequestRecord] = {}
        self.ledger = FakeLedgerRepository()


class FakeVisitRepository:
    def __init__(self, state: _State):
        self.s = state

    def add(self, visit: Visit) -> None:
        self.s.visits[visit.id] = copy.deepcopy(visit)

    def get(self, visit_id: str) -> Visit | None:
        found = self.s.visits.get(visit_id)
        if found is None:
            return None
        out = copy.deepcopy(found)
        out.escalations = [e.name for e in self.s.escalations.values() if e.visit_id == visit_id]
        return out

    def visit_days(self, persons: Sequence[str], first: date, last: date) -> dict[str, list[date]]:
        days: dict[str, list[date]] = {p: [] for p in persons}
        for v in self.s.visits.values():
            day = local_date(v.visited_at)
            if v.person in days and first <= day <= last:
                days[v.person].append(day)
        return days

    def list_for_person(
        self, person: str, after_seq: int | None, limit: int
    ) -> list[tuple[int, Visit]]:
        rows = [(i + 1, v) for i, v in enumerate(self.s.visits.values()) if v.person == person]
        return [r for r in rows if after_seq is None or r[0] > after_seq][:limit]


class FakeEscalationRepository:
    def __init__(self, state: _State):
        self.s = state

    def add(self, escalation: Escalation) -> None:
        self.s.escalations[escalation.id] = copy.deepcopy(escalation)

    def get(self, escalation_id: str) -> Escalation | None:
        found = self.s.escalations.get(escalation_id)
        return copy.deepcopy(found) if found else None

    def save(self, escalation: Escalation) -> None:
        if self.s.escalations[escalation.id].version != escalation.version:
            raise Aborted("changed")
        escalation.version += 1
        self.s.escalations[escalation.id] = copy.deepcopy(escalation)

    def open_for(self, person: str, action: Action) -> Escalation | None:
        for e in self.s.escalations.values():
            if e.person == person and e.action is action and e.state not in TERMINAL:
                return copy.deepcopy(e)
        return None

    def for_visit(self, visit_id: str) -> list[Escalation]:
        return [copy.deepcopy(e) for e in self.s.escalations.values() if e.visit_id == visit_id]

    def list(
        self,
        town: str,
        village: str | None,
        worker: str | None,
        open_only: bool,
        after_seq: int | None,
        limit: int,
    ) -> list[tuple[int, Escalation]]:
        rows = [
            (i + 1, copy.deepcopy(e))
            for i, e in enumerate(self.s.escalations.values())
            if e.town == town
            and (village is None or e.village == village)
            and (worker is None or e.worker == worker)
            and (not open_only or e.state not in TERMINAL)
        ]
        return [r for r in rows if after_seq is None or r[0] > after_seq][:limit]


class FakePolicyRepository:
    def __init__(self, state: _State):
        self.s = state

    def list(self) -> list[VisitPolicy]:
        return sorted(self.s.policies, key=lambda p: p.effective_from)

    def add(self, policy: VisitPolicy, created_by: str, created_at: datetime) -> None:
        self.s.policies.append(policy)


class FakeRequestIds:
    def __init__(self, state: _State):
        self.s = state

    def get(self, request_id: str) -> RequestRecord | None:
        return self.s.request_ids.get(request_id)

    def add(self, request_id: str, record: RequestRecord) -> None:
        self.s.request_ids[request_id] = record


class FakeVisitUnitOfWork:
    """Satisfies VisitUnitOfWork (checked by mypy: the ports are declared, fakes bound)."""

    visits: VisitRepository
    escalations: EscalationRepository
    policies: PolicyRepository
    request_ids: RequestIdRepository
    ledger: LedgerRepository

    def __init__(self) -> None:
        self.state = _State()
        self.commits = 0

    def __enter__(self) -> Self:
        self._snapshot = copy.deepcopy(self.state)
        self.visits = FakeVisitRepository(self.state)
        self.escalations = FakeEscalationRepository(self.state)
        self.policies = FakePolicyRepository(self.state)
        self.request_ids = FakeRequestIds(self.state)
        self.ledger = self.state.ledger
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.state.__dict__.update(self._snapshot.__dict__)

    def commit(self) -> None:
        self._committed = True
        self.commits += 1
        self._snapshot = copy.deepcopy(self.state)

    # -- what tests read -----------------------------------------------------------------------

    def ledger_kinds(self, town: str) -> list[str]:
        return [e.kind.value for e in self.state.ledger.entries.get(town, [])]


# -- a small roster ---------------------------------------------------------------------------

TOWN = "towns/chengdong"
VILLAGE = "towns/chengdong/villages/xinhua"
START = date(2026, 1, 1)


def cst(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """hour:minute China Standard Time on day, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def timeline(
    person: str,
    worker: str = "workers/wang",
    *,
    moved_on: date | None = None,
    status: PersonStatus = PersonStatus.IN_INSTITUTION,
    substitutes: tuple[Any, ...] = (),
) -> PersonTimeline:
    statuses = [StatusSpan(START, moved_on, PersonStatus.DISPERSED)]
    if moved_on is not None:
        statuses.append(StatusSpan(moved_on, None, status))
    return PersonTimeline(
        person=person,
        town=TOWN,
        village=VILLAGE,
        display_name=person.split("/")[1],
        statuses=tuple(statuses),
        assignments=(AssignmentSpan(START, None, worker),),
        substitutes=substitutes,
    )


def roster(*timelines: PersonTimeline) -> FakeRosterClient:
    return FakeRosterClient(list(timelines))


def all_fine() -> dict[CheckItem, Check]:
    from visit_svc.domain.visits import REQUIRED_CHECKS

    return {item: Check(CheckResult.FINE) for item in REQUIRED_CHECKS}


def visit(
    person: str,
    at: datetime,
    worker: str = "workers/wang",
    problems: tuple[CheckItem, ...] = (),
) -> Visit:
    checks = all_fine()
    for item in problems:
        checks[item] = Check(CheckResult.PROBLEM, f"{item.value} found wanting")
    return Visit(
        id="",
        person=person,
        town="",
        village="",
        worker=worker,
        visited_at=at,
        checks=checks,
    )


def replace_checks(v: Visit, **changes: Any) -> Visit:
    return replace(v, **changes)
