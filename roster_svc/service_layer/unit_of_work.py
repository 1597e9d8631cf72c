"""The roster's unit of work: its repositories inside one transaction."""

from __future__ import annotations

from typing import Protocol

from roster_svc.adapters.person_import_repository import (
    PersonImportRepository,
    SqlPersonImportRepository,
)
from roster_svc.adapters.person_repository import (
    CaseloadRepository,
    HistoryRepository,
    PersonRepository,
    SqlCaseloadRepository,
    SqlHistoryRepository,
    SqlPersonRepository,
)
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
    persons: PersonRepository
    history: HistoryRepository
    caseloads: CaseloadRepository
    imports: PersonImportRepository


class SqlRosterUnitOfWork(SqlUnitOfWork):
    towns: TownRepository
    villages: VillageRepository
    stations: StationRepository
    persons: PersonRepository
    history: HistoryRepository
    caseloads: CaseloadRepository
    imports: PersonImportRepository

    def _open(self) -> None:
        self.towns = SqlTownRepository(self.session)
        self.villages = SqlVillageRepository(self.session)
        self.stations = SqlStationRepository(self.session)
        self.persons = SqlPersonRepository(self.session)
        self.history = SqlHistoryRepository(self.session)
        self.caseloads = SqlCaseloadRepository(self.session)
        self.imports = SqlPersonImportRepository(self.session)
