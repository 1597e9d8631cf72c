"""`sgz login` and `sgz logout`: a session with the gateway kept for the other commands, in a
file only its owner can read (`~/.config/sgz/credentials.json`, or SGZ_CLI_CREDENTIALS).

Every command that calls the gateway sends the access token with `TokenAuth`, which refreshes
it when it is about to expire (or was refused) and saves the new session.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from deploy import health
from sgz_runtime.config import settings
from sgz_runtime.i18n import current_locale, tr

#: Refresh this many seconds before the access token expires.
_EARLY_S = 30


def credentials_path() -> Path:
    found = os.environ.get("SGZ_CLI_CREDENTIALS")
    return Path(found) if found else Path.home() / ".config" / "sgz" / "credentials.json"


def default_gateway() -> str:
    return os.environ.get("SGZ_GATEWAY_URL") or health.gateway_url(
        settings().host, settings().gateway_port
    )


def load_session(path: Path | None = None) -> dict[str, Any] | None:
    path = path or credentials_path()
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def save_session(session: dict[str, Any], gateway: str, path: Path | None = None) -> None:
    """Writes the session 0600 in a 0700 folder, replacing any earlier one atomically."""
    path = path or credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = {
        "gateway": gateway,
        "accessToken": session["accessToken"],
        "refreshToken": session["refreshToken"],
        "expiresAt": time.time() + float(session["expiresIn"]),
        "account": session["account"],
    }
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(stored, f)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


class TokenAuth(httpx.Auth):
    """Sends the saved access token; refreshes it once when it is due or was refused."""

    def __init__(self, path: Path | None = None):
        self.path = path or credentials_path()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # Every command's calls ask for the language of `sgz --lang` (zh-CN by default).
        if "Accept-Language" not in request.headers:
            request.headers["Accept-Language"] = current_locale()
        session = load_session(self.path)
        if session is None:
            yield request
            return
        if float(session.get("expiresAt", 0)) - _EARLY_S < time.time():
            session = yield from self._refresh(request, session)
        request.headers["Authorization"] = f"Bearer {session['accessToken']}"
        response = yield request
        if response.status_code == 401:
            session = yield from self._refresh(request, session)
            request.headers["Authorization"] = f"Bearer {session['accessToken']}"
            yield request

    def _refresh(
        self, request: httpx.Request, session: dict[str, Any]
    ) -> Generator[httpx.Request, httpx.Response, dict[str, Any]]:
        refresh = httpx.Request(
            "POST",
            request.url.copy_with(path="/v1/auth:refresh", query=None),
            json={"refreshToken": session.get("refreshToken", "")},
        )
        answer = yield refresh
        answer.read()
        if answer.status_code != 200:
            return session  # the call goes out with the old token and reports its 401
        renewed: dict[str, Any] = answer.json()
        save_session(renewed, str(session.get("gateway", "")), self.path)
        return load_session(self.path) or session


def client(gateway: str | None = None, timeout: float = 120.0) -> httpx.Client:
    """An HTTP client for the gateway that sends the saved session's token."""
    return httpx.Client(base_url=gateway or default_gateway(), timeout=timeout, auth=TokenAuth())


def _error(answer: httpx.Response) -> str:
    try:
        error = answer.json()["error"]
        return f"{error.get('status', answer.status_code)}: {error.get('message', '')}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {answer.status_code}"


GatewayOption = Annotated[
    str | None,
    typer.Option(
        envvar="SGZ_GATEWAY_URL",
        help=tr("The gateway's URL (default: http://127.0.0.1:SGZ_GATEWAY_PORT).").render(),
    ),
]


def login(
    username: Annotated[
        str, typer.Option(prompt=tr("Username").render(), help=tr("Your username.").render())
    ],
    password: Annotated[
        str,
        typer.Option(
            prompt=tr("Password").render(),
            hide_input=True,
            help=tr("Your password (asked if not given).").render(),
        ),
    ],
    gateway: GatewayOption = None,
) -> None:
    url = gateway or default_gateway()
    try:
        answer = httpx.post(
            f"{url}/v1/auth:login", json={"username": username, "password": password}, timeout=30
        )
    except httpx.HTTPError as exc:
        typer.echo(str(tr("the gateway is unreachable at {url} ({error})", url=url, error=exc)))
        raise typer.Exit(1) from None
    if answer.status_code != 200:
        typer.echo(str(tr("login refused: {error}", error=_error(answer))), err=True)
        raise typer.Exit(1)
    session = answer.json()
    save_session(session, url)
    account = session["account"]
    typer.echo(
        tr(
            "logged in as {username} ({role}, {scope}); the session is kept in {path}",
            username=account["username"],
            role=account["role"],
            scope=account["scope"] or tr("city").render(),
            path=credentials_path(),
        ).render()
    )


def logout(gateway: GatewayOption = None) -> None:
    session = load_session()
    if session is None:
        typer.echo(tr("not logged in").render())
        return
    url = gateway or str(session.get("gateway") or default_gateway())
    # Forgotten here even when the gateway is unreachable: the refresh token expires anyway.
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(
            f"{url}/v1/auth:logout", json={"refreshToken": session["refreshToken"]}, timeout=30
        )
    credentials_path().unlink(missing_ok=True)
    typer.echo(tr("logged out").render())
