"""The finance use cases' commands: one frozen, keyword-only dataclass each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from finance_svc.domain.categories import ExpenseCategory
from finance_svc.domain.ledger import Account, Leg, Line
from finance_svc.domain.standards import CareLevel
from sgz_runtime.money import Fen
from sgz_runtime.periods import Period


@dataclass(frozen=True, kw_only=True)
class CreateMinimumWage:
    effective_from: date
    monthly: Fen


@dataclass(frozen=True, kw_only=True)
class CreateCareStandard:
    effective_from: date
    amounts: dict[CareLevel, Fen]
    below_floor_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class CreateExpenseCategories:
    effective_from: date
    categories: frozenset[ExpenseCategory]


@dataclass(frozen=True, kw_only=True)
class ComputeAllocations:
    #: `towns/{town}`, or `towns/-` for every town the roster knows.
    parent: str
    period: Period
    reason: str = ""
    unassessed_override_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ApproveAllocation:
    town: str
    period: Period
    version: int


@dataclass(frozen=True, kw_only=True)
class ApproveLatestAllocations:
    """Approves the latest draft of each town (the city's batch approval)."""

    towns: tuple[str, ...]
    period: Period


@dataclass(frozen=True, kw_only=True)
class Disburse:
    town: str
    period: Period
    leg: Leg
    amount: Fen
    request_id: str
    evidence: str = ""


@dataclass(frozen=True, kw_only=True)
class RecordExpense:
    town: str
    period: Period
    category: ExpenseCategory | None
    payee: str
    amount: Fen
    evidence: str
    request_id: str


@dataclass(frozen=True, kw_only=True)
class ReturnUnspent:
    town: str
    period: Period
    account: Account
    amount: Fen
    request_id: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Adjust:
    town: str
    period: Period
    adjusts: str
    lines: tuple[Line, ...]
    reason: str
    request_id: str


@dataclass(frozen=True, kw_only=True)
class ClosePeriod:
    town: str
    period: Period
