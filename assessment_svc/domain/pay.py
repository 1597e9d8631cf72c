"""Withheld pay and the two payout rules (rules A1, A4), in integer fen throughout.

withheld = monthly base x withholding ratio x months employed, rounded half up to the fen once.
INDIVIDUAL: paid = withheld x curve(score), rounded half up. POOL: the town's withheld pool is
shared in proportion to withheld x score by the largest-remainder method, so the sum paid is
the pool to the fen.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from assessment_svc.domain.grouping import Int64Array, group
from assessment_svc.domain.policy import ONE
from sgz_runtime.errors import FailedPrecondition
from sgz_runtime.i18n import tr
from sgz_runtime.money import largest_remainder


def _half_up(numerator: Int64Array, denominator: Int64Array | int) -> Int64Array:
    """numerator / denominator rounded half up, both non-negative integers."""
    return (2 * numerator + denominator) // (2 * np.asarray(denominator, dtype=np.int64))


def withheld(
    monthly_base: NDArray[np.integer], ratio_bp: NDArray[np.integer], months: NDArray[np.integer]
) -> Int64Array:
    """Rule A1: the part of pay withheld for assessment over the months employed."""
    base = np.asarray(monthly_base, dtype=np.int64)
    return _half_up(base * np.asarray(ratio_bp, dtype=np.int64) * np.asarray(months), ONE)


def curve_share(
    score: NDArray[np.integer], curve: tuple[tuple[int, int], ...]
) -> tuple[Int64Array, Int64Array]:
    """The payout curve at each score as an exact fraction of 1: (numerator, denominator).
    Below the first point 0; between points linear; from the last point its share."""
    s = np.asarray(score, dtype=np.int64)
    num = np.zeros(s.shape[0], dtype=np.int64)
    den = np.full(s.shape[0], ONE, dtype=np.int64)
    last_score, last_share = curve[-1]
    top = s >= last_score
    num[top] = last_share
    for (s0, b0), (s1, b1) in itertools.pairwise(curve):
        inside = (s >= s0) & (s < s1)
        span = s1 - s0
        num[inside] = b0 * span + (b1 - b0) * (s[inside] - s0)
        den[inside] = ONE * span
    return num, den


def individual_payout(
    withheld_fen: NDArray[np.integer],
    score: NDArray[np.integer],
    curve: tuple[tuple[int, int], ...],
) -> Int64Array:
    """INDIVIDUAL rule: each worker's own withheld amount x the curve at their score."""
    num, den = curve_share(score, curve)
    return _half_up(np.asarray(withheld_fen, dtype=np.int64) * num, den)


def pool_payout(
    town: NDArray[np.integer], withheld_fen: NDArray[np.integer], score: NDArray[np.integer]
) -> Int64Array:
    """POOL rule: per town, the sum withheld shared in proportion to withheld x score by
    the largest remainder (sgz_runtime.money.largest_remainder), ties to the earlier row."""
    groups = group(np.asarray(town))
    held = np.asarray(withheld_fen, dtype=np.int64)
    weight = held * np.asarray(score, dtype=np.int64)
    order = np.argsort(groups.index, kind="stable")
    bounds = np.searchsorted(groups.index[order], np.arange(groups.size + 1))
    paid = np.zeros(held.shape[0], dtype=np.int64)
    for g in range(groups.size):
        rows = order[bounds[g] : bounds[g + 1]]
        pool = int(held[rows].sum())
        weights = [int(w) for w in weight[rows]]
        if pool and not any(weights):
            raise FailedPrecondition(
                tr(
                    "nobody in the town scored above 0, so the pool cannot be shared; "
                    "use the individual rule (rule A4)"
                ),
                rule="A4",
            )
        paid[rows] = largest_remainder(pool, weights)
    return paid
