"""What a town office reads of visits, on real visit, roster and HR servers (SQLite or
PostgreSQL): visits listed by town, village, worker and week; the weekly due of the current
week (CST) when none is asked (rule V1); escalations that carry the person's name, the
village's name and its contact's phone (rules V3-V5)."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from google.type import date_pb2
from sgz.hr.v1 import hr_pb2, hr_pb2_grpc
from sgz.roster.v1 import roster_pb2 as rpb
from sgz.roster.v1 import roster_pb2_grpc
from sgz.visit.v1 import visit_pb2 as pb
from sgz.visit.v1 import visit_pb2_grpc

from hr_svc.app import build as build_hr
from roster_svc.app import build as build_roster
from sgz_runtime import status
from sgz_runtime.identity import Role, ScopeLevel
from sgz_runtime.server import create_server
from tests.conftest import CITY, as_caller
from visit_svc.app import build as build_visit

TOWN = "towns/chengdong"
XINHUA = f"{TOWN}/villages/xinhua"
DONGFENG = f"{TOWN}/villages/dongfeng"
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Valid ID numbers (rule R2); the weighted sums 140 and 159 give check digits 4 and 7.
IDS = ("320621194001010014", "320621194102020027")
#: Monday 2026-03-02 .. Sunday 2026-03-08 is ISO week 2026-W10 (a week long over).
W10 = "2026-W10"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _ts(year: int, month: int, day: int, hour: int) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(dt.datetime(year, month, day, hour, tzinfo=SHANGHAI).astimezone(dt.UTC))
    return out


def _fields(error: grpc.RpcError) -> list[str]:
    for detail in status.rich_status(error).details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            return [v.field for v in bad.field_violations]
    return []


@dataclass
class Stack:
    visits: Any
    workers: list[str]
    persons: list[str]


@pytest.fixture
def stack(
    start_service: Any, settings: Any, database_url: Any, monkeypatch: Any
) -> Iterator[Stack]:
    hr_port = _free_port()
    roster_server, roster_channel = start_service("roster", build_roster, hr=hr_port)
    monkeypatch.setenv("HR_DATABASE_URL", database_url("hr"))
    local = settings.model_copy(update={"roster_port": roster_server.port, "hr_port": hr_port})
    hr_server = create_server(build_hr(local), f"127.0.0.1:{hr_port}", local)
    hr_server.server.start()
    hr_channel = grpc.insecure_channel(f"127.0.0.1:{hr_port}")
    _, visit_channel = start_service("visit", build_visit, roster=roster_server.port)
    roster = roster_pb2_grpc.RosterServiceStub(roster_channel)
    hr: Any = hr_pb2_grpc.HrServiceStub(hr_channel)
    roster.CreateTown(
        rpb.CreateTownRequest(
            town=rpb.Town(
                display_name="城东镇", administrative_code="320621100", kind=rpb.TOWN_KIND_TOWN
            ),
            town_id="chengdong",
        ),
        metadata=CITY,
    )
    for village_id, name, contact in (
        ("xinhua", "新华村", rpb.CivilAffairsContact(display_name="王红", phone="13812345678")),
        ("dongfeng", "东风村", rpb.CivilAffairsContact()),
    ):
        roster.CreateVillage(
            rpb.CreateVillageRequest(
                parent=TOWN,
                village=rpb.Village(
                    display_name=name, kind=rpb.VILLAGE_KIND_VILLAGE, contact=contact
                ),
                village_id=village_id,
            ),
            metadata=CITY,
        )
    workers = [
        hr.CreateWorker(
            hr_pb2.CreateWorkerRequest(
                worker=hr_pb2.Worker(
                    display_name=n, town=TOWN, role=hr_pb2.WORKER_ROLE_STATION_WORKER
                )
            ),
            metadata=CITY,
        ).name
        for n in ("王芳", "赵强")
    ]
    persons = []
    for number, name, village, worker in zip(
        IDS, ("李秀英", "张建国"), (XINHUA, DONGFENG), workers, strict=True
    ):
        person = roster.CreatePerson(
            rpb.CreatePersonRequest(
                person=rpb.Person(display_name=name, id_number=number, village=village),
                start_date=date_pb2.Date(year=2025, month=1, day=1),
            ),
            metadata=CITY,
        )
        roster.CreateAssignment(
            rpb.CreateAssignmentRequest(
                parent=person.name,
                assignment=rpb.Assignment(
                    worker=worker, start_date=date_pb2.Date(year=2025, month=1, day=1)
                ),
            ),
            metadata=CITY,
        )
        persons.append(person.name)
    yield Stack(visit_pb2_grpc.VisitServiceStub(visit_channel), workers, persons)
    hr_channel.close()
    hr_server.stop(0)


def _visit(s: Stack, i: int, when: timestamp_pb2.Timestamp, *problems: str) -> pb.Visit:
    checks = pb.VisitChecks()
    for field in (
        "residence_hygiene",
        "personal_hygiene",
        "regular_diet",
        "food_source",
        "able_to_feed_self",
        "house_safety",
        "illness",
    ):
        result = pb.CHECK_RESULT_PROBLEM if field in problems else pb.CHECK_RESULT_FINE
        getattr(checks, field).CopyFrom(pb.Check(result=result, note="有问题" if problems else ""))
    made: pb.Visit = s.visits.CreateVisit(
        pb.CreateVisitRequest(
            visit=pb.Visit(person=s.persons[i], worker=s.workers[i], visit_time=when, checks=checks)
        ),
        metadata=CITY,
    )
    return made


def _listed(s: Stack, who: Any = CITY, **query: str) -> list[str]:
    found = s.visits.ListVisits(pb.ListVisitsRequest(**query), metadata=who)  # type: ignore[arg-type]
    return [v.name for v in found.visits]


def test_visits_are_listed_by_town_village_worker_and_week(stack: Stack) -> None:
    s = stack
    a = _visit(s, 0, _ts(2026, 3, 3, 9))  # W10, 新华村, 王芳
    b = _visit(s, 1, _ts(2026, 3, 4, 9))  # W10, 东风村, 赵强
    c = _visit(s, 0, _ts(2026, 3, 10, 9))  # W11, 新华村, 王芳
    assert _listed(s, parent=TOWN) == [a.name, b.name, c.name]
    assert _listed(s, parent=XINHUA) == [a.name, c.name]
    assert _listed(s, parent=TOWN, week=W10) == [a.name, b.name]
    assert _listed(s, parent=TOWN, worker=s.workers[1]) == [b.name]
    assert _listed(s, parent=TOWN, worker=s.workers[0], week="2026-W11") == [c.name]
    # A worker sees only the visits they made, whatever they ask for.
    own = as_caller(role=Role.STATION_WORKER, level=ScopeLevel.CASELOAD, scope=s.workers[1])
    assert _listed(s, own, parent=TOWN) == [b.name]
    other_town = as_caller(role=Role.TOWN_HEAD, level=ScopeLevel.TOWN, scope="towns/xicheng")
    with pytest.raises(grpc.RpcError) as outside:
        _listed(s, other_town, parent=TOWN)
    assert outside.value.code() == grpc.StatusCode.NOT_FOUND
    first = s.visits.ListVisits(pb.ListVisitsRequest(parent=TOWN, page_size=2), metadata=CITY)
    rest = s.visits.ListVisits(
        pb.ListVisitsRequest(parent=TOWN, page_size=2, page_token=first.next_page_token),
        metadata=CITY,
    )
    assert [v.name for v in (*first.visits, *rest.visits)] == [a.name, b.name, c.name]
    # Every fault at once; a person's list still works as before.
    with pytest.raises(grpc.RpcError) as bad:
        _listed(s, parent="villages/x", worker="w1", week="2026-48")
    assert sorted(_fields(bad.value)) == ["parent", "week", "worker"]
    with pytest.raises(grpc.RpcError) as both:
        _listed(s, parent=TOWN, person=s.persons[0])
    assert sorted(_fields(both.value)) == ["parent", "person"]
    assert _listed(s, person=s.persons[1]) == [b.name]


def test_weekly_due_is_this_week_in_china_when_none_is_asked(stack: Stack) -> None:
    """Rule V1: the ISO week of today's date in China Standard Time."""
    today = dt.datetime.now(SHANGHAI).date()
    year, week, _ = today.isocalendar()
    due = stack.visits.GetWeeklyDue(pb.GetWeeklyDueRequest(parent=TOWN), metadata=CITY)
    assert due.week == f"{year}-W{week:02d}"
    assert due.due_count == 2


def test_escalations_carry_the_persons_name_and_the_village_contact(stack: Stack) -> None:
    s = stack
    visit = _visit(s, 0, _ts(2026, 3, 3, 9), "residence_hygiene")
    _visit(s, 1, _ts(2026, 3, 3, 10), "illness")
    one = s.visits.GetEscalation(pb.GetEscalationRequest(name=visit.escalations[0]), metadata=CITY)
    assert (one.person_display_name, one.village_display_name) == ("李秀英", "新华村")
    assert (one.village_contact_name, one.village_contact_phone) == ("王红", "+8613812345678")
    listed = s.visits.ListEscalations(pb.ListEscalationsRequest(parent=TOWN), metadata=CITY)
    assert sorted((e.person_display_name, e.village_display_name) for e in listed.escalations) == [
        ("张建国", "东风村"),
        ("李秀英", "新华村"),
    ]
