"""Towns and their codes (issue 7, bug 2): a town carries its 9-digit statistical division
code (the county's 6 + 3); many towns share a county; one code, one town."""

from __future__ import annotations

import pytest

from roster_svc.domain.places import Town, TownKind
from roster_svc.service_layer.places import create_town
from sgz_runtime.errors import AlreadyExists, InvalidArgument
from sgz_runtime.i18n import use_locale
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.oracles.places import CHENGDONG, COUNTY_HAIAN, XICHENG_SAME_COUNTY
from tests.unit.roster_fakes import FakeRosterUnitOfWork, State

CITY = Caller("users/city", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)


def _town(town_id: str, code: str, name: str = "城东镇") -> Town:
    return Town(town_id, name, code, TownKind.TOWN)


def test_two_towns_of_one_county_are_both_created() -> None:
    uow = FakeRosterUnitOfWork(State())
    create_town(uow, CITY, _town("chengdong", CHENGDONG))
    create_town(uow, CITY, _town("xicheng", XICHENG_SAME_COUNTY, "西城镇"))
    assert CHENGDONG[:6] == XICHENG_SAME_COUNTY[:6] == COUNTY_HAIAN
    assert sorted(uow.state.towns) == ["chengdong", "xicheng"]


@pytest.mark.parametrize("code", [COUNTY_HAIAN, "32062100", "3206210011", "32062100A"])
def test_a_town_code_is_nine_digits(code: str) -> None:
    uow = FakeRosterUnitOfWork(State())
    with pytest.raises(InvalidArgument) as info:
        create_town(uow, CITY, _town("chengdong", code))
    assert [v.field for v in info.value.violations] == ["town.administrative_code"]
    assert uow.state.towns == {}


def test_a_code_taken_names_the_town_that_has_it() -> None:
    """The message names the existing town, not the one being created, and says what to do."""
    uow = FakeRosterUnitOfWork(State())
    create_town(uow, CITY, _town("chengdong", CHENGDONG))
    with pytest.raises(AlreadyExists) as info:
        create_town(uow, CITY, _town("xicheng", CHENGDONG, "西城镇"))
    assert info.value.resource_name == "towns/chengdong"
    with use_locale("en"):
        assert "towns/chengdong" in info.value.text.render()
    assert "towns/chengdong" in info.value.text.render("zh-CN")
    assert "towns/xicheng" not in info.value.message
