"""The demo city, loaded by `sgz up` on a new data directory (`--no-demo` skips it): two towns,
a dozen villages, forty persons with their workers, three weeks of visits with a few problems
escalated, and one account per role with a random password, printed once.

Everything goes through the public HTTP API as the demo accounts would do it, so the demo is
also a smoke test of the stack. A marker file (`demo.state`) makes the decision once per data
directory: a real deployment started once with `--no-demo` never gets the demo later.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from gateway.accounts.app import open_accounts
from gateway.accounts.passwords import generated_password
from gateway.accounts.service import Bootstrap
from sgz_runtime.china_time import CST
from sgz_runtime.config import SERVICES, Settings
from sgz_runtime.i18n import Text, tr

MARKER = "demo.state"
TOWNS = (
    (
        "chengdong",
        "城东镇",
        "320621100",
        ("xinhua", "新华村"),
        ("dongfeng", "东风村"),
        ("hongqi", "红旗村"),
        ("shuangqiao", "双桥村"),
        ("yangjia", "杨家村"),
        ("hebin", "河滨社区"),
    ),
    (
        "xihu",
        "西湖镇",
        "320621101",
        ("taoyuan", "桃园村"),
        ("lijia", "李家村"),
        ("qianjin", "前进村"),
        ("nanhu", "南湖村"),
        ("baima", "白马村"),
        ("huxin", "湖心社区"),
    ),
)
WORKERS = (("王芳", "张伟", "刘洋"), ("陈静", "杨磊", "赵敏"))
SURNAMES = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("秀英", "桂兰", "玉兰", "建国", "国华", "凤英", "德明", "淑珍", "志强", "春梅")
CHECKS = (
    "residenceHygiene",
    "personalHygiene",
    "regularDiet",
    "foodSource",
    "ableToFeedSelf",
    "houseSafety",
    "illness",
)
#: Which person (by number) shows which problem in the latest week, so escalations of each
#: urgency exist: hygiene (prompt, cleaning), illness (prompt, hospital), an unsafe house
#: (immediate, institution).
PROBLEMS = {
    2: "residenceHygiene",
    9: "illness",
    14: "houseSafety",
    23: "personalHygiene",
    31: "houseSafety",
    37: "illness",
}
#: Persons with no visit in a week: the dashboards' "missing".
SKIPPED = {(5, 1), (12, 0), (18, 1), (27, 0), (33, 2), (6, 3), (21, 3)}
WEEKS = 3


@dataclass
class DemoAccount:
    role: str
    username: str
    password: str
    scope: str


@dataclass
class DemoCity:
    accounts: list[DemoAccount] = field(default_factory=list)
    towns: list[str] = field(default_factory=list)
    villages: list[str] = field(default_factory=list)
    workers: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    visits: int = 0
    escalations: int = 0
    #: What the demo left out, said once when it is printed.
    notes: list[Text] = field(default_factory=list)


def decide(settings: Settings, *, wanted: bool) -> bool:
    """Whether this start loads the demo: wanted, and the data directory is new (no marker and
    no database in it). Any other start leaves the marker, so the answer never changes."""
    data_dir = settings.data_dir
    marker = data_dir / MARKER
    if marker.exists():
        return False
    new = not any((data_dir / f"{name}.db").exists() for name in (*SERVICES, "gateway"))
    load = wanted and new
    if not load:
        _mark(marker, "declined" if new else "existing data")
    return load


def _mark(marker: Path, state: str) -> None:
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(state + "\n")
    os.chmod(marker, 0o600)


def _id_number(seed: int, birth: dt.date) -> str:
    """A valid resident ID number (rule R2) of Hai'an county (320621)."""
    body = f"320621{birth:%Y%m%d}{seed % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(a) * w for a, w in zip(body, weights, strict=True)) % 11]


def _date(day: dt.date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


class _Api:
    def __init__(self, client: httpx.Client, token: str = ""):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        answer = self.client.request(
            method, path, json=body, params=params or None, headers=self.headers
        )
        if answer.status_code != 200:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()

    def login(self, username: str, password: str) -> _Api:
        session = self.call("POST", "/v1/auth:login", {"username": username, "password": password})
        return _Api(self.client, session["accessToken"])


def load(settings: Settings, url: str, *, today: dt.date | None = None) -> DemoCity:
    """Loads the demo city into the stack at url; bootstraps its admin in the accounts DB."""
    city = DemoCity()
    admin_password = generated_password()
    accounts = open_accounts(settings)
    try:
        accounts.bootstrap(
            Bootstrap(
                username="demo.city", display_name="市民政局（演示）", password=admin_password
            )
        )
    finally:
        accounts.store.engine.dispose()
    city.accounts.append(DemoAccount("city_civil_affairs", "demo.city", admin_password, "city"))
    now = dt.datetime.now(CST)
    today = today or now.date()
    with httpx.Client(base_url=url, timeout=30.0) as client:
        admin = _Api(client).login("demo.city", admin_password)
        started = dt.date(today.year - 2, 1, 1)
        seed = 0
        for t, (town_id, town_name, code, *villages) in enumerate(TOWNS):
            town = admin.call(
                "POST",
                "/v1/towns",
                {"displayName": town_name, "administrativeCode": code, "kind": "TOWN_KIND_TOWN"},
                townId=town_id,
            )["name"]
            city.towns.append(town)
            town_villages = []
            for village_id, village_name in villages:
                kind = (
                    "VILLAGE_KIND_COMMUNITY"
                    if village_name.endswith("社区")
                    else "VILLAGE_KIND_VILLAGE"
                )
                village = admin.call(
                    "POST",
                    f"/v1/{town}/villages",
                    {
                        "displayName": village_name,
                        "kind": kind,
                        "contact": {"displayName": f"{village_name}民政专干"},
                    },
                    villageId=village_id,
                )["name"]
                town_villages.append(village)
            city.villages.extend(town_villages)
            workers = [
                admin.call(
                    "POST",
                    "/v1/workers",
                    {
                        "displayName": name,
                        "town": town,
                        "role": "WORKER_ROLE_STATION_WORKER",
                        "startDate": _date(started),
                    },
                )["name"]
                for name in WORKERS[t]
            ]
            city.workers.extend(workers)
            for i in range(20):
                n = t * 20 + i
                birth = dt.date(1938 + n % 25, 1 + n % 12, 1 + n % 27)
                person = admin.call(
                    "POST",
                    "/v1/persons",
                    {
                        "person": {
                            "displayName": SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)],
                            "idNumber": _id_number(seed * 2 + 1 + n, birth),
                            "village": town_villages[i % len(town_villages)],
                            "address": f"{i + 1}号",
                        },
                        "startDate": _date(started),
                    },
                )["name"]
                seed += 1
                admin.call(
                    "POST",
                    f"/v1/{person}/assignments",
                    {"worker": workers[i % len(workers)], "startDate": _date(started)},
                )
                city.persons.append(person)
        _create_accounts(admin, city)
        _record_visits(client, city, now)
        try:
            _hr_records(client, city, today)
        except RuntimeError as exc:  # HR's rules refused the demo's records: the rest stands
            city.notes.append(tr("HR records left out: {error}", error=str(exc)))
        try:
            _finance(client, admin, city, today)
        except RuntimeError as exc:  # the same for finance
            city.notes.append(tr("the subsidy left out: {error}", error=str(exc)))
    return city


#: Self-care assessments (rule R3) by person number: 4 of 6 indicators failed is full loss,
#: 1 to 3 partial, none self-care.
_UNABLE = (4, 2, 0, 1, 0, 5)
_INDICATORS = ("eating", "dressing", "transferring", "toileting", "indoorWalking", "bathing")


def _finance(client: httpx.Client, admin: _Api, city: DemoCity, today: dt.date) -> None:
    """The half-year's subsidy (rules F1, F2): each person's self-care assessment, the minimum
    wage and the care standard, the allocation computed by city finance and approved by a
    second finance account (maker-checker), disbursed to the town and on to the station."""
    assessed = dt.date(today.year - 2, 1, 1)
    for n, person in enumerate(city.persons):
        unable = _UNABLE[n % len(_UNABLE)]
        answers = {
            name: "INDICATOR_ANSWER_UNABLE" if i < unable else "INDICATOR_ANSWER_ABLE"
            for i, name in enumerate(_INDICATORS)
        }
        admin.call(
            "POST",
            f"/v1/{person}/assessments",
            {
                "assessor": "第三方评估中心（演示）",
                "assessmentDate": assessed.isoformat(),
                **answers,
            },
        )
    admin.call(
        "POST",
        "/v1/minimumWages",
        {"effectiveDate": f"{today.year - 1}-01-01", "monthly": {"fen": "249000"}},
    )
    levels = (("SELF_CARE", "15000"), ("PARTIAL", "40000"), ("FULL_LOSS", "80000"))
    admin.call(
        "POST",
        "/v1/careStandards",
        {
            "effectiveDate": f"{today.year}-01-01",
            "amounts": [{"careLevel": f"CARE_LEVEL_{k}", "monthly": {"fen": v}} for k, v in levels],
        },
    )
    checker_password = generated_password()
    admin.call(
        "POST",
        "/v1/accounts",
        {
            "username": "demo.finance.checker",
            "displayName": "demo.finance.checker（演示）",
            "role": "city_finance",
            "scopeLevel": "city",
            "scope": "",
            "password": checker_password,
        },
    )
    city.accounts.append(
        DemoAccount("city_finance", "demo.finance.checker", checker_password, "city")
    )
    maker_account = next(a for a in city.accounts if a.username == "demo.finance")
    maker = _Api(client).login(maker_account.username, maker_account.password)
    checker = _Api(client).login("demo.finance.checker", checker_password)
    half = f"{today.year}H{1 if today.month <= 6 else 2}"
    for town in city.towns:
        period = f"{town}/periods/{half}"
        (allocation,) = maker.call("POST", f"/v1/{period}/allocations:compute", {})["allocations"]
        checker.call("POST", f"/v1/{allocation['name']}:approve", {})
        for leg, rid in (
            ("DISBURSEMENT_LEG_CITY_TO_TOWN", "demo-d1"),
            ("DISBURSEMENT_LEG_TOWN_TO_STATION", "demo-d2"),
        ):
            maker.call(
                "POST",
                f"/v1/{period}/disbursements",
                {
                    "leg": leg,
                    "amount": allocation["amount"],
                    "requestId": f"{rid}-{town.split('/')[1]}",  # one id, one request
                },
            )


def _hr_records(client: httpx.Client, city: DemoCity, today: dt.date) -> None:
    """Contracts (one ending within the dashboard's 90 days) and this year's training hours
    (two workers short of H9's 30), recorded by each town's HR or chief."""
    recorders = {
        a.scope: _Api(client).login(a.username, a.password)
        for a in city.accounts
        if a.role in ("hr", "station_chief") and a.scope.startswith("towns/")
    }
    for w, worker in enumerate(city.workers):
        hr = recorders[city.towns[w // 3]]
        ends = today + dt.timedelta(days=60) if w == 0 else dt.date(today.year + 1, 12, 31)
        starts = dt.date(ends.year - 3, ends.month, ends.day) + dt.timedelta(days=1)
        hr.call(
            "POST",
            f"/v1/{worker}/contracts",
            {
                "kind": "CONTRACT_KIND_FIXED_TERM",
                "startDate": _date(starts),
                "endDate": _date(ends),
                "probationMonths": 6,
                "monthlyBase": {"fen": "450000"},
            },
        )
        for k, hours in enumerate(((16, 16), (12,), ())[w % 3]):
            hr.call(
                "POST",
                f"/v1/{worker}/trainingRecords",
                {
                    "kind": "TRAINING_KIND_TRAINING",
                    "tenthHours": hours * 10,
                    "provider": "市社工协会（演示）",
                    "date": _date(dt.date(today.year, 3, 2 + 7 * k)),
                },
            )


def _create_accounts(admin: _Api, city: DemoCity) -> None:
    town, other = city.towns
    wanted = [
        ("city_finance", "demo.finance", "city", ""),
        ("auditor", "demo.auditor", "city", ""),
        ("town_head", "demo.townhead", "town", town),
        ("station_chief", "demo.chief", "town", town),
        ("hr", "demo.hr", "town", town),
        ("station_worker", "demo.worker", "caseload", city.workers[0]),
        ("village_contact", "demo.village", "village", city.villages[0]),
        # Another town's chief: records that town's visits, and shows a town sees only itself.
        ("station_chief", "demo.chief.xihu", "town", other),
    ]
    for role, username, level, scope in wanted:
        password = generated_password()
        admin.call(
            "POST",
            "/v1/accounts",
            {
                "username": username,
                "displayName": f"{username}（演示）",
                "role": role,
                "scopeLevel": level,
                "scope": scope,
                "password": password,
            },
        )
        city.accounts.append(DemoAccount(role, username, password, scope or "city"))


def _record_visits(client: httpx.Client, city: DemoCity, now: dt.datetime) -> None:
    """WEEKS past weeks of visits and this week's where the day has come, each recorded by the
    town's chief for the assigned worker; a person's latest visit carries their problem, which
    opens an escalation."""
    chiefs = {
        a.scope: _Api(client).login(a.username, a.password)
        for a in city.accounts
        if a.role == "station_chief"
    }
    monday = now.date() - dt.timedelta(days=now.weekday())
    for n, person in enumerate(city.persons):
        town_index = n // 20
        chief = chiefs[city.towns[town_index]]
        worker = city.workers[town_index * 3 + (n % 20) % 3]
        times = [
            dt.datetime.combine(
                monday - dt.timedelta(weeks=week) + dt.timedelta(days=n % 3),
                dt.time(9 + n % 6, 10 * (n % 6)),
                tzinfo=CST,
            )
            for week in range(WEEKS, -1, -1)
            if (n, week) not in SKIPPED
        ]
        times = [at for at in times if at < now - dt.timedelta(minutes=5)]
        for k, at in enumerate(times):
            problem = PROBLEMS.get(n) if k == len(times) - 1 else None
            checks = {
                name: {"result": "CHECK_RESULT_PROBLEM", "note": "演示：需跟进"}
                if name == problem
                else {"result": "CHECK_RESULT_FINE"}
                for name in CHECKS
            }
            visit = chief.call(
                "POST",
                "/v1/visits",
                {
                    "visit": {
                        "person": person,
                        "worker": worker,
                        "visitTime": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                        "checks": checks,
                    },
                    "requestId": f"demo-{n}-{k}",
                },
            )
            city.visits += 1
            city.escalations += len(visit.get("escalations", []))


def load_and_print(settings: Settings, url: str, console: Console) -> DemoCity | None:
    """Loads the demo city and prints its accounts; says so and goes on if it cannot."""
    console.print(tr("Loading the demo city (sgz up --no-demo skips it) ...").render())
    started = time.monotonic()
    try:
        city = load(settings, url)
    except Exception as exc:  # the stack runs on without the demo
        said = tr("the demo city could not be loaded: {error}", error=str(exc)).render()
        console.print(said, soft_wrap=True, style="red", markup=False)
        _mark(settings.data_dir / MARKER, "failed")
        return None
    _mark(settings.data_dir / MARKER, "loaded")
    summary = tr(
        "Demo city: {towns} towns, {villages} villages, {workers} workers, {persons} persons, "
        "{visits} visits, {escalations} escalations ({seconds} s).",
        towns=len(city.towns),
        villages=len(city.villages),
        workers=len(city.workers),
        persons=len(city.persons),
        visits=city.visits,
        escalations=city.escalations,
        seconds=f"{time.monotonic() - started:.1f}",
    )
    console.print(summary.render(), soft_wrap=True)
    for note in city.notes:
        console.print(note.render(), soft_wrap=True, style="yellow", markup=False)
    console.print(
        tr("Demo accounts, shown once (log in with POST /v1/auth:login or `sgz login`):").render(),
        soft_wrap=True,
        markup=False,
    )
    for account in city.accounts:  # a data line for scripts, as it is in every language
        console.print(
            f"demo account: {account.role:<18} {account.username:<16} {account.password}  "
            f"{account.scope}",
            soft_wrap=True,
            highlight=False,
            markup=False,
        )
    return city
