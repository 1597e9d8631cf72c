"""The dated pay policy of a town (rules A1, A4): component weights summing to 1, the payout
rule and its curve, the confidence of the fair rates and the yearly pass mark. A version applies
from its date; a town without its own version follows the city's."""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from assessment_svc.domain.metrics import COMPONENTS, N_COMPONENTS, Component
from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr

#: Weights and payout shares are held in basis points: 10000 = 1 = 100%.
ONE = 10_000
#: Scores are held in hundredths of a point: 10000 = 100.00.
FULL_SCORE = 10_000


class PayoutRule(enum.Enum):
    """How the withheld part of pay comes back (rule A4)."""

    #: Each worker receives a share of their own withheld amount, by the payout curve.
    INDIVIDUAL = "individual"
    #: The town's whole withheld pool is shared in proportion to withheld x score.
    POOL = "pool"


@dataclass(frozen=True)
class PayPolicy:
    version: str
    #: `towns/{t}`, or "" for the city's default.
    town: str
    effective_from: date
    #: Per Component, in basis points; they sum to 10000 (rule A4).
    weights_bp: tuple[int, ...]
    payout_rule: PayoutRule
    #: The individual rule's curve: (score in hundredths, share of withheld in basis points),
    #: ascending; below the first point nothing is paid, from the last point its share.
    curve: tuple[tuple[int, int], ...]
    #: The strongest empirical-Bayes prior (rates.py), in observations: used when the town's
    #: workers look alike, so that a worker's own counts still move their estimate.
    max_prior_strength: int
    #: The yearly score (hundredths) from which the town's assessment is passed (rule A5).
    pass_mark: int

    def weight(self, component: Component) -> int:
        return self.weights_bp[component]


def default_policy(effective_from: date = date(2020, 1, 1)) -> PayPolicy:
    """The city's default until it adds its own version (a setting, seeded by migration)."""
    return PayPolicy(
        version="city-default",
        town="",
        effective_from=effective_from,
        weights_bp=(4000, 1500, 1000, 1000, 500, 2000),
        payout_rule=PayoutRule.INDIVIDUAL,
        curve=((6000, 6000), (9000, 10000)),
        max_prior_strength=100,
        pass_mark=6000,
    )


def _sum_text(weights_bp: Sequence[int]) -> str:
    """The sum of basis points as a fraction of 1 with four decimals."""
    whole, rest = divmod(sum(weights_bp), ONE)
    return f"{whole}.{rest:04d}"


def weights_from_fractions(weights: dict[Component, float], field: str) -> tuple[int, ...]:
    """Weights typed as fractions of 1 -> basis points; refused unless every component has a
    weight in 0..1 in steps of 0.0001 and they sum to 1 (rule A4)."""
    problems: list[FieldViolation] = []
    out = [0] * N_COMPONENTS
    for component in COMPONENTS:
        value = weights.get(component, 0.0)
        bp = round(value * ONE)
        name = f"{field}.{component.name.lower()}"
        if not math.isfinite(value) or not 0 <= bp <= ONE or abs(value * ONE - bp) > 1e-6:
            problems.append(
                FieldViolation(
                    name, tr("a weight is 0 to 1 in steps of 0.0001 (rule A4)"), rule="A4"
                )
            )
        out[component] = bp
    if not problems and sum(out) != ONE:
        problems.append(
            FieldViolation(
                field,
                tr("the weights sum to {total}, not 1 (rule A4)", total=_sum_text(out)),
                rule="A4",
            )
        )
    if problems:
        raise InvalidArgument.of(problems)
    return tuple(out)


def validate(policy: PayPolicy) -> None:
    """Everything wrong with a policy, at once."""
    problems: list[FieldViolation] = []
    if len(policy.weights_bp) != N_COMPONENTS or sum(policy.weights_bp) != ONE:
        problems.append(
            FieldViolation(
                "policy.weights",
                tr(
                    "the weights sum to {total}, not 1 (rule A4)",
                    total=_sum_text(policy.weights_bp),
                ),
                rule="A4",
            )
        )
    scores = [s for s, _ in policy.curve]
    shares = [b for _, b in policy.curve]
    if (
        not policy.curve
        or any(not 0 <= s <= FULL_SCORE for s in scores)
        or any(not 0 <= b <= ONE for b in shares)
        or any(a >= b for a, b in itertools.pairwise(scores))
        or any(a > b for a, b in itertools.pairwise(shares))
    ):
        problems.append(
            FieldViolation(
                "policy.payout_curve",
                tr(
                    "the payout curve needs points with rising scores 0-100 and shares 0-1 "
                    "that never fall (rule A4)"
                ),
                rule="A4",
            )
        )
    if not 2 <= policy.max_prior_strength <= 100_000:
        problems.append(
            FieldViolation(
                "policy.max_prior_strength", tr("the prior strength is 2 to 100000"), rule="A2"
            )
        )
    if not 0 <= policy.pass_mark <= FULL_SCORE:
        problems.append(
            FieldViolation("policy.pass_mark", tr("the pass mark is 0 to 100"), rule="A5")
        )
    if problems:
        raise InvalidArgument.of(problems)


def policy_on(policies: list[PayPolicy], town: str, day: date) -> PayPolicy:
    """The town's version in effect on day, else the city's; the built-in default if none."""
    for scope in (town, ""):
        found = [p for p in policies if p.town == scope and p.effective_from <= day]
        if found:
            return max(found, key=lambda p: p.effective_from)
    return default_policy()
