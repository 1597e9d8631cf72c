"""The assessment with the real HR and roster services (visits and finance faked): a pay run
reads HR's pay terms (rule A1), and HR's renewal report reads a failed yearly result from
the assessment (rules A5, H7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import grpc
from google.type import date_pb2
from sgz.assessment.v1 import assessment_pb2 as apb
from sgz.assessment.v1 import assessment_pb2_grpc
from sgz.common.v1 import types_pb2
from sgz.hr.v1 import hr_pb2 as pb
from sgz.hr.v1 import hr_pb2_grpc
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

from assessment_svc.adapters.hr_client import GrpcPayTerms, PayTerms
from assessment_svc.app import MIGRATIONS, SERVICE_NAME
from assessment_svc.entrypoints.grpc_servicer import AssessmentServicer
from assessment_svc.service_layer.pay_runs import system_clock
from assessment_svc.service_layer.unit_of_work import SqlAssessmentUnitOfWork
from hr_svc.app import build as build_hr
from roster_svc.app import build as build_roster
from sgz_runtime.clients import channel_to
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.identity import Role, ScopeLevel
from sgz_runtime.periods import Period
from sgz_runtime.server import ServiceSpec
from tests.conftest import CITY as CITY_LIST
from tests.conftest import as_caller
from tests.unit.assessment_fakes import FakeExpenseSink, FakeVisitFacts

TOWN = "towns/chengdong"
CITY = tuple(CITY_LIST)
HR = tuple(as_caller(role=Role.HR, level=ScopeLevel.TOWN, scope="towns/chengdong"))
CHIEF = tuple(
    as_caller(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope=TOWN, subject="users/chief")
)


def _d(y: int, m: int, d: int) -> date_pb2.Date:
    return date_pb2.Date(year=y, month=m, day=d)


class _LateHr:
    """HR's pay terms through the real gRPC adapter, on a channel made once HR's port is known
    (channel_to passes the caller on, as in the service)."""

    def __init__(self) -> None:
        self._channel: grpc.Channel | None = None

    def connect(self, settings: Settings) -> None:
        self._channel = channel_to("hr", ["sgz.hr.v1.HrService"], settings)

    def pay_terms(self, town: str, period: Period) -> list[PayTerms]:
        assert self._channel is not None
        return GrpcPayTerms(self._channel).pay_terms(town, period)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()


def test_pay_run_reads_hr_pay_terms_and_hr_reads_a_failed_year(
    start_service: Callable[..., tuple[object, grpc.Channel]], settings: Settings
) -> None:
    visits = FakeVisitFacts()
    finance = FakeExpenseSink()
    hr = _LateHr()

    def build_assessment(settings: Settings) -> ServiceSpec:
        engine = make_engine(settings.database_url("assessment"))
        migrate(engine, MIGRATIONS)
        factory = session_factory(engine)

        def register(server: grpc.Server) -> None:
            servicer = AssessmentServicer(
                lambda: SqlAssessmentUnitOfWork(factory),
                visits,
                hr,
                finance,
                system_clock,
            )
            assessment_pb2_grpc.add_AssessmentServiceServicer_to_server(servicer, server)

        return ServiceSpec(
            "assessment", [SERVICE_NAME], register, on_stop=[hr.close, engine.dispose]
        )

    roster_server, roster_channel = start_service("roster", build_roster)
    # HR and the assessment call each other: the assessment learns HR's port once HR is up.
    assessment_server, assessment_channel = start_service("assessment", build_assessment)
    hr_server, hr_channel = start_service(
        "hr",
        build_hr,
        roster=roster_server.port,  # type: ignore[attr-defined]
        assessment=assessment_server.port,  # type: ignore[attr-defined]
    )
    roster = roster_pb2_grpc.RosterServiceStub(roster_channel)
    roster.CreateTown(
        roster_pb2.CreateTownRequest(
            town=roster_pb2.Town(
                display_name="城东镇",
                administrative_code="320621100",
                kind=roster_pb2.TOWN_KIND_TOWN,
            ),
            town_id="chengdong",
        ),
        metadata=CITY,
    )
    hr_stub = hr_pb2_grpc.HrServiceStub(hr_channel)
    workers = []
    for name in ("王芳", "李娜"):
        worker = hr_stub.CreateWorker(
            pb.CreateWorkerRequest(
                worker=pb.Worker(
                    display_name=name,
                    town=TOWN,
                    role=pb.WORKER_ROLE_STATION_WORKER,
                    start_date=_d(2023, 7, 1),
                )
            ),
            metadata=CITY,
        ).name
        hr_stub.CreateContract(
            pb.CreateContractRequest(
                parent=worker,
                contract=pb.Contract(
                    kind=pb.CONTRACT_KIND_FIXED_TERM,
                    start_date=_d(2023, 7, 1),
                    probation_months=6,
                    monthly_base=types_pb2.Money(fen=450000),
                ),
            ),
            metadata=HR,
        )
        workers.append(worker)
    good, poor = workers
    visits.add(TOWN, [(good, 520, 510), (poor, 520, 300)], [], first_monday=date(2025, 1, 6))
    visits.add(TOWN, [(good, 260, 255), (poor, 260, 150)], [])
    hr.connect(settings.model_copy(update={"hr_port": hr_server.port}))  # type: ignore[attr-defined]

    stub = assessment_pb2_grpc.AssessmentServiceStub(assessment_channel)
    run = stub.CreatePayRun(apb.CreatePayRunRequest(parent=TOWN, period="2026H1"), metadata=CHIEF)
    # Rule A1 from HR's terms: 4500.00 x 10% x 6 months = 2700.00 withheld each.
    assert sorted((line.worker, line.withheld.fen) for line in run.lines) == sorted(
        [(good, 270_000), (poor, 270_000)]
    )
    decided = stub.DecideYearlyResult(
        apb.DecideYearlyResultRequest(
            parent=TOWN, worker=poor, year=2025, passed=False, reason="探访覆盖率 58%"
        ),
        metadata=CHIEF,
    )
    assert not decided.passed and decided.decided_by == "users/chief"

    report = hr_stub.GetRenewalReport(
        pb.GetRenewalReportRequest(
            parent=TOWN,
            ending_after=_d(2026, 6, 1),
            ending_before=_d(2026, 8, 1),
            on=_d(2026, 3, 1),
        ),
        metadata=(*CITY, ("x-sgz-lang", "en")),
    )
    reasons = {r.worker: [x.code for x in r.reasons] for r in report.rows}
    assert "ASSESSMENT_NOT_PASSED" in reasons[poor]
    assert "ASSESSMENT_NOT_AVAILABLE" in reasons[good]
