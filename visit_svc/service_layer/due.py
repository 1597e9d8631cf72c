"""Use cases on what is due (rules V1, V8, V9): a week's due persons for a town, a village or a
worker, and a person's missed weeks. Computed on every call from the roster's history and the
visits recorded; nothing about "due" is stored."""

from __future__ import annotations

from dataclasses import dataclass

from sgz_runtime import names
from sgz_runtime.errors import InvalidArgument, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, ScopeLevel
from visit_svc.adapters.roster_client import RosterClient
from visit_svc.domain.due import WeekDue, concerns, missed, week_due
from visit_svc.domain.policy import VisitPolicy, policy_on
from visit_svc.domain.weeks import IsoWeek, weeks_between
from visit_svc.service_layer import common
from visit_svc.service_layer.unit_of_work import VisitUnitOfWork

#: The longest span of weeks one call may ask about.
MAX_WEEKS = 106


@dataclass(frozen=True)
class WeeklyDue:
    week: IsoWeek
    due: list[WeekDue]

    @property
    def visited(self) -> list[WeekDue]:
        return [d for d in self.due if d.visited]

    @property
    def not_visited(self) -> list[WeekDue]:
        return [d for d in self.due if not d.visited]


def _parent_town(parent: str) -> str:
    parts = parent.split("/")
    if len(parts) == 2:
        names.parse("parent", parent, "towns")
    else:
        names.parse("parent", parent, "towns", "villages")
    return "/".join(parts[:2])


def _required(policies: list[VisitPolicy], week: IsoWeek) -> int:
    return policy_on(policies, week.monday).visits_per_week


def weekly_due(
    uow: VisitUnitOfWork,
    roster: RosterClient,
    caller: Caller,
    parent: str,
    worker: str,
    week: IsoWeek,
) -> WeeklyDue:
    """The persons of a town or village (or of one worker there) due in an ISO week (V1), each
    with the visits made on days they were dispersed."""
    town = _parent_town(parent)
    if worker:
        names.parse("worker", worker, "workers")
    if caller.scope_level is ScopeLevel.CASELOAD:
        if worker and worker != caller.scope:
            raise NotFound(worker)
        worker = caller.scope
    elif caller.scope_level is ScopeLevel.VILLAGE:
        if parent != caller.scope:
            raise NotFound(parent)
    elif not caller.sees_town(town):
        raise NotFound(parent)
    timelines = roster.person_timelines(parent, worker or None, week.monday, week.sunday)
    with uow:
        policies = uow.policies.list()
        days = uow.visits.visit_days([t.person for t in timelines], week.monday, week.sunday)
    required = _required(policies, week)
    due: list[WeekDue] = []
    for timeline in timelines:
        found = week_due(timeline, week, days[timeline.person], required)
        if found is not None and (not worker or concerns(found, worker)):
            due.append(found)
    return WeeklyDue(week, sorted(due, key=lambda d: (d.village, d.person)))


def person_weeks(
    uow: VisitUnitOfWork,
    roster: RosterClient,
    caller: Caller,
    person: str,
    first: IsoWeek,
    last: IsoWeek,
    clock: common.Clock,
) -> tuple[list[WeekDue], list[WeekDue]]:
    """A person's due weeks from first to last, and those of them missed (over, and visited
    fewer times than required)."""
    names.parse("person", person, "persons")
    if last < first:
        raise InvalidArgument.field("end_week", tr("must not be before start_week"))
    weeks = weeks_between(first, last)
    if len(weeks) > MAX_WEEKS:
        raise InvalidArgument.field(
            "end_week", tr("at most {MAX_WEEKS} weeks at a time", MAX_WEEKS=MAX_WEEKS)
        )
    try:
        timeline = roster.person_timeline(person, first.monday, last.sunday)
    except NotFound:
        raise NotFound(person) from None
    worker = caller.scope if caller.scope_level is ScopeLevel.CASELOAD else None
    with uow:
        policies = uow.policies.list()
        days = uow.visits.visit_days([person], first.monday, last.sunday)[person]
    due = [
        found
        for week in weeks
        if (found := week_due(timeline, week, days, _required(policies, week))) is not None
    ]
    if worker is not None and not any(concerns(d, worker) for d in due):
        raise NotFound(person)
    common.require_sees(caller, person, timeline.town, timeline.village, worker)
    now = clock()
    return due, [d for d in due if missed(d, now)]
