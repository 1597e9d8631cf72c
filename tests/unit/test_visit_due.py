"""What is due (rules V1, V8, V9): computed per ISO week (CST) from the roster's history and the
visits recorded."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from sgz_runtime.errors import InvalidArgument, NotFound
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.visit_fakes import (
    TOWN,
    VILLAGE,
    FakeVisitUnitOfWork,
    cst,
    roster,
    timeline,
    visit,
)
from visit_svc.adapters.roster_client import FakeRosterClient
from visit_svc.domain.policy import VisitPolicy
from visit_svc.domain.timeline import PersonStatus, SubstituteSpan
from visit_svc.domain.weeks import IsoWeek, local_date
from visit_svc.service_layer.due import person_weeks, weekly_due
from visit_svc.service_layer.visits import record_visit

CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, TOWN)
W47 = IsoWeek(2026, 47)  # Monday 2026-11-16
NOW = cst(date(2026, 12, 1), 12)


def _clock() -> datetime:
    return NOW


def _visit(
    uow: FakeVisitUnitOfWork,
    client: FakeRosterClient,
    person: str,
    at: datetime,
    worker: str = "workers/wang",
) -> None:
    record_visit(uow, client, CHIEF, visit(person, at, worker), "", clock=_clock, skew=timedelta(0))


def test_week_lists_due_visited_and_not_yet_visited_persons() -> None:
    """Rule V1: every dispersed person at least once a week."""
    uow = FakeVisitUnitOfWork()
    client = roster(timeline("persons/p1"), timeline("persons/p2"), timeline("persons/p3"))
    _visit(uow, client, "persons/p1", cst(W47.monday + timedelta(days=2)))
    result = weekly_due(uow, client, CHIEF, TOWN, "", W47)
    assert [d.person for d in result.due] == ["persons/p1", "persons/p2", "persons/p3"]
    assert [d.person for d in result.visited] == ["persons/p1"]
    assert [d.person for d in result.not_visited] == ["persons/p2", "persons/p3"]


def test_the_week_is_monday_to_sunday_in_china_standard_time() -> None:
    """Rule V1: a visit at 23:30 CST on Sunday belongs to that week though it is Sunday
    15:30 UTC; one at 00:30 CST on Monday belongs to the next week."""
    uow = FakeVisitUnitOfWork()
    client = roster(timeline("persons/p1"), timeline("persons/p2"))
    _visit(uow, client, "persons/p1", cst(W47.sunday, 23, 30))
    _visit(uow, client, "persons/p2", cst(W47.monday + timedelta(days=7), 0, 30))
    assert local_date(cst(W47.sunday, 23, 30)) == W47.sunday
    result = weekly_due(uow, client, CHIEF, TOWN, "", W47)
    assert [d.person for d in result.visited] == ["persons/p1"]
    nxt = weekly_due(uow, client, CHIEF, TOWN, "", W47.next())
    assert [d.person for d in nxt.visited] == ["persons/p2"]


def test_a_person_moved_to_an_institution_is_not_due_from_that_date() -> None:
    """Rule V8: moved on Wednesday of W47 -> due in W47 (home on Monday and Tuesday), not after."""
    uow = FakeVisitUnitOfWork()
    wednesday = W47.monday + timedelta(days=2)
    client = roster(timeline("persons/p1", moved_on=wednesday))
    assert [d.person for d in weekly_due(uow, client, CHIEF, TOWN, "", W47).due] == ["persons/p1"]
    assert weekly_due(uow, client, CHIEF, TOWN, "", W47.next()).due == []


@pytest.mark.parametrize("status", [PersonStatus.DECEASED, PersonStatus.HOSPITALISED])
def test_deceased_or_hospitalised_persons_are_not_due(status: PersonStatus) -> None:
    """Rules V1, V8: only a dispersed person is visited at home."""
    client = roster(timeline("persons/p1", moved_on=W47.monday, status=status))
    assert weekly_due(FakeVisitUnitOfWork(), client, CHIEF, TOWN, "", W47).due == []


def test_the_weekly_frequency_is_the_policy_of_the_week() -> None:
    """Rule V1: the frequency is dated data; two visits required from the v2 date."""
    uow = FakeVisitUnitOfWork()
    uow.state.policies.append(VisitPolicy("v2", W47.monday, 2, timedelta(hours=24), ()))
    client = roster(timeline("persons/p1"))
    _visit(uow, client, "persons/p1", cst(W47.monday))
    (due,) = weekly_due(uow, client, CHIEF, TOWN, "", W47).due
    assert (due.required, due.made, due.visited) == (2, 1, False)
    _visit(uow, client, "persons/p1", cst(W47.monday + timedelta(days=3)))
    (due,) = weekly_due(uow, client, CHIEF, TOWN, "", W47).due
    assert due.visited


def test_a_workers_list_holds_their_caseload_and_the_persons_they_stand_in_for() -> None:
    """Rules V1, V9."""
    sub = SubstituteSpan(W47.monday, W47.monday + timedelta(days=3), "workers/zhao", "workers/wang")
    client = roster(
        timeline("persons/p1"),
        timeline("persons/p2", worker="workers/zhao", substitutes=(sub,)),
        timeline("persons/p3", worker="workers/zhao"),
    )
    result = weekly_due(FakeVisitUnitOfWork(), client, CHIEF, VILLAGE, "workers/wang", W47)
    assert [d.person for d in result.due] == ["persons/p1", "persons/p2"]
    worker = Caller("users/wang", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/wang")
    mine = weekly_due(FakeVisitUnitOfWork(), client, worker, TOWN, "", W47)
    assert [d.person for d in mine.due] == ["persons/p1", "persons/p2"]


def test_a_person_shows_the_weeks_missed_but_not_the_week_still_running() -> None:
    """Rule V1: a week is missed once it is over without the visits required."""
    uow = FakeVisitUnitOfWork()
    client = roster(timeline("persons/p1"))
    _visit(uow, client, "persons/p1", cst(W47.monday))
    running = IsoWeek.of(NOW.date())
    due, missed = person_weeks(uow, client, CHIEF, "persons/p1", IsoWeek(2026, 45), running, _clock)
    assert [str(d.week) for d in due] == [
        "2026-W45",
        "2026-W46",
        "2026-W47",
        "2026-W48",
        "2026-W49",
    ]
    assert [str(d.week) for d in missed] == ["2026-W45", "2026-W46", "2026-W48"]


def test_an_unknown_person_has_no_weeks() -> None:
    with pytest.raises(NotFound):
        person_weeks(FakeVisitUnitOfWork(), roster(), CHIEF, "persons/x", W47, W47, _clock)


def test_another_towns_due_is_not_found() -> None:
    other = Caller("users/o", Role.STATION_CHIEF, ScopeLevel.TOWN, "towns/other")
    with pytest.raises(NotFound):
        weekly_due(FakeVisitUnitOfWork(), roster(), other, TOWN, "", W47)


def test_a_malformed_parent_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        weekly_due(FakeVisitUnitOfWork(), roster(), CHIEF, "villages/x", "", W47)
