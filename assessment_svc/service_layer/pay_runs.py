"""Pay-run use cases (rules A1-A4): compute a draft from the visit facts and HR's pay terms,
preview a what-if, approve once (finance first, with request ids derived from the run, so a
retry posts nothing twice), and the chief's score (rule A3)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from assessment_svc.adapters.finance_client import ExpenseSink, PerformancePay
from assessment_svc.adapters.hr_client import PayTerms, PayTermsSource
from assessment_svc.adapters.visit_client import EscalationFact, VisitFacts, WeekFact
from assessment_svc.domain.assess import Computation, Facts, Staff, compute
from assessment_svc.domain.metrics import COMPONENTS, monday_bounds
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
from sgz_runtime.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
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
class TownInputs:
    """What a town's pay run reads: the period's facts (weeks by their Thursday) and HR's
    pay terms."""

    town: str
    weeks: list[WeekFact]
    escalations: list[EscalationFact]
    terms: list[PayTerms]


@dataclass(frozen=True)
class Assessed:
    """A town computed: its pay terms are rows first_row.. of the computation."""

    terms: list[PayTerms]
    computation: Computation
    first_row: int = 0


def read_town(town: str, period: Period, visits: VisitFacts, hr: PayTermsSource) -> TownInputs:
    """Reads the facts and pay terms. Refuses a period without facts (rule A2) or without
    anyone to pay (rule A1)."""
    found = visits.town_facts(town, period.first, period.last)
    low, high = monday_bounds(period.first, period.last)  # rule A2, week_counts_in
    weeks = [w for w in found.weeks if low <= w.week_start <= high]
    escalations = [e for e in found.escalations if low <= e.week_start <= high]
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
    return TownInputs(town, weeks, escalations, terms)


def _ints(values: Sequence[int]) -> NDArray[np.int64]:
    return np.asarray(values, dtype=np.int64)


def assess_towns(
    inputs: Sequence[TownInputs], policy: PayPolicy, manual: dict[str, ManualScore]
) -> list[Assessed]:
    """Every town of one policy through the numeric core at once (priors and pools stay
    per town)."""
    key: dict[tuple[int, str], int] = {}
    week_worker: list[int] = []
    esc_worker: list[int] = []
    staff_worker: list[int] = []
    staff_town: list[int] = []
    terms_all: list[PayTerms] = []
    for t, town in enumerate(inputs):
        for worker in sorted(
            {x.worker for x in town.terms}
            | {w.worker for w in town.weeks}
            | {e.worker for e in town.escalations}
        ):
            key[(t, worker)] = len(key)
        week_worker += [key[(t, w.worker)] for w in town.weeks]
        esc_worker += [key[(t, e.worker)] for e in town.escalations]
        staff_worker += [key[(t, x.worker)] for x in town.terms]
        staff_town += [t] * len(town.terms)
        terms_all += town.terms
    weeks = [w for town in inputs for w in town.weeks]
    escalations = [e for town in inputs for e in town.escalations]
    facts = Facts(
        week_worker=_ints(week_worker),
        due=_ints([w.due for w in weeks]),
        covered=_ints([w.covered for w in weeks]),
        esc_worker=_ints(esc_worker),
        urgency=_ints([e.urgency for e in escalations]),
        contact_outcome=_ints([e.contact for e in escalations]),
        action_outcome=_ints([e.action for e in escalations]),
    )
    staff = Staff(
        worker=_ints(staff_worker),
        town=_ints(staff_town),
        monthly_base=_ints([x.monthly_base for x in terms_all]),
        ratio_bp=_ints([x.withholding_ratio_bp for x in terms_all]),
        months=_ints([x.months_employed for x in terms_all]),
        manual=np.asarray(
            [manual[x.worker].score / 100 if x.worker in manual else np.nan for x in terms_all],
            dtype=np.float64,
        ),
    )
    computation = compute(facts, staff, policy)
    out: list[Assessed] = []
    row = 0
    for town in inputs:
        out.append(Assessed(town.terms, computation, row))
        row += len(town.terms)
    return out


def assess_town(
    town: str,
    period: Period,
    policy: PayPolicy,
    manual: dict[str, ManualScore],
    visits: VisitFacts,
    hr: PayTermsSource,
) -> Assessed:
    """One town: read, then the numeric core."""
    return assess_towns([read_town(town, period, visits, hr)], policy, manual)[0]


def _lines(
    assessed: Assessed,
    policy: PayPolicy,
    manual: dict[str, ManualScore],
    previous: PayRun | None,
) -> tuple[PayLine, ...]:
    c = assessed.computation
    before = {line.worker: line.paid for line in previous.lines} if previous else {}
    out: list[PayLine] = []
    rows = slice(assessed.first_row, assessed.first_row + len(assessed.terms))
    # Plain Python values once per town: indexing numpy element by element is slow.
    numerator, denominator = c.numerator[rows].tolist(), c.denominator[rows].tolist()
    estimate, weight = c.estimate[rows].tolist(), c.weight[rows].tolist()
    alpha, beta = c.alpha[rows].tolist(), c.beta[rows].tolist()
    score, withheld, paid = c.score[rows].tolist(), c.withheld[rows].tolist(), c.paid[rows].tolist()
    for i, terms in enumerate(assessed.terms):
        metrics = tuple(
            MetricLine(
                component=component,
                numerator=numerator[i][component],
                denominator=denominator[i][component],
                estimate=estimate[i][component],
                prior_alpha=alpha[i][component],
                prior_beta=beta[i][component],
                weight_bp=policy.weights_bp[component],
                effective_weight=weight[i][component],
            )
            for component in COMPONENTS
        )
        out.append(
            PayLine(
                worker=terms.worker,
                display_name=terms.display_name,
                metrics=metrics,
                manual=manual.get(terms.worker),
                score=score[i],
                monthly_base=terms.monthly_base,
                ratio_bp=terms.withholding_ratio_bp,
                months=terms.months_employed,
                withheld=withheld[i],
                paid=paid[i],
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


MAX_BATCH_TOWNS = 2000


def compute_pay_runs(
    cmd: commands.ComputePayRuns,
    uow: AssessmentUnitOfWork,
    visits: VisitFacts,
    hr: PayTermsSource,
    *,
    caller: Caller,
    clock: Clock = system_clock,
) -> tuple[list[PayRun], dict[str, DomainError]]:
    """Rule A4 for many towns: each town's draft as compute_pay_run makes it, the towns of one
    policy through the numeric core together, every draft saved in one transaction. A town
    refused on its own (no facts yet, A2; no pay terms, A1; an approved run, A4) is answered
    with its refusal and the others go on; a town outside the caller's scope refuses all."""
    refuse_worker(caller, tr("compute performance pay"))
    if len(cmd.towns) > MAX_BATCH_TOWNS:
        raise InvalidArgument.field(
            "towns", tr("at most {count} towns at a time", count=MAX_BATCH_TOWNS)
        )
    towns = sorted(set(cmd.towns))
    for town in towns:
        town_of(town, "towns")
        require_town(caller, town)
    with uow:
        policies = uow.repo.all_policies()
        manual = uow.repo.manual_scores_in(towns, cmd.period.name)
        approved = uow.repo.approved_towns(towns, cmd.period.name)
    refused: dict[str, DomainError] = {}
    by_policy: dict[str, tuple[PayPolicy, list[TownInputs]]] = {}
    for town in towns:
        if town in approved:
            refused[town] = FailedPrecondition(
                tr(
                    "{period} of {town} already has an approved run; compute a new run that "
                    "corrects it (rule A4)",
                    period=cmd.period.name,
                    town=town,
                ),
                rule="A4",
            )
            continue
        try:
            inputs = read_town(town, cmd.period, visits, hr)
        except FailedPrecondition as exc:
            refused[town] = exc
            continue
        policy = policy_on(policies, town, cmd.period.first)
        by_policy.setdefault(policy.version, (policy, []))[1].append(inputs)
    now = clock()
    runs: list[PayRun] = []
    for policy, group in by_policy.values():
        for inputs, assessed in zip(group, assess_towns(group, policy, manual), strict=True):
            runs.append(
                PayRun(
                    id=new_run_id(now),
                    town=inputs.town,
                    period=cmd.period.name,
                    state=RunState.DRAFT,
                    policy_version=policy.version,
                    payout_rule=policy.payout_rule,
                    weights_bp=policy.weights_bp,
                    method=method_of(policy),
                    lines=_lines(assessed, policy, manual, None),
                    created_by=caller.subject,
                    created_at=now,
                )
            )
    with uow:
        uow.repo.add_runs(runs)
        uow.commit()
    runs.sort(key=lambda r: r.town)
    return runs, refused


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
