"""Fair rates over small counts (rule A2): empirical-Bayes beta-binomial estimates.

A raw rate ranks 1 of 1 above 49 of 50. Each component's rates across a town's workers are
taken as draws from a Beta(alpha, beta) prior fitted by the method of moments:

    m    = sum(k) / sum(n)                                   the town's pooled rate
    v    = mean over workers with n > 0 of (k/n - m)^2       the spread of raw rates
    tau2 = v - m(1 - m) * mean(1/n)                          less what chance alone explains
    s    = m(1 - m) / tau2 - 1, kept within [MIN_STRENGTH, max_strength]  (max when tau2 <= 0)
    alpha = m * s, beta = (1 - m) * s

and a worker's estimate is the posterior mean (k + alpha) / (n + alpha + beta). Few counts
stay near the town's rate; many counts speak for themselves; a worker with nothing to count
gets the town's rate, neither rewarded nor punished for what did not happen. 1 of 1 lands
below 49 of 50 exactly when m < 48/49 - 1/(49 s), so always while the town's rate is under 96.9%
(s >= 2), and under 97.9% with the default strongest prior. m is kept 0.5/(sum(n) + 1) away
from 0 and 1 so the prior stays proper.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

METHOD = "empirical_bayes_beta_binomial_method_of_moments"
#: The weakest prior: the town's rate counts as two observations at least.
MIN_STRENGTH = 2.0


def fit_beta_prior(
    successes: NDArray[np.integer],
    trials: NDArray[np.integer],
    group_index: NDArray[np.integer],
    groups: int,
    max_strength: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """successes, trials: [workers, components]; group_index: each worker's group (town).
    Returns alpha, beta: [groups, components]; NaN where a group has no trials at all."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    g = np.asarray(group_index, dtype=np.int64)
    columns = k.shape[1]
    alpha = np.full((groups, columns), np.nan)
    beta = np.full((groups, columns), np.nan)
    for c in range(columns):
        kc, nc = k[:, c], n[:, c]
        total_k = np.bincount(g, weights=kc, minlength=groups)
        total_n = np.bincount(g, weights=nc, minlength=groups)
        some = total_n > 0
        eps = 0.5 / (total_n + 1)
        m = np.clip(np.divide(total_k, total_n, out=np.zeros(groups), where=some), eps, 1 - eps)
        measured = nc > 0
        rate = np.divide(kc, nc, out=np.zeros_like(kc), where=measured)
        workers = np.bincount(g, weights=measured.astype(np.float64), minlength=groups)
        dev = np.where(measured, (rate - m[g]) ** 2, 0.0)
        inv_n = np.divide(1.0, nc, out=np.zeros_like(nc), where=measured)
        v = np.divide(
            np.bincount(g, weights=dev, minlength=groups),
            workers,
            where=workers > 0,
            out=np.zeros(groups),
        )
        noise = (
            m
            * (1 - m)
            * np.divide(
                np.bincount(g, weights=inv_n, minlength=groups),
                workers,
                where=workers > 0,
                out=np.zeros(groups),
            )
        )
        tau2 = v - noise
        strength = np.full(groups, float(max_strength))
        spread = tau2 > 0
        strength[spread] = m[spread] * (1 - m[spread]) / tau2[spread] - 1
        strength = np.clip(strength, MIN_STRENGTH, max_strength)
        alpha[some, c] = (m * strength)[some]
        beta[some, c] = ((1 - m) * strength)[some]
    return alpha, beta


def posterior_mean(
    successes: NDArray[np.integer],
    trials: NDArray[np.integer],
    alpha: NDArray[np.float64],
    beta: NDArray[np.float64],
) -> NDArray[np.float64]:
    """(k + alpha) / (n + alpha + beta), elementwise; NaN where the prior is NaN."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    out: NDArray[np.float64] = (k + alpha) / (n + alpha + beta)
    return out
