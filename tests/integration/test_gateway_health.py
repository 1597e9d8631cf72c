"""`GET /healthz` against five real gRPC servers (the stock health servicer of
sgz_runtime.server), one of which goes down or shuts down."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest

from gateway.app import create_app
from sgz_runtime.config import SERVICES, Settings
from sgz_runtime.server import RunningServer, ServiceSpec, create_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def start(name: str, settings: Settings, address: str = "127.0.0.1:0") -> RunningServer:
    running = create_server(ServiceSpec(name, [], lambda server: None), address, settings)
    running.server.start()
    return running


@pytest.fixture
def servers(settings: Settings) -> Iterator[dict[str, RunningServer]]:
    running = {name: start(name, settings) for name in SERVICES}
    yield running
    for server in running.values():
        server.stop(0)


@asynccontextmanager
async def gateway(
    settings: Settings, servers: dict[str, RunningServer]
) -> AsyncIterator[httpx.AsyncClient]:
    local = settings.model_copy(update={f"{n}_port": s.port for n, s in servers.items()})
    app = create_app(local)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


async def test_healthz_is_200_when_every_service_serves(
    settings: Settings, servers: dict[str, RunningServer]
) -> None:
    async with gateway(settings, servers) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "SERVING",
        "services": {
            name: {"status": "SERVING", "address": f"127.0.0.1:{servers[name].port}"}
            for name in SERVICES
        },
    }


async def test_healthz_is_503_naming_the_service_that_is_down(
    settings: Settings, servers: dict[str, RunningServer]
) -> None:
    servers["visit"].stop(0)
    async with gateway(settings, servers) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "NOT_SERVING"
    visit = body["services"]["visit"]
    assert visit["status"] == "NOT_SERVING"
    assert visit["address"] == f"127.0.0.1:{servers['visit'].port}"
    assert "UNAVAILABLE" in visit["error"]
    others = {n: s["status"] for n, s in body["services"].items() if n != "visit"}
    assert others == dict.fromkeys(set(SERVICES) - {"visit"}, "SERVING")


async def test_service_shutting_down_is_not_serving(
    settings: Settings, servers: dict[str, RunningServer]
) -> None:
    servers["hr"].health.enter_graceful_shutdown()
    async with gateway(settings, servers) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["services"]["hr"] == {
        "status": "NOT_SERVING",
        "address": f"127.0.0.1:{servers['hr'].port}",
    }


async def test_service_that_comes_back_is_serving_again(
    settings: Settings, servers: dict[str, RunningServer]
) -> None:
    port = servers["finance"].port
    servers["finance"].stop(0)
    async with gateway(settings, servers) as client:
        assert (await client.get("/healthz")).status_code == 503
        servers["finance"] = start("finance", settings, f"127.0.0.1:{port}")
        # The channel reconnects on its own; wait for that, boundedly.
        with anyio.fail_after(15):
            while (await client.get("/healthz")).status_code != 200:
                await anyio.sleep(0.1)
