"""The stations of the roster (rules S1, S2): the port and its SQLAlchemy adapter.

Written with SQLAlchemy Core rather than a mapper: a station's equipment is a set and its
projects a list, both kept as JSON, and its version is checked by hand on update.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from roster_svc.adapters import orm
from roster_svc.domain.stations import Equipment, Station
from sgz_runtime.errors import Aborted


class StationRepository(Protocol):
    def get(self, town_id: str) -> Station | None: ...
    def save(self, station: Station) -> None:
        """Inserts (version 0) or updates the station; Aborted when it changed meanwhile."""
        ...

    def for_towns(self, town_ids: Iterable[str]) -> dict[str, Station]: ...
    def village_counts(self, town_ids: Iterable[str]) -> dict[str, int]: ...


def _from_row(row: Any) -> Station:
    return Station(
        town_id=row.town_id,
        display_name=row.display_name,
        registered_date=row.registered_date,
        registration_number=row.registration_number,
        legal_representative=row.legal_representative,
        charity_plate_hung=bool(row.charity_plate_hung),
        office_area_m2=row.office_area_m2,
        equipment={Equipment(e) for e in row.equipment or []},
        projects=list(row.projects or []),
        funding_account=row.funding_account,
        version=row.version,
    )


def _values(station: Station) -> dict[str, Any]:
    return {
        "display_name": station.display_name,
        "registered_date": station.registered_date,
        "registration_number": station.registration_number,
        "legal_representative": station.legal_representative,
        "charity_plate_hung": station.charity_plate_hung,
        "office_area_m2": station.office_area_m2,
        "equipment": sorted(e.value for e in station.equipment),
        "projects": list(station.projects),
        "funding_account": station.funding_account,
    }


class SqlStationRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, town_id: str) -> Station | None:
        row = self.session.execute(
            select(orm.stations).where(orm.stations.c.town_id == town_id)
        ).first()
        return None if row is None else _from_row(row)

    def save(self, station: Station) -> None:
        table = orm.stations
        if station.version == 0:
            self.session.execute(
                insert(table).values(town_id=station.town_id, version=1, **_values(station))
            )
        else:
            done = self.session.execute(
                update(table)
                .where(table.c.town_id == station.town_id, table.c.version == station.version)
                .values(version=station.version + 1, **_values(station))
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise Aborted(f"{station.name} changed since it was read; read it again")
        station.version += 1

    def for_towns(self, town_ids: Iterable[str]) -> dict[str, Station]:
        ids = list(town_ids)
        if not ids:
            return {}
        rows = self.session.execute(select(orm.stations).where(orm.stations.c.town_id.in_(ids)))
        return {row.town_id: _from_row(row) for row in rows}

    def village_counts(self, town_ids: Iterable[str]) -> dict[str, int]:
        ids = list(town_ids)
        if not ids:
            return {}
        v = orm.villages
        rows = self.session.execute(
            select(v.c.town_id, func.count()).where(v.c.town_id.in_(ids)).group_by(v.c.town_id)
        )
        return {town_id: int(n) for town_id, n in rows}
