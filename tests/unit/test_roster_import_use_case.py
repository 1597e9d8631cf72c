"""The ImportPersons use case with an in-memory roster: upsert by ID hash, re-imports that
change nothing, refusals against what is stored (R2 across towns, R6 assessment history)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from roster_svc.domain.assessments import INDICATORS
from roster_svc.domain.person_import import ImportDefaults, ImportRow
from roster_svc.domain.places import Town, TownKind
from roster_svc.service_layer.person_import import ImportOptions, import_persons
from sgz_runtime.errors import InvalidArgument, NotFound, PermissionDenied
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.roster_fakes import FakeRosterUnitOfWork, State

TODAY = dt.date(2026, 11, 26)
CITY = Caller("users/city", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
WORKER = Caller("users/w", Role.STATION_WORKER, ScopeLevel.TOWN, "towns/chengdong")
OTHER_TOWN = Caller("users/x", Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/xicheng")
ID_A, ID_B = "11010519491231002X", "440524188001010014"


class Vault:
    def digest(self, number: str) -> str:
        return "h:" + number

    def seal(self, number: str) -> str:
        return "sealed"

    def reveal(self, sealed: str) -> str:
        raise AssertionError("an import never reads a number back")


def new_uow() -> FakeRosterUnitOfWork:
    """The roster's fake unit of work with two towns: writes kept only when committed."""
    state = State()
    for town_id in ("chengdong", "xicheng"):
        state.towns[town_id] = Town(town_id, town_id, "320621100", TownKind.TOWN)
    return FakeRosterUnitOfWork(state)


def row(n: int, number: str = ID_A, **fields: str) -> ImportRow:
    return ImportRow(
        n, **{"display_name": "王秀英", "id_number": number, "village": "新华村", **fields}
    )


def answered(when: str, **answers: str) -> dict[str, str]:
    return {
        **dict.fromkeys(INDICATORS, "是"),
        **answers,
        "assessor": "第三方",
        "assessed_date": when,
    }


def run(
    uow: FakeRosterUnitOfWork,
    *rows: ImportRow,
    caller: Caller = CITY,
    parent: str = "towns/chengdong",
    **options: Any,
) -> Any:
    return import_persons(
        uow,
        Vault(),
        caller,
        parent,
        list(rows),
        ImportOptions(**options),
        TODAY,  # type: ignore[arg-type]
    )


def test_new_persons_are_created_dispersed_with_their_assessment() -> None:
    uow = new_uow()
    result = run(
        uow, row(2, **answered("2025-03-01")), row(3, ID_B), start_date=dt.date(2026, 1, 1)
    )
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert [(s["status"].value, s["effective_date"]) for s in uow.store.statuses] == [
        ("dispersed", dt.date(2026, 1, 1)),
        ("dispersed", dt.date(2026, 1, 1)),
    ]
    (assessment,) = uow.store.assessments
    assert assessment["care_level"].value == "self_care"  # derived, never read (R3)
    assert all(p["id_hash"].startswith("h:") and p["id_masked"].count("*") == 12
               for p in uow.store.persons.values())  # fmt: skip


def test_validate_only_writes_nothing_and_a_bad_row_blocks_its_batch() -> None:
    uow = new_uow()
    assert run(uow, row(2), validate_only=True).valid_rows == 1
    result = run(uow, row(2), row(3, ID_B, village="不存在村"))
    assert [(e.row_number, e.field) for e in result.errors] == [(3, "village")]
    assert uow.store.persons == {}
    assert run(uow, row(2), row(3, ID_B, village="不存在村"), valid_only=True).created == 1


def test_the_same_rows_again_change_nothing_and_an_edit_updates_the_same_person() -> None:
    uow = new_uow()
    run(uow, row(2, **answered("2025-03-01")))
    again = run(uow, row(2, **answered("2025-03-01")))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert len(uow.store.assessments) == 1
    edited = run(uow, row(2, phone="13900001111", **answered("2025-03-01")))
    assert (edited.created, edited.updated) == (0, 1)
    (person,) = uow.store.persons.values()
    assert person["phone"] == "+8613900001111" and person["version"] == 2


def test_r6_an_assessment_dated_before_the_latest_one_is_refused() -> None:
    uow = new_uow()
    run(uow, row(2, **answered("2025-03-01")))
    result = run(uow, row(2, **answered("2025-01-01", eating="否")))
    assert [(e.field, e.rule) for e in result.errors] == [("assessed_date", "R6")]
    later = run(uow, row(2, **answered("2025-06-01", eating="否")))
    assert later.updated == 1 and len(uow.store.assessments) == 2


def test_r2_a_person_of_another_town_is_not_imported_here() -> None:
    uow = new_uow()
    run(uow, row(2, village="河西村"), parent="towns/xicheng")
    result = run(uow, row(2))
    assert [(e.field, e.rule) for e in result.errors] == [("id_number", "R2")]
    # The importer learns nothing about where the number is (issue 11 item 7).
    assert "another town" not in result.errors[0].reason
    assert "city civil-affairs bureau" in result.errors[0].reason


def test_a_city_wide_batch_names_towns_in_the_callers_scope_only() -> None:
    uow = new_uow()
    rows = [row(2, town="城东镇"), row(3, ID_B, town="320622100", village="河西村")]
    assert run(uow, *rows, parent="towns/-").created == 2
    town_caller = Caller("u", Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/xicheng")
    outside = run(new_uow(), row(2, town="城东镇"), caller=town_caller, parent="towns/-")
    assert [(e.field, e.rule) for e in outside.errors] == [("town", "R1")]


def test_refusals_of_the_whole_call() -> None:
    with pytest.raises(PermissionDenied):
        run(new_uow(), row(2), caller=WORKER)
    with pytest.raises(NotFound):
        run(new_uow(), row(2), caller=OTHER_TOWN)
    with pytest.raises(NotFound):
        run(new_uow(), row(2), parent="towns/nowhere")
    with pytest.raises(InvalidArgument):
        run(new_uow(), *[row(n, ID_A) for n in range(5001)])


def test_file_defaults_fill_the_assessor_and_date() -> None:
    uow = new_uow()
    answers = {k: v for k, v in answered("").items() if k in INDICATORS}
    defaults = ImportDefaults(assessor="南通市评估中心", assessed_date=dt.date(2025, 5, 1))
    assert run(uow, row(2, **answers), defaults=defaults).created == 1
    assert uow.store.assessments[0]["assessor"] == "南通市评估中心"
