"""Rule F1: a town's disbursement period moves open -> allocated -> disbursed -> closed, and
never backwards; a closed period accepts no posting (rule F4)."""

from __future__ import annotations

import enum

from sgz_runtime.errors import FailedPrecondition, InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.periods import Period


class PeriodState(enum.Enum):
    OPEN = "open"
    ALLOCATED = "allocated"
    DISBURSED = "disbursed"
    CLOSED = "closed"


ORDER = (PeriodState.OPEN, PeriodState.ALLOCATED, PeriodState.DISBURSED, PeriodState.CLOSED)


def advance(current: PeriodState, target: PeriodState) -> PeriodState:
    """The state after moving to target: forward (or staying), never backwards (rule F1)."""
    if ORDER.index(target) < ORDER.index(current):
        raise FailedPrecondition(
            tr(
                "a period never moves back from {current} to {target} (rule F1)",
                current=current.value,
                target=target.value,
            ),
            rule="F1",
        )
    return target


def later(a: PeriodState, b: PeriodState) -> PeriodState:
    """The later of two states: a step that would move a period back leaves it where it is."""
    return a if ORDER.index(a) >= ORDER.index(b) else b


def require_open_for_postings(state: PeriodState, name: str) -> None:
    """Rule F4: a closed period accepts nothing; a correction goes to an open period."""
    if state is PeriodState.CLOSED:
        raise FailedPrecondition(
            tr(
                "{period} is closed and accepts no posting: record an adjusting entry in an "
                "open period that references it (rule F4)",
                period=name,
            ),
            rule="F4",
        )


def disbursement_period(text: str, field: str = "period") -> Period:
    """Rule F1: only half-years (`2026H1`, `2026H2`) are disbursement periods."""
    period = Period.parse(text, field)
    if "H" not in period.name:
        raise InvalidArgument.field(
            field,
            tr(
                "{value} is not a half-year: disbursement periods are 2026H1 or 2026H2 (rule F1)",
                value=text,
            ),
            rule="F1",
        )
    return period
