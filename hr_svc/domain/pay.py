"""Pay terms (rules H10, A1): a worker's monthly base of the contract in force, the withholding
ratio and the months employed in a period. Pure: no SQL, no gRPC."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from hr_svc.domain.contracts import Contract
from hr_svc.domain.employment import Spell
from sgz_runtime.periods import Period


@dataclass(frozen=True)
class PayTerms:
    worker: str
    display_name: str
    monthly_base_fen: int
    withholding_ratio_bp: int
    months_employed: int
    employed_from: date
    employed_to: date | None
    employer_rates_bp: Mapping[str, int]
    worker_rates_bp: Mapping[str, int]


def months_employed(spells: list[Spell], period: Period) -> int:
    """Calendar months of the period in which the worker was employed at least one day."""
    count = 0
    for year, month in period.months():
        first = date(year, month, 1)
        last = Period.month(year, month).last
        if any(s.overlaps(first, last) for s in spells):
            count += 1
    return count


def base_in_force(contracts: list[Contract], spells: list[Spell], period: Period) -> int:
    """The monthly base of the contract in force on the last day of the period the worker was
    employed (0 fen when no contract is recorded)."""
    last_day = period.last
    overlapping = [s for s in spells if s.overlaps(period.first, period.last)]
    if overlapping:
        latest = max(overlapping, key=lambda s: s.first)
        if latest.last is not None:
            last_day = min(latest.last, period.last)
    started = [c for c in contracts if c.start_date <= last_day]
    if not started:
        return 0
    return max(started, key=lambda c: c.start_date).monthly_base_fen
