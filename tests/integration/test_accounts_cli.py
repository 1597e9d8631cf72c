"""`sgz accounts bootstrap`, `sgz login`, `sgz accounts ...` and `sgz logout` against a real
gateway on a real port (accounts on SQLite or PostgreSQL by SGZ_TEST_DB)."""

from __future__ import annotations

import re
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from gateway.app import create_app
from sgz_cli.main import app
from sgz_runtime.config import Settings
from tests.conftest import SECRET

PASSWORD = re.compile(r"password of (\S+) \(shown once; hand it over in person\): (\S+)")


def sgz(*args: str) -> Any:
    return CliRunner().invoke(app, ["--lang", "en", *args], catch_exceptions=False)


@pytest.fixture
def gateway(
    tmp_path: Path,
    database_url: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url("gateway"))
    monkeypatch.setenv("SGZ_INTERNAL_SECRET", SECRET)
    monkeypatch.setenv("SGZ_ACCOUNTS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("SGZ_ACCOUNTS_ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("SGZ_ACCOUNTS_ARGON2_PARALLELISM", "1")
    monkeypatch.setenv("SGZ_CLI_CREDENTIALS", str(tmp_path / "home" / "sgz" / "credentials.json"))
    settings = Settings(data_dir=tmp_path, internal_secret=SECRET)  # type: ignore[arg-type]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, backends=[]), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("SGZ_GATEWAY_URL", url)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def test_the_first_admin_logs_in_and_administers_accounts_from_the_cli(
    gateway: str, tmp_path: Path
) -> None:
    booted = sgz("accounts", "bootstrap", "--username", "city.admin", f"--data-dir={tmp_path}")
    assert booted.exit_code == 0, booted.output
    username, password = PASSWORD.search(booted.output).groups()  # type: ignore[union-attr]
    assert username == "city.admin"
    again = sgz("accounts", "bootstrap", "--username", "other.admin", f"--data-dir={tmp_path}")
    assert again.exit_code == 1
    assert "bootstrap is for the first admin only" in again.output

    logged = sgz("login", "--username", "city.admin", "--password", password)
    assert logged.exit_code == 0, logged.output
    kept = tmp_path / "home" / "sgz" / "credentials.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700

    created = sgz(
        "accounts",
        "create",
        "wang.fang",
        "--role",
        "station_chief",
        "--scope",
        "towns/chengdong",
        "--display-name",
        "王芳",
    )
    assert created.exit_code == 0, created.output
    assert "created accounts/wang.fang" in created.output
    assert PASSWORD.search(created.output) is not None
    listed = sgz("accounts", "list")
    assert "wang.fang" in listed.output and "station_chief" in listed.output
    assert sgz("accounts", "disable", "wang.fang").exit_code == 0
    rows = sgz("accounts", "list").output.splitlines()
    assert [r for r in rows if "wang.fang" in r and "yes" in r]  # disabled
    assert [r for r in rows if "city.admin" in r and "no" in r]

    out = sgz("logout")
    assert out.exit_code == 0 and "logged out" in out.output
    assert not kept.exists()
    refused = sgz("accounts", "list")
    assert refused.exit_code == 1
    assert "UNAUTHENTICATED" in refused.output


def test_a_wrong_password_is_refused_and_nothing_is_kept(gateway: str, tmp_path: Path) -> None:
    sgz("accounts", "bootstrap", "--username", "city.admin", f"--data-dir={tmp_path}")
    refused = sgz("login", "--username", "city.admin", "--password", "not the password")
    assert refused.exit_code == 1
    assert not (tmp_path / "home" / "sgz" / "credentials.json").exists()
