"""What every HR use case shares: who may write, which towns a caller sees, the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sgz_runtime import names
from sgz_runtime.errors import PermissionDenied
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel

Clock = Callable[[], datetime]

#: Who records employment, contracts, certificates, training and decisions: the town's people,
#: as the protos' access options say (the gateway enforces those; this is the service's own).
WRITERS = (Role.HR, Role.TOWN_HEAD, Role.STATION_CHIEF)
#: Who runs recruitment rounds.
RECRUITERS = (Role.HR, Role.TOWN_HEAD)

#: `towns/-` in a parent: every town the caller sees (AIP-159).
ALL_TOWNS = "towns/-"


def require_writer(caller: Caller, town: str, roles: tuple[Role, ...] = WRITERS) -> None:
    caller.require_role(*roles)
    caller.require_town(town)


def own_town(caller: Caller) -> str:
    return "/".join(caller.scope.split("/")[:2])


def towns_for(caller: Caller, parent: str, field: str = "parent") -> list[str] | None:
    """The towns a parent names for this caller: one town, or for `towns/-` every town the
    caller sees (None = the whole city)."""
    if parent == ALL_TOWNS:
        return None if caller.scope_level is ScopeLevel.CITY else [own_town(caller)]
    names.parse(field, parent, "towns")
    if not caller.sees_town(parent):
        raise PermissionDenied(tr("{town} is outside the caller's scope", town=parent))
    return [parent]


def worker_id(name: str, field: str = "parent") -> str:
    (wid,) = names.parse(field, name, "workers")
    return wid
