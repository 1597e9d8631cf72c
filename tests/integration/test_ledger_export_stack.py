"""The ledger export and the assessment facts end to end: real roster, HR and visit servers,
the real gateway over HTTP, on SQLite or PostgreSQL (SGZ_TEST_DB); the xlsx read back with
openpyxl and checked cell by cell (rules V2, V3, V7, A2)."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import openpyxl
import pytest
import uvicorn
from google.protobuf import timestamp_pb2
from google.type import date_pb2
from sgz.common.v1 import types_pb2
from sgz.hr.v1 import hr_pb2, hr_pb2_grpc
from sgz.roster.v1 import roster_pb2 as rpb
from sgz.roster.v1 import roster_pb2_grpc
from sgz.visit.v1 import ledger_pb2 as lpb
from sgz.visit.v1 import visit_pb2 as pb
from sgz.visit.v1 import visit_pb2_grpc

from gateway.app import create_app
from hr_svc.app import build as build_hr
from roster_svc.app import build as build_roster
from sgz_cli.ledger import COLUMNS, TRACE_COLUMNS, export_ledger
from sgz_runtime.server import create_server
from tests.conftest import CITY
from visit_svc.app import build as build_visit
from visit_svc.domain.weeks import CST, IsoWeek

TOWN = "towns/chengdong"
VILLAGE = f"{TOWN}/villages/xinhua"
#: Two weeks ago: every day of it is over, so nothing is in the future (rule V9).
WEEK = IsoWeek.of(dt.datetime.now(CST).date() - dt.timedelta(days=14))
CHECKS = (
    "residence_hygiene",
    "personal_hygiene",
    "regular_diet",
    "food_source",
    "able_to_feed_self",
    "house_safety",
    "illness",
)


def _id(number17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(a) * w for a, w in zip(number17, weights, strict=True))
    return number17 + "10X98765432"[total % 11]


IDS = (_id("32062119400101001"), _id("32062119410101002"))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _d(day: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _at(offset_days: int, hour: int) -> dt.datetime:
    day = WEEK.monday + dt.timedelta(days=offset_days)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=CST)


def _ts(moment: dt.datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(moment.astimezone(dt.UTC))
    return out


@dataclass
class Stack:
    visits: visit_pb2_grpc.VisitServiceStub
    roster: roster_pb2_grpc.RosterServiceStub
    gateway_url: str
    worker: str
    persons: list[str]


@pytest.fixture
def stack(start_service, settings, database_url, monkeypatch) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    hr_port = _port()
    roster_server, roster_channel = start_service("roster", build_roster, hr=hr_port)
    monkeypatch.setenv("HR_DATABASE_URL", database_url("hr"))
    local = settings.model_copy(update={"roster_port": roster_server.port, "hr_port": hr_port})
    hr_server = create_server(build_hr(local), f"127.0.0.1:{hr_port}", local)
    hr_server.server.start()
    hr_channel = grpc.insecure_channel(f"127.0.0.1:{hr_port}")
    visit_server, visit_channel = start_service("visit", build_visit, roster=roster_server.port)
    roster = roster_pb2_grpc.RosterServiceStub(roster_channel)
    hr = hr_pb2_grpc.HrServiceStub(hr_channel)
    roster.CreateTown(
        rpb.CreateTownRequest(
            town=rpb.Town(
                display_name="城东镇", administrative_code="320621100", kind=rpb.TOWN_KIND_TOWN
            ),
            town_id="chengdong",
        ),
        metadata=tuple(CITY),
    )
    roster.CreateVillage(
        rpb.CreateVillageRequest(
            parent=TOWN,
            village=rpb.Village(display_name="新华村", kind=rpb.VILLAGE_KIND_VILLAGE),
            village_id="xinhua",
        ),
        metadata=tuple(CITY),
    )
    worker = hr.CreateWorker(
        hr_pb2.CreateWorkerRequest(
            worker=hr_pb2.Worker(
                display_name="王芳", town=TOWN, role=hr_pb2.WORKER_ROLE_STATION_WORKER
            )
        ),
        metadata=tuple(CITY),
    ).name
    persons = []
    for name, number, unable in (("张三", IDS[0], 2), ("李四", IDS[1], 0)):
        person = roster.CreatePerson(
            rpb.CreatePersonRequest(
                person=rpb.Person(display_name=name, id_number=number, village=VILLAGE),
                start_date=_d(dt.date(2024, 1, 1)),
            ),
            metadata=tuple(CITY),
        )
        roster.CreateAssignment(
            rpb.CreateAssignmentRequest(
                parent=person.name,
                assignment=rpb.Assignment(worker=worker, start_date=_d(dt.date(2024, 1, 1))),
            ),
            metadata=tuple(CITY),
        )
        answers = [rpb.INDICATOR_ANSWER_UNABLE] * unable + [rpb.INDICATOR_ANSWER_ABLE] * (
            6 - unable
        )
        fields = ("eating", "dressing", "transferring", "toileting", "indoor_walking", "bathing")
        roster.CreateAssessment(
            rpb.CreateAssessmentRequest(
                parent=person.name,
                assessment=rpb.Assessment(
                    **dict(zip(fields, answers, strict=True)),  # type: ignore[arg-type]
                    assessor="第三方评估机构",
                    assessment_date=_d(dt.date(2024, 1, 1)),
                ),
            ),
            metadata=tuple(CITY),
        )
        persons.append(person.name)
    gateway_settings = local.model_copy(update={"visit_port": visit_server.port})
    server = uvicorn.Server(
        uvicorn.Config(create_app(gateway_settings), host="127.0.0.1", port=0, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Stack(
        visit_pb2_grpc.VisitServiceStub(visit_channel),
        roster,
        f"http://127.0.0.1:{port}",
        worker,
        persons,
    )
    server.should_exit = True
    thread.join(10)
    hr_channel.close()
    hr_server.stop(0)


def _visit(s: Stack, person: str, at: dt.datetime, problems: dict[str, str] | None = None) -> Any:
    checks = pb.VisitChecks()
    for field in CHECKS:
        note = (problems or {}).get(field)
        result = pb.CHECK_RESULT_PROBLEM if note is not None else pb.CHECK_RESULT_FINE
        getattr(checks, field).CopyFrom(pb.Check(result=result, note=note or ""))
    visit = pb.Visit(person=person, worker=s.worker, visit_time=_ts(at), checks=checks)
    return s.visits.CreateVisit(pb.CreateVisitRequest(visit=visit), metadata=tuple(CITY))


def test_a_weeks_ledger_is_exported_cell_by_cell_through_the_gateway_v7(
    stack: Stack, tmp_path: Path
) -> None:
    dirty = _visit(stack, stack.persons[0], _at(0, 9), {"residence_hygiene": "屋内脏乱"})
    (escalation,) = dirty.escalations
    stack.visits.NotifyVillageContact(
        pb.NotifyVillageContactRequest(
            name=escalation,
            contact=pb.VillageContactNotice(
                display_name="王红", channel=pb.CONTACT_CHANNEL_PHONE, contact_time=_ts(_at(0, 11))
            ),
        ),
        metadata=tuple(CITY),
    )
    _visit(stack, stack.persons[1], _at(1, 10))
    out = tmp_path / "台账.xlsx"
    paths: list[str] = []

    def count(request: httpx.Request) -> None:
        paths.append(request.url.path)

    with httpx.Client(
        base_url=stack.gateway_url, timeout=30, event_hooks={"request": [count]}
    ) as client:
        summary = export_ledger(
            client, TOWN, WEEK.monday, WEEK.sunday, out, reveal=True, purpose="年度核查"
        )
    assert summary.rows == 4 and summary.ids_revealed
    # Both persons' full numbers came from one bulk export (audited once), not a reveal each.
    assert [p for p in paths if p.endswith(":revealIdNumber")] == []
    assert paths.count(f"/v1/{TOWN}/persons:export") == 1
    trail = stack.roster.ListAuditEntries(
        rpb.ListAuditEntriesRequest(page_size=500), metadata=tuple(CITY)
    ).audit_entries
    assert [(e.action, e.resource, e.purpose, e.detail) for e in trail] == [
        ("id_numbers_exported", TOWN, "年度核查", "persons=2 id_numbers=full")
    ]
    rows = list(openpyxl.load_workbook(out)["工作台账"].iter_rows(values_only=True))
    assert rows[0] == (*COLUMNS, *TRACE_COLUMNS)
    monday = dt.datetime.combine(WEEK.monday, dt.time())
    deadline = _at(1, 9).replace(tzinfo=None)  # prompt: 24 hours after the visit (V6)
    zhang = ("张三", IDS[0], "新华村", "部分丧失")
    # fmt: off
    expected = [
        (*zhang, monday, "王芳", "有问题（屋内脏乱）", "正常", "正常", "正常", "正常",
         "居所卫生差", None, None, None, None, 1, "探访", None),
        (*zhang, None, "王芳", None, None, None, None, None, "居所卫生差",
         f"及时联系村（社区），需清洁居所；联系时限{deadline:%Y-%m-%d %H:%M}", None, None, None,
         2, "上报", None),
        (*zhang, None, "王芳", None, None, None, None, None, None, "已通知村（社区）（电话）",
         "王红", _at(0, 11).replace(tzinfo=None), "按时联系", 3, "联系", None),
        ("李四", IDS[1], "新华村", "具备", monday + dt.timedelta(days=1), "王芳", "正常", "正常",
         "正常", "正常", "正常", "无", None, None, None, None, 4, "探访", None),
    ]
    # fmt: on
    assert len(rows) == 1 + len(expected)
    for got, want in zip(rows[1:], expected, strict=True):
        for column, (cell, value) in enumerate(zip(got, want, strict=True)):
            assert cell == value, f"row {got[16]} column {rows[0][column]}: {cell!r} != {value!r}"
    check = dict(openpyxl.load_workbook(out)["校验"].iter_rows(values_only=True))
    assert (check["哈希链"], check["链头序号"]) == ("完整", "4")


def test_facts_count_due_visited_and_the_contact_delay_a2(stack: Stack) -> None:
    dirty = _visit(stack, stack.persons[0], _at(0, 9), {"residence_hygiene": "屋内脏乱"})
    (escalation,) = dirty.escalations
    stack.visits.NotifyVillageContact(
        pb.NotifyVillageContactRequest(
            name=escalation,
            contact=pb.VillageContactNotice(
                display_name="王红", channel=pb.CONTACT_CHANNEL_PHONE, contact_time=_ts(_at(0, 11))
            ),
        ),
        metadata=tuple(CITY),
    )
    _visit(stack, stack.persons[0], _at(2, 9))
    period = types_pb2.Period(start_date=_d(WEEK.monday), end_date=_d(WEEK.sunday))
    found = stack.visits.ListWorkerWeekFacts(
        pb.ListWorkerWeekFactsRequest(parent=TOWN, period=period), metadata=tuple(CITY)
    )
    (facts,) = found.worker_facts
    (week,) = facts.weeks
    assert (facts.worker, week.week) == (stack.worker, str(WEEK))
    # Two persons due; one visited (twice); the other not at all.
    assert (week.persons_due, week.persons_visited, week.persons_covered, week.visits) == (
        2,
        1,
        1,
        2,
    )
    (e,) = week.escalations
    assert (e.escalation, e.urgency, e.action) == (
        escalation,
        pb.URGENCY_PROMPT,
        pb.ESCALATION_ACTION_CLEANING,
    )
    assert e.contact_delay.ToTimedelta() == dt.timedelta(hours=2)
    assert e.contact_outcome == pb.DEADLINE_OUTCOME_MET
    assert not e.HasField("action_delay")
    assert e.action_outcome == pb.DEADLINE_OUTCOME_OVERDUE  # cleaning within 3 days: passed
    verification = stack.visits.VerifyLedger(
        lpb.VerifyLedgerRequest(town=TOWN), metadata=tuple(CITY)
    )
    assert (verification.holds, verification.head_sequence) == (True, 4)


def test_facts_refuse_a_period_without_dates(stack: Stack) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stack.visits.ListWorkerWeekFacts(
            pb.ListWorkerWeekFactsRequest(parent=TOWN, period=types_pb2.Period()),
            metadata=tuple(CITY),
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
