"""Configuration, read from the environment in one place per process."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from sgz_runtime.identity import Role, ScopeLevel

#: The five services, in the order they start.
SERVICES: tuple[str, ...] = ("roster", "hr", "visit", "finance", "assessment")

DEFAULT_PORTS: dict[str, int] = {
    "roster": 50051,
    "hr": 50052,
    "visit": 50053,
    "finance": 50054,
    "assessment": 50055,
}


class Settings(BaseSettings):
    """Every setting of an sgz process; each is an `SGZ_*` environment variable."""

    model_config = SettingsConfigDict(env_prefix="SGZ_", extra="ignore")

    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    gateway_port: int = 8080
    roster_port: int = DEFAULT_PORTS["roster"]
    hr_port: int = DEFAULT_PORTS["hr"]
    visit_port: int = DEFAULT_PORTS["visit"]
    finance_port: int = DEFAULT_PORTS["finance"]
    assessment_port: int = DEFAULT_PORTS["assessment"]
    #: Where another service is reached when it is not on `host` (in a cluster: its DNS
    #: name). A service's own host is never set: it listens on `host`.
    roster_host: str | None = None
    hr_host: str | None = None
    visit_host: str | None = None
    finance_host: str | None = None
    assessment_host: str | None = None
    #: Shared by the gateway and the services to sign and check caller identity. When unset,
    #: a key file under data_dir is created once and shared by every process on this machine.
    internal_secret: SecretStr | None = None
    #: Seconds a call may take when its caller set no deadline.
    default_deadline_s: float = Field(default=10.0, gt=0)
    #: Seconds in-flight calls get to finish after SIGTERM.
    grace_s: float = Field(default=10.0, ge=0)
    #: Threads serving calls in each gRPC server.
    server_threads: int = Field(default=16, ge=1)
    log_level: str = "INFO"
    #: Development only, until accounts and login exist: the caller the gateway acts as on
    #: every request (gateway/auth.py). A gateway that anyone can reach must not run so.
    gateway_dev_subject: str = "users/dev"
    gateway_dev_role: Role = Role.CITY_CIVIL_AFFAIRS
    gateway_dev_scope_level: ScopeLevel = ScopeLevel.CITY
    gateway_dev_scope: str = ""
    #: Development and tests only: requests WITHOUT a bearer token act as the gateway_dev_*
    #: caller. Off by default; `sgz up` never turns it on. Bearer tokens are checked either way.
    gateway_dev_auth: bool = False
    #: Browser origins allowed to call the gateway (CORS), e.g. `["https://console.example"]`.
    #: Empty (the default): no cross-origin call is allowed.
    gateway_cors_origins: list[str] = Field(default_factory=list)

    def port_of(self, service: str) -> int:
        port: int = getattr(self, f"{service}_port")
        return port

    def address_of(self, service: str) -> str:
        host: str | None = getattr(self, f"{service}_host")
        return f"{host or self.host}:{self.port_of(service)}"

    def database_url(self, service: str) -> str:
        """`<SERVICE>_DATABASE_URL` when set, else a SQLite file under data_dir."""
        url = os.environ.get(f"{service.upper()}_DATABASE_URL")
        if url:
            return url
        return f"sqlite:///{(self.data_dir / f'{service}.db').resolve()}"

    def secret(self) -> bytes:
        if self.internal_secret is not None:
            return self.internal_secret.get_secret_value().encode()
        path = self.data_dir / "internal.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, secrets.token_hex(32).encode())
            finally:
                os.close(fd)
        return path.read_bytes().strip()


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
