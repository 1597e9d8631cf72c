"""Conversions between roster protos and domain values, all in one place."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from google.protobuf.field_mask_pb2 import FieldMask
from google.type import date_pb2
from sgz.roster.v1 import roster_pb2 as pb

from roster_svc.domain.places import Town, TownKind, Village, VillageKind
from roster_svc.domain.stations import (
    Compliance,
    ComplianceSummary,
    Equipment,
    Have,
    HaveState,
    Station,
    StationStandard,
    Timeliness,
    registration_timeliness,
)
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


# --- Dates (shared by every roster conversion) ---


def date_to_pb(value: date | None) -> date_pb2.Date:
    """A google.type.Date; unset (all zero) for None."""
    if value is None:
        return date_pb2.Date()
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def date_from_pb(message: date_pb2.Date, field: str) -> date | None:
    """The date, None when unset; INVALID_ARGUMENT naming field for an impossible one."""
    if message.year == 0 and message.month == 0 and message.day == 0:
        return None
    try:
        return date(message.year, message.month, message.day)
    except ValueError:
        raise InvalidArgument.field(field, "is not a real calendar date") from None


# --- Stations (rules S1, S2) ---

_EQUIPMENT_FIELDS: dict[Equipment, str] = {item: item.value for item in Equipment}
_TIMELINESS = {
    Timeliness.PENDING: pb.REGISTRATION_TIMELINESS_PENDING,
    Timeliness.OVERDUE: pb.REGISTRATION_TIMELINESS_OVERDUE,
    Timeliness.ON_TIME: pb.REGISTRATION_TIMELINESS_ON_TIME,
    Timeliness.LATE: pb.REGISTRATION_TIMELINESS_LATE,
}
_HAVES = {
    Have.PREMISES: pb.STATION_HAVE_PREMISES,
    Have.ORGANISATION: pb.STATION_HAVE_ORGANISATION,
    Have.STAFF: pb.STATION_HAVE_STAFF,
    Have.PROJECTS: pb.STATION_HAVE_PROJECTS,
    Have.FUNDING: pb.STATION_HAVE_FUNDING,
    Have.RULES: pb.STATION_HAVE_RULES,
}
_HAVE_STATES = {
    HaveState.MET: pb.HAVE_STATE_MET,
    HaveState.NOT_MET: pb.HAVE_STATE_NOT_MET,
    HaveState.UNKNOWN: pb.HAVE_STATE_UNKNOWN,
}


def station_from_pb(message: pb.Station) -> Station:
    parts = message.name.split("/")
    if len(parts) != 3 or parts[0] != "towns" or parts[2] != "station" or not parts[1]:
        raise InvalidArgument.field("station.name", "must be a station name, towns/{town}/station")
    registration = message.registration
    return Station(
        town_id=parts[1],
        display_name=message.display_name,
        registered_date=date_from_pb(
            registration.registered_date, "station.registration.registered_date"
        ),
        registration_number=registration.registration_number.strip().upper(),
        legal_representative=registration.legal_representative,
        charity_plate_hung=message.charity_plate_hung,
        office_area_m2=message.office_area_square_metres or None,
        equipment={e for e, f in _EQUIPMENT_FIELDS.items() if getattr(message.equipment, f)},
        projects=[p.strip() for p in message.projects],
        funding_account=message.funding_account.strip(),
    )


def station_to_pb(station: Station, standard: StationStandard, today: date) -> pb.Station:
    return pb.Station(
        name=station.name,
        display_name=station.display_name,
        registration=pb.StationRegistration(
            registered_date=date_to_pb(station.registered_date),
            registration_number=station.registration_number,
            legal_representative=station.legal_representative,
            deadline=date_to_pb(standard.registration_deadline),
            timeliness=_TIMELINESS[registration_timeliness(station, standard, today)],
        ),
        charity_plate_hung=station.charity_plate_hung,
        office_area_square_metres=station.office_area_m2 or 0.0,
        equipment=pb.StationEquipment(
            **{f: e in station.equipment for e, f in _EQUIPMENT_FIELDS.items()}
        ),
        projects=station.projects,
        funding_account=station.funding_account,
        etag=str(station.version),
    )


def compliance_to_pb(check: Compliance) -> pb.StationCompliance:
    return pb.StationCompliance(
        station=check.station.name,
        as_of=date_to_pb(check.as_of),
        registration_timeliness=_TIMELINESS[check.timeliness],
        haves=[
            pb.HaveCheck(have=_HAVES[h.have], state=_HAVE_STATES[h.state], gaps=list(h.gaps))
            for h in check.haves
        ],
        haves_met=check.haves_met,
        compliant=check.compliant,
    )


def compliance_summary_to_pb(
    summary: ComplianceSummary, page: list[Compliance], token: str, today: date
) -> pb.SummarizeStationComplianceResponse:
    return pb.SummarizeStationComplianceResponse(
        as_of=date_to_pb(today),
        towns=summary.towns,
        compliant=summary.compliant,
        haves=[
            pb.HaveCount(have=_HAVES[h], met=summary.have_met[h], unknown=summary.have_unknown[h])
            for h in Have
        ],
        registrations=[
            pb.TimelinessCount(timeliness=_TIMELINESS[t], stations=summary.timeliness[t])
            for t in Timeliness
        ],
        stations=[compliance_to_pb(c) for c in page],
        next_page_token=token,
    )
