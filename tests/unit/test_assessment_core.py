"""The assessment's numeric core (rules A2-A4) on its own: arrays in, arrays out.

Expected figures are worked out by hand below (the arithmetic of each step is written out),
never computed with the code under test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from assessment_svc.domain import pay
from assessment_svc.domain.assess import Facts, Staff, compute
from assessment_svc.domain.grouping import group
from assessment_svc.domain.metrics import Component, Outcome, Urgency, metric_counts
from assessment_svc.domain.policy import PayoutRule, default_policy, weights_from_fractions
from assessment_svc.domain.rates import fit_beta_prior, posterior_mean
from sgz_runtime.errors import InvalidArgument

MET, LATE, OVER, PEND, CANC = (
    Outcome.MET,
    Outcome.LATE,
    Outcome.OVERDUE,
    Outcome.PENDING,
    Outcome.CANCELLED,
)
IMM, PRO = Urgency.IMMEDIATE, Urgency.PROMPT


def _i64(values: list[int]) -> NDArray[np.int64]:
    return np.asarray(values, dtype=np.int64)


def _facts(
    weeks: Sequence[tuple[int, int, int]], escalations: Sequence[tuple[int, int, int, int]]
) -> Facts:
    """weeks: (worker, due, covered); escalations: (worker, urgency, contact, action)."""
    return Facts(
        week_worker=_i64([w for w, _, _ in weeks]),
        due=_i64([d for _, d, _ in weeks]),
        covered=_i64([c for _, _, c in weeks]),
        esc_worker=_i64([e[0] for e in escalations]),
        urgency=_i64([e[1] for e in escalations]),
        contact_outcome=_i64([e[2] for e in escalations]),
        action_outcome=_i64([e[3] for e in escalations]),
    )


# The worked example: town 1, four workers, 2026H1, the city's default policy (weights
# coverage .40, immediate contact .15, prompt contact .10, action .10, ledger .05, manual .20;
# individual curve: nothing below 60, 60% of withheld at 60 rising linearly to 100% at 90).
WORKED_WEEKS = [
    # 101: 10 persons all half-year (26 weeks): due 260, covered 252 (split over two rows).
    (101, 130, 128),
    (101, 130, 124),
    # 102: due 260, covered 208.
    (102, 260, 208),
    # 103: due 260, covered 247; one week a substitute's visits were credited beyond due.
    (103, 250, 237),
    (103, 10, 12),
    # 104 joined on 1 April: 13 weeks of nothing due, then 10 persons for 13 weeks.
    *[(104, 0, 0)] * 13,
    (104, 130, 126),
]
WORKED_ESCALATIONS = [
    (101, IMM, MET, MET),
    (101, IMM, MET, MET),
    (101, PRO, MET, MET),
    (101, PRO, MET, MET),
    (101, PRO, MET, MET),
    (101, PRO, MET, LATE),
    (101, PRO, MET, MET),
    (101, PRO, LATE, MET),
    (102, IMM, OVER, OVER),
    (102, PRO, MET, MET),
    (102, PRO, MET, LATE),
    (102, PRO, LATE, LATE),
    (102, PRO, LATE, OVER),
    (102, PRO, PEND, PEND),  # still pending: not held against anyone yet
    (104, PRO, MET, MET),
    (104, IMM, CANC, CANC),  # cancelled before its deadline: not counted
]
WORKED_STAFF = Staff(
    worker=_i64([101, 102, 103, 104]),
    town=_i64([1, 1, 1, 1]),
    monthly_base=_i64([300_000, 300_000, 320_000, 300_000]),
    ratio_bp=_i64([1000, 1500, 1000, 1000]),
    months=_i64([6, 6, 6, 3]),
    manual=np.asarray([90.0, 70.0, np.nan, 80.0]),
)


def test_worked_example_of_one_town_of_four_to_the_fen_under_both_rules() -> None:
    """Rules A2-A4, by hand.

    Counts (numerator/denominator) per worker: coverage, immediate contact, prompt contact,
    action, ledger (contact and action steps recorded at all):
      101: 252/260, 2/2, 5/6, 7/8, 16/16       102: 208/260, 0/1, 2/4, 1/5, 7/10
      103: 247/260 (237 + min(12, 10)), 0/0, 0/0, 0/0, 0/0
      104: 126/130, 0/0, 1/1, 1/1, 2/2         (the cancelled and the pending are left out)

    Town prior per component (method of moments, max strength 100):
      coverage: m = 833/910 = .915385; raw rates .969231 .8 .95 .969231;
        v = mean (r - m)^2 = .00507766; chance m(1-m)mean(1/n) = .00037238; tau2 = .00470528;
        s = m(1-m)/tau2 - 1 = 15.4614; alpha = 14.15315, beta = 1.30827
      immediate: m = 2/3; v = (1/9 + 4/9)/2 = .277778; chance = (2/9)(1/2 + 1)/2 = .166667;
        tau2 = .111111; s = 1 -> clipped to 2: alpha = 1.33333, beta = .66667
      prompt: m = 8/11 = .727273; v = .0457606 < chance .0936639: s = 100;
        alpha = 72.72727, beta = 27.27273
      action: m = 9/14 = .642857; v = .1258546, chance = .1014031, tau2 = .0244515,
        s = 8.38967; alpha = 5.39336, beta = 2.99631
      ledger: m = 25/28 = .892857; v = .0200510 < chance .0211256: s = 100;
        alpha = 89.28571, beta = 10.71429

    Estimates (k + alpha)/(n + alpha + beta), then the score = sum weight x estimate x 100:
      101: .966208 .833333 .733276 .756169 .907635, manual .90 -> 88.580965 -> 88.58
      102: .806476 .444444 .718531 .477484 .875325, manual .70 -> 69.262507 -> 69.26
      103: .948057 .666667 .727273 .642857 .892857, no manual score: its .20 is shared over
           the other .80 -> (sum of .8 of the weighted estimates)/.8 = 82.609834 -> 82.61
      104: .963507 .666667 .729973 .680893 .894958, manual .80 -> 83.123742 -> 83.12

    Withheld = base x ratio x months: 101: 3000.00 x 10% x 6 = 1800.00; 102: 3000.00 x 15% x 6
    = 2700.00; 103: 3200.00 x 10% x 6 = 1920.00; 104: 3000.00 x 10% x 3 = 900.00. Pool 7320.00.

    Individual: share = .6 + .4 (score - 60)/30: 101: .981067 x 180000 = 176592.0;
    102: .723467 x 270000 = 195336.0; 103: .901467 x 192000 = 173081.6 -> 173082;
    104: .908267 x 90000 = 81744.0.

    Pool: weights withheld x score(hundredths): 1,594,440,000; 1,870,020,000; 1,586,112,000;
    748,080,000 (sum 5,798,652,000). Exact shares of 732000: 201276.103, 236064.285,
    200224.808, 94434.803; floors sum to 731998; the 2 fen left go to the largest remainders
    (103: .808, 104: .803): 201276, 236064, 200225, 94435 = 732000.
    """
    facts = _facts(WORKED_WEEKS, WORKED_ESCALATIONS)
    individual = compute(facts, WORKED_STAFF, default_policy())
    assert individual.numerator.tolist() == [
        [252, 2, 5, 7, 16, 0],
        [208, 0, 2, 1, 7, 0],
        [247, 0, 0, 0, 0, 0],
        [126, 0, 1, 1, 2, 0],
    ]
    assert individual.denominator.tolist() == [
        [260, 2, 6, 8, 16, 0],
        [260, 1, 4, 5, 10, 0],
        [260, 0, 0, 0, 0, 0],
        [130, 0, 1, 1, 2, 0],
    ]
    assert individual.alpha[0, :5] == pytest.approx(
        [14.15315, 1.33333, 72.72727, 5.39336, 89.28571], abs=1e-5
    )
    assert individual.estimate[2, :5] == pytest.approx(
        [0.948057, 0.666667, 0.727273, 0.642857, 0.892857], abs=1e-6
    )
    assert math.isnan(individual.estimate[2, Component.MANUAL])
    assert individual.score.tolist() == [8858, 6926, 8261, 8312]
    assert individual.withheld.tolist() == [180_000, 270_000, 192_000, 90_000]
    assert individual.paid.tolist() == [176_592, 195_336, 173_082, 81_744]

    pooled = compute(facts, WORKED_STAFF, replace(default_policy(), payout_rule=PayoutRule.POOL))
    assert pooled.score.tolist() == [8858, 6926, 8261, 8312]
    assert pooled.paid.tolist() == [201_276, 236_064, 200_225, 94_435]
    assert int(pooled.paid.sum()) == 732_000


def test_one_of_one_does_not_outrank_forty_nine_of_fifty() -> None:
    """Rule A2: raw rates put 1/1 (100%) above 49/50 (98%); the town's prior does not.
    Town rates 49/50, 1/1, 40/45, 30/36: m = 120/132 = .909; the prior pulls 1/1 to about
    the town's rate, while 49/50 keeps close to its own .98."""
    k = _i64([49, 1, 40, 30]).reshape(4, 1)
    n = _i64([50, 1, 45, 36]).reshape(4, 1)
    alpha, beta = fit_beta_prior(k, n, _i64([0, 0, 0, 0]), 1, 100)
    est = posterior_mean(k, n, alpha[[0, 0, 0, 0]], beta[[0, 0, 0, 0]])[:, 0]
    assert est[1] < est[0]
    assert 0.90 < est[1] < 0.93


def test_mid_period_joiner_is_measured_only_on_the_weeks_they_were_responsible_for() -> None:
    """Rule A2: a worker who joined on 1 April has nothing due before; their coverage is
    126/130, exactly that of the 13 weeks they held, and their withheld part counts 3 months
    (rule A1): 3000.00 x 10% x 3 = 900.00."""
    facts = _facts([*[(7, 0, 0)] * 13, *[(7, 10, 10)] * 12, (7, 10, 6)], [])
    counts = metric_counts(
        week_worker=facts.week_worker,
        due=facts.due,
        covered=facts.covered,
        esc_worker=facts.esc_worker,
        urgency=facts.urgency,
        contact_outcome=facts.contact_outcome,
        action_outcome=facts.action_outcome,
    )
    assert counts.workers.tolist() == [7]
    assert counts.numerator[0, Component.COVERAGE] == 126
    assert counts.denominator[0, Component.COVERAGE] == 130
    assert pay.withheld(_i64([300_000]), _i64([1000]), _i64([3])).tolist() == [90_000]


def test_weights_that_do_not_sum_to_one_are_refused_naming_rule_a4() -> None:
    weights = {c: 0.2 for c in Component}  # 6 x .2 = 1.2
    with pytest.raises(InvalidArgument) as refused:
        weights_from_fractions(weights, "weights")
    assert refused.value.rule == "A4"
    assert "1.2000" in refused.value.message


def test_payout_curve_pays_nothing_below_its_first_point_and_all_from_its_last() -> None:
    """Rule A4, curve (60 -> 60%, 90 -> 100%): 59.99 -> 0; 60 -> 600.00 of 1000.00;
    75 -> 80% = 800.00; 95 -> 1000.00."""
    paid = pay.individual_payout(
        _i64([100_000] * 4), _i64([5999, 6000, 7500, 9500]), ((6000, 6000), (9000, 10000))
    )
    assert paid.tolist() == [0, 60_000, 80_000, 100_000]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(-(2**40), 2**40), max_size=50),
    st.lists(st.integers(0, 30), max_size=50),
)
def test_sort_based_grouping_matches_np_unique_on_wide_and_narrow_keys(
    wide: list[int], narrow: list[int]
) -> None:
    """Both paths of the grouping (binary search for wide spans, a table for narrow ones)."""
    for keys in (_i64(wide), _i64(narrow)):
        found = group(keys)
        uniques, inverse = np.unique(keys, return_inverse=True)
        assert found.keys.tolist() == uniques.tolist()
        assert found.index.tolist() == inverse.tolist()


def test_sort_based_grouping_matches_np_unique() -> None:
    keys = _i64([9_000_000_000_123, 5, -3, 5, 9_000_000_000_123, 0])
    found = group(keys)
    uniques, inverse = np.unique(keys, return_inverse=True)
    assert found.keys.tolist() == uniques.tolist()
    assert found.index.tolist() == inverse.tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # town
            st.integers(0, 2_000_000),  # withheld fen
            st.integers(1, 10_000),  # score in hundredths
        ),
        min_size=1,
        max_size=12,
    )
)
def test_pool_rule_always_pays_exactly_the_pool_of_each_town(
    rows: list[tuple[int, int, int]],
) -> None:
    """Rule A4: the largest remainder makes each town's sum paid its pool, to the fen."""
    town = _i64([r[0] for r in rows])
    held = _i64([r[1] for r in rows])
    paid = pay.pool_payout(town, held, _i64([r[2] for r in rows]))
    for t in set(town.tolist()):
        assert int(paid[town == t].sum()) == int(held[town == t].sum())
    assert (paid >= 0).all()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4), st.integers(0, 6)), max_size=30),
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from([1, 2]), st.integers(1, 5), st.integers(1, 5)),
        max_size=30,
    ),
)
def test_metric_counts_equal_the_rule_counted_row_by_row(
    weeks: list[tuple[int, int, int]], escalations: list[tuple[int, int, int, int]]
) -> None:
    """Rule A2 counted plainly, one row at a time, against the array version."""
    workers = sorted({w for w, _, _ in weeks} | {e[0] for e in escalations})
    expected: dict[int, list[int]] = {w: [0] * 10 for w in workers}
    for w, due, covered in weeks:
        expected[w][0] += min(covered, due)
        expected[w][1] += due
    judged, recorded = {1, 2, 3}, {1, 2}
    for w, urgency, contact, action in escalations:
        row = expected[w]
        column = 2 if urgency == 1 else 4
        row[column] += contact == 1
        row[column + 1] += contact in judged
        row[6] += action == 1
        row[7] += action in judged
        row[8] += (contact in recorded) + (action in recorded)
        row[9] += (contact in judged) + (action in judged)
    facts = _facts(weeks, escalations)
    counts = metric_counts(
        week_worker=facts.week_worker,
        due=facts.due,
        covered=facts.covered,
        esc_worker=facts.esc_worker,
        urgency=facts.urgency,
        contact_outcome=facts.contact_outcome,
        action_outcome=facts.action_outcome,
    )
    assert counts.workers.tolist() == workers
    found = {
        w: [v for pair in zip(n[:5], d[:5], strict=True) for v in pair]
        for w, n, d in zip(
            counts.workers.tolist(),
            counts.numerator.tolist(),
            counts.denominator.tolist(),
            strict=True,
        )
    }
    assert found == expected
