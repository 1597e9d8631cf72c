"""Persons (R1, R2), history (R3, R4, R6), assignments and agreements (R5) through a real
roster server and a real HR server, on SQLite or PostgreSQL (SGZ_TEST_DB)."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from google.type import date_pb2
from sgz.common.v1 import types_pb2
from sgz.hr.v1 import hr_pb2, hr_pb2_grpc
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc

from hr_svc.app import build as build_hr
from roster_svc.app import build as build_roster
from sgz_runtime import status
from sgz_runtime.identity import Role, ScopeLevel
from sgz_runtime.server import create_server
from tests.conftest import CITY, as_caller

ID_A = "32062119491231000X"  # 海安县 (a retired code, still valid), female
ID_B = "320682195001010011"  # 如皋市, male


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _d(value: str) -> date_pb2.Date:
    day = dt.date.fromisoformat(value)
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _period(first: str, last: str) -> types_pb2.Period:
    return types_pb2.Period(start_date=_d(first), end_date=_d(last))


def _iso(value: date_pb2.Date) -> str:
    if value.year == 0:
        return ""
    return dt.date(value.year, value.month, value.day).isoformat()


def _check(number17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return (
        number17
        + "10X98765432"[sum(int(a) * w for a, w in zip(number17, weights, strict=True)) % 11]
    )


def _rule_of(error: grpc.RpcError) -> str:
    rich = status.rich_status(error)
    for detail in rich.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.metadata.get("rule", "")
    return ""


def _fields_of(error: grpc.RpcError) -> list[str]:
    rich = status.rich_status(error)
    for detail in rich.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            return [v.field for v in bad.field_violations]
    return []


@pytest.fixture
def services(start_service, settings, database_url, monkeypatch) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A roster and an HR server that know each other's ports, two towns with villages."""
    hr_port = _free_port()
    roster_server, roster_channel = start_service("roster", build_roster, hr=hr_port)
    monkeypatch.setenv("HR_DATABASE_URL", database_url("hr"))
    local = settings.model_copy(update={"roster_port": roster_server.port})
    hr_server = create_server(build_hr(local), f"127.0.0.1:{hr_port}", local)
    hr_server.server.start()
    hr_channel = grpc.insecure_channel(f"127.0.0.1:{hr_port}")
    roster = roster_pb2_grpc.RosterServiceStub(roster_channel)
    hr = hr_pb2_grpc.HrServiceStub(hr_channel)
    for town_id, code in (("chengdong", "320621"), ("xicheng", "320682")):
        roster.CreateTown(
            pb.CreateTownRequest(
                town=pb.Town(
                    display_name=town_id, administrative_code=code, kind=pb.TOWN_KIND_TOWN
                ),
                town_id=town_id,
            ),
            metadata=CITY,
        )
        for village_id in ("xinhua", "dongfeng"):
            roster.CreateVillage(
                pb.CreateVillageRequest(
                    parent=f"towns/{town_id}",
                    village=pb.Village(display_name=village_id, kind=pb.VILLAGE_KIND_VILLAGE),
                    village_id=village_id,
                ),
                metadata=CITY,
            )
    yield roster, hr
    hr_channel.close()
    hr_server.stop(0)


def _worker(
    hr: Any, town: str = "towns/chengdong", role: int = hr_pb2.WORKER_ROLE_STATION_WORKER
) -> str:
    made = hr.CreateWorker(
        hr_pb2.CreateWorkerRequest(worker=hr_pb2.Worker(display_name="张三", town=town, role=role)),
        metadata=CITY,
    )
    name: str = made.name
    return name


def _person(
    roster: Any,
    number: str = ID_A,
    village: str = "towns/chengdong/villages/xinhua",
    start: str = "2024-01-01",
) -> pb.Person:
    person: pb.Person = roster.CreatePerson(
        pb.CreatePersonRequest(
            person=pb.Person(
                display_name="李四", id_number=number, village=village, phone="13812345678"
            ),
            start_date=_d(start),
        ),
        metadata=CITY,
    )
    return person


# --- Persons (R1, R2) ---


def test_person_is_created_with_id_derived_fields_and_masked_number(services) -> None:  # type: ignore[no-untyped-def]
    """Rule R2: gender and birth date come from the ID; the number is masked in responses."""
    roster, _ = services
    person = _person(roster, ID_A.lower())
    assert person.name.startswith("persons/")
    assert person.id_number == ""
    assert person.id_number_masked == "320621********000X"
    assert person.gender == pb.GENDER_FEMALE
    assert _iso(person.birth_date) == "1949-12-31"
    assert person.town == "towns/chengdong"
    assert person.phone == "+8613812345678"
    assert person.status == pb.PERSON_STATUS_DISPERSED
    assert list(person.id_number_warnings) == []
    got = roster.GetPerson(pb.GetPersonRequest(name=person.name), metadata=CITY)
    assert got == person


def test_unknown_address_code_warns_but_does_not_block(services) -> None:  # type: ignore[no-untyped-def]
    """Rule R2: an unknown address code warns, never blocks."""
    roster, _ = services
    person = _person(roster, _check("32990119500101001"))
    assert person.id_number_warnings and "3299" in person.id_number_warnings[0]


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("320621194912310021", "check digit"),
        (_check("32062119490231001"), "impossible"),
        (_check("32062120990101001"), "future"),
        ("32062119491231002", "digits"),
    ],
)
def test_bad_id_number_is_invalid_argument_citing_r2_and_writes_nothing(  # type: ignore[no-untyped-def]
    services, number: str, why: str
) -> None:
    roster, _ = services
    with pytest.raises(grpc.RpcError) as info:
        _person(roster, number)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _rule_of(info.value) == "R2"
    assert _fields_of(info.value) == ["person.id_number"]
    assert why in info.value.details()
    listed = roster.ListPersons(pb.ListPersonsRequest(parent="towns/chengdong"), metadata=CITY)
    assert list(listed.persons) == []


def test_one_id_one_person_duplicate_is_already_exists(services) -> None:  # type: ignore[no-untyped-def]
    """Rule R2: one ID, one person, however the x is written."""
    roster, _ = services
    _person(roster, ID_A)
    with pytest.raises(grpc.RpcError) as info:
        _person(roster, ID_A.lower(), village="towns/xicheng/villages/xinhua")
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_unknown_village_is_invalid_argument_and_writes_nothing(services) -> None:  # type: ignore[no-untyped-def]
    """Rule R1: a person lives in a village of the roster."""
    roster, _ = services
    with pytest.raises(grpc.RpcError) as info:
        _person(roster, village="towns/chengdong/villages/nowhere")
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _fields_of(info.value) == ["person.village"]
    assert _rule_of(info.value) == "R1"


def test_full_id_number_is_revealed_only_to_allowed_roles(services) -> None:  # type: ignore[no-untyped-def]
    roster, _ = services
    person = _person(roster, ID_A)
    revealed = roster.RevealPersonIdNumber(
        pb.RevealPersonIdNumberRequest(name=person.name, purpose="核对补贴发放"), metadata=CITY
    )
    assert revealed.id_number == ID_A
    worker = as_caller(role=Role.STATION_WORKER, level=ScopeLevel.TOWN, scope="towns/chengdong")
    with pytest.raises(grpc.RpcError) as info:
        roster.RevealPersonIdNumber(
            pb.RevealPersonIdNumberRequest(name=person.name, purpose="看看"), metadata=worker
        )
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_person_is_found_by_id_number_and_hidden_from_other_towns(services) -> None:  # type: ignore[no-untyped-def]
    roster, _ = services
    person = _person(roster, ID_A)
    found = roster.LookupPerson(pb.LookupPersonRequest(id_number=ID_A.lower()), metadata=CITY)
    assert found.name == person.name
    other = as_caller(role=Role.TOWN_HEAD, level=ScopeLevel.TOWN, scope="towns/xicheng")
    with pytest.raises(grpc.RpcError) as info:
        roster.GetPerson(pb.GetPersonRequest(name=person.name), metadata=other)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_person_update_checks_phone_and_etag(services) -> None:  # type: ignore[no-untyped-def]
    roster, _ = services
    person = _person(roster, ID_A)
    changed = pb.Person(name=person.name, address="新华村3组", etag=person.etag)
    updated = roster.UpdatePerson(
        pb.UpdatePersonRequest(person=changed, update_mask={"paths": ["address"]}), metadata=CITY
    )
    assert updated.address == "新华村3组"
    with pytest.raises(grpc.RpcError) as info:
        roster.UpdatePerson(
            pb.UpdatePersonRequest(person=changed, update_mask={"paths": ["address"]}),
            metadata=CITY,
        )
    assert info.value.code() == grpc.StatusCode.ABORTED
    bad = pb.Person(name=person.name, phone="12345")
    with pytest.raises(grpc.RpcError) as info:
        roster.UpdatePerson(
            pb.UpdatePersonRequest(person=bad, update_mask={"paths": ["phone"]}), metadata=CITY
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# --- Status history and timelines (R6) ---


def test_status_changes_append_history_answered_as_of_and_during(services) -> None:  # type: ignore[no-untyped-def]
    """Rule R6: nothing is overwritten; the timeline is clipped to the period asked."""
    roster, _ = services
    person = _person(roster, ID_A, start="2024-01-01")
    roster.ChangePersonStatus(
        pb.ChangePersonStatusRequest(
            name=person.name,
            status=pb.PERSON_STATUS_HOSPITALISED,
            effective_date=_d("2024-03-10"),
            request_id="r1",
        ),
        metadata=CITY,
    )
    roster.ChangePersonStatus(
        pb.ChangePersonStatusRequest(
            name=person.name, status=pb.PERSON_STATUS_DISPERSED, effective_date=_d("2024-03-20")
        ),
        metadata=CITY,
    )
    timeline = roster.GetPersonTimeline(
        pb.GetPersonTimelineRequest(name=person.name, period=_period("2024-02-01", "2024-04-30")),
        metadata=CITY,
    )
    assert [(s.status, _iso(s.start_date), _iso(s.end_date)) for s in timeline.statuses] == [
        (pb.PERSON_STATUS_DISPERSED, "2024-02-01", "2024-03-10"),
        (pb.PERSON_STATUS_HOSPITALISED, "2024-03-10", "2024-03-20"),
        (pb.PERSON_STATUS_DISPERSED, "2024-03-20", "2024-05-01"),
    ]
    hospitalised = roster.ListPersons(
        pb.ListPersonsRequest(
            parent="towns/chengdong",
            status=pb.PERSON_STATUS_HOSPITALISED,
            as_of_date=_d("2024-03-15"),
        ),
        metadata=CITY,
    )
    assert [p.name for p in hospitalised.persons] == [person.name]
    assert hospitalised.persons[0].status == pb.PERSON_STATUS_HOSPITALISED
    dispersed = roster.ListPersons(
        pb.ListPersonsRequest(
            parent="towns/chengdong", status=pb.PERSON_STATUS_DISPERSED, as_of_date=_d("2024-03-15")
        ),
        metadata=CITY,
    )
    assert list(dispersed.persons) == []


def test_overlapping_or_out_of_order_status_change_is_refused_citing_r6(services) -> None:  # type: ignore[no-untyped-def]
    roster, _ = services
    person = _person(roster, ID_A, start="2024-01-01")
    roster.ChangePersonStatus(
        pb.ChangePersonStatusRequest(
            name=person.name,
            status=pb.PERSON_STATUS_IN_INSTITUTION,
            effective_date=_d("2024-05-01"),
        ),
        metadata=CITY,
    )
    with pytest.raises(grpc.RpcError) as info:
        roster.ChangePersonStatus(
            pb.ChangePersonStatusRequest(
                name=person.name,
                status=pb.PERSON_STATUS_HOSPITALISED,
                effective_date=_d("2024-04-01"),
            ),
            metadata=CITY,
        )
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _rule_of(info.value) == "R6"
    timeline = roster.GetPersonTimeline(
        pb.GetPersonTimelineRequest(name=person.name, period=_period("2024-01-01", "2024-12-31")),
        metadata=CITY,
    )
    assert len(timeline.statuses) == 2


def test_status_change_retried_with_same_request_id_is_applied_once(services) -> None:  # type: ignore[no-untyped-def]
    roster, _ = services
    person = _person(roster, ID_A, start="2024-01-01")
    request = pb.ChangePersonStatusRequest(
        name=person.name,
        status=pb.PERSON_STATUS_DECEASED,
        effective_date=_d("2024-06-01"),
        request_id="visit-42",
    )
    first = roster.ChangePersonStatus(request, metadata=CITY)
    again = roster.ChangePersonStatus(request, metadata=CITY)
    assert first.status == again.status == pb.PERSON_STATUS_DECEASED
    different = pb.ChangePersonStatusRequest(
        name=person.name,
        status=pb.PERSON_STATUS_EXITED,
        effective_date=_d("2024-07-01"),
        request_id="visit-42",
    )
    with pytest.raises(grpc.RpcError) as info:
        roster.ChangePersonStatus(different, metadata=CITY)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_timelines_of_a_town_are_paged_and_filtered_by_worker(services) -> None:  # type: ignore[no-untyped-def]
    roster, hr = services
    wang, zhao = _worker(hr), _worker(hr)
    people = [_person(roster, _check(f"3206211950010100{i}")) for i in range(3)]
    for p in people[:2]:
        roster.CreateAssignment(
            pb.CreateAssignmentRequest(
                parent=p.name, assignment=pb.Assignment(worker=wang, start_date=_d("2024-01-01"))
            ),
            metadata=CITY,
        )
    roster.CreateAssignment(
        pb.CreateAssignmentRequest(
            parent=people[2].name,
            assignment=pb.Assignment(worker=zhao, start_date=_d("2024-01-01")),
        ),
        metadata=CITY,
    )
    chief = as_caller(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope="towns/chengdong")
    roster.CreateSubstitution(
        pb.CreateSubstitutionRequest(
            parent="towns/chengdong",
            substitution=pb.Substitution(
                worker=zhao, substitute=wang, start_date=_d("2024-02-01"), end_date=_d("2024-02-08")
            ),
        ),
        metadata=chief,
    )
    period = _period("2024-01-01", "2024-03-31")
    first = roster.ListPersonTimelines(
        pb.ListPersonTimelinesRequest(parent="towns/chengdong", period=period, page_size=2),
        metadata=CITY,
    )
    rest = roster.ListPersonTimelines(
        pb.ListPersonTimelinesRequest(
            parent="towns/chengdong", period=period, page_size=2, page_token=first.next_page_token
        ),
        metadata=CITY,
    )
    assert len(first.timelines) == 2 and len(rest.timelines) == 1 and not rest.next_page_token
    by_wang = roster.ListPersonTimelines(
        pb.ListPersonTimelinesRequest(parent="towns/chengdong", period=period, worker=wang),
        metadata=CITY,
    )
    assert sorted(t.person for t in by_wang.timelines) == sorted(p.name for p in people)
    zhaos = next(t for t in by_wang.timelines if t.person == people[2].name)
    assert [(s.worker, s.substitute, _iso(s.start_date)) for s in zhaos.substitutes] == [
        (zhao, wang, "2024-02-01")
    ]
    outside = roster.ListPersonTimelines(
        pb.ListPersonTimelinesRequest(
            parent="towns/chengdong", period=_period("2024-03-01", "2024-03-31"), worker=wang
        ),
        metadata=CITY,
    )
    assert sorted(t.person for t in outside.timelines) == sorted(p.name for p in people[:2])
