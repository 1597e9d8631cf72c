"""Recording visits through the gateway under concurrent load (issue 4): HTTP POST /v1/visits,
16 in flight, into the real stack (gateway, visit, roster, HR), each service in its own
process on SQLite with the visit database durable (synchronous=FULL), beside the bare gRPC
echo round trip measured in the same run.

Every acknowledged visit is then counted in the visit database and its town's ledger chain
verified, so a figure never comes from writes that were not kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import httpx
from sgz.hr.v1 import hr_pb2, hr_pb2_grpc
from sgz.roster.v1 import roster_pb2 as rpb
from sgz.roster.v1 import roster_pb2_grpc
from sgz.visit.v1 import ledger_pb2, visit_pb2_grpc

from bench.harness import Row, drive
from sgz_runtime.identity import CALLER_METADATA_KEY, Caller, Role, ScopeLevel, sign
from sgz_runtime.proto_values import date_to_pb

SECRET = "bench-secret-" + "x" * 32
TOWN = "towns/chengdong"
VILLAGE = f"{TOWN}/villages/xinhua"
CHECKS = (
    "residence_hygiene",
    "personal_hygiene",
    "regular_diet",
    "food_source",
    "able_to_feed_self",
    "house_safety",
    "illness",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _id_number(i: int) -> str:
    body = f"320621{1940 + i % 50}0101{i % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(a) * w for a, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


class Stack:
    """The four processes, started with `python -m <service>` as `sgz up` would."""

    def __init__(self, tmp: Path, env_extra: dict[str, str]):
        self.ports = {s: _free_port() for s in ("roster", "hr", "visit", "gateway")}
        self.env = {
            **os.environ,
            "SGZ_DATA_DIR": str(tmp),
            "SGZ_INTERNAL_SECRET": SECRET,
            "SGZ_LOG_LEVEL": "WARNING",
            **{f"SGZ_{s.upper()}_PORT": str(p) for s, p in self.ports.items()},
            **{
                f"{s.upper()}_DATABASE_URL": f"sqlite:///{tmp / s}.db"
                for s in ("roster", "hr", "visit")
            },
            **env_extra,
        }
        self.visit_db = tmp / "visit.db"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.log = (tmp / "stack.log").open("wb")

    def start(self) -> None:
        for module in ("roster_svc", "hr_svc", "visit_svc", "gateway"):
            command = [sys.executable, "-m", module]
            profile = os.environ.get("SGZ_BENCH_PROFILE", "")
            if profile and module.startswith(profile):
                # `SGZ_BENCH_PROFILE=visit`: sample that process's threads into
                # var/bench/<module>.samples.txt (bench/sampler.py).
                out = Path("var/bench").resolve() / f"{module}.samples.txt"
                command = [sys.executable, "-m", "bench.sampler", str(out), module]
            self.processes.append(
                subprocess.Popen(command, env=self.env, stdout=self.log, stderr=self.log)
            )
        deadline = time.monotonic() + 60
        for service in ("roster", "hr", "visit"):
            channel = grpc.insecure_channel(f"127.0.0.1:{self.ports[service]}")
            grpc.channel_ready_future(channel).result(timeout=max(1, deadline - time.monotonic()))
            channel.close()
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.ports['gateway']}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the gateway did not start")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each process has used so far, from /proc."""
        tick = os.sysconf("SC_CLK_TCK")
        used = {}
        for module, process in zip(
            ("roster", "hr", "visit", "gateway"), self.processes, strict=True
        ):
            try:
                fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
                used[module] = (int(fields[11]) + int(fields[12])) / tick
            except (OSError, IndexError, ValueError):
                used[module] = float("nan")
        return used

    def channel(self, service: str) -> grpc.Channel:
        return grpc.insecure_channel(f"127.0.0.1:{self.ports[service]}")


def _city() -> tuple[tuple[str, str | bytes], ...]:
    caller = Caller("users/bench", Role.SYSTEM, ScopeLevel.CITY)
    return ((CALLER_METADATA_KEY, sign(caller, SECRET.encode())),)


def seed(stack: Stack, persons: int) -> tuple[str, list[str]]:
    """A town, a village, a worker and `persons` dispersed persons assigned to them."""
    city = _city()
    with stack.channel("roster") as rc, stack.channel("hr") as hc:
        roster = roster_pb2_grpc.RosterServiceStub(rc)
        hr = hr_pb2_grpc.HrServiceStub(hc)
        roster.CreateTown(
            rpb.CreateTownRequest(
                town=rpb.Town(
                    display_name="城东镇", administrative_code="320621100", kind=rpb.TOWN_KIND_TOWN
                ),
                town_id="chengdong",
            ),
            metadata=city,
        )
        roster.CreateVillage(
            rpb.CreateVillageRequest(
                parent=TOWN,
                village=rpb.Village(display_name="新华村", kind=rpb.VILLAGE_KIND_VILLAGE),
                village_id="xinhua",
            ),
            metadata=city,
        )
        worker = hr.CreateWorker(
            hr_pb2.CreateWorkerRequest(
                worker=hr_pb2.Worker(
                    display_name="王芳", town=TOWN, role=hr_pb2.WORKER_ROLE_STATION_WORKER
                )
            ),
            metadata=city,
        ).name
        names = []
        for i in range(persons):
            person = roster.CreatePerson(
                rpb.CreatePersonRequest(
                    person=rpb.Person(
                        display_name=f"老人{i}", id_number=_id_number(i), village=VILLAGE
                    ),
                    start_date=date_to_pb(dt.date(2024, 1, 1)),
                ),
                metadata=city,
            )
            roster.CreateAssignment(
                rpb.CreateAssignmentRequest(
                    parent=person.name,
                    assignment=rpb.Assignment(
                        worker=worker, start_date=date_to_pb(dt.date(2024, 1, 1))
                    ),
                ),
                metadata=city,
            )
            names.append(person.name)
    return worker, names


def _body(person: str, worker: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "person": person,
        "worker": worker,
        "visitTime": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "checks": {c: {"result": "CHECK_RESULT_FINE"} for c in CHECKS},
    }


class _Http:
    """Keep-alive HTTP/1.1 connections to the gateway, one per call in flight: a lean client,
    because the load generator shares the machine's two cores with the servers it measures
    (httpx's AsyncClient spent about 2 ms of CPU per POST, as much as the visit service).
    It sends the same request (POST, the whole request as the JSON body) and reads the whole
    response (status line, headers, Content-Length body)."""

    def __init__(self, port: int, connections: int):
        self.port = port
        self.size = connections
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def open(self) -> None:
        for _ in range(self.size):
            self.idle.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))

    async def close(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()

    async def post(self, target: str, body: bytes) -> tuple[int, bytes]:
        reader, writer = await self.idle.get()
        try:
            writer.write(
                b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (target.encode(), len(body), body)
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            payload = await reader.readexactly(length)
        except BaseException:
            writer.close()  # a broken connection is replaced, so the pool keeps its size
            self.idle.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))
            raise
        self.idle.put_nowait((reader, writer))
        return status, payload


async def visit_load(
    port: int, worker: str, persons: list[str], calls: int
) -> tuple[dict[str, float], int]:
    """POSTs visits, 16 in flight; returns the figures and the number acknowledged."""
    base = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    acknowledged = 0
    http = _Http(port, 16)
    await http.open()

    async def one(i: int) -> None:
        nonlocal acknowledged
        person = persons[abs(i) % len(persons)]
        visit = _body(person, worker, base - dt.timedelta(milliseconds=abs(i)))
        body = json.dumps({"visit": visit, "requestId": uuid.uuid4().hex})
        status, payload = await http.post("/v1/visits", body.encode())
        if status != 200:
            raise RuntimeError(f"{status}: {payload[:300].decode(errors='replace')}")
        acknowledged += 1

    try:
        result = await drive(one, calls=calls, in_flight=16, warmup=200)
    finally:
        await http.close()
    return result.figures(), acknowledged


def _verify(stack: Stack) -> tuple[bool, int]:
    city = _city()
    with stack.channel("visit") as channel:
        found = visit_pb2_grpc.VisitServiceStub(channel).VerifyLedger(
            ledger_pb2.VerifyLedgerRequest(town=TOWN), metadata=city, timeout=120
        )
    return bool(found.holds), int(found.head_sequence)


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def run(quick: bool = False) -> list[Row]:
    calls = 2000 if quick else 10000
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp), {})
        try:
            stack.start()
            worker, persons = seed(stack, 50 if quick else 200)
            before, client_before = stack.cpu_seconds(), _own_cpu()
            figures, acknowledged = asyncio.run(
                visit_load(stack.ports["gateway"], worker, persons, calls)
            )
            after, client_after = stack.cpu_seconds(), _own_cpu()
            holds, head = _verify(stack)
        finally:
            stack.stop()
        with sqlite3.connect(stack.visit_db) as db:
            (kept,) = db.execute("SELECT count(*) FROM visits").fetchone()
        done = acknowledged + 200
        # CPU per visit by process: on a busy shared machine this, not the wall clock, says
        # what two dedicated cores could do (2000 ms of CPU a second / the total).
        for name in ("gateway", "visit", "roster"):
            figures[f"cpu_ms_{name}"] = round((after[name] - before[name]) * 1000 / done, 3)
        servers = sum(after[n] - before[n] for n in after) * 1000 / done
        figures["cpu_ms_servers"] = round(servers, 3)
        figures["cpu_ms_client"] = round((client_after - client_before) * 1000 / done, 3)
        figures["capacity_2_cores_per_s"] = round(2000 / servers, 1) if servers else 0.0
        figures["visits_kept"] = kept
        figures["ledger_entries"] = head
        notes = (
            f"{acknowledged + 200} acknowledged (200 warm-up), {kept} in the database after the "
            f"services stopped; ledger chain {'holds' if holds else 'BROKEN'}"
        )
        rows.append(
            Row(
                "visits via gateway",
                "POST /v1/visits, 16 in flight, SQLite, durable group commit",
                figures,
                primary="per_s",
                baseline="echo",
                notes=notes,
            )
        )
    return rows
