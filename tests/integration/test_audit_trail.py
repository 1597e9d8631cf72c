"""Masks that mask and the audit trail as evidence (issue 11 items 3 and 4), through a real
roster server and database: no response of any role lets a person's ID number be rebuilt; every
reveal and every revealing export is in the keyed, append-only trail the auditor lists, and a
trail row rewritten and re-hashed with plain SHA-256 shows."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from google.type import date_pb2
from sgz.common.v1 import types_pb2
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc
from sqlalchemy import Engine, text

from roster_svc.adapters import orm
from roster_svc.adapters.checkpoint_client import GrpcCheckpointClient as RosterCheckpointClient
from roster_svc.app import build as build_roster
from sgz_runtime.audit import audit_head
from sgz_runtime.chain import ChainKey
from sgz_runtime.checkpoints import CheckpointPublisher
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, session_factory
from sgz_runtime.identity import Role, ScopeLevel
from sgz_runtime.pii.vault import seal_plaintext
from sgz_runtime.server import create_server
from tests.conftest import CITY, SECRET, as_caller
from visit_svc.app import build as build_visit

#: 海安县 (a retired code, still valid), born 1949-12-31, female.
ID_A = "32062119491231000X"
TOWN = "towns/chengdong"
VILLAGE = f"{TOWN}/villages/xinhua"
AUDITOR = as_caller(role=Role.AUDITOR, level=ScopeLevel.CITY, subject="users/auditor")
CHIEF = as_caller(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope=TOWN, subject="users/chief")
#: Every role that reads persons, each in a scope that covers the person.
READERS: dict[str, Sequence[tuple[str, str]]] = {
    "city_civil_affairs": CITY,
    "town_head": as_caller(role=Role.TOWN_HEAD, level=ScopeLevel.TOWN, scope=TOWN),
    "station_chief": CHIEF,
    "station_worker": as_caller(role=Role.STATION_WORKER, level=ScopeLevel.TOWN, scope=TOWN),
    "village_contact": as_caller(
        role=Role.VILLAGE_CONTACT, level=ScopeLevel.VILLAGE, scope=VILLAGE
    ),
    "hr": as_caller(role=Role.HR, level=ScopeLevel.TOWN, scope=TOWN),
    "auditor": AUDITOR,
    "city_finance": as_caller(role=Role.CITY_FINANCE, level=ScopeLevel.CITY),
}


@pytest.fixture
def roster(start_service) -> Iterator[tuple[Any, Engine]]:  # type: ignore[no-untyped-def]
    _, channel = start_service("roster", build_roster)
    stub = roster_pb2_grpc.RosterServiceStub(channel)
    _town(stub)
    stub.CreateVillage(
        pb.CreateVillageRequest(
            parent=TOWN,
            village=pb.Village(display_name="新华村", kind=pb.VILLAGE_KIND_VILLAGE),
            village_id="xinhua",
        ),
        metadata=CITY,
    )
    engine = make_engine(os.environ["ROSTER_DATABASE_URL"])
    yield stub, engine
    engine.dispose()


def _town(stub: Any) -> None:
    """The town, with its 9-digit division code (or the 6-digit one older rosters take)."""
    for code in ("320621100", "320621"):
        try:
            stub.CreateTown(
                pb.CreateTownRequest(
                    town=pb.Town(
                        display_name="城东镇", administrative_code=code, kind=pb.TOWN_KIND_TOWN
                    ),
                    town_id="chengdong",
                ),
                metadata=CITY,
            )
            return
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
                raise


def _person(stub: Any, number: str = ID_A) -> pb.Person:
    person: pb.Person = stub.CreatePerson(
        pb.CreatePersonRequest(
            person=pb.Person(display_name="李四", id_number=number, village=VILLAGE),
            start_date=date_pb2.Date(year=2024, month=1, day=1),
        ),
        metadata=CITY,
    )
    return person


def _responses(stub: Any, person: pb.Person, metadata: Any) -> list[Message]:
    """Every roster response that carries the person, as this caller gets it (refusals are
    simply absent: a refusal carries nothing about the number)."""
    period = types_pb2.Period(
        start_date=date_pb2.Date(year=2024, month=1, day=1),
        end_date=date_pb2.Date(year=2024, month=12, day=31),
    )
    calls: list[Callable[[], Message]] = [
        lambda: stub.GetPerson(pb.GetPersonRequest(name=person.name), metadata=metadata),
        lambda: stub.ListPersons(pb.ListPersonsRequest(parent=TOWN), metadata=metadata),
        lambda: stub.ListPersons(pb.ListPersonsRequest(parent=VILLAGE), metadata=metadata),
        lambda: stub.LookupPerson(pb.LookupPersonRequest(id_number=ID_A), metadata=metadata),
        lambda: stub.SearchPersons(
            pb.SearchPersonsRequest(parent=TOWN, query="李"), metadata=metadata
        ),
        lambda: stub.BatchGetPersons(
            pb.BatchGetPersonsRequest(names=[person.name]), metadata=metadata
        ),
        lambda: stub.ExportPersons(
            pb.ExportPersonsRequest(parent=TOWN, purpose="年度核查"), metadata=metadata
        ),
        lambda: stub.GetPersonTimeline(
            pb.GetPersonTimelineRequest(name=person.name, period=period), metadata=metadata
        ),
        lambda: stub.ListPersonTimelines(
            pb.ListPersonTimelinesRequest(parent=TOWN, period=period), metadata=metadata
        ),
    ]
    found: list[Message] = []
    for call in calls:
        try:
            found.append(call())
        except grpc.RpcError as exc:
            assert exc.code() in (
                grpc.StatusCode.PERMISSION_DENIED,
                grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.UNIMPLEMENTED,
            ), exc
    return found


def _values_of(data: Any, key: str) -> list[Any]:
    if isinstance(data, dict):
        found = [data[key]] if key in data else []
        return found + [v for item in data.values() for v in _values_of(item, key)]
    if isinstance(data, list):
        return [v for item in data for v in _values_of(item, key)]
    return []


def _birth_dates(message: Any) -> list[tuple[int, int, int]]:
    """Every birth_date field anywhere in a response (year, month, day)."""
    found: list[tuple[int, int, int]] = []
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        items = value if field.is_repeated else [value]
        for item in items:
            if field.name == "birth_date":
                found.append((item.year, item.month, item.day))
            elif not (field.message_type.GetOptions().map_entry):
                found += _birth_dates(item)
    return found


def test_no_response_of_any_role_lets_the_id_number_be_rebuilt(
    roster: tuple[Any, Engine],
) -> None:
    """Issue 11 item 3: what any role is shown (the address code, the birth year, the gender)
    leaves the birth month and day, the sequence and the check digit unknown: none of them, and
    not the number, appears in any response; birth dates carry the year only."""
    stub, _ = roster
    person = _person(stub)
    hidden = {
        "the number": ID_A,
        "the birth date": ID_A[6:14],
        "the birth date in ISO form": "1949-12-31",
        "the sequence and check digit": ID_A[14:],
    }
    for role, metadata in sorted(READERS.items()):
        responses = _responses(stub, person, metadata)
        assert responses, f"{role} reads the person somewhere"
        for response in responses:
            shown = json.dumps(json_format.MessageToDict(response), ensure_ascii=False)
            for what, value in hidden.items():
                assert value not in shown, f"{role} sees {what} in {type(response).__name__}"
            for year, month, day in _birth_dates(response):
                assert (year, month, day) == (1949, 0, 0), f"{role} sees a birth date"
            masks = list(_values_of(json.loads(shown), "idNumberMasked"))
            assert set(masks) <= {"320621************"}, f"{role} sees {masks}"


def test_a_reveal_is_in_the_keyed_trail_the_auditor_lists(roster: tuple[Any, Engine]) -> None:
    """Issue 11 item 4: who, whom, why and the request id, never the number; the auditor reads
    it and the chain holds; a chief may not list it."""
    stub, _ = roster
    person = _person(stub)
    revealed = stub.RevealPersonIdNumber(
        pb.RevealPersonIdNumberRequest(name=person.name, purpose="核对补贴发放"), metadata=CHIEF
    )
    assert revealed.id_number == ID_A
    listed = stub.ListAuditEntries(pb.ListAuditEntriesRequest(), metadata=AUDITOR)
    [entry] = [e for e in listed.audit_entries if e.action == "id_number_revealed"]
    assert (entry.actor, entry.role, entry.scope, entry.resource, entry.purpose) == (
        "users/chief",
        "station_chief",
        TOWN,
        person.name,
        "核对补贴发放",
    )
    assert entry.request_id and len(entry.hash) == 64
    assert ID_A not in str(listed)
    assert listed.verification.holds is True
    assert listed.verification.head_sequence == entry.sequence
    with pytest.raises(grpc.RpcError) as refused:
        stub.ListAuditEntries(pb.ListAuditEntriesRequest(), metadata=CHIEF)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_revealing_export_is_recorded_once_with_its_purpose(roster: tuple[Any, Engine]) -> None:
    stub, _ = roster
    _person(stub)
    exported = stub.ExportPersons(
        pb.ExportPersonsRequest(parent=TOWN, purpose="补贴核对", reveal_id_numbers=True),
        metadata=CHIEF,
    )
    assert exported.id_numbers_revealed and exported.persons[0].id_number == ID_A
    listed = stub.ListAuditEntries(pb.ListAuditEntriesRequest(resource=TOWN), metadata=AUDITOR)
    [entry] = listed.audit_entries
    assert (entry.action, entry.purpose, entry.detail) == (
        "id_numbers_exported",
        "补贴核对",
        "persons=1 id_numbers=full",
    )


def test_an_oversized_purpose_is_refused_and_nothing_is_revealed_or_written(
    roster: tuple[Any, Engine],
) -> None:
    """A 1 MB purpose once pushed every earlier record out of a log file: now it is refused
    with 400 before anything is read or recorded."""
    stub, engine = roster
    person = _person(stub)
    for purpose in ("x" * 501, "x" * 1_000_000, "   "):
        with pytest.raises(grpc.RpcError) as refused:
            stub.RevealPersonIdNumber(
                pb.RevealPersonIdNumberRequest(name=person.name, purpose=purpose), metadata=CHIEF
            )
        assert refused.value.code() in (
            grpc.StatusCode.INVALID_ARGUMENT,
            grpc.StatusCode.RESOURCE_EXHAUSTED,  # over gRPC's 4 MB message limit only
        )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one() == 0


def test_the_trail_refuses_update_and_delete(roster: tuple[Any, Engine]) -> None:
    stub, engine = roster
    person = _person(stub)
    stub.RevealPersonIdNumber(
        pb.RevealPersonIdNumberRequest(name=person.name, purpose="核对"), metadata=CHIEF
    )
    for sql in ("UPDATE audit_entries SET purpose = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))


def test_a_trail_row_rewritten_and_rehashed_with_sha256_does_not_hold(
    roster: tuple[Any, Engine],
) -> None:
    """Issue 11 item 5, for the audit trail: the owner of roster.db drops the trigger, changes
    a purpose and re-hashes that row and the next with plain SHA-256, head included."""
    stub, engine = roster
    person = _person(stub)
    for purpose in ("核对一", "核对二"):
        stub.RevealPersonIdNumber(
            pb.RevealPersonIdNumberRequest(name=person.name, purpose=purpose), metadata=CHIEF
        )
    assert stub.ListAuditEntries(pb.ListAuditEntriesRequest(), metadata=AUDITOR).verification.holds
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_entries_no_update"))
        else:
            conn.execute(text("DROP TRIGGER audit_entries_append_only ON audit_entries"))
        rows = conn.execute(text("SELECT seq, prev_hash FROM audit_entries ORDER BY seq")).all()
        prev = rows[0].prev_hash
        for seq, _ in rows:
            forged = hashlib.sha256(f"{prev}forged {seq}".encode()).hexdigest()
            conn.execute(
                text(
                    "UPDATE audit_entries SET purpose = '看看', prev_hash = :p, hash = :h "
                    "WHERE seq = :s"
                ),
                {"p": prev, "h": forged, "s": seq},
            )
            prev = forged
        conn.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": prev})
    result = stub.ListAuditEntries(pb.ListAuditEntriesRequest(), metadata=AUDITOR).verification
    assert (result.holds, result.first_broken_sequence) == (False, 1)
    assert "changed" in result.problem


def test_a_duplicate_id_number_is_named_only_to_callers_who_may_see_that_person(
    roster: tuple[Any, Engine],
) -> None:
    """Issue 11 item 7: a chief of another town learns nothing about where the number is."""
    stub, _ = roster
    _person(stub)
    stub.CreateTown(
        pb.CreateTownRequest(
            town=pb.Town(
                display_name="西城镇",
                administrative_code=_code_like_the_first(stub, "320682"),
                kind=pb.TOWN_KIND_TOWN,
            ),
            town_id="xicheng",
        ),
        metadata=CITY,
    )
    stub.CreateVillage(
        pb.CreateVillageRequest(
            parent="towns/xicheng",
            village=pb.Village(display_name="东风村", kind=pb.VILLAGE_KIND_VILLAGE),
            village_id="dongfeng",
        ),
        metadata=CITY,
    )
    other = as_caller(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope="towns/xicheng")
    request = pb.CreatePersonRequest(
        person=pb.Person(
            display_name="李四", id_number=ID_A, village="towns/xicheng/villages/dongfeng"
        ),
        start_date=date_pb2.Date(year=2024, month=1, day=1),
    )
    with pytest.raises(grpc.RpcError) as neutral:
        stub.CreatePerson(request, metadata=other)
    assert neutral.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "persons/" not in (neutral.value.details() or "")
    assert "on the roster" not in (neutral.value.details() or "")
    with pytest.raises(grpc.RpcError) as named:
        stub.CreatePerson(request, metadata=CITY)
    assert named.value.code() == grpc.StatusCode.ALREADY_EXISTS


def _code_like_the_first(stub: Any, county: str) -> str:
    first = stub.GetTown(pb.GetTownRequest(name=TOWN), metadata=CITY).administrative_code
    return county + "100" if len(first) == 9 else county


def test_addresses_and_phones_are_sealed_at_rest_and_read_back(
    roster: tuple[Any, Engine],
) -> None:
    """Issue 11 item 6: the database holds neither the address nor the phone readable; the
    API returns them; a row written before sealing is sealed in place on start."""
    stub, engine = roster
    made = stub.CreatePerson(
        pb.CreatePersonRequest(
            person=pb.Person(
                display_name="王五",
                id_number=ID_A,
                village=VILLAGE,
                address="城东镇新华村三组12号",
                phone="13812345678",
            ),
            start_date=date_pb2.Date(year=2024, month=1, day=1),
        ),
        metadata=CITY,
    )
    with engine.connect() as conn:
        address, phone = conn.execute(
            text("SELECT address, phone FROM persons WHERE id = :i"),
            {"i": made.name.split("/")[1]},
        ).one()
    assert address.startswith("enc1:") and phone.startswith("enc1:")
    assert "新华村" not in address and "12345678" not in phone
    got = stub.GetPerson(pb.GetPersonRequest(name=made.name), metadata=CITY)
    assert (got.address, got.phone) == ("城东镇新华村三组12号", "+8613812345678")
    # A row as it was stored before sealing, sealed in place by what the service runs at start.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE persons SET address = '旧地址', phone = '+8651388123456' WHERE id = :i"),
            {"i": made.name.split("/")[1]},
        )
    assert stub.GetPerson(pb.GetPersonRequest(name=made.name), metadata=CITY).address == "旧地址"
    with session_factory(engine)() as session, session.begin():
        assert seal_plaintext(session, orm.persons, "id", ("address", "phone")) == 1
    with engine.connect() as conn:
        sealed = conn.execute(text("SELECT address FROM persons")).scalar_one()
    assert sealed.startswith("enc1:")
    assert stub.GetPerson(pb.GetPersonRequest(name=made.name), metadata=CITY).address == "旧地址"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_a_truncated_trail_shows_against_the_checkpoint_the_visit_service_keeps(
    start_service: Any,
    settings: Settings,
    database_url: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 11 item 5, for the roster's trail: its head, signed with the roster's key, is kept
    in the visit service's database; the last record deleted and the head moved back shows."""
    monkeypatch.setenv("SGZ_CHAIN_KEY_ROSTER", "the roster chain key of this test")
    key = ChainKey(b"the roster chain key of this test")
    visit_port = _free_port()
    roster_server, channel = start_service("roster", build_roster, visit=visit_port)
    monkeypatch.setenv("VISIT_DATABASE_URL", database_url("visit"))
    local = settings.model_copy(
        update={"roster_port": roster_server.port, "visit_port": visit_port}
    )
    visit_server = create_server(build_visit(local), f"127.0.0.1:{visit_port}", local)
    visit_server.server.start()
    engine = make_engine(os.environ["ROSTER_DATABASE_URL"])
    try:
        stub = roster_pb2_grpc.RosterServiceStub(channel)
        _town(stub)
        stub.CreateVillage(
            pb.CreateVillageRequest(
                parent=TOWN,
                village=pb.Village(display_name="新华村", kind=pb.VILLAGE_KIND_VILLAGE),
                village_id="xinhua",
            ),
            metadata=CITY,
        )
        person = _person(stub)
        for purpose in ("核对一", "核对二", "核对三"):
            stub.RevealPersonIdNumber(
                pb.RevealPersonIdNumberRequest(name=person.name, purpose=purpose), metadata=CHIEF
            )
        to_visit = RosterCheckpointClient(
            grpc.insecure_channel(f"127.0.0.1:{visit_port}"), SECRET.encode()
        )
        publisher = CheckpointPublisher(
            "roster", key, lambda: audit_head(session_factory(engine)), to_visit, 3600
        )
        assert publisher.publish_now() == 1
        listed = stub.ListAuditEntries(pb.ListAuditEntriesRequest(), metadata=AUDITOR)
        assert listed.verification.holds
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text("DROP TRIGGER audit_entries_no_delete"))
            else:
                conn.execute(text("DROP TRIGGER audit_entries_append_only ON audit_entries"))
            second = conn.execute(text("SELECT hash FROM audit_entries WHERE seq = 2")).scalar()
            conn.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
            conn.execute(text("UPDATE audit_head SET last_seq = 2, last_hash = :h"), {"h": second})
        result = stub.ListAuditEntries(pb.ListAuditEntriesRequest(), metadata=AUDITOR).verification
        assert (result.holds, result.first_broken_sequence) == (False, 3)
        assert "checkpoint saw 3 entries but 2 were found" in result.problem
    finally:
        engine.dispose()
        visit_server.stop(0)
