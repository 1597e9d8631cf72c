"""Wires the assessment service: its database and migrations, the clients of the visit, HR
and finance services, and the servicer, into a ServiceSpec."""

from __future__ import annotations

from pathlib import Path

import grpc
from sgz.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from sgz.finance.v1 import finance_pb2
from sgz.hr.v1 import hr_pb2
from sgz.visit.v1 import visit_pb2

from assessment_svc.adapters.finance_client import GrpcExpenseSink
from assessment_svc.adapters.hr_client import GrpcPayTerms
from assessment_svc.adapters.visit_client import GrpcVisitFacts
from assessment_svc.entrypoints.grpc_servicer import AssessmentServicer
from assessment_svc.service_layer.pay_runs import system_clock
from assessment_svc.service_layer.unit_of_work import SqlAssessmentUnitOfWork
from sgz_runtime.clients import channel_to
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.server import ServiceSpec

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = assessment_pb2.DESCRIPTOR.services_by_name["AssessmentService"].full_name
VISIT_SERVICE = visit_pb2.DESCRIPTOR.services_by_name["VisitService"].full_name
HR_SERVICE = hr_pb2.DESCRIPTOR.services_by_name["HrService"].full_name
FINANCE_SERVICE = finance_pb2.DESCRIPTOR.services_by_name["FinanceService"].full_name


def build(settings: Settings) -> ServiceSpec:
    # Durable: approved pay runs are money (rule A4).
    engine = make_engine(settings.database_url("assessment"), durable=True)
    migrate(engine, MIGRATIONS)
    factory = session_factory(engine)
    visit_channel = channel_to("visit", [VISIT_SERVICE], settings)
    hr_channel = channel_to("hr", [HR_SERVICE], settings)
    finance_channel = channel_to("finance", [FINANCE_SERVICE], settings)

    def register(server: grpc.Server) -> None:
        servicer = AssessmentServicer(
            lambda: SqlAssessmentUnitOfWork(factory),
            GrpcVisitFacts(visit_channel),
            GrpcPayTerms(hr_channel),
            GrpcExpenseSink(finance_channel),
            system_clock,
        )
        assessment_pb2_grpc.add_AssessmentServiceServicer_to_server(servicer, server)

    stops = [visit_channel.close, hr_channel.close, finance_channel.close, engine.dispose]
    return ServiceSpec("assessment", [SERVICE_NAME], register, on_stop=stops)
