"""`GET /healthz`: the standard grpc.health.v1 check of every service, asked concurrently.

    {"status": "SERVING" | "NOT_SERVING",
     "services": {"roster": {"status": "SERVING", "address": "127.0.0.1:50051"},
                  "hr": {"status": "NOT_SERVING", "address": "...", "error": "UNAVAILABLE: ..."}}}

200 when every service is SERVING, 503 otherwise. Deploy code and `sgz status` read this shape.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from grpc_health.v1 import health_pb2

#: Seconds one service gets to answer: a health check must answer fast or count as down.
CHECK_TIMEOUT_S = 1.0
_CHECK = "/grpc.health.v1.Health/Check"
SERVING = "SERVING"
NOT_SERVING = "NOT_SERVING"


async def check_one(channel: grpc.aio.Channel, address: str) -> dict[str, str]:
    """One service's entry: its serving status, or NOT_SERVING with the reason."""
    call = channel.unary_unary(
        _CHECK,
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    try:
        response = await call(health_pb2.HealthCheckRequest(service=""), timeout=CHECK_TIMEOUT_S)
    except grpc.aio.AioRpcError as exc:
        return {
            "status": NOT_SERVING,
            "address": address,
            "error": f"{exc.code().name}: {exc.details()}",
        }
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    return {"status": status, "address": address}


async def check_all(
    channels: dict[str, tuple[grpc.aio.Channel, str]],
) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body of /healthz for services name -> (channel, address)."""
    names = list(channels)
    results = await asyncio.gather(*(check_one(*channels[name]) for name in names))
    services = dict(zip(names, results, strict=True))
    healthy = all(r["status"] == SERVING for r in results)
    body = {"status": SERVING if healthy else NOT_SERVING, "services": services}
    return (200 if healthy else 503), body
