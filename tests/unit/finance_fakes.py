"""Fakes of the finance service's ports, type-checked against them: the roster's care months."""

from __future__ import annotations

from finance_svc.adapters.roster_client import RosterClient
from finance_svc.domain.allocation import CareMonths
from sgz_runtime import errors
from sgz_runtime.periods import Period


class FakeRosterClient:
    """Care months held in memory, as SummarizeCareMonths would count them. `down` makes every
    call Unavailable; `calls` counts them."""

    def __init__(
        self,
        rows: list[CareMonths] | None = None,
        *,
        unassessed: dict[str, list[str]] | None = None,
        down: bool = False,
    ):
        self.rows = list(rows or [])
        self.unassessed = unassessed or {}
        self.down = down
        self.calls = 0

    def care_months(self, parent: str, period: Period) -> list[CareMonths]:
        self.calls += 1
        if self.down:
            raise errors.Unavailable("the roster service is unreachable")
        return [
            r for r in self.rows if (parent == "towns/-" or r.town == parent) and r.month in period
        ]

    def unassessed_persons(self, town: str, period: Period) -> list[str]:
        self.calls += 1
        if self.down:
            raise errors.Unavailable("the roster service is unreachable")
        return sorted(self.unassessed.get(town, []))


def _typed(fake: FakeRosterClient) -> RosterClient:
    return fake  # mypy checks the fake against the port here
