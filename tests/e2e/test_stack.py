"""The whole system as `sgz up` runs it: five services and the gateway under supervisor, used
over HTTP. One stack for the module; the last test stops it with Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid

import httpx
import pytest

from sgz_runtime.config import SERVICES
from tests.conftest import BACKEND
from tests.e2e.conftest import (
    HEALTHY_WITHIN_S,
    RunningStack,
    alive,
    free_ports,
    processes_of,
    sgz,
    up_command,
)

pytestmark = pytest.mark.e2e

#: Seconds a killed service gets to be restarted and serve again (generous: 2 shared cores).
RESTART_WITHIN_S = 45.0


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _create_town(client: httpx.Client, town_id: str, display_name: str) -> httpx.Response:
    """A town with a fresh id and a fresh 9-digit division code (both must be unique)."""
    return client.post(
        "/v1/towns",
        params={"townId": town_id},
        json={
            "displayName": display_name,
            "administrativeCode": str(uuid.uuid4().int % 1_000_000_000).zfill(9),
            "kind": "TOWN_KIND_TOWN",
        },
    )


@pytest.fixture
def client(stack: RunningStack) -> httpx.Client:
    return httpx.Client(base_url=stack.url, timeout=10.0)


def test_the_stack_reports_every_service_serving_within_60_s(stack: RunningStack) -> None:
    answer = httpx.get(stack.url + "/healthz", timeout=5.0)

    assert stack.healthy_after_s < HEALTHY_WITHIN_S
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "SERVING"
    assert set(body["services"]) == set(SERVICES)
    for service, entry in body["services"].items():
        assert entry["status"] == "SERVING"
        assert entry["address"].endswith(f":{stack.ports[service]}")
    databases = sorted(p.name for p in stack.data_dir.glob("*.db"))
    if BACKEND == "postgres":
        assert databases == []  # every service is on its own PostgreSQL database
    else:
        assert "roster.db" in databases
    print(f"healthy after {stack.healthy_after_s:.1f} s")


def test_towns_villages_and_workers_are_created_and_listed_through_the_gateway(
    client: httpx.Client,
) -> None:
    town_id = _unique("t")
    created = _create_town(client, town_id, "碧溪街道")
    assert created.status_code == 200, created.text
    assert created.json()["name"] == f"towns/{town_id}"

    village = client.post(
        f"/v1/towns/{town_id}/villages",
        params={"villageId": "v1"},
        json={"displayName": "浒浦村", "kind": "VILLAGE_KIND_VILLAGE"},
    )
    assert village.status_code == 200, village.text
    assert village.json()["name"] == f"towns/{town_id}/villages/v1"

    worker = client.post(
        "/v1/workers",
        json={
            "displayName": "李娜",
            "town": f"towns/{town_id}",
            "role": "WORKER_ROLE_STATION_WORKER",
        },
    )
    assert worker.status_code == 200, worker.text
    worker_name = worker.json()["name"]
    assert worker_name.startswith("workers/")

    towns = client.get("/v1/towns", params={"pageSize": 1000})
    assert towns.status_code == 200, towns.text
    assert f"towns/{town_id}" in [t["name"] for t in towns.json()["towns"]]
    villages = client.get(f"/v1/towns/{town_id}/villages")
    assert [v["displayName"] for v in villages.json()["villages"]] == ["浒浦村"]
    workers = client.get("/v1/workers", params={"town": f"towns/{town_id}"})
    assert workers.status_code == 200, workers.text
    assert [w["name"] for w in workers.json()["workers"]] == [worker_name]


def test_a_worker_for_an_unknown_town_is_refused_and_not_listed(client: httpx.Client) -> None:
    unknown = f"towns/{_unique('nowhere')}"

    refused = client.post(
        "/v1/workers",
        json={"displayName": "王芳", "town": unknown, "role": "WORKER_ROLE_STATION_WORKER"},
    )

    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    fields = [
        violation["field"]
        for detail in error["details"]
        for violation in detail.get("fieldViolations", [])
    ]
    assert "worker.town" in fields
    listed = client.get("/v1/workers", params={"pageSize": 1000}).json().get("workers", [])
    assert unknown not in [w["town"] for w in listed]


def test_sgz_status_exits_0_when_every_service_serves(stack: RunningStack) -> None:
    done = subprocess.run(
        sgz("status", f"--gateway={stack.url}"), capture_output=True, text=True, timeout=30
    )

    assert done.returncode == 0, done.stdout + done.stderr
    for service in SERVICES:
        assert service in done.stdout


def test_sgz_status_exits_1_naming_a_stopped_service(stack: RunningStack) -> None:
    stack.supervisor.stop_program("visit")
    try:
        done = subprocess.run(
            sgz("status", f"--gateway={stack.url}"), capture_output=True, text=True, timeout=30
        )
    finally:
        stack.supervisor.start_program("visit")

    assert done.returncode == 1, done.stdout + done.stderr
    assert "未运行：visit。" in done.stdout


def test_sgz_status_exits_1_when_the_gateway_is_unreachable() -> None:
    [nobody] = free_ports(1)

    done = subprocess.run(
        sgz("status", f"--gateway=http://127.0.0.1:{nobody}"),
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 1
    assert "无法连接网关" in done.stdout


def _roster_health(client: httpx.Client) -> tuple[int, str]:
    try:
        answer = client.get("/healthz", timeout=2.0)
    except httpx.HTTPError:
        return 0, "gateway unreachable"
    return answer.status_code, answer.json()["services"]["roster"]["status"]


def test_a_killed_service_shows_not_serving_until_supervisor_restarts_it(
    stack: RunningStack, client: httpx.Client
) -> None:
    _wait_all_serving(client)
    killed = stack.pids()["roster"]

    os.kill(killed, signal.SIGKILL)

    seen_down = False
    deadline = time.monotonic() + RESTART_WITHIN_S
    while time.monotonic() < deadline:
        code, status = _roster_health(client)
        if (code, status) == (503, "NOT_SERVING"):
            seen_down = True
        elif seen_down and (code, status) == (200, "SERVING"):
            break
        time.sleep(0.01)
    else:
        state = "not back" if seen_down else "never seen down"
        pytest.fail(f"roster was {state} within {RESTART_WITHIN_S:.0f} s")
    restarted = stack.pids()["roster"]
    assert restarted not in (0, killed)
    assert not alive(killed)
    town_id = _unique("back")
    assert _create_town(client, town_id, "梅李镇").status_code == 200


def _wait_all_serving(client: httpx.Client, within_s: float = 30) -> None:
    deadline = time.monotonic() + within_s
    while client.get("/healthz").status_code != 200:
        assert time.monotonic() < deadline, "the stack did not serve again"
        time.sleep(0.1)


def test_a_second_stack_on_the_same_data_dir_is_refused(stack: RunningStack) -> None:
    other_ports = dict(zip(stack.ports, free_ports(len(stack.ports)), strict=True))

    done = subprocess.run(
        up_command(stack.data_dir, other_ports),
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1, done.stdout
    assert "already running" in done.stdout
    assert httpx.get(stack.url + "/healthz", timeout=5.0).status_code == 200


def test_ctrl_c_stops_supervisor_and_every_program(stack: RunningStack) -> None:
    """Last in the module: it stops the module's stack."""
    pids = [stack.supervisord_pid(), *stack.pids().values()]
    assert all(pids)

    stack.process.send_signal(signal.SIGINT)
    code = stack.process.wait(timeout=60)

    assert code == 0, stack.log()
    assert [pid for pid in pids if alive(pid)] == []
    assert processes_of(stack.data_dir) == []
    assert "sgz stopped." in stack.log()
    for port in stack.ports.values():
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1.0)
