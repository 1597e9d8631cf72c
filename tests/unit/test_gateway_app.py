"""The app's construction: no side effects until its lifespan runs; every route found."""

from __future__ import annotations

from pathlib import Path

from google.api import annotations_pb2

from gateway.app import Gateway, create_app
from gateway.descriptors import load_backends
from gateway.transcoding import routes_of
from sgz_runtime.config import SERVICES, Settings


def test_create_app_opens_nothing_before_the_lifespan(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    app = create_app(settings)
    gateway: Gateway = app.state.gateway
    assert not (tmp_path / "data").exists()  # the internal key is made at start-up, not here
    assert gateway._channels == {}


def test_every_annotated_rpc_of_the_five_services_has_a_route() -> None:
    backends = load_backends()
    assert [b.name for b in backends] == list(SERVICES)
    routes, problems = routes_of(backends)
    assert problems == []
    annotated = {
        f"/{service.full_name}/{method.name}"
        for backend in backends
        for service in backend.services
        for method in service.methods
        if method.GetOptions().HasExtension(annotations_pb2.http)
    }
    assert {r.grpc_path for r in routes} == annotated
    assert {"/sgz.roster.v1.RosterService/CreateTown", "/sgz.hr.v1.HrService/CreateWorker"} <= {
        r.grpc_path for r in routes
    }


def test_field_paths_in_errors_are_the_json_names_the_client_sent() -> None:
    from gateway.errors import json_field_path

    assert json_field_path("visit.checks.personal_hygiene") == "visit.checks.personalHygiene"
    assert json_field_path("person.id_number") == "person.idNumber"
    assert json_field_path("request_id") == "requestId"
    assert json_field_path("town") == "town"
    assert json_field_path("rows[3].village_code") == "rows[3].villageCode"
