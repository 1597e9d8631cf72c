"""A pay run end to end through the gateway with every service running as `sgz up` runs them
(rules A1-A4, F3): the roster's person assigned to an HR worker gives the visit facts, HR the
pay terms; the station chief sets a pool policy and a score, drafts, approves (retried: the
finance expense is posted once), a worker may not approve; `sgz assess pay` prints the run."""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

import httpx
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
        base_url=stack.url, timeout=60.0, headers={"Authorization": f"Bearer {token}"}
    )


def test_pay_run_approved_through_the_gateway_posts_the_expense_once(
    stack: RunningStack, tmp_path: Any
) -> None:
    dev = httpx.Client(base_url=stack.url, timeout=60.0)  # the development caller: civil affairs
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
    )["name"]
    hr = _as(stack, _account(dev, stack.url, "hr", "town", town))
    worker = _ok(
        hr.post(
            "/v1/workers",
            json={
                "displayName": "王芳",
                "town": town,
                "role": "WORKER_ROLE_STATION_WORKER",
                "startDate": "2023-07-01",
            },
        )
    )["name"]
    _ok(
        hr.post(
            f"/v1/{worker}/contracts",
            json={
                "kind": "CONTRACT_KIND_FIXED_TERM",
                "startDate": "2023-07-01",
                "probationMonths": 6,
                "monthlyBase": {"fen": "450000"},
            },
        )
    )
    person = _ok(
        dev.post(
            "/v1/persons",
            json={
                "person": {
                    "displayName": "李四",
                    "idNumber": _id_number(uuid.uuid4().int),
                    "village": village,
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
    _ok(dev.post(f"/v1/{person}/assignments", json={"worker": worker, "startDate": "2025-06-01"}))
    # Finance: 6 months x 800.00 for the full-loss person = 4,800.00 at the station (F1-F3).
    dev.post("/v1/minimumWages", json={"effectiveDate": "2025-01-01", "monthly": {"fen": "249000"}})
    levels = (("SELF_CARE", "15000"), ("PARTIAL", "40000"), ("FULL_LOSS", "80000"))
    dev.post(
        "/v1/careStandards",
        json={
            "effectiveDate": "2026-01-01",
            "amounts": [{"careLevel": f"CARE_LEVEL_{k}", "monthly": {"fen": v}} for k, v in levels],
        },
    )
    maker = _as(stack, _account(dev, stack.url, "city_finance", "city"))
    checker = _as(stack, _account(dev, stack.url, "city_finance", "city"))
    (allocation,) = _ok(maker.post(f"/v1/{period}/allocations:compute", json={}))["allocations"]
    _ok(checker.post(f"/v1/{allocation['name']}:approve", json={}))
    for leg, rid in (
        ("DISBURSEMENT_LEG_CITY_TO_TOWN", "d1"),
        ("DISBURSEMENT_LEG_TOWN_TO_STATION", "d2"),
    ):
        _ok(
            maker.post(
                f"/v1/{period}/disbursements",
                json={"leg": leg, "amount": allocation["amount"], "requestId": rid},
            )
        )

    chief = _as(stack, _account(dev, stack.url, "station_chief", "town", town))
    # The town pays by the pool rule from 2026 (A4): its one worker receives the whole pool.
    _ok(
        chief.post(
            f"/v1/{town}/payPolicies",
            json={
                "name": f"{town}/payPolicies/pool-2026",
                "effectiveDate": "2026-01-01",
                "weights": [
                    {"component": "COMPONENT_COVERAGE", "weight": 0.6},
                    {"component": "COMPONENT_MANUAL", "weight": 0.4},
                ],
                "payoutRule": "PAYOUT_RULE_POOL",
            },
        )
    )
    bad = chief.post(
        f"/v1/{town}/manualScores",
        json={"manualScore": {"worker": worker, "period": "2026H1", "score": 120, "reason": ""}},
    )
    assert bad.status_code == 400 and "A3" in bad.text
    _ok(
        chief.post(
            f"/v1/{town}/manualScores",
            json={
                "manualScore": {
                    "worker": worker,
                    "period": "2026H1",
                    "score": 85,
                    "reason": "承担低保复核",
                }
            },
        )
    )
    draft = _ok(chief.post(f"/v1/{town}/payRuns", json={"period": "2026H1"}))
    (line,) = draft["lines"]
    # A1 from HR: 4,500.00 x 10% x 6 months = 2,700.00; the pool rule pays it all.
    assert (line["withheld"]["fen"], line["paid"]["fen"]) == ("270000", "270000")
    coverage = next(m for m in line["metrics"] if m["component"] == "COMPONENT_COVERAGE")
    assert int(coverage["denominator"]) >= 25  # the person's weeks of 2026H1 (A2)

    worker_account = _as(stack, _account(dev, stack.url, "station_worker", "caseload", worker))
    refused = worker_account.post(f"/v1/{draft['name']}:approve", json={"requestId": "w"})
    assert refused.status_code == 403
    approve = {"requestId": "approve-" + town_id}
    first = _ok(chief.post(f"/v1/{draft['name']}:approve", json=approve))
    retried = _ok(chief.post(f"/v1/{draft['name']}:approve", json=approve))
    assert first["state"] == retried["state"] == "PAY_RUN_STATE_APPROVED"
    assert first["lines"][0]["expense"] == retried["lines"][0]["expense"] != ""
    again = chief.post(f"/v1/{draft['name']}:approve", json={"requestId": "another"})
    assert again.status_code == 400 and "A4" in again.text
    state = _ok(chief.get(f"/v1/{period}"))
    assert state["spent"]["fen"] == "270000"

    # The CLI, logged in as the chief: the what-if as JSON (nothing saved).
    credentials = tmp_path / "credentials.json"
    env = {**stack.env, "SGZ_CLI_CREDENTIALS": str(credentials), "SGZ_GATEWAY_URL": stack.url}
    username = _ok(chief.get("/v1/auth/me"))["username"]
    subprocess.run(
        sgz("login", "--username", username, "--password", PASSWORD),
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    shown = subprocess.run(
        sgz("assess", "pay", "--town", town_id, "--period", "2026H1", "--rule", "pool", "--json"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    (preview,) = json.loads(shown.stdout[: shown.stdout.rindex("]") + 1])
    assert preview["state"] == "PAY_RUN_STATE_PREVIEW"
    assert preview["totalPaid"]["fen"] == "270000"
    # --all, as the city: one BatchCreatePayRuns call; this town's approved run stands (A4).
    city = _as(stack, _account(dev, stack.url, "city_civil_affairs", "city"))
    city_env = {**env, "SGZ_CLI_CREDENTIALS": str(tmp_path / "city.json"), "COLUMNS": "200"}
    subprocess.run(
        sgz(
            "login", "--username", _ok(city.get("/v1/auth/me"))["username"], "--password", PASSWORD
        ),
        env=city_env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    every = subprocess.run(
        sgz("assess", "pay", "--all", "--period", "2026H1"),
        env=city_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert every.returncode == 0, every.stdout + every.stderr
    assert f"{town}: A4" in every.stdout
