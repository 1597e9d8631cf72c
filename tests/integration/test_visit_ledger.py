"""The work ledger (rule V7) through a real visit server and a real database: reading,
correcting, verifying, the chain catching a row edited behind the service's back, and
gap-free numbering under concurrent appends."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sgz.visit.v1 import ledger_pb2 as lpb
from sgz.visit.v1 import visit_pb2_grpc
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from sgz_runtime.chain import ChainKey
from sgz_runtime.db import make_engine, session_factory
from sgz_runtime.identity import Role, ScopeLevel
from tests.conftest import CITY, as_caller
from visit_svc.adapters.ledger_repository import SqlLedgerRepository
from visit_svc.app import build

TOWN = "towns/chengdong"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CHIEF = as_caller(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope=TOWN, subject="users/chief")


#: The chain key the service under test reads from its environment, so rows written here
#: directly are sealed as the service seals them.
KEY_TEXT = "a test key for the visit chains"
KEY = ChainKey(KEY_TEXT.encode())


@pytest.fixture
def visit(start_service, monkeypatch) -> Iterator[tuple[visit_pb2_grpc.VisitServiceStub, Engine]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SGZ_CHAIN_KEY_VISIT", KEY_TEXT)
    _, channel = start_service("visit", build)
    engine = make_engine(os.environ["VISIT_DATABASE_URL"], durable=True)
    yield visit_pb2_grpc.VisitServiceStub(channel), engine
    engine.dispose()


def _append(engine: Engine, n: int, town: str = TOWN, start: int = 0) -> None:
    factory = session_factory(engine)
    for i in range(start, start + n):
        with factory() as session:
            SqlLedgerRepository(session, key=KEY).append(
                town,
                "visit",
                f"visits/v{i}",
                "workers/w1",
                T0 + timedelta(hours=i),
                {"person": f"persons/p{i}", "checks": {"illness": {"value": "fine", "note": ""}}},
            )
            session.commit()


def _verify(stub: visit_pb2_grpc.VisitServiceStub) -> lpb.LedgerVerification:
    return stub.VerifyLedger(lpb.VerifyLedgerRequest(town=TOWN), metadata=tuple(CITY))


def test_entries_are_listed_in_sequence_and_the_chain_holds_v7(visit) -> None:  # type: ignore[no-untyped-def]
    stub, engine = visit
    _append(engine, 3)
    page = stub.ListLedgerEntries(
        lpb.ListLedgerEntriesRequest(parent=TOWN, page_size=2), metadata=CHIEF
    )
    assert [e.name for e in page.ledger_entries] == [
        f"{TOWN}/ledgerEntries/1",
        f"{TOWN}/ledgerEntries/2",
    ]
    first = page.ledger_entries[0]
    assert first.kind == lpb.LEDGER_ENTRY_KIND_VISIT
    assert first.previous_hash == "0" * 64
    assert page.ledger_entries[1].previous_hash == first.hash
    assert first.payload_json == (
        '{"checks":{"illness":{"note":"","value":"fine"}},"person":"persons/p0"}'
    )
    rest = stub.ListLedgerEntries(
        lpb.ListLedgerEntriesRequest(parent=TOWN, page_size=2, page_token=page.next_page_token),
        metadata=CHIEF,
    )
    assert [e.sequence for e in rest.ledger_entries] == [3]
    result = _verify(stub)
    assert (result.holds, result.entries_checked, result.head_sequence) == (True, 3, 3)
    assert result.head_hash == rest.ledger_entries[0].hash


def _drop_append_only_guard(engine: Engine) -> None:
    """What someone with the database owner's rights could do."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER ledger_entries_no_update"))
            conn.execute(text("DROP TRIGGER ledger_entries_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER ledger_entries_append_only ON ledger_entries"))


def test_the_database_refuses_to_update_or_delete_an_entry_v7(visit) -> None:  # type: ignore[no-untyped-def]
    _, engine = visit
    _append(engine, 1)
    for statement in (
        "UPDATE ledger_entries SET actor = 'workers/w2' WHERE seq = 1",
        "DELETE FROM ledger_entries WHERE seq = 1",
    ):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))


def test_an_entry_edited_with_raw_sql_is_reported_by_verify_v7(visit) -> None:  # type: ignore[no-untyped-def]
    stub, engine = visit
    _append(engine, 4)
    assert _verify(stub).holds
    _drop_append_only_guard(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE ledger_entries SET payload = REPLACE(payload, 'fine', 'problem') "
                "WHERE town = :town AND seq = 3"
            ),
            {"town": TOWN},
        )
    result = _verify(stub)
    assert not result.holds
    assert result.first_broken_entry == f"{TOWN}/ledgerEntries/3"
    assert "changed" in result.problem


def test_a_deleted_last_entry_is_reported_by_verify_v7(visit) -> None:  # type: ignore[no-untyped-def]
    stub, engine = visit
    _append(engine, 3)
    _drop_append_only_guard(engine)
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM ledger_entries WHERE town = :town AND seq = 3"), {"town": TOWN}
        )
    result = _verify(stub)
    assert (result.holds, result.first_broken_entry) == (False, f"{TOWN}/ledgerEntries/3")


def test_a_correction_references_the_original_which_stays_unchanged_v7(visit) -> None:  # type: ignore[no-untyped-def]
    stub, engine = visit
    _append(engine, 2)
    name = f"{TOWN}/ledgerEntries/1"
    before = stub.GetLedgerEntry(lpb.GetLedgerEntryRequest(name=name), metadata=CHIEF)
    correction = stub.CorrectLedgerEntry(
        lpb.CorrectLedgerEntryRequest(
            name=name, payload_json='{"note": "饮食不规律"}', reason="录错了"
        ),
        metadata=CHIEF,
    )
    assert (correction.sequence, correction.kind, correction.corrects) == (
        3,
        lpb.LEDGER_ENTRY_KIND_CORRECTION,
        name,
    )
    assert (correction.actor, correction.correction_reason) == ("users/chief", "录错了")
    assert correction.subject == before.subject
    assert stub.GetLedgerEntry(lpb.GetLedgerEntryRequest(name=name), metadata=CHIEF) == before
    assert _verify(stub).holds


def test_a_correction_without_a_reason_is_refused_and_nothing_is_written_v7(visit) -> None:  # type: ignore[no-untyped-def]
    stub, engine = visit
    _append(engine, 1)
    with pytest.raises(grpc.RpcError) as info:
        stub.CorrectLedgerEntry(
            lpb.CorrectLedgerEntryRequest(name=f"{TOWN}/ledgerEntries/1", payload_json='{"a": 1}'),
            metadata=CHIEF,
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as info:
        stub.CorrectLedgerEntry(
            lpb.CorrectLedgerEntryRequest(
                name=f"{TOWN}/ledgerEntries/1", payload_json='{"a": 1}', reason="why"
            ),
            metadata=as_caller(role=Role.AUDITOR),
        )
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert _verify(stub).head_sequence == 1


def test_another_towns_ledger_is_out_of_scope(visit) -> None:  # type: ignore[no-untyped-def]
    stub, engine = visit
    _append(engine, 1)
    other = as_caller(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope="towns/xiyuan")
    with pytest.raises(grpc.RpcError) as info:
        stub.ListLedgerEntries(lpb.ListLedgerEntriesRequest(parent=TOWN), metadata=other)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as info:
        stub.GetLedgerEntry(
            lpb.GetLedgerEntryRequest(name=f"{TOWN}/ledgerEntries/1"), metadata=other
        )
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_concurrent_appends_get_gap_free_numbers_and_one_chain_v7(visit) -> None:  # type: ignore[no-untyped-def]
    stub, engine = visit
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            _append(engine, 10, start=k * 10)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = _verify(stub)
    assert (result.holds, result.entries_checked, result.head_sequence) == (True, 60, 60)


def test_chains_of_two_towns_are_independent(visit) -> None:  # type: ignore[no-untyped-def]
    stub, engine = visit
    _append(engine, 2)
    _append(engine, 1, town="towns/xiyuan")
    other = stub.VerifyLedger(lpb.VerifyLedgerRequest(town="towns/xiyuan"), metadata=CITY)
    assert (other.holds, other.head_sequence) == (True, 1)
    assert _verify(stub).head_sequence == 2


def test_nothing_recorded_verifies_as_an_empty_chain(visit) -> None:  # type: ignore[no-untyped-def]
    stub, _ = visit
    result = _verify(stub)
    assert (result.holds, result.entries_checked, result.head_hash) == (True, 0, "0" * 64)
