"""Who may call each route, and what a request may carry.

The route-role table is the protos themselves: every RPC declares the roles that may call it
with the method option `(sgz.common.v1.access)`, read here from the descriptors. The gateway
refuses any other role with 403 before the call leaves it (an RPC without the option is
refused to everyone), and the services still filter by the caller's scope. The gateway's own
routes (login, accounts, views) declare theirs in code with the same `Access`.

Writes accept only `application/json` (415 otherwise): a browser form can post
`application/x-www-form-urlencoded`, `multipart/form-data` or `text/plain` across sites without
asking, never JSON.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import grpc
from google.protobuf.descriptor import MethodDescriptor
from sgz.common.v1 import access_pb2
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway import errors as gw_errors
from gateway.accounts.service import TooManyAttempts
from gateway.auth import Authenticator
from sgz_runtime.errors import DomainError, FieldViolation, InvalidArgument, PermissionDenied
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel

#: Every role a person's account can have (the system role is for calls between services).
PERSON_ROLES: frozenset[Role] = frozenset(r for r in Role if r is not Role.SYSTEM)
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The largest body a route of the gateway's own reads (logins, accounts).
MAX_NATIVE_BODY = 16 * 1024


def role_of(value: int) -> Role | None:
    """`ACCESS_ROLE_STATION_CHIEF` -> Role.STATION_CHIEF; None for UNSPECIFIED."""
    name = access_pb2.AccessRole.Name(value).removeprefix("ACCESS_ROLE_")  # type: ignore[arg-type]
    return None if name == "UNSPECIFIED" else Role(name.lower())


@dataclass(frozen=True)
class Access:
    """The roles that may call a route. `declared` is False for an RPC without the option."""

    roles: frozenset[Role]
    read_only: bool = False
    declared: bool = True

    def allows(self, role: Role) -> bool:
        return role in self.roles

    def names(self) -> list[str]:
        """The roles' names in the order of sgz_runtime.identity.Role."""
        return [r.value for r in Role if r in self.roles]


def access_of(method: MethodDescriptor) -> Access:
    options = method.GetOptions()
    if not options.HasExtension(access_pb2.access):
        return Access(frozenset(), declared=False)
    declared = options.Extensions[access_pb2.access]
    roles = frozenset(r for r in (role_of(v) for v in declared.roles) if r is not None)
    return Access(roles, read_only=declared.read_only)


class RoleNotAllowed(PermissionDenied):
    reason = "ROLE_NOT_ALLOWED"


def require(access: Access, caller: Caller, what: str) -> None:
    """PermissionDenied (403) unless the caller's role may call `what`."""
    if not access.declared:
        raise RoleNotAllowed(tr("{what} declares no roles: nobody may call it", what=what))
    if not access.allows(caller.role):
        raise RoleNotAllowed(
            tr("the role {role} may not call {what}", role=caller.role.value, what=what)
        )


class OutOfScope(PermissionDenied):
    reason = "OUT_OF_SCOPE"


def towns_named(names: Iterable[str]) -> set[str]:
    """The towns (`towns/{t}`) the resource names lie in."""
    return {"/".join(n.split("/")[:2]) for n in names if n.startswith("towns/") and "/" in n}


def require_path_in_scope(
    caller: Caller, names: Iterable[str], *, caseload_town: str | None = None
) -> None:
    """PermissionDenied (403) when a resource name in the URL path lies in another town (or,
    for a village contact, another village of the town) than the caller's scope; for a
    worker, another town than their caseload's, when it is known (`caseload_town`). Defence
    in depth: the services check scope on every call, names in bodies and queries included."""
    if caller.scope_level is ScopeLevel.CASELOAD and caseload_town:
        for town in towns_named(names):
            if town != caseload_town:
                raise OutOfScope(tr("{name} is outside the caller's scope", name=town))
        return
    if caller.scope_level not in (ScopeLevel.TOWN, ScopeLevel.VILLAGE):
        return
    parts = caller.scope.split("/")
    for name in names:
        segments = name.split("/")
        if len(segments) < 2 or segments[0] != "towns":
            continue
        outside = segments[1] != parts[1]
        if (
            not outside
            and caller.scope_level is ScopeLevel.VILLAGE
            and len(segments) >= 4
            and segments[2] == "villages"
        ):
            outside = segments[3] != parts[3]
        if outside:
            raise OutOfScope(
                tr("{name} is outside the caller's scope", name="/".join(segments[:4]))
            )


class UnsupportedMediaType(InvalidArgument):
    reason = "UNSUPPORTED_MEDIA_TYPE"


def require_json_write(request: Request) -> None:
    """UnsupportedMediaType (415) for a write whose body is not declared `application/json`.
    A write with no body and no Content-Type (`POST .../x:disable`) is fine."""
    if request.method not in _WRITES:
        return
    content_type = request.headers.get("content-type")
    if content_type is None:
        if request.headers.get("content-length", "0") not in ("", "0") or request.headers.get(
            "transfer-encoding"
        ):
            raise UnsupportedMediaType(tr("send the request body as application/json"))
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType(tr("send the request body as application/json"))


# --- the gateway's own routes -----------------------------------------------------------------


class Host(Protocol):
    """What a route of the gateway's own needs of it."""

    authenticator: Authenticator


Endpoint = Callable[[Request, "Caller | None"], Awaitable[Response]]


@dataclass(frozen=True)
class NativeRoute:
    """A route the gateway serves itself. `access` None: no login needed (login itself)."""

    method: str
    path: str
    endpoint: Endpoint
    access: Access | None
    #: Its OpenAPI operation (without `x-sgz-roles`, added from access).
    operation: dict[str, Any] = field(default_factory=dict)

    def route(self, host: Host) -> Route:
        async def handle(request: Request) -> Response:
            request.state.route = self.path
            try:
                require_json_write(request)
                caller = None
                if self.access is not None:
                    caller = await host.authenticator.authenticate(request)
                    require(self.access, caller, f"{self.method} {self.path}")
                return await self.endpoint(request, caller)
            except UnsupportedMediaType as exc:
                return gw_errors.domain_error_response(exc, http_status=415)
            except TooManyAttempts as exc:
                rich = gw_errors.bare_status(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    tr(
                        "too many failed logins; try again in {seconds} s",
                        seconds=int(exc.retry_after_s) + 1,
                    ).render(),
                )
                return gw_errors.error_response(
                    rich, headers={"Retry-After": str(int(exc.retry_after_s) + 1)}
                )
            except DomainError as exc:
                return gw_errors.domain_error_response(exc)

        return Route(self.path, handle, methods=[self.method])


async def json_object(
    request: Request, fields: dict[str, type], required: tuple[str, ...]
) -> dict[str, Any]:
    """The request's JSON object, with only `fields` (each of its type) and `required` present;
    InvalidArgument naming every wrong field."""
    raw = await request.body()
    if len(raw) > MAX_NATIVE_BODY:
        raise InvalidArgument(tr("the request body is larger than {n} bytes", n=MAX_NATIVE_BODY))
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        raise InvalidArgument.field("*", tr("the body is not valid JSON")) from None
    if not isinstance(value, dict):
        raise InvalidArgument.field("*", tr("must be a JSON object"))
    violations = [FieldViolation(k, tr("unknown field")) for k in value if k not in fields]
    for key, kind in fields.items():
        if key in value and not isinstance(value[key], kind):
            violations.append(FieldViolation(key, tr("wrong type")))
        elif key not in value and key in required:
            violations.append(FieldViolation(key, tr("is required")))
    if violations:
        raise InvalidArgument.of(violations)
    return value
