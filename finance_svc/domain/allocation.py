"""Rules F1, F2: a town's allocation for a period = the sum over months and care levels of
person-months x the standard in force that month, explained line by line; approved by a second
person (maker-checker), and never recomputed silently (a correction is a new version)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from finance_svc.domain.standards import (
    LEVEL_ORDER,
    CareLevel,
    CareStandard,
    MinimumWage,
    check_floor,
    standard_on,
)
from sgz_runtime.errors import FailedPrecondition
from sgz_runtime.i18n import tr
from sgz_runtime.money import Fen


class AllocationState(enum.Enum):
    DRAFT = "draft"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class CareMonths:
    """What the roster counts (SummarizeCareMonths): persons dispersed at a level in a month."""

    town: str
    month: date
    level: CareLevel | None
    person_months: int


@dataclass(frozen=True)
class AllocationLine:
    month: date
    level: CareLevel
    person_months: int
    standard: Fen
    amount: Fen
    care_standard: str


@dataclass(frozen=True)
class Explanation:
    """person-months by level x standard = amount, and who is counted nowhere."""

    lines: tuple[AllocationLine, ...]
    unassessed_person_months: int
    warnings: tuple[str, ...]
    #: The total when the lines were not loaded (a summary read); None: the lines' sum.
    total: Fen | None = None
    #: Who the unassessed person-months are, `persons/{person}` (rule F1: listed, counted
    #: nowhere).
    unassessed_persons: tuple[str, ...] = ()

    @property
    def amount(self) -> Fen:
        if self.total is not None:
            return self.total
        return Fen(sum(line.amount.fen for line in self.lines))


@dataclass(frozen=True)
class Allocation:
    town: str
    period: str
    version: int
    state: AllocationState
    explanation: Explanation
    computed_by: str
    computed_at: datetime
    approved_by: str = ""
    approved_at: datetime | None = None
    supersedes: int | None = None
    reason: str = ""
    unassessed_override_reason: str = ""

    @property
    def amount(self) -> Fen:
        return self.explanation.amount

    @property
    def name(self) -> str:
        return f"{self.town}/periods/{self.period}/allocations/{self.version}"


@dataclass
class _Standards:
    """Standards and their floor warnings, looked up once per month."""

    standards: Sequence[CareStandard]
    wages: Sequence[MinimumWage]
    warnings: dict[tuple[str, int], str | None] = field(default_factory=dict)
    months: dict[date, tuple[CareStandard, str | None]] = field(default_factory=dict)

    def on(self, month: date) -> tuple[CareStandard, str | None]:
        found = self.months.get(month)
        if found is None:
            found = self.months[month] = self._on(month)
        return found

    def _on(self, month: date) -> tuple[CareStandard, str | None]:
        standard = standard_on(self.standards, month)
        key = (standard.name, month.year)
        if key not in self.warnings:
            warning = check_floor(standard, self.wages, month).warning(standard)
            self.warnings[key] = str(warning) if warning is not None else None
        return standard, self.warnings[key]


def explain(
    rows: Iterable[CareMonths], standards: Sequence[CareStandard], wages: Sequence[MinimumWage]
) -> dict[str, Explanation]:
    """Rule F2, per town: one line per month and care level; persons not yet assessed are
    counted nowhere (their person-months are reported apart)."""
    lookup = _Standards(standards, wages)
    lines: dict[str, list[AllocationLine]] = {}
    unassessed: dict[str, int] = {}
    warnings: dict[str, list[str]] = {}
    for row in rows:
        lines.setdefault(row.town, [])
        unassessed.setdefault(row.town, 0)
        warnings.setdefault(row.town, [])
        if row.level is None:
            unassessed[row.town] += row.person_months
            continue
        if row.person_months == 0:
            continue
        standard, warning = lookup.on(row.month)
        monthly = standard.amounts[row.level]
        lines[row.town].append(
            AllocationLine(
                row.month,
                row.level,
                row.person_months,
                monthly,
                monthly.times(row.person_months),
                standard.name,
            )
        )
        if warning is not None and warning not in warnings[row.town]:
            warnings[row.town].append(warning)
    return {
        town: Explanation(
            tuple(sorted(found, key=lambda x: (x.month, LEVEL_ORDER.index(x.level)))),
            unassessed[town],
            tuple(warnings[town]),
        )
        for town, found in lines.items()
    }


def new_version(
    versions: Sequence[Allocation],
    *,
    town: str,
    period: str,
    explanation: Explanation,
    computed_by: str,
    now: datetime,
    reason: str = "",
    unassessed_override_reason: str = "",
) -> tuple[Allocation, list[Allocation]]:
    """A new draft, and the earlier drafts it supersedes. Once a version is approved, a new one
    needs a reason and references it: an approved figure never changes silently (rule F1)."""
    approved = next((v for v in versions if v.state is AllocationState.APPROVED), None)
    if approved is not None and not reason.strip():
        raise FailedPrecondition(
            tr(
                "{allocation} is approved: a correction needs a reason and becomes a new "
                "version that references it (rule F1)",
                allocation=approved.name,
            ),
            rule="F1",
        )
    superseded = [
        replace(v, state=AllocationState.SUPERSEDED)
        for v in versions
        if v.state is AllocationState.DRAFT
    ]
    draft = Allocation(
        town=town,
        period=period,
        version=max((v.version for v in versions), default=0) + 1,
        state=AllocationState.DRAFT,
        explanation=explanation,
        computed_by=computed_by,
        computed_at=now,
        supersedes=approved.version if approved is not None else None,
        reason=reason.strip(),
        unassessed_override_reason=unassessed_override_reason.strip(),
    )
    return draft, superseded


def approve(
    draft: Allocation, versions: Sequence[Allocation], *, approver: str, now: datetime
) -> tuple[Allocation, Allocation | None]:
    """Maker-checker (rule F1): a second person approves the latest draft; persons not yet
    assessed block approval unless the maker recorded why. Returns the approved version and
    the one it replaces."""
    if draft.state is not AllocationState.DRAFT:
        raise FailedPrecondition(
            tr(
                "{allocation} is {state}, not a draft (rule F1)",
                allocation=draft.name,
                state=draft.state.value,
            ),
            rule="F1",
        )
    latest = max(v.version for v in versions)
    if draft.version != latest:
        raise FailedPrecondition(
            tr("{allocation} is not the latest version (rule F1)", allocation=draft.name),
            rule="F1",
        )
    if approver == draft.computed_by:
        raise FailedPrecondition(
            tr(
                "{allocation} was computed by {person}: a second person must approve it "
                "(maker-checker, rule F1)",
                allocation=draft.name,
                person=approver,
            ),
            rule="F1",
        )
    pending = draft.explanation.unassessed_person_months
    if pending and not draft.unassessed_override_reason:
        raise FailedPrecondition(
            tr(
                "{count} person-months are of persons not yet assessed: assess them, or "
                "recompute with an override reason (rule F1)",
                count=pending,
            ),
            rule="F1",
        )
    replaced = next((v for v in versions if v.state is AllocationState.APPROVED), None)
    approved = replace(draft, state=AllocationState.APPROVED, approved_by=approver, approved_at=now)
    if replaced is not None:
        replaced = replace(replaced, state=AllocationState.SUPERSEDED)
    return approved, replaced
