"""Before `sgz up` starts anything: every port free and distinct, no stack already there."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from deploy import preflight
from deploy.supervisor_conf import Layout
from sgz_runtime.config import Settings


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _settings(tmp_path: Path) -> Settings:
    ports = _free_ports(6)
    return Settings(
        data_dir=tmp_path,
        roster_port=ports[0],
        hr_port=ports[1],
        visit_port=ports[2],
        finance_port=ports[3],
        assessment_port=ports[4],
        gateway_port=ports[5],
    )


def test_free_ports_pass(tmp_path: Path) -> None:
    preflight.check(_settings(tmp_path), Layout(tmp_path))


def test_a_taken_port_is_named_with_its_program_and_setting(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", settings.hr_port))
        taken.listen()

        with pytest.raises(preflight.PreflightError) as refused:
            preflight.check_ports(settings)

    message = str(refused.value)
    assert f"port {settings.hr_port}" in message
    assert "(hr)" in message
    assert "SGZ_HR_PORT" in message
    assert "--hr-port" in message


def test_two_programs_on_one_port_are_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path).model_copy(update={"gateway_port": 50051, "roster_port": 50051})

    with pytest.raises(preflight.PreflightError, match="both set to port 50051"):
        preflight.check_ports(settings)
