"""Wires the roster service: database, migrations, mappers and servicer, into a ServiceSpec."""

from __future__ import annotations

from pathlib import Path

import grpc
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

from roster_svc.adapters.orm import start_mappers
from roster_svc.entrypoints.grpc_servicer import RosterServicer
from roster_svc.service_layer.unit_of_work import SqlRosterUnitOfWork
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.server import ServiceSpec

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = roster_pb2.DESCRIPTOR.services_by_name["RosterService"].full_name


def build(settings: Settings) -> ServiceSpec:
    engine = make_engine(settings.database_url("roster"))
    migrate(engine, MIGRATIONS)
    start_mappers()
    factory = session_factory(engine)

    def register(server: grpc.Server) -> None:
        servicer = RosterServicer(lambda: SqlRosterUnitOfWork(factory))
        roster_pb2_grpc.add_RosterServiceServicer_to_server(servicer, server)

    return ServiceSpec("roster", [SERVICE_NAME], register, on_stop=[engine.dispose])
