"""The whole numeric core of a pay run (rules A2-A4) as one pure function: fact arrays and pay
terms in, every figure of every worker's pay out. No I/O; the service and the benchmark call it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from assessment_svc.domain import pay, scoring
from assessment_svc.domain.grouping import Int64Array, group
from assessment_svc.domain.metrics import metric_counts
from assessment_svc.domain.policy import PayoutRule, PayPolicy
from assessment_svc.domain.rates import fit_beta_prior

Float64Array = NDArray[np.float64]


@dataclass(frozen=True)
class Facts:
    """Rows of person-weeks (any grain) and rows of escalations, keyed by worker (int64)."""

    week_worker: Int64Array
    due: Int64Array
    covered: Int64Array
    esc_worker: Int64Array
    urgency: Int64Array
    contact_outcome: Int64Array
    action_outcome: Int64Array

    @property
    def empty(self) -> bool:
        return int(self.due.sum()) == 0 and self.esc_worker.shape[0] == 0


@dataclass(frozen=True)
class Staff:
    """The workers paid, from HR's pay terms (rule A1): one row each."""

    worker: Int64Array
    town: Int64Array
    monthly_base: Int64Array
    ratio_bp: Int64Array
    months: Int64Array
    #: The chief's score 0-100 (rule A3); NaN when not given.
    manual: Float64Array


@dataclass(frozen=True)
class Computation:
    """Rows in the order of Staff's rows."""

    numerator: Int64Array
    denominator: Int64Array
    #: The town's fitted prior of each component (rates.py), per worker row.
    alpha: Float64Array
    beta: Float64Array
    estimate: Float64Array
    weight: Float64Array
    score: Int64Array
    withheld: Int64Array
    paid: Int64Array


def compute(facts: Facts, staff: Staff, policy: PayPolicy) -> Computation:
    order = np.argsort(staff.worker, kind="stable")
    keys = staff.worker[order]
    counts = metric_counts(
        week_worker=facts.week_worker,
        due=facts.due,
        covered=facts.covered,
        esc_worker=facts.esc_worker,
        urgency=facts.urgency,
        contact_outcome=facts.contact_outcome,
        action_outcome=facts.action_outcome,
        workers=keys,
    )
    back = np.empty_like(order)
    back[order] = np.arange(order.shape[0])
    numerator, denominator = counts.numerator[back], counts.denominator[back]
    towns = group(staff.town)
    alpha, beta = fit_beta_prior(
        numerator, denominator, towns.index, towns.size, policy.max_prior_strength
    )
    alpha, beta = alpha[towns.index], beta[towns.index]
    estimate = scoring.estimates(numerator, denominator, alpha, beta, staff.manual)
    weights = np.asarray(policy.weights_bp, dtype=np.int64)
    score = scoring.scores(estimate, weights)
    held = pay.withheld(staff.monthly_base, staff.ratio_bp, staff.months)
    if policy.payout_rule is PayoutRule.POOL:
        paid = pay.pool_payout(staff.town, held, score)
    else:
        paid = pay.individual_payout(held, score, policy.curve)
    return Computation(
        numerator=numerator,
        denominator=denominator,
        alpha=alpha,
        beta=beta,
        estimate=estimate,
        weight=scoring.effective_weights(estimate, weights),
        score=score,
        withheld=held,
        paid=paid,
    )
