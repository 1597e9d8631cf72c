"""Wires the finance service: its durable database and migrations, the roster client, the
clock and the servicer, into a ServiceSpec."""

from __future__ import annotations

from pathlib import Path

import grpc
from sgz.finance.v1 import finance_pb2, finance_pb2_grpc
from sgz.roster.v1 import roster_pb2

from finance_svc.adapters.roster_client import GrpcRosterClient
from finance_svc.entrypoints.grpc_servicer import FinanceServicer
from finance_svc.service_layer.common import system_clock
from finance_svc.service_layer.unit_of_work import FinanceUnitOfWork
from sgz_runtime.chain import chain_key
from sgz_runtime.clients import channel_to
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.server import ServiceSpec

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = finance_pb2.DESCRIPTOR.services_by_name["FinanceService"].full_name
ROSTER_SERVICE = roster_pb2.DESCRIPTOR.services_by_name["RosterService"].full_name


def build(settings: Settings) -> ServiceSpec:
    # Durable: money; an acknowledged posting survives a power loss.
    engine = make_engine(settings.database_url("finance"), durable=True)
    migrate(engine, MIGRATIONS)
    factory = session_factory(engine)
    roster_channel = channel_to("roster", [ROSTER_SERVICE], settings)
    roster = GrpcRosterClient(roster_channel)
    key = chain_key("finance", settings.data_dir)

    def register(server: grpc.Server) -> None:
        servicer = FinanceServicer(lambda: FinanceUnitOfWork(factory, key), roster, system_clock)
        finance_pb2_grpc.add_FinanceServiceServicer_to_server(servicer, server)

    return ServiceSpec(
        "finance", [SERVICE_NAME], register, on_stop=[roster_channel.close, engine.dispose]
    )
