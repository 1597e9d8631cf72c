"""`sgz roster import` and `sgz roster export` end to end: the CLI, the gateway over HTTP, a
real roster server and database (SQLite or PostgreSQL by SGZ_TEST_DB)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import uvicorn
from google.type import date_pb2
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc
from typer.testing import CliRunner

from bench.roster_data import check_digit
from gateway.app import create_app
from roster_svc.app import build as build_roster
from sgz_cli.main import app
from sgz_runtime.identity import Role, ScopeLevel
from tests.conftest import CITY, as_caller

TOWN = "towns/chengdong"
HEADER = ["姓名", "身份证号", "村（社区）", "地址", "联系电话", "自主吃饭", "自主穿衣",
          "自主上下床", "自主如厕", "室内自主行走", "自主洗澡", "评估机构", "评估日期"]  # fmt: skip
ABLE = ["是"] * 6


def resident_id(county: str, born: str, seq: int) -> str:
    first17 = f"{county}{born}{seq:03d}"
    return first17 + check_digit(first17)


def person(
    name: str,
    number: str,
    village: str = "新华村",
    phone: str = "",
    answers: list[str] | None = None,
    assessor: str = "",
    when: str = "",
) -> list[str]:
    answered = answers or [""] * 6
    return [name, number, village, f"{village}3组12号", phone, *answered, assessor, when]


GOOD = [
    person("王秀英", resident_id("320621", "19450312", 22), phone="13812345678"),
    person(
        "李德明",
        resident_id("320682", "19500101", 31),
        village="东风社区",
        answers=ABLE,
        assessor="南通市爱德社会工作服务社",
        when="2025-03-01",
    ),
    person("张桂兰", resident_id("320623", "19380704", 44), phone="0513-88123456"),
]


@pytest.fixture
def stack(start_service: Any, settings: Any) -> Iterator[tuple[str, Any, Any]]:
    """A roster server, the gateway in front of it on a real port, and a stub to check with."""
    roster, channel = start_service("roster", build_roster)
    stub = roster_pb2_grpc.RosterServiceStub(channel)
    stub.CreateTown(
        pb.CreateTownRequest(
            town=pb.Town(
                display_name="城东镇", administrative_code="320621100", kind=pb.TOWN_KIND_TOWN
            ),
            town_id="chengdong",
        ),
        metadata=CITY,
    )
    for village_id, name, kind in (
        ("xinhua", "新华村", pb.VILLAGE_KIND_VILLAGE),
        ("dongfeng", "东风社区", pb.VILLAGE_KIND_COMMUNITY),
    ):
        stub.CreateVillage(
            pb.CreateVillageRequest(
                parent=TOWN, village=pb.Village(display_name=name, kind=kind), village_id=village_id
            ),
            metadata=CITY,
        )
    local = settings.model_copy(update={"roster_port": roster.port})
    with gateway(local) as url:
        yield url, stub, local


@contextlib.contextmanager
def gateway(settings: Any) -> Iterator[str]:
    """The gateway on a real port, in a thread, acting as the settings' development caller."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        out.writerows(rows)
    return path


def sgz(*args: str) -> Any:
    # The output is read in English (sgz is Chinese by default).
    return CliRunner().invoke(app, ["--lang", "en", *args], catch_exceptions=False)


def import_file(url: str, path: Path, *extra: str) -> Any:
    return sgz("roster", "import", str(path), "--town", TOWN, "--gateway", url, *extra)


def persons(stub: Any) -> list[Any]:
    listed = stub.ListPersons(pb.ListPersonsRequest(parent=TOWN, page_size=1000), metadata=CITY)
    return sorted(listed.persons, key=lambda p: p.display_name)


def read_report(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))[1:]


def test_mixed_file_is_reported_row_by_row_and_imports_nothing(stack: Any, tmp_path: Path) -> None:
    url, stub, _ = stack
    future = resident_id("320621", (dt.date.today() + dt.timedelta(days=400)).strftime("%Y%m%d"), 1)
    bad_check = GOOD[0][1][:-1] + ("0" if GOOD[0][1][-1] != "0" else "1")
    rows = [
        *GOOD,
        person("赵一", bad_check),  # row 5: wrong check digit (R2)
        person("钱二", future),  # row 6: birth date in the future (R2)
        person("孙三", resident_id("320621", "19400101", 55), village="不存在村"),  # row 7 (R1)
        person("周四", resident_id("320621", "19400101", 66), phone="12345"),  # row 8 (R1)
        person(
            "吴五",
            resident_id("320621", "19400101", 77),
            answers=["是", "是", "", "是", "是", "是"],
            assessor="x",
            when="2025-01-01",
        ),  # row 9: an indicator unanswered (R3)
        person("郑六", GOOD[0][1].lower()),  # row 10: the same ID as row 2 (R2)
    ]
    path = write_csv(tmp_path / "城东镇.csv", rows)
    report = tmp_path / "report.csv"
    result = import_file(url, path, "--report", str(report))
    assert result.exit_code == 1, result.output
    assert "Nothing imported" in result.output
    found = [(r[0], r[1], r[3], r[4]) for r in read_report(report)]
    assert found == [
        ("5", "身份证号", "R2", "错误"),
        ("6", "身份证号", "R2", "错误"),
        ("7", "村（社区）", "R1", "错误"),
        ("8", "联系电话", "R1", "错误"),
        ("9", "自主上下床", "R3", "错误"),
        ("10", "身份证号", "R2", "错误"),
    ]
    reasons = {r[0]: r[2] for r in read_report(report)}
    assert {"check digit", "校验码"} & {w for w in ("check digit", "校验码") if w in reasons["5"]}
    assert {w for w in ("future", "晚于今天") if w in reasons["6"]}
    assert "row 2" in reasons["10"]
    assert GOOD[0][1] not in report.read_text(encoding="utf-8-sig")  # no ID number in a report
    assert persons(stub) == []


def test_valid_only_imports_the_good_rows_and_skips_the_bad(stack: Any, tmp_path: Path) -> None:
    url, stub, _ = stack
    rows = [*GOOD, person("孙三", resident_id("320621", "19400101", 55), village="不存在村")]
    result = import_file(url, write_csv(tmp_path / "f.csv", rows), "--valid-only")
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output and "1 bad row(s) skipped" in result.output
    found = persons(stub)
    assert [p.display_name for p in found] == ["张桂兰", "李德明", "王秀英"]
    li = found[1]
    assert li.village == f"{TOWN}/villages/dongfeng"
    assert li.care_level == pb.CARE_LEVEL_SELF_CARE  # derived from the six answers (R3)
    assert li.status == pb.PERSON_STATUS_DISPERSED
    assert found[2].phone == "+8613812345678"
    assert found[2].id_number_masked.startswith("320621") and "*" in found[2].id_number_masked


def test_reimporting_the_same_file_changes_nothing_and_an_edit_updates_in_place(
    stack: Any, tmp_path: Path
) -> None:
    url, stub, _ = stack
    path = write_csv(tmp_path / "f.csv", GOOD)
    assert import_file(url, path).exit_code == 0
    before = {p.name: p.etag for p in persons(stub)}
    again = import_file(url, path)
    assert again.exit_code == 0 and "0 created, 0 updated, 3 unchanged" in again.output
    assert {p.name: p.etag for p in persons(stub)} == before
    edited = [[*GOOD[0][:4], "13900001111", *GOOD[0][5:]], *GOOD[1:]]
    third = import_file(url, write_csv(tmp_path / "g.csv", edited))
    assert "0 created, 1 updated, 2 unchanged" in third.output
    after = persons(stub)
    assert {p.name for p in after} == set(before)  # same ID updates, never duplicates
    assert next(p for p in after if p.display_name == "王秀英").phone == "+8613900001111"


def test_gb18030_csv_and_xlsx_import_alike(stack: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    url, stub, _ = stack
    assert import_file(url, write_csv(tmp_path / "gbk.csv", GOOD[:1], "gb18030")).exit_code == 0
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in GOOD[1:]:
        sheet.append(row)
    book.save(tmp_path / "f.xlsx")
    result = import_file(url, tmp_path / "f.xlsx")
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    assert [p.display_name for p in persons(stub)] == ["张桂兰", "李德明", "王秀英"]


def test_export_writes_the_import_columns_and_reimports_unchanged(
    stack: Any, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    url, _, _ = stack
    assert import_file(url, write_csv(tmp_path / "f.csv", GOOD)).exit_code == 0
    out = tmp_path / "out.xlsx"
    result = sgz("roster", "export", "--town", TOWN, "-o", str(out), "--gateway", url)
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out, read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["姓名", "身份证号", "村（社区）"]
    by_name = {r[0]: r for r in rows[1:]}
    # The development caller is the city bureau, whose role may read ID numbers.
    assert by_name["李德明"][1] == GOOD[1][1]
    assert by_name["李德明"][5:11] == ["是"] * 6
    again = import_file(url, out)
    assert again.exit_code == 0 and "3 unchanged" in again.output, again.output


def test_file_without_the_required_columns_is_refused_before_anything_is_sent(
    stack: Any, tmp_path: Path
) -> None:
    url, _, _ = stack
    path = tmp_path / "f.csv"
    path.write_text("姓名,地址\n王秀英,新华村\n", encoding="utf-8")
    result = import_file(url, path)
    assert result.exit_code == 2 and "身份证号" in result.output


def test_export_masks_id_numbers_for_a_role_that_may_not_read_them(
    stack: Any, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    url, _, local = stack
    assert import_file(url, write_csv(tmp_path / "f.csv", GOOD)).exit_code == 0
    auditor = local.model_copy(update={"gateway_dev_role": Role.AUDITOR})
    out = tmp_path / "masked.xlsx"
    with gateway(auditor) as audit_url:
        result = sgz("roster", "export", "--town", TOWN, "-o", str(out), "--gateway", audit_url)
    assert result.exit_code == 0, result.output
    assert "masked" in result.output
    sheet = load_workbook(out, read_only=True).worksheets[0]
    numbers = [r[1] for r in list(sheet.iter_rows(values_only=True))[1:]]
    assert sorted(numbers) == sorted(g[1][:6] + "*" * 12 for g in GOOD)  # docs/privacy.md


def _batch(import_id: str, *rows: list[str]) -> pb.ImportPersonsRequest:
    fields = ("display_name", "id_number", "village", "address", "phone")
    return pb.ImportPersonsRequest(
        parent=TOWN,
        import_id=import_id,
        rows=[
            pb.PersonImportRow(row_number=n, **dict(zip(fields, r[:5], strict=True)))
            for n, r in enumerate(rows, start=2)
        ],
    )


def test_a_staged_file_is_applied_whole_or_not_at_all_when_the_roster_changed(
    stack: Any,
) -> None:
    _, stub, _ = stack
    import_id = "a" * 32
    staged = stub.ImportPersons(_batch(import_id, *GOOD), metadata=CITY)
    assert staged.valid_rows == 3 and persons(stub) == []  # staged, not written
    # Meanwhile someone registers one of the file's persons by hand.
    stub.CreatePerson(
        pb.CreatePersonRequest(
            person=pb.Person(
                display_name="王秀英", id_number=GOOD[0][1], village=f"{TOWN}/villages/xinhua"
            ),
            start_date=date_pb2.Date(year=2026, month=1, day=1),
        ),
        metadata=CITY,
    )
    with pytest.raises(grpc.RpcError) as info:
        stub.CommitPersonImport(
            pb.CommitPersonImportRequest(parent=TOWN, import_id=import_id), metadata=CITY
        )
    assert info.value.code() == grpc.StatusCode.ABORTED
    assert [p.display_name for p in persons(stub)] == ["王秀英"]  # nothing of the file


def test_r2_an_id_staged_by_an_earlier_batch_refuses_the_later_batch(stack: Any) -> None:
    _, stub, _ = stack
    import_id = "b" * 32
    stub.ImportPersons(_batch(import_id, GOOD[0]), metadata=CITY)
    later = _batch(import_id, GOOD[1], GOOD[0])
    later.rows[0].row_number, later.rows[1].row_number = 3, 4
    with pytest.raises(grpc.RpcError) as info:
        stub.ImportPersons(later, metadata=CITY)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "one ID, one person" in (info.value.details() or "")
    done = stub.CommitPersonImport(
        pb.CommitPersonImportRequest(parent=TOWN, import_id=import_id), metadata=CITY
    )
    assert done.created == 1  # the first batch only; nothing of the refused one


def test_nothing_staged_or_out_of_scope_is_not_found_and_a_worker_may_not_import(
    stack: Any,
) -> None:
    _, stub, _ = stack
    with pytest.raises(grpc.RpcError) as info:
        stub.CommitPersonImport(
            pb.CommitPersonImportRequest(parent=TOWN, import_id="c" * 32), metadata=CITY
        )
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    import_id = "d" * 32
    stub.ImportPersons(_batch(import_id, *GOOD), metadata=CITY)
    other = as_caller(role=Role.TOWN_HEAD, level=ScopeLevel.TOWN, scope="towns/xicheng")
    with pytest.raises(grpc.RpcError) as info:
        stub.CommitPersonImport(
            pb.CommitPersonImportRequest(parent=TOWN, import_id=import_id), metadata=other
        )
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    worker = as_caller(role=Role.STATION_WORKER, level=ScopeLevel.TOWN, scope=TOWN)
    with pytest.raises(grpc.RpcError) as info:
        stub.ImportPersons(_batch("e" * 32, *GOOD), metadata=worker)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    done = stub.CommitPersonImport(
        pb.CommitPersonImportRequest(parent=TOWN, import_id=import_id, discard=True), metadata=CITY
    )
    assert done.created == 0 and persons(stub) == []


def test_a_file_of_several_batches_is_imported_whole(stack: Any, tmp_path: Path) -> None:
    url, stub, _ = stack
    start = dt.date(1940, 1, 1)
    rows = [
        person(
            f"张{n}",
            resident_id("320621", (start + dt.timedelta(days=n)).strftime("%Y%m%d"), n % 1000),
            village=("新华村", "东风社区")[n % 2],
            phone=f"139{n:08d}",
        )
        for n in range(4500)  # three batches of at most 2000
    ]
    result = import_file(url, write_csv(tmp_path / "big.csv", rows))
    assert result.exit_code == 0, result.output
    assert "4500 rows: 4500 created, 0 updated, 0 unchanged" in result.output
    listed = stub.ListPersons(pb.ListPersonsRequest(parent=TOWN, page_size=1000), metadata=CITY)
    assert len(listed.persons) == 1000 and listed.next_page_token
    rows[4499][2] = "不存在村"  # one bad row in the last batch: nothing more is written
    again = import_file(url, write_csv(tmp_path / "big2.csv", rows))
    assert again.exit_code == 1 and "Nothing imported: 1 bad row(s)" in again.output
