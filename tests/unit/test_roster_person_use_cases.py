"""Use cases on persons and their history, with in-memory fakes (rules R1-R6)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from roster_svc.adapters.hr_client import FakeHrClient, WorkerInfo
from roster_svc.domain.assessments import Assessment
from roster_svc.domain.assignments import Agreement, Substitution
from roster_svc.domain.persons import Person, PersonStatus
from roster_svc.domain.places import Town, TownKind, Village, VillageKind
from roster_svc.domain.workdays import CalendarBasis, WorkdayCalendar
from roster_svc.service_layer import care, caseloads, persons
from sgz_runtime.audit import MemoryAuditLog
from sgz_runtime.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.pii.resident_id import Gender
from sgz_runtime.pii.vault import FernetIdVault
from tests.unit.roster_fakes import FakeRosterUnitOfWork, State

D = dt.date
TODAY = D(2024, 6, 1)
START = D(2024, 1, 1)
ID_A = "32062119491231000X"
ID_B = "320621195001010019"
CITY = Caller("users/city", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, "towns/chengdong")
OTHER_TOWN = Caller("users/x", Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/xicheng")
WORKER = Caller("users/w", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/wang")
VAULT = FernetIdVault(b"k" * 32, b"ZmVybmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY=")
DEPS = persons.Deps(VAULT, TODAY)
HR = FakeHrClient(
    [
        WorkerInfo("workers/wang", "towns/chengdong", False),
        WorkerInfo("workers/zhao", "towns/chengdong", False),
        WorkerInfo("workers/li", "towns/xicheng", False),
    ]
)


@pytest.fixture
def uow() -> FakeRosterUnitOfWork:
    state = State()
    for town_id, code in (("chengdong", "320621100"), ("xicheng", "320682100")):
        state.towns[town_id] = Town(town_id, town_id, code, TownKind.TOWN)
        state.villages[(town_id, "xinhua")] = Village(
            town_id, "xinhua", "新华村", VillageKind.VILLAGE
        )
    return FakeRosterUnitOfWork(state)


def _blank(name: str = "李四", phone: str = "") -> Person:
    return Person("", "", "", name, "", "", "", Gender.FEMALE, D.min, "", phone)


def _create(
    uow: FakeRosterUnitOfWork,
    number: str = ID_A,
    caller: Caller = CITY,
    village: str = "towns/chengdong/villages/xinhua",
    start: dt.date = START,
) -> persons.PersonView:
    return persons.create_person(uow, DEPS, caller, _blank(), number, village, start)


# --- Persons (R1, R2) ---


def test_r2_person_keeps_only_hash_cipher_and_mask_of_the_id(uow: FakeRosterUnitOfWork) -> None:
    view = _create(uow, ID_A.lower())
    stored = uow.state.persons[view.person.id]
    assert ID_A not in (stored.id_hash, stored.id_cipher, stored.id_masked)
    assert stored.id_masked == "320621************"
    assert VAULT.reveal(stored.id_cipher) == ID_A
    assert stored.gender is Gender.FEMALE and stored.birth_date == D(1949, 12, 31)


def test_r2_one_id_one_person(uow: FakeRosterUnitOfWork) -> None:
    _create(uow)
    with pytest.raises(AlreadyExists):
        _create(uow, ID_A.lower(), village="towns/xicheng/villages/xinhua")
    assert len(uow.state.persons) == 1


def test_r2_bad_id_writes_nothing(uow: FakeRosterUnitOfWork) -> None:
    with pytest.raises(InvalidArgument) as info:
        _create(uow, "320621194912310001")
    assert info.value.rule == "R2"
    assert uow.state.persons == {} and uow.state.statuses == []


def test_r1_unknown_village_is_refused_and_nothing_written(uow: FakeRosterUnitOfWork) -> None:
    with pytest.raises(InvalidArgument) as info:
        _create(uow, village="towns/chengdong/villages/nowhere")
    assert info.value.rule == "R1"
    assert uow.state.persons == {}


def test_r1_person_phone_is_validated(uow: FakeRosterUnitOfWork) -> None:
    with pytest.raises(InvalidArgument) as info:
        persons.create_person(
            uow, DEPS, CITY, _blank(phone="123"), ID_A, "towns/chengdong/villages/xinhua", TODAY
        )
    assert [v.field for v in info.value.violations] == ["person.phone"]


def test_a_town_caller_cannot_register_persons_of_another_town(uow: FakeRosterUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        _create(uow, caller=OTHER_TOWN)
    with pytest.raises(PermissionDenied):
        _create(uow, caller=WORKER)


def test_a_worker_sees_only_the_persons_assigned_to_them(uow: FakeRosterUnitOfWork) -> None:
    a = _create(uow).person
    b = _create(uow, ID_B).person
    caseloads.create_assignment(uow, DEPS, HR, CITY, a.name, "workers/wang", D(2024, 2, 1))
    assert persons.get_person(uow, DEPS, WORKER, a.name).person.id == a.id
    with pytest.raises(NotFound):
        persons.get_person(uow, DEPS, WORKER, b.name)
    listed, _ = persons.list_persons(uow, DEPS, WORKER, "towns/chengdong", None, "", None, 50, "")
    assert [v.person.id for v in listed] == [a.id]


def test_a_substitute_sees_the_absent_workers_persons_during_the_substitution(
    uow: FakeRosterUnitOfWork,
) -> None:
    person = _create(uow).person
    caseloads.create_assignment(uow, DEPS, HR, CITY, person.name, "workers/wang", D(2024, 2, 1))
    zhao = Caller("users/z", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/zhao")
    with pytest.raises(NotFound):
        persons.get_person(uow, DEPS, zhao, person.name)
    caseloads.create_substitution(
        uow,
        HR,
        CHIEF,
        "towns/chengdong",
        Substitution("", "", "workers/wang", "workers/zhao", D(2024, 5, 20), D(2024, 6, 10)),
    )
    assert persons.get_person(uow, DEPS, zhao, person.name).person.id == person.id
    later = persons.Deps(VAULT, D(2024, 6, 10))
    with pytest.raises(NotFound):
        persons.get_person(uow, later, zhao, person.name)


def test_reveal_is_audited_without_the_number(
    uow: FakeRosterUnitOfWork, caplog: pytest.LogCaptureFixture
) -> None:
    person = _create(uow).person
    trail = MemoryAuditLog()
    deps = persons.Deps(VAULT, TODAY, trail)
    with caplog.at_level(logging.INFO, logger="sgz.audit"):
        number = persons.reveal_id_number(uow, deps, CHIEF, person.name, " 核对 ")
    assert number == ID_A
    [record] = trail.records
    assert (record.action, record.resource, record.purpose) == (
        "id_number_revealed",
        person.name,
        "核对",
    )
    assert record.caller == CHIEF
    assert ID_A not in caplog.text and ID_A not in repr(trail.records)
    with pytest.raises(PermissionDenied):
        persons.reveal_id_number(uow, deps, WORKER, person.name, "看看")
    with pytest.raises(FailedPrecondition):  # no trail, no number
        persons.reveal_id_number(uow, DEPS, CHIEF, person.name, "核对")
    assert len(trail.records) == 1


# --- History (R6) ---


def test_r6_status_history_appends_and_refuses_overlap(uow: FakeRosterUnitOfWork) -> None:
    person = _create(uow).person
    persons.change_status(
        uow, DEPS, CHIEF, person.name, PersonStatus.HOSPITALISED, D(2024, 3, 1), "", "req-1"
    )
    with pytest.raises(FailedPrecondition) as info:
        persons.change_status(
            uow, DEPS, CHIEF, person.name, PersonStatus.IN_INSTITUTION, D(2024, 2, 1), "", ""
        )
    assert info.value.rule == "R6"
    assert [c.status for c in uow.state.statuses] == [
        PersonStatus.DISPERSED,
        PersonStatus.HOSPITALISED,
    ]


def test_r6_retry_with_the_same_request_id_is_applied_once(uow: FakeRosterUnitOfWork) -> None:
    person = _create(uow).person
    for _ in range(2):
        persons.change_status(
            uow, DEPS, CHIEF, person.name, PersonStatus.DECEASED, D(2024, 3, 1), "", "req-1"
        )
    assert len(uow.state.statuses) == 2


# --- Assessments (R3) and re-assessments (R4) ---


def _assessment(day: dt.date, unable: int) -> Assessment:
    a = [i >= unable for i in range(6)]
    return Assessment("", "", "评估中心", day, a[0], a[1], a[2], a[3], a[4], a[5])


def test_r3_r4_assessment_derives_the_level_and_answers_open_reassessments(
    uow: FakeRosterUnitOfWork,
) -> None:
    person = _create(uow).person
    fallback = care.CareDeps(WorkdayCalendar(official=lambda d: None), 10)
    opened = care.create_reassessment(uow, DEPS, fallback, CHIEF, person.name, D(2024, 5, 3), "")
    assert opened.due_date == D(2024, 5, 17)
    assert opened.due_date_basis is CalendarBasis.WEEKDAYS_FALLBACK
    made = care.create_assessment(uow, DEPS, CHIEF, person.name, _assessment(D(2024, 5, 10), 4))
    assert made.care_level is not None and made.care_level.value == "full_loss"
    assert uow.state.reassessments[0].assessment_id == made.id


def test_r4_a_reported_change_with_a_request_id_is_opened_once(
    uow: FakeRosterUnitOfWork,
) -> None:
    """Rule R4 (issue 7, bug 4): a visit reports the change with a request id derived from it;
    a retry returns the same re-assessment, the same id with another report is refused."""
    person = _create(uow).person
    fallback = care.CareDeps(WorkdayCalendar(official=lambda d: None), 10)

    def report(day: dt.date, text: str) -> str:
        return care.create_reassessment(
            uow, DEPS, fallback, CHIEF, person.name, day, text, request_id="visit-v1-r4"
        ).name

    first = report(D(2024, 5, 3), "无法自主吃饭")
    assert report(D(2024, 5, 3), "无法自主吃饭") == first
    assert len(uow.state.reassessments) == 1
    with pytest.raises(InvalidArgument) as info:
        report(D(2024, 5, 4), "无法自主吃饭")
    assert info.value.violations[0].field == "request_id"


def test_r6_assessment_must_be_dated_after_the_latest(uow: FakeRosterUnitOfWork) -> None:
    person = _create(uow).person
    care.create_assessment(uow, DEPS, CHIEF, person.name, _assessment(D(2024, 5, 10), 0))
    with pytest.raises(FailedPrecondition) as info:
        care.create_assessment(uow, DEPS, CHIEF, person.name, _assessment(D(2024, 5, 1), 1))
    assert info.value.rule == "R6"
    assert len(uow.state.assessments) == 1


# --- Assignments and agreements (R5) ---


def test_r5_worker_of_another_town_is_refused(uow: FakeRosterUnitOfWork) -> None:
    person = _create(uow).person
    with pytest.raises(FailedPrecondition) as info:
        caseloads.create_assignment(uow, DEPS, HR, CITY, person.name, "workers/li", D(2024, 2, 1))
    assert info.value.rule == "R5"
    assert uow.state.assignments == []


def test_assignment_needs_hr_and_says_so_when_it_is_down(uow: FakeRosterUnitOfWork) -> None:
    person = _create(uow).person
    with pytest.raises(Unavailable):
        caseloads.create_assignment(
            uow, DEPS, FakeHrClient(down=True), CITY, person.name, "workers/wang", D(2024, 2, 1)
        )


def test_r5_caseloads_and_missing_agreements_follow_worker_changes(
    uow: FakeRosterUnitOfWork,
) -> None:
    person = _create(uow).person
    caseloads.create_assignment(uow, DEPS, HR, CITY, person.name, "workers/wang", D(2024, 2, 1))
    caseloads.create_agreement(
        uow, DEPS, CITY, person.name, Agreement("", "", "", "", "workers/wang", D(2024, 2, 2), "A1")
    )
    missing, _ = caseloads.list_missing_agreements(
        uow, DEPS, CITY, "towns/chengdong", D(2024, 3, 1), 50, ""
    )
    assert missing == []
    caseloads.create_assignment(uow, DEPS, HR, CITY, person.name, "workers/zhao", D(2024, 4, 1))
    missing, _ = caseloads.list_missing_agreements(
        uow, DEPS, CITY, "towns/chengdong", D(2024, 4, 2), 50, ""
    )
    assert [m.reason.value for m in missing] == ["worker_changed"]
    assert caseloads.list_caseloads(uow, DEPS, CITY, "towns/chengdong", D(2024, 4, 2)) == [
        ("workers/zhao", 1)
    ]
    with pytest.raises(FailedPrecondition) as info:
        caseloads.create_agreement(
            uow,
            DEPS,
            CITY,
            person.name,
            Agreement("", "", "", "", "workers/wang", D(2024, 4, 5), "A2"),
        )
    assert info.value.rule == "R5"
