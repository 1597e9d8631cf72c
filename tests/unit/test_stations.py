"""Stations (rules S1, S2): the six-haves check and the station use cases, with fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import TracebackType
from typing import Any

import pytest

from roster_svc.adapters.hr_client import FakeHrClient, WorkerInfo
from roster_svc.domain.places import Town, TownKind
from roster_svc.domain.stations import (
    Equipment,
    Have,
    HaveState,
    Staffing,
    Station,
    StationStandard,
    Timeliness,
    compliance,
    required_workers,
    standard_on,
)
from roster_svc.service_layer import stations
from roster_svc.station_settings import StationSettings
from sgz_runtime.errors import (
    Aborted,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from sgz_runtime.i18n import use_locale
from sgz_runtime.identity import Caller, Role, ScopeLevel

POLICY = StationStandard(effective_from=date(2021, 1, 1))
TODAY = date(2026, 11, 26)
CITY = Caller("users/city", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
TOWN_HEAD = Caller("users/head", Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/chengdong")
OTHER_TOWN = Caller("users/other", Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/xicheng")
WORKER = Caller("users/w", Role.STATION_WORKER, ScopeLevel.TOWN, "towns/chengdong")


def full_station(**changes: Any) -> Station:
    station = Station(
        town_id="chengdong",
        display_name="城东镇社会工作服务站",
        registered_date=date(2022, 6, 1),
        legal_representative="workers/chief",
        charity_plate_hung=True,
        office_area_m2=96.0,
        equipment=set(Equipment),
        projects=["探视照料"],
        funding_account="城东镇社工站 农商行 3206xxxx",
    )
    return replace(station, **changes)


def haves(station: Station, workers: int | None = 3, villages: int = 12) -> dict[Have, Any]:
    staffing = None if workers is None else Staffing(workers)
    check = compliance(station, POLICY, TODAY, villages, staffing)
    return {h.have: h for h in check.haves}


# --- rule S1: registration as 民非 by the deadline, legal representative, charity plate ---


def test_s1_registration_by_the_deadline_is_on_time() -> None:
    check = compliance(full_station(registered_date=date(2022, 8, 31)), POLICY, TODAY, 6, None)
    assert check.timeliness is Timeliness.ON_TIME


def test_s1_registration_after_the_deadline_is_late() -> None:
    check = compliance(full_station(registered_date=date(2022, 9, 1)), POLICY, TODAY, 6, None)
    assert check.timeliness is Timeliness.LATE


def test_s1_unregistered_station_is_overdue_after_the_deadline_and_pending_before() -> None:
    station = full_station(registered_date=None)
    assert compliance(station, POLICY, TODAY, 6, None).timeliness is Timeliness.OVERDUE
    early = compliance(station, POLICY, date(2022, 8, 31), 6, None)
    assert early.timeliness is Timeliness.PENDING


def test_s1_registration_deadline_is_a_dated_setting() -> None:
    later = StationStandard(
        effective_from=date(2023, 1, 1), registration_deadline=date(2023, 6, 30)
    )
    assert standard_on([POLICY, later], date(2022, 12, 31)) is POLICY
    assert standard_on([POLICY, later], date(2023, 1, 1)) is later
    station = full_station(registered_date=date(2023, 3, 1))
    assert compliance(station, later, TODAY, 6, None).timeliness is Timeliness.ON_TIME


def test_s1_station_without_registration_plate_or_representative_lacks_organisation() -> None:
    check = haves(
        full_station(registered_date=None, legal_representative="", charity_plate_hung=False)
    )
    organisation = check[Have.ORGANISATION]
    assert organisation.state is HaveState.NOT_MET
    assert [g.render() for g in organisation.gaps] == [
        "未登记为民办非企业单位（民非）（S1）",
        "未确定法定代表人（由站长担任）（S1）",
        "未悬挂慈善会牌子（S1）",
    ]
    with use_locale("en"):
        assert [g.render() for g in organisation.gaps] == [
            "not registered as a private non-enterprise unit (S1)",
            "no legal representative (the station chief) (S1)",
            "the charity association plate is not hung (S1)",
        ]


# --- rule S2: the six haves, the 80-120 m² office and its equipment ---


def test_s2_fully_equipped_station_meets_all_six_haves() -> None:
    check = compliance(
        full_station(),
        POLICY,
        TODAY,
        12,
        Staffing(3),
    )
    assert check.compliant
    assert check.haves_met == 6


@pytest.mark.parametrize(
    ("area", "met"), [(79.9, False), (80.0, True), (120.0, True), (120.5, False)]
)
def test_s2_office_area_must_be_between_80_and_120_square_metres(area: float, met: bool) -> None:
    premises = haves(full_station(office_area_m2=area))[Have.PREMISES]
    assert (premises.state is HaveState.MET) is met


def test_s2_office_area_bounds_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SGZ_STATION_STANDARDS",
        '[{"effective_from": "2021-01-01", "office_min_m2": 60, "office_max_m2": 150}]',
    )
    (standard,) = StationSettings().domain_standards()
    station = full_station(office_area_m2=140.0)
    check = compliance(station, standard, TODAY, 12, Staffing(3))
    assert check.compliant


def test_s2_each_missing_equipment_item_is_a_premises_gap() -> None:
    station = full_station(
        equipment=set(Equipment) - {Equipment.PRINTER, Equipment.AIR_CONDITIONING}
    )
    premises = haves(station)[Have.PREMISES]
    assert premises.state is HaveState.NOT_MET
    assert [g.render() for g in premises.gaps] == ["缺少打印机（S2）", "缺少空调（S2）"]
    with use_locale("en"):
        assert [g.render() for g in premises.gaps] == [
            "no printer (S2)",
            "no air conditioning (S2)",
        ]


def test_s2_office_area_and_h1_staff_gaps_say_the_figures_in_the_readers_language() -> None:
    check = haves(full_station(office_area_m2=60.5), workers=3, villages=19)
    (area,) = check[Have.PREMISES].gaps
    (staff,) = check[Have.STAFF].gaps
    assert area.render() == "办公用房面积 60.5 平方米，不在 80-120 平方米之间（S2）"
    assert staff.render() == "19 个村（社区）只有专职社工 3 人，应配 4 人（H1）"
    with use_locale("en"):
        assert area.render() == "office area 60.5 m² is outside 80-120 m² (S2)"
        assert staff.render() == "3 full-time workers for 19 villages; 4 needed (H1)"
    (unknown,) = haves(full_station(), workers=None)[Have.STAFF].gaps
    assert unknown.render() == "暂时无法向人事服务查询本站人员"


def test_s2_rules_not_on_the_wall_fails_the_rules_have_only() -> None:
    check = haves(full_station(equipment=set(Equipment) - {Equipment.RULES_ON_WALL}))
    assert check[Have.RULES].state is HaveState.NOT_MET
    assert check[Have.PREMISES].state is HaveState.MET


def test_s2_staff_have_follows_h1_and_is_unknown_when_hr_cannot_be_asked() -> None:
    assert required_workers(12) == 3
    assert required_workers(19) == 4
    assert haves(full_station(), workers=3, villages=19)[Have.STAFF].state is HaveState.NOT_MET
    assert haves(full_station(), workers=4, villages=19)[Have.STAFF].state is HaveState.MET
    assert haves(full_station(), workers=None)[Have.STAFF].state is HaveState.UNKNOWN


def test_s2_station_with_no_projects_or_funding_account_lacks_those_haves() -> None:
    check = haves(full_station(projects=[], funding_account=""))
    assert check[Have.PROJECTS].state is HaveState.NOT_MET
    assert check[Have.FUNDING].state is HaveState.NOT_MET


# --- use cases, with fakes ---


class FakeTowns:
    def __init__(self, towns: list[Town]):
        self.towns = {t.id: t for t in towns}

    def get(self, town_id: str) -> Town | None:
        return self.towns.get(town_id)

    def list(self, after: str | None, limit: int) -> list[Town]:
        ids = sorted(i for i in self.towns if after is None or i > after)
        return [self.towns[i] for i in ids[:limit]]


class FakeStations:
    def __init__(self, villages: dict[str, int]):
        self.rows: dict[str, Station] = {}
        self.villages = villages

    def get(self, town_id: str) -> Station | None:
        found = self.rows.get(town_id)
        return None if found is None else replace(found, equipment=set(found.equipment))

    def save(self, station: Station) -> None:
        stored = self.rows.get(station.town_id)
        if (stored.version if stored else 0) != station.version:
            raise Aborted("changed")
        station.version += 1
        self.rows[station.town_id] = replace(station)

    def for_towns(self, town_ids: Any) -> dict[str, Station]:
        return {i: self.rows[i] for i in town_ids if i in self.rows}

    def village_counts(self, town_ids: Any) -> dict[str, int]:
        return {i: self.villages[i] for i in town_ids if i in self.villages}


class FakeUow:
    def __init__(self) -> None:
        self.towns = FakeTowns(
            [
                Town("chengdong", "城东镇", "320621", TownKind.TOWN),
                Town("xicheng", "西城街道", "320622", TownKind.SUBDISTRICT),
            ]
        )
        self.stations = FakeStations({"chengdong": 12, "xicheng": 30})
        self.committed = 0
        self.pending: list[Station] = []

    def __enter__(self) -> FakeUow:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass

    def commit(self) -> None:
        self.committed += 1


CHIEF = WorkerInfo("workers/chief", "towns/chengdong", is_chief=True)
HR = FakeHrClient(
    [
        CHIEF,
        WorkerInfo("workers/w1", "towns/chengdong", False),
        WorkerInfo("workers/w2", "towns/chengdong", False),
        WorkerInfo("workers/w3", "towns/chengdong", False),
        WorkerInfo("workers/other-chief", "towns/xicheng", True),
    ]
)


def update(
    uow: FakeUow,
    station: Station,
    fields: set[str],
    caller: Caller = TOWN_HEAD,
    hr: FakeHrClient = HR,
    etag: str = "",
) -> Station:
    return stations.update_station(uow, hr, caller, station, etag, fields, TODAY)  # type: ignore[arg-type]


def test_station_exists_with_its_town_and_reads_empty_until_recorded() -> None:
    uow = FakeUow()
    station = stations.get_station(uow, CITY, "towns/chengdong/station")  # type: ignore[arg-type]
    assert station.registered_date is None and station.version == 0
    with pytest.raises(NotFound):
        stations.get_station(uow, CITY, "towns/nowhere/station")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        stations.get_station(uow, OTHER_TOWN, "towns/chengdong/station")  # type: ignore[arg-type]


def test_s1_legal_representative_must_be_the_towns_station_chief() -> None:
    uow = FakeUow()
    with pytest.raises(FailedPrecondition) as info:
        update(uow, full_station(legal_representative="workers/w1"), {"registration"})
    assert info.value.rule == "S1"
    with pytest.raises(FailedPrecondition):
        update(uow, full_station(legal_representative="workers/other-chief"), {"registration"})
    with pytest.raises(InvalidArgument) as bad:
        update(uow, full_station(legal_representative="workers/ghost"), {"registration"})
    assert bad.value.violations[0].field == "station.registration.legal_representative"
    assert uow.stations.rows == {}
    saved = update(uow, full_station(), {"registration"})
    assert saved.legal_representative == "workers/chief" and saved.version == 1


def test_s1_registration_cannot_be_dated_in_the_future() -> None:
    uow = FakeUow()
    with pytest.raises(InvalidArgument) as info:
        update(uow, full_station(registered_date=date(2027, 1, 1)), {"registration"})
    assert info.value.violations[0].rule == "S1"
    assert uow.stations.rows == {}


def test_s1_registration_is_refused_when_hr_cannot_be_asked() -> None:
    with pytest.raises(Unavailable):
        update(FakeUow(), full_station(), {"registration"}, hr=FakeHrClient(down=True))


def test_station_update_applies_only_the_named_fields_and_checks_the_etag() -> None:
    uow = FakeUow()
    update(uow, full_station(), {"office_area_square_metres"})
    stored = uow.stations.rows["chengdong"]
    assert stored.office_area_m2 == 96.0 and stored.registered_date is None
    with pytest.raises(Aborted):
        update(uow, full_station(), {"projects"}, etag="0")
    assert update(uow, full_station(), {"projects"}, etag="1").version == 2


def test_station_update_is_refused_outside_scope_or_for_a_worker() -> None:
    with pytest.raises(PermissionDenied):
        update(FakeUow(), full_station(), {"projects"}, caller=OTHER_TOWN)
    with pytest.raises(PermissionDenied):
        update(FakeUow(), full_station(), {"projects"}, caller=WORKER)


def test_s2_compliance_asks_hr_for_staff_and_survives_hr_being_down() -> None:
    uow = FakeUow()
    update(uow, full_station(), set(stations.UPDATABLE))
    name = "towns/chengdong/station"
    check = stations.check_compliance(uow, HR, CITY, name, [POLICY], TODAY)  # type: ignore[arg-type]
    assert check.compliant
    down = stations.check_compliance(uow, FakeHrClient(down=True), CITY, name, [POLICY], TODAY)  # type: ignore[arg-type]
    assert {h.have: h.state for h in down.haves}[Have.STAFF] is HaveState.UNKNOWN


def test_s2_city_view_counts_every_town_and_a_town_caller_sees_only_its_own() -> None:
    uow = FakeUow()
    update(uow, full_station(), set(stations.UPDATABLE))
    summary, page, token = stations.summarise_compliance(uow, HR, CITY, [POLICY], TODAY, 1, "")  # type: ignore[arg-type]
    assert summary.towns == 2 and summary.compliant == 1
    assert summary.timeliness[Timeliness.ON_TIME] == 1
    assert summary.timeliness[Timeliness.OVERDUE] == 1
    assert [c.station.town_id for c in page] == ["chengdong"]
    _, rest, last = stations.summarise_compliance(uow, HR, CITY, [POLICY], TODAY, 1, token)  # type: ignore[arg-type]
    assert [c.station.town_id for c in rest] == ["xicheng"] and last == ""
    own, page, _ = stations.summarise_compliance(uow, HR, OTHER_TOWN, [POLICY], TODAY, 50, "")  # type: ignore[arg-type]
    assert own.towns == 1 and [c.station.town_id for c in page] == ["xicheng"]
