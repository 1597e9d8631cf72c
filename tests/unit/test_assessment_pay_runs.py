"""Pay-run use cases against fakes (rules A1-A4): the worked example's draft, approval once and
only by the chief, a what-if saving nothing, and nothing written when anything is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assessment_svc.adapters.hr_client import PayTerms
from assessment_svc.domain.pay_runs import PayRun, RunState
from assessment_svc.domain.policy import PayoutRule
from assessment_svc.service_layer import commands, pay_runs
from sgz_runtime.errors import FailedPrecondition, InvalidArgument, PermissionDenied, Unavailable
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.periods import Period
from tests.unit.assessment_fakes import (
    FakeAssessmentRepository,
    FakeAssessmentUnitOfWork,
    FakeExpenseSink,
    FakePayTerms,
    FakeVisitFacts,
)

TOWN = "towns/1"
H1 = Period.parse("2026H1")
CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, TOWN)
WORKER = Caller("users/w", Role.STATION_WORKER, ScopeLevel.TOWN, TOWN)


def clock() -> datetime:
    return datetime(2026, 7, 2, tzinfo=UTC)


def _setup() -> tuple[FakeAssessmentUnitOfWork, FakeVisitFacts, FakePayTerms]:
    """Two workers, 3000.00 base x 10% x 6 = 1800.00 withheld each; a's coverage 250/260 and
    b's 200/260; no escalation."""
    visits = FakeVisitFacts()
    visits.add(TOWN, [("workers/a", 260, 250), ("workers/b", 260, 200)], [])
    hr = FakePayTerms()
    hr.terms[TOWN] = [
        PayTerms("workers/a", "王芳", 300_000, 1000, 6),
        PayTerms("workers/b", "李娜", 300_000, 1000, 6),
    ]
    return FakeAssessmentUnitOfWork(FakeAssessmentRepository()), visits, hr


def _draft(uow: FakeAssessmentUnitOfWork, visits: FakeVisitFacts, hr: FakePayTerms) -> PayRun:
    return pay_runs.compute_pay_run(
        commands.ComputePayRun(town=TOWN, period=H1), uow, visits, hr, caller=CHIEF, clock=clock
    )


def test_the_chief_approves_once_and_finance_records_each_payment_once() -> None:
    uow, visits, hr = _setup()
    draft = _draft(uow, visits, hr)
    assert [line.withheld for line in draft.lines] == [180_000, 180_000]
    finance = FakeExpenseSink()
    approve = commands.ApprovePayRun(name=draft.name, request_id="r1")
    pay_runs.approve_pay_run(approve, uow, finance, caller=CHIEF, clock=clock)
    pay_runs.approve_pay_run(approve, uow, finance, caller=CHIEF, clock=clock)
    posted = sum(1 for line in draft.lines if line.paid)
    assert len(finance.posted) == posted
    assert {p.request_id for p in finance.posted.values()} <= {
        f"assessment-{draft.id}-a",
        f"assessment-{draft.id}-b",
    }
    with pytest.raises(FailedPrecondition) as twice:
        pay_runs.approve_pay_run(
            commands.ApprovePayRun(name=draft.name, request_id="r2"),
            uow,
            finance,
            caller=CHIEF,
            clock=clock,
        )
    assert twice.value.rule == "A4"


def test_a_worker_approving_is_refused_and_nothing_is_written() -> None:
    uow, visits, hr = _setup()
    draft = _draft(uow, visits, hr)
    commits = uow.commits
    finance = FakeExpenseSink()
    with pytest.raises(PermissionDenied) as refused:
        pay_runs.approve_pay_run(
            commands.ApprovePayRun(name=draft.name, request_id="r"),
            uow,
            finance,
            caller=WORKER,
            clock=clock,
        )
    assert refused.value.rule == "A4"
    assert (uow.commits, finance.calls) == (commits, 0)
    assert uow.state.runs[draft.id].state is RunState.DRAFT


def test_a_what_if_under_the_pool_rule_pays_the_whole_pool_and_saves_nothing() -> None:
    """Rule A4: 3600.00 pooled, shared by withheld x score: the sum is 3600.00 to the fen."""
    uow, visits, hr = _setup()
    preview = pay_runs.preview_pay_run(
        commands.PreviewPayRun(town=TOWN, period=H1, payout_rule=PayoutRule.POOL),
        uow,
        visits,
        hr,
        caller=CHIEF,
        clock=clock,
    )
    assert preview.total_paid == 360_000
    assert preview.lines[0].paid > preview.lines[1].paid
    assert (uow.commits, uow.state.runs) == (0, {})


def test_nothing_is_written_when_the_visit_service_is_down_or_a_score_is_bad() -> None:
    uow, visits, hr = _setup()
    visits.down = True
    with pytest.raises(Unavailable):
        _draft(uow, visits, hr)
    with pytest.raises(InvalidArgument) as bad:
        pay_runs.set_manual_score(
            commands.SetManualScore(
                town=TOWN, worker="workers/a", period=H1, score=-1, reason="ok"
            ),
            uow,
            caller=CHIEF,
            clock=clock,
        )
    assert bad.value.rule == "A3"
    assert (uow.commits, uow.state.runs, uow.state.scores) == (0, {}, [])
