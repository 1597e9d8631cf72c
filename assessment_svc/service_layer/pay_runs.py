"""Pay-run use cases (rules A1-A4): compute a draft from the visit facts and HR's pay terms,
preview a what-if, approve once (finance first, with request ids derived from the run, so a
retry posts nothing twice), and the chief's score (rule A3)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from assessment_svc.adapters.finance_client import ExpenseSink, PerformancePay
from assessment_svc.adapters.hr_client import PayTerms, PayTermsSource
from assessment_svc.adapters.visit_client import VisitFacts
from assessment_svc.domain.assess import Computation, Facts, Staff, compute
from assessment_svc.domain.metrics import COMPONENTS, week_counts_in
from assessment_svc.domain.pay_runs import (
    ManualScore,
    MetricLine,
    PayLine,
    PayRun,
    RunState,
    check_approval,
    check_manual_score,
    require_chief,
    require_town,
)
from assessment_svc.domain.policy import PayPolicy, policy_on, weights_from_fractions
from assessment_svc.domain.rates import METHOD
from assessment_svc.service_layer import commands
from assessment_svc.service_layer.unit_of_work import AssessmentUnitOfWork
from sgz_runtime import names
from sgz_runtime.errors import FailedPrecondition, NotFound, PermissionDenied
from sgz_runtime.i18n import Text, tr
from sgz_runtime.identity import Caller, Role
from sgz_runtime.periods import Period

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def new_run_id(now: datetime) -> str:
    """Time-ordered, so the newest run sorts last: `r` + 13 hex digits of microseconds + 18
    random hex digits."""
    micros = int(now.timestamp() * 1_000_000)
    return f"r{micros:013x}{secrets.token_hex(9)}"


def town_of(parent: str, field: str = "parent") -> str:
    (town_id,) = names.parse(field, parent, "towns")
    return f"towns/{town_id}"


def refuse_worker(caller: Caller, what: Text) -> None:
    if caller.role is Role.STATION_WORKER:
        raise PermissionDenied(
            tr("a station worker may not {what} (rule A4)", what=what), rule="A4"
        )


@dataclass(frozen=True)
class Assessed:
    """A town's period computed: the pay terms (rows of the computation) and every figure."""

    terms: list[PayTerms]
    computation: Computation


def assess_town(
    town: str,
    period: Period,
    policy: PayPolicy,
    manual: dict[str, ManualScore],
    visits: VisitFacts,
    hr: PayTermsSource,
) -> Assessed:
    """Reads the facts and pay terms and runs the numeric core. Refuses a period without
    facts (rule A2) or without anyone to pay (rule A1)."""
    found = visits.town_facts(town, period.first, period.last)
    weeks = [w for w in found.weeks if week_counts_in(w.week_start, period.first, period.last)]
    escalations = [
        e for e in found.escalations if week_counts_in(e.week_start, period.first, period.last)
    ]
    if sum(w.due for w in weeks) == 0 and not escalations:
        raise FailedPrecondition(
            tr(
                "{town} has no visit facts for {period} yet: nothing can be measured (rule A2)",
                town=town,
                period=period.name,
            ),
            rule="A2",
        )
    terms = sorted(hr.pay_terms(town, period), key=lambda t: t.worker)
    if not terms:
        raise FailedPrecondition(
            tr(
                "HR has no worker with pay terms in {town} for {period} (rule A1)",
                town=town,
                period=period.name,
            ),
            rule="A1",
        )
    everyone = sorted(
        {t.worker for t in terms} | {w.worker for w in weeks} | {e.worker for e in escalations}
    )
    key = {worker: i for i, worker in enumerate(everyone)}

    def ints(values: Sequence[int]) -> np.ndarray:  # type: ignore[type-arg]
        return np.asarray(values, dtype=np.int64)

    facts = Facts(
        week_worker=ints([key[w.worker] for w in weeks]),
        due=ints([w.due for w in weeks]),
        covered=ints([w.covered for w in weeks]),
        esc_worker=ints([key[e.worker] for e in escalations]),
        urgency=ints([e.urgency for e in escalations]),
        contact_outcome=ints([e.contact for e in escalations]),
        action_outcome=ints([e.action for e in escalations]),
    )
    staff = Staff(
        worker=ints([key[t.worker] for t in terms]),
        town=ints([0] * len(terms)),
        monthly_base=ints([t.monthly_base for t in terms]),
        ratio_bp=ints([t.withholding_ratio_bp for t in terms]),
        months=ints([t.months_employed for t in terms]),
        manual=np.asarray(
            [manual[t.worker].score / 100 if t.worker in manual else np.nan for t in terms],
            dtype=np.float64,
        ),
    )
    return Assessed(terms, compute(facts, staff, policy))


def _lines(
    assessed: Assessed,
    policy: PayPolicy,
    manual: dict[str, ManualScore],
    previous: PayRun | None,
) -> tuple[PayLine, ...]:
    c = assessed.computation
    before = {line.worker: line.paid for line in previous.lines} if previous else {}
    out: list[PayLine] = []
    for row, terms in enumerate(assessed.terms):
        metrics = tuple(
            MetricLine(
                component=component,
                numerator=int(c.numerator[row, component]),
                denominator=int(c.denominator[row, component]),
                estimate=float(c.estimate[row, component]),
                prior_alpha=float(c.alpha[row, component]),
                prior_beta=float(c.beta[row, component]),
                weight_bp=policy.weights_bp[component],
                effective_weight=float(c.weight[row, component]),
            )
            for component in COMPONENTS
        )
        out.append(
            PayLine(
                worker=terms.worker,
                display_name=terms.display_name,
                metrics=metrics,
                manual=manual.get(terms.worker),
                score=int(c.score[row]),
                monthly_base=terms.monthly_base,
                ratio_bp=terms.withholding_ratio_bp,
                months=terms.months_employed,
                withheld=int(c.withheld[row]),
                paid=int(c.paid[row]),
                previously_paid=before.get(terms.worker, 0),
            )
        )
    return tuple(out)


def method_of(policy: PayPolicy) -> str:
    """The fair-rate method and its parameter, kept with the run (rendered in words on the
    way out)."""
    return f"{METHOD}(max_prior_strength={policy.max_prior_strength})"


def _draft(
    town: str,
    period: Period,
    policy: PayPolicy,
    manual: dict[str, ManualScore],
    previous: PayRun | None,
    visits: VisitFacts,
    hr: PayTermsSource,
    caller: Caller,
    now: datetime,
    state: RunState,
) -> PayRun:
    assessed = assess_town(town, period, policy, manual, visits, hr)
    return PayRun(
        id=new_run_id(now) if state is RunState.DRAFT else "",
        town=town,
        period=period.name,
        state=state,
        policy_version=policy.version,
        payout_rule=policy.payout_rule,
        weights_bp=policy.weights_bp,
        method=method_of(policy),
        lines=_lines(assessed, policy, manual, previous),
        created_by=caller.subject,
        created_at=now,
        corrects=previous.name if previous else None,
    )


def compute_pay_run(
    cmd: commands.ComputePayRun,
    uow: AssessmentUnitOfWork,
    visits: VisitFacts,
    hr: PayTermsSource,
    *,
    caller: Caller,
    clock: Clock = system_clock,
) -> PayRun:
    """Rule A4: a saved draft. An approved run is never recomputed: once the period has one,
    only a run naming it as corrected may be computed."""
    require_town(caller, cmd.town)
    refuse_worker(caller, tr("compute performance pay"))
    with uow:
        policy = policy_on(uow.repo.policies(cmd.town), cmd.town, cmd.period.first)
        manual = uow.repo.manual_scores(cmd.town, cmd.period.name)
        approved = uow.repo.latest_approved(cmd.town, cmd.period.name)
    if approved is not None and cmd.corrects != approved.name:
        raise FailedPrecondition(
            tr(
                "{period} of {town} already has the approved run {approved}; compute a new "
                "run that corrects it (rule A4)",
                period=cmd.period.name,
                town=cmd.town,
                approved=approved.name,
            ),
            rule="A4",
        )
    if approved is None and cmd.corrects:
        raise FailedPrecondition(
            tr(
                "{period} of {town} has no approved run to correct (rule A4)",
                period=cmd.period.name,
                town=cmd.town,
            ),
            rule="A4",
        )
    run = _draft(
        cmd.town,
        cmd.period,
        policy,
        manual,
        approved,
        visits,
        hr,
        caller,
        clock(),
        RunState.DRAFT,
    )
    with uow:
        uow.repo.add_run(run)
        uow.commit()
    return run


def preview_pay_run(
    cmd: commands.PreviewPayRun,
    uow: AssessmentUnitOfWork,
    visits: VisitFacts,
    hr: PayTermsSource,
    *,
    caller: Caller,
    clock: Clock = system_clock,
) -> PayRun:
    """A what-if under other weights or the other payout rule; nothing is saved."""
    require_town(caller, cmd.town)
    refuse_worker(caller, tr("compute performance pay"))
    with uow:
        policy = policy_on(uow.repo.policies(cmd.town), cmd.town, cmd.period.first)
        manual = uow.repo.manual_scores(cmd.town, cmd.period.name)
        approved = uow.repo.latest_approved(cmd.town, cmd.period.name)
    if cmd.weights is not None:
        policy = replace(policy, weights_bp=weights_from_fractions(cmd.weights, "weights"))
    if cmd.payout_rule is not None:
        policy = replace(policy, payout_rule=cmd.payout_rule)
    return _draft(
        cmd.town,
        cmd.period,
        policy,
        manual,
        approved,
        visits,
        hr,
        caller,
        clock(),
        RunState.PREVIEW,
    )


def run_name(name: str, field: str = "name") -> tuple[str, str]:
    town_id, run_id = names.parse(field, name, "towns", "payRuns")
    return f"towns/{town_id}", run_id


def get_pay_run(name: str, uow: AssessmentUnitOfWork, *, caller: Caller) -> PayRun:
    town, run_id = run_name(name)
    if not caller.sees_town(town):
        raise NotFound(name)
    with uow:
        run = uow.repo.get_run(town, run_id)
    if run is None:
        raise NotFound(name)
    return run


def list_pay_runs(
    town: str,
    period: str | None,
    before: str | None,
    limit: int,
    uow: AssessmentUnitOfWork,
    *,
    caller: Caller,
) -> list[PayRun]:
    require_town(caller, town)
    with uow:
        return uow.repo.list_runs(town, period, before, limit)


def finance_period(town: str, period: str) -> str:
    """Finance's half-year (rule F1) that holds the pay period's last day."""
    last = Period.parse(period).last
    return f"{town}/periods/{Period.half_year_of(last).name}"


def approve_pay_run(
    cmd: commands.ApprovePayRun,
    uow: AssessmentUnitOfWork,
    finance: ExpenseSink,
    *,
    caller: Caller,
    clock: Clock = system_clock,
) -> PayRun:
    """Rule A4: the town's chief approves a draft once. Finance records each payment first,
    with a request id derived from the run and the worker, so a retry after any failure
    posts nothing twice; only then is the run approved. A retry with the same request id
    answers the approved run again."""
    town, run_id = run_name(cmd.name)
    require_chief(caller, town, tr("approve performance pay"))
    with uow:
        run = uow.repo.get_run(town, run_id)
        if run is None:
            raise NotFound(cmd.name)
        latest = uow.repo.latest_approved(town, run.period)
    if check_approval(run, latest, cmd.request_id):
        return run
    expenses: dict[str, str] = {}
    for line in run.lines:
        if line.to_post <= 0:
            continue
        expenses[line.worker] = finance.create_expense(
            PerformancePay(
                period=finance_period(town, run.period),
                payee=line.worker,
                amount=line.to_post,
                evidence=run.name,
                request_id=run.expense_request_id(line.worker),
            )
        )
    approved = run.approved(caller.subject, clock(), cmd.request_id, expenses)
    with uow:
        latest = uow.repo.latest_approved(town, run.period)
        if not uow.repo.approve(approved):
            again = uow.repo.get_run(town, run_id)
            if again is not None and check_approval(again, latest, cmd.request_id):
                return again
        check_approval(run, latest, cmd.request_id)
        uow.commit()
    return approved


def set_manual_score(
    cmd: commands.SetManualScore,
    uow: AssessmentUnitOfWork,
    *,
    caller: Caller,
    clock: Clock = system_clock,
) -> ManualScore:
    """Rule A3: the chief's score for other assigned work, 0-100 with a reason, attributed."""
    require_chief(caller, cmd.town, tr("score a worker"))
    names.parse("manual_score.worker", cmd.worker, "workers")
    score = ManualScore(
        town=cmd.town,
        worker=cmd.worker,
        period=cmd.period.name,
        score=check_manual_score(cmd.score, cmd.reason),
        reason=cmd.reason.strip(),
        scored_by=caller.subject,
        scored_at=clock(),
    )
    with uow:
        uow.repo.add_manual_score(score)
        uow.commit()
    return score
