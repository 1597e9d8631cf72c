"""The AssessmentService over real gRPC on port 0 with a real database, the other services
faked: a pay run approved twice with one request id posts each expense once (rule A4), the
refusals carry their rule, and HR reads a failed year (rules A5, H7)."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from sgz.assessment.v1 import assessment_pb2 as pb
from sgz.assessment.v1 import assessment_pb2_grpc

from assessment_svc.adapters.hr_client import PayTerms
from assessment_svc.app import MIGRATIONS, SERVICE_NAME
from assessment_svc.entrypoints.grpc_servicer import AssessmentServicer
from assessment_svc.service_layer.pay_runs import system_clock
from assessment_svc.service_layer.unit_of_work import SqlAssessmentUnitOfWork
from sgz_runtime import status
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.errors import FailedPrecondition, InvalidArgument
from sgz_runtime.identity import Role, ScopeLevel
from sgz_runtime.server import ServiceSpec
from tests.conftest import as_caller
from tests.unit.assessment_fakes import FakeExpenseSink, FakePayTerms, FakeVisitFacts

TOWN = "towns/320621001"
CHIEF = tuple(
    as_caller(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope=TOWN, subject="users/c")
)
HR = tuple(as_caller(role=Role.HR, level=ScopeLevel.TOWN, scope=TOWN, subject="users/hr"))


def _stub(
    start_service: Callable[..., tuple[object, grpc.Channel]], finance: FakeExpenseSink
) -> assessment_pb2_grpc.AssessmentServiceStub:
    visits = FakeVisitFacts()
    visits.add(
        TOWN,
        [("workers/a", 260, 250), ("workers/b", 260, 200), ("workers/c", 260, 240)],
        [("workers/a", 1, 1, 1), ("workers/b", 2, 3, 3), ("workers/c", 2, 1, 2)],
    )
    hr = FakePayTerms()
    hr.terms[TOWN] = [
        PayTerms("workers/a", "王芳", 300_000, 1000, 6),
        PayTerms("workers/b", "李娜", 300_000, 1000, 6),
        PayTerms("workers/c", "张伟", 300_000, 1000, 6),
    ]

    def build(settings: Settings) -> ServiceSpec:
        engine = make_engine(settings.database_url("assessment"))
        migrate(engine, MIGRATIONS)
        factory = session_factory(engine)

        def register(server: grpc.Server) -> None:
            servicer = AssessmentServicer(
                lambda: SqlAssessmentUnitOfWork(factory), visits, hr, finance, system_clock
            )
            assessment_pb2_grpc.add_AssessmentServiceServicer_to_server(servicer, server)

        return ServiceSpec("assessment", [SERVICE_NAME], register, on_stop=[engine.dispose])

    _server, channel = start_service("assessment", build)
    return assessment_pb2_grpc.AssessmentServiceStub(channel)


def test_pay_run_approved_twice_with_one_request_id_posts_each_expense_once(
    start_service: Callable[..., tuple[object, grpc.Channel]],
) -> None:
    finance = FakeExpenseSink()
    stub = _stub(start_service, finance)
    for worker in ("workers/a", "workers/b", "workers/c"):
        stub.SetManualScore(
            pb.SetManualScoreRequest(
                parent=TOWN,
                manual_score=pb.ManualScore(
                    worker=worker, period="2026H1", score=80, reason="其他民政工作"
                ),
            ),
            metadata=CHIEF,
        )
    draft = stub.CreatePayRun(pb.CreatePayRunRequest(parent=TOWN, period="2026H1"), metadata=CHIEF)
    assert draft.state == pb.PAY_RUN_STATE_DRAFT
    assert len(draft.lines) == 3 and all(len(line.metrics) == 6 for line in draft.lines)
    assert "method of moments" in draft.method or "矩估计" in draft.method
    approve = pb.ApprovePayRunRequest(name=draft.name, request_id="approve-once")
    first = stub.ApprovePayRun(approve, metadata=CHIEF)
    second = stub.ApprovePayRun(approve, metadata=CHIEF)
    assert first.state == second.state == pb.PAY_RUN_STATE_APPROVED
    assert len(finance.posted) == sum(1 for line in draft.lines if line.paid.fen > 0)
    assert sum(p.amount for p in finance.posted.values()) == draft.total_paid.fen
    with pytest.raises(grpc.RpcError) as twice:
        stub.ApprovePayRun(
            pb.ApprovePayRunRequest(name=draft.name, request_id="another"), metadata=CHIEF
        )
    assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    refused = status.from_rpc_error(twice.value)
    assert isinstance(refused, FailedPrecondition) and refused.rule == "A4"


def test_batch_create_answers_the_drafts_and_the_refused_towns(
    start_service: Callable[..., tuple[object, grpc.Channel]],
) -> None:
    stub = _stub(start_service, FakeExpenseSink())
    city = tuple(as_caller())
    answer = stub.BatchCreatePayRuns(
        pb.BatchCreatePayRunsRequest(
            parent="towns/-", period="2026H1", towns=[TOWN, "towns/320621009"]
        ),
        metadata=city,
    )
    assert [r.name.split("/payRuns/")[0] for r in answer.pay_runs] == [TOWN]
    assert [(r.town, r.rule) for r in answer.refused] == [("towns/320621009", "A2")]
    assert "320621009" in answer.refused[0].message


def test_preview_with_weights_not_summing_to_one_is_invalid_naming_a4(
    start_service: Callable[..., tuple[object, grpc.Channel]],
) -> None:
    stub = _stub(start_service, FakeExpenseSink())
    with pytest.raises(grpc.RpcError) as bad:
        stub.PreviewPayRun(
            pb.PreviewPayRunRequest(
                parent=TOWN,
                period="2026H1",
                weights=[pb.ComponentWeight(component=pb.COMPONENT_COVERAGE, weight=0.9)],
            ),
            metadata=CHIEF,
        )
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    refused = status.from_rpc_error(bad.value)
    assert isinstance(refused, InvalidArgument) and refused.rule == "A4"
    runs = stub.ListPayRuns(pb.ListPayRunsRequest(parent=TOWN), metadata=CHIEF)
    assert list(runs.pay_runs) == []


def test_hr_reads_a_failed_year_and_an_undecided_worker_is_absent(
    start_service: Callable[..., tuple[object, grpc.Channel]],
) -> None:
    stub = _stub(start_service, FakeExpenseSink())
    decided = stub.DecideYearlyResult(
        pb.DecideYearlyResultRequest(
            parent=TOWN, worker="workers/b", year=2026, passed=False, reason="覆盖率不足"
        ),
        metadata=CHIEF,
    )
    assert decided.decided_by == "users/c"
    found = stub.BatchGetYearlyResults(
        pb.BatchGetYearlyResultsRequest(workers=["workers/a", "workers/b"], year=2026),
        metadata=HR,
    )
    assert [(r.worker, r.passed, r.decided_by) for r in found.yearly_results] == [
        ("workers/b", False, "users/c")
    ]
    assert found.yearly_results[0].decide_time.seconds > 0
