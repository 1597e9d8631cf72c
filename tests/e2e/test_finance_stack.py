"""A disbursement period end to end through the gateway with every service running as `sgz up`
runs them (rules F1-F5): the roster's care months, two city-finance accounts (maker-checker),
the station chief's expense, a fraction of a fen refused in JSON, and `sgz finance close`
refused with the amount named, then closing after a return and writing the statement."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from tests.e2e.conftest import RunningStack, sgz

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough passphrase 2026"


def _id_number(seed: int) -> str:
    body = f"32062119{40 + seed % 50}0101{seed % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(a) * w for a, w in zip(body, weights, strict=True)) % 11]


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


def _account(dev: httpx.Client, url: str, role: str, level: str, scope: str = "") -> str:
    username = f"{role.replace('_', '')}{uuid.uuid4().hex[:6]}"
    _ok(
        dev.post(
            "/v1/accounts",
            json={
                "username": username,
                "displayName": username,
                "role": role,
                "scopeLevel": level,
                "scope": scope,
                "password": PASSWORD,
            },
        )
    )
    login = _ok(
        httpx.post(url + "/v1/auth:login", json={"username": username, "password": PASSWORD})
    )
    return str(login["accessToken"])


def _as(stack: RunningStack, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.url, timeout=30.0, headers={"Authorization": f"Bearer {token}"}
    )


def test_a_period_closes_only_at_zero_through_the_gateway_and_the_cli(
    stack: RunningStack, tmp_path: Path
) -> None:
    """One full-loss person all of 2026H1 at 800.00 元: allocation 4,800.00 元."""
    dev = httpx.Client(base_url=stack.url, timeout=30.0)  # the development caller: civil affairs
    town_id = f"t{uuid.uuid4().hex[:8]}"
    town = f"towns/{town_id}"
    period = f"{town}/periods/2026H1"
    _ok(
        dev.post(
            "/v1/towns",
            params={"townId": town_id},
            json={
                "displayName": "城东镇",
                "kind": "TOWN_KIND_TOWN",
                "administrativeCode": str(uuid.uuid4().int % 10**9).zfill(9),
            },
        )
    )
    village = _ok(
        dev.post(
            f"/v1/{town}/villages",
            params={"villageId": "xinhua"},
            json={"displayName": "新华村", "kind": "VILLAGE_KIND_VILLAGE"},
        )
    )
    person = _ok(
        dev.post(
            "/v1/persons",
            json={
                "person": {
                    "displayName": "李四",
                    "idNumber": _id_number(uuid.uuid4().int),
                    "village": village["name"],
                },
                "startDate": "2025-06-01",
            },
        )
    )["name"]
    unable = {
        k: "INDICATOR_ANSWER_UNABLE" for k in ("eating", "dressing", "transferring", "toileting")
    }
    _ok(
        dev.post(
            f"/v1/{person}/assessments",
            json={
                "assessor": "评估中心",
                "assessmentDate": "2025-06-01",
                **unable,
                "indoorWalking": "INDICATOR_ANSWER_ABLE",
                "bathing": "INDICATOR_ANSWER_ABLE",
            },
        )
    )
    _ok(
        dev.post(
            "/v1/minimumWages", json={"effectiveDate": "2025-01-01", "monthly": {"fen": "249000"}}
        )
    )
    levels = (("SELF_CARE", "15000"), ("PARTIAL", "40000"), ("FULL_LOSS", "80000"))
    _ok(
        dev.post(
            "/v1/careStandards",
            json={
                "effectiveDate": "2026-01-01",
                "amounts": [
                    {"careLevel": f"CARE_LEVEL_{k}", "monthly": {"fen": v}} for k, v in levels
                ],
            },
        )
    )
    maker = _as(stack, _account(dev, stack.url, "city_finance", "city"))
    checker = _as(stack, _account(dev, stack.url, "city_finance", "city"))
    chief = _as(stack, _account(dev, stack.url, "station_chief", "town", town))

    (allocation,) = _ok(maker.post(f"/v1/{period}/allocations:compute", json={}))["allocations"]
    assert allocation["amount"]["fen"] == "480000"
    refused = maker.post(f"/v1/{allocation['name']}:approve", json={})
    assert refused.status_code == 400 and "F1" in refused.text  # maker-checker
    _ok(checker.post(f"/v1/{allocation['name']}:approve", json={}))
    for leg, rid in (
        ("DISBURSEMENT_LEG_CITY_TO_TOWN", "d1"),
        ("DISBURSEMENT_LEG_TOWN_TO_STATION", "d2"),
    ):
        _ok(
            maker.post(
                f"/v1/{period}/disbursements",
                json={"leg": leg, "amount": {"fen": "480000"}, "requestId": rid},
            )
        )
    expense = {
        "category": "EXPENSE_CATEGORY_PERFORMANCE_PAY",
        "payee": "workers/w1",
        "evidence": "payRuns/r1",
    }
    fraction = chief.post(
        f"/v1/{period}/expenses",
        json={"expense": {**expense, "amount": {"fen": "12.5"}}, "requestId": "e0"},
    )
    assert fraction.status_code == 400  # a fraction of a fen, refused by the transcoder
    _ok(
        chief.post(
            f"/v1/{period}/expenses",
            json={"expense": {**expense, "amount": {"fen": "479999"}}, "requestId": "e1"},
        )
    )
    assert _ok(chief.get(f"/v1/{period}"))["stationBalance"]["fen"] == "1"

    # The CLI, logged in as the maker: refused with the amount, exit status 1.
    credentials = tmp_path / "credentials.json"
    env = {**stack.env, "SGZ_CLI_CREDENTIALS": str(credentials), "SGZ_GATEWAY_URL": stack.url}
    username = _ok(maker.get("/v1/auth/me"))["username"]
    subprocess.run(
        sgz("login", "--username", username, "--password", PASSWORD),
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    close = [
        *sgz(
            "finance",
            "close",
            "--town",
            town_id,
            "--period",
            "2026H1",
            "--output-dir",
            str(tmp_path),
        )
    ]
    first = subprocess.run(close, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "尚余 0.01 元" in first.stdout and "F4" in first.stdout
    _ok(
        chief.post(
            f"/v1/{period}/returns",
            json={"account": "ACCOUNT_STATION", "amount": {"fen": "1"}, "requestId": "r1"},
        )
    )
    second = subprocess.run(close, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    sheet = openpyxl.load_workbook(tmp_path / f"statement-{town_id}-2026H1.xlsx")["决算表"]
    rows = {row[0].value: row[2].value for row in sheet.iter_rows(min_row=2)}
    assert rows == {
        "期初余额": 0,
        "核定分配": 480000,
        "收到拨款": 480000,
        "支出：绩效工资": 479999,
        "退回市级": 1,
        "调整": 0,
        "期末余额": 0,
    }
    saved = json.loads((tmp_path / f"statement-{town_id}-2026H1.json").read_text())
    assert saved["statement"]["closing"] == 0
    assert _ok(chief.get(f"/v1/{period}"))["state"] == "PERIOD_STATE_CLOSED"
    assert _ok(maker.get(f"/v1/{town}:verifyPostings"))["holds"] is True
