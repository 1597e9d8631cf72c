"""What every visit use case shares: the clock, scope checks and AIP-155 request ids."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from sgz_runtime import identity
from sgz_runtime.errors import InvalidArgument, NotFound, PermissionDenied
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel
from visit_svc.adapters.repository import RequestRecord
from visit_svc.service_layer.unit_of_work import VisitUnitOfWork

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


#: Roles that only read (auditors, finance, HR): they record nothing here.
_READ_ONLY = (Role.AUDITOR, Role.CITY_FINANCE, Role.HR)


def require_writer(caller: Caller) -> None:
    if caller.role in _READ_ONLY:
        raise PermissionDenied(
            tr("the role {value} may not record visit work", value=caller.role.value)
        )


def sees(caller: Caller, town: str, village: str, worker: str | None) -> bool:
    """A caller sees a town's, a village's or their own caseload's records."""
    if caller.scope_level is ScopeLevel.CASELOAD:
        return worker is not None and caller.scope == worker
    if caller.scope_level is ScopeLevel.VILLAGE:
        return caller.scope == village
    return caller.sees_town(town)


def require_sees(caller: Caller, name: str, town: str, village: str, worker: str | None) -> None:
    """NOT_FOUND rather than PERMISSION_DENIED: out of scope, a record does not exist."""
    if not sees(caller, town, village, worker):
        raise NotFound(name)


def replayed(uow: VisitUnitOfWork, request_id: str, method: str, body_hash: str) -> str | None:
    """AIP-155: the resource a request id already made, or None when it is new; a reused id
    with a different body (or for another method) is refused."""
    if not request_id:
        return None
    found = uow.request_ids.get(scoped_request_id(request_id))
    if found is None:
        return None
    if found.method != method or found.body_hash != body_hash:
        raise InvalidArgument.field(
            "request_id", tr("was already used for a different request; use a new id")
        )
    return found.resource


def remember(
    uow: VisitUnitOfWork, request_id: str, method: str, body_hash: str, resource: str
) -> None:
    if request_id:
        uow.request_ids.add(
            scoped_request_id(request_id), RequestRecord(method, body_hash, resource)
        )


def scoped_request_id(request_id: str) -> str:
    """The key a request id is kept under: the caller's own (issue 11 item 7), so a client of
    another town sending the same id neither replays nor collides with this caller's request."""
    ctx = identity.current_context()
    subject = ctx.caller.subject if ctx is not None else ""
    return hashlib.sha256(f"{subject}\n{request_id}".encode()).hexdigest()


def check_request_id(request_id: str) -> None:
    if len(request_id) > 80:
        raise InvalidArgument.field("request_id", tr("must be at most 80 characters"))
