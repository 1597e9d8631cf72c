"""Timelines (rule R6): a person's spans of status, care level, worker and substitutes over a
period, derived from the append-only events. Pure: no SQL, no gRPC."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TypeVar

from roster_svc.domain.assessments import Assessment
from roster_svc.domain.assignments import Assignment, Substitution
from roster_svc.domain.persons import (
    CareLevel,
    Period,
    Person,
    PersonStatus,
    Span,
    StatusChange,
    Timeline,
    clip,
    spans,
)

T = TypeVar("T")


def status_spans(changes: Iterable[StatusChange]) -> list[Span[PersonStatus]]:
    found = spans(changes, lambda c: c.effective_date)
    return [Span(s.value.status, s.start, s.end) for s in found]


def care_level_spans(assessed: Iterable[Assessment]) -> list[Span[CareLevel]]:
    found = spans(assessed, lambda a: a.assessment_date)
    return [Span(s.value.care_level, s.start, s.end) for s in found if s.value.care_level]


def worker_spans(assigned: Iterable[Assignment]) -> list[Span[str]]:
    found = spans(assigned, lambda a: a.start_date)
    return [Span(s.value.worker, s.start, s.end) for s in found]


def timelines(
    persons: Sequence[Person],
    changes: Iterable[StatusChange],
    assessed: Iterable[Assessment],
    assigned: Iterable[Assignment],
    substitutions: Iterable[Substitution],
    period: Period,
) -> list[Timeline]:
    """The timeline of each person, in the order given, every span clipped to period."""
    by_person_status: dict[str, list[StatusChange]] = defaultdict(list)
    by_person_care: dict[str, list[Assessment]] = defaultdict(list)
    by_person_worker: dict[str, list[Assignment]] = defaultdict(list)
    for c in changes:
        by_person_status[c.person_id].append(c)
    for a in assessed:
        by_person_care[a.person_id].append(a)
    for w in assigned:
        by_person_worker[w.person_id].append(w)
    subs = [
        Span((s.worker, s.substitute), s.start_date, s.end_date)
        for s in sorted(substitutions, key=lambda s: (s.start_date, s.id))
    ]
    found: list[Timeline] = []
    for person in persons:
        workers = clip(worker_spans(by_person_worker[person.id]), period)
        named = {w.value for w in workers}
        found.append(
            Timeline(
                person=person,
                statuses=clip(status_spans(by_person_status[person.id]), period),
                care_levels=clip(care_level_spans(by_person_care[person.id]), period),
                assignments=workers,
                substitutes=clip([s for s in subs if s.value[0] in named], period),
            )
        )
    return found


def month_windows(period: Period) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(first day of the month, first day inside period, end inside period) of every
    calendar month overlapping period."""
    day = period.start.replace(day=1)
    found: list[tuple[dt.date, dt.date, dt.date]] = []
    while day < period.end:
        next_month = (day + dt.timedelta(days=32)).replace(day=1)
        found.append((day, max(day, period.start), min(next_month, period.end)))
        day = next_month
    return found


def _dated_spans(events: Sequence[tuple[dt.date, T]]) -> list[Span[T]]:
    ordered = sorted(events, key=lambda e: e[0])
    return [
        Span(value, start, ordered[i + 1][0] if i + 1 < len(ordered) else None)
        for i, (start, value) in enumerate(ordered)
    ]


def care_months(
    statuses: Sequence[tuple[dt.date, PersonStatus]],
    levels: Sequence[tuple[dt.date, CareLevel]],
    months: Sequence[tuple[dt.date, dt.date, dt.date]],
) -> dict[tuple[dt.date, CareLevel | None], tuple[int, int]]:
    """One person's (month, care level) -> (person-months, person-days) while dispersed, over
    the month windows of a period (rule F2 reads them): a person-month is counted by what holds
    on the month's counting day, its first day within the period; person-days count every day.
    Events are (effective date, value) pairs, each holding until the next (rule R6)."""
    dispersed = [s for s in _dated_spans(statuses) if s.value is PersonStatus.DISPERSED]
    level_spans = _dated_spans(levels)
    found: dict[tuple[dt.date, CareLevel | None], tuple[int, int]] = {}
    for month, lo, hi in months:
        for d in dispersed:
            if not d.overlaps(lo, hi):
                continue
            d_lo, d_hi = max(d.start, lo), hi if d.end is None else min(d.end, hi)
            # The days of this dispersed stretch under each care level (None: not assessed).
            cuts: list[tuple[CareLevel | None, dt.date, dt.date]] = []
            cursor = d_lo
            for level in level_spans:
                if not level.overlaps(d_lo, d_hi):
                    continue
                if level.start > cursor:
                    cuts.append((None, cursor, level.start))
                end = d_hi if level.end is None else min(level.end, d_hi)
                cuts.append((level.value, max(level.start, cursor), end))
                cursor = end
            if cursor < d_hi:
                cuts.append((None, cursor, d_hi))
            for value, start, end in cuts:
                months_, days = found.get((month, value), (0, 0))
                counted = 1 if start <= lo < end else 0
                found[(month, value)] = (months_ + counted, days + (end - start).days)
    return found
