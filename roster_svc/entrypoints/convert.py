"""Conversions between roster protos and domain values, all in one place."""

from __future__ import annotations

from typing import TypeVar

from google.protobuf.field_mask_pb2 import FieldMask
from sgz.roster.v1 import roster_pb2 as pb

from roster_svc.domain.places import Town, TownKind, Village, VillageKind
from sgz_runtime.errors import InvalidArgument

K = TypeVar("K")
V = TypeVar("V")

_TOWN_KINDS = {
    pb.TOWN_KIND_TOWN: TownKind.TOWN,
    pb.TOWN_KIND_DISTRICT: TownKind.DISTRICT,
    pb.TOWN_KIND_SUBDISTRICT: TownKind.SUBDISTRICT,
}
_VILLAGE_KINDS = {
    pb.VILLAGE_KIND_VILLAGE: VillageKind.VILLAGE,
    pb.VILLAGE_KIND_COMMUNITY: VillageKind.COMMUNITY,
}


def _enum(table: dict[K, V], value: K, field: str) -> V:
    try:
        return table[value]
    except KeyError:
        raise InvalidArgument.field(field, "must be set to one of the listed values") from None


def town_from_pb(message: pb.Town, town_id: str) -> Town:
    kind = _enum(_TOWN_KINDS, message.kind, "town.kind")
    return Town(
        id=town_id,
        display_name=message.display_name,
        administrative_code=message.administrative_code,
        kind=kind,
    )


def town_to_pb(town: Town) -> pb.Town:
    kinds = {v: k for k, v in _TOWN_KINDS.items()}
    return pb.Town(
        name=town.name,
        display_name=town.display_name,
        administrative_code=town.administrative_code,
        kind=kinds[town.kind],
        etag=str(town.version),
    )


def village_from_pb(message: pb.Village, town_id: str, village_id: str) -> Village:
    kind = _enum(_VILLAGE_KINDS, message.kind, "village.kind")
    return Village(
        town_id=town_id,
        id=village_id,
        display_name=message.display_name,
        kind=kind,
        contact_name=message.contact.display_name,
        contact_phone=message.contact.phone,
    )


def village_to_pb(village: Village) -> pb.Village:
    kinds = {v: k for k, v in _VILLAGE_KINDS.items()}
    return pb.Village(
        name=village.name,
        display_name=village.display_name,
        kind=kinds[village.kind],
        contact=pb.CivilAffairsContact(
            display_name=village.contact_name, phone=village.contact_phone
        ),
        etag=str(village.version),
    )


def village_changes_from_pb(message: pb.Village, town_id: str, village_id: str) -> Village:
    """The values of an update; the kind cannot change, so it may be left unset."""
    if message.kind == pb.VILLAGE_KIND_UNSPECIFIED:
        message = pb.Village(
            display_name=message.display_name, contact=message.contact, kind=pb.VILLAGE_KIND_VILLAGE
        )
    return village_from_pb(message, town_id, village_id)


def update_fields(mask: FieldMask, allowed: set[str]) -> set[str]:
    """The paths of an update mask (all allowed ones when empty); others are refused."""
    paths = {p.split(".")[0] for p in mask.paths}
    unknown = paths - allowed
    if unknown:
        raise InvalidArgument.field(
            "update_mask",
            f"cannot update {', '.join(sorted(unknown))}; updatable: {', '.join(sorted(allowed))}",
        )
    return paths or set(allowed)
