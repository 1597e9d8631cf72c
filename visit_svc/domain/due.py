"""What is due (rules V1, V8, V9): per ISO week, computed from the roster's status and
assignment history and the visits recorded, never from stored flags. Pure.

A person is due in a week when dispersed on at least one of its days (CST); a visit counts when
made on one of those days. From the day a person is in an institution, hospitalised, deceased
or exited, no visit is due (V8), so a week wholly after that is not due at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from visit_svc.domain.timeline import PersonTimeline
from visit_svc.domain.weeks import IsoWeek


@dataclass(frozen=True)
class WeekDue:
    person: str
    town: str
    village: str
    display_name: str
    week: IsoWeek
    #: The worker holding the case on the last dispersed day of the week ("" when none).
    worker: str
    #: Named substitutes on any dispersed day of the week (rule V9).
    substitutes: tuple[str, ...]
    #: Rule V1: visits required this week, from the policy in effect on its Monday.
    required: int
    #: Visits made on dispersed days of the week.
    made: int

    @property
    def visited(self) -> bool:
        return visits_cover(self.made, self.required)


def visits_cover(made: int, required: int) -> bool:
    """Rule V1: a person's week is covered when the visits made reach the visits required.
    The facts query (visit_svc/adapters/facts_queries.py) says the same in SQL; the property
    test tests/integration/test_visit_covered_property.py holds the two equal."""
    return made >= required


def week_due(
    timeline: PersonTimeline, week: IsoWeek, visit_days: list[date], required: int
) -> WeekDue | None:
    """The week's due for one person, or None when they were never dispersed in it."""
    dispersed = [d for d in week.days() if timeline.dispersed_on(d)]
    if not dispersed:
        return None
    substitutes = sorted({s for d in dispersed for s in timeline.substitutes_on(d)})
    return WeekDue(
        person=timeline.person,
        town=timeline.town,
        village=timeline.village,
        display_name=timeline.display_name,
        week=week,
        worker=timeline.worker_on(dispersed[-1]) or "",
        substitutes=tuple(substitutes),
        required=required,
        made=sum(1 for d in visit_days if d in dispersed),
    )


def concerns(due: WeekDue, worker: str) -> bool:
    """Whether a worker's list shows this week: theirs, or theirs to stand in for."""
    return due.worker == worker or worker in due.substitutes


def missed(due: WeekDue, now: datetime) -> bool:
    """A week is missed once it is over with fewer visits than required."""
    return due.week.ends_before(now) and not due.visited
