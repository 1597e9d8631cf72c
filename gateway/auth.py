"""Who is calling: the bearer token of an account, turned into the `Caller` the gateway signs
for the services.

`BearerAuthenticator` is the one a deployment runs: `Authorization: Bearer <accessToken>` from
`POST /v1/auth:login` (gateway/accounts), checked for signature, expiry and lifetime, and for an
account that is still enabled; anything else is 401. `DevelopmentAuthenticator` lets a request
WITHOUT a bearer token act as one configured caller; it exists for tests and development and is
used only when `SGZ_GATEWAY_DEV_AUTH` is set (never by `sgz up`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from gateway.accounts.domain import Account
from gateway.accounts.service import AccountService
from sgz_runtime.config import Settings
from sgz_runtime.errors import Unauthenticated
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller

log = logging.getLogger("sgz.gateway")

#: Seconds an accepted token's account is remembered: a disabled account is refused within it.
ACCOUNT_RECHECK_S = 5.0
_MAX_REMEMBERED = 10_000


class Authenticator(Protocol):
    """Turns an HTTP request into the caller it comes from.

    Raises sgz_runtime.errors.Unauthenticated when the request proves no identity (the
    gateway answers 401 in the error shape). It reads only the bearer token it issued, never a
    caller the client claims.
    """

    async def authenticate(self, request: Request) -> Caller: ...


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>`; None when there is no such header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(tr("send the access token as 'Authorization: Bearer <token>'"))
    return token.strip()


class BearerAuthenticator:
    """Accounts' access tokens. The account behind a token is re-read at most every
    ACCOUNT_RECHECK_S, so disabling it or resetting its password takes effect within that."""

    def __init__(
        self,
        accounts: Callable[[], AccountService | None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._accounts = accounts
        self._clock = clock
        self._accepted: dict[str, tuple[float, Account]] = {}

    async def authenticate(self, request: Request) -> Caller:
        token = bearer_token(request)
        if token is None:
            raise Unauthenticated(
                tr("log in first: POST /v1/auth:login, then send 'Authorization: Bearer <token>'")
            )
        return (await self.account(token)).caller()

    async def account(self, token: str) -> Account:
        found = self._accepted.get(token)
        if found is not None and self._clock() < found[0]:
            return found[1]
        service = self._accounts()
        if service is None:
            raise Unauthenticated(tr("the gateway is starting; try again"))
        account = await run_in_threadpool(service.account_of_token, token)
        if len(self._accepted) >= _MAX_REMEMBERED:
            self._accepted.clear()
        self._accepted[token] = (self._clock() + ACCOUNT_RECHECK_S, account)
        return account


class DevelopmentAuthenticator:
    """DEVELOPMENT AND TESTS ONLY: a request without a bearer token acts as `caller`; one with
    a bearer token is checked by `bearer` when given."""

    def __init__(self, caller: Caller, bearer: BearerAuthenticator | None = None):
        self.caller = caller
        self.bearer = bearer

    async def authenticate(self, request: Request) -> Caller:
        if self.bearer is not None and request.headers.get("authorization") is not None:
            return await self.bearer.authenticate(request)
        return self.caller


def development_authenticator(
    settings: Settings, bearer: BearerAuthenticator | None = None
) -> DevelopmentAuthenticator:
    """The development caller of the settings (`SGZ_GATEWAY_DEV_*`)."""
    caller = Caller(
        subject=settings.gateway_dev_subject,
        role=settings.gateway_dev_role,
        scope_level=settings.gateway_dev_scope_level,
        scope=settings.gateway_dev_scope,
    )
    log.warning(
        "development authenticator: requests without a token act as one caller; not for production",
        extra={"subject": caller.subject, "role": caller.role.value},
    )
    return DevelopmentAuthenticator(caller, bearer)
