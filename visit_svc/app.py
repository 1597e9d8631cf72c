"""Wires the visit service: its durable database and migrations, the roster client, the
clock and the servicer, into a ServiceSpec."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import grpc
from sgz.roster.v1 import roster_pb2
from sgz.visit.v1 import visit_pb2, visit_pb2_grpc

from sgz_runtime.audit import SqlAuditLog
from sgz_runtime.chain import chain_key
from sgz_runtime.checkpoints import CheckpointPublisher, SqlCheckpointStore
from sgz_runtime.clients import channel_to
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.server import ServiceSpec
from visit_svc.adapters import group_commit
from visit_svc.adapters.checkpoint_client import GrpcCheckpointClient
from visit_svc.adapters.directory import GrpcDirectory
from visit_svc.adapters.facts_queries import SqlFactsUnitOfWork
from visit_svc.adapters.group_commit import GroupCommitVisitUnitOfWork
from visit_svc.adapters.ledger_repository import anchor_legacy_chains, chain_heads
from visit_svc.adapters.repository import PolicyCache
from visit_svc.adapters.roster_cache import CachingRosterClient
from visit_svc.adapters.roster_client import GrpcRosterClient
from visit_svc.adapters.visit_queries import SqlVisitQueries
from visit_svc.entrypoints.grpc_servicer import VisitServicer
from visit_svc.service_layer import ledger
from visit_svc.service_layer.common import system_clock
from visit_svc.service_layer.unit_of_work import SqlVisitUnitOfWork
from visit_svc.visit_settings import VisitSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = visit_pb2.DESCRIPTOR.services_by_name["VisitService"].full_name
ROSTER_SERVICE = roster_pb2.DESCRIPTOR.services_by_name["RosterService"].full_name


def build(settings: Settings) -> ServiceSpec:
    # Durable: every acknowledged visit and ledger entry survives a power loss.
    engine = make_engine(settings.database_url("visit"), durable=True)
    migrate(engine, MIGRATIONS)
    factory = session_factory(engine)
    # The ledger's chains are keyed with a secret kept outside the database (docs/privacy.md);
    # entries from before the key are counted and signed once, before anything is appended.
    key = chain_key("visit", settings.data_dir)
    with factory() as session, session.begin():
        anchor_legacy_chains(session, key)
    roster_channel = channel_to("roster", [ROSTER_SERVICE], settings)
    own = VisitSettings()
    policy_cache = PolicyCache()
    # One fsync for the commits that happen together; answered only once on disk (SQLite).
    flusher = group_commit.enable(engine) if own.group_commit else None
    roster = CachingRosterClient(GrpcRosterClient(roster_channel), own.timeline_cache_s)
    # Reads of health findings are kept in the service's own keyed trail; the heads of its
    # chains are checkpointed in the roster's database (docs/privacy.md). A plain channel:
    # checkpoints go as the service itself, never as the user whose call is being served.
    audit_log = SqlAuditLog(factory, key)
    checkpoint_channel = grpc.insecure_channel(settings.address_of("roster"))
    checkpoint_client = GrpcCheckpointClient(checkpoint_channel, settings.secret())
    publisher = CheckpointPublisher(
        ledger.SERVICE,
        key,
        lambda: chain_heads(factory),
        checkpoint_client,
        own.checkpoint_interval_s,
    )
    publisher.start()

    def uow() -> SqlVisitUnitOfWork:
        return GroupCommitVisitUnitOfWork(factory, flusher, policy_cache, key)

    def register(server: grpc.Server) -> None:
        servicer = VisitServicer(uow, roster, system_clock, timedelta(seconds=own.clock_skew_s))
        servicer.configure_ledger(  # the ledger's and the facts' RPCs (V7, A2)
            uow, lambda: SqlFactsUnitOfWork(factory), roster
        )
        servicer.configure_audit(audit_log, checkpoint_client, SqlCheckpointStore(factory))
        # Visits by place and week; escalations with names asked of the roster as the caller.
        servicer.configure_office(SqlVisitQueries(factory), GrpcDirectory(roster_channel))
        visit_pb2_grpc.add_VisitServiceServicer_to_server(servicer, server)

    stops = [publisher.stop, checkpoint_channel.close, roster_channel.close, engine.dispose]
    if flusher is not None:
        stops.insert(0, flusher.stop)
    return ServiceSpec("visit", [SERVICE_NAME], register, on_stop=stops)
