"""Tamper evidence that holds against whoever owns visit.db (issue 11 item 5, rule V7): an entry
rewritten and re-hashed with plain SHA-256 up to the head, and a tail truncated with its head
moved back, are both reported by VerifyLedger; the checkpoint lives in the roster's database."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sgz.visit.v1 import ledger_pb2 as lpb
from sgz.visit.v1 import visit_pb2_grpc
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from roster_svc.app import build as build_roster
from sgz_runtime.chain import ChainKey
from sgz_runtime.checkpoints import CheckpointPublisher
from sgz_runtime.db import make_engine, session_factory
from tests.conftest import CITY, SECRET
from visit_svc.adapters.checkpoint_client import GrpcCheckpointClient
from visit_svc.adapters.ledger_orm import ledger_entries
from visit_svc.adapters.ledger_repository import (
    SqlLedgerRepository,
    anchor_legacy_chains,
    chain_heads,
)
from visit_svc.app import build as build_visit
from visit_svc.domain.ledger import GENESIS_HASH, canonical_content

TOWN = "towns/chengdong"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
KEY_TEXT = "the visit chain key of the tamper tests"
KEY = ChainKey(KEY_TEXT.encode())


@pytest.fixture
def stack(start_service, monkeypatch) -> Iterator[tuple[Any, Engine, GrpcCheckpointClient]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SGZ_CHAIN_KEY_VISIT", KEY_TEXT)
    roster_server, roster_channel = start_service("roster", build_roster)
    _, visit_channel = start_service("visit", build_visit, roster=roster_server.port)
    engine = make_engine(os.environ["VISIT_DATABASE_URL"], durable=True)
    client = GrpcCheckpointClient(roster_channel, SECRET.encode())
    yield visit_pb2_grpc.VisitServiceStub(visit_channel), engine, client
    engine.dispose()


def _append(engine: Engine, n: int) -> None:
    factory = session_factory(engine)
    for i in range(n):
        with factory() as session:
            SqlLedgerRepository(session, key=KEY).append(
                TOWN,
                "visit",
                f"visits/v{i}",
                "workers/w1",
                T0 + timedelta(hours=i),
                {"person": f"persons/p{i}", "checks": {"illness": {"value": "fine", "note": ""}}},
            )
            session.commit()


def _verify(stub: Any) -> lpb.LedgerVerification:
    result: lpb.LedgerVerification = stub.VerifyLedger(
        lpb.VerifyLedgerRequest(town=TOWN), metadata=CITY
    )
    return result


def _without_triggers(engine: Engine, statements: list[tuple[str, dict[str, Any]]]) -> None:
    """What the owner of the database file can do: drop the triggers, then write."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS ledger_entries_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS ledger_entries_no_delete"))
        else:
            conn.execute(
                text("DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries")
            )
        for sql, params in statements:
            conn.execute(text(sql), params)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rows(engine: Engine, where: Any) -> list[Any]:
    with engine.connect() as conn:
        query = select(ledger_entries).where(ledger_entries.c.town == TOWN, where)
        return list(conn.execute(query.order_by(ledger_entries.c.seq)).all())


def _sha256_link(prev: str, row: Any, actor: str | None = None) -> str:
    """The unkeyed re-hash a forger without the key can compute (the pre-issue-11 chain)."""
    content = canonical_content(
        town=row.town,
        seq=row.seq,
        kind=row.kind,
        subject=row.subject,
        actor=actor or row.actor,
        at=_aware(row.at),
        recorded_at=_aware(row.recorded_at),
        payload_json=row.payload,
        corrects=row.corrects,
        reason=row.reason,
    )
    return hashlib.sha256(prev.encode("ascii") + content).hexdigest()


@pytest.mark.parametrize("claim_plain_sha256", [False, True])
def test_an_entry_rewritten_and_rehashed_to_the_head_with_sha256_does_not_hold(
    stack: tuple[Any, Engine, GrpcCheckpointClient], claim_plain_sha256: bool
) -> None:
    """Rule V7 / issue 11 item 5: the forger rewrites entry 2 and re-hashes 2..4 and the head
    with plain SHA-256 (marking the rows `sha256` too, or not): verification says it breaks."""
    stub, engine, _ = stack
    _append(engine, 4)
    assert _verify(stub).holds
    rows = _rows(engine, ledger_entries.c.seq > 0)
    prev = rows[0].hash
    statements: list[tuple[str, dict[str, Any]]] = []
    for row in rows[1:]:
        actor = "workers/forger" if row.seq == 2 else row.actor
        new_hash = _sha256_link(prev, row, actor)
        alg = "sha256" if claim_plain_sha256 else row.hash_alg
        statements.append(
            (
                "UPDATE ledger_entries SET actor = :a, prev_hash = :p, hash = :h, hash_alg = :g "
                "WHERE town = :t AND seq = :s",
                {"a": actor, "p": prev, "h": new_hash, "g": alg, "t": TOWN, "s": row.seq},
            )
        )
        prev = new_hash
    statements.append(
        ("UPDATE ledger_heads SET last_hash = :h WHERE town = :t", {"h": prev, "t": TOWN})
    )
    _without_triggers(engine, statements)
    result = _verify(stub)
    assert result.holds is False
    assert result.first_broken_entry == f"{TOWN}/ledgerEntries/2"
    assert ("not keyed" if claim_plain_sha256 else "changed") in result.problem


def test_a_truncated_tail_with_its_head_moved_back_shows_against_the_roster_checkpoint(
    stack: tuple[Any, Engine, GrpcCheckpointClient],
) -> None:
    """Issue 11 item 5: the checkpoint of the head (seq 5), signed with the visit key and kept
    in the roster's database, catches entries 4 and 5 removed and the head set back to 3."""
    stub, engine, client = stack
    _append(engine, 5)
    publisher = CheckpointPublisher(
        "visit", KEY, lambda: chain_heads(session_factory(engine)), client, 3600
    )
    assert publisher.publish_now() == 1  # the town's ledger (the audit trail is still empty)
    assert publisher.publish_now() == 0  # an unmoved head is not published again
    kept = client.latest("visit", f"ledger:{TOWN}")
    assert kept is not None and kept.seq == 5 and kept.holds_for(KEY)
    assert _verify(stub).holds
    with engine.connect() as conn:
        third = conn.execute(
            text("SELECT hash FROM ledger_entries WHERE town = :t AND seq = 3"), {"t": TOWN}
        ).scalar_one()
    _without_triggers(
        engine,
        [
            ("DELETE FROM ledger_entries WHERE town = :t AND seq > 3", {"t": TOWN}),
            (
                "UPDATE ledger_heads SET last_seq = 3, last_hash = :h WHERE town = :t",
                {"h": third, "t": TOWN},
            ),
        ],
    )
    result = _verify(stub)
    assert result.holds is False
    assert result.first_broken_entry == f"{TOWN}/ledgerEntries/4"
    assert "checkpoint saw 5 entries but 3 were found" in result.problem


def test_a_checkpoint_not_signed_with_the_visit_key_is_not_trusted(
    stack: tuple[Any, Engine, GrpcCheckpointClient],
) -> None:
    """Whoever owns the roster's database cannot vouch for a shorter chain either."""
    stub, engine, client = stack
    _append(engine, 2)
    forger = ChainKey(b"not the visit key")
    publisher = CheckpointPublisher(
        "visit", forger, lambda: chain_heads(session_factory(engine)), client, 3600
    )
    publisher.publish_now()
    result = _verify(stub)
    assert result.holds is False and "not signed" in result.problem


def test_entries_from_before_the_key_verify_up_to_their_signed_boundary_only(
    start_service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upgrade path: entries hashed with plain SHA-256 before the key are counted and
    signed once when the service starts; keyed entries follow them; a keyed entry later
    rewritten as a plain one breaks."""
    monkeypatch.setenv("SGZ_CHAIN_KEY_VISIT", KEY_TEXT)
    _, channel = start_service("visit", build_visit)  # migrates the database
    engine = make_engine(os.environ["VISIT_DATABASE_URL"], durable=True)
    stub = visit_pb2_grpc.VisitServiceStub(channel)
    try:
        # Two entries as the service wrote them before issue 11: plain SHA-256, no boundary.
        prev = GENESIS_HASH
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO ledger_heads (town, last_seq, last_hash) VALUES (:t, 0, :g)"),
                {"t": TOWN, "g": GENESIS_HASH},
            )
            for seq in (1, 2):
                row = _Row(TOWN, seq, f"visits/old{seq}", T0 + timedelta(hours=seq))
                link = _sha256_link(prev, row)
                conn.execute(
                    text(
                        "INSERT INTO ledger_entries (town, seq, kind, subject, actor, at, "
                        "recorded_at, payload, corrects, reason, prev_hash, hash, hash_alg) "
                        "VALUES (:town, :seq, 'visit', :subject, 'workers/w1', :at, :at, '{}', "
                        "NULL, '', :prev, :hash, 'sha256')"
                    ),
                    {
                        "town": TOWN,
                        "seq": seq,
                        "subject": row.subject,
                        "at": row.at,
                        "prev": prev,
                        "hash": link,
                    },
                )
                prev = link
            conn.execute(
                text("UPDATE ledger_heads SET last_seq = 2, last_hash = :h WHERE town = :t"),
                {"h": prev, "t": TOWN},
            )
        # What the service does on its next start, before anything is appended.
        with session_factory(engine)() as session, session.begin():
            assert anchor_legacy_chains(session, KEY) == 1
        _append_keyed_after(engine)
        result = _verify(stub)
        assert (result.holds, result.entries_checked) == (True, 3)
        # The forger turns keyed entry 3 into a plain one, re-hashed with SHA-256.
        (third,) = _rows(engine, ledger_entries.c.seq == 3)
        forged = _sha256_link(prev, third)
        _without_triggers(
            engine,
            [
                (
                    "UPDATE ledger_entries SET hash = :h, hash_alg = 'sha256' "
                    "WHERE town = :t AND seq = 3",
                    {"h": forged, "t": TOWN},
                ),
                (
                    "UPDATE ledger_heads SET last_hash = :h WHERE town = :t",
                    {"h": forged, "t": TOWN},
                ),
            ],
        )
        broken = _verify(stub)
        assert broken.holds is False and broken.first_broken_entry == f"{TOWN}/ledgerEntries/3"
    finally:
        engine.dispose()


class _Row:
    """A pre-key entry's columns, as _sha256_link reads them."""

    def __init__(self, town: str, seq: int, subject: str, at: datetime):
        self.town, self.seq, self.kind, self.subject = town, seq, "visit", subject
        self.actor, self.at, self.recorded_at = "workers/w1", at, at
        self.payload, self.corrects, self.reason = "{}", None, ""


def _append_keyed_after(engine: Engine) -> None:
    with session_factory(engine)() as session:
        SqlLedgerRepository(session, key=KEY).append(
            TOWN,
            "visit",
            "visits/new",
            "workers/w1",
            T0 + timedelta(days=1),
            {"person": "persons/p"},
        )
        session.commit()


def test_visits_and_their_checks_refuse_update_and_delete(
    stack: tuple[Any, Engine, GrpcCheckpointClient],
) -> None:
    """Issue 11 item 5: the visit tables are protected as the ledger is (triggers)."""
    _, engine, _ = stack
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO visits (id, person, town, village, worker, visited_at, week_start, "
                "notes, recorded_by, recorded_at) VALUES ('v1', 'persons/p', :t, :t, "
                "'workers/w1', :at, :day, '', 'users/w1', :at)"
            ),
            {"t": TOWN, "at": T0, "day": T0.date()},
        )
        conn.execute(
            text(
                "INSERT INTO visit_checks (visit_id, item, result, note) "
                "VALUES ('v1', 'illness', 'fine', '')"
            )
        )
    for sql in (
        "UPDATE visits SET notes = 'x'",
        "DELETE FROM visits",
        "UPDATE visit_checks SET note = 'x'",
        "DELETE FROM visit_checks",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
