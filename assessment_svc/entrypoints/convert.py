"""Conversions between assessment protos and plain values, all in one place."""

from __future__ import annotations

import math
import re
from typing import Any

from sgz.assessment.v1 import assessment_pb2 as pb
from sgz.common.v1 import types_pb2

from assessment_svc.domain.metrics import Component
from assessment_svc.domain.pay_runs import ManualScore, PayRun, RunState, YearlyResult
from assessment_svc.domain.policy import ONE, PayoutRule, PayPolicy
from assessment_svc.domain.rates import METHOD, MIN_STRENGTH
from assessment_svc.service_layer import commands
from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.periods import Period
from sgz_runtime.proto_values import date_to_pb, required_date, timestamp_to_pb

_RULES: dict[Any, PayoutRule] = {
    pb.PAYOUT_RULE_INDIVIDUAL: PayoutRule.INDIVIDUAL,
    pb.PAYOUT_RULE_POOL: PayoutRule.POOL,
}
_RULES_PB = {v: k for k, v in _RULES.items()}
_STATES_PB: dict[RunState, Any] = {
    RunState.DRAFT: pb.PAY_RUN_STATE_DRAFT,
    RunState.APPROVED: pb.PAY_RUN_STATE_APPROVED,
    RunState.PREVIEW: pb.PAY_RUN_STATE_PREVIEW,
}


def component_from_pb(value: int, field: str) -> Component:
    if not 1 <= value <= len(Component):
        raise InvalidArgument.field(field, tr("names no component of the score"))
    return Component(value - 1)


def component_to_pb(component: Component) -> Any:
    return component.value + 1


def weights_from_pb(weights: Any, field: str) -> dict[Component, float]:
    out: dict[Component, float] = {}
    for i, w in enumerate(weights):
        out[component_from_pb(w.component, f"{field}[{i}].component")] = w.weight
    return out


def weights_to_pb(weights_bp: tuple[int, ...]) -> list[pb.ComponentWeight]:
    return [
        pb.ComponentWeight(component=component_to_pb(c), weight=weights_bp[c] / ONE)
        for c in Component
    ]


def rule_from_pb(value: Any, field: str, *, required: bool) -> PayoutRule | None:
    if value in _RULES:
        return _RULES[value]
    if required:
        raise InvalidArgument.field(field, tr("choose the individual or the pool rule (rule A4)"))
    return None


def period_from_text(text: str, field: str = "period") -> Period:
    return Period.parse(text, field)


def money(fen: int) -> types_pb2.Money:
    return types_pb2.Money(fen=fen)


def policy_from_pb(request: pb.CreatePayPolicyRequest, town: str) -> commands.CreatePayPolicy:
    p = request.policy
    problems: list[FieldViolation] = []
    rule = None
    effective = None
    try:
        rule = rule_from_pb(p.payout_rule, "policy.payout_rule", required=True)
    except InvalidArgument as exc:
        problems.extend(exc.violations)
    try:
        effective = required_date(p.effective_date, "policy.effective_date")
    except InvalidArgument as exc:
        problems.extend(exc.violations)
    if problems or rule is None or effective is None:
        raise InvalidArgument.of(problems)
    return commands.CreatePayPolicy(
        town=town,
        policy_id=p.name.rsplit("/", 1)[-1] if p.name else "",
        effective_from=effective,
        weights=weights_from_pb(p.weights, "policy.weights"),
        payout_rule=rule,
        curve=tuple((c.score, c.share) for c in p.payout_curve),
        max_prior_strength=p.max_prior_strength,
        pass_mark=p.pass_mark,
    )


def policy_to_pb(policy: PayPolicy) -> pb.PayPolicy:
    name = policy.version if "/" in policy.version else f"towns/-/payPolicies/{policy.version}"
    return pb.PayPolicy(
        name=name,
        effective_date=date_to_pb(policy.effective_from),
        weights=weights_to_pb(policy.weights_bp),
        payout_rule=_RULES_PB[policy.payout_rule],
        payout_curve=[pb.CurvePoint(score=s / 100, share=b / ONE) for s, b in policy.curve],
        max_prior_strength=policy.max_prior_strength,
        pass_mark=policy.pass_mark / 100,
    )


def manual_score_to_pb(score: ManualScore) -> pb.ManualScore:
    return pb.ManualScore(
        worker=score.worker,
        period=score.period,
        score=score.score / 100,
        reason=score.reason,
        scored_by=score.scored_by,
        score_time=timestamp_to_pb(score.scored_at),
    )


_METHOD = re.compile(rf"^{METHOD}\(max_prior_strength=(\d+)\)$")


def method_text(method: str) -> str:
    """The fair-rate method in words, in the caller's language."""
    found = _METHOD.match(method)
    if not found:
        return method
    return tr(
        "empirical-Bayes beta-binomial: each component's prior Beta(alpha, beta) is fitted to "
        "the town's workers by the method of moments, its strength kept within {low} to "
        "{high}; a worker's estimate is (numerator + alpha) / (denominator + alpha + beta)",
        low=int(MIN_STRENGTH),
        high=found[1],
    ).render()


def _f(value: float) -> float:
    return value if not math.isnan(value) else math.nan


def run_to_pb(run: PayRun, *, with_lines: bool = True) -> pb.PayRun:
    lines = []
    if with_lines:
        for line in run.lines:
            lines.append(
                pb.PayLine(
                    worker=line.worker,
                    display_name=line.display_name,
                    metrics=[
                        pb.MetricExplanation(
                            component=component_to_pb(m.component),
                            numerator=m.numerator,
                            denominator=m.denominator,
                            estimate=_f(m.estimate),
                            prior_alpha=_f(m.prior_alpha),
                            prior_beta=_f(m.prior_beta),
                            weight=m.weight_bp / ONE,
                            effective_weight=m.effective_weight,
                        )
                        for m in line.metrics
                    ],
                    manual_score=line.manual.score / 100 if line.manual else 0.0,
                    manual_reason=line.manual.reason if line.manual else "",
                    manual_scored_by=line.manual.scored_by if line.manual else "",
                    score=line.score / 100,
                    monthly_base=money(line.monthly_base),
                    withholding_ratio_bp=line.ratio_bp,
                    months_employed=line.months,
                    withheld=money(line.withheld),
                    paid=money(line.paid),
                    previously_paid=money(line.previously_paid),
                    expense=line.expense,
                )
            )
    policy = run.policy_version
    return pb.PayRun(
        name=run.name if run.id else "",
        period=run.period,
        state=_STATES_PB[run.state],
        policy=policy if "/" in policy else f"towns/-/payPolicies/{policy}",
        payout_rule=_RULES_PB[run.payout_rule],
        weights=weights_to_pb(run.weights_bp),
        method=method_text(run.method),
        lines=lines,
        total_withheld=money(run.total_withheld),
        total_paid=money(run.total_paid),
        corrects=run.corrects or "",
        created_by=run.created_by,
        create_time=timestamp_to_pb(run.created_at),
        approved_by=run.approved_by or "",
        approve_time=timestamp_to_pb(run.approved_at),
    )


def yearly_to_pb(result: YearlyResult) -> pb.YearlyResult:
    return pb.YearlyResult(
        worker=result.worker,
        year=result.year,
        passed=result.passed,
        decided_by=result.decided_by,
        decide_time=timestamp_to_pb(result.decided_at),
        score=result.score / 100,
        town=result.town,
        reason=result.reason,
        pass_mark=result.pass_mark / 100,
    )
