"""The views compose the services' answers, ask only what the caller's role may see, and say
why a part is missing; with a fake host standing for the gateway."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from gateway import views
from gateway.authorization import Access
from sgz_runtime.errors import NotFound, PermissionDenied
from sgz_runtime.identity import Caller, Role, ScopeLevel

CHIEF = Caller("accounts/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, "towns/a")
EVERYONE = frozenset(r for r in Role)


class FakeHost:
    """Answers by RPC from a table; refuses what `refusals` names; records what was asked."""

    def __init__(self, answers: dict[str, Any], roles: dict[str, frozenset[Role]] | None = None):
        self.answers = answers
        self.roles = roles or {}
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def access_of(self, grpc_path: str) -> Access | None:
        if grpc_path not in self.answers:
            return None
        return Access(self.roles.get(grpc_path, EVERYONE), read_only=True)

    async def call_json(
        self, grpc_path: str, request: dict[str, Any], caller: Caller
    ) -> dict[str, Any]:
        self.asked.append((grpc_path, request))
        answer = self.answers[grpc_path]
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)


def _dashboard(host: FakeHost) -> dict[str, Any]:
    return asyncio.run(views.town_dashboard(host, CHIEF, "towns/a", today=dt.date(2026, 11, 29)))


WEEK = {
    "week": "2026-W48",
    "due": [
        {"person": "persons/p1", "visited": True},
        {"person": "persons/p2", "visited": False},
    ],
    "dueCount": 2,
    "visitedCount": 1,
    "notVisitedCount": 1,
}


def test_the_dashboard_shows_the_week_and_every_part_the_role_may_see() -> None:
    host = FakeHost(
        {
            views.GET_WEEKLY_DUE: WEEK,
            views.LIST_ESCALATIONS: {"escalations": [{"name": "escalations/e1"}]},
            views.GET_TOWN_STAFFING: {"required": 3, "active": 2, "shortfall": 1},
            views.GET_PERIOD: {"name": "towns/a/periods/2026H2", "stationBalance": {"fen": "5"}},
            views.GET_RENEWAL_REPORT: {"rows": [{"contract": "workers/w/contracts/c"}]},
            views.LIST_TRAINING_HOURS: {"trainingHours": [{"worker": "workers/w"}]},
        }
    )
    board = _dashboard(host)
    assert (board["dueCount"], board["visitedCount"], board["missingCount"]) == (2, 1, 1)
    assert board["missing"] == [{"person": "persons/p2", "visited": False}]
    assert board["overdueEscalations"] == [{"name": "escalations/e1"}]
    assert board["staffing"]["shortfall"] == 1
    assert board["subsidy"]["name"] == "towns/a/periods/2026H2"
    assert board["contractsEndingSoon"] == [{"contract": "workers/w/contracts/c"}]
    assert board["trainingShortfalls"] == [{"worker": "workers/w"}]
    assert board["unavailable"] == {}
    asked = dict(host.asked)
    assert asked[views.GET_PERIOD] == {"name": "towns/a/periods/2026H2"}
    # 90 days on from 2026-11-29 is 2027-02-27.
    assert asked[views.GET_RENEWAL_REPORT]["endingBefore"] == {"year": 2027, "month": 2, "day": 27}
    assert asked[views.LIST_ESCALATIONS]["view"] == "ESCALATION_VIEW_OVERDUE"


def test_a_part_the_role_may_not_call_is_not_asked_and_says_why() -> None:
    host = FakeHost(
        {
            views.GET_WEEKLY_DUE: WEEK,
            views.LIST_ESCALATIONS: {"escalations": []},
            views.GET_TOWN_STAFFING: {"required": 3},
            views.GET_PERIOD: {},
            views.GET_RENEWAL_REPORT: NotFound("towns/a"),
        },
        roles={views.GET_PERIOD: frozenset({Role.CITY_FINANCE})},
    )
    board = _dashboard(host)
    assert board["subsidy"] is None
    assert "station_chief" in board["unavailable"]["subsidy"]
    assert views.GET_PERIOD not in dict(host.asked)
    assert board["contractsEndingSoon"] is None  # the service refused
    assert board["trainingShortfalls"] is None  # not deployed
    assert set(board["unavailable"]) == {"subsidy", "contractsEndingSoon", "trainingShortfalls"}
    assert board["staffing"] == {"required": 3}


def test_a_town_the_caller_may_not_see_is_not_found() -> None:
    host = FakeHost({views.GET_WEEKLY_DUE: PermissionDenied("towns/b is outside")})
    with pytest.raises(NotFound):
        asyncio.run(views.town_dashboard(host, CHIEF, "towns/b"))


def test_a_persons_overview_gathers_visits_and_their_open_escalations() -> None:
    host = FakeHost(
        {
            views.GET_PERSON: {"name": "persons/p1", "town": "towns/a"},
            views.LIST_VISITS: {"visits": [{"name": "visits/v1", "person": "persons/p1"}]},
            views.LIST_ESCALATIONS: {
                "escalations": [
                    {"name": "escalations/e1", "person": "persons/p1"},
                    {"name": "escalations/e2", "person": "persons/p9"},
                ]
            },
            views.LIST_MISSED_WEEKS: {"missedWeeks": ["2026-W45"]},
        }
    )
    overview = asyncio.run(views.person_overview(host, CHIEF, "persons/p1"))
    assert overview["person"]["name"] == "persons/p1"
    assert [v["name"] for v in overview["recentVisits"]] == ["visits/v1"]
    assert [e["name"] for e in overview["openEscalations"]] == ["escalations/e1"]
    assert overview["missedWeeks"] == ["2026-W45"]
    assert dict(host.asked)[views.LIST_ESCALATIONS]["parent"] == "towns/a"


def test_a_person_the_caller_may_not_see_is_not_found() -> None:
    host = FakeHost({views.GET_PERSON: NotFound("persons/p1")})
    with pytest.raises(NotFound):
        asyncio.run(views.person_overview(host, CHIEF, "persons/p1"))
