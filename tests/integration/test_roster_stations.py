"""Stations (rules S1, S2) through a real roster server, which asks a real HR server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.rpc import error_details_pb2
from google.type import date_pb2
from sgz.hr.v1 import hr_pb2, hr_pb2_grpc
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc

from hr_svc.app import build as build_hr
from roster_svc.app import build as build_roster
from sgz_runtime import status
from sgz_runtime.identity import Role, ScopeLevel
from sgz_runtime.server import create_server
from tests.conftest import CITY, as_caller

STATION = "towns/chengdong/station"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def services(start_service, settings, database_url, monkeypatch) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A roster and an HR server that know each other's ports (each asks the other)."""
    hr_port = _free_port()
    roster_server, roster_channel = start_service("roster", build_roster, hr=hr_port)
    monkeypatch.setenv("HR_DATABASE_URL", database_url("hr"))
    local = settings.model_copy(update={"roster_port": roster_server.port})
    hr_server = create_server(build_hr(local), f"127.0.0.1:{hr_port}", local)
    hr_server.server.start()
    hr_channel = grpc.insecure_channel(f"127.0.0.1:{hr_port}")
    roster = roster_pb2_grpc.RosterServiceStub(roster_channel)
    hr = hr_pb2_grpc.HrServiceStub(hr_channel)
    roster.CreateTown(
        pb.CreateTownRequest(
            town=pb.Town(
                display_name="城东镇", administrative_code="320621100", kind=pb.TOWN_KIND_TOWN
            ),
            town_id="chengdong",
        ),
        metadata=CITY,
    )
    for i in range(7):  # 7 villages: H1 asks for max(3, ceil(7 / 6)) = 3 workers
        roster.CreateVillage(
            pb.CreateVillageRequest(
                parent="towns/chengdong",
                village=pb.Village(display_name=f"{i}村", kind=pb.VILLAGE_KIND_VILLAGE),
                village_id=f"v{i}",
            ),
            metadata=CITY,
        )
    yield roster, hr
    hr_channel.close()
    hr_server.stop(0)


def _worker(hr: Any, role: hr_pb2.WorkerRole.ValueType, town: str = "towns/chengdong") -> str:
    made = hr.CreateWorker(
        hr_pb2.CreateWorkerRequest(worker=hr_pb2.Worker(display_name="张三", town=town, role=role)),
        metadata=CITY,
    )
    return str(made.name)


def _station(chief: str) -> pb.Station:
    return pb.Station(
        name=STATION,
        display_name="城东镇社会工作服务站",
        registration=pb.StationRegistration(
            registered_date=date_pb2.Date(year=2022, month=9, day=5),
            registration_number="52320621MJ1234567X",
            legal_representative=chief,
        ),
        charity_plate_hung=True,
        office_area_square_metres=96.5,
        equipment=pb.StationEquipment(
            desks=True,
            computers=True,
            network=True,
            printer=True,
            file_cabinets=True,
            air_conditioning=True,
            rules_on_wall=True,
        ),
        projects=["探视照料"],
        funding_account="城东镇社工站专户",
    )


def _states(check: pb.StationCompliance) -> dict[int, int]:
    return {h.have: h.state for h in check.haves}


def test_s1_s2_station_is_recorded_and_checked_against_the_six_haves(services) -> None:  # type: ignore[no-untyped-def]
    roster, hr = services
    empty = roster.GetStation(pb.GetStationRequest(name=STATION), metadata=CITY)
    assert empty.etag == "0"
    assert empty.registration.timeliness == pb.REGISTRATION_TIMELINESS_OVERDUE
    assert empty.registration.deadline == date_pb2.Date(year=2022, month=8, day=31)
    chief = _worker(hr, hr_pb2.WORKER_ROLE_STATION_CHIEF)
    saved = roster.UpdateStation(pb.UpdateStationRequest(station=_station(chief)), metadata=CITY)
    assert saved.etag == "1"
    # Rule S1: registered on 2022-09-05, after the 2022-08-31 deadline.
    assert saved.registration.timeliness == pb.REGISTRATION_TIMELINESS_LATE
    assert roster.GetStation(pb.GetStationRequest(name=STATION), metadata=CITY) == saved

    check = roster.CheckStationCompliance(
        pb.CheckStationComplianceRequest(name=STATION), metadata=CITY
    )
    assert _states(check)[pb.STATION_HAVE_STAFF] == pb.HAVE_STATE_NOT_MET  # no workers yet
    assert check.haves_met == 5 and not check.compliant
    for _ in range(3):
        _worker(hr, hr_pb2.WORKER_ROLE_STATION_WORKER)
    check = roster.CheckStationCompliance(
        pb.CheckStationComplianceRequest(name=STATION), metadata=CITY
    )
    assert check.compliant and check.haves_met == 6

    summary = roster.SummarizeStationCompliance(
        pb.SummarizeStationComplianceRequest(), metadata=CITY
    )
    assert summary.towns == 1 and summary.compliant == 1
    assert [s.station for s in summary.stations] == [STATION]


def test_s2_office_outside_80_to_120_square_metres_fails_premises(services) -> None:  # type: ignore[no-untyped-def]
    roster, _ = services
    station = pb.Station(name=STATION, office_area_square_metres=60)
    roster.UpdateStation(
        pb.UpdateStationRequest(
            station=station, update_mask=FieldMask(paths=["office_area_square_metres"])
        ),
        metadata=CITY,
    )
    check = roster.CheckStationCompliance(
        pb.CheckStationComplianceRequest(name=STATION), metadata=CITY
    )
    premises = next(h for h in check.haves if h.have == pb.STATION_HAVE_PREMISES)
    assert premises.state == pb.HAVE_STATE_NOT_MET
    assert premises.gaps[0] == "办公用房面积 60 平方米，不在 80-120 平方米之间（S2）"
    assert "缺少打印机（S2）" in premises.gaps
    english = roster.CheckStationCompliance(
        pb.CheckStationComplianceRequest(name=STATION), metadata=(*CITY, ("x-sgz-lang", "en"))
    )
    premises = next(h for h in english.haves if h.have == pb.STATION_HAVE_PREMISES)
    assert premises.gaps[0] == "office area 60 m² is outside 80-120 m² (S2)"
    assert "no printer (S2)" in premises.gaps


def test_s1_legal_representative_who_is_not_the_chief_is_refused_and_nothing_written(
    services: tuple[Any, Any],
) -> None:
    roster, hr = services
    worker = _worker(hr, hr_pb2.WORKER_ROLE_STATION_WORKER)
    with pytest.raises(grpc.RpcError) as info:
        roster.UpdateStation(pb.UpdateStationRequest(station=_station(worker)), metadata=CITY)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    rich = status.rich_status(info.value)
    error_info = error_details_pb2.ErrorInfo()
    assert rich.details[-1].Unpack(error_info)
    assert error_info.metadata["rule"] == "S1"
    assert roster.GetStation(pb.GetStationRequest(name=STATION), metadata=CITY).etag == "0"


def test_station_bad_fields_are_invalid_argument_with_the_fields(services) -> None:  # type: ignore[no-untyped-def]
    roster, _ = services
    bad = pb.Station(
        name=STATION,
        registration=pb.StationRegistration(
            registered_date=date_pb2.Date(year=2022, month=2, day=30),
        ),
    )
    with pytest.raises(grpc.RpcError) as info:
        roster.UpdateStation(pb.UpdateStationRequest(station=bad), metadata=CITY)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    assert status.rich_status(info.value).details[0].Unpack(bad_request)
    assert bad_request.field_violations[0].field == "station.registration.registered_date"


def test_station_of_another_town_is_not_found_for_a_town_caller(services) -> None:  # type: ignore[no-untyped-def]
    roster, _ = services
    other = as_caller(role=Role.TOWN_HEAD, level=ScopeLevel.TOWN, scope="towns/xicheng")
    with pytest.raises(grpc.RpcError) as info:
        roster.GetStation(pb.GetStationRequest(name=STATION), metadata=other)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
