"""Staffing use cases against fakes (rules H1, H2): the town view, the city view paged in
order of town, the shortfall filter, and an unknown town refused naming H1."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hr_svc.domain.workers import WorkerRole
from hr_svc.service_layer import commands, staffing, workers
from sgz_runtime.errors import NotFound, PermissionDenied
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.hr_fakes import TEST_VAULT, FakeRosterClient, FakeUnitOfWork

CITY = Caller("users/city", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, "towns/b")
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
ROSTER = FakeRosterClient({"towns/a": 18, "towns/b": 19, "towns/c": 40})


def _staff(uow: FakeUnitOfWork, town: str, count: int) -> None:
    for _ in range(count):
        workers.create_worker(
            commands.CreateWorker(
                display_name="王芳", town=town, role=WorkerRole.STATION_WORKER,
                start_date=date(2025, 1, 1),
            ),
            uow, ROSTER, TEST_VAULT, caller=CITY, clock=lambda: NOW,
        )  # fmt: skip
    workers.create_worker(
        commands.CreateWorker(
            display_name="站长", town=town, role=WorkerRole.STATION_CHIEF,
            start_date=date(2025, 1, 1),
        ),
        uow, ROSTER, TEST_VAULT, caller=CITY, clock=lambda: NOW,
    )  # fmt: skip


def _uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    _staff(uow, "towns/a", 3)  # 18 villages: 3 required, met
    _staff(uow, "towns/b", 3)  # 19 villages: 4 required, 1 short
    _staff(uow, "towns/c", 5)  # 40 villages: 7 required, 2 short
    return uow


def test_h1_the_city_view_pages_in_town_order_and_filters_shortfalls() -> None:
    uow = _uow()
    on = date(2026, 3, 1)
    page, token = staffing.list_town_staffing(
        commands.ListTownStaffing(on=on, page_size=2), uow, ROSTER, caller=CITY
    )
    assert [(s.town, s.required, s.active, s.shortfall) for s, _ in page] == [
        ("towns/a", 3, 3, 0),
        ("towns/b", 4, 3, 1),
    ]
    rest, last = staffing.list_town_staffing(
        commands.ListTownStaffing(on=on, page_size=2, page_token=token), uow, ROSTER, caller=CITY
    )
    assert [(s.town, s.shortfall) for s, _ in rest] == [("towns/c", 2)] and last == ""
    short, _ = staffing.list_town_staffing(
        commands.ListTownStaffing(on=on, shortfall_only=True), uow, ROSTER, caller=CITY
    )
    assert [s.town for s, _ in short] == ["towns/b", "towns/c"]
    mine, _ = staffing.list_town_staffing(
        commands.ListTownStaffing(on=on), uow, ROSTER, caller=CHIEF
    )
    assert [s.town for s, _ in mine] == ["towns/b"]


def test_h1_an_unknown_town_is_not_found_naming_the_rule_and_another_town_is_refused() -> None:
    uow = _uow()
    with pytest.raises(NotFound) as info:
        staffing.get_town_staffing(
            commands.GetTownStaffing(town="towns/nowhere"), uow, ROSTER, caller=CITY
        )
    assert info.value.rule == "H1"
    with pytest.raises(PermissionDenied):
        staffing.get_town_staffing(
            commands.GetTownStaffing(town="towns/a"), uow, ROSTER, caller=CHIEF
        )
    got, basis = staffing.get_town_staffing(
        commands.GetTownStaffing(town="towns/b", on=date(2026, 3, 1)), uow, ROSTER, caller=CHIEF
    )
    assert (got.villages, got.required, got.active, got.has_chief) == (19, 4, 3, True)
    assert "no history of villages" in basis.render("en")
