"""`sgz assess pay` against a fake gateway: the table, --json, the xlsx with Chinese headers,
--all over every town with the refused ones listed (rules A2-A4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from typer.testing import CliRunner

from sgz_cli import assess
from sgz_cli.main import app

RUN: dict[str, Any] = {
    "name": "towns/1/payRuns/r1",
    "period": "2026H1",
    "state": "PAY_RUN_STATE_DRAFT",
    "totalWithheld": {"fen": "450000"},
    "totalPaid": {"fen": "369928"},
    "lines": [
        {
            "worker": "workers/101",
            "displayName": "王芳",
            "metrics": [
                {
                    "component": "COMPONENT_COVERAGE",
                    "numerator": "252",
                    "denominator": "260",
                    "estimate": 0.966208,
                },
                {"component": "COMPONENT_CONTACT_IMMEDIATE", "estimate": "NaN"},
            ],
            "manualScore": 90,
            "manualReason": "台账整理",
            "score": 88.58,
            "withheld": {"fen": "180000"},
            "paid": {"fen": "176592"},
        },
        {
            "worker": "workers/103",
            "displayName": "张伟",
            "score": 82.61,
            "withheld": {"fen": "270000"},
            "paid": {"fen": "193336"},
        },
    ],
}


def _fake_gateway(monkeypatch: pytest.MonkeyPatch, calls: list[str]) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if request.url.path == "/v1/towns":
            return httpx.Response(200, json={"towns": [{"name": "towns/1"}, {"name": "towns/2"}]})
        if request.url.path == "/v1/towns/-/payRuns:batchCreate":
            assert json.loads(request.content)["towns"] == ["towns/1", "towns/2"]
            return httpx.Response(
                200,
                json={
                    "payRuns": [RUN],
                    "refused": [{"town": "towns/2", "rule": "A2", "message": "no facts (rule A2)"}],
                },
            )
        if request.url.path == "/v1/towns/2/payRuns":
            return httpx.Response(
                400,
                json={"error": {"status": "FAILED_PRECONDITION", "message": "no facts (rule A2)"}},
            )
        assert json.loads(request.content)["period"] == "2026H1"
        return httpx.Response(200, json=RUN)

    def client(gateway: str | None) -> httpx.Client:
        return httpx.Client(base_url="http://gateway", transport=httpx.MockTransport(handle))

    monkeypatch.setattr(assess, "gateway_client", client)


def test_pay_prints_json_and_writes_xlsx_with_chinese_headers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[str] = []
    _fake_gateway(monkeypatch, calls)
    out = tmp_path / "pay.xlsx"
    result = CliRunner().invoke(
        app, ["assess", "pay", "--town", "1", "--period", "2026H1", "--json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert calls == ["POST /v1/towns/1/payRuns"]
    printed = json.loads(result.output[: result.output.rindex("]") + 1])
    assert printed[0]["name"] == "towns/1/payRuns/r1"
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    values = list(sheet.values)
    assert values[0][:3] == ("乡镇", "工作人员", "姓名")
    assert values[0][-2:] == ("考核提取（元）", "考核发放（元）")
    assert values[1][3] == "252/260 (0.966)"
    assert values[1][4] == "0/0 (-)"
    assert values[1][-1] == 1765.92
    assert values[2][-2:] == (2700.0, 1933.36)


def test_pay_all_runs_every_town_and_lists_the_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    _fake_gateway(monkeypatch, calls)
    result = CliRunner().invoke(app, ["assess", "pay", "--all", "--period", "2026H1"])
    assert result.exit_code == 0, result.output
    assert calls == ["GET /v1/towns", "POST /v1/towns/-/payRuns:batchCreate"]
    assert "towns/2: A2: no facts (rule A2)" in result.output
    assert "3699.28" in result.output


def test_a_what_if_under_the_pool_rule_saves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    _fake_gateway(monkeypatch, calls)
    result = CliRunner().invoke(
        app, ["assess", "pay", "--town", "towns/1", "--period", "2026H1", "--rule", "pool"]
    )
    assert result.exit_code == 0, result.output
    assert calls == ["POST /v1/towns/1/payRuns:preview"]
