"""An approved pay run's payments appear in the real finance service as performance-pay
expenses, posted once even when the approval is retried (rules A4, F3); the roster and finance
run for real, the visit facts and HR's pay terms are faked."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable
from typing import Any

import grpc
from google.type import date_pb2
from sgz.assessment.v1 import assessment_pb2 as apb
from sgz.assessment.v1 import assessment_pb2_grpc
from sgz.common.v1 import types_pb2
from sgz.finance.v1 import finance_pb2 as fpb
from sgz.finance.v1 import finance_pb2_grpc
from sgz.roster.v1 import roster_pb2 as rpb
from sgz.roster.v1 import roster_pb2_grpc

from assessment_svc.adapters.finance_client import GrpcExpenseSink
from assessment_svc.adapters.hr_client import PayTerms
from assessment_svc.app import FINANCE_SERVICE, MIGRATIONS, SERVICE_NAME
from assessment_svc.entrypoints.grpc_servicer import AssessmentServicer
from assessment_svc.service_layer.pay_runs import system_clock
from assessment_svc.service_layer.unit_of_work import SqlAssessmentUnitOfWork
from finance_svc.app import build as build_finance
from roster_svc.app import build as build_roster
from sgz_runtime.clients import channel_to
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.identity import Role, ScopeLevel
from sgz_runtime.server import ServiceSpec
from tests.conftest import as_caller
from tests.unit.assessment_fakes import FakePayTerms, FakeVisitFacts

Metadata = tuple[tuple[str, str | bytes], ...]
TOWN = "towns/chengdong"
H1 = f"{TOWN}/periods/2026H1"


def _as(**kwargs: object) -> Metadata:
    return tuple(as_caller(**kwargs))


CITY = _as()
MAKER = _as(role=Role.CITY_FINANCE, subject="users/maker")
CHECKER = _as(role=Role.CITY_FINANCE, subject="users/checker")
CHIEF = _as(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope=TOWN, subject="users/c")


def _d(value: str) -> date_pb2.Date:
    day = dt.date.fromisoformat(value)
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _fen(value: int) -> types_pb2.Money:
    return types_pb2.Money(fen=value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _funded_period(roster: Any, finance: Any) -> None:
    """As tests/integration/test_finance_grpc.py: two persons all of 2026H1 (one full loss,
    one self-care) -> 5,700.00 allocated, approved and disbursed to the station."""
    roster.CreateTown(
        rpb.CreateTownRequest(
            town=rpb.Town(
                display_name="城东镇", administrative_code="320621100", kind=rpb.TOWN_KIND_TOWN
            ),
            town_id="chengdong",
        ),
        metadata=CITY,
    )
    roster.CreateVillage(
        rpb.CreateVillageRequest(
            parent=TOWN,
            village=rpb.Village(display_name="新华村", kind=rpb.VILLAGE_KIND_VILLAGE),
            village_id="xinhua",
        ),
        metadata=CITY,
    )
    indicators = ["eating", "dressing", "transferring", "toileting", "indoor_walking", "bathing"]
    for number, unable in zip(("32062119491231000X", "320682195001010011"), (4, 0), strict=True):
        person = roster.CreatePerson(
            rpb.CreatePersonRequest(
                person=rpb.Person(
                    display_name="老人", id_number=number, village=f"{TOWN}/villages/xinhua"
                ),
                start_date=_d("2025-06-01"),
            ),
            metadata=CITY,
        )
        answers: dict[str, Any] = {
            name: rpb.INDICATOR_ANSWER_UNABLE if i < unable else rpb.INDICATOR_ANSWER_ABLE
            for i, name in enumerate(indicators)
        }
        roster.CreateAssessment(
            rpb.CreateAssessmentRequest(
                parent=person.name,
                assessment=rpb.Assessment(
                    assessor="评估中心", assessment_date=_d("2025-06-01"), **answers
                ),
            ),
            metadata=CITY,
        )
    civil = _as(role=Role.CITY_CIVIL_AFFAIRS)
    finance.CreateMinimumWage(
        fpb.CreateMinimumWageRequest(
            minimum_wage=fpb.MinimumWage(effective_date=_d("2025-01-01"), monthly=_fen(249000))
        ),
        metadata=civil,
    )
    finance.CreateCareStandard(
        fpb.CreateCareStandardRequest(
            care_standard=fpb.CareStandard(
                effective_date=_d("2026-01-01"),
                amounts=[
                    fpb.CareLevelAmount(care_level=fpb.CARE_LEVEL_SELF_CARE, monthly=_fen(15000)),
                    fpb.CareLevelAmount(care_level=fpb.CARE_LEVEL_PARTIAL, monthly=_fen(40000)),
                    fpb.CareLevelAmount(care_level=fpb.CARE_LEVEL_FULL_LOSS, monthly=_fen(80000)),
                ],
            )
        ),
        metadata=civil,
    )
    computed = finance.ComputeAllocations(
        fpb.ComputeAllocationsRequest(parent="towns/-/periods/2026H1"), metadata=MAKER
    )
    (allocation,) = computed.allocations
    finance.ApproveAllocation(fpb.ApproveAllocationRequest(name=allocation.name), metadata=CHECKER)
    for leg, rid in (
        (fpb.DISBURSEMENT_LEG_CITY_TO_TOWN, "d-1"),
        (fpb.DISBURSEMENT_LEG_TOWN_TO_STATION, "d-2"),
    ):
        finance.CreateDisbursement(
            fpb.CreateDisbursementRequest(parent=H1, leg=leg, amount=_fen(570000), request_id=rid),
            metadata=MAKER,
        )


def test_approved_run_expenses_appear_in_finance_once_even_when_retried(
    start_service: Callable[..., tuple[Any, grpc.Channel]],
) -> None:
    """Three workers, 1,000.00 base x 10% x 6 months = 600.00 withheld each (rule A1); the
    run's paid total is spent from the station's 5,700.00 exactly once (rules A4, F3)."""
    roster_server, roster_channel = start_service("roster", build_roster, hr=_free_port())
    finance_server, finance_channel = start_service(
        "finance", build_finance, roster=roster_server.port
    )
    finance = finance_pb2_grpc.FinanceServiceStub(finance_channel)
    _funded_period(roster_pb2_grpc.RosterServiceStub(roster_channel), finance)

    visits = FakeVisitFacts()
    visits.add(
        TOWN,
        [("workers/a", 260, 255), ("workers/b", 260, 230), ("workers/c", 260, 180)],
        [("workers/a", 1, 1, 1), ("workers/b", 2, 2, 1), ("workers/c", 2, 3, 3)],
    )
    hr = FakePayTerms()
    hr.terms[TOWN] = [PayTerms(f"workers/{w}", w, 100_000, 1000, 6) for w in "abc"]

    def build(settings: Settings) -> ServiceSpec:
        engine = make_engine(settings.database_url("assessment"))
        migrate(engine, MIGRATIONS)
        factory = session_factory(engine)
        channel = channel_to("finance", [FINANCE_SERVICE], settings)

        def register(server: grpc.Server) -> None:
            servicer = AssessmentServicer(
                lambda: SqlAssessmentUnitOfWork(factory),
                visits,
                hr,
                GrpcExpenseSink(channel),
                system_clock,
            )
            assessment_pb2_grpc.add_AssessmentServiceServicer_to_server(servicer, server)

        return ServiceSpec(
            "assessment", [SERVICE_NAME], register, on_stop=[channel.close, engine.dispose]
        )

    _, channel = start_service("assessment", build, finance=finance_server.port)
    stub = assessment_pb2_grpc.AssessmentServiceStub(channel)
    draft = stub.CreatePayRun(apb.CreatePayRunRequest(parent=TOWN, period="2026H1"), metadata=CHIEF)
    assert draft.total_withheld.fen == 180_000
    paid = draft.total_paid.fen
    assert 0 < paid <= 180_000
    approve = apb.ApprovePayRunRequest(name=draft.name, request_id="approve-1")
    first = stub.ApprovePayRun(approve, metadata=CHIEF)
    retried = stub.ApprovePayRun(approve, metadata=CHIEF)
    assert first.state == retried.state == apb.PAY_RUN_STATE_APPROVED
    assert [line.expense for line in first.lines] == [line.expense for line in retried.lines]
    assert all(line.expense.startswith(f"{H1}/expenses/") for line in first.lines if line.paid.fen)

    period = finance.GetPeriod(fpb.GetPeriodRequest(name=H1), metadata=CHIEF)
    assert (period.spent.fen, period.station_balance.fen) == (paid, 570_000 - paid)
