"""An end-to-end week of visits through a real visit server, a real roster server and a real HR
server, on SQLite or PostgreSQL (SGZ_TEST_DB): a village with three persons, visits with each
finding type, escalations with their urgency and deadlines (V3-V6), one deadline met and one
missed and shown overdue, a move to an institution ending the weekly due (V8), a retried visit
recorded once (AIP-155), and bad input refused with its rule and nothing written."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from google.type import date_pb2
from sgz.hr.v1 import hr_pb2, hr_pb2_grpc
from sgz.roster.v1 import roster_pb2 as rpb
from sgz.roster.v1 import roster_pb2_grpc
from sgz.visit.v1 import ledger_pb2, visit_pb2_grpc
from sgz.visit.v1 import visit_pb2 as pb

from hr_svc.app import build as build_hr
from roster_svc.app import build as build_roster
from sgz_runtime import status
from sgz_runtime.server import RunningServer, create_server
from tests.conftest import CITY
from visit_svc.app import build as build_visit
from visit_svc.domain.weeks import CST, IsoWeek

TOWN = "towns/chengdong"
VILLAGE = "towns/chengdong/villages/xinhua"


def _check_digit(number17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(a) * w for a, w in zip(number17, weights, strict=True))
    return number17 + "10X98765432"[total % 11]


IDS = tuple(_check_digit(f"32062119{40 + i}0101001") for i in range(3))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _d(day: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _ts(moment: dt.datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(moment.astimezone(dt.UTC))
    return out


def _time(ts: timestamp_pb2.Timestamp) -> dt.datetime:
    return ts.ToDatetime(tzinfo=dt.UTC)


def _rule_of(error: grpc.RpcError) -> str:
    for detail in status.rich_status(error).details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            rule: str = info.metadata.get("rule", "")
            return rule
    return ""


#: The week of the story: two weeks ago, so every day of it and of the next week is over.
WEEK = IsoWeek.of(dt.datetime.now(CST).date() - dt.timedelta(days=14))


def _at(offset_days: int, hour: int, minute: int = 0) -> dt.datetime:
    day = WEEK.monday + dt.timedelta(days=offset_days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)


@dataclass
class Stack:
    roster: roster_pb2_grpc.RosterServiceStub
    visits: visit_pb2_grpc.VisitServiceStub
    roster_server: RunningServer
    worker: str
    other_worker: str
    persons: list[str]
    settings: Any


@pytest.fixture
def stack(start_service, settings, database_url, monkeypatch) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    hr_port = _free_port()
    roster_server, roster_channel = start_service("roster", build_roster, hr=hr_port)
    monkeypatch.setenv("HR_DATABASE_URL", database_url("hr"))
    local = settings.model_copy(update={"roster_port": roster_server.port, "hr_port": hr_port})
    hr_server = create_server(build_hr(local), f"127.0.0.1:{hr_port}", local)
    hr_server.server.start()
    hr_channel = grpc.insecure_channel(f"127.0.0.1:{hr_port}")
    _, visit_channel = start_service("visit", build_visit, roster=roster_server.port)
    roster = roster_pb2_grpc.RosterServiceStub(roster_channel)
    hr = hr_pb2_grpc.HrServiceStub(hr_channel)
    roster.CreateTown(
        rpb.CreateTownRequest(
            town=rpb.Town(
                display_name="城东镇", administrative_code="320621100", kind=rpb.TOWN_KIND_TOWN
            ),
            town_id="chengdong",
        ),
        metadata=tuple(CITY),
    )
    roster.CreateVillage(
        rpb.CreateVillageRequest(
            parent=TOWN,
            village=rpb.Village(display_name="新华村", kind=rpb.VILLAGE_KIND_VILLAGE),
            village_id="xinhua",
        ),
        metadata=tuple(CITY),
    )
    workers = [
        hr.CreateWorker(
            hr_pb2.CreateWorkerRequest(
                worker=hr_pb2.Worker(
                    display_name=n, town=TOWN, role=hr_pb2.WORKER_ROLE_STATION_WORKER
                )
            ),
            metadata=tuple(CITY),
        ).name
        for n in ("王芳", "赵强")
    ]
    persons = []
    for i, number in enumerate(IDS):
        person = roster.CreatePerson(
            rpb.CreatePersonRequest(
                person=rpb.Person(display_name=f"老人{i}", id_number=number, village=VILLAGE),
                start_date=_d(dt.date(2024, 1, 1)),
            ),
            metadata=tuple(CITY),
        )
        roster.CreateAssignment(
            rpb.CreateAssignmentRequest(
                parent=person.name,
                assignment=rpb.Assignment(worker=workers[0], start_date=_d(dt.date(2024, 1, 1))),
            ),
            metadata=tuple(CITY),
        )
        persons.append(person.name)
    yield Stack(
        roster,
        visit_pb2_grpc.VisitServiceStub(visit_channel),
        roster_server,
        workers[0],
        workers[1],
        persons,
        local,
    )
    hr_channel.close()
    hr_server.stop(0)


def _checks(*problems: str) -> pb.VisitChecks:
    checks = pb.VisitChecks()
    for field in (
        "residence_hygiene",
        "personal_hygiene",
        "regular_diet",
        "food_source",
        "able_to_feed_self",
        "house_safety",
        "illness",
    ):
        check = getattr(checks, field)
        if field in problems:
            check.CopyFrom(pb.Check(result=pb.CHECK_RESULT_PROBLEM, note=f"{field}: 有问题"))
        else:
            check.CopyFrom(pb.Check(result=pb.CHECK_RESULT_FINE))
    return checks


def _visit(
    s: Stack,
    person: str,
    at: dt.datetime,
    *problems: str,
    worker: str | None = None,
    request_id: str = "",
) -> pb.Visit:
    visit = pb.Visit(
        person=person, worker=worker or s.worker, visit_time=_ts(at), checks=_checks(*problems)
    )
    made: pb.Visit = s.visits.CreateVisit(
        pb.CreateVisitRequest(visit=visit, request_id=request_id), metadata=tuple(CITY)
    )
    return made


def _escalation(s: Stack, name: str) -> pb.Escalation:
    found: pb.Escalation = s.visits.GetEscalation(
        pb.GetEscalationRequest(name=name), metadata=tuple(CITY)
    )
    return found


def _notify(s: Stack, name: str, at: dt.datetime) -> pb.Escalation:
    notice = pb.VillageContactNotice(
        display_name="王红", channel=pb.CONTACT_CHANNEL_PHONE, contact_time=_ts(at)
    )
    done: pb.Escalation = s.visits.NotifyVillageContact(
        pb.NotifyVillageContactRequest(name=name, contact=notice), metadata=tuple(CITY)
    )
    return done


def _arrange(s: Stack, name: str, action: int, day: int, at: dt.datetime) -> pb.Escalation:
    arrangement = pb.ActionArrangement(
        action=action,  # type: ignore[arg-type]
        action_date=_d(WEEK.monday + dt.timedelta(days=day)),
        arrange_time=_ts(at),
    )
    done: pb.Escalation = s.visits.ArrangeEscalationAction(
        pb.ArrangeEscalationActionRequest(name=name, arrangement=arrangement), metadata=tuple(CITY)
    )
    return done


def _due(s: Stack, week: IsoWeek, worker: str = "") -> pb.WeeklyDue:
    due: pb.WeeklyDue = s.visits.GetWeeklyDue(
        pb.GetWeeklyDueRequest(parent=VILLAGE, week=str(week), worker=worker), metadata=tuple(CITY)
    )
    return due


def _listed(s: Stack, view: int) -> list[str]:
    found = s.visits.ListEscalations(
        pb.ListEscalationsRequest(parent=TOWN, view=view),  # type: ignore[arg-type]
        metadata=tuple(CITY),
    )
    return [e.name for e in found.escalations]


def test_a_week_of_visits_escalations_deadlines_and_a_move_to_an_institution(stack: Stack) -> None:
    """Rules V1-V6, V8, V9 end to end."""
    s = stack
    p1, p2, p3 = s.persons
    # Monday: three visits, each finding type (V3 hygiene, V5 illness, V4 house and diet).
    v1 = _visit(s, p1, _at(0, 9), "residence_hygiene", "personal_hygiene")
    v2 = _visit(s, p2, _at(0, 10), "illness")
    v3 = _visit(s, p3, _at(0, 11), "house_safety", "regular_diet")
    assert v1.town == TOWN and v1.village == VILLAGE
    cleaning, hospital, institution = (_escalation(s, v.escalations[0]) for v in (v1, v2, v3))
    assert len(v1.escalations) == len(v2.escalations) == len(v3.escalations) == 1
    # V6: urgency and deadlines from the policy of the visit's day.
    assert (cleaning.urgency, cleaning.action) == (pb.URGENCY_PROMPT, pb.ESCALATION_ACTION_CLEANING)
    assert _time(cleaning.contact_deadline) == _at(1, 9)
    assert _time(cleaning.action_deadline) == _at(3, 9)
    assert (hospital.urgency, hospital.action) == (
        pb.URGENCY_PROMPT,
        pb.ESCALATION_ACTION_HOSPITAL_ADMISSION,
    )
    assert _time(hospital.contact_deadline) == _at(1, 10)
    assert _time(hospital.action_deadline) == _at(1, 10)
    assert (institution.urgency, institution.action) == (
        pb.URGENCY_IMMEDIATE,
        pb.ESCALATION_ACTION_INSTITUTION_ADMISSION,
    )
    assert list(institution.findings) == [pb.CHECK_ITEM_REGULAR_DIET, pb.CHECK_ITEM_HOUSE_SAFETY]
    assert _time(institution.contact_deadline) == _at(0, 13)
    assert _time(institution.action_deadline) == _at(7, 11)
    assert institution.policy_version == "v1" and institution.assistance_required

    # The institution escalation meets its 2-hour contact deadline...
    met = _notify(s, institution.name, _at(0, 12))
    assert not met.contact_overdue
    # ...the hospital one never has its contact recorded: missed, and shown overdue.
    assert _escalation(s, hospital.name).contact_overdue
    assert hospital.name in _listed(s, pb.ESCALATION_VIEW_OVERDUE)
    # The cleaning: contacted late (next day 10:00 > 09:00), arranged, resolved.
    late = _notify(s, cleaning.name, _at(1, 10))
    assert late.contact_overdue
    _arrange(s, cleaning.name, pb.ESCALATION_ACTION_CLEANING, 2, _at(1, 11))
    cleaned = s.visits.ResolveEscalation(
        pb.ResolveEscalationRequest(
            name=cleaning.name,
            resolution=pb.Resolution(
                outcome=pb.ESCALATION_OUTCOME_CLEANED, resolve_time=_ts(_at(2, 17))
            ),
        ),
        metadata=tuple(CITY),
    )
    assert cleaned.state == pb.ESCALATION_STATE_RESOLVED

    # V4, V8: the institution admission is arranged, assisted and done on Wednesday.
    _arrange(s, institution.name, pb.ESCALATION_ACTION_INSTITUTION_ADMISSION, 2, _at(1, 9))
    # Every step with a deadline is now done but the hospital contact: only it is overdue.
    assert _listed(s, pb.ESCALATION_VIEW_OVERDUE) == [hospital.name]
    s.visits.RecordEscalationAssistance(
        pb.RecordEscalationAssistanceRequest(
            name=institution.name,
            assistance=pb.Assistance(assist_time=_ts(_at(1, 15)), note="协助办理入院手续"),
        ),
        metadata=tuple(CITY),
    )
    admitted = s.visits.ResolveEscalation(
        pb.ResolveEscalationRequest(
            name=institution.name,
            resolution=pb.Resolution(
                outcome=pb.ESCALATION_OUTCOME_ADMITTED_TO_INSTITUTION,
                outcome_date=_d(WEEK.monday + dt.timedelta(days=2)),
                resolve_time=_ts(_at(2, 16)),
            ),
            request_id="resolve-1",
        ),
        metadata=tuple(CITY),
    )
    assert admitted.state == pb.ESCALATION_STATE_RESOLVED
    assert admitted.resolution.roster_request_id
    person = s.roster.GetPerson(rpb.GetPersonRequest(name=p3), metadata=tuple(CITY))
    assert person.status == rpb.PERSON_STATUS_IN_INSTITUTION

    # V9: from Wednesday p3 is not visited at home.
    with pytest.raises(grpc.RpcError) as info:
        _visit(s, p3, _at(3, 9))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _rule_of(info.value) == "V9"

    # V1: the week: three due (p3 was home Monday and Tuesday), all visited.
    week = _due(s, WEEK)
    assert (week.due_count, week.visited_count, week.not_visited_count) == (3, 3, 0)
    # V8: the next week p3 is not due; p1 and p2 were not visited, and the week is missed.
    following = _due(s, WEEK.next(), worker=s.worker)
    assert sorted(d.person for d in following.due) == sorted([p1, p2])
    assert all(d.missed and not d.visited for d in following.due)
    # V7: every item of the week is a ledger entry of the town, and the chain holds.
    entries = s.visits.ListLedgerEntries(
        ledger_pb2.ListLedgerEntriesRequest(parent=TOWN, page_size=100), metadata=tuple(CITY)
    ).ledger_entries
    kinds = [
        ledger_pb2.LedgerEntryKind.Name(e.kind).removeprefix("LEDGER_ENTRY_KIND_") for e in entries
    ]
    assert sorted(kinds) == sorted(
        ["VISIT"] * 3
        + ["ESCALATION"] * 3
        + ["CONTACT"] * 2
        + ["ARRANGEMENT"] * 2
        + ["ASSISTANCE"]
        + ["OUTCOME"] * 2
    )
    verified = s.visits.VerifyLedger(
        ledger_pb2.VerifyLedgerRequest(town=TOWN), metadata=tuple(CITY)
    )
    assert verified.holds and verified.entries_checked == len(entries)
    missed = s.visits.ListMissedWeeks(
        pb.ListMissedWeeksRequest(person=p3, start_week=str(WEEK), end_week=str(WEEK.next())),
        metadata=tuple(CITY),
    )
    assert (missed.due_weeks, list(missed.missed_weeks)) == (1, [])


def test_a_retried_visit_creates_exactly_one_record(stack: Stack) -> None:
    """AIP-155: the same request id returns the same visit; another body is refused."""
    s = stack
    first = _visit(s, s.persons[0], _at(0, 9), "illness", request_id="phone-42")
    again = _visit(s, s.persons[0], _at(0, 9), "illness", request_id="phone-42")
    assert again == first
    listed = s.visits.ListVisits(pb.ListVisitsRequest(person=s.persons[0]), metadata=tuple(CITY))
    assert [v.name for v in listed.visits] == [first.name]
    escalations = s.visits.ListEscalations(
        pb.ListEscalationsRequest(parent=TOWN, view=pb.ESCALATION_VIEW_ALL), metadata=tuple(CITY)
    )
    assert len(escalations.escalations) == 1
    with pytest.raises(grpc.RpcError) as info:
        _visit(s, s.persons[0], _at(0, 10), request_id="phone-42")
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _no_visits(s: Stack, person: str) -> None:
    listed = s.visits.ListVisits(pb.ListVisitsRequest(person=person), metadata=tuple(CITY))
    assert list(listed.visits) == []


def test_bad_visits_are_refused_with_their_rule_and_write_nothing(stack: Stack) -> None:
    s = stack
    p1 = s.persons[0]
    cases: list[tuple[dict[str, Any], grpc.StatusCode, str]] = [
        ({"worker": s.other_worker}, grpc.StatusCode.FAILED_PRECONDITION, "V9"),
        (
            {"at": dt.datetime.now(CST) + dt.timedelta(hours=2)},
            grpc.StatusCode.FAILED_PRECONDITION,
            "V9",
        ),
    ]
    for change, code, rule in cases:
        with pytest.raises(grpc.RpcError) as info:
            _visit(s, p1, change.get("at", _at(0, 9)), worker=change.get("worker"))
        assert info.value.code() == code
        assert _rule_of(info.value) == rule
    with pytest.raises(grpc.RpcError) as info:
        _visit(s, "persons/nobody", _at(0, 9))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    # A check value outside its enum.
    checks = _checks()
    checks.illness.result = 99  # type: ignore[assignment]
    bad = pb.Visit(person=p1, worker=s.worker, visit_time=_ts(_at(0, 9)), checks=checks)
    with pytest.raises(grpc.RpcError) as info:
        s.visits.CreateVisit(pb.CreateVisitRequest(visit=bad), metadata=tuple(CITY))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _rule_of(info.value) == "V2"
    # A required check left out.
    partial = pb.Visit(person=p1, worker=s.worker, visit_time=_ts(_at(0, 9)), checks=_checks())
    partial.checks.ClearField("house_safety")
    with pytest.raises(grpc.RpcError) as info:
        s.visits.CreateVisit(pb.CreateVisitRequest(visit=partial), metadata=tuple(CITY))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "visit.checks.house_safety" in (info.value.details() or "")
    _no_visits(s, p1)


def test_escalation_steps_out_of_order_or_before_the_visit_are_refused(stack: Stack) -> None:
    s = stack
    visit = _visit(s, s.persons[0], _at(0, 9), "food_source")
    name = visit.escalations[0]
    with pytest.raises(grpc.RpcError) as info:
        _arrange(s, name, pb.ESCALATION_ACTION_INSTITUTION_ADMISSION, 1, _at(0, 10))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _rule_of(info.value) == "V4"
    with pytest.raises(grpc.RpcError) as info:
        _notify(s, name, _at(0, 8))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "before the visit" in (info.value.details() or "")
    assert _escalation(s, name).state == pb.ESCALATION_STATE_OPENED


def test_an_admission_with_the_roster_down_records_nothing_and_the_retry_completes(
    stack: Stack,
) -> None:
    """Rule V8: roster first (same derived request id on every try), then the local record."""
    s = stack
    visit = _visit(s, s.persons[1], _at(0, 9), "able_to_feed_self")
    name = visit.escalations[0]
    _notify(s, name, _at(0, 10))
    _arrange(s, name, pb.ESCALATION_ACTION_INSTITUTION_ADMISSION, 3, _at(0, 11))
    s.visits.RecordEscalationAssistance(
        pb.RecordEscalationAssistanceRequest(
            name=name, assistance=pb.Assistance(assist_time=_ts(_at(0, 12)), note="手续")
        ),
        metadata=tuple(CITY),
    )
    request = pb.ResolveEscalationRequest(
        name=name,
        resolution=pb.Resolution(
            outcome=pb.ESCALATION_OUTCOME_ADMITTED_TO_INSTITUTION,
            outcome_date=_d(WEEK.monday + dt.timedelta(days=3)),
            resolve_time=_ts(_at(3, 17)),
        ),
    )
    s.roster_server.server.stop(0).wait()
    with pytest.raises(grpc.RpcError) as info:
        s.visits.ResolveEscalation(request, metadata=tuple(CITY))
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert _escalation(s, name).state == pb.ESCALATION_STATE_ASSISTANCE_RECORDED
    # The roster comes back on its port (same database); the same call completes.
    again = create_server(build_roster(s.settings), f"127.0.0.1:{s.roster_server.port}", s.settings)
    again.server.start()
    try:
        done = s.visits.ResolveEscalation(request, metadata=tuple(CITY))
        assert done.state == pb.ESCALATION_STATE_RESOLVED
        # The test's own channel to the roster may still be in its reconnect backoff.
        person = s.roster.GetPerson(
            rpb.GetPersonRequest(name=s.persons[1]),
            metadata=tuple(CITY),
            wait_for_ready=True,
            timeout=10,
        )
        assert person.status == rpb.PERSON_STATUS_IN_INSTITUTION
    finally:
        again.stop(0)
