"""Rule F2: the city's monthly care standards, a dated setting, checked against the Jiangsu
floor (30% / 15% / 5% of the previous year's local minimum monthly wage, itself dated)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument
from sgz_runtime.i18n import Text, tr
from sgz_runtime.money import Fen, round_half_up


class CareLevel(enum.Enum):
    """Rule R3's self-care levels, as the roster derives them."""

    SELF_CARE = "self_care"
    PARTIAL = "partial"
    FULL_LOSS = "full_loss"


#: Rule F2: the Jiangsu floor, in basis points of the previous year's minimum monthly wage.
FLOOR_BASIS_POINTS: Mapping[CareLevel, int] = {
    CareLevel.FULL_LOSS: 3000,
    CareLevel.PARTIAL: 1500,
    CareLevel.SELF_CARE: 500,
}

LEVEL_ORDER = (CareLevel.SELF_CARE, CareLevel.PARTIAL, CareLevel.FULL_LOSS)


@dataclass(frozen=True)
class MinimumWage:
    """The local minimum monthly wage from effective_from (a dated setting)."""

    effective_from: date
    monthly: Fen
    recorded_by: str = ""

    @property
    def name(self) -> str:
        return f"minimumWages/{self.effective_from.isoformat()}"


@dataclass(frozen=True)
class CareStandard:
    """The city's monthly standard per care level from effective_from (rule F2)."""

    effective_from: date
    amounts: Mapping[CareLevel, Fen]
    below_floor_reason: str = ""
    recorded_by: str = ""

    @property
    def name(self) -> str:
        return f"careStandards/{self.effective_from.isoformat()}"


@dataclass(frozen=True)
class FloorCheck:
    """How a standard table stands against the floor of the year it is used in."""

    wage: MinimumWage
    floors: Mapping[CareLevel, Fen]
    below: tuple[CareLevel, ...] = field(default_factory=tuple)

    def warning(self, standard: CareStandard) -> Text | None:
        if not self.below:
            return None
        levels = ", ".join(level.value for level in self.below)
        return tr(
            "the care standard {standard} is below the Jiangsu floor for {levels} "
            "(rule F2); recorded reason: {reason}",
            standard=standard.name,
            levels=levels,
            reason=standard.below_floor_reason,
        )


def wage_for_year(wages: Sequence[MinimumWage], year: int) -> MinimumWage:
    """The minimum wage of `year`: the one in force on its last day (rule F2 reads the
    previous year's)."""
    last_day = date(year, 12, 31)
    effective = [w for w in wages if w.effective_from <= last_day]
    if not effective:
        raise FailedPrecondition(
            tr(
                "no minimum monthly wage is recorded for {year}: record it first (rule F2)",
                year=year,
            ),
            rule="F2",
        )
    return max(effective, key=lambda w: w.effective_from)


def floors_of(wage: MinimumWage) -> dict[CareLevel, Fen]:
    """Rule F2: 30% / 15% / 5% of the wage, rounded half up to the fen."""
    return {
        level: Fen(round_half_up(Fraction(wage.monthly.fen * bp, 10000)))
        for level, bp in FLOOR_BASIS_POINTS.items()
    }


def check_floor(standard: CareStandard, wages: Sequence[MinimumWage], day: date) -> FloorCheck:
    """The standard against the floor of day's previous year."""
    wage = wage_for_year(wages, day.year - 1)
    floors = floors_of(wage)
    below = tuple(level for level in LEVEL_ORDER if standard.amounts[level] < floors[level])
    return FloorCheck(wage, floors, below)


def admit_standard(
    standard: CareStandard, wages: Sequence[MinimumWage], prefix: str = "care_standard."
) -> FloorCheck:
    """Checks a new table: every level present and positive; below the floor only with a
    recorded reason (rule F2), which then shows as a warning wherever the table is used."""
    violations: list[FieldViolation] = []
    for level in LEVEL_ORDER:
        amount = standard.amounts.get(level)
        if amount is None:
            violations.append(
                FieldViolation(
                    prefix + "amounts", tr("needs an amount for {level}", level=level.value), "F2"
                )
            )
        elif amount.fen <= 0:
            violations.append(
                FieldViolation(
                    prefix + "amounts",
                    tr("the amount for {level} must be positive", level=level.value),
                    "F2",
                )
            )
    if violations:
        raise InvalidArgument.of(violations)
    check = check_floor(standard, wages, standard.effective_from)
    if check.below and not standard.below_floor_reason.strip():
        shortfalls = "; ".join(
            f"{level.value} {standard.amounts[level].yuan()} < {check.floors[level].yuan()}"
            for level in check.below
        )
        raise FailedPrecondition(
            tr(
                "the care standard is below the Jiangsu floor ({shortfalls} 元, from the "
                "{year} minimum wage of {wage} 元): raise it or give the reason (rule F2)",
                shortfalls=shortfalls,
                year=standard.effective_from.year - 1,
                wage=check.wage.monthly.yuan(),
            ),
            rule="F2",
        )
    return check


def standard_on(standards: Sequence[CareStandard], day: date) -> CareStandard:
    """The table in force on day: the latest one effective on or before it."""
    effective = [s for s in standards if s.effective_from <= day]
    if not effective:
        raise FailedPrecondition(
            tr(
                "no care standard is in force on {day}: record the city's standard first (rule F2)",
                day=day.isoformat(),
            ),
            rule="F2",
        )
    return max(effective, key=lambda s: s.effective_from)
