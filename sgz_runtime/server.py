"""Builds a service's gRPC server from its spec and settings, and runs it until SIGTERM.

Every call passes one interceptor that: reads the request id (or makes one), checks the
gateway-signed caller identity, fixes the call's deadline (the caller's, or the default),
checks REQUIRED fields, runs the servicer method, maps a DomainError to its status with
details, and logs one JSON line. Servicers contain none of that.

The server model is grpc's synchronous server on a thread pool. `make bench` measures it against
grpc.aio on this machine: a bare echo is within about 10% either way, and with a SQLite write per
call (what a service does) the two are equal within noise; so the simpler model wins: use cases
stay plain blocking functions, with no event loop to block by mistake (README, "Server model").
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from sgz_runtime import errors, i18n, identity, proto_values, status, validation
from sgz_runtime.config import Settings

log = logging.getLogger("sgz.server")

#: Methods any process may call without a caller identity.
_OPEN_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
_NO_DEADLINE_S = 365 * 24 * 3600.0


@dataclass
class ServiceSpec:
    """What makes one sgz service: its short name, the gRPC services it serves, and a
    function that adds its servicers to a server (called once per server built)."""

    name: str
    service_names: list[str]
    register: Callable[[grpc.Server], None]
    on_stop: list[Callable[[], None]] = field(default_factory=list)


class _CallInterceptor(grpc.ServerInterceptor):  # type: ignore[misc,type-arg]
    def __init__(self, service: str, secret: bytes, default_deadline_s: float):
        self._service = service
        # Accepted tokens are remembered until their exp (the gateway reuses one per caller).
        self._tokens = identity.TokenVerifier(secret)
        self._default_deadline_s = default_deadline_s

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = continuation(details)
        method: str = details.method
        if handler is None or handler.unary_unary is None or method.startswith(_OPEN_PREFIXES):
            return handler
        behaviour = handler.unary_unary

        def serve(request: Message, context: grpc.ServicerContext) -> Any:
            return self._serve(method, behaviour, request, context)

        return grpc.unary_unary_rpc_method_handler(
            serve,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _serve(
        self,
        method: str,
        behaviour: Callable[[Message, grpc.ServicerContext], Any],
        request: Message,
        context: grpc.ServicerContext,
    ) -> Any:
        started = time.monotonic()
        metadata = dict(context.invocation_metadata() or ())
        request_id = str(
            metadata.get(identity.REQUEST_ID_METADATA_KEY) or identity.new_request_id()
        )
        context.set_trailing_metadata(((identity.REQUEST_ID_METADATA_KEY, request_id),))
        remaining = context.time_remaining()
        # grpc reports "no deadline" as None or as an enormous number of seconds.
        if remaining is None or remaining > _NO_DEADLINE_S:
            budget = self._default_deadline_s
        else:
            budget = remaining
        tokens = identity.bind(None, request_id)
        locale_token = i18n.bind_locale(str(metadata.get(i18n.LANG_METADATA_KEY) or ""))
        code = grpc.StatusCode.OK
        try:
            token = str(metadata.get(identity.CALLER_METADATA_KEY) or "")
            if not token:
                raise errors.Unauthenticated("the call carries no caller identity")
            caller = self._tokens.verify(token)
            identity.unbind(tokens)
            tokens = identity.bind(
                identity.CallContext(caller, token, request_id, started + budget), request_id
            )
            if isinstance(request, Message):
                proto_values.check_bounds(request)  # sizes of every string and list, first
                validation.check_required(request)
            return behaviour(request, context)
        except errors.DomainError as exc:
            rich = status.to_status(exc, service=self._service)
            code = rich.code
            context.abort_with_status(rich)
        except Exception:
            if getattr(context, "code", lambda: None)() not in (None, grpc.StatusCode.OK):
                raise  # the servicer already aborted the call on purpose
            code = grpc.StatusCode.INTERNAL
            log.exception("unhandled error", extra={"method": method})
            context.abort(grpc.StatusCode.INTERNAL, "internal error; the request id is in the logs")
        finally:
            log.info(
                "call",
                extra={
                    "method": method,
                    "code": code.name,
                    "ms": round((time.monotonic() - started) * 1000, 2),
                    "request_id": request_id,
                },
            )
            identity.unbind(tokens)
            i18n.unbind_locale(locale_token)


@dataclass
class RunningServer:
    server: grpc.Server
    port: int
    health: health.HealthServicer
    spec: ServiceSpec

    def stop(self, grace_s: float) -> None:
        """Reports NOT_SERVING, refuses new calls and lets in-flight ones finish within grace."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace_s).wait()
        for hook in self.spec.on_stop:
            hook()


def create_server(spec: ServiceSpec, address: str, settings: Settings) -> RunningServer:
    """A started-ready (not yet started) server for spec on address; port 0 picks a free one."""
    server = grpc.server(
        futures.ThreadPoolExecutor(
            max_workers=settings.server_threads, thread_name_prefix=f"{spec.name}-rpc"
        ),
        interceptors=[_CallInterceptor(spec.name, settings.secret(), settings.default_deadline_s)],
        options=[("grpc.so_reuseport", 0)],
    )
    spec.register(server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ["", *spec.service_names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(
        [
            *spec.service_names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return RunningServer(server, port, health_servicer, spec)


def serve(spec: ServiceSpec, settings: Settings) -> None:
    """Runs the service on its configured port until SIGTERM or SIGINT, then stops gracefully."""
    running = create_server(spec, settings.address_of(spec.name), settings)
    running.server.start()
    log.info("serving", extra={"service": spec.name, "port": running.port})
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stopping.wait()
    running.stop(settings.grace_s)
    log.info("stopped", extra={"service": spec.name})


def main(process: str, build: Callable[[Settings], ServiceSpec]) -> None:
    """The body of every service's `python -m <service>`."""
    from sgz_runtime import logs
    from sgz_runtime.config import settings

    logs.configure(process, settings().log_level)
    serve(build(settings()), settings())
