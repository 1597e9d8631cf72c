"""Who is calling, and what they may see: signed by the gateway, read by every service.

The gateway turns a user's session into a `Caller`, signs it (HS256 JWT, key shared only by sgz
processes) and sends it as `x-sgz-caller` metadata. Services trust nothing else, and pass the
same token on when they call each other. Read it with `current_caller()`.
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

import jwt

from sgz_runtime.errors import PermissionDenied, Unauthenticated

CALLER_METADATA_KEY = "x-sgz-caller"
REQUEST_ID_METADATA_KEY = "x-request-id"
_ISSUER = "sgz-gateway"
_AUDIENCE = "sgz-internal"
_ALGORITHM = "HS256"
#: The longest a caller token may live, refused when signing and when verifying: a token that
#: leaks from call metadata is worth minutes, not days.
MAX_TTL_S = 600
#: Clock difference tolerated between processes for a token's issue time.
_LEEWAY_S = 30


class Role(enum.StrEnum):
    """The roles of DOMAIN.md "Who uses it", plus the system itself for scheduled jobs."""

    CITY_CIVIL_AFFAIRS = "city_civil_affairs"
    CITY_FINANCE = "city_finance"
    TOWN_HEAD = "town_head"
    STATION_CHIEF = "station_chief"
    STATION_WORKER = "station_worker"
    VILLAGE_CONTACT = "village_contact"
    HR = "hr"
    AUDITOR = "auditor"
    SYSTEM = "system"


class ScopeLevel(enum.StrEnum):
    """How far a caller sees: the city, one town, one village, or only their own caseload."""

    CITY = "city"
    TOWN = "town"
    VILLAGE = "village"
    CASELOAD = "caseload"


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of this request.

    `scope` is the resource name the scope is bounded by: empty for the city,
    `towns/{town}` for a town, `towns/{town}/villages/{village}` for a village and
    `workers/{worker}` for a caseload.
    """

    subject: str
    role: Role
    scope_level: ScopeLevel
    scope: str = ""

    def sees_town(self, town: str) -> bool:
        """Whether the caller's scope covers the town `towns/{town}`."""
        if self.scope_level is ScopeLevel.CITY:
            return True
        return self.scope == town or self.scope.startswith(town + "/")

    def require_town(self, town: str) -> None:
        if not self.sees_town(town):
            raise PermissionDenied(f"{town} is outside the caller's scope")

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles and self.role is not Role.SYSTEM:
            raise PermissionDenied(f"the role {self.role.value} may not do this")


def sign(caller: Caller, secret: bytes, *, ttl_s: float = 300.0) -> str:
    """A short-lived token carrying the caller, signed with the internal key."""
    if ttl_s > MAX_TTL_S:
        raise ValueError(f"a caller token lives at most {MAX_TTL_S} s, not {ttl_s}")
    now = int(time.time())
    claims = {
        "iss": _ISSUER,
        "aud": _AUDIENCE,
        "iat": now,
        "exp": now + int(ttl_s),
        "sub": caller.subject,
        "role": caller.role.value,
        "lvl": caller.scope_level.value,
        "scope": caller.scope,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def _decode(token: str, secret: bytes) -> tuple[Caller, float]:
    """The caller a token carries and its expiry (Unix seconds); Unauthenticated when it is
    forged, expired or malformed."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
        issued, expires = float(claims["iat"]), float(claims["exp"])
        if expires - issued > MAX_TTL_S or issued > time.time() + _LEEWAY_S:
            raise ValueError("the token's lifetime is longer than allowed")
        caller = Caller(
            subject=str(claims["sub"]),
            role=Role(claims["role"]),
            scope_level=ScopeLevel(claims["lvl"]),
            scope=str(claims.get("scope", "")),
        )
        return caller, expires
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthenticated(f"the caller token is not valid: {exc}") from None


def verify(token: str, secret: bytes) -> Caller:
    """The caller a token carries; Unauthenticated when it is forged, expired or malformed."""
    return _decode(token, secret)[0]


class TokenVerifier:
    """`verify` for one key, remembering each token it accepted, by its exact text, until the
    token's own `exp`: the gateway reuses a caller's token for many calls (TokenSigner), and
    checking the same HMAC again and again was a seventh of a visit's CPU in the visit service.
    A token never accepted (forged, malformed, expired) is not remembered and is checked every
    time; a remembered one is refused from its `exp` on, exactly as jwt.decode would."""

    def __init__(
        self, secret: bytes, *, max_entries: int = 10_000, clock: Callable[[], float] = time.time
    ):
        self._secret = secret
        self._max = max_entries
        self._clock = clock
        self._accepted: dict[str, tuple[float, Caller]] = {}

    def verify(self, token: str) -> Caller:
        found = self._accepted.get(token)
        if found is not None:
            if self._clock() < found[0]:
                return found[1]
            self._accepted.pop(token, None)
        caller, expires = _decode(token, self._secret)
        if len(self._accepted) >= self._max:
            self._accepted.clear()  # rare: as many live callers as entries; start again
        self._accepted[token] = (expires, caller)
        return caller


class TokenSigner:
    """`sign` for one key, reusing a caller's token while more than half of its lifetime is
    left, so a token handed on always has at least ttl_s / 2 to live (far more than any call's
    deadline). Signing a new token on every HTTP request was a tenth of the gateway's CPU."""

    def __init__(
        self,
        secret: bytes,
        *,
        ttl_s: float = 300.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
    ):
        self._secret = secret
        self._ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._signed: dict[Caller, tuple[float, str]] = {}

    def token_for(self, caller: Caller) -> str:
        now = self._clock()
        found = self._signed.get(caller)
        if found is not None and now < found[0]:
            return found[1]
        token = sign(caller, self._secret, ttl_s=self._ttl_s)
        if len(self._signed) >= self._max:
            self._signed.clear()
        self._signed[caller] = (now + self._ttl_s / 2, token)
        return token


@dataclass(frozen=True)
class CallContext:
    """What travels with one call: the caller, its token, the request id and the deadline."""

    caller: Caller
    token: str
    request_id: str
    #: time.monotonic() value after which the call has timed out.
    deadline: float

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


_CONTEXT: ContextVar[CallContext | None] = ContextVar("sgz_call_context", default=None)
_REQUEST_ID: ContextVar[str] = ContextVar("sgz_request_id", default="")


def current_context() -> CallContext | None:
    return _CONTEXT.get()


def current_caller() -> Caller:
    """The caller of the call being served; Unauthenticated outside of one."""
    ctx = _CONTEXT.get()
    if ctx is None:
        raise Unauthenticated("no caller identity travels with this call")
    return ctx.caller


def current_request_id() -> str:
    return _REQUEST_ID.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def bind(ctx: CallContext | None, request_id: str) -> tuple[object, object]:
    """Makes ctx the current call context; returns tokens for `unbind`."""
    return _CONTEXT.set(ctx), _REQUEST_ID.set(request_id)


def unbind(tokens: tuple[object, object]) -> None:
    ctx_token, rid_token = tokens
    _CONTEXT.reset(ctx_token)  # type: ignore[arg-type]
    _REQUEST_ID.reset(rid_token)  # type: ignore[arg-type]
