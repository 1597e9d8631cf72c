"""Visit metrics per worker and period (rule A2), as counts: numerator and denominator of each
component, from flat fact arrays. Nothing here rounds, estimates or reads a database.

Facts arrive at any grain (a worker's ISO week from the visit service, or a person's week in the
benchmark): rows are summed per worker key. A worker is measured only on what they were
responsible for: `due` counts only the persons assigned to them in that week (the visit service
derives it from the roster's history), so weeks before a mid-period start or after a departure
count nothing, and `covered` is capped at `due` row by row.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from assessment_svc.domain.grouping import Groups, Int64Array, count_by, group, locate, sum_by


class Component(enum.IntEnum):
    """The parts of a worker's score (rules A2, A3), in the order of every array's columns."""

    #: Due person-weeks (rule V1) covered with the visits the policy requires.
    COVERAGE = 0
    #: IMMEDIATE escalations (rule V4) whose village contact was on time (rule V6).
    CONTACT_IMMEDIATE = 1
    #: PROMPT escalations (rules V3, V5) whose village contact was on time (rule V6).
    CONTACT_PROMPT = 2
    #: Escalations whose action was arranged on time (rule V6).
    ACTION = 3
    #: Escalation steps past their deadline that are recorded at all, on time or late (rule V7).
    LEDGER = 4
    #: The chief's score for other assigned civil-affairs work (rule A3).
    MANUAL = 5


COMPONENTS = tuple(Component)
N_COMPONENTS = len(COMPONENTS)


class Urgency(enum.IntEnum):
    """As sgz.visit.v1.Urgency numbers them."""

    IMMEDIATE = 1
    PROMPT = 2


class Outcome(enum.IntEnum):
    """A step against its deadline, as sgz.visit.v1.DeadlineOutcome numbers them."""

    MET = 1
    LATE = 2
    OVERDUE = 3
    PENDING = 4
    CANCELLED = 5


@dataclass(frozen=True)
class Counts:
    """Per worker (rows, in `workers` order) and component (columns): numerator, denominator.
    The MANUAL column is left 0/0: the chief's score is not a count."""

    workers: Int64Array
    numerator: Int64Array
    denominator: Int64Array


def _judged(outcome: NDArray[np.integer]) -> NDArray[np.bool_]:
    """A step counts once its deadline has passed or it was done: pending and cancelled
    steps are not held against anyone yet."""
    judged: NDArray[np.bool_] = np.isin(outcome, (Outcome.MET, Outcome.LATE, Outcome.OVERDUE))
    return judged


def metric_counts(
    *,
    week_worker: NDArray[np.integer],
    due: NDArray[np.integer],
    covered: NDArray[np.integer],
    esc_worker: NDArray[np.integer],
    urgency: NDArray[np.integer],
    contact_outcome: NDArray[np.integer],
    action_outcome: NDArray[np.integer],
    workers: NDArray[np.integer] | None = None,
) -> Counts:
    """Rule A2. `week_worker`, `due`, `covered`: one row per fact row (person-weeks due and
    covered). `esc_worker`, `urgency`, `*_outcome`: one row per escalation, credited to the
    worker whose visit opened it. `workers`: the keys to report (ascending, distinct); by
    default every worker seen in the facts. Facts of other workers are ignored."""
    week_worker = np.asarray(week_worker, dtype=np.int64)
    esc_worker = np.asarray(esc_worker, dtype=np.int64)
    if workers is None:
        groups = group(np.concatenate([week_worker, esc_worker]))
    else:
        groups = Groups(np.asarray(workers, dtype=np.int64), np.zeros(0, dtype=np.int64))
    size = groups.size
    num = np.zeros((size, N_COMPONENTS), dtype=np.int64)
    den = np.zeros((size, N_COMPONENTS), dtype=np.int64)

    at = locate(groups, week_worker)
    due = np.asarray(due, dtype=np.int64)
    den[:, Component.COVERAGE] = sum_by(at, due, size)
    num[:, Component.COVERAGE] = sum_by(at, np.minimum(np.asarray(covered), due), size)

    at = locate(groups, esc_worker)
    urgency = np.asarray(urgency)
    contact = np.asarray(contact_outcome)
    action = np.asarray(action_outcome)
    contact_judged = _judged(contact)
    action_judged = _judged(action)
    contact_met = contact == Outcome.MET
    for column, level in (
        (Component.CONTACT_IMMEDIATE, Urgency.IMMEDIATE),
        (Component.CONTACT_PROMPT, Urgency.PROMPT),
    ):
        mine = urgency == level
        den[:, column] = count_by(np.where(mine & contact_judged, at, -1), size)
        num[:, column] = count_by(np.where(mine & contact_met, at, -1), size)
    den[:, Component.ACTION] = count_by(np.where(action_judged, at, -1), size)
    num[:, Component.ACTION] = count_by(np.where(action == Outcome.MET, at, -1), size)
    recorded = (contact == Outcome.MET) | (contact == Outcome.LATE)
    recorded_action = (action == Outcome.MET) | (action == Outcome.LATE)
    den[:, Component.LEDGER] = count_by(np.where(contact_judged, at, -1), size) + count_by(
        np.where(action_judged, at, -1), size
    )
    num[:, Component.LEDGER] = count_by(np.where(recorded, at, -1), size) + count_by(
        np.where(recorded_action, at, -1), size
    )
    return Counts(groups.keys, num, den)


def week_counts_in(monday: date, first: date, last: date) -> bool:
    """Rule A2: an ISO week belongs to the period that holds its Thursday, so a week that
    straddles two periods counts in exactly one of them."""
    low, high = monday_bounds(first, last)
    return low <= monday <= high


def monday_bounds(first: date, last: date) -> tuple[date, date]:
    """The Mondays whose weeks count in first..last (week_counts_in), as a range to compare
    many weeks with."""
    return first - timedelta(days=3), last - timedelta(days=3)
