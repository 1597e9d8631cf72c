"""The ImportPersons use case with an in-memory roster: upsert by ID hash, re-imports that
change nothing, refusals against what is stored (R2 across towns, R6 assessment history)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import pytest

from roster_svc.adapters.person_import_repository import ExistingAssessment, ExistingPerson
from roster_svc.domain.assessments import INDICATORS
from roster_svc.domain.person_import import ImportDefaults, ImportRow
from roster_svc.domain.places import Town, TownKind
from roster_svc.service_layer.person_import import ImportOptions, import_persons
from sgz_runtime.errors import InvalidArgument, NotFound, PermissionDenied
from sgz_runtime.identity import Caller, Role, ScopeLevel

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


class Store:
    def __init__(self) -> None:
        self.persons: dict[str, dict[str, Any]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.assessments: list[dict[str, Any]] = []


class FakeImports:
    def __init__(self, store: Store):
        self.s = store

    def towns(self) -> list[tuple[str, str, str]]:
        return [("chengdong", "320621100", "城东镇"), ("xicheng", "320622100", "西城街道")]

    def villages_of(self, town_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        known = {"chengdong": [("xinhua", "新华村")], "xicheng": [("hexi", "河西村")]}
        return {t: known[t] for t in town_ids if t in known}

    def persons_by_hash(self, hashes: Sequence[str]) -> dict[str, ExistingPerson]:
        return {
            p["id_hash"]: ExistingPerson(
                p["id"],
                p["id_hash"],
                p["town_id"],
                p["village_id"],
                p["display_name"],
                p["address"],
                p["phone"],
                p["version"],
            )
            for p in self.s.persons.values()
            if p["id_hash"] in hashes
        }

    def latest_assessments(self, person_ids: Sequence[str]) -> dict[str, ExistingAssessment]:
        found: dict[str, ExistingAssessment] = {}
        for a in sorted(self.s.assessments, key=lambda a: a["assessment_date"]):
            if a["person_id"] in person_ids:
                found[a["person_id"]] = ExistingAssessment(
                    a["person_id"], a["assessment_date"], a["assessor"],
                    {i: a[i] for i in INDICATORS},
                )  # fmt: skip
        return found

    def insert_persons(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.s.persons[row["id"]] = dict(row)

    def update_persons(self, rows: list[dict[str, Any]]) -> int:
        matched = 0
        for row in rows:
            stored = self.s.persons[row["b_id"]]
            if stored["version"] == row["b_version"]:
                stored.update({k: v for k, v in row.items() if not k.startswith("b_")})
                stored["version"] += 1
                matched += 1
        return matched

    def insert_status_changes(self, rows: list[dict[str, Any]]) -> None:
        self.s.statuses += rows

    def insert_assessments(self, rows: list[dict[str, Any]]) -> None:
        self.s.assessments += rows


class FakeTowns:
    def get(self, town_id: str) -> Town | None:
        if town_id in ("chengdong", "xicheng"):
            return Town(town_id, town_id, "320621100", TownKind.TOWN)
        return None


class Uow:
    """Keeps writes only when committed, like the SQL unit of work."""

    def __init__(self) -> None:
        self.store = Store()
        self.towns = FakeTowns()

    def __enter__(self) -> Uow:
        self._before = copy.deepcopy(self.store)
        self.imports = FakeImports(self.store)
        self._committed = False
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._committed:
            self.store.__dict__.update(self._before.__dict__)

    def commit(self) -> None:
        self._committed = True


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


def run(uow: Uow, *rows: ImportRow, caller: Caller = CITY, parent: str = "towns/chengdong",
        **options: Any) -> Any:  # fmt: skip
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
    uow = Uow()
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
    uow = Uow()
    assert run(uow, row(2), validate_only=True).valid_rows == 1
    result = run(uow, row(2), row(3, ID_B, village="不存在村"))
    assert [(e.row_number, e.field) for e in result.errors] == [(3, "village")]
    assert uow.store.persons == {}
    assert run(uow, row(2), row(3, ID_B, village="不存在村"), valid_only=True).created == 1


def test_the_same_rows_again_change_nothing_and_an_edit_updates_the_same_person() -> None:
    uow = Uow()
    run(uow, row(2, **answered("2025-03-01")))
    again = run(uow, row(2, **answered("2025-03-01")))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert len(uow.store.assessments) == 1
    edited = run(uow, row(2, phone="13900001111", **answered("2025-03-01")))
    assert (edited.created, edited.updated) == (0, 1)
    (person,) = uow.store.persons.values()
    assert person["phone"] == "+8613900001111" and person["version"] == 2


def test_r6_an_assessment_dated_before_the_latest_one_is_refused() -> None:
    uow = Uow()
    run(uow, row(2, **answered("2025-03-01")))
    result = run(uow, row(2, **answered("2025-01-01", eating="否")))
    assert [(e.field, e.rule) for e in result.errors] == [("assessed_date", "R6")]
    later = run(uow, row(2, **answered("2025-06-01", eating="否")))
    assert later.updated == 1 and len(uow.store.assessments) == 2


def test_r2_a_person_of_another_town_is_not_imported_here() -> None:
    uow = Uow()
    run(uow, row(2, village="河西村"), parent="towns/xicheng")
    result = run(uow, row(2))
    assert [(e.field, e.rule) for e in result.errors] == [("id_number", "R2")]
    assert "another town" in result.errors[0].reason


def test_a_city_wide_batch_names_towns_in_the_callers_scope_only() -> None:
    uow = Uow()
    rows = [row(2, town="城东镇"), row(3, ID_B, town="320622100", village="河西村")]
    assert run(uow, *rows, parent="towns/-").created == 2
    town_caller = Caller("u", Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/xicheng")
    outside = run(Uow(), row(2, town="城东镇"), caller=town_caller, parent="towns/-")
    assert [(e.field, e.rule) for e in outside.errors] == [("town", "R1")]


def test_refusals_of_the_whole_call() -> None:
    with pytest.raises(PermissionDenied):
        run(Uow(), row(2), caller=WORKER)
    with pytest.raises(NotFound):
        run(Uow(), row(2), caller=OTHER_TOWN)
    with pytest.raises(NotFound):
        run(Uow(), row(2), parent="towns/nowhere")
    with pytest.raises(InvalidArgument):
        run(Uow(), *[row(n, ID_A) for n in range(5001)])


def test_file_defaults_fill_the_assessor_and_date() -> None:
    uow = Uow()
    answers = {k: v for k, v in answered("").items() if k in INDICATORS}
    defaults = ImportDefaults(assessor="南通市评估中心", assessed_date=dt.date(2025, 5, 1))
    assert run(uow, row(2, **answers), defaults=defaults).created == 1
    assert uow.store.assessments[0]["assessor"] == "南通市评估中心"
