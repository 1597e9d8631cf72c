"""Persons (R1, R2), history (R3, R4, R6), assignments and agreements (R5) through a real
roster server and a real HR server, on SQLite or PostgreSQL (SGZ_TEST_DB)."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
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
            rule: str = info.metadata.get("rule", "")
            return rule
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
    for town_id, code in (("chengdong", "320621100"), ("xicheng", "320682100")):
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
    hr: Any,
    town: str = "towns/chengdong",
    role: hr_pb2.WorkerRole.ValueType = hr_pb2.WORKER_ROLE_STATION_WORKER,
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
    """Rule R2: gender and birth year come from the ID; the number is masked in responses, and
    mask and birth year never add up to the number (docs/privacy.md)."""
    roster, _ = services
    person = _person(roster, ID_A.lower())
    assert person.name.startswith("persons/")
    assert person.id_number == ""
    assert person.id_number_masked == "320621************"
    assert person.gender == pb.GENDER_FEMALE
    assert (person.birth_date.year, person.birth_date.month, person.birth_date.day) == (1949, 0, 0)
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
    assert why in (info.value.details() or "")
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
        pb.UpdatePersonRequest(
            person=changed, update_mask=field_mask_pb2.FieldMask(paths=["address"])
        ),
        metadata=CITY,
    )
    assert updated.address == "新华村3组"
    with pytest.raises(grpc.RpcError) as info:
        roster.UpdatePerson(
            pb.UpdatePersonRequest(
                person=changed, update_mask=field_mask_pb2.FieldMask(paths=["address"])
            ),
            metadata=CITY,
        )
    assert info.value.code() == grpc.StatusCode.ABORTED
    bad = pb.Person(name=person.name, phone="12345")
    with pytest.raises(grpc.RpcError) as info:
        roster.UpdatePerson(
            pb.UpdatePersonRequest(
                person=bad, update_mask=field_mask_pb2.FieldMask(paths=["phone"])
            ),
            metadata=CITY,
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


# --- Self-care assessments (R3) and re-assessments (R4) ---


def _answers(unable: int) -> dict[str, Any]:
    # dict[str, Any]: spread as keyword arguments beside the other fields of pb.Assessment.
    indicators = ["eating", "dressing", "transferring", "toileting", "indoor_walking", "bathing"]
    return {
        name: pb.INDICATOR_ANSWER_UNABLE if i < unable else pb.INDICATOR_ANSWER_ABLE
        for i, name in enumerate(indicators)
    }


def _assess(roster: Any, person: str, day: str, unable: int) -> pb.Assessment:
    made: pb.Assessment = roster.CreateAssessment(
        pb.CreateAssessmentRequest(
            parent=person,
            assessment=pb.Assessment(
                assessor="如皋市民康评估中心", assessment_date=_d(day), **_answers(unable)
            ),
        ),
        metadata=CITY,
    )
    return made


def test_care_level_is_derived_from_the_six_answers_and_kept_as_history(services) -> None:  # type: ignore[no-untyped-def]
    """Rules R3 and R6: 0 fails self-care, 1-3 partial, 4-6 full loss; levels are dated."""
    roster, _ = services
    person = _person(roster, ID_A, start="2024-01-01")
    assert _assess(roster, person.name, "2024-01-05", 0).care_level == pb.CARE_LEVEL_SELF_CARE
    assert _assess(roster, person.name, "2024-03-01", 3).care_level == pb.CARE_LEVEL_PARTIAL
    assert _assess(roster, person.name, "2024-06-01", 4).care_level == pb.CARE_LEVEL_FULL_LOSS
    timeline = roster.GetPersonTimeline(
        pb.GetPersonTimelineRequest(name=person.name, period=_period("2024-01-01", "2024-06-30")),
        metadata=CITY,
    )
    assert [(c.care_level, _iso(c.start_date), _iso(c.end_date)) for c in timeline.care_levels] == [
        (pb.CARE_LEVEL_SELF_CARE, "2024-01-05", "2024-03-01"),
        (pb.CARE_LEVEL_PARTIAL, "2024-03-01", "2024-06-01"),
        (pb.CARE_LEVEL_FULL_LOSS, "2024-06-01", "2024-07-01"),
    ]
    assert roster.GetPerson(pb.GetPersonRequest(name=person.name), metadata=CITY).care_level == (
        pb.CARE_LEVEL_FULL_LOSS
    )


def test_assessment_with_a_missing_indicator_is_refused_citing_r3(services) -> None:  # type: ignore[no-untyped-def]
    roster, _ = services
    person = _person(roster, ID_A)
    answers = _answers(1)
    del answers["bathing"]
    with pytest.raises(grpc.RpcError) as info:
        roster.CreateAssessment(
            pb.CreateAssessmentRequest(
                parent=person.name,
                assessment=pb.Assessment(
                    assessor="评估中心", assessment_date=_d("2024-02-01"), **answers
                ),
            ),
            metadata=CITY,
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _rule_of(info.value) == "R3"
    assert _fields_of(info.value) == ["assessment.bathing"]
    listed = roster.ListAssessments(pb.ListAssessmentsRequest(parent=person.name), metadata=CITY)
    assert list(listed.assessments) == []


def test_reported_change_is_due_in_ten_chinese_working_days(services) -> None:  # type: ignore[no-untyped-def]
    """Rule R4: counted over the 2024 National Day holiday (Oct 1-7 off, Sep 29 and Oct 12 on)."""
    roster, _ = services
    person = _person(roster, ID_A, start="2024-01-01")
    opened = roster.CreateReassessment(
        pb.CreateReassessmentRequest(
            parent=person.name,
            reassessment=pb.Reassessment(reported_date=_d("2024-09-27"), description="摔倒后卧床"),
        ),
        metadata=CITY,
    )
    # Sep 29 (Sun, worked), Sep 30, Oct 8, 9, 10, 11, 12 (Sat, worked), 14, 15, 16.
    assert _iso(opened.due_date) == "2024-10-16"
    assert opened.due_date_basis == pb.CALENDAR_BASIS_OFFICIAL
    assert opened.assessment == ""
    done = _assess(roster, person.name, "2024-10-10", 2)
    listed = roster.ListReassessments(
        pb.ListReassessmentsRequest(parent=person.name), metadata=CITY
    )
    assert [r.assessment for r in listed.reassessments] == [done.name]
    assert not listed.reassessments[0].overdue
    other = _person(roster, ID_B, village="towns/chengdong/villages/dongfeng")
    late = roster.CreateReassessment(
        pb.CreateReassessmentRequest(
            parent=other.name, reassessment=pb.Reassessment(reported_date=_d("2024-10-08"))
        ),
        metadata=CITY,
    )
    assert late.overdue  # open, and its due date has passed (computed when read)
    town_open = roster.ListReassessments(
        pb.ListReassessmentsRequest(parent="towns/chengdong", open_only=True), metadata=CITY
    )
    assert [r.name for r in town_open.reassessments] == [late.name]
    town_all = roster.ListReassessments(
        pb.ListReassessmentsRequest(parent="towns/chengdong", page_size=1), metadata=CITY
    )
    assert [r.name for r in town_all.reassessments] == [opened.name]  # earliest due first
    assert town_all.next_page_token


# --- Assignments, substitutes, caseloads and agreements (R5) ---


def _assign(roster: Any, person: str, worker: str, day: str) -> pb.Assignment:
    made: pb.Assignment = roster.CreateAssignment(
        pb.CreateAssignmentRequest(
            parent=person, assignment=pb.Assignment(worker=worker, start_date=_d(day))
        ),
        metadata=CITY,
    )
    return made


def test_assignment_to_a_worker_of_another_town_is_refused_and_writes_nothing(services) -> None:  # type: ignore[no-untyped-def]
    """Rule R5: the worker party is a worker of the person's own town (asked of HR)."""
    roster, hr = services
    person = _person(roster, ID_A)
    stranger = _worker(hr, town="towns/xicheng")
    with pytest.raises(grpc.RpcError) as info:
        _assign(roster, person.name, stranger, "2024-02-01")
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _rule_of(info.value) == "R5"
    with pytest.raises(grpc.RpcError) as info:
        _assign(roster, person.name, "workers/nobody", "2024-02-01")
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    chief = as_caller(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope="towns/chengdong")
    with pytest.raises(grpc.RpcError) as info:  # HR does not show the chief another town's
        roster.CreateAssignment(
            pb.CreateAssignmentRequest(
                parent=person.name,
                assignment=pb.Assignment(worker=stranger, start_date=_d("2024-02-01")),
            ),
            metadata=chief,
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (_fields_of(info.value), _rule_of(info.value)) == (["assignment.worker"], "R5")
    got = roster.GetPerson(pb.GetPersonRequest(name=person.name), metadata=CITY)
    assert got.worker == ""


def test_only_a_dispersed_person_is_assigned(services) -> None:  # type: ignore[no-untyped-def]
    """Rule R1: a person in an institution has no home-visit worker."""
    roster, hr = services
    person = _person(roster, ID_A, start="2024-01-01")
    roster.ChangePersonStatus(
        pb.ChangePersonStatusRequest(
            name=person.name,
            status=pb.PERSON_STATUS_IN_INSTITUTION,
            effective_date=_d("2024-02-01"),
        ),
        metadata=CITY,
    )
    with pytest.raises(grpc.RpcError) as info:
        _assign(roster, person.name, _worker(hr), "2024-03-01")
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _rule_of(info.value) == "R1"


def test_caseloads_and_assignment_history_of_every_worker(services) -> None:  # type: ignore[no-untyped-def]
    roster, hr = services
    wang, zhao = _worker(hr), _worker(hr)
    a, b = _person(roster, ID_A), _person(roster, _check("32062119500101002"))
    _assign(roster, a.name, wang, "2024-01-01")
    _assign(roster, b.name, wang, "2024-01-01")
    _assign(roster, b.name, zhao, "2024-04-01")
    loads = roster.ListCaseloads(
        pb.ListCaseloadsRequest(parent="towns/chengdong", as_of_date=_d("2024-05-01")),
        metadata=CITY,
    )
    assert sorted((c.worker, c.person_count) for c in loads.caseloads) == sorted(
        [(wang, 1), (zhao, 1)]
    )
    history = roster.ListAssignments(
        pb.ListAssignmentsRequest(
            parent="towns/chengdong", period=_period("2024-03-01", "2024-06-30"), page_size=2
        ),
        metadata=CITY,
    )
    rest = roster.ListAssignments(
        pb.ListAssignmentsRequest(
            parent="towns/chengdong",
            period=_period("2024-03-01", "2024-06-30"),
            page_size=2,
            page_token=history.next_page_token,
        ),
        metadata=CITY,
    )
    spans = [
        (s.worker, s.person, _iso(s.start_date), _iso(s.end_date))
        for s in [*history.assignments, *rest.assignments]
    ]
    assert sorted(spans) == sorted(
        [
            (wang, a.name, "2024-03-01", "2024-07-01"),
            (wang, b.name, "2024-03-01", "2024-04-01"),
            (zhao, b.name, "2024-04-01", "2024-07-01"),
        ]
    )


def test_persons_missing_an_agreement_are_listed(services) -> None:  # type: ignore[no-untyped-def]
    """Rule R5: none signed, or the worker changed since the latest one."""
    roster, hr = services
    wang, zhao = _worker(hr), _worker(hr)
    a = _person(roster, ID_A)
    b = _person(roster, _check("32062119500101003"))
    _assign(roster, a.name, wang, "2024-01-01")
    _assign(roster, b.name, wang, "2024-01-01")
    signed = roster.CreateAgreement(
        pb.CreateAgreementRequest(
            parent=a.name,
            agreement=pb.Agreement(
                worker=wang, signed_date=_d("2024-01-02"), document_reference="城东-2024-001"
            ),
        ),
        metadata=CITY,
    )
    assert signed.town == "towns/chengdong" and signed.village == a.village
    with pytest.raises(grpc.RpcError) as info:
        roster.CreateAgreement(
            pb.CreateAgreementRequest(
                parent=b.name,
                agreement=pb.Agreement(
                    worker=zhao, signed_date=_d("2024-01-02"), document_reference="城东-2024-002"
                ),
            ),
            metadata=CITY,
        )
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _rule_of(info.value) == "R5"

    def missing(day: str) -> list[tuple[str, int]]:
        found = roster.ListMissingAgreements(
            pb.ListMissingAgreementsRequest(parent="towns/chengdong", as_of_date=_d(day)),
            metadata=CITY,
        )
        return sorted((m.person, m.reason) for m in found.missing_agreements)

    assert missing("2024-02-01") == [(b.name, pb.MISSING_AGREEMENT_REASON_NONE)]
    _assign(roster, a.name, zhao, "2024-03-01")
    assert missing("2024-03-02") == sorted(
        [
            (b.name, pb.MISSING_AGREEMENT_REASON_NONE),
            (a.name, pb.MISSING_AGREEMENT_REASON_WORKER_CHANGED),
        ]
    )


def test_substitute_is_named_only_by_a_chief_and_never_overlaps(services) -> None:  # type: ignore[no-untyped-def]
    roster, hr = services
    wang, zhao = _worker(hr), _worker(hr)
    substitution = pb.Substitution(
        worker=zhao, substitute=wang, start_date=_d("2024-02-01"), end_date=_d("2024-02-08")
    )
    worker = as_caller(role=Role.STATION_WORKER, level=ScopeLevel.TOWN, scope="towns/chengdong")
    with pytest.raises(grpc.RpcError) as info:
        roster.CreateSubstitution(
            pb.CreateSubstitutionRequest(parent="towns/chengdong", substitution=substitution),
            metadata=worker,
        )
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    chief = as_caller(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope="towns/chengdong")
    roster.CreateSubstitution(
        pb.CreateSubstitutionRequest(parent="towns/chengdong", substitution=substitution),
        metadata=chief,
    )
    overlapping = pb.Substitution(
        worker=zhao, substitute=wang, start_date=_d("2024-02-05"), end_date=_d("2024-02-10")
    )
    with pytest.raises(grpc.RpcError) as info:
        roster.CreateSubstitution(
            pb.CreateSubstitutionRequest(parent="towns/chengdong", substitution=overlapping),
            metadata=chief,
        )
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    listed = roster.ListSubstitutions(
        pb.ListSubstitutionsRequest(parent="towns/chengdong"), metadata=chief
    )
    assert len(listed.substitutions) == 1


# --- What finance reads (F2) ---


def test_person_months_by_care_level_per_town_during_a_period(services) -> None:  # type: ignore[no-untyped-def]
    """Rule F2 reads: months dispersed in the period at each care level, by town."""
    roster, _ = services
    a = _person(roster, ID_A, start="2024-01-01")
    _assess(roster, a.name, "2024-01-01", 5)
    _assess(roster, a.name, "2024-02-15", 2)
    roster.ChangePersonStatus(
        pb.ChangePersonStatusRequest(
            name=a.name, status=pb.PERSON_STATUS_IN_INSTITUTION, effective_date=_d("2024-03-10")
        ),
        metadata=CITY,
    )
    b = _person(roster, ID_B, village="towns/xicheng/villages/xinhua", start="2024-02-10")
    assert b.town == "towns/xicheng"
    found = roster.SummarizeCareMonths(
        pb.SummarizeCareMonthsRequest(parent="towns/-", period=_period("2024-01-01", "2024-03-31")),
        metadata=CITY,
    )
    rows = [
        (r.town, _iso(r.month), r.care_level, r.person_months, r.person_days)
        for r in found.care_months
    ]
    assert rows == [
        ("towns/chengdong", "2024-01-01", pb.CARE_LEVEL_FULL_LOSS, 1, 31),
        ("towns/chengdong", "2024-02-01", pb.CARE_LEVEL_PARTIAL, 0, 15),
        ("towns/chengdong", "2024-02-01", pb.CARE_LEVEL_FULL_LOSS, 1, 14),
        ("towns/chengdong", "2024-03-01", pb.CARE_LEVEL_PARTIAL, 1, 9),
        ("towns/xicheng", "2024-02-01", pb.CARE_LEVEL_UNSPECIFIED, 0, 20),
        ("towns/xicheng", "2024-03-01", pb.CARE_LEVEL_UNSPECIFIED, 1, 31),
    ]
    town_only = roster.SummarizeCareMonths(
        pb.SummarizeCareMonthsRequest(
            parent="towns/xicheng", period=_period("2024-01-01", "2024-03-31")
        ),
        metadata=as_caller(role=Role.TOWN_HEAD, level=ScopeLevel.TOWN, scope="towns/xicheng"),
    )
    assert {r.town for r in town_only.care_months} == {"towns/xicheng"}


def test_persons_are_paged_by_town_or_village_within_the_callers_scope(services) -> None:  # type: ignore[no-untyped-def]
    roster, _ = services
    made = [
        _person(roster, _check(f"3206211950010100{i}"), village=f"towns/chengdong/villages/{v}")
        for i, v in enumerate(["xinhua", "xinhua", "dongfeng"])
    ]
    first = roster.ListPersons(
        pb.ListPersonsRequest(parent="towns/chengdong", page_size=2), metadata=CITY
    )
    rest = roster.ListPersons(
        pb.ListPersonsRequest(
            parent="towns/chengdong", page_size=2, page_token=first.next_page_token
        ),
        metadata=CITY,
    )
    assert sorted(p.name for p in [*first.persons, *rest.persons]) == sorted(p.name for p in made)
    assert all(p.id_number == "" and "*" in p.id_number_masked for p in first.persons)
    village = "towns/chengdong/villages/dongfeng"
    contact = as_caller(role=Role.VILLAGE_CONTACT, level=ScopeLevel.VILLAGE, scope=village)
    mine = roster.ListPersons(pb.ListPersonsRequest(parent=village), metadata=contact)
    assert [p.name for p in mine.persons] == [made[2].name]
    with pytest.raises(grpc.RpcError) as info:
        roster.ListPersons(pb.ListPersonsRequest(parent="towns/chengdong"), metadata=contact)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as info:
        roster.ListPersons(
            pb.ListPersonsRequest(
                parent="towns/chengdong",
                page_token=first.next_page_token,
                status=pb.PERSON_STATUS_DISPERSED,
            ),
            metadata=CITY,
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # a token of another query
    with pytest.raises(grpc.RpcError) as info:
        roster.LookupPerson(pb.LookupPersonRequest(id_number="123"), metadata=CITY)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _fields_of(info.value) == ["id_number"]


def test_a_visit_reports_a_change_once_through_the_roster(services) -> None:  # type: ignore[no-untyped-def]
    """Rule R4 (issue 7, bug 4): a re-assessment reported with a request id (the visit
    service derives one from the visit) is opened once; the retry opens nothing more."""
    roster, _ = services
    person = _person(roster)
    for _ in range(2):
        roster.CreateReassessment(
            pb.CreateReassessmentRequest(
                parent=person.name,
                reassessment=pb.Reassessment(reported_date=_d("2024-05-04"), description="x"),
                request_id="visit-r4-abc",
            ),
            metadata=CITY,
        )
    listed = roster.ListReassessments(
        pb.ListReassessmentsRequest(parent=person.name), metadata=CITY
    )
    assert len(listed.reassessments) == 1
    with pytest.raises(grpc.RpcError) as info:
        roster.CreateReassessment(
            pb.CreateReassessmentRequest(
                parent=person.name,
                reassessment=pb.Reassessment(reported_date=_d("2024-05-05"), description="x"),
                request_id="visit-r4-abc",
            ),
            metadata=CITY,
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
