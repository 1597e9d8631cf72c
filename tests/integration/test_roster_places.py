"""Towns and villages through a real roster server on a real port and database."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc

from roster_svc.app import build
from sgz_runtime import status
from sgz_runtime.server import RunningServer
from tests.conftest import CITY


@pytest.fixture
def roster(
    start_service: Callable[..., tuple[RunningServer, grpc.Channel]],
) -> roster_pb2_grpc.RosterServiceStub:
    _, channel = start_service("roster", build)
    return roster_pb2_grpc.RosterServiceStub(channel)


def _town(code: str = "320621100", name: str = "城东镇") -> pb.Town:
    return pb.Town(display_name=name, administrative_code=code, kind=pb.TOWN_KIND_TOWN)


def test_town_is_created_read_and_listed(roster: roster_pb2_grpc.RosterServiceStub) -> None:
    created = roster.CreateTown(
        pb.CreateTownRequest(town=_town(), town_id="chengdong"), metadata=tuple(CITY)
    )
    assert created.name == "towns/chengdong"
    assert (
        roster.GetTown(pb.GetTownRequest(name="towns/chengdong"), metadata=tuple(CITY)) == created
    )
    listed = roster.ListTowns(pb.ListTownsRequest(), metadata=tuple(CITY))
    assert [t.name for t in listed.towns] == ["towns/chengdong"]


def test_towns_are_paged_in_id_order(roster: roster_pb2_grpc.RosterServiceStub) -> None:
    for i, tid in enumerate(["c-town", "a-town", "b-town"]):
        roster.CreateTown(
            pb.CreateTownRequest(town=_town(f"3206211{i:02d}"), town_id=tid), metadata=tuple(CITY)
        )
    first = roster.ListTowns(pb.ListTownsRequest(page_size=2), metadata=tuple(CITY))
    assert [t.name for t in first.towns] == ["towns/a-town", "towns/b-town"]
    rest = roster.ListTowns(
        pb.ListTownsRequest(page_size=2, page_token=first.next_page_token), metadata=tuple(CITY)
    )
    assert [t.name for t in rest.towns] == ["towns/c-town"]
    assert rest.next_page_token == ""


def test_call_without_caller_identity_is_unauthenticated(
    roster: roster_pb2_grpc.RosterServiceStub,
) -> None:
    with pytest.raises(grpc.RpcError) as info:
        roster.ListTowns(pb.ListTownsRequest())
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_missing_required_field_names_the_field_and_writes_nothing(
    roster: roster_pb2_grpc.RosterServiceStub,
) -> None:
    bad = pb.Town(display_name="城东镇", kind=pb.TOWN_KIND_TOWN)
    with pytest.raises(grpc.RpcError) as info:
        roster.CreateTown(pb.CreateTownRequest(town=bad, town_id="chengdong"), metadata=tuple(CITY))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    rich = status.rich_status(info.value)
    bad_request = error_details_pb2.BadRequest()
    assert rich.details[0].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == ["town.administrative_code"]
    assert list(roster.ListTowns(pb.ListTownsRequest(), metadata=tuple(CITY)).towns) == []


def test_duplicate_town_is_already_exists(roster: roster_pb2_grpc.RosterServiceStub) -> None:
    roster.CreateTown(pb.CreateTownRequest(town=_town(), town_id="chengdong"), metadata=tuple(CITY))
    with pytest.raises(grpc.RpcError) as info:
        roster.CreateTown(
            pb.CreateTownRequest(town=_town(), town_id="chengdong"), metadata=tuple(CITY)
        )
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_village_contact_phone_is_validated_and_etag_guards_updates(
    roster: roster_pb2_grpc.RosterServiceStub,
) -> None:
    roster.CreateTown(pb.CreateTownRequest(town=_town(), town_id="chengdong"), metadata=tuple(CITY))
    village = pb.Village(
        display_name="新华村",
        kind=pb.VILLAGE_KIND_VILLAGE,
        contact=pb.CivilAffairsContact(display_name="王红", phone="13812345678"),
    )
    created = roster.CreateVillage(
        pb.CreateVillageRequest(parent="towns/chengdong", village=village, village_id="xinhua"),
        metadata=tuple(CITY),
    )
    assert created.contact.phone == "+8613812345678"
    bad = pb.Village(
        display_name="x",
        kind=pb.VILLAGE_KIND_VILLAGE,
        contact=pb.CivilAffairsContact(display_name="x", phone="12345"),
    )
    with pytest.raises(grpc.RpcError) as info:
        roster.CreateVillage(
            pb.CreateVillageRequest(parent="towns/chengdong", village=bad, village_id="bad"),
            metadata=tuple(CITY),
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    update = pb.Village(name=created.name, display_name="新华社区", etag=created.etag)
    updated = roster.UpdateVillage(
        pb.UpdateVillageRequest(
            village=update, update_mask=field_mask_pb2.FieldMask(paths=["display_name"])
        ),
        metadata=tuple(CITY),
    )
    assert updated.display_name == "新华社区"
    assert updated.etag != created.etag
    with pytest.raises(grpc.RpcError) as info:
        roster.UpdateVillage(pb.UpdateVillageRequest(village=update), metadata=tuple(CITY))
    assert info.value.code() == grpc.StatusCode.ABORTED
