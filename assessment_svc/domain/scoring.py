"""A worker's score 0-100 (rule A4): the weighted fair rates of the measured components.

A component nobody in the town could be measured on (no escalation of that urgency at all), or
the chief's score not given yet, has no estimate: its weight is shared over the measured ones in
proportion, so nobody gains or loses for what did not happen. Nothing measured scores 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from assessment_svc.domain.metrics import Component
from assessment_svc.domain.rates import posterior_mean


def estimates(
    numerator: NDArray[np.integer],
    denominator: NDArray[np.integer],
    alpha: NDArray[np.float64],
    beta: NDArray[np.float64],
    manual: NDArray[np.float64],
) -> NDArray[np.float64]:
    """[workers, components] in 0..1, NaN where unmeasured: the empirical-Bayes estimate of
    each count under the worker's town prior (rule A2) and the chief's score / 100 in the
    MANUAL column (rule A3; NaN = none)."""
    out = posterior_mean(numerator, denominator, alpha, beta)
    out[:, Component.MANUAL] = np.asarray(manual, dtype=np.float64) / 100.0
    return out


def effective_weights(
    estimate: NDArray[np.float64], weights_bp: NDArray[np.integer]
) -> NDArray[np.float64]:
    """[workers, components]: each measured component's weight over the measured ones' sum
    (rows sum to 1, or to 0 when nothing is measured)."""
    w = np.where(np.isnan(estimate), 0.0, np.asarray(weights_bp, dtype=np.float64)[None, :])
    total = w.sum(axis=1, keepdims=True)
    out: NDArray[np.float64] = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    return out


def scores(estimate: NDArray[np.float64], weights_bp: NDArray[np.integer]) -> NDArray[np.int64]:
    """Scores in hundredths of a point (0..10000), rounded half up."""
    w = effective_weights(estimate, weights_bp)
    value = (w * np.nan_to_num(estimate, nan=0.0)).sum(axis=1) * 10_000
    out: NDArray[np.int64] = np.floor(value + 0.5 + 1e-9).astype(np.int64)
    return out
