"""The roster's unit of work: its repositories inside one transaction."""

from __future__ import annotations

from typing import Protocol

from roster_svc.adapters.repository import (
    SqlTownRepository,
    SqlVillageRepository,
    TownRepository,
    VillageRepository,
)
from roster_svc.adapters.station_repository import SqlStationRepository, StationRepository
from sgz_runtime.uow import SqlUnitOfWork, UnitOfWork


class RosterUnitOfWork(UnitOfWork, Protocol):
    towns: TownRepository
    villages: VillageRepository
    stations: StationRepository


class SqlRosterUnitOfWork(SqlUnitOfWork):
    towns: TownRepository
    villages: VillageRepository
    stations: StationRepository

    def _open(self) -> None:
        self.towns = SqlTownRepository(self.session)
        self.villages = SqlVillageRepository(self.session)
        self.stations = SqlStationRepository(self.session)
