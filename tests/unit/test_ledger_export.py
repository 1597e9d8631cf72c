"""`sgz ledger export` (rule V7): the ledger written by the real use cases, served as the
gateway's ProtoJSON, exported to xlsx and read back cell by cell with openpyxl."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import openpyxl
import pytest
from google.protobuf import json_format
from sgz.roster.v1 import roster_pb2

from sgz_cli.ledger import COLUMNS, TRACE_COLUMNS, export_ledger
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.visit_fakes import TOWN, VILLAGE, FakeVisitUnitOfWork, cst, roster, timeline
from visit_svc.domain.escalations import ContactChannel, Outcome
from visit_svc.domain.ledger import ChainVerifier
from visit_svc.domain.policy import Action
from visit_svc.domain.visits import Check, CheckItem, CheckResult, Visit
from visit_svc.entrypoints.ledger_servicer import entry_to_pb, verification_to_pb
from visit_svc.service_layer import escalations, ledger
from visit_svc.service_layer.visits import record_visit

MONDAY = dt.date(2026, 11, 16)
WORKER = Caller("users/wang", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/wang")
CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, TOWN)
ID_P1 = "11010519491231002X"


def _clock() -> dt.datetime:
    return cst(MONDAY + dt.timedelta(days=3), 18)


def _checks(**problems: tuple[CheckResult, str]) -> dict[CheckItem, Check]:
    from visit_svc.domain.visits import REQUIRED_CHECKS

    checks = {item: Check(CheckResult.FINE) for item in REQUIRED_CHECKS}
    for name, (result, note) in problems.items():
        checks[CheckItem(name)] = Check(result, note)
    return checks


@pytest.fixture
def uow() -> FakeVisitUnitOfWork:
    """A week of one town's work, recorded through the visit use cases."""
    uow = FakeVisitUnitOfWork()
    client = roster(timeline("persons/p1"), timeline("persons/p2"))
    skew = dt.timedelta(minutes=2)
    dirty = Visit(
        id="",
        person="persons/p1",
        town="",
        village="",
        worker="workers/wang",
        visited_at=cst(MONDAY, 9, 30),
        checks=_checks(
            residence_hygiene=(CheckResult.PROBLEM, "屋内脏乱"),
            food_source=(CheckResult.NOT_CHECKED, "未见米面"),
        ),
    )
    recorded = record_visit(uow, client, WORKER, dirty, "", clock=_clock, skew=skew)
    (name,) = recorded.escalations
    escalations.notify_contact(
        uow, WORKER, name, "王红", ContactChannel.PHONE, cst(MONDAY, 11), "", "r1", _clock
    )
    escalations.arrange_action(
        uow,
        WORKER,
        name,
        Action.CLEANING,
        MONDAY + dt.timedelta(days=1),
        cst(MONDAY, 15),
        "村里安排保洁",
        "r2",
        _clock,
    )
    escalations.resolve_escalation(
        uow,
        client,
        WORKER,
        name,
        Outcome.CLEANED,
        MONDAY + dt.timedelta(days=1),
        cst(MONDAY + dt.timedelta(days=1), 16),
        "",
        "r3",
        _clock,
    )
    fine = Visit(
        id="",
        person="persons/p2",
        town="",
        village="",
        worker="workers/wang",
        visited_at=cst(MONDAY + dt.timedelta(days=2), 10),
        checks=_checks(),
    )
    record_visit(uow, client, WORKER, fine, "", clock=_clock, skew=skew)
    ledger.correct_entry(
        uow, CHIEF, f"{TOWN}/ledgerEntries/1", '{"note": "补记：老人腿脚不便"}', "漏记"
    )
    return uow


def _person(name: str, display: str, masked: str) -> dict[str, Any]:
    message = roster_pb2.Person(
        name=name, display_name=display, id_number_masked=masked, village=VILLAGE, town=TOWN
    )
    return json_format.MessageToDict(message)


def _timeline(name: str, level: int, start: dt.date, end: dt.date | None) -> dict[str, Any]:
    span = roster_pb2.CareLevelSpan(care_level=level)  # type: ignore[arg-type]
    span.start_date.year, span.start_date.month, span.start_date.day = (
        start.year,
        start.month,
        start.day,
    )
    if end is not None:
        span.end_date.year, span.end_date.month, span.end_date.day = end.year, end.month, end.day
    message = roster_pb2.PersonTimeline(person=name, town=TOWN, village=VILLAGE, care_levels=[span])
    return json_format.MessageToDict(message)


class FakeGateway:
    """Answers the export's calls as the gateway does, ledger pages two entries at a time."""

    def __init__(self, uow: FakeVisitUnitOfWork, *, may_reveal: bool):
        self.entries = [
            json_format.MessageToDict(entry_to_pb(e)) for e in uow.state.ledger.entries[TOWN]
        ]
        repo = uow.state.ledger
        verifier = ChainVerifier(TOWN, repo.key)
        verifier.feed(repo.stored(TOWN, after_seq=0, upto_seq=99, limit=99))
        result = verifier.finish(*repo.head(TOWN))
        self.verification = json_format.MessageToDict(
            verification_to_pb(result, dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
        )
        self.may_reveal = may_reveal
        self.ledger_queries: list[dict[str, list[str]]] = []
        #: Every call by its path, to show how many reads of ID numbers the export makes.
        self.paths: list[str] = []
        self.export_bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, query = request.url.path, parse_qs(request.url.query.decode())
        self.paths.append(path)
        if path == f"/v1/{TOWN}:verifyLedger":
            return httpx.Response(200, json=self.verification)
        if path == f"/v1/{TOWN}/villages":
            return httpx.Response(
                200, json={"villages": [{"name": VILLAGE, "displayName": "新华村"}]}
            )
        if path == f"/v1/{TOWN}/persons":
            return httpx.Response(
                200,
                json={
                    "persons": [
                        _person("persons/p1", "张三", "110105********002X"),
                        _person("persons/p2", "李四", "440524********0014"),
                    ]
                },
            )
        if path == f"/v1/{TOWN}/persons:export":
            body = json.loads(request.content)
            self.export_bodies.append(body)
            if not self.may_reveal:
                error = {"code": 403, "status": "PERMISSION_DENIED", "message": "no"}
                return httpx.Response(403, json={"error": error})
            assert body["purpose"] and body["revealIdNumbers"]
            # One person a page, so the export follows its pages with the same purpose.
            people = [
                {"person": _person("persons/p1", "张三", "110105********002X"), "idNumber": ID_P1},
                {
                    "person": _person("persons/p2", "李四", "440524********0014"),
                    "idNumber": "440524188001010014",
                },
            ]
            at = 1 if body.get("pageToken") == "p2" else 0
            return httpx.Response(
                200,
                json={
                    "persons": people[at : at + 1],
                    "idNumbersRevealed": True,
                    "nextPageToken": "p2" if at == 0 else "",
                    "totalSize": 2 if at == 0 else 0,
                },
            )
        if path.endswith(":revealIdNumber"):
            if not self.may_reveal:
                error = {"code": 403, "status": "PERMISSION_DENIED", "message": "no"}
                return httpx.Response(403, json={"error": error})
            assert json.loads(request.content)["purpose"]
            numbers = {"persons/p1": ID_P1, "persons/p2": "440524188001010014"}
            name = path.removeprefix("/v1/").removesuffix(":revealIdNumber")
            return httpx.Response(200, json={"name": name, "idNumber": numbers[name]})
        if path == f"/v1/{TOWN}/personTimelines":
            assert query["period.start_date.year"] == ["2026"]
            return httpx.Response(
                200,
                json={
                    "timelines": [
                        # p1's care level changes on Wednesday: Monday's visit shows the old one.
                        _timeline(
                            "persons/p1", 2, dt.date(2026, 1, 1), MONDAY + dt.timedelta(days=2)
                        ),
                        _timeline("persons/p2", 1, dt.date(2026, 1, 1), None),
                    ]
                },
            )
        if path == "/v1/workers/wang":
            return httpx.Response(200, json={"name": "workers/wang", "displayName": "王芳"})
        if path == f"/v1/{TOWN}/ledgerEntries":
            self.ledger_queries.append(query)
            start = int(query.get("pageToken", ["0"])[0] or 0)
            page = self.entries[start : start + 2]
            token = str(start + 2) if start + 2 < len(self.entries) else ""
            return httpx.Response(200, json={"ledgerEntries": page, "nextPageToken": token})
        if path.startswith(f"/v1/{TOWN}/ledgerEntries/"):
            seq = int(path.rsplit("/", 1)[1])
            return httpx.Response(200, json=self.entries[seq - 1])
        return httpx.Response(404, json={"error": {"status": "NOT_FOUND", "message": path}})


def _export(
    uow: FakeVisitUnitOfWork, tmp_path: Path, *, may_reveal: bool
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], FakeGateway]:
    gateway = FakeGateway(uow, may_reveal=may_reveal)
    out = tmp_path / "ledger.xlsx"
    with httpx.Client(transport=httpx.MockTransport(gateway), base_url="http://gw") as client:
        summary = export_ledger(
            client, TOWN, MONDAY, MONDAY + dt.timedelta(days=6), out, reveal=True, purpose="核对"
        )
    assert summary.rows == 7
    book = openpyxl.load_workbook(out)
    rows = list(book["工作台账"].iter_rows(values_only=True))
    check = list(book["校验"].iter_rows(values_only=True))
    return rows, check, gateway


def _d(day: int) -> dt.datetime:
    return dt.datetime(2026, 11, day)


def test_export_writes_the_towns_columns_cell_by_cell_v7(
    uow: FakeVisitUnitOfWork, tmp_path: Path
) -> None:
    rows, _, gateway = _export(uow, tmp_path, may_reveal=True)
    assert rows[0] == (*COLUMNS, *TRACE_COLUMNS)
    assert COLUMNS == (
        "姓名",
        "身份证号",
        "村（社区）",
        "自理能力",
        "探访日期",
        "探访人",
        "居所卫生",
        "个人卫生",
        "饮食",
        "房屋安全",
        "身体状况",
        "发现问题",
        "处理情况",
        "联系人",
        "联系时间",
        "结果",
    )
    p1 = ("张三", ID_P1, "新华村")
    # fmt: off
    expected = [
        # The visit: checks by column; food source not checked, with its note (rule V2).
        (*p1, "部分丧失", _d(16), "王芳", "有问题（屋内脏乱）", "正常",
         "食物来源未检查（未见米面）", "正常", "正常", "居所卫生差", None, None, None, None,
         1, "探访", None),
        # The escalation it opened (rule V3): prompt contact, cleaning.
        (*p1, "部分丧失", None, "王芳", None, None, None, None, None, "居所卫生差",
         "及时联系村（社区），需清洁居所；联系时限2026-11-17 09:30", None, None, None,
         2, "上报", None),
        # The village contact told by phone, within the deadline.
        (*p1, "部分丧失", None, "王芳", None, None, None, None, None, None,
         "已通知村（社区）（电话）", "王红", dt.datetime(2026, 11, 16, 11, 0), "按时联系",
         3, "联系", None),
        # Cleaning arranged for Tuesday, within three days.
        (*p1, "部分丧失", None, "王芳", None, None, None, None, None, None,
         "已安排清洁居所（2026-11-17）（村里安排保洁）", None, None, "按时安排", 4, "安排", None),
        # Resolved: cleaned.
        (*p1, "部分丧失", None, "王芳", None, None, None, None, None, None, None, None, None,
         "已清洁（2026-11-17）", 5, "结果", None),
        # Wednesday: p2, all fine; the care level read as of that day.
        ("李四", "440524188001010014", "新华村", "具备", _d(18), "王芳", "正常", "正常", "正常",
         "正常", "正常", "无", None, None, None, None, 6, "探访", None),
        # The chief's correction of entry 1: a row of its own naming it (rule V7).
        (*p1, "部分丧失", None, "王芳", None, None, None, None, None, None, "补记：老人腿脚不便",
         None, None, None, 7, "更正", "更正第1条：漏记"),
    ]
    # fmt: on
    assert len(rows) == 1 + len(expected)
    for got, want in zip(rows[1:], expected, strict=True):
        for column, (cell, value) in enumerate(zip(got, want, strict=True)):
            assert cell == value, f"row {got[16]} column {rows[0][column]}: {cell!r} != {value!r}"
    # The period went to the ledger query as CST dates; pages were followed to the end.
    assert gateway.ledger_queries[0]["start_date.day"] == ["16"]
    assert gateway.ledger_queries[0]["end_date.day"] == ["22"]
    assert len(gateway.ledger_queries) == 4


def test_export_masks_id_numbers_when_the_caller_may_not_read_them(
    uow: FakeVisitUnitOfWork, tmp_path: Path
) -> None:
    rows, _, _ = _export(uow, tmp_path, may_reveal=False)
    assert {r[1] for r in rows[1:]} == {"110105********002X", "440524********0014"}


def test_export_ends_with_the_chains_verification(uow: FakeVisitUnitOfWork, tmp_path: Path) -> None:
    _, check, _ = _export(uow, tmp_path, may_reveal=True)
    facts = dict(check)
    assert facts["哈希链"] == "完整"
    assert facts["链头序号"] == "7"
    assert facts["链头哈希"] == uow.state.ledger.entries[TOWN][-1].hash
    assert facts["导出区间"] == "2026-11-16 至 2026-11-22"


def test_full_id_numbers_come_from_one_audited_bulk_export_not_a_reveal_each(
    uow: FakeVisitUnitOfWork, tmp_path: Path
) -> None:
    rows, _, gateway = _export(uow, tmp_path, may_reveal=True)
    assert {r[1] for r in rows[1:]} == {ID_P1, "440524188001010014"}
    assert not [p for p in gateway.paths if p.endswith(":revealIdNumber")]
    # One export (two pages of it), its purpose on each page; the person list is not read again.
    assert gateway.export_bodies == [
        {"purpose": "核对", "revealIdNumbers": True, "pageSize": 5000},
        {"purpose": "核对", "revealIdNumbers": True, "pageSize": 5000, "pageToken": "p2"},
    ]
    assert f"/v1/{TOWN}/persons" not in gateway.paths


def test_a_caller_who_may_not_read_numbers_gets_the_masked_list_and_no_reveals(
    uow: FakeVisitUnitOfWork, tmp_path: Path
) -> None:
    _, _, gateway = _export(uow, tmp_path, may_reveal=False)
    assert len(gateway.export_bodies) == 1
    assert f"/v1/{TOWN}/persons" in gateway.paths
    assert not [p for p in gateway.paths if p.endswith(":revealIdNumber")]
