"""A small city for the console's browser tests, built through the public HTTP API as the
gateway's development caller (requests without a bearer token, tests only): two towns, a village
each, a worker with three persons, and one account per role the tests sign in with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "Console-test-2026!"


def id_number(seed: int) -> str:
    """A valid 18-digit resident ID (rule R2) born 1940-1989, from seed (16.8 million apart)."""
    month, day = 1 + seed // 1000 % 12, 1 + seed // 12000 % 28
    body = f"320621{1940 + seed // 336000 % 50}{month:02d}{day:02d}{seed % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(a) * w for a, w in zip(body, weights, strict=True)) % 11]


def ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, f"{answer.request.method} {answer.request.url}: {answer.text}"
    return answer.json()


@dataclass
class Account:
    username: str
    password: str
    role: str
    scope: str


@dataclass
class City:
    town: str
    village: str
    worker: str
    persons: dict[str, str]  # display name -> persons/{p}
    other_town: str
    other_person: str
    #: None while the gateway has no accounts (login not landed): the console then runs in
    #: development mode and the tests pick the role instead of signing in.
    accounts: dict[str, Account] | None = field(default=None)


def has_login(client: httpx.Client) -> bool:
    """Whether the gateway serves the accounts login (else only its development caller)."""
    return client.get("/v1/auth/me").status_code != 404


def _town(client: httpx.Client, name: str, code: str) -> tuple[str, str]:
    town_id = f"t{uuid.uuid4().hex[:8]}"
    town = ok(
        client.post(
            "/v1/towns",
            params={"townId": town_id},
            json={"displayName": name, "administrativeCode": code, "kind": "TOWN_KIND_TOWN"},
        )
    )["name"]
    village = ok(
        client.post(
            f"/v1/{town}/villages",
            params={"villageId": "xinhua"},
            json={"displayName": "新华村", "kind": "VILLAGE_KIND_VILLAGE"},
        )
    )["name"]
    return town, village


def _person(client: httpx.Client, village: str, name: str, worker: str) -> str:
    person = {"displayName": name, "idNumber": id_number(uuid.uuid4().int), "village": village}
    start = {"year": 2024, "month": 1, "day": 1}
    answer = client.post("/v1/persons", json={"person": person, "startDate": start})
    if answer.status_code == 400:  # CreatePerson with `body: "person"`: the date in the query
        answer = client.post(
            "/v1/persons",
            params={f"startDate.{k}": str(v) for k, v in start.items()},
            json=person,
        )
    created: str = ok(answer)["name"]
    ok(client.post(f"/v1/{created}/assignments", json={"worker": worker, "startDate": start}))
    indicators = ("eating", "dressing", "transferring", "toileting", "indoorWalking", "bathing")
    assessment: dict[str, Any] = {i: "INDICATOR_ANSWER_ABLE" for i in indicators}  # R3: self-care
    assessment |= {"assessor": "评估中心", "assessmentDate": start}
    ok(client.post(f"/v1/{created}/assessments", json=assessment))
    return created


def _account(client: httpx.Client, role: str, level: str, scope: str, display: str) -> Account:
    username = f"{role.replace('_', '')}{uuid.uuid4().hex[:6]}"
    ok(
        client.post(
            "/v1/accounts",
            json={
                "username": username,
                "displayName": display,
                "role": role,
                "scopeLevel": level,
                "scope": scope,
                "password": PASSWORD,
            },
        )
    )
    return Account(username, PASSWORD, role, scope)


def build(base_url: str) -> City:
    """The city, made anew (fresh ids) on the running stack at base_url."""
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        seed = uuid.uuid4().int
        town, village = _town(client, "城东镇", f"320621{100 + seed % 400:03d}")
        other_town, other_village = _town(client, "城西镇", f"320621{500 + seed % 400:03d}")
        worker = ok(
            client.post(
                "/v1/workers",
                json={"displayName": "王芳", "town": town, "role": "WORKER_ROLE_STATION_WORKER"},
            )
        )["name"]
        other_worker = ok(
            client.post(
                "/v1/workers",
                json={
                    "displayName": "赵强",
                    "town": other_town,
                    "role": "WORKER_ROLE_STATION_WORKER",
                },
            )
        )["name"]
        names = ("李四", "张三", "陈五")
        persons = {name: _person(client, village, name, worker) for name in names}
        other_person = _person(client, other_village, "周六", other_worker)
        city = City(town, village, worker, persons, other_town, other_person)
        if has_login(client):
            city.accounts = {
                "worker": _account(client, "station_worker", "caseload", worker, "王芳"),
                "chief": _account(client, "station_chief", "town", town, "刘站长"),
                "finance": _account(client, "city_finance", "city", "", "市财政局经办"),
                "checker": _account(client, "city_finance", "city", "", "市财政局复核"),
            }
        return city


def bearer(client: httpx.Client, account: Account) -> dict[str, str]:
    """The Authorization header of a fresh login of the account."""
    login = {"username": account.username, "password": account.password}
    token = ok(client.post("/v1/auth:login", json=login))["accessToken"]
    return {"Authorization": f"Bearer {token}"}


def fund_period(base_url: str, city: City, period: str) -> int:
    """The town's period allocated (computed by one finance officer, approved by another, rule
    F1) and disbursed down to the station, nothing spent: the station holds it all. Returns the
    amount in fen."""
    assert city.accounts is not None
    name = f"{city.town}/periods/{period}"
    year = int(period[:4])
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        for path, body in (
            (
                "/v1/minimumWages",
                {"effectiveDate": _day(year - 1, 1, 1), "monthly": {"fen": "249000"}},
            ),
            (
                "/v1/careStandards",
                {
                    "effectiveDate": _day(year, 1, 1),
                    "amounts": [
                        {"careLevel": "CARE_LEVEL_SELF_CARE", "monthly": {"fen": "15000"}},
                        {"careLevel": "CARE_LEVEL_PARTIAL", "monthly": {"fen": "40000"}},
                        {"careLevel": "CARE_LEVEL_FULL_LOSS", "monthly": {"fen": "80000"}},
                    ],
                },
            ),
        ):
            answer = client.post(path, json=body)
            assert answer.status_code in (200, 409), answer.text  # 409: an earlier run's
        maker = bearer(client, city.accounts["finance"])
        checker = bearer(client, city.accounts["checker"])
        computed = ok(client.post(f"/v1/{name}/allocations:compute", json={}, headers=maker))
        (allocation,) = computed["allocations"]
        ok(client.post(f"/v1/{allocation['name']}:approve", json={}, headers=checker))
        amount = allocation["amount"]
        for leg in ("DISBURSEMENT_LEG_CITY_TO_TOWN", "DISBURSEMENT_LEG_TOWN_TO_STATION"):
            body = {"leg": leg, "amount": amount, "requestId": f"{name}/{leg}"}
            ok(client.post(f"/v1/{name}/disbursements", json=body, headers=maker))
        return int(amount["fen"])


def _day(year: int, month: int, day: int) -> dict[str, int]:
    return {"year": year, "month": month, "day": day}
