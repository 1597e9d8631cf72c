"""Employment as effective-dated history (rules H2, H5): joined and left events, never
overwritten, answerable "as of D". Pure: no SQL, no gRPC."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta


class EmploymentChange(enum.Enum):
    JOINED = "joined"
    LEFT = "left"


@dataclass
class EmploymentEvent:
    """One change, holding until the next. JOINED: the first day employed; LEFT: the first day
    no longer employed (the day after the last day worked)."""

    worker_id: str
    change: EmploymentChange
    effective_date: date
    reason: str = ""
    recorded_by: str = ""
    recorded_at: datetime | None = None
    seq: int | None = None


@dataclass(frozen=True)
class Spell:
    """A continuous stretch of employment: first and last day (None while it lasts)."""

    first: date
    last: date | None

    def covers(self, day: date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)

    def overlaps(self, first: date, last: date | None) -> bool:
        ends_after = self.last is None or self.last >= first
        starts_before = last is None or self.first <= last
        return ends_after and starts_before


def spells(events: list[EmploymentEvent]) -> list[Spell]:
    """The stretches of employment the events describe, in order."""
    out: list[Spell] = []
    start: date | None = None
    for event in sorted(events, key=lambda e: (e.effective_date, e.seq or 0)):
        if event.change is EmploymentChange.JOINED and start is None:
            start = event.effective_date
        elif event.change is EmploymentChange.LEFT and start is not None:
            out.append(Spell(start, event.effective_date - timedelta(days=1)))
            start = None
    if start is not None:
        out.append(Spell(start, None))
    return out


def employed_on(events: list[EmploymentEvent], day: date) -> bool:
    return any(s.covers(day) for s in spells(events))
