"""Reads the gateway's /healthz: the health of the gateway and of every service behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

SERVING = "SERVING"
NOT_SERVING = "NOT_SERVING"


@dataclass(frozen=True)
class ServiceHealth:
    name: str
    status: str
    address: str = ""
    error: str = ""

    @property
    def serving(self) -> bool:
        return self.status == SERVING


@dataclass(frozen=True)
class Health:
    """What /healthz answered; `services` is in the gateway's order."""

    status: str
    services: list[ServiceHealth] = field(default_factory=list)

    @property
    def serving(self) -> bool:
        return self.status == SERVING and all(s.serving for s in self.services)

    def of(self, name: str) -> ServiceHealth | None:
        return next((s for s in self.services if s.name == name), None)


class GatewayUnreachable(Exception):
    """The gateway did not answer /healthz, or answered something that is not its health."""


def gateway_url(host: str, port: int) -> str:
    """The URL a local client uses to reach a gateway listening on host:port."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host in ("::", "[::]"):
        host = "[::1]"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def parse(body: Any) -> Health:
    """A Health from the JSON body of /healthz."""
    if not isinstance(body, dict) or not isinstance(body.get("services"), dict):
        raise GatewayUnreachable(f"/healthz answered an unexpected body: {body!r:.200}")
    services = []
    for name, entry in body["services"].items():
        entry = entry if isinstance(entry, dict) else {}
        services.append(
            ServiceHealth(
                name=str(name),
                status=str(entry.get("status", NOT_SERVING)),
                address=str(entry.get("address", "")),
                error=str(entry.get("error", "")),
            )
        )
    return Health(str(body.get("status", NOT_SERVING)), services)


def fetch(base_url: str, timeout_s: float = 3.0, client: httpx.Client | None = None) -> Health:
    """GET base_url/healthz; 200 and 503 both carry the health of each service."""
    url = base_url.rstrip("/") + "/healthz"
    try:
        if client is None:
            response = httpx.get(url, timeout=timeout_s)
        else:
            response = client.get(url, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise GatewayUnreachable(f"{url}: {exc or type(exc).__name__}") from exc
    if response.status_code not in (200, 503):
        raise GatewayUnreachable(f"{url} answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise GatewayUnreachable(f"{url} answered a body that is not JSON") from exc
    return parse(body)
