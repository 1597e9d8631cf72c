"""The town office's calls on a real roster server and database (SQLite or PostgreSQL): update a
town, find persons by name within the caller's scope, get several at once, correct a mistyped
assessment keeping its history (rules R3, R6), export a roster page by page, audited once."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from google.type import date_pb2
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc

from roster_svc.app import build
from sgz_runtime import status
from sgz_runtime.identity import Role, ScopeLevel
from tests.conftest import CITY, as_caller

#: Valid resident ID numbers (rule R2), check digits worked out by hand: the weighted sums of
#: the first 17 digits are 140, 159 and 178; mod 11 they are 8, 5 and 2 -> "4", "7", "X".
ID_A = "320621194001010014"
ID_B = "320621194102020027"
ID_C = "32062119420303003X"

TOWN_HEAD = as_caller(role=Role.TOWN_HEAD, level=ScopeLevel.TOWN, scope="towns/chengdong")
OTHER_TOWN = as_caller(role=Role.TOWN_HEAD, level=ScopeLevel.TOWN, scope="towns/xicheng")
VILLAGE_DONGFENG = as_caller(
    role=Role.VILLAGE_CONTACT,
    level=ScopeLevel.VILLAGE,
    scope="towns/chengdong/villages/dongfeng",
)
WORKER = as_caller(role=Role.STATION_WORKER, level=ScopeLevel.CASELOAD, scope="workers/w1")


def _d(text: str) -> date_pb2.Date:
    y, m, d = (int(x) for x in text.split("-"))
    return date_pb2.Date(year=y, month=m, day=d)


def _fields(error: grpc.RpcError) -> list[str]:
    for detail in status.rich_status(error).details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            return [v.field for v in bad.field_violations]
    return []


@pytest.fixture
def roster(start_service: Any) -> Any:
    _, channel = start_service("roster", build)
    stub = roster_pb2_grpc.RosterServiceStub(channel)
    for town_id, code in (("chengdong", "320621100"), ("xicheng", "320682100")):
        stub.CreateTown(
            pb.CreateTownRequest(
                town=pb.Town(
                    display_name=town_id, administrative_code=code, kind=pb.TOWN_KIND_TOWN
                ),
                town_id=town_id,
            ),
            metadata=CITY,
        )
        for village_id, name in (("xinhua", "新华村"), ("dongfeng", "东风村")):
            stub.CreateVillage(
                pb.CreateVillageRequest(
                    parent=f"towns/{town_id}",
                    village=pb.Village(display_name=name, kind=pb.VILLAGE_KIND_VILLAGE),
                    village_id=village_id,
                ),
                metadata=CITY,
            )
    return stub


def _person(roster: Any, number: str, name: str, village: str) -> pb.Person:
    person: pb.Person = roster.CreatePerson(
        pb.CreatePersonRequest(
            person=pb.Person(display_name=name, id_number=number, village=village),
            start_date=_d("2024-01-01"),
        ),
        metadata=CITY,
    )
    return person


def _assess(
    roster: Any, person: str, day: str, eating: pb.IndicatorAnswer.ValueType
) -> pb.Assessment:
    able = pb.INDICATOR_ANSWER_ABLE
    created: pb.Assessment = roster.CreateAssessment(
        pb.CreateAssessmentRequest(
            parent=person,
            assessment=pb.Assessment(
                eating=eating,
                dressing=able,
                transferring=able,
                toileting=able,
                indoor_walking=able,
                bathing=able,
                assessor="第三方评估中心",
                assessment_date=_d(day),
            ),
        ),
        metadata=CITY,
    )
    return created


def test_a_town_is_updated_with_its_etag_and_a_taken_code_is_refused(roster: Any) -> None:
    town = roster.GetTown(pb.GetTownRequest(name="towns/chengdong"), metadata=CITY)
    mask = field_mask_pb2.FieldMask(paths=["display_name"])
    renamed = roster.UpdateTown(
        pb.UpdateTownRequest(
            town=pb.Town(name=town.name, display_name="城东镇", etag=town.etag), update_mask=mask
        ),
        metadata=CITY,
    )
    assert (renamed.display_name, renamed.administrative_code) == ("城东镇", "320621100")
    with pytest.raises(grpc.RpcError) as stale:
        roster.UpdateTown(
            pb.UpdateTownRequest(
                town=pb.Town(name=town.name, display_name="x", etag=town.etag), update_mask=mask
            ),
            metadata=CITY,
        )
    assert stale.value.code() == grpc.StatusCode.ABORTED
    code_mask = field_mask_pb2.FieldMask(paths=["administrative_code"])
    with pytest.raises(grpc.RpcError) as taken:
        roster.UpdateTown(
            pb.UpdateTownRequest(
                town=pb.Town(name=town.name, administrative_code="320682100"),
                update_mask=code_mask,
            ),
            metadata=CITY,
        )
    assert taken.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "towns/xicheng" in (taken.value.details() or "")
    with pytest.raises(grpc.RpcError) as town_staff:
        roster.UpdateTown(
            pb.UpdateTownRequest(town=pb.Town(name=town.name, display_name="x"), update_mask=mask),
            metadata=TOWN_HEAD,
        )
    assert town_staff.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_persons_are_found_by_part_of_their_name_within_the_callers_scope(roster: Any) -> None:
    wang = _person(roster, ID_A, "王秀英", "towns/chengdong/villages/xinhua")
    wang2 = _person(roster, ID_B, "王建国", "towns/chengdong/villages/dongfeng")
    _person(roster, ID_C, "李秀兰", "towns/chengdong/villages/xinhua")

    def found(parent: str, query: str, who: Any = CITY) -> list[str]:
        answer = roster.SearchPersons(
            pb.SearchPersonsRequest(parent=parent, query=query), metadata=who
        )
        return [p.display_name for p in answer.persons]

    # By name, in name order (建 U+5EFA before 秀 U+79C0).
    assert found("towns/-", "王") == ["王建国", "王秀英"]
    assert found("towns/chengdong", "秀") == ["李秀兰", "王秀英"]
    assert found("towns/chengdong/villages/dongfeng", "王") == ["王建国"]
    assert found("towns/-", "王", TOWN_HEAD) == ["王建国", "王秀英"]
    assert found("towns/-", "王", OTHER_TOWN) == []
    assert found("towns/-", "王", VILLAGE_DONGFENG) == ["王建国"]
    assert found("towns/-", "王", WORKER) == []  # nobody is assigned to w1
    with pytest.raises(grpc.RpcError) as outside:
        found("towns/chengdong", "王", OTHER_TOWN)
    assert outside.value.code() == grpc.StatusCode.NOT_FOUND
    # A wildcard typed in the query is a character, not a pattern.
    assert found("towns/-", "%") == []
    first = roster.SearchPersons(
        pb.SearchPersonsRequest(parent="towns/-", query="王", page_size=1), metadata=CITY
    )
    rest = roster.SearchPersons(
        pb.SearchPersonsRequest(
            parent="towns/-", query="王", page_size=1, page_token=first.next_page_token
        ),
        metadata=CITY,
    )
    assert [p.name for p in (*first.persons, *rest.persons)] == [wang2.name, wang.name]
    assert rest.next_page_token == ""
    # Both faults of one request are reported together.
    with pytest.raises(grpc.RpcError) as blank:
        roster.SearchPersons(pb.SearchPersonsRequest(), metadata=CITY)
    assert sorted(_fields(blank.value)) == ["parent", "query"]
    # Several at once, in the order asked; unknown and out-of-scope names left out.
    batch = roster.BatchGetPersons(
        pb.BatchGetPersonsRequest(names=[wang.name, "persons/nobody", wang2.name]),
        metadata=VILLAGE_DONGFENG,
    )
    assert [p.name for p in batch.persons] == [wang2.name]


def test_a_mistyped_assessment_is_corrected_and_its_history_kept(roster: Any) -> None:
    person = _person(roster, ID_A, "王秀英", "towns/chengdong/villages/xinhua")
    typed = _assess(roster, person.name, "2025-03-01", pb.INDICATOR_ANSWER_ABLE)
    assert typed.care_level == pb.CARE_LEVEL_SELF_CARE  # R3: no indicator failed
    able, unable = pb.INDICATOR_ANSWER_ABLE, pb.INDICATOR_ANSWER_UNABLE
    right = pb.Assessment(
        eating=unable,
        dressing=unable,
        transferring=able,
        toileting=able,
        indoor_walking=able,
        bathing=able,
        assessor="第三方评估中心",
        assessment_date=_d("2025-03-01"),
    )
    request = pb.CorrectAssessmentRequest(
        name=typed.name,
        assessment=right,
        reason="自主吃饭、自主穿衣录反了，以评估表为准",
        request_id="fix-1",
    )
    corrected = roster.CorrectAssessment(request, metadata=CITY)
    assert corrected.name == typed.name
    assert corrected.care_level == pb.CARE_LEVEL_PARTIAL  # R3: two failed
    [correction] = corrected.corrections
    assert correction.reason == "自主吃饭、自主穿衣录反了，以评估表为准"
    assert correction.corrector == "users/tester"
    assert correction.previous.eating == able
    assert correction.previous.care_level == pb.CARE_LEVEL_SELF_CARE
    # The person's care level follows the corrected values (R6: from the assessment date on).
    now = roster.GetPerson(pb.GetPersonRequest(name=person.name), metadata=CITY)
    assert now.care_level == pb.CARE_LEVEL_PARTIAL
    # The history is read back with the assessment.
    listed = roster.ListAssessments(pb.ListAssessmentsRequest(parent=person.name), metadata=CITY)
    [shown] = listed.assessments
    assert shown.care_level == pb.CARE_LEVEL_PARTIAL
    assert [c.previous.care_level for c in shown.corrections] == [pb.CARE_LEVEL_SELF_CARE]
    # A retry is the same correction; the same id for another body is refused.
    again = roster.CorrectAssessment(request, metadata=CITY)
    assert len(again.corrections) == 1
    other = pb.CorrectAssessmentRequest()
    other.CopyFrom(request)
    other.reason = "另一个原因"
    with pytest.raises(grpc.RpcError) as reused:
        roster.CorrectAssessment(other, metadata=CITY)
    assert _fields(reused.value) == ["request_id"]
    # Every fault at once: the required fields missing, then the six unanswered indicators.
    with pytest.raises(grpc.RpcError) as empty:
        roster.CorrectAssessment(
            pb.CorrectAssessmentRequest(name=typed.name, assessment=pb.Assessment()),
            metadata=CITY,
        )
    assert _fields(empty.value) == [
        "assessment.assessor",
        "assessment.assessment_date",
        "reason",
    ]
    unanswered = pb.Assessment(assessor="中心", assessment_date=_d("2025-03-01"))
    with pytest.raises(grpc.RpcError) as blank:
        roster.CorrectAssessment(
            pb.CorrectAssessmentRequest(name=typed.name, assessment=unanswered, reason="r"),
            metadata=CITY,
        )
    assert len(_fields(blank.value)) == 6
    with pytest.raises(grpc.RpcError) as outside:
        roster.CorrectAssessment(request, metadata=OTHER_TOWN)
    assert outside.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_roster_is_exported_page_by_page_and_audited_once(start_service: Any) -> None:
    _, channel = start_service("roster", build)
    roster = roster_pb2_grpc.RosterServiceStub(channel)
    roster.CreateTown(
        pb.CreateTownRequest(
            town=pb.Town(
                display_name="城东镇", administrative_code="320621100", kind=pb.TOWN_KIND_TOWN
            ),
            town_id="chengdong",
        ),
        metadata=CITY,
    )
    roster.CreateVillage(
        pb.CreateVillageRequest(
            parent="towns/chengdong",
            village=pb.Village(display_name="新华村", kind=pb.VILLAGE_KIND_VILLAGE),
            village_id="xinhua",
        ),
        metadata=CITY,
    )
    village = "towns/chengdong/villages/xinhua"
    made = [_person(roster, n, f"人{i}", village) for i, n in enumerate((ID_A, ID_B, ID_C))]
    _assess(roster, made[0].name, "2025-01-01", pb.INDICATOR_ANSWER_ABLE)
    _assess(roster, made[0].name, "2025-06-01", pb.INDICATOR_ANSWER_UNABLE)

    def page(token: str = "", reveal: bool = True, who: Any = CITY) -> pb.ExportPersonsResponse:
        answer: pb.ExportPersonsResponse = roster.ExportPersons(
            pb.ExportPersonsRequest(
                parent="towns/chengdong",
                purpose="年度复核",
                reveal_id_numbers=reveal,
                page_size=2,
                page_token=token,
            ),
            metadata=who,
        )
        return answer

    first = page()
    second = page(first.next_page_token)
    rows = [*first.persons, *second.persons]
    assert first.total_size == 3 and second.total_size == 0
    assert second.next_page_token == ""
    assert [r.person.name for r in rows] == sorted(p.name for p in made)  # in order of name
    by_number = {r.id_number: r for r in rows}
    assert sorted(by_number) == sorted([ID_A, ID_B, ID_C])
    assert {r.village_display_name for r in rows} == {"新华村"}
    assert by_number[ID_A].latest_assessment.assessment_date == _d("2025-06-01")
    assert by_number[ID_A].latest_assessment.eating == pb.INDICATOR_ANSWER_UNABLE
    assert not by_number[ID_B].HasField("latest_assessment")
    # One record in the roster's audit trail for the whole export, with its purpose.
    trail = roster.ListAuditEntries(
        pb.ListAuditEntriesRequest(resource="towns/chengdong"), metadata=CITY
    )
    audited = [(e.actor, e.action, e.purpose, e.detail) for e in trail.audit_entries]
    assert audited == [
        ("users/tester", "id_numbers_exported", "年度复核", "persons=3 id_numbers=full")
    ]
    # A file export asks for the page as the roster file's columns, in one CSV text.
    table = roster.ExportPersons(
        pb.ExportPersonsRequest(
            parent="towns/chengdong/villages/xinhua",
            purpose="年度复核",
            reveal_id_numbers=True,
            as_table=True,
        ),
        metadata=CITY,
    )
    lines = table.table_csv.splitlines()
    assert table.table_rows == 3 and not table.persons
    assert lines[0] == (
        "姓名,身份证号,村（社区）,地址,联系电话,自主吃饭,自主穿衣,自主上下床,自主如厕,"
        "室内自主行走,自主洗澡,评估机构,评估日期"
    )
    assert f"人0,{ID_A},新华村,,,否,是,是,是,是,是,第三方评估中心,2025-06-01" in lines
    assert f"人1,{ID_B},新华村,,,,,,,,,," in lines
    # A worker may not read full numbers; masked, they may export their own caseload.
    with pytest.raises(grpc.RpcError) as denied:
        page(who=WORKER)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    masked = page(reveal=False, who=TOWN_HEAD)
    assert [r.id_number for r in masked.persons] == ["", ""]
    assert masked.persons[0].person.id_number_masked.startswith("320621")
    with pytest.raises(grpc.RpcError) as changed:
        roster.ExportPersons(
            pb.ExportPersonsRequest(
                parent="towns/chengdong",
                purpose="别的用途",
                reveal_id_numbers=True,
                page_token=first.next_page_token,
            ),
            metadata=CITY,
        )
    assert _fields(changed.value) == ["page_token"]
    with pytest.raises(grpc.RpcError) as no_purpose:
        roster.ExportPersons(
            pb.ExportPersonsRequest(parent="towns/chengdong", purpose="  ", page_size=-1),
            metadata=CITY,
        )
    assert sorted(_fields(no_purpose.value)) == ["page_size", "purpose"]
