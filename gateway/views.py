"""Views front-ends need, each one call: a person's overview and a town's dashboard.

The gateway composes them from the services' RPCs, each made with the caller's own identity, so
every service still filters by the caller's scope, and each part is asked only when the route
table lets the caller's role call its RPC. A part the role may not see, or whose service
refuses or is down, is `null`, with the reason under `unavailable`: the rest of the view still
answers. Who may call a view comes from the same table: the roles of its main RPC.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.authorization import Access, NativeRoute
from sgz_runtime import china_time
from sgz_runtime.errors import DomainError, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role
from sgz_runtime.periods import Period

GET_PERSON = "/sgz.roster.v1.RosterService/GetPerson"
LIST_VISITS = "/sgz.visit.v1.VisitService/ListVisits"
LIST_ESCALATIONS = "/sgz.visit.v1.VisitService/ListEscalations"
LIST_MISSED_WEEKS = "/sgz.visit.v1.VisitService/ListMissedWeeks"
GET_WEEKLY_DUE = "/sgz.visit.v1.VisitService/GetWeeklyDue"
GET_TOWN_STAFFING = "/sgz.hr.v1.HrService/GetTownStaffing"
GET_PERIOD = "/sgz.finance.v1.FinanceService/GetPeriod"
GET_RENEWAL_REPORT = "/sgz.hr.v1.HrService/GetRenewalReport"
LIST_TRAINING_HOURS = "/sgz.hr.v1.HrService/ListTrainingHours"
#: Contracts ending within this many days are "ending soon" on the dashboard.
CONTRACTS_SOON_DAYS = 90
RECENT_VISITS = 10


class Unanswered(Exception):
    """A part of a view that is not shown: the caller's role may not see it, or its service
    refused or is down. `text` says which, for the reader."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class ViewHost(Protocol):
    """What a view needs of the gateway."""

    def access_of(self, grpc_path: str) -> Access | None: ...

    async def call_json(
        self, grpc_path: str, request: dict[str, Any], caller: Caller
    ) -> dict[str, Any]: ...


async def _part(
    host: ViewHost, caller: Caller, grpc_path: str, request: dict[str, Any]
) -> dict[str, Any]:
    access = host.access_of(grpc_path)
    if access is None:
        raise Unanswered(tr("this part's service is not deployed").render())
    if not access.allows(caller.role):
        raise Unanswered(
            tr("the role {role} may not see this part", role=caller.role.value).render()
        )
    try:
        return await host.call_json(grpc_path, request, caller)
    except DomainError as exc:
        raise Unanswered(exc.text.render()) from None


async def _optional(name: str, unavailable: dict[str, str], work: Awaitable[Any]) -> Any:
    try:
        return await work
    except Unanswered as exc:
        unavailable[name] = exc.text
        return None


async def person_overview(host: ViewHost, caller: Caller, person: str) -> dict[str, Any]:
    """The person (roster), their recent visits, their open escalations and missed weeks."""
    try:
        found = await _part(host, caller, GET_PERSON, {"name": person})
    except Unanswered:
        raise NotFound(person) from None  # nothing about a person the caller may not see
    unavailable: dict[str, str] = {}

    async def open_escalations() -> list[Any]:
        answer = await _part(
            host,
            caller,
            LIST_ESCALATIONS,
            {"parent": found["town"], "view": "ESCALATION_VIEW_OPEN", "pageSize": 1000},
        )
        return [e for e in answer.get("escalations", []) if e.get("person") == person]

    async def recent_visits() -> list[Any]:
        answer = await _part(
            host, caller, LIST_VISITS, {"person": person, "pageSize": RECENT_VISITS}
        )
        return list(answer.get("visits", []))

    async def missed_weeks() -> list[Any]:
        answer = await _part(host, caller, LIST_MISSED_WEEKS, {"person": person})
        return list(answer.get("missedWeeks", []))

    visits, escalations, missed = await asyncio.gather(
        _optional("recentVisits", unavailable, recent_visits()),
        _optional("openEscalations", unavailable, open_escalations()),
        _optional("missedWeeks", unavailable, missed_weeks()),
    )
    return {
        "person": found,
        "recentVisits": visits,
        "openEscalations": escalations,
        "missedWeeks": missed,
        "unavailable": unavailable,
    }


def _date(day: dt.date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


async def town_dashboard(
    host: ViewHost, caller: Caller, town: str, *, today: dt.date | None = None
) -> dict[str, Any]:
    """This week's due, visited and missing; escalations past their deadline; and, as far as
    the caller's role may see them, staffing shortfall, the period's subsidy balance,
    contracts ending soon and training shortfalls."""
    day = today or china_time.today()
    try:
        week = await _part(host, caller, GET_WEEKLY_DUE, {"parent": town})
    except Unanswered:
        raise NotFound(town) from None
    unavailable: dict[str, str] = {}
    half = Period.parse(f"{day.year}H{1 if day.month <= 6 else 2}")

    async def overdue() -> list[Any]:
        answer = await _part(
            host,
            caller,
            LIST_ESCALATIONS,
            {"parent": town, "view": "ESCALATION_VIEW_OVERDUE", "pageSize": 1000},
        )
        return list(answer.get("escalations", []))

    async def staffing() -> Any:
        return await _part(host, caller, GET_TOWN_STAFFING, {"name": f"{town}/staffing"})

    async def subsidy() -> Any:
        return await _part(host, caller, GET_PERIOD, {"name": f"{town}/periods/{half}"})

    async def contracts() -> list[Any]:
        answer = await _part(
            host,
            caller,
            GET_RENEWAL_REPORT,
            {
                "parent": town,
                "endingBefore": _date(day + dt.timedelta(days=CONTRACTS_SOON_DAYS)),
            },
        )
        return list(answer.get("rows", []))

    async def training() -> list[Any]:
        answer = await _part(
            host, caller, LIST_TRAINING_HOURS, {"parent": town, "year": day.year, "shortOnly": True}
        )
        return list(answer.get("trainingHours", []))

    found = await asyncio.gather(
        _optional("overdueEscalations", unavailable, overdue()),
        _optional("staffing", unavailable, staffing()),
        _optional("subsidy", unavailable, subsidy()),
        _optional("contractsEndingSoon", unavailable, contracts()),
        _optional("trainingShortfalls", unavailable, training()),
    )
    due = list(week.get("due", []))
    return {
        "town": town,
        "week": week.get("week", ""),
        "dueCount": week.get("dueCount", len(due)),
        "visitedCount": week.get("visitedCount", 0),
        "missingCount": week.get("notVisitedCount", 0),
        "missing": [d for d in due if not d.get("visited")],
        "overdueEscalations": found[0],
        "staffing": found[1],
        "subsidy": found[2],
        "contractsEndingSoon": found[3],
        "trainingShortfalls": found[4],
        "unavailable": unavailable,
    }


def view_routes(host: Callable[[], ViewHost | None]) -> list[NativeRoute]:
    """The views' routes; each is open to the roles of its main RPC (read from the table when
    the host is known, else to nobody: a route must never be open by default)."""

    def access(grpc_path: str) -> Access:
        found = host()
        declared = found.access_of(grpc_path) if found is not None else None
        return declared or Access(frozenset(), read_only=True, declared=False)

    def serve(main: str, view: Callable[[ViewHost, Caller, Request], Awaitable[Any]]) -> Any:
        async def endpoint(request: Request, caller: Caller | None) -> Response:
            found = host()
            assert found is not None and caller is not None
            return JSONResponse(await view(found, caller, request))

        return endpoint

    async def overview(found: ViewHost, caller: Caller, request: Request) -> Any:
        return await person_overview(found, caller, f"persons/{request.path_params['person']}")

    async def dashboard(found: ViewHost, caller: Caller, request: Request) -> Any:
        return await town_dashboard(found, caller, f"towns/{request.path_params['town']}")

    return [
        NativeRoute(
            "GET",
            "/v1/persons/{person}:overview",
            serve(GET_PERSON, overview),
            access(GET_PERSON),
            _operation("Views_PersonOverview", "A person's overview", "person"),
        ),
        NativeRoute(
            "GET",
            "/v1/towns/{town}:dashboard",
            serve(GET_WEEKLY_DUE, dashboard),
            # The roles that oversee a town's week; a worker's own week is GET .../weeklyDue.
            _without(access(GET_WEEKLY_DUE), Role.STATION_WORKER),
            _operation("Views_TownDashboard", "A town's dashboard", "town"),
        ),
    ]


def _without(access: Access, role: Role) -> Access:
    return Access(access.roles - {role}, access.read_only, access.declared)


_ERROR = {"$ref": "#/components/responses/Error"}


def _operation(operation_id: str, summary: str, parameter: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "tags": ["Views"],
        "summary": summary,
        "description": (
            "Composed by the gateway from the services' RPCs in one call; a part the caller "
            "may not see is null, with the reason under `unavailable`."
        ),
        "parameters": [
            {"name": parameter, "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["unavailable"],
                            "properties": {
                                "unavailable": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                }
                            },
                            "additionalProperties": True,
                        }
                    }
                },
            },
            **{s: _ERROR for s in ("400", "401", "403", "404", "503")},
            "default": _ERROR,
        },
    }
