"""The person repository on a real database: batch upsert by ID hash (for imports), and
lists whose cost per page does not grow with the page (no query per person)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event

from roster_svc.adapters.orm import start_mappers
from roster_svc.app import MIGRATIONS
from roster_svc.domain.assignments import Assignment
from roster_svc.domain.persons import Period, Person, PersonStatus, StatusChange
from roster_svc.domain.places import Town, TownKind, Village, VillageKind
from roster_svc.service_layer import persons
from roster_svc.service_layer.unit_of_work import SqlRosterUnitOfWork
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.pii.resident_id import check_digit, parse
from sgz_runtime.pii.vault import FernetIdVault

D = dt.date
VAULT = FernetIdVault(b"k" * 32, b"ZmVybmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY=")
CITY = Caller("users/city", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)


@pytest.fixture
def engine(database_url: Callable[[str], str]) -> Iterator[Engine]:
    made = make_engine(database_url("roster"))
    migrate(made, MIGRATIONS)
    start_mappers()
    yield made
    made.dispose()


def _uow(engine: Engine) -> SqlRosterUnitOfWork:
    return SqlRosterUnitOfWork(session_factory(engine))


def _person(i: int, name: str = "李四") -> Person:
    first17 = f"32062119500101{i:03d}"
    rid = parse(first17 + check_digit(first17), D(2026, 1, 1))
    return Person(
        id=f"p{i:05d}",
        town_id="chengdong",
        village_id="xinhua",
        display_name=name,
        id_hash=VAULT.digest(rid.number),
        id_cipher=VAULT.seal(rid.number),
        id_masked=rid.masked,
        gender=rid.gender,
        birth_date=rid.birth_date,
    )


def _places(engine: Engine) -> None:
    with _uow(engine) as uow:
        uow.towns.add(Town("chengdong", "城东镇", "320621", TownKind.TOWN))
        uow.commit()
    with _uow(engine) as uow:
        uow.villages.add(Village("chengdong", "xinhua", "新华村", VillageKind.VILLAGE))
        uow.commit()


def test_upsert_many_matches_by_id_hash_and_never_duplicates(engine: Engine) -> None:
    _places(engine)
    with _uow(engine) as uow:
        assert uow.persons.upsert_many([_person(i) for i in range(3)]) == {
            "p00000",
            "p00001",
            "p00002",
        }
        uow.commit()
    again = [_person(1, "李四改"), _person(2), _person(3)]
    for p in again:
        p.id = "new-" + p.id
    with _uow(engine) as uow:
        inserted = uow.persons.upsert_many(again)
        uow.commit()
    assert inserted == {"new-p00003"}
    assert [p.id for p in again] == ["p00001", "p00002", "new-p00003"]
    with _uow(engine) as uow:
        stored = uow.persons.get("p00001")
        assert stored is not None and stored.display_name == "李四改" and stored.version == 2
        assert uow.persons.get_by_hash(_person(3).id_hash) is not None


def _count_statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    return seen


@pytest.mark.parametrize("page_size", [3, 40])
def test_a_page_of_timelines_costs_the_same_queries_whatever_its_size(
    engine: Engine, page_size: int
) -> None:
    """Item 7: one query per kind per page, never one per person."""
    _places(engine)
    with _uow(engine) as uow:
        people = [_person(i) for i in range(40)]
        uow.persons.upsert_many(people)
        uow.history.add_statuses(
            [StatusChange(p.id, PersonStatus.DISPERSED, D(2024, 1, 1)) for p in people]
        )
        for i, p in enumerate(people):
            uow.caseloads.add_assignment(Assignment(f"a{i}", p.id, "workers/wang", D(2024, 1, 1)))
        uow.commit()
    seen = _count_statements(engine)
    deps = persons.Deps(VAULT, D(2024, 6, 1))
    period = Period.closed(D(2024, 1, 1), D(2024, 3, 31))
    found, _ = persons.list_timelines(
        _uow(engine), deps, CITY, "towns/chengdong", "", period, page_size, ""
    )
    assert len(found) == page_size
    assert all(t.assignments[0].value == "workers/wang" for t in found)
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 6, selects
    seen.clear()
    listed, _ = persons.list_persons(
        _uow(engine), deps, CITY, "towns/chengdong", PersonStatus.DISPERSED, "", None, page_size, ""
    )
    assert len(listed) == page_size and listed[0].facts.worker == "workers/wang"
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) <= 2
