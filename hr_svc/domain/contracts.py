"""Labour contracts (rules H6, H8): the first contract's term, probation under the Labour
Contract Law art. 19, no overlap, consecutive fixed terms and art. 14's open-ended renewal.
Pure: no SQL, no gRPC."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hr_svc.domain.calendar import add_months, add_years
from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument
from sgz_runtime.i18n import Text, tr


class ContractKind(enum.Enum):
    FIXED_TERM = "fixed_term"
    OPEN_ENDED = "open_ended"


@dataclass
class Contract:
    id: str
    worker_id: str
    kind: ContractKind
    start_date: date
    #: The last day; None for an open-ended contract.
    end_date: date | None
    probation_months: int
    monthly_base_fen: int
    renewal_of: str | None = None
    consecutive_fixed_terms: int = 0
    open_ended_required: bool = False
    worker_asked_fixed_term: bool = False
    recorded_by: str = ""
    recorded_at: datetime | None = None

    @property
    def name(self) -> str:
        return f"workers/{self.worker_id}/contracts/{self.id}"

    def covers(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


def first_contract_end(start: date, months: int) -> date:
    """The last day of a first contract of `months` from start (rule H6: generally 36)."""
    return add_months(start, months) - timedelta(days=1)


def _lasts_at_least(start: date, end: date, months: int) -> bool:
    """Whether the term from start to end (both included) is `months` or more: art. 19's
    "以上" includes the bound, so exactly 3 months is "3 months or more"."""
    return end + timedelta(days=1) >= add_months(start, months)


def probation_limit(start: date, end: date | None) -> tuple[int, Text]:
    """Art. 19: the longest probation in months for the term, and the bracket in words."""
    if end is None:
        return 6, tr("an open-ended contract allows at most 6 months of probation")
    if not _lasts_at_least(start, end, 3):
        return 0, tr("a term under 3 months allows no probation")
    if not _lasts_at_least(start, end, 12):
        return 1, tr("a term of 3 months to under 1 year allows at most 1 month of probation")
    if not _lasts_at_least(start, end, 36):
        return 2, tr("a term of 1 to under 3 years allows at most 2 months of probation")
    return 6, tr("a term of 3 years or more allows at most 6 months of probation")


def check_contract(contract: Contract, *, first: bool, prefix: str = "contract.") -> None:
    """The fields of a contract on their own: dates, pay and art. 19's probation (rule H6)."""
    violations: list[FieldViolation] = []
    if contract.kind is ContractKind.FIXED_TERM and contract.end_date is None:
        violations.append(
            FieldViolation(prefix + "end_date", tr("a fixed-term contract needs an end date"), "H6")
        )
    if contract.kind is ContractKind.OPEN_ENDED and contract.end_date is not None:
        violations.append(
            FieldViolation(prefix + "end_date", tr("an open-ended contract has no end date"), "H8")
        )
    if contract.end_date is not None and contract.end_date < contract.start_date:
        violations.append(
            FieldViolation(prefix + "end_date", tr("must be on or after start_date"), "H6")
        )
    if contract.monthly_base_fen <= 0:
        violations.append(
            FieldViolation(prefix + "monthly_base", tr("must be more than 0 fen"), "H10")
        )
    if contract.probation_months < 0:
        violations.append(
            FieldViolation(prefix + "probation_months", tr("must not be negative"), "H6")
        )
    elif contract.probation_months > 0 and not first:
        violations.append(
            FieldViolation(
                prefix + "probation_months",
                tr(
                    "a worker has one probation with an employer: a renewal or later "
                    "contract has none (art. 19)"
                ),
                "H6",
            )
        )
    elif contract.end_date is None or contract.end_date >= contract.start_date:
        limit, bracket = probation_limit(contract.start_date, contract.end_date)
        if contract.probation_months > limit:
            violations.append(
                FieldViolation(
                    prefix + "probation_months",
                    tr(
                        "{months} months is too long: {bracket} (art. 19)",
                        months=contract.probation_months,
                        bracket=bracket,
                    ),
                    "H6",
                )
            )
    if violations:
        raise InvalidArgument.of(violations)


def refuse_overlap(existing: list[Contract], new: Contract) -> None:
    """Rule H6: one worker's contracts never overlap."""
    for other in existing:
        ends_after = other.end_date is None or other.end_date >= new.start_date
        starts_before = new.end_date is None or other.start_date <= new.end_date
        if ends_after and starts_before:
            raise FailedPrecondition(
                tr(
                    "the contract overlaps {other} ({first} to {last}); end or shorten that "
                    "one first",
                    other=other.name,
                    first=other.start_date.isoformat(),
                    last=other.end_date.isoformat() if other.end_date else "-",
                ),
                rule="H6",
            )


@dataclass(frozen=True)
class Article14:
    """What art. 14 says of a contract starting on a day (rule H8)."""

    #: Fixed-term contracts in the unbroken chain just before the day.
    prior_consecutive_fixed_terms: int
    #: The first day of the unbroken service the day continues.
    service_since: date | None
    open_ended_required: bool
    because: Text | None


def article_14(existing: list[Contract], start: date) -> Article14:
    """Art. 14: a renewal after two consecutive fixed-term contracts, or after ten full years of
    continuous service, must be open-ended unless the worker asks for a fixed term (rule H8).

    Contracts are consecutive when each starts the day after the previous one ends.
    """
    by_end = {c.end_date: c for c in existing if c.end_date is not None}
    chain: list[Contract] = []
    day = start
    while (previous := by_end.get(day - timedelta(days=1))) is not None:
        chain.append(previous)
        day = previous.start_date
    fixed = 0
    for c in chain:  # most recent first; an open-ended one ends the fixed-term count
        if c.kind is not ContractKind.FIXED_TERM:
            break
        fixed += 1
    since = chain[-1].start_date if chain else None
    if fixed >= 2:
        return Article14(
            fixed,
            since,
            True,
            tr(
                "after {count} consecutive fixed-term contracts a renewal is open-ended unless "
                "the worker asks for a fixed term (art. 14)",
                count=fixed,
            ),
        )
    if since is not None and add_years(since, 10) <= start:
        return Article14(
            fixed,
            since,
            True,
            tr(
                "ten years' continuous service since {since}: a renewal is open-ended unless the "
                "worker asks for a fixed term (art. 14)",
                since=since.isoformat(),
            ),
        )
    return Article14(fixed, since, False, None)
