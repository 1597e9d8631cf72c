"""Channels from one service to another: retries in the service config, and the caller's
identity, request id and remaining deadline passed on with every call."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

import grpc

from sgz_runtime import i18n, identity
from sgz_runtime.config import Settings


def service_config(service_names: list[str]) -> str:
    """Retries UNAVAILABLE with exponential backoff: safe for reads and idempotent writes."""
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": [{"service": name} for name in service_names],
                    "retryPolicy": {
                        "maxAttempts": 4,
                        "initialBackoff": "0.1s",
                        "maxBackoff": "1s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ]
        }
    )


class _Details(NamedTuple):
    method: str
    timeout: float | None
    metadata: list[tuple[str, str | bytes]] | None
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


class _PropagatingInterceptor(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc,type-arg]
    def __init__(self, default_deadline_s: float):
        self._default_deadline_s = default_deadline_s

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        ctx = identity.current_context()
        metadata = list(details.metadata or [])
        timeout = details.timeout
        if ctx is not None:
            metadata.append((identity.CALLER_METADATA_KEY, ctx.token))
            metadata.append((identity.REQUEST_ID_METADATA_KEY, ctx.request_id))
            timeout = ctx.remaining() if timeout is None else min(timeout, ctx.remaining())
        if not any(key == i18n.LANG_METADATA_KEY for key, _value in metadata):
            metadata.append((i18n.LANG_METADATA_KEY, i18n.current_locale()))
        if timeout is None:
            timeout = self._default_deadline_s
        new = _Details(
            details.method,
            timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )
        return continuation(new, request)


def channel_to(service: str, service_names: list[str], settings: Settings) -> grpc.Channel:
    """A channel to an sgz service, created when asked (never at import)."""
    raw = grpc.insecure_channel(
        settings.address_of(service),
        options=[
            ("grpc.service_config", service_config(service_names)),
            ("grpc.enable_retries", 1),
            ("grpc.keepalive_time_ms", 30000),
            # A restarted service is back within seconds (supervisor restarts it at once);
            # gRPC's default reconnect backoff grows to 120 s and would keep failing calls
            # fast long after it is back.
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.min_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 1000),
        ],
    )
    return grpc.intercept_channel(raw, _PropagatingInterceptor(settings.default_deadline_s))
