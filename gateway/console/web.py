"""The console's routes: `/` (the page), `/console/messages.json` (its sentences in the reader's
language, from the catalog) and `/console/...` (the static files, cached by ETag)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Awaitable, Callable
from os import PathLike
from pathlib import Path
from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

from gateway.console.texts import TEXTS
from sgz_runtime import i18n

STATIC_DIR = Path(__file__).parent / "static"
#: Revalidate every time: a page is a few kB, and a worker must never run yesterday's code.
_NO_STALE = {"Cache-Control": "no-cache"}


def messages(locale: str) -> dict[str, str]:
    """The console's msgids -> their template in `locale` (placeholders kept for the page to
    fill; the English itself for `en`)."""
    if i18n.normalize(locale) == i18n.EN:
        return {text.msgid: text.msgid for text in TEXTS}
    catalog = i18n.catalog()
    return {text.msgid: catalog.get(text.msgid, text.msgid) for text in TEXTS}


async def _index(request: Request) -> Response:
    request.state.route = "/"
    return FileResponse(STATIC_DIR / "index.html", headers=_NO_STALE)


async def _messages(request: Request) -> Response:
    request.state.route = "/console/messages.json"
    return JSONResponse(messages(i18n.current_locale()), headers=_NO_STALE)


async def _operations(request: Request) -> Response:
    """The operationIds the gateway serves, each with the roles that may call it (null when the
    gateway does not say) and what its body carries ("*", a field, or ""): what /openapi.json
    says, without its 400 kB, so a phone offers only the pages its role can use and shapes each
    request as the annotation wants."""
    request.state.route = "/console/operations.json"
    gateway = request.app.state.gateway
    access: dict[str, Any] = getattr(gateway, "access", {})
    found: dict[str, list[str] | None] = {}
    bodies: dict[str, str] = {}
    for route in gateway.routes:
        allowed: Any = access.get(route.grpc_path)
        found[route.operation_id] = None if allowed is None else list(allowed.names())
        bodies[route.operation_id] = route.body
    return JSONResponse({"operations": found, "bodies": bodies})


class _Static(StaticFiles):
    """StaticFiles that asks the browser to revalidate (304 when unchanged)."""

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(_NO_STALE)
        return response


def _gzip(endpoint: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
    """The endpoint, compressed for a browser that accepts it: a third of the bytes on a slow
    mobile connection."""
    return GZipMiddleware(request_response(endpoint), minimum_size=500)


#: The service worker's text, its file list and version filled in at each request.
SERVICE_WORKER = Path(__file__).parent / "sw.template.js"


def _shell() -> tuple[list[str], str]:
    """The console's files as URLs, and a version that changes when any of them does."""
    digest = hashlib.sha256()
    urls = ["/", "/console/messages.json", "/console/operations.json"]
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file() and path.suffix in (".js", ".css", ".html"):
            digest.update(path.read_bytes())
            if path.name != "index.html":
                urls.append("/console/" + path.relative_to(STATIC_DIR).as_posix())
    return urls, digest.hexdigest()[:16]


async def _service_worker(request: Request) -> Response:
    request.state.route = "/sw.js"
    urls, version = _shell()
    body = SERVICE_WORKER.read_text() % {"version": version, "shell": json.dumps(urls)}
    return Response(body, media_type="text/javascript", headers=_NO_STALE)


def console_routes() -> list[BaseRoute]:
    """The routes to put before the API's catch-all."""
    return [
        Route("/", _index, methods=["GET", "HEAD"]),
        Route("/console/", _index, methods=["GET", "HEAD"]),
        Route("/sw.js", _service_worker, methods=["GET", "HEAD"]),
        Route("/console/messages.json", _gzip(_messages), methods=["GET", "HEAD"]),
        Route("/console/operations.json", _gzip(_operations), methods=["GET", "HEAD"]),
        Mount("/console", app=GZipMiddleware(_Static(directory=STATIC_DIR), minimum_size=500)),
    ]
