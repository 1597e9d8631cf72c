"""Fixtures shared by every test: settings on a temporary data dir, a database per service on
SQLite or PostgreSQL (SGZ_TEST_DB), services started in-process on port 0, and callers."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import overload

import grpc
import psycopg
import pytest

from sgz_runtime.config import Settings
from sgz_runtime.identity import CALLER_METADATA_KEY, Caller, Role, ScopeLevel, sign
from sgz_runtime.server import RunningServer, ServiceSpec, create_server

SECRET = "test-secret-" + "x" * 32
POSTGRES_URL = os.environ.get(
    "SGZ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKEND = os.environ.get("SGZ_TEST_DB", "sqlite")


def pytest_configure(config: pytest.Config) -> None:
    if BACKEND != "postgres":
        return
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0]
        if os.environ.get("CI"):
            pytest.exit(f"PostgreSQL is unreachable at {POSTGRES_URL} ({reason}); CI needs it", 1)
        print(
            f"PostgreSQL is unreachable at {POSTGRES_URL} ({reason}): the PostgreSQL run is "
            "skipped",
            file=sys.stderr,
        )
        pytest.exit("PostgreSQL unreachable: PostgreSQL run skipped", 0)


def pytest_report_header(config: pytest.Config) -> str:
    return f"sgz database backend: {BACKEND}"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Makes a fresh, empty database for a service and returns its URL."""
    made: list[str] = []

    def make(service: str) -> str:
        if BACKEND != "postgres":
            return f"sqlite:///{tmp_path / (service + '.db')}"
        name = f"sgz_test_{service}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name

    yield make
    if made:
        from sqlalchemy import create_engine  # noqa: F401  (engines are disposed by services)

        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for name in made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # gateway_dev_auth: a request without a bearer token acts as the development caller (only
    # ever in tests); tests of login send real tokens (tests/integration/test_accounts_*).
    return Settings(data_dir=tmp_path, internal_secret=SECRET, grace_s=5.0, gateway_dev_auth=True)  # type: ignore[arg-type]


def caller_token(
    role: Role = Role.CITY_CIVIL_AFFAIRS,
    level: ScopeLevel = ScopeLevel.CITY,
    scope: str = "",
    subject: str = "users/tester",
) -> str:
    return sign(Caller(subject, role, level, scope), SECRET.encode())


class CallerMetadata(Sequence[tuple[str, str]]):
    """Call metadata carrying a signed caller, signed afresh each time a call reads it: caller
    tokens live minutes (sgz_runtime.identity.MAX_TTL_S), a test session can outlast them."""

    def __init__(self, **kwargs: object) -> None:
        self._kwargs = kwargs

    def _items(self) -> list[tuple[str, str]]:
        return [(CALLER_METADATA_KEY, caller_token(**self._kwargs))]  # type: ignore[arg-type]

    @overload
    def __getitem__(self, index: int) -> tuple[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, str]]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, str] | list[tuple[str, str]]:
        return self._items()[index]

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items())

    def __add__(self, other: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [*self._items(), *other]

    def __radd__(self, other: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [*other, *self._items()]


def as_caller(**kwargs: object) -> CallerMetadata:
    """Call metadata carrying a signed caller (city-wide civil affairs by default)."""
    return CallerMetadata(**kwargs)


CITY = as_caller()


@pytest.fixture
def start_service(
    settings: Settings, database_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., tuple[RunningServer, grpc.Channel]]]:
    """Starts a service's server in-process on port 0 with a fresh database, and a channel to it.

    Usage: `server, channel = start_service("roster", roster_svc.app.build)`.
    """
    started: list[tuple[RunningServer, grpc.Channel]] = []

    def start(
        name: str, build: Callable[[Settings], ServiceSpec], **ports: int
    ) -> tuple[RunningServer, grpc.Channel]:
        monkeypatch.setenv(f"{name.upper()}_DATABASE_URL", database_url(name))
        local = settings.model_copy(update={f"{k}_port": v for k, v in ports.items()})
        running = create_server(build(local), "127.0.0.1:0", local)
        running.server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
        started.append((running, channel))
        return running, channel

    yield start
    for running, channel in reversed(started):
        channel.close()
        running.stop(0)


@pytest.fixture(autouse=True)
def _default_locale() -> Iterator[None]:
    """Each test starts in the default locale (zh-CN) and leaves it so: a CLI callback or a
    test that binds another locale must not leak it into the tests after it."""
    from sgz_runtime import i18n

    token = i18n.bind_locale(i18n.DEFAULT_LOCALE)
    yield
    i18n.unbind_locale(token)
