"""`python -m gateway`: serves the HTTP/JSON gateway with uvicorn on the configured port."""

from __future__ import annotations

import uvicorn

from gateway.app import create_app
from sgz_runtime import logs
from sgz_runtime.config import settings


def main() -> None:
    current = settings()
    logs.configure("gateway", current.log_level)
    uvicorn.run(
        create_app(current),
        host=current.host,
        port=current.gateway_port,
        log_config=None,  # uvicorn's own lines go through the JSON logs too
        access_log=False,  # the gateway writes its own, without query strings
        timeout_graceful_shutdown=int(current.grace_s),
        loop="asyncio",  # grpc.aio runs on the standard event loop
        # The C HTTP parser: h11 (pure Python) cost ~0.18 ms of the ~1.5 ms CPU per request.
        http="httptools",
    )


if __name__ == "__main__":
    main()
