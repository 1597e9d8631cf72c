"""Pay runs on a real database (SQLite and PostgreSQL), the other services faked (rules A1-A5):
the worked example of tests/unit/test_assessment_core.py drafted, reviewed, approved once;
every bad input refused naming its rule with nothing written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from assessment_svc.adapters.hr_client import PayTerms
from assessment_svc.app import MIGRATIONS
from assessment_svc.domain.metrics import Component
from assessment_svc.domain.pay_runs import PayRun, RunState
from assessment_svc.domain.policy import PayoutRule
from assessment_svc.service_layer import commands, pay_runs, policies, yearly
from assessment_svc.service_layer.unit_of_work import SqlAssessmentUnitOfWork
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.errors import (
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    Unavailable,
)
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.periods import Period
from tests.unit.assessment_fakes import FakeExpenseSink, FakePayTerms, FakeVisitFacts

TOWN = "towns/320621001"
H1 = Period.parse("2026H1")
NOW = datetime(2026, 7, 2, 9, 0, tzinfo=UTC)
CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, TOWN)
WORKER = Caller("users/w101", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/101")
OTHER_CHIEF = Caller("users/chief2", Role.STATION_CHIEF, ScopeLevel.TOWN, "towns/320621002")
HR = Caller("users/hr", Role.HR, ScopeLevel.TOWN, TOWN)
IMM, PRO = 1, 2
MET, LATE, OVER, PEND, CANC = 1, 2, 3, 4, 5


def clock() -> datetime:
    return NOW


@pytest.fixture
def uow(database_url: Callable[[str], str]) -> Iterator[Callable[[], SqlAssessmentUnitOfWork]]:
    engine = make_engine(database_url("assessment"))
    migrate(engine, MIGRATIONS)
    factory = session_factory(engine)
    yield lambda: SqlAssessmentUnitOfWork(factory)
    engine.dispose()


@pytest.fixture
def visits() -> FakeVisitFacts:
    """The worked example's facts (test_assessment_core.py)."""
    fake = FakeVisitFacts()
    fake.add(
        TOWN,
        [
            ("workers/101", 130, 128),
            ("workers/101", 130, 124),
            ("workers/102", 260, 208),
            ("workers/103", 250, 237),
            ("workers/103", 10, 12),
            *[("workers/104", 0, 0)] * 13,
            ("workers/104", 130, 126),
        ],
        [
            ("workers/101", IMM, MET, MET),
            ("workers/101", IMM, MET, MET),
            ("workers/101", PRO, MET, MET),
            ("workers/101", PRO, MET, MET),
            ("workers/101", PRO, MET, MET),
            ("workers/101", PRO, MET, LATE),
            ("workers/101", PRO, MET, MET),
            ("workers/101", PRO, LATE, MET),
            ("workers/102", IMM, OVER, OVER),
            ("workers/102", PRO, MET, MET),
            ("workers/102", PRO, MET, LATE),
            ("workers/102", PRO, LATE, LATE),
            ("workers/102", PRO, LATE, OVER),
            ("workers/102", PRO, PEND, PEND),
            ("workers/104", PRO, MET, MET),
            ("workers/104", IMM, CANC, CANC),
        ],
    )
    return fake


@pytest.fixture
def hr() -> FakePayTerms:
    fake = FakePayTerms()
    fake.terms[TOWN] = [
        PayTerms("workers/101", "王芳", 300_000, 1000, 6),
        PayTerms("workers/102", "李娜", 300_000, 1500, 6),
        PayTerms("workers/103", "张伟", 320_000, 1000, 6),
        PayTerms("workers/104", "刘洋", 300_000, 1000, 3),
    ]
    return fake


def _score(uow: Callable[[], SqlAssessmentUnitOfWork], worker: str, score: float) -> None:
    pay_runs.set_manual_score(
        commands.SetManualScore(
            town=TOWN, worker=worker, period=H1, score=score, reason="村级台账整理"
        ),
        uow(),
        caller=CHIEF,
        clock=clock,
    )


def _draft(
    uow: Callable[[], SqlAssessmentUnitOfWork],
    visits: FakeVisitFacts,
    hr: FakePayTerms,
    corrects: str | None = None,
) -> PayRun:
    for worker, score in (("workers/101", 90), ("workers/102", 70), ("workers/104", 80)):
        _score(uow, worker, score)
    return pay_runs.compute_pay_run(
        commands.ComputePayRun(town=TOWN, period=H1, corrects=corrects),
        uow(),
        visits,
        hr,
        caller=CHIEF,
        clock=clock,
    )


def _runs(uow: Callable[[], SqlAssessmentUnitOfWork]) -> list[PayRun]:
    return pay_runs.list_pay_runs(TOWN, None, None, 100, uow(), caller=CHIEF)


def test_worked_example_is_drafted_explained_approved_and_paid_once(
    uow: Callable[[], SqlAssessmentUnitOfWork], visits: FakeVisitFacts, hr: FakePayTerms
) -> None:
    """Rule A4, the figures of the worked example (test_assessment_core.py): individual rule
    pays 1765.92, 1953.36, 1730.82, 817.44; the finance expenses are posted once each, even
    when the approval is retried."""
    draft = _draft(uow, visits, hr)
    assert draft.state is RunState.DRAFT
    saved = pay_runs.get_pay_run(draft.name, uow(), caller=CHIEF)
    assert [line.paid for line in saved.lines] == [176_592, 195_336, 173_082, 81_744]
    assert [line.score for line in saved.lines] == [8858, 6926, 8261, 8312]
    first = saved.lines[0]
    coverage = first.metrics[Component.COVERAGE]
    assert (coverage.numerator, coverage.denominator) == (252, 260)
    assert round(coverage.estimate, 6) == 0.966208
    assert first.manual is not None and first.manual.scored_by == "users/chief"
    assert saved.lines[2].manual is None  # 103: no score; its weight shared over the rest

    finance = FakeExpenseSink()
    approve = commands.ApprovePayRun(name=draft.name, request_id="approve-1")
    approved = pay_runs.approve_pay_run(approve, uow(), finance, caller=CHIEF, clock=clock)
    assert approved.state is RunState.APPROVED
    assert sorted(p.amount for p in finance.posted.values()) == [81_744, 173_082, 176_592, 195_336]
    assert {p.period for p in finance.posted.values()} == {f"{TOWN}/periods/2026H1"}
    assert {p.evidence for p in finance.posted.values()} == {draft.name}

    again = pay_runs.approve_pay_run(approve, uow(), finance, caller=CHIEF, clock=clock)
    assert again.state is RunState.APPROVED and len(finance.posted) == 4
    with pytest.raises(FailedPrecondition) as twice:
        pay_runs.approve_pay_run(
            commands.ApprovePayRun(name=draft.name, request_id="approve-2"),
            uow(),
            finance,
            caller=CHIEF,
            clock=clock,
        )
    assert twice.value.rule == "A4"
    assert len(finance.posted) == 4
    stored = pay_runs.get_pay_run(draft.name, uow(), caller=CHIEF)
    assert all(line.expense for line in stored.lines)
    (listed,) = _runs(uow)
    assert (listed.lines, listed.total_withheld, listed.total_paid) == ((), 732_000, 626_754)


def test_a_worker_may_not_approve_and_nothing_is_written(
    uow: Callable[[], SqlAssessmentUnitOfWork], visits: FakeVisitFacts, hr: FakePayTerms
) -> None:
    draft = _draft(uow, visits, hr)
    finance = FakeExpenseSink()
    worker = Caller("users/w101", Role.STATION_WORKER, ScopeLevel.TOWN, TOWN)
    with pytest.raises(PermissionDenied) as refused:
        pay_runs.approve_pay_run(
            commands.ApprovePayRun(name=draft.name, request_id="x"),
            uow(),
            finance,
            caller=worker,
            clock=clock,
        )
    assert refused.value.rule == "A4"
    assert finance.calls == 0
    assert pay_runs.get_pay_run(draft.name, uow(), caller=CHIEF).state is RunState.DRAFT


def test_out_of_scope_town_and_no_facts_are_refused_naming_the_rule(
    uow: Callable[[], SqlAssessmentUnitOfWork], visits: FakeVisitFacts, hr: FakePayTerms
) -> None:
    with pytest.raises(PermissionDenied) as outside:
        pay_runs.compute_pay_run(
            commands.ComputePayRun(town=TOWN, period=H1),
            uow(),
            visits,
            hr,
            caller=OTHER_CHIEF,
            clock=clock,
        )
    assert outside.value.rule == "A1"
    with pytest.raises(FailedPrecondition) as empty:
        pay_runs.compute_pay_run(
            commands.ComputePayRun(town=TOWN, period=Period.parse("2026H2")),
            uow(),
            FakeVisitFacts(),
            hr,
            caller=CHIEF,
            clock=clock,
        )
    assert empty.value.rule == "A2"
    assert _runs(uow) == []


def test_manual_score_outside_0_100_and_without_reason_is_refused_whole(
    uow: Callable[[], SqlAssessmentUnitOfWork],
) -> None:
    """Rule A3: both problems reported at once; nothing recorded."""
    with pytest.raises(InvalidArgument) as refused:
        pay_runs.set_manual_score(
            commands.SetManualScore(
                town=TOWN, worker="workers/101", period=H1, score=101, reason=" "
            ),
            uow(),
            caller=CHIEF,
            clock=clock,
        )
    assert refused.value.rule == "A3"
    assert {v.field for v in refused.value.violations} == {
        "manual_score.score",
        "manual_score.reason",
    }
    with uow() as u:
        assert u.repo.manual_scores(TOWN, "2026H1") == {}


def test_what_if_under_the_pool_rule_shares_the_pool_and_saves_nothing(
    uow: Callable[[], SqlAssessmentUnitOfWork], visits: FakeVisitFacts, hr: FakePayTerms
) -> None:
    """Rule A4, the worked example's pool figures: 2012.76, 2360.64, 2002.25, 944.35 =
    7320.00. Weights that do not sum to 1 are refused naming A4."""
    for worker, score in (("workers/101", 90), ("workers/102", 70), ("workers/104", 80)):
        _score(uow, worker, score)
    preview = pay_runs.preview_pay_run(
        commands.PreviewPayRun(town=TOWN, period=H1, payout_rule=PayoutRule.POOL),
        uow(),
        visits,
        hr,
        caller=CHIEF,
        clock=clock,
    )
    assert preview.state is RunState.PREVIEW
    assert [line.paid for line in preview.lines] == [201_276, 236_064, 200_225, 94_435]
    assert preview.total_paid == preview.total_withheld == 732_000
    with pytest.raises(InvalidArgument) as bad:
        pay_runs.preview_pay_run(
            commands.PreviewPayRun(
                town=TOWN, period=H1, weights={Component.COVERAGE: 0.5, Component.MANUAL: 0.4}
            ),
            uow(),
            visits,
            hr,
            caller=CHIEF,
            clock=clock,
        )
    assert bad.value.rule == "A4"
    assert _runs(uow) == []


def test_approved_run_is_never_recomputed_a_correction_names_it_and_pays_the_increase(
    uow: Callable[[], SqlAssessmentUnitOfWork], visits: FakeVisitFacts, hr: FakePayTerms
) -> None:
    draft = _draft(uow, visits, hr)
    finance = FakeExpenseSink()
    pay_runs.approve_pay_run(
        commands.ApprovePayRun(name=draft.name, request_id="a1"),
        uow(),
        finance,
        caller=CHIEF,
        clock=clock,
    )
    with pytest.raises(FailedPrecondition) as silent:
        _draft(uow, visits, hr)
    assert silent.value.rule == "A4"
    # The chief gives 103 a score (100): only 103's pay changes, and only the increase posts.
    _score(uow, "workers/103", 100)
    correction = pay_runs.compute_pay_run(
        commands.ComputePayRun(town=TOWN, period=H1, corrects=draft.name),
        uow(),
        visits,
        hr,
        caller=CHIEF,
        clock=clock,
    )
    assert correction.corrects == draft.name
    line = correction.lines[2]
    assert line.previously_paid == 173_082 and line.paid > 173_082
    pay_runs.approve_pay_run(
        commands.ApprovePayRun(name=correction.name, request_id="a2"),
        uow(),
        finance,
        caller=CHIEF,
        clock=clock,
    )
    extra = [p for p in finance.posted.values() if p.evidence == correction.name]
    assert [(p.payee, p.amount) for p in extra] == [("workers/103", line.paid - 173_082)]


def test_finance_failing_midway_leaves_the_run_a_draft_and_a_retry_posts_each_once(
    uow: Callable[[], SqlAssessmentUnitOfWork], visits: FakeVisitFacts, hr: FakePayTerms
) -> None:
    draft = _draft(uow, visits, hr)
    finance = FakeExpenseSink(fail_after=2)
    approve = commands.ApprovePayRun(name=draft.name, request_id="a1")
    with pytest.raises(Unavailable):
        pay_runs.approve_pay_run(approve, uow(), finance, caller=CHIEF, clock=clock)
    assert pay_runs.get_pay_run(draft.name, uow(), caller=CHIEF).state is RunState.DRAFT
    finance.fail_after = None
    pay_runs.approve_pay_run(approve, uow(), finance, caller=CHIEF, clock=clock)
    assert len(finance.posted) == 4


def test_yearly_result_is_decided_once_and_read_by_hr(
    uow: Callable[[], SqlAssessmentUnitOfWork], visits: FakeVisitFacts, hr: FakePayTerms
) -> None:
    """Rule A5: the year's score from the facts, the chief's decision, who decided; a worker
    without a decision is absent (HR then says the result is not available)."""
    decide = commands.DecideYearlyResult(
        town=TOWN, worker="workers/102", year=2026, passed=False, reason="探访覆盖率不足"
    )
    result = yearly.decide_yearly_result(decide, uow(), visits, hr, caller=CHIEF, clock=clock)
    assert result.decided_by == "users/chief" and not result.passed
    assert 0 < result.score < 10_000
    with pytest.raises(FailedPrecondition) as twice:
        yearly.decide_yearly_result(decide, uow(), visits, hr, caller=CHIEF, clock=clock)
    assert twice.value.rule == "A5"
    found = yearly.batch_get_yearly_results(
        commands.BatchGetYearlyResults(workers=("workers/102", "workers/101"), year=2026),
        uow(),
        caller=HR,
    )
    assert [(r.worker, r.passed) for r in found] == [("workers/102", False)]
    with pytest.raises(PermissionDenied):
        yearly.decide_yearly_result(
            commands.DecideYearlyResult(
                town=TOWN, worker="workers/101", year=2026, passed=True, reason="ok"
            ),
            uow(),
            visits,
            hr,
            caller=WORKER,
            clock=clock,
        )


def test_a_town_policy_with_weights_not_summing_to_one_is_refused(
    uow: Callable[[], SqlAssessmentUnitOfWork],
) -> None:
    cmd = commands.CreatePayPolicy(
        town=TOWN,
        policy_id="p2026",
        effective_from=datetime(2026, 1, 1).date(),
        weights={Component.COVERAGE: 0.7, Component.MANUAL: 0.2},
        payout_rule=PayoutRule.POOL,
        curve=(),
        max_prior_strength=0,
        pass_mark=0,
    )
    with pytest.raises(InvalidArgument) as refused:
        policies.create_pay_policy(cmd, uow(), caller=CHIEF, clock=clock)
    assert refused.value.rule == "A4"
    assert [p.version for p in policies.list_pay_policies(TOWN, uow(), caller=CHIEF)] == [
        "city-default"
    ]
    fixed = replace(cmd, weights={Component.COVERAGE: 0.8, Component.MANUAL: 0.2})
    made = policies.create_pay_policy(fixed, uow(), caller=CHIEF, clock=clock)
    assert made.version == f"{TOWN}/payPolicies/p2026"
    assert made.payout_rule is PayoutRule.POOL


def test_a_batch_of_towns_drafts_each_as_alone_and_lists_the_refused(
    uow: Callable[[], SqlAssessmentUnitOfWork], visits: FakeVisitFacts, hr: FakePayTerms
) -> None:
    """Rule A4 for the city's --all: the worked example's town gets the same figures as alone;
    a town with no facts is refused naming A2 and the batch goes on; one transaction."""
    for worker, score in (("workers/101", 90), ("workers/102", 70), ("workers/104", 80)):
        _score(uow, worker, score)
    city = Caller("users/city", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY, "")
    empty = "towns/320621009"
    runs, refused = pay_runs.compute_pay_runs(
        commands.ComputePayRuns(towns=(TOWN, empty), period=H1),
        uow(),
        visits,
        hr,
        caller=city,
        clock=clock,
    )
    assert [r.town for r in runs] == [TOWN]
    assert [line.paid for line in runs[0].lines] == [176_592, 195_336, 173_082, 81_744]
    assert list(refused) == [empty] and refused[empty].rule == "A2"
    assert [r.id for r in _runs(uow)] == [runs[0].id]
    with pytest.raises(PermissionDenied) as outside:
        pay_runs.compute_pay_runs(
            commands.ComputePayRuns(towns=(TOWN, "towns/320621002"), period=H1),
            uow(),
            visits,
            hr,
            caller=CHIEF,
            clock=clock,
        )
    assert outside.value.rule == "A1"
