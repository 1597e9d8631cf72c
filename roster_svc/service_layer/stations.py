"""Use cases on the town's station (rules S1, S2): read, update, and the six-haves view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from roster_svc.adapters.hr_client import HrClient
from roster_svc.domain.places import Town
from roster_svc.domain.stations import (
    Compliance,
    ComplianceSummary,
    Staffing,
    Station,
    StationStandard,
    check_station,
    compliance,
    standard_on,
    summarise,
)
from roster_svc.service_layer.unit_of_work import RosterUnitOfWork
from sgz_runtime import names, paging
from sgz_runtime.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound, Unavailable
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel

#: Who may change a station's facts: the city bureau and the town that runs it.
_WRITERS = (Role.CITY_CIVIL_AFFAIRS, Role.TOWN_HEAD, Role.STATION_CHIEF)
#: Fields of a station an update may name.
UPDATABLE = {
    "display_name",
    "registration",
    "charity_plate_hung",
    "office_area_square_metres",
    "equipment",
    "projects",
    "funding_account",
}


def _town_of(field: str, name: str) -> str:
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != "towns" or parts[2] != "station" or not parts[1]:
        raise InvalidArgument.field(
            field, tr("must be a station name such as towns/chengdong/station")
        )
    return parts[1]


def get_station(uow: RosterUnitOfWork, caller: Caller, name: str) -> Station:
    """The station exists with its town (a singleton): unrecorded facts read as empty."""
    town_id = _town_of("name", name)
    with uow:
        if uow.towns.get(town_id) is None or not caller.sees_town(f"towns/{town_id}"):
            raise NotFound(name)
        return uow.stations.get(town_id) or Station(town_id=town_id)


def update_station(
    uow: RosterUnitOfWork,
    hr: HrClient,
    caller: Caller,
    changes: Station,
    etag: str,
    fields: set[str],
    today: date,
) -> Station:
    """Applies the named fields; the legal representative must be the town's station chief in
    HR (rules S1, H5). A stale etag is refused; nothing is written on refusal."""
    town = changes.town
    caller.require_town(town)
    caller.require_role(*_WRITERS)
    if "registration" in fields and changes.legal_representative:
        _check_representative(hr, changes.legal_representative, town)
    with uow:
        if uow.towns.get(changes.town_id) is None:
            raise NotFound(changes.name)
        station = uow.stations.get(changes.town_id) or Station(town_id=changes.town_id)
        if etag and etag != str(station.version):
            raise Aborted(
                tr(
                    "{name} changed since it was read (etag {version})",
                    name=station.name,
                    version=station.version,
                )
            )
        if "display_name" in fields:
            station.display_name = changes.display_name
        if "registration" in fields:
            station.registered_date = changes.registered_date
            station.registration_number = changes.registration_number
            station.legal_representative = changes.legal_representative
        if "charity_plate_hung" in fields:
            station.charity_plate_hung = changes.charity_plate_hung
        if "office_area_square_metres" in fields:
            station.office_area_m2 = changes.office_area_m2
        if "equipment" in fields:
            station.equipment = set(changes.equipment)
        if "projects" in fields:
            station.projects = list(changes.projects)
        if "funding_account" in fields:
            station.funding_account = changes.funding_account
        check_station(station, today)
        uow.stations.save(station)
        uow.commit()
        return station


def _check_representative(hr: HrClient, worker: str, town: str) -> None:
    field = "station.registration.legal_representative"
    try:
        names.parse(field, worker, "workers")
    except InvalidArgument:
        raise InvalidArgument.field(
            field, tr("must be a worker name such as workers/w1"), rule="S1"
        ) from None
    found = hr.get_worker(worker)
    if found is None:
        raise InvalidArgument.field(
            field, tr("{worker} is not a worker in HR", worker=worker), rule="S1"
        )
    if found.town != town or not found.is_chief:
        # Rule H5: the chief of this town's station is its legal representative.
        raise FailedPrecondition(
            tr(
                "{worker} is not the station chief of {town}; the legal representative is the "
                "town's station chief: name the chief HR has for it (rule S1)",
                worker=worker,
                town=town,
            ),
            rule="S1",
        )


def check_compliance(
    uow: RosterUnitOfWork,
    hr: HrClient,
    caller: Caller,
    name: str,
    standards: list[StationStandard],
    today: date,
) -> Compliance:
    """The six haves of one station as of today; the staff have is UNKNOWN when HR is down."""
    station = get_station(uow, caller, name)
    with uow:
        villages = uow.stations.village_counts([station.town_id]).get(station.town_id, 0)
    try:
        staffing: Staffing | None = Staffing(
            hr.station_worker_counts(station.town).get(station.town, 0)
        )
    except Unavailable:
        staffing = None
    return compliance(station, standard_on(standards, today), today, villages, staffing)


def summarise_compliance(
    uow: RosterUnitOfWork,
    hr: HrClient,
    caller: Caller,
    standards: list[StationStandard],
    today: date,
    page_size: int,
    page_token: str,
) -> tuple[ComplianceSummary, list[Compliance], str]:
    """Every town the caller sees: the counts over all of them, and one page of towns."""
    page = paging.parse(page_size, page_token, {"view": "station-compliance"})
    town_scope: str | None = None
    if caller.scope_level is not ScopeLevel.CITY:
        town_scope = "/".join(caller.scope.split("/")[:2])
    try:
        counts: dict[str, int] | None = hr.station_worker_counts(town_scope)
    except Unavailable:
        counts = None
    standard = standard_on(standards, today)
    checks: list[Compliance] = []
    with uow:
        for towns in _town_pages(uow, town_scope):
            ids = [t.id for t in towns]
            stations = uow.stations.for_towns(ids)
            villages = uow.stations.village_counts(ids)
            for town in towns:
                station = stations.get(town.id) or Station(town_id=town.id)
                staffing = None if counts is None else Staffing(counts.get(town.name, 0))
                checks.append(
                    compliance(station, standard, today, villages.get(town.id, 0), staffing)
                )
    summary = summarise(checks)
    start = 0
    if page.after is not None:
        start = next(
            (i + 1 for i, c in enumerate(checks) if c.station.town_id == page.after), len(checks)
        )
    shown = checks[start : start + page.size]
    more = start + page.size < len(checks)
    token = paging.next_token(
        shown[-1].station.town_id if more and shown else None, {"view": "station-compliance"}
    )
    return summary, shown, token


def _town_pages(uow: RosterUnitOfWork, town_scope: str | None) -> Iterator[list[Town]]:
    """The towns a caller sees, 1000 at a time: all of them, or the caller's own."""
    if town_scope is not None:
        town = uow.towns.get(town_scope.removeprefix("towns/"))
        yield [] if town is None else [town]
        return
    after: str | None = None
    while True:
        towns = uow.towns.list(after, 1000)
        yield towns
        if len(towns) < 1000:
            return
        after = towns[-1].id
