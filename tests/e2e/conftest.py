"""The whole stack started by `sgz up` as a subprocess, once per test module, on free ports in
a temporary data dir; on PostgreSQL (SGZ_TEST_DB=postgres) with a fresh database per service."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from deploy.control import Supervisor, SupervisorUnreachable
from deploy.supervisor_conf import Layout
from sgz_runtime.config import SERVICES
from tests.conftest import BACKEND, POSTGRES_URL

PROGRAMS = [*SERVICES, "gateway"]
#: What the stack is given to report every service SERVING.
HEALTHY_WITHIN_S = 60.0


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def sgz(*args: str) -> list[str]:
    """The `sgz` command, run by this interpreter."""
    return [sys.executable, "-m", "sgz_cli", *args]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def processes_of(data_dir: Path) -> list[int]:
    """Every process started for the stack in data_dir: they all carry its SGZ_DATA_DIR."""
    marker = f"SGZ_DATA_DIR={data_dir.resolve()}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environ and alive(int(proc.name)):
            found.append(int(proc.name))
    return found


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    data_dir: Path
    ports: dict[str, int]
    output: Path
    healthy_after_s: float = 0.0
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def supervisor(self) -> Supervisor:
        return Supervisor(Layout(self.data_dir).socket)

    def supervisord_pid(self) -> int:
        return int(Layout(self.data_dir).pidfile.read_text().strip())

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.supervisor.programs().items()}

    def log(self) -> str:
        return self.output.read_text(errors="replace")


def up_command(data_dir: Path, ports: dict[str, int], *extra: str) -> list[str]:
    options = [f"--{name}-port={port}" for name, port in ports.items()]
    return sgz("up", f"--data-dir={data_dir}", *options, "--no-demo", *extra)


def start_stack(
    data_dir: Path, env: dict[str, str], timeout_s: float = HEALTHY_WITHIN_S
) -> RunningStack:
    ports = dict(zip(PROGRAMS, free_ports(len(PROGRAMS)), strict=True))
    data_dir.mkdir(parents=True, exist_ok=True)
    output = data_dir / "up.out"
    started = time.monotonic()
    with output.open("wb") as out:
        process = subprocess.Popen(
            up_command(data_dir, ports),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack = RunningStack(process, data_dir, ports, output, env=env)
    deadline = started + timeout_s
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"sgz up exited {process.returncode}:\n{stack.log()}")
            try:
                if client.get(stack.url + "/healthz", timeout=1.0).status_code == 200:
                    stack.healthy_after_s = time.monotonic() - started
                    return stack
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    stop_stack(stack)
    pytest.fail(f"the stack is not healthy after {timeout_s:.0f} s:\n{stack.log()}")


def stop_stack(stack: RunningStack) -> None:
    """SIGINT, as Ctrl-C; then, whatever happened, nothing the stack started is left."""
    pids: list[int] = []
    with contextlib.suppress(OSError, ValueError, SupervisorUnreachable):
        pids = [stack.supervisord_pid(), *stack.pids().values()]
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
        try:
            stack.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait()
    for pid in pids:
        if pid and alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def stack_env() -> Iterator[dict[str, str]]:
    """The environment of `sgz up`: this one, plus a fresh PostgreSQL database per service."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SGZ_")}
    # Requests without a bearer token act as the development caller: tests only, never `sgz up`.
    env["SGZ_GATEWAY_DEV_AUTH"] = "1"
    made: list[str] = []
    if BACKEND == "postgres":
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            # Each service's database, and the gateway's own (accounts).
            for service in [*SERVICES, "gateway"]:
                name = f"sgz_e2e_{service}_{uuid.uuid4().hex[:10]}"
                conn.execute(f'CREATE DATABASE "{name}"')
                made.append(name)
                env[f"{service.upper()}_DATABASE_URL"] = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    yield env
    if made:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for name in made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, stack_env: dict[str, str]
) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack") / "data", stack_env)
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def login_as(
    stack: RunningStack, stack_env: dict[str, str]
) -> Iterator[Callable[[str, str], httpx.Client]]:
    """`login_as(role, scope)`: an HTTP client of the stack that sends the bearer token of an
    account with that role and scope (`towns/{t}`, `towns/{t}/villages/{v}`, `workers/{w}`,
    "" for the city), made on first use by a first admin bootstrapped in the stack's data dir.
    Requests without a token still act as the development caller (city civil affairs)."""
    from gateway.accounts.app import open_accounts
    from gateway.accounts.service import Bootstrap
    from sgz_runtime.config import Settings

    password = "e2e-" + uuid.uuid4().hex
    # The stack's gateway database: gateway.db in its data dir, or its PostgreSQL database.
    url_key = "GATEWAY_DATABASE_URL"
    before = os.environ.get(url_key)
    if url_key in stack_env:
        os.environ[url_key] = stack_env[url_key]
    try:
        accounts = open_accounts(Settings(data_dir=stack.data_dir))
        try:
            accounts.bootstrap(
                Bootstrap(username="e2e.admin", display_name="e2e", password=password)
            )
        finally:
            accounts.store.engine.dispose()
    finally:
        if before is None:
            os.environ.pop(url_key, None)
        else:
            os.environ[url_key] = before
    opened: list[httpx.Client] = []
    made: dict[tuple[str, str], str] = {}

    def login(username: str, secret: str) -> httpx.Client:
        with httpx.Client(base_url=stack.url, timeout=15.0) as c:
            answer = c.post("/v1/auth:login", json={"username": username, "password": secret})
        assert answer.status_code == 200, answer.text
        token = answer.json()["accessToken"]
        client = httpx.Client(
            base_url=stack.url, timeout=15.0, headers={"Authorization": f"Bearer {token}"}
        )
        opened.append(client)
        return client

    admin = login("e2e.admin", password)

    def as_role(role: str, scope: str = "") -> httpx.Client:
        if (role, scope) not in made:
            level = (
                "city"
                if not scope
                else "caseload"
                if scope.startswith("workers/")
                else ("village" if "/villages/" in scope else "town")
            )
            username = f"e2e.{len(made)}.{role}"[:40].replace("_", "-")
            answer = admin.post(
                "/v1/accounts",
                json={
                    "username": username,
                    "displayName": username,
                    "role": role,
                    "scopeLevel": level,
                    "scope": scope,
                    "password": password,
                },
            )
            assert answer.status_code == 200, answer.text
            made[(role, scope)] = username
        return login(made[(role, scope)], password)

    yield as_role
    for client in opened:
        client.close()
