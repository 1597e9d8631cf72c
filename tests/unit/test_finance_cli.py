"""`sgz finance close` against a fake gateway: refused with the amount named and exit status 1
(rule F4); closed with the statement written as xlsx (Chinese headers) and JSON (rule F5);
`--all` reports every town."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from typer.testing import CliRunner

from sgz_cli import finance
from sgz_cli.main import app
from sgz_runtime.i18n import use_locale

BODY = {
    "town": "towns/a",
    "period": "2026H1",
    "opening": 0,
    "allocated": 2982000,
    "received": 2982000,
    "spent": {"performance_pay": 500000, "worker_pay": 2012345},
    "returned": 469655,
    "adjusted": 0,
    "closing": 0,
    "posting_count": 6,
    "chain_head_hash": "ab" * 32,
    "closed_by": "users/maker",
    "closed_at": "2026-07-03T10:00:00+08:00",
}
REFUSAL = {
    "error": {
        "code": 400,
        "status": "FAILED_PRECONDITION",
        "message": "尚余 0.01 元（towns/b/periods/2026H1）：结账前须支出或退回市级"
        "（不得结余，规则 F4）",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "metadata": {"rule": "F4"}}
        ],
    }
}


def _gateway(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/v1/towns":
        return httpx.Response(200, json={"towns": [{"name": "towns/a"}, {"name": "towns/b"}]})
    if path == "/v1/towns/b/periods/2026H1:close":
        return httpx.Response(400, json=REFUSAL)
    if path == "/v1/towns/a/periods/2026H1:close":
        return httpx.Response(200, json={"name": "towns/a/periods/2026H1"})
    if path == "/v1/towns/a/periods/2026H1/statement":
        text = json.dumps(BODY, sort_keys=True)
        return httpx.Response(200, json={"canonicalJson": text, "statementHash": "cd" * 32})
    if path == "/v1/towns/-/periods/2026H1/allocations:compute":
        return httpx.Response(
            200,
            json={
                "allocations": [
                    {
                        "name": "towns/a/periods/2026H1/allocations/1",
                        "amount": {"fen": "2982000"},
                        "unassessedPersonMonths": 1,
                        "unassessedPersons": ["persons/p9"],
                        "warnings": ["below the floor"],
                    }
                ]
            },
        )
    if path == "/v1/careStandards":
        SENT.append(json.loads(request.content))
        return httpx.Response(200, json={"name": "careStandards/2026-01-01", "warning": "低于"})
    if path == "/v1/towns/a/periods/2026H1/disbursements":
        SENT.append(json.loads(request.content))
        return httpx.Response(200, json={"name": "towns/a/periods/2026H1/postings/1"})
    return httpx.Response(404, json={"error": {"message": "not here"}})


SENT: list[dict[str, object]] = []


@pytest.fixture(autouse=True)
def chinese_after() -> Iterator[None]:
    """`sgz --lang` binds the locale for the process: put it back after each test."""
    with use_locale("zh-CN"):
        yield


@pytest.fixture(autouse=True)
def fake_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    def made(gateway: str | None) -> httpx.Client:
        return httpx.Client(base_url="http://gw", transport=httpx.MockTransport(_gateway))

    fake: Callable[[str | None], httpx.Client] = made
    monkeypatch.setattr(finance, "client", fake)


def test_close_with_a_balance_left_names_it_and_fails() -> None:
    result = CliRunner().invoke(app, ["finance", "close", "--town", "b", "--period", "2026H1"])
    assert result.exit_code == 1
    assert "尚余 0.01 元" in result.output and "[F4]" in result.output


def test_close_at_zero_writes_the_statement_with_chinese_headers(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "finance",
            "close",
            "--town",
            "towns/a",
            "--period",
            "2026H1",
            "--output-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(tmp_path / "statement-a-2026H1.xlsx")["决算表"]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows == [
        ("项目", "金额（元）", "金额（分）"),
        ("期初余额", "0.00", 0),
        ("核定分配", "29820.00", 2982000),
        ("收到拨款", "29820.00", 2982000),
        ("支出：绩效工资", "5000.00", 500000),
        ("支出：工作人员工资及社保", "20123.45", 2012345),
        ("退回市级", "4696.55", 469655),
        ("调整", "0.00", 0),
        ("期末余额", "0.00", 0),
    ]
    saved = json.loads((tmp_path / "statement-a-2026H1.json").read_text())
    assert saved["statement"]["closing"] == 0 and saved["statementHash"] == "cd" * 32


def test_close_all_reports_every_town_and_fails_when_one_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["finance", "close", "--all", "--period", "2026H1", "--output-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "towns/a 2026H1：已结账" in result.output
    assert "towns/b 2026H1：未结账 [F4]" in result.output
    assert "已结账 1 个，未结账 1 个" in result.output


def test_close_speaks_english_with_the_global_lang_option() -> None:
    result = CliRunner().invoke(
        app, ["--lang", "en", "finance", "close", "--town", "b", "--period", "2026H1"]
    )
    assert result.exit_code == 1
    assert "towns/b 2026H1: refused [F4]: " in result.output


def test_allocate_prints_each_towns_draft_with_what_is_not_assessed() -> None:
    result = CliRunner().invoke(app, ["finance", "allocate", "--period", "2026H1"])
    assert result.exit_code == 0, result.output
    assert "towns/a/periods/2026H1/allocations/1：29820.00 元（未评估 1 人月）" in result.output
    assert "below the floor" in result.output and "未评估：persons/p9" in result.output


def test_disburse_sends_yuan_as_whole_fen_and_refuses_a_fraction_of_a_fen() -> None:
    args = [
        "finance",
        "disburse",
        "--town",
        "a",
        "--period",
        "2026H1",
        "--leg",
        "city-to-town",
        "--request-id",
        "d-1",
        "--amount",
    ]
    sent = len(SENT)
    assert CliRunner().invoke(app, [*args, "1234.56"]).exit_code == 0
    assert SENT[-1]["amount"] == {"fen": "123456"}
    refused = CliRunner().invoke(app, [*args, "0.005"])
    assert refused.exit_code == 2 and len(SENT) == sent + 1


def test_standard_sends_each_level_in_fen_and_shows_the_floor_warning() -> None:
    result = CliRunner().invoke(
        app,
        [
            "finance",
            "standard",
            "--from",
            "2026-01-01",
            "--self-care",
            "120.00",
            "--partial",
            "400",
            "--full-loss",
            "800.5",
            "--below-floor-reason",
            "county decision 12",
        ],
    )
    assert result.exit_code == 0, result.output
    assert SENT[-1]["amounts"] == [
        {"careLevel": "CARE_LEVEL_SELF_CARE", "monthly": {"fen": "12000"}},
        {"careLevel": "CARE_LEVEL_PARTIAL", "monthly": {"fen": "40000"}},
        {"careLevel": "CARE_LEVEL_FULL_LOSS", "monthly": {"fen": "80050"}},
    ]
    assert "已登记 careStandards/2026-01-01" in result.output and "! 低于" in result.output
