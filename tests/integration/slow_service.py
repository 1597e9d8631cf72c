"""A service with one slow method, run as its own process by test_sigterm.py:
`python -m tests.integration.slow_service` (port and key from the SGZ_* environment)."""

from __future__ import annotations

import time
from typing import Any

import grpc

from sgz_runtime.config import Settings, settings
from sgz_runtime.server import ServiceSpec, main


def _slow(request: bytes, context: Any) -> bytes:
    # Tells the test the call is in the server's hands, then takes its time.
    (settings().data_dir / "entered").touch()
    time.sleep(1.5)
    return b"finished"


def build(settings: Settings) -> ServiceSpec:
    def register(server: grpc.Server) -> None:
        handler = grpc.unary_unary_rpc_method_handler(_slow, lambda b: b, lambda b: b)
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("sgz.test.Slow", {"Slow": handler}),)
        )

    # Runs under the finance service's port setting; the name only picks the port.
    return ServiceSpec("finance", ["sgz.test.Slow"], register)


if __name__ == "__main__":
    main("slow", build)
