"""`sgz up` refusing to start, or giving up: a clear message and a non-zero exit, nothing left."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import PROGRAMS, free_ports, processes_of, up_command

pytestmark = pytest.mark.e2e


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SGZ_")}


def test_up_refuses_a_port_already_taken_and_says_which(tmp_path: Path) -> None:
    ports = dict(zip(PROGRAMS, free_ports(len(PROGRAMS)), strict=True))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports["gateway"]))
        taken.listen()

        done = subprocess.run(
            up_command(tmp_path, ports),
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert done.returncode == 1
    assert f"port {ports['gateway']}" in done.stdout
    assert "already in use" in done.stdout
    assert "--gateway-port" in done.stdout
    assert not (tmp_path / "run" / "supervisord.pid").exists()


def test_up_gives_up_naming_the_service_that_never_serves_with_its_log(tmp_path: Path) -> None:
    ports = dict(zip(PROGRAMS, free_ports(len(PROGRAMS)), strict=True))
    [closed] = free_ports(1)
    env = _env() | {"ROSTER_DATABASE_URL": f"postgresql://sgz@127.0.0.1:{closed}/nowhere"}

    done = subprocess.run(
        up_command(tmp_path, ports, "--timeout=15"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1, done.stdout
    assert "not healthy after 15 s" in done.stdout
    assert "roster is not serving" in done.stdout
    assert "roster.log" in done.stdout  # the tail of its log follows, with the reason
    assert "OperationalError" in done.stdout
    assert not (tmp_path / "run" / "supervisord.pid").exists()
    assert processes_of(tmp_path) == []
