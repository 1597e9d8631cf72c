"""What every finance use case shares: scope checks, request ids, the clock."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from finance_svc.adapters.repository import FinanceRepository, RequestRecord
from sgz_runtime import names
from sgz_runtime.china_time import now as china_now
from sgz_runtime.errors import InvalidArgument, NotFound, PermissionDenied
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel

Clock = Callable[[], datetime]
system_clock: Clock = china_now

#: Roles that act for the whole city's subsidy (city finance runs the money; the system
#: carries calls between services, e.g. assessment's performance pay).
CITY_MONEY_ROLES = frozenset({Role.CITY_FINANCE, Role.SYSTEM})
#: Roles that may spend or return a town's money, for their own town.
TOWN_MONEY_ROLES = frozenset({Role.STATION_CHIEF, Role.TOWN_HEAD})


def town_name(value: str, field: str) -> str:
    (town_id,) = names.parse(field, value, "towns")
    return f"towns/{town_id}"


def require_sees(caller: Caller, town: str) -> None:
    """A caller scoped to one town sees nothing of another (reads answer NOT_FOUND)."""
    if caller.scope_level is ScopeLevel.CASELOAD or not caller.sees_town(town):
        raise NotFound(town)


def require_writer(caller: Caller, town: str, roles: frozenset[Role]) -> None:
    require_sees(caller, town)
    if caller.role not in roles:
        raise PermissionDenied(
            tr("the role {role} may not do this for {town}", role=caller.role.value, town=town)
        )


def check_request_id(request_id: str) -> str:
    if not request_id or len(request_id) > 100:
        raise InvalidArgument.field("request_id", tr("is required, at most 100 characters"))
    return request_id


def fingerprint(method: str, body: dict[str, Any]) -> str:
    text = json.dumps({"method": method, **body}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def replayed(
    repo: FinanceRepository,
    request_id: str,
    method: str,
    print_: str,
    known: dict[str, RequestRecord] | None = None,
) -> str | None:
    """The result of an earlier call with this request id, or None. The same id with other
    content is refused: a retry never pays twice, and never pays something else. `known`: the
    request ids already read in bulk (a batch)."""
    done = known.get(request_id) if known is not None else repo.replayed(request_id)
    if done is None:
        return None
    if done.method != method or done.fingerprint != print_:
        raise InvalidArgument.field(
            "request_id",
            tr(
                "{request_id} was already used for a different request; a retry must repeat "
                "it exactly (rule F5)",
                request_id=request_id,
            ),
            rule="F5",
        )
    return done.result


def remember(
    repo: FinanceRepository, request_id: str, method: str, print_: str, result: str
) -> None:
    repo.remember(request_id, RequestRecord(method, print_, result))
