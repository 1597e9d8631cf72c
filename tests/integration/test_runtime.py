"""The service runtime: health, reflection, identity, deadlines, request ids, graceful shutdown."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from sgz.hr.v1 import hr_pb2
from sgz.roster.v1 import roster_pb2

from hr_svc.app import build as build_hr
from roster_svc.app import build as build_roster
from sgz_runtime import identity
from sgz_runtime.config import Settings
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.server import RunningServer, ServiceSpec, create_server
from tests.conftest import CITY, SECRET, caller_token

PROBE = "/sgz.test.Probe/Probe"


# (start a server with this behaviour and get a caller of its one method, the servers started)
Probe = tuple[Callable[[Callable[[bytes, Any], bytes]], Callable[..., bytes]], list[RunningServer]]


def _identity_bytes(data: bytes) -> bytes:
    return data


def _probe_spec(behaviour: Callable[[bytes, Any], bytes]) -> ServiceSpec:
    def register(server: grpc.Server) -> None:
        handler = grpc.unary_unary_rpc_method_handler(behaviour, _identity_bytes, _identity_bytes)
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("sgz.test.Probe", {"Probe": handler}),)
        )

    return ServiceSpec("probe", ["sgz.test.Probe"], register)


@pytest.fixture
def probe(settings: Settings) -> Iterator[Probe]:
    """Starts a server whose one method runs the behaviour given; yields (start, call)."""
    running: list[RunningServer] = []

    def start(behaviour: Callable[[bytes, Any], bytes]) -> Callable[..., bytes]:
        server = create_server(_probe_spec(behaviour), "127.0.0.1:0", settings)
        server.server.start()
        running.append(server)
        channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
        return channel.unary_unary(PROBE, _identity_bytes, _identity_bytes)

    yield start, running
    for server in running:
        server.stop(0)


def test_health_reports_serving_for_the_server_and_each_service(
    start_service: Callable[..., tuple[RunningServer, grpc.Channel]],
) -> None:
    _, channel = start_service("roster", build_roster)
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "sgz.roster.v1.RosterService"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as info:
        health.Check(health_pb2.HealthCheckRequest(service="sgz.nope.v1.Nope"))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_the_service(
    start_service: Callable[..., tuple[RunningServer, grpc.Channel]],
) -> None:
    _, channel = start_service("roster", build_roster)
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    replies = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    names = {s.name for reply in replies for s in reply.list_services_response.service}
    assert {"sgz.roster.v1.RosterService", "grpc.health.v1.Health"} <= names


def test_forged_and_expired_caller_tokens_are_refused(
    start_service: Callable[..., tuple[RunningServer, grpc.Channel]],
) -> None:
    _, channel = start_service("roster", build_roster)
    list_towns = channel.unary_unary(
        "/sgz.roster.v1.RosterService/ListTowns",
        roster_pb2.ListTownsRequest.SerializeToString,
        roster_pb2.ListTownsResponse.FromString,
    )
    forged = identity.sign(
        Caller("users/x", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY), b"not-the-key" * 4
    )
    expired = identity.sign(
        Caller("users/x", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY), SECRET.encode(), ttl_s=-60
    )
    for token in (forged, expired, "garbage"):
        with pytest.raises(grpc.RpcError) as info:
            list_towns(
                roster_pb2.ListTownsRequest(), metadata=((identity.CALLER_METADATA_KEY, token),)
            )
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_call_without_deadline_gets_the_default_and_a_caller_deadline_is_kept(
    probe: Probe, settings: Settings
) -> None:
    start, _ = probe
    seen: list[float] = []

    def remember(request: bytes, context: Any) -> bytes:
        ctx = identity.current_context()
        assert ctx is not None
        seen.append(ctx.remaining())
        return request

    call = start(remember)
    call(b"x", metadata=tuple(CITY))
    call(b"x", metadata=tuple(CITY), timeout=2.0)
    assert settings.default_deadline_s - 1 < seen[0] <= settings.default_deadline_s
    assert 0 < seen[1] <= 2.05


def test_request_id_and_caller_cross_services(
    start_service: Callable[..., tuple[RunningServer, grpc.Channel]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    roster, roster_channel = start_service("roster", build_roster)
    _, hr_channel = start_service("hr", build_hr, roster=roster.port)
    from sgz.hr.v1 import hr_pb2_grpc
    from sgz.roster.v1 import roster_pb2_grpc

    roster_pb2_grpc.RosterServiceStub(roster_channel).CreateTown(
        roster_pb2.CreateTownRequest(
            town_id="chengdong",
            town=roster_pb2.Town(
                display_name="城东镇",
                administrative_code="320621100",
                kind=roster_pb2.TOWN_KIND_TOWN,
            ),
        ),
        metadata=tuple(CITY),
    )
    hr = hr_pb2_grpc.HrServiceStub(hr_channel)
    town_head = [
        (
            identity.CALLER_METADATA_KEY,
            caller_token(Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/chengdong"),
        ),
        (identity.REQUEST_ID_METADATA_KEY, "req-cross-1"),
    ]
    caplog.set_level(logging.INFO, logger="sgz.server")
    worker = hr.CreateWorker(
        hr_pb2.CreateWorkerRequest(
            worker=hr_pb2.Worker(
                display_name="李四", town="towns/chengdong", role=hr_pb2.WORKER_ROLE_STATION_WORKER
            )
        ),
        metadata=tuple(town_head),
    )
    assert worker.town == "towns/chengdong"
    roster_calls = [
        r
        for r in caplog.records
        if getattr(r, "method", "") == "/sgz.roster.v1.RosterService/GetTown"
    ]
    assert [r.request_id for r in roster_calls] == ["req-cross-1"]  # type: ignore[attr-defined]


def test_worker_for_an_unknown_town_is_refused_naming_the_field(
    start_service: Callable[..., tuple[RunningServer, grpc.Channel]],
) -> None:
    roster, _ = start_service("roster", build_roster)
    _, hr_channel = start_service("hr", build_hr, roster=roster.port)
    from sgz.hr.v1 import hr_pb2_grpc

    from sgz_runtime import status

    hr = hr_pb2_grpc.HrServiceStub(hr_channel)
    request = hr_pb2.CreateWorkerRequest(
        worker=hr_pb2.Worker(
            display_name="李四", town="towns/nowhere", role=hr_pb2.WORKER_ROLE_STATION_WORKER
        )
    )
    with pytest.raises(grpc.RpcError) as info:
        hr.CreateWorker(request, metadata=tuple(CITY))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    error = status.from_rpc_error(info.value)
    assert [v.field for v in error.violations] == ["worker.town"]  # type: ignore[attr-defined]
    assert list(hr.ListWorkers(hr_pb2.ListWorkersRequest(), metadata=tuple(CITY)).workers) == []


def test_roster_down_makes_worker_creation_unavailable(
    start_service: Callable[..., tuple[RunningServer, grpc.Channel]],
) -> None:
    _, hr_channel = start_service("hr", build_hr, roster=1)  # nothing listens on port 1
    from sgz.hr.v1 import hr_pb2_grpc

    hr = hr_pb2_grpc.HrServiceStub(hr_channel)
    request = hr_pb2.CreateWorkerRequest(
        worker=hr_pb2.Worker(
            display_name="李四", town="towns/x", role=hr_pb2.WORKER_ROLE_STATION_WORKER
        )
    )
    with pytest.raises(grpc.RpcError) as info:
        hr.CreateWorker(request, metadata=tuple(CITY), timeout=5)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_graceful_shutdown_lets_a_call_in_flight_finish(probe: Probe) -> None:
    start, running = probe
    entered = threading.Event()

    def slow(request: bytes, context: Any) -> bytes:
        entered.set()
        time.sleep(1.0)
        return b"done"

    call = start(slow)
    outcome: dict[str, Any] = {}

    def in_flight() -> None:
        outcome["reply"] = call(b"x", metadata=tuple(CITY), timeout=10)

    thread = threading.Thread(target=in_flight)
    thread.start()
    assert entered.wait(5)
    running[0].stop(5.0)  # returns once the call has finished
    thread.join(5)
    assert outcome["reply"] == b"done"
    with pytest.raises(grpc.RpcError) as info:
        call(b"x", metadata=tuple(CITY), timeout=2)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_an_unexpected_exception_is_internal_without_its_text(probe: Probe) -> None:
    start, _ = probe

    def broken(request: bytes, context: Any) -> bytes:
        raise RuntimeError("secret detail 320621194912310020")

    call = start(broken)
    with pytest.raises(grpc.RpcError) as info:
        call(b"x", metadata=tuple(CITY))
    assert info.value.code() == grpc.StatusCode.INTERNAL
    assert "320621" not in (info.value.details() or "")
