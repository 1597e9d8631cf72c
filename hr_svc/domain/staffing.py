"""Staffing (rules H1, H2): workers required by the villages, active workers, the shortfall
and since when it has lasted. Pure: no SQL, no gRPC."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from hr_svc.domain.employment import Spell

#: Rule H1: one full-time worker per this many villages (communities)...
VILLAGES_PER_WORKER = 6
#: ... and at least this many workers per station.
MINIMUM_WORKERS = 3


def required_workers(villages: int) -> int:
    """Rule H1: max(3, ceil(villages / 6)). The station chief is not counted (H1, H5)."""
    if villages < 0:
        raise ValueError("a village count is never negative")
    return max(MINIMUM_WORKERS, math.ceil(villages / VILLAGES_PER_WORKER))


@dataclass(frozen=True)
class Staffing:
    town: str
    on: date
    villages: int
    required: int
    active: int
    #: Rule H2: the first day of the current shortfall; None when there is none, or when the
    #: records never show the town staffed to H1.
    since: date | None
    has_chief: bool

    @property
    def shortfall(self) -> int:
        return max(0, self.required - self.active)


def active_on(worker_spells: list[Spell], day: date) -> int:
    return sum(1 for s in worker_spells if s.covers(day))


def staffing_on(
    town: str, on: date, villages: int, worker_spells: list[Spell], chief_spells: list[Spell]
) -> Staffing:
    """The town's staffing on a day, from the full-time workers' spells of employment (the
    chief's spells only say whether there is a chief: H1 does not count them).

    The village count is taken as holding over the whole history (the roster keeps villages
    without dates), so a shortfall starts on the day the active count last fell below the
    requirement.
    """
    required = required_workers(villages)
    active = active_on(worker_spells, on)
    has_chief = any(s.covers(on) for s in chief_spells)
    if active >= required:
        return Staffing(town, on, villages, required, active, None, has_chief)
    # The days the active count changes, up to `on`: a spell's first day and the day after its
    # last day.
    changes = sorted(
        {s.first for s in worker_spells if s.first <= on}
        | {s.last + timedelta(days=1) for s in worker_spells if s.last is not None}
    )
    since: date | None = None
    staffed_once = False
    for day in (d for d in changes if d <= on):
        if active_on(worker_spells, day) >= required:
            staffed_once = True
            since = None
        elif staffed_once and since is None:
            since = day
    return Staffing(town, on, villages, required, active, since, has_chief)
