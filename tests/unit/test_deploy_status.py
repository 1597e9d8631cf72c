"""`sgz status`: the gateway's /healthz as a table, exit 0 only when every service serves."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from typer.testing import CliRunner

from deploy import health
from sgz_cli.main import app


class _FakeGateway:
    """A real HTTP server answering /healthz with whatever the test sets."""

    def __init__(self) -> None:
        self.code = 200
        self.body: Any = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                payload = json.dumps(fake.body).encode()
                self.send_response(fake.code if self.path == "/healthz" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, code: int, **statuses: str) -> None:
        services = {
            name: {"status": status, "address": f"127.0.0.1:{50051 + i}"}
            for i, (name, status) in enumerate(statuses.items())
        }
        for entry in services.values():
            if entry["status"] != "SERVING":
                entry["error"] = "connection refused"
        overall = "SERVING" if code == 200 else "NOT_SERVING"
        self.code, self.body = code, {"status": overall, "services": services}


@pytest.fixture
def gateway() -> Iterator[_FakeGateway]:
    fake = _FakeGateway()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_status_exits_0_and_lists_each_service_when_all_serve(gateway: _FakeGateway) -> None:
    gateway.answer(200, roster="SERVING", hr="SERVING")

    result = CliRunner().invoke(app, ["--lang", "en", "status", "--gateway", gateway.url])

    assert result.exit_code == 0, result.output
    assert "roster" in result.output and "hr" in result.output
    assert "All services are serving" in result.output


def test_status_exits_1_and_names_the_service_that_is_down(gateway: _FakeGateway) -> None:
    gateway.answer(503, roster="NOT_SERVING", hr="SERVING")

    result = CliRunner().invoke(app, ["--lang", "en", "status", "--gateway", gateway.url])

    assert result.exit_code == 1
    assert "Not serving: roster." in result.output
    assert "connection refused" in result.output


def test_status_exits_1_with_a_clear_message_when_the_gateway_is_unreachable(
    gateway: _FakeGateway,
) -> None:
    url = gateway.url
    gateway.server.shutdown()
    gateway.server.server_close()

    result = CliRunner().invoke(app, ["--lang", "en", "status", "--gateway", url])

    assert result.exit_code == 1
    assert "The gateway is unreachable" in result.output
    assert "sgz up" in result.output


def test_a_gateway_that_answers_something_else_is_not_taken_for_healthy(
    gateway: _FakeGateway,
) -> None:
    gateway.code, gateway.body = 200, {"hello": "world"}

    with pytest.raises(health.GatewayUnreachable):
        health.fetch(gateway.url)


def test_a_service_in_any_other_state_than_serving_is_not_serving() -> None:
    found = health.parse({"status": "SERVING", "services": {"roster": {"status": "UNKNOWN"}}})

    assert not found.serving
    assert found.of("roster") == health.ServiceHealth("roster", "UNKNOWN")


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8080"),
        ("0.0.0.0", "http://127.0.0.1:8080"),
        ("::", "http://[::1]:8080"),
        ("::1", "http://[::1]:8080"),
    ],
)
def test_the_gateway_url_is_one_a_local_client_can_reach(host: str, url: str) -> None:
    assert health.gateway_url(host, 8080) == url
