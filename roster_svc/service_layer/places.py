"""Use cases on towns and villages."""

from __future__ import annotations

from roster_svc.domain.places import Town, Village, check_town, check_village
from roster_svc.service_layer.unit_of_work import RosterUnitOfWork
from sgz_runtime import names, paging
from sgz_runtime.errors import Aborted, AlreadyExists, NotFound, PermissionDenied
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, ScopeLevel


def create_town(uow: RosterUnitOfWork, caller: Caller, town: Town) -> Town:
    if caller.scope_level is not ScopeLevel.CITY:
        raise PermissionDenied(tr("only a city-wide caller creates towns"))
    names.check_id("town_id", town.id)
    check_town(town)
    with uow:
        if uow.towns.get(town.id) is not None:
            raise AlreadyExists(town.name)
        holder = uow.towns.get_by_code(town.administrative_code)
        if holder is not None:
            # Name the town that has the code (issue 7): that is the one to look at.
            raise AlreadyExists(
                holder.name,
                message=tr(
                    "the code {code} is already {holder}'s ({holder_name}); check the town's "
                    "9-digit code",
                    code=town.administrative_code,
                    holder=holder.name,
                    holder_name=holder.display_name,
                ),
            )
        uow.towns.add(town)
        uow.commit()
    return town


def get_town(uow: RosterUnitOfWork, caller: Caller, name: str) -> Town:
    (town_id,) = names.parse("name", name, "towns")
    with uow:
        town = uow.towns.get(town_id)
        if town is None or not caller.sees_town(name):
            raise NotFound(name)
        return town


def list_towns(
    uow: RosterUnitOfWork, caller: Caller, page_size: int, page_token: str
) -> tuple[list[Town], str]:
    page = paging.parse(page_size, page_token)
    with uow:
        if caller.scope_level is ScopeLevel.CITY:
            found = uow.towns.list(page.after, page.size + 1)
        else:
            town_id = caller.scope.split("/")[1] if caller.scope.startswith("towns/") else ""
            town = uow.towns.get(town_id)
            found = [town] if town is not None and page.after is None else []
    more = len(found) > page.size
    found = found[: page.size]
    return found, paging.next_token(found[-1].id if more else None)


def create_village(uow: RosterUnitOfWork, caller: Caller, parent: str, village: Village) -> Village:
    (town_id,) = names.parse("parent", parent, "towns")
    caller.require_town(parent)
    names.check_id("village_id", village.id)
    village.town_id = town_id
    check_village(village)
    with uow:
        if uow.towns.get(town_id) is None:
            raise NotFound(parent)
        if uow.villages.get(town_id, village.id) is not None:
            raise AlreadyExists(village.name)
        uow.villages.add(village)
        uow.commit()
    return village


def get_village(uow: RosterUnitOfWork, caller: Caller, name: str) -> Village:
    town_id, village_id = names.parse("name", name, "towns", "villages")
    with uow:
        village = uow.villages.get(town_id, village_id)
        if village is None or not caller.sees_town(f"towns/{town_id}"):
            raise NotFound(name)
        return village


def list_villages(
    uow: RosterUnitOfWork, caller: Caller, parent: str, page_size: int, page_token: str
) -> tuple[list[Village], str]:
    (town_id,) = names.parse("parent", parent, "towns")
    page = paging.parse(page_size, page_token, {"parent": parent})
    with uow:
        if uow.towns.get(town_id) is None or not caller.sees_town(parent):
            raise NotFound(parent)
        found = uow.villages.list(town_id, page.after, page.size + 1)
    more = len(found) > page.size
    found = found[: page.size]
    return found, paging.next_token(found[-1].id if more else None, {"parent": parent})


def update_village(
    uow: RosterUnitOfWork,
    caller: Caller,
    changes: Village,
    etag: str,
    fields: set[str],
) -> Village:
    """Applies the fields named (display_name, contact) from changes; a stale etag is refused."""
    town_id, village_id = names.parse("village.name", changes.name, "towns", "villages")
    caller.require_town(f"towns/{town_id}")
    with uow:
        village = uow.villages.get(town_id, village_id)
        if village is None:
            raise NotFound(changes.name)
        if etag and etag != str(village.version):
            raise Aborted(
                tr(
                    "{name} changed since it was read (etag {version})",
                    name=changes.name,
                    version=village.version,
                )
            )
        if "display_name" in fields:
            village.display_name = changes.display_name
        if "contact" in fields:
            village.contact_name = changes.contact_name
            village.contact_phone = changes.contact_phone
        check_village(village)
        uow.commit()
        return village
