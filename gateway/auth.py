"""Who is calling: the seam where accounts and login will plug in.

The gateway asks an `Authenticator` for the `Caller` of each HTTP request, then signs it for
the services. Until the accounts issue lands, the only implementation is
`DevelopmentAuthenticator`, which lets EVERY request act as one configured caller (by default
`users/dev`, city civil affairs, city-wide). It is for development and tests only: a gateway
that anyone can reach must not run with it.
"""

from __future__ import annotations

import logging
from typing import Protocol

from starlette.requests import Request

from sgz_runtime.config import Settings
from sgz_runtime.identity import Caller

log = logging.getLogger("sgz.gateway")


class Authenticator(Protocol):
    """Turns an HTTP request into the caller it comes from.

    Raises sgz_runtime.errors.Unauthenticated when the request proves no identity (the
    gateway answers 401 in the error shape). A real implementation reads the session or bearer
    token of the request; it must not trust anything else the client sends.
    """

    async def authenticate(self, request: Request) -> Caller: ...


class DevelopmentAuthenticator:
    """DEVELOPMENT ONLY: every request acts as `caller`, whatever it carries."""

    def __init__(self, caller: Caller):
        self.caller = caller

    async def authenticate(self, request: Request) -> Caller:
        return self.caller


def development_authenticator(settings: Settings) -> DevelopmentAuthenticator:
    """The development caller of the settings (`SGZ_GATEWAY_DEV_*`)."""
    caller = Caller(
        subject=settings.gateway_dev_subject,
        role=settings.gateway_dev_role,
        scope_level=settings.gateway_dev_scope_level,
        scope=settings.gateway_dev_scope,
    )
    log.warning(
        "development authenticator: every request acts as one caller; not for production",
        extra={"subject": caller.subject, "role": caller.role.value},
    )
    return DevelopmentAuthenticator(caller)
