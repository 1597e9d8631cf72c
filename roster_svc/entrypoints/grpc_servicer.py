"""The RosterService servicer: proto in, use case, proto out. Nothing else lives here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import grpc
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc

from roster_svc.adapters.hr_client import HrClient
from roster_svc.domain.stations import StationStandard, standard_on
from roster_svc.entrypoints import convert
from roster_svc.service_layer import places, stations
from roster_svc.service_layer.unit_of_work import RosterUnitOfWork
from sgz_runtime import names
from sgz_runtime.identity import current_caller

_CST = ZoneInfo("Asia/Shanghai")


def today_in_china() -> date:
    """Today in China Standard Time, the calendar deadlines are kept in."""
    return datetime.now(_CST).date()


class RosterServicer(roster_pb2_grpc.RosterServiceServicer):
    def __init__(
        self,
        uow: Callable[[], RosterUnitOfWork],
        *,
        hr: HrClient,
        station_standards: list[StationStandard],
        today: Callable[[], date] = today_in_china,
    ):
        self._uow = uow
        self._hr = hr
        self._station_standards = station_standards
        self._today = today

    def CreateTown(self, request: pb.CreateTownRequest, context: grpc.ServicerContext) -> pb.Town:
        town = convert.town_from_pb(request.town, request.town_id)
        return convert.town_to_pb(places.create_town(self._uow(), current_caller(), town))

    def GetTown(self, request: pb.GetTownRequest, context: grpc.ServicerContext) -> pb.Town:
        return convert.town_to_pb(places.get_town(self._uow(), current_caller(), request.name))

    def ListTowns(
        self, request: pb.ListTownsRequest, context: grpc.ServicerContext
    ) -> pb.ListTownsResponse:
        found, token = places.list_towns(
            self._uow(), current_caller(), request.page_size, request.page_token
        )
        return pb.ListTownsResponse(
            towns=[convert.town_to_pb(t) for t in found], next_page_token=token
        )

    def CreateVillage(
        self, request: pb.CreateVillageRequest, context: grpc.ServicerContext
    ) -> pb.Village:
        village = convert.village_from_pb(request.village, "", request.village_id)
        created = places.create_village(self._uow(), current_caller(), request.parent, village)
        return convert.village_to_pb(created)

    def GetVillage(
        self, request: pb.GetVillageRequest, context: grpc.ServicerContext
    ) -> pb.Village:
        return convert.village_to_pb(
            places.get_village(self._uow(), current_caller(), request.name)
        )

    def ListVillages(
        self, request: pb.ListVillagesRequest, context: grpc.ServicerContext
    ) -> pb.ListVillagesResponse:
        found, token = places.list_villages(
            self._uow(), current_caller(), request.parent, request.page_size, request.page_token
        )
        return pb.ListVillagesResponse(
            villages=[convert.village_to_pb(v) for v in found], next_page_token=token
        )

    def UpdateVillage(
        self, request: pb.UpdateVillageRequest, context: grpc.ServicerContext
    ) -> pb.Village:
        town_id, village_id = names.parse("village.name", request.village.name, "towns", "villages")
        changes = convert.village_changes_from_pb(request.village, town_id, village_id)
        fields = convert.update_fields(request.update_mask, {"display_name", "contact"})
        updated = places.update_village(
            self._uow(), current_caller(), changes, request.village.etag, fields
        )
        return convert.village_to_pb(updated)

    # --- Stations (rules S1, S2) ---

    def GetStation(
        self, request: pb.GetStationRequest, context: grpc.ServicerContext
    ) -> pb.Station:
        station = stations.get_station(self._uow(), current_caller(), request.name)
        today = self._today()
        return convert.station_to_pb(station, standard_on(self._station_standards, today), today)

    def UpdateStation(
        self, request: pb.UpdateStationRequest, context: grpc.ServicerContext
    ) -> pb.Station:
        changes = convert.station_from_pb(request.station)
        fields = convert.update_fields(request.update_mask, stations.UPDATABLE)
        today = self._today()
        updated = stations.update_station(
            self._uow(), self._hr, current_caller(), changes, request.station.etag, fields, today
        )
        return convert.station_to_pb(updated, standard_on(self._station_standards, today), today)

    def CheckStationCompliance(
        self, request: pb.CheckStationComplianceRequest, context: grpc.ServicerContext
    ) -> pb.StationCompliance:
        check = stations.check_compliance(
            self._uow(),
            self._hr,
            current_caller(),
            request.name,
            self._station_standards,
            self._today(),
        )
        return convert.compliance_to_pb(check)

    def SummarizeStationCompliance(
        self, request: pb.SummarizeStationComplianceRequest, context: grpc.ServicerContext
    ) -> pb.SummarizeStationComplianceResponse:
        today = self._today()
        summary, page, token = stations.summarise_compliance(
            self._uow(),
            self._hr,
            current_caller(),
            self._station_standards,
            today,
            request.page_size,
            request.page_token,
        )
        return convert.compliance_summary_to_pb(summary, page, token, today)
