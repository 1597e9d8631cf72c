"""HR worker use cases against fakes: the roster client port and an in-memory unit of work
(rules H1, H2, H5, and personal data as the roster keeps it)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hr_svc.domain.employment import EmploymentChange, Spell
from hr_svc.domain.workers import Worker, WorkerRole
from hr_svc.service_layer import commands, workers
from sgz_runtime.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.hr_fakes import TEST_VAULT, FakeRosterClient, FakeUnitOfWork

CITY = Caller("users/a", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
CHENGDONG_HEAD = Caller("users/b", Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/chengdong")
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _cmd(
    town: str = "towns/chengdong",
    role: WorkerRole = WorkerRole.STATION_WORKER,
    start: date | None = None,
    **extra: str,
) -> commands.CreateWorker:
    return commands.CreateWorker(
        display_name="李四", town=town, role=role, start_date=start, **extra
    )


def _create(
    uow: FakeUnitOfWork,
    cmd: commands.CreateWorker,
    roster: FakeRosterClient | None = None,
    caller: Caller = CITY,
) -> Worker:
    roster = roster or FakeRosterClient({"towns/chengdong": 12, "towns/xicheng": 20})
    return workers.create_worker(cmd, uow, roster, TEST_VAULT, caller=caller, clock=lambda: NOW)


def test_worker_of_a_known_town_is_created_employed_from_today_in_china() -> None:
    uow = FakeUnitOfWork()
    created = _create(uow, _cmd())
    assert uow.commits == 1 and created.name.startswith("workers/")
    assert created.spells() == [Spell(date(2026, 3, 2), None)]
    assert created.creator == "users/a"


def test_worker_of_an_unknown_town_is_refused_and_nothing_written() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidArgument) as info:
        _create(uow, _cmd("towns/nowhere"), FakeRosterClient({}))
    assert [v.field for v in info.value.violations] == ["worker.town"]
    assert uow.workers.rows == [] and uow.commits == 0


def test_town_head_cannot_create_a_worker_in_another_town() -> None:
    with pytest.raises(PermissionDenied):
        _create(FakeUnitOfWork(), _cmd("towns/xicheng"), caller=CHENGDONG_HEAD)


def test_unreachable_roster_is_unavailable_not_a_refusal() -> None:
    with pytest.raises(Unavailable):
        _create(FakeUnitOfWork(), _cmd(), FakeRosterClient(down=True))


def test_h5_a_second_chief_for_the_same_town_is_refused_and_nothing_written() -> None:
    uow = FakeUnitOfWork()
    _create(uow, _cmd(role=WorkerRole.STATION_CHIEF, start=date(2025, 1, 1)))
    with pytest.raises(FailedPrecondition) as info:
        _create(uow, _cmd(role=WorkerRole.STATION_CHIEF, start=date(2026, 3, 1)))
    assert info.value.rule == "H5"
    assert len(uow.workers.rows) == 1
    # Another town's chief is fine.
    _create(uow, _cmd("towns/xicheng", role=WorkerRole.STATION_CHIEF))


def test_h5_a_new_chief_may_start_the_day_after_the_old_one_left() -> None:
    uow = FakeUnitOfWork()
    old = _create(uow, _cmd(role=WorkerRole.STATION_CHIEF, start=date(2024, 1, 1)))
    workers.end_employment(
        commands.EndEmployment(worker=old.name, last_day=date(2026, 2, 28), reason="调任"),
        uow,
        caller=CHENGDONG_HEAD,
        clock=lambda: NOW,
    )
    with pytest.raises(FailedPrecondition):
        _create(uow, _cmd(role=WorkerRole.STATION_CHIEF, start=date(2026, 2, 28)))
    new = _create(uow, _cmd(role=WorkerRole.STATION_CHIEF, start=date(2026, 3, 1)))
    assert new.spells() == [Spell(date(2026, 3, 1), None)]


def test_h2_leaving_appends_to_the_history_and_keeps_what_was_there() -> None:
    uow = FakeUnitOfWork()
    worker = _create(uow, _cmd(start=date(2024, 5, 6)))
    ended = workers.end_employment(
        commands.EndEmployment(worker=worker.name, last_day=date(2026, 1, 31), reason="辞职"),
        uow,
        caller=CHENGDONG_HEAD,
        clock=lambda: NOW,
    )
    assert [(e.change, e.effective_date, e.reason) for e in ended.employment] == [
        (EmploymentChange.JOINED, date(2024, 5, 6), ""),
        (EmploymentChange.LEFT, date(2026, 2, 1), "辞职"),
    ]
    with pytest.raises(FailedPrecondition) as info:  # already left
        workers.end_employment(
            commands.EndEmployment(worker=worker.name, last_day=date(2026, 2, 5), reason="辞职"),
            uow,
            caller=CHENGDONG_HEAD,
        )
    assert info.value.rule == "H2"


def test_id_number_and_phone_are_validated_masked_and_sealed_as_the_roster_does() -> None:
    uow = FakeUnitOfWork()
    worker = _create(uow, _cmd(id_number="11010519491231002x", phone="13812345678"))
    assert worker.id_masked == "110105************"
    assert worker.phone_masked == "+86*******5678"
    assert worker.id_sealed and "11010519491231002X" not in worker.id_sealed
    assert TEST_VAULT.reveal(worker.id_sealed or "") == "11010519491231002X"
    with pytest.raises(AlreadyExists):
        _create(uow, _cmd(id_number="11010519491231002X"))


def test_bad_id_number_and_phone_are_both_reported_and_nothing_written() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidArgument) as info:
        _create(uow, _cmd(id_number="110105194912310021", phone="12345"))
    assert [(v.field, v.rule) for v in info.value.violations] == [
        ("worker.id_number", "R2"),
        ("worker.phone", None),
    ]
    assert uow.workers.rows == []


def test_town_head_lists_only_own_town_and_pages() -> None:
    uow = FakeUnitOfWork()
    for town in ["towns/chengdong", "towns/xicheng", "towns/chengdong", "towns/chengdong"]:
        _create(uow, _cmd(town))
    page, token = workers.list_workers(uow, CHENGDONG_HEAD, "", 2, "")
    assert [w.town for w in page] == ["towns/chengdong"] * 2 and token
    rest, last = workers.list_workers(uow, CHENGDONG_HEAD, "", 2, token)
    assert [w.town for w in rest] == ["towns/chengdong"] and last == ""
    with pytest.raises(InvalidArgument):
        workers.list_workers(uow, CITY, "", 2, token)  # token of another query


def test_h2_listing_workers_employed_on_a_day_leaves_out_leavers_and_keeps_paging() -> None:
    uow = FakeUnitOfWork()
    stays = _create(uow, _cmd(start=date(2024, 1, 1)))
    leaves = _create(uow, _cmd(start=date(2024, 1, 1)))
    later = _create(uow, _cmd(start=date(2026, 6, 1)))
    workers.end_employment(
        commands.EndEmployment(worker=leaves.name, last_day=date(2025, 12, 31), reason="辞职"),
        uow,
        caller=CHENGDONG_HEAD,
        clock=lambda: NOW,
    )
    page, token = workers.list_workers(uow, CITY, "", 2, "", date(2026, 1, 1))
    assert [w.name for w in page] == [stays.name] and token
    rest, last = workers.list_workers(uow, CITY, "", 2, token, date(2026, 1, 1))
    assert rest == [] and last == ""
    everyone, _ = workers.list_workers(uow, CITY, "", 10, "")
    assert [w.name for w in everyone] == [stays.name, leaves.name, later.name]


def test_a_worker_reads_their_own_record_but_not_a_colleagues() -> None:
    uow = FakeUnitOfWork()
    me = _create(uow, _cmd())
    colleague = _create(uow, _cmd())
    caseload = Caller("users/w", Role.STATION_WORKER, ScopeLevel.CASELOAD, me.name)
    assert workers.get_worker(uow, caseload, me.name).town == "towns/chengdong"
    with pytest.raises(NotFound):
        workers.get_worker(uow, caseload, colleague.name)
