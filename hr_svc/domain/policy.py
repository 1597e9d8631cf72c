"""HR's dated settings: training hours (H9), recruitment weights (H3), the first contract's
term (H6), the early warning (H7), insurance rates (H10) and the withholding ratio (A1).

Each version applies from its date; a town's withholding ratio may be set apart from the city's.
The figures of `default_policy` are our defaults where the policy text is silent (DOMAIN.md
"Default"), seeded by the migration as version v1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr

#: The five insurances and the housing fund (五险一金), rule H10.
INSURANCES = ("pension", "medical", "unemployment", "work_injury", "maternity", "housing_fund")


@dataclass(frozen=True)
class HrPolicy:
    version: str
    effective_from: date
    #: Rule H9: training or continuing education per calendar year, in tenths of an hour.
    training_tenth_hours_per_year: int = 300
    #: The most one training record may carry, in tenths of an hour (longer courses are
    #: recorded as several records).
    max_tenth_hours_per_record: int = 1200
    #: Rules H3, H4: the written exam's weight in the combined score; the interview has the rest.
    written_weight_percent: int = 40
    #: Rule H6: a first contract is generally 3 years.
    first_contract_months: int = 36
    #: Rule H7's early warning: contracts ending within this many months, no certificate yet.
    early_warning_months: int = 6
    #: Rule A1: the share of pay withheld and paid by assessment, in basis points.
    withholding_ratio_bp: int = 1000
    #: Rule H10: contribution rates in basis points, employer's and worker's.
    employer_rates_bp: Mapping[str, int] = field(default_factory=dict)
    worker_rates_bp: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TownWithholding:
    """A town's own withholding ratio (rule A1), from a date."""

    town: str
    effective_from: date
    ratio_bp: int


def policy_on(policies: list[HrPolicy], day: date) -> HrPolicy:
    """The version in effect on day: the latest one effective on or before it."""
    effective = [p for p in policies if p.effective_from <= day]
    if not effective:
        raise FailedPrecondition(
            tr("no HR policy is in effect on {day}", day=day.isoformat()), rule="H9"
        )
    return max(effective, key=lambda p: p.effective_from)


def withholding_ratio_on(
    policy: HrPolicy, overrides: list[TownWithholding], town: str, day: date
) -> int:
    """The town's ratio in effect on day, else the city policy's (rule A1)."""
    mine = [o for o in overrides if o.town == town and o.effective_from <= day]
    if mine:
        return max(mine, key=lambda o: o.effective_from).ratio_bp
    return policy.withholding_ratio_bp


def default_policy(effective_from: date) -> HrPolicy:
    """Version v1: the DOMAIN.md figures (30 hours, 3 years, 6 months) and our defaults for the
    rest (Jiangsu's usual contribution rates; a 10% withholding ratio; written 40%)."""
    return HrPolicy(
        version="v1",
        effective_from=effective_from,
        employer_rates_bp={
            "pension": 1600,
            "medical": 700,
            "unemployment": 50,
            "work_injury": 20,
            "maternity": 80,
            "housing_fund": 800,
        },
        worker_rates_bp={
            "pension": 800,
            "medical": 200,
            "unemployment": 50,
            "work_injury": 0,
            "maternity": 0,
            "housing_fund": 800,
        },
    )


def check_policy(policy: HrPolicy, prefix: str = "hr_policy.") -> None:
    """Every figure in its range, all violations at once."""
    violations: list[FieldViolation] = []

    def within(field: str, value: int, low: int, high: int, rule: str) -> None:
        if not low <= value <= high:
            violations.append(
                FieldViolation(
                    prefix + field, tr("must be {low} to {high}", low=low, high=high), rule
                )
            )

    within("training_tenth_hours_per_year", policy.training_tenth_hours_per_year, 0, 2000, "H9")
    within("max_tenth_hours_per_record", policy.max_tenth_hours_per_record, 10, 2400, "H9")
    within("written_weight_percent", policy.written_weight_percent, 0, 100, "H3")
    within("first_contract_months", policy.first_contract_months, 1, 120, "H6")
    within("early_warning_months", policy.early_warning_months, 1, 36, "H7")
    within("withholding_ratio_bp", policy.withholding_ratio_bp, 0, 10000, "A1")
    for side, rates in (("employer_rates_bp", policy.employer_rates_bp),
                        ("worker_rates_bp", policy.worker_rates_bp)):  # fmt: skip
        if set(rates) != set(INSURANCES):
            violations.append(
                FieldViolation(
                    prefix + side,
                    tr("must give each of {names}", names=", ".join(INSURANCES)),
                    "H10",
                )
            )
        for name, rate in rates.items():
            within(f"{side}[{name}]", rate, 0, 5000, "H10")
    if violations:
        raise InvalidArgument.of(violations)
