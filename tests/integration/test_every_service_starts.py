"""Each of the five services builds, migrates its database and serves health on a real port."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from sgz_runtime.config import SERVICES
from sgz_runtime.server import RunningServer


@pytest.mark.parametrize("service", SERVICES)
def test_service_starts_on_port_zero_and_reports_serving(
    service: str, start_service: Callable[..., tuple[RunningServer, grpc.Channel]]
) -> None:
    app = importlib.import_module(f"{service}_svc.app")
    running, channel = start_service(service, app.build)
    assert running.port > 0
    health = health_pb2_grpc.HealthStub(channel)
    for name in ["", *running.spec.service_names]:
        reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, name
