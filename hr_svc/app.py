"""Wires the HR service: database, migrations, the roster and assessment clients, the personal
data vault and the servicer."""

from __future__ import annotations

from pathlib import Path

import grpc
from sgz.assessment.v1 import assessment_pb2
from sgz.hr.v1 import hr_pb2, hr_pb2_grpc
from sgz.roster.v1 import roster_pb2

from hr_svc.adapters.assessment_client import GrpcAssessmentClient
from hr_svc.adapters.orm import start_mappers
from hr_svc.adapters.roster_client import GrpcRosterClient
from hr_svc.entrypoints.grpc_servicer import HrServicer
from hr_svc.service_layer.unit_of_work import SqlHrUnitOfWork
from hr_svc.settings import HrSettings
from sgz_runtime.clients import channel_to
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.server import ServiceSpec

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = hr_pb2.DESCRIPTOR.services_by_name["HrService"].full_name
ROSTER_SERVICE = roster_pb2.DESCRIPTOR.services_by_name["RosterService"].full_name
ASSESSMENT_SERVICE = assessment_pb2.DESCRIPTOR.services_by_name["AssessmentService"].full_name


def build(settings: Settings) -> ServiceSpec:
    engine = make_engine(settings.database_url("hr"))
    migrate(engine, MIGRATIONS)
    start_mappers()
    factory = session_factory(engine)
    vault = HrSettings().vault(settings.data_dir)
    roster_channel = channel_to("roster", [ROSTER_SERVICE], settings)
    assessment_channel = channel_to("assessment", [ASSESSMENT_SERVICE], settings)

    def register(server: grpc.Server) -> None:
        servicer = HrServicer(
            lambda: SqlHrUnitOfWork(factory),
            GrpcRosterClient(roster_channel),
            GrpcAssessmentClient(assessment_channel),
            vault,
        )
        hr_pb2_grpc.add_HrServiceServicer_to_server(servicer, server)

    return ServiceSpec(
        "hr",
        [SERVICE_NAME],
        register,
        on_stop=[roster_channel.close, assessment_channel.close, engine.dispose],
    )
