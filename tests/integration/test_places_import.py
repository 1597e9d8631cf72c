"""Towns and villages loaded in bulk on a real roster server and database (SQLite or PostgreSQL):
matched by their statistical division codes (9 digits a town, 12 a village), safe to import
again, all or nothing with every problem reported; the person import then finds villages by
code as well as by name."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc

from roster_svc.app import build
from sgz_runtime.identity import Role, ScopeLevel
from tests.conftest import CITY, as_caller

TOWN_HEAD = as_caller(role=Role.TOWN_HEAD, level=ScopeLevel.TOWN, scope="towns/t320621100")


def _row(n: int, code: str, name: str, **more: Any) -> pb.PlaceRow:
    return pb.PlaceRow(row_number=n, administrative_code=code, display_name=name, **more)


ROWS = [
    _row(2, "320621100", "城东镇"),
    _row(3, "320621100201", "新华村", contact_name="王主任", contact_phone="13812345678"),
    _row(4, "320621100002", "人民路社区"),
    _row(5, "320621001", "城中街道", place_id="chengzhong"),
    _row(6, "320621001003", "东风村", place_id="dongfeng"),
]


@pytest.fixture
def roster(start_service: Any) -> Any:
    _, channel = start_service("roster", build)
    return roster_pb2_grpc.RosterServiceStub(channel)


def test_places_are_created_then_a_reimport_changes_nothing(roster: Any) -> None:
    first = roster.ImportPlaces(pb.ImportPlacesRequest(rows=ROWS), metadata=CITY)
    assert list(first.errors) == []
    assert (first.towns_created, first.villages_created, first.unchanged) == (2, 3, 0)
    assert list(first.places) == [
        "towns/t320621100",
        "towns/t320621100/villages/v320621100201",
        "towns/t320621100/villages/v320621100002",
        "towns/chengzhong",
        "towns/chengzhong/villages/dongfeng",
    ]
    town = roster.GetTown(pb.GetTownRequest(name="towns/chengzhong"), metadata=CITY)
    assert (town.display_name, town.kind) == ("城中街道", pb.TOWN_KIND_SUBDISTRICT)
    village = roster.GetVillage(
        pb.GetVillageRequest(name="towns/t320621100/villages/v320621100002"), metadata=CITY
    )
    assert (village.kind, village.administrative_code) == (
        pb.VILLAGE_KIND_COMMUNITY,
        "320621100002",
    )
    xinhua = roster.GetVillage(
        pb.GetVillageRequest(name="towns/t320621100/villages/v320621100201"), metadata=CITY
    )
    assert (xinhua.contact.display_name, xinhua.contact.phone) == ("王主任", "+8613812345678")

    again = roster.ImportPlaces(pb.ImportPlacesRequest(rows=ROWS), metadata=CITY)
    assert (again.towns_created, again.towns_updated) == (0, 0)
    assert (again.villages_created, again.villages_updated, again.unchanged) == (0, 0, 5)
    assert list(again.places) == list(first.places)

    # A renamed village is updated in place, matched by its code; an empty contact keeps
    # the one on the roster.
    renamed = [_row(2, "320621100201", "新华新村")]
    third = roster.ImportPlaces(pb.ImportPlacesRequest(rows=renamed), metadata=CITY)
    assert (third.villages_updated, third.villages_created) == (1, 0)
    xinhua = roster.GetVillage(pb.GetVillageRequest(name=xinhua.name), metadata=CITY)
    assert (xinhua.display_name, xinhua.contact.display_name) == ("新华新村", "王主任")


def test_a_bad_file_writes_nothing_and_names_every_problem(roster: Any) -> None:
    rows = [
        _row(2, "320621100", "城东镇"),
        _row(3, "32062110020", "新华村"),  # 11 digits
        _row(4, "320699100201", "飞地村"),  # its town is nowhere
        _row(5, "320621100202", ""),  # no name
        _row(6, "320621100", "城东镇"),  # twice
        _row(7, "320621100203", "三星村", kind=pb.PLACE_KIND_TOWN),
        _row(8, "320621100204", "四季村", contact_phone="12345"),
    ]
    answer = roster.ImportPlaces(pb.ImportPlacesRequest(rows=rows), metadata=CITY)
    assert [(e.row_number, e.field) for e in answer.errors] == [
        (3, "administrative_code"),
        (4, "administrative_code"),
        (5, "display_name"),
        (6, "administrative_code"),
        (7, "kind"),
        (8, "contact_phone"),
    ]
    assert "9" in answer.errors[0].reason and "12" in answer.errors[0].reason
    assert answer.towns_created == 0 and list(answer.places) == []
    listed = roster.ListTowns(pb.ListTownsRequest(), metadata=CITY)
    assert list(listed.towns) == []


def test_town_staff_load_their_own_villages_but_no_towns(roster: Any) -> None:
    roster.ImportPlaces(pb.ImportPlacesRequest(rows=ROWS[:1]), metadata=CITY)
    own = roster.ImportPlaces(pb.ImportPlacesRequest(rows=[ROWS[0], ROWS[1]]), metadata=TOWN_HEAD)
    assert list(own.errors) == [] and own.villages_created == 1 and own.unchanged == 1
    other = roster.ImportPlaces(pb.ImportPlacesRequest(rows=ROWS[3:5]), metadata=TOWN_HEAD)
    assert [(e.row_number, e.field) for e in other.errors] == [
        (5, "administrative_code"),
        (6, "administrative_code"),
    ]
    with pytest.raises(grpc.RpcError) as empty:
        roster.ImportPlaces(pb.ImportPlacesRequest(rows=[]), metadata=CITY)
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_person_import_finds_a_village_by_its_code(roster: Any) -> None:
    roster.ImportPlaces(pb.ImportPlacesRequest(rows=ROWS[:2]), metadata=CITY)
    row = pb.PersonImportRow(
        row_number=2,
        display_name="王秀英",
        id_number="320621194001010014",
        village="320621100201",
    )
    answer = roster.ImportPersons(
        pb.ImportPersonsRequest(parent="towns/t320621100", rows=[row]), metadata=CITY
    )
    assert list(answer.errors) == [] and answer.created == 1
