"""Wires the roster service: database, migrations, mappers and servicer, into a ServiceSpec."""

from __future__ import annotations

from pathlib import Path

import grpc
from sgz.hr.v1 import hr_pb2
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

from roster_svc.adapters import orm
from roster_svc.adapters.audit_trail import TrailExportAudit
from roster_svc.adapters.bulk_fernet import BulkFernet
from roster_svc.adapters.checkpoint_client import GrpcCheckpointClient
from roster_svc.adapters.hr_client import GrpcHrClient
from roster_svc.adapters.orm import start_mappers
from roster_svc.entrypoints.grpc_servicer import RosterServicer
from roster_svc.person_settings import PersonSettings, retired_keys
from roster_svc.service_layer.care import CareDeps
from roster_svc.service_layer.office import SqlOfficeUnitOfWork
from roster_svc.service_layer.unit_of_work import SqlRosterUnitOfWork
from roster_svc.station_settings import StationSettings
from sgz_runtime.audit import SqlAuditLog, audit_head
from sgz_runtime.chain import chain_key
from sgz_runtime.checkpoints import CheckpointPublisher, SqlCheckpointStore
from sgz_runtime.clients import channel_to
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.pii.vault import FernetIdVault, SealedText, seal_plaintext
from sgz_runtime.server import ServiceSpec

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = roster_pb2.DESCRIPTOR.services_by_name["RosterService"].full_name
HR_SERVICE = hr_pb2.DESCRIPTOR.services_by_name["HrService"].full_name
#: Seconds between publications of the audit trail's head to the visit service (when moved).
PUBLISH_EVERY_S = 300.0


def build(settings: Settings) -> ServiceSpec:
    engine = make_engine(settings.database_url("roster"))
    migrate(engine, MIGRATIONS)
    start_mappers()
    factory = session_factory(engine)
    hr_channel = channel_to("hr", [HR_SERVICE], settings)
    station_standards = StationSettings().domain_standards()
    person_settings = PersonSettings()
    # Reads of full ID numbers are kept in the roster's own keyed, append-only trail; its head
    # is checkpointed in the visit service's database (docs/privacy.md). A plain channel: the
    # roster publishes as itself, never as the user whose call is being served.
    key = chain_key("roster", settings.data_dir)
    audit_log = SqlAuditLog(factory, key)
    checkpoint_channel = grpc.insecure_channel(settings.address_of("visit"))
    checkpoint_client = GrpcCheckpointClient(checkpoint_channel, settings.secret())
    publisher = CheckpointPublisher(
        "roster", key, lambda: audit_head(factory), checkpoint_client, PUBLISH_EVERY_S
    )
    publisher.start()
    vault = FernetIdVault(
        person_settings.hmac_key(settings.data_dir),
        person_settings.encryption_key(settings.data_dir),
        retired_keys(person_settings),
    )
    # Addresses and phones are sealed at rest with the same keys; rows from before are sealed
    # in place once (docs/privacy.md).
    SealedText.install(vault, "roster")
    with factory() as session, session.begin():
        seal_plaintext(session, orm.persons, "id", ("address", "phone"))

    def register(server: grpc.Server) -> None:
        servicer = RosterServicer(
            lambda: SqlRosterUnitOfWork(factory),
            hr=GrpcHrClient(hr_channel),
            vault=vault,
            care=CareDeps(person_settings.calendar(), person_settings.reassessment_working_days),
            station_standards=station_standards,
        )
        servicer.configure_office(
            lambda: SqlOfficeUnitOfWork(factory),
            vault,
            audit=TrailExportAudit(audit_log),
            # An export opens a page's ID numbers, addresses and phones at once.
            bulk=BulkFernet(
                [person_settings.encryption_key(settings.data_dir), *retired_keys(person_settings)]
            ),
        )
        servicer.configure_audit(audit_log, SqlCheckpointStore(factory), checkpoint_client)
        roster_pb2_grpc.add_RosterServiceServicer_to_server(servicer, server)

    return ServiceSpec(
        "roster",
        [SERVICE_NAME],
        register,
        on_stop=[publisher.stop, checkpoint_channel.close, hr_channel.close, engine.dispose],
    )
