"""The yearly result (rule A5): the year's score computed from the facts, the chief's decision
with who decided and why; and the batch read HR's renewals use (rule H7)."""

from __future__ import annotations

from assessment_svc.adapters.hr_client import PayTermsSource
from assessment_svc.adapters.visit_client import VisitFacts
from assessment_svc.domain.pay_runs import YearlyResult, require_chief
from assessment_svc.domain.policy import policy_on
from assessment_svc.service_layer import commands
from assessment_svc.service_layer.pay_runs import Clock, assess_town, system_clock
from assessment_svc.service_layer.unit_of_work import AssessmentUnitOfWork
from sgz_runtime import names
from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller
from sgz_runtime.periods import Period

MAX_BATCH = 1000


def decide_yearly_result(
    cmd: commands.DecideYearlyResult,
    uow: AssessmentUnitOfWork,
    visits: VisitFacts,
    hr: PayTermsSource,
    *,
    caller: Caller,
    clock: Clock = system_clock,
) -> YearlyResult:
    require_chief(caller, cmd.town, tr("decide a yearly result"))
    problems: list[FieldViolation] = []
    if not cmd.reason.strip():
        problems.append(
            FieldViolation("reason", tr("a yearly result needs its reason (rule A5)"), rule="A5")
        )
    try:
        names.parse("worker", cmd.worker, "workers")
    except InvalidArgument as exc:
        problems.extend(exc.violations)
    if problems:
        raise InvalidArgument.of(problems)
    year = Period.parse(str(cmd.year), "year")
    with uow:
        decided = uow.repo.yearly_result(cmd.worker, cmd.year)
        policy = policy_on(uow.repo.policies(cmd.town), cmd.town, year.first)
        manual = uow.repo.manual_scores(cmd.town, year.name)
    if decided is not None:
        raise FailedPrecondition(
            tr(
                "{worker}'s {year} was already decided by {who} (rule A5)",
                worker=cmd.worker,
                year=cmd.year,
                who=decided.decided_by,
            ),
            rule="A5",
        )
    assessed = assess_town(cmd.town, year, policy, manual, visits, hr)
    rows = [i for i, t in enumerate(assessed.terms) if t.worker == cmd.worker]
    if not rows:
        raise NotFound(cmd.worker)
    result = YearlyResult(
        worker=cmd.worker,
        year=cmd.year,
        town=cmd.town,
        passed=cmd.passed,
        score=int(assessed.computation.score[rows[0]]),
        pass_mark=policy.pass_mark,
        reason=cmd.reason.strip(),
        decided_by=caller.subject,
        decided_at=clock(),
    )
    with uow:
        uow.repo.add_yearly_result(result)
        uow.commit()
    return result


def batch_get_yearly_results(
    cmd: commands.BatchGetYearlyResults, uow: AssessmentUnitOfWork, *, caller: Caller
) -> list[YearlyResult]:
    """The decided results of the workers the caller may see; the undecided are absent."""
    problems: list[FieldViolation] = []
    if len(cmd.workers) > MAX_BATCH:
        problems.append(
            FieldViolation("workers", tr("at most {count} workers at a time", count=MAX_BATCH))
        )
    for i, worker in enumerate(cmd.workers):
        try:
            names.parse(f"workers[{i}]", worker, "workers")
        except InvalidArgument as exc:
            problems.extend(exc.violations)
    try:
        Period.parse(str(cmd.year), "year")
    except InvalidArgument as exc:
        problems.extend(exc.violations)
    if problems:
        raise InvalidArgument.of(problems)
    with uow:
        found = uow.repo.yearly_results(sorted(set(cmd.workers)), cmd.year)
    return [r for r in found if caller.sees_town(r.town)]
