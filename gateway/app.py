"""The gateway's Starlette app: transcoded API routes, /healthz and /openapi.json.

`create_app` builds the routes from the descriptors and has no side effects; the gRPC channels
are opened in the app's lifespan, so they live in the event loop that serves the requests.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from gateway import authorization, health
from gateway import errors as gw_errors
from gateway.accounts.app import open_accounts
from gateway.accounts.http import account_routes
from gateway.accounts.service import AccountService
from gateway.auth import Authenticator, BearerAuthenticator, development_authenticator
from gateway.console.web import console_routes
from gateway.descriptors import Backend, load_backends, load_comments
from gateway.openapi import document as openapi_document
from gateway.transcoding import (
    HTTP_METHODS,
    Router,
    build_request,
    message_class,
    response_json,
    routes_of,
)
from gateway.views import view_routes
from sgz_runtime import errors, i18n, identity, status
from sgz_runtime.config import Settings

log = logging.getLogger("sgz.gateway")
access_log = logging.getLogger("sgz.gateway.access")

REQUEST_ID_HEADER = "X-Request-Id"
#: gRPC's default largest message: a bigger body could not be sent on anyway.
MAX_BODY_BYTES = 4 * 1024 * 1024
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Reconnect quickly to a service that was down, so /healthz sees it come back within a second.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]


class Gateway:
    """Routes, channels and identity: everything one gateway process holds."""

    def __init__(
        self, settings: Settings, authenticator: Authenticator | None, backends: list[Backend]
    ) -> None:
        self.settings = settings
        #: Opened by start(): the accounts database is not touched before the lifespan.
        self.accounts: AccountService | None = None
        bearer = BearerAuthenticator(lambda: self.accounts)
        if authenticator is None:
            dev = settings.gateway_dev_auth
            authenticator = development_authenticator(settings, bearer) if dev else bearer
        self.authenticator = authenticator
        self.backends = backends
        self.routes, self.route_problems = routes_of(backends)
        #: Who may call each RPC, from its (sgz.common.v1.access) option.
        self.access = {r.grpc_path: authorization.access_of(r.method) for r in self.routes}
        self.native = [*account_routes(lambda: self.accounts), *view_routes(lambda: self)]
        self.router = Router(self.routes)
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._calls: dict[str, grpc.aio.UnaryUnaryMultiCallable[Message, Message]] = {}
        self._signer: identity.TokenSigner | None = None
        self._openapi: dict[str, Any] | None = None
        #: A worker's town by `workers/{w}`, with when to ask HR again.
        self._worker_towns: dict[str, tuple[float, str | None]] = {}

    async def start(self) -> None:
        if self.accounts is None:
            self.accounts = open_accounts(self.settings)
        # One token per caller, re-signed when half its lifetime is gone.
        self._signer = identity.TokenSigner(self.settings.secret())
        for backend in self.backends:
            address = self.settings.address_of(backend.name)
            self._channels[backend.name] = grpc.aio.insecure_channel(
                address, options=_CHANNEL_OPTIONS
            )
        for route in self.routes:
            self._calls[route.grpc_path] = self._channels[route.backend].unary_unary(
                route.grpc_path,
                request_serializer=message_class(route.input).SerializeToString,
                response_deserializer=message_class(route.output).FromString,
            )
        log.info("gateway ready", extra={"routes": len(self.routes)})

    async def stop(self) -> None:
        for channel in self._channels.values():
            await channel.close(grace=None)
        self._channels.clear()
        self._calls.clear()
        if self.accounts is not None:
            self.accounts.store.engine.dispose()
            self.accounts = None

    async def transcode(self, request: Request) -> Response:
        raw = request.scope.get("raw_path")
        raw_path = raw.decode("latin-1") if raw else quote(request.url.path)
        match, allowed = self.router.resolve(request.method, raw_path)
        if match is None:
            if allowed:
                return _method_not_allowed(request.method, allowed)
            return gw_errors.domain_error_response(
                errors.NotFound(request.url.path, message=f"no API route for {request.url.path}")
            )
        route = match.route
        request.state.route = route.template.text
        try:
            authorization.require_json_write(request)
            caller = await self.authenticator.authenticate(request)
            authorization.require(self.access[route.grpc_path], caller, route.grpc_path)
            names = match.bindings.values()
            caseload_town = None
            if caller.scope_level is identity.ScopeLevel.CASELOAD and authorization.towns_named(
                names
            ):
                caseload_town = await self.town_of_worker(caller.scope)
            authorization.require_path_in_scope(caller, names, caseload_town=caseload_town)
            body = await _read_body(request)
            message = build_request(route, match.bindings, request.query_params.multi_items(), body)
        except authorization.UnsupportedMediaType as exc:
            return gw_errors.domain_error_response(exc, http_status=415)
        except errors.DomainError as exc:
            return gw_errors.domain_error_response(exc)
        if self._signer is None:  # served without the lifespan (some tests)
            self._signer = identity.TokenSigner(self.settings.secret())
        metadata = (
            (identity.CALLER_METADATA_KEY, self._signer.token_for(caller)),
            (identity.REQUEST_ID_METADATA_KEY, str(request.state.request_id)),
            (i18n.LANG_METADATA_KEY, i18n.current_locale()),
        )
        try:
            response = await self._calls[route.grpc_path](
                message, timeout=self.settings.default_deadline_s, metadata=metadata
            )
        except grpc.aio.AioRpcError as exc:
            return gw_errors.error_response(gw_errors.status_of_rpc_error(exc))
        return JSONResponse(response_json(route, response))

    async def town_of_worker(self, worker: str) -> str | None:
        """The town of `workers/{w}` (HR, asked as the system, remembered a minute); None when
        HR cannot say, and the service's own scope check decides."""
        found = self._worker_towns.get(worker)
        if found is not None and time.monotonic() < found[0]:
            return found[1]
        if "/sgz.hr.v1.HrService/GetWorker" not in self._calls:
            return None
        system = identity.Caller("services/gateway", identity.Role.SYSTEM, identity.ScopeLevel.CITY)
        try:
            answer = await self.call_json(
                "/sgz.hr.v1.HrService/GetWorker", {"name": worker}, system
            )
        except errors.DomainError:
            return None
        town = str(answer.get("town", "")) or None
        if len(self._worker_towns) >= 10_000:
            self._worker_towns.clear()
        self._worker_towns[worker] = (time.monotonic() + 60.0, town)
        return town

    def access_of(self, grpc_path: str) -> authorization.Access | None:
        """Who may call an RPC; None when no route of this gateway serves it."""
        return self.access.get(grpc_path)

    async def call_json(
        self, grpc_path: str, request: dict[str, Any], caller: identity.Caller
    ) -> Any:
        """Calls an RPC as caller with a ProtoJSON request; its ProtoJSON answer, or the
        service's refusal as a DomainError (for the gateway's views)."""
        route = next(r for r in self.routes if r.grpc_path == grpc_path)
        message = json_format.ParseDict(request, message_class(route.input)())
        if self._signer is None:
            self._signer = identity.TokenSigner(self.settings.secret())
        metadata = (
            (identity.CALLER_METADATA_KEY, self._signer.token_for(caller)),
            (
                identity.REQUEST_ID_METADATA_KEY,
                identity.current_request_id() or identity.new_request_id(),
            ),
            (i18n.LANG_METADATA_KEY, i18n.current_locale()),
        )
        try:
            response = await self._calls[grpc_path](
                message, timeout=self.settings.default_deadline_s, metadata=metadata
            )
        except grpc.aio.AioRpcError as exc:
            raise status.from_rpc_error(exc) from None
        return json_format.MessageToDict(response, always_print_fields_with_no_presence=True)

    async def healthz(self, request: Request) -> Response:
        channels = {
            b.name: (self._channels[b.name], self.settings.address_of(b.name))
            for b in self.backends
        }
        status_code, body = await health.check_all(channels)
        return JSONResponse(body, status_code=status_code)

    async def openapi(self, request: Request) -> Response:
        if self._openapi is None:
            self._openapi = openapi_document(self.routes, self.backends, load_comments())
            for native in self.native:
                operation = {**native.operation}
                if native.access is not None:
                    operation["x-sgz-roles"] = native.access.names()
                path = self._openapi["paths"].setdefault(native.path, {})
                path[native.method.lower()] = operation
        return JSONResponse(self._openapi)


async def _read_body(request: Request) -> bytes:
    """The body, refused past MAX_BODY_BYTES without reading the rest."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise errors.InvalidArgument(f"the request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _method_not_allowed(method: str, allowed: list[str]) -> Response:
    rich = gw_errors.bare_status(
        grpc.StatusCode.UNIMPLEMENTED, f"{method} is not allowed here; use {', '.join(allowed)}"
    )
    return gw_errors.error_response(rich, http_status=405, headers={"Allow": ", ".join(allowed)})


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (a method the app never serves, ...) in the error shape."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return _method_not_allowed(request.method, [m.strip() for m in allowed.split(",") if m])
    code = gw_errors.CODE_OF_HTTP.get(exc.status_code, grpc.StatusCode.UNKNOWN)
    rich = gw_errors.bare_status(code, str(exc.detail))
    headers = dict(exc.headers) if exc.headers else None
    return gw_errors.error_response(rich, http_status=exc.status_code, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    rich = gw_errors.bare_status(
        grpc.StatusCode.INTERNAL, "internal error; the request id is in the logs"
    )
    return gw_errors.error_response(rich)


class AccessLog:
    """Gives each request its id (the client's X-Request-Id or a new one), echoes it in the
    response, and logs one JSON line: method, path template, status, ms. Never bodies or
    query strings: they carry personal data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), ""
        )
        request_id = incoming if _GOOD_REQUEST_ID.fullmatch(incoming) else ""
        request_id = request_id or identity.new_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.monotonic()
        status_code = 500
        tokens = identity.bind(None, request_id)
        accept = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-language"), ""
        )
        locale_token = i18n.bind_locale(i18n.negotiate(accept))

        async def send_with_id(message: AsgiMessage) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": state.get("route", "(no route)"),
                    "status": status_code,
                    "ms": round((time.monotonic() - started) * 1000, 2),
                },
            )
            identity.unbind(tokens)
            i18n.unbind_locale(locale_token)


def _cors(settings: Settings) -> list[Middleware]:
    """Closed unless origins are configured (SGZ_GATEWAY_CORS_ORIGINS)."""
    if not settings.gateway_cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.gateway_cors_origins,
            allow_methods=list(HTTP_METHODS),
            allow_headers=["Authorization", "Content-Type", "Accept-Language", "X-Request-Id"],
            expose_headers=["X-Request-Id", "Retry-After"],
            allow_credentials=False,
            max_age=600,
        )
    ]


def create_app(
    settings: Settings,
    *,
    authenticator: Authenticator | None = None,
    backends: list[Backend] | None = None,
) -> Starlette:
    """The gateway app for settings. authenticator defaults to accounts' bearer tokens (with
    the development caller for requests without one only when SGZ_GATEWAY_DEV_AUTH is set);
    backends to the five sgz services' generated modules."""
    gateway = Gateway(
        settings, authenticator, backends if backends is not None else load_backends()
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    async def healthz(request: Request) -> Response:
        request.state.route = "/healthz"
        return await gateway.healthz(request)

    async def openapi_json(request: Request) -> Response:
        request.state.route = "/openapi.json"
        return await gateway.openapi(request)

    async def api(request: Request) -> Response:
        if request.url.path in ("/healthz", "/openapi.json"):  # reached by another method
            return _method_not_allowed(request.method, ["GET"])
        try:
            return await gateway.transcode(request)
        except Exception as exc:  # one shape for every failure, even a bug of ours
            return await _unexpected(request, exc)

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
            *[native.route(gateway) for native in gateway.native],  # login, accounts, views
            *console_routes(),  # the web console at / and /console/...
            # Every method reaches the router, which answers 404 or 405 in the error shape.
            Route("/{path:path}", api, methods=[*HTTP_METHODS, "HEAD", "OPTIONS"]),
        ],
        middleware=[Middleware(AccessLog), *_cors(settings)],
        exception_handlers={HTTPException: _http_exception, Exception: _unexpected},
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    return app
