"""The work ledger (rule V7): hash chain, corrections, verification, on fakes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

import pytest

from sgz_runtime.errors import InvalidArgument, NotFound, PermissionDenied
from sgz_runtime.identity import Caller, Role, ScopeLevel
from visit_svc.adapters.ledger_repository import FAKE_KEY, FakeLedgerRepository, LedgerRepository
from visit_svc.domain import ledger as domain
from visit_svc.domain.ledger import GENESIS_HASH, EntryKind, StoredEntry
from visit_svc.service_layer import ledger

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TOWN = "towns/chengdong"
CHIEF = Caller("users/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, TOWN)
AUDITOR = Caller("users/audit", Role.AUDITOR, ScopeLevel.CITY, "")
OTHER_TOWN = Caller("users/x", Role.STATION_CHIEF, ScopeLevel.TOWN, "towns/xiyuan")
WORKER = Caller("workers/w1", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/w1")


class FakeUow:
    ledger: LedgerRepository

    def __init__(self) -> None:
        self.fake = FakeLedgerRepository(clock=lambda: T0 + timedelta(hours=1))
        self.ledger = self.fake
        self.committed = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def commit(self) -> None:
        self.committed += 1


def _visit(uow: FakeUow, n: int = 1, actor: str = "workers/w1") -> None:
    for i in range(n):
        uow.ledger.append(
            TOWN,
            "visit",
            f"visits/v{i}",
            actor,
            T0 + timedelta(minutes=i),
            {"person": f"persons/p{i}", "checks": {"illness": {"value": "fine", "note": ""}}},
        )


def _stored(uow: FakeUow) -> list[StoredEntry]:
    return uow.ledger.stored(TOWN, after_seq=0, upto_seq=10**9, limit=10**9)


def test_entries_are_numbered_per_town_and_each_links_to_the_previous_hash_v7() -> None:
    uow = FakeUow()
    _visit(uow, 3)
    uow.ledger.append(
        "towns/xiyuan", "visit", "visits/x", "workers/w9", T0, {"person": "persons/q"}
    )
    chain = uow.fake.entries[TOWN]
    assert [e.seq for e in chain] == [1, 2, 3]
    assert chain[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]
    assert uow.fake.entries["towns/xiyuan"][0].seq == 1


def test_hash_covers_previous_hash_and_canonical_content_v7() -> None:
    uow = FakeUow()
    _visit(uow, 1)
    entry = uow.fake.entries[TOWN][0]
    content = domain.canonical_content(
        town=TOWN,
        seq=1,
        kind="visit",
        subject="visits/v0",
        actor="workers/w1",
        at=T0,
        recorded_at=T0 + timedelta(hours=1),
        payload_json='{"checks":{"illness":{"note":"","value":"fine"}},"person":"persons/p0"}',
        corrects=None,
        reason="",
    )
    assert entry.hash == domain.chain_hash(GENESIS_HASH, content, FAKE_KEY)
    # Key order in the payload does not change the hash: the serialisation is canonical.
    assert domain.canonical_payload({"b": 1, "a": "新华村"}) == '{"a":"新华村","b":1}'


def test_verify_holds_for_an_untouched_chain_v7() -> None:
    uow = FakeUow()
    _visit(uow, 5)
    result = ledger.verify_ledger(uow, AUDITOR, TOWN)
    assert (result.holds, result.entries_checked, result.head_seq) == (True, 5, 5)
    assert result.first_broken_seq is None


def _verify_stored(entries: list[StoredEntry], head: tuple[int, str]) -> domain.Verification:
    verifier = domain.ChainVerifier(TOWN, FAKE_KEY)
    verifier.feed(entries)
    return verifier.finish(*head)


def test_an_edited_payload_is_detected_at_that_entry_v7() -> None:
    uow = FakeUow()
    _visit(uow, 4)
    stored = _stored(uow)
    stored[2] = dataclasses.replace(
        stored[2], payload_json=stored[2].payload_json.replace("fine", "problem")
    )
    result = _verify_stored(stored, uow.ledger.head(TOWN))
    assert not result.holds
    assert result.first_broken_seq == 3
    assert "changed" in result.problem


def test_an_edited_time_or_actor_is_detected_v7() -> None:
    uow = FakeUow()
    _visit(uow, 2)
    for change in ({"at": T0 - timedelta(days=1)}, {"actor": "workers/w2"}, {"kind": "contact"}):
        stored = _stored(uow)
        stored[0] = dataclasses.replace(stored[0], **change)  # type: ignore[arg-type]
        assert _verify_stored(stored, uow.ledger.head(TOWN)).first_broken_seq == 1


def test_a_removed_entry_is_detected_in_the_middle_and_at_the_end_v7() -> None:
    uow = FakeUow()
    _visit(uow, 4)
    stored = _stored(uow)
    middle = _verify_stored(stored[:1] + stored[2:], uow.ledger.head(TOWN))
    assert (middle.holds, middle.first_broken_seq) == (False, 2)
    tail = _verify_stored(stored[:3], uow.ledger.head(TOWN))
    assert (tail.holds, tail.first_broken_seq) == (False, 4)


def test_a_rehashed_entry_still_breaks_the_link_of_the_next_v7() -> None:
    uow = FakeUow()
    _visit(uow, 3)
    stored = _stored(uow)
    forged = dataclasses.replace(stored[1], actor="workers/w2")
    forged = dataclasses.replace(forged, hash=forged.recomputed_hash(stored[0].hash, FAKE_KEY))
    stored[1] = forged
    result = _verify_stored(stored, uow.ledger.head(TOWN))
    assert (result.holds, result.first_broken_seq) == (False, 3)


def test_correction_is_a_new_entry_naming_the_original_with_who_and_why_v7() -> None:
    uow = FakeUow()
    _visit(uow, 2)
    original = uow.fake.entries[TOWN][0]
    entry = ledger.correct_entry(
        uow, CHIEF, f"{TOWN}/ledgerEntries/1", '{"note": "饮食正常"}', " 录入错误 "
    )
    assert (entry.seq, entry.kind, entry.corrects, entry.reason) == (
        3,
        EntryKind.CORRECTION,
        1,
        "录入错误",
    )
    assert entry.actor == "users/chief"
    assert entry.subject == original.subject
    assert entry.payload == {"note": "饮食正常", "corrected_kind": "visit"}
    assert uow.fake.entries[TOWN][0] == original  # the original is untouched
    assert uow.committed == 1
    assert ledger.verify_ledger(uow, CHIEF, TOWN).holds


def test_a_worker_corrects_their_own_entry_but_not_another_workers_v7() -> None:
    uow = FakeUow()
    _visit(uow, 1, actor="workers/w1")
    _visit(uow, 1, actor="workers/w2")
    ledger.correct_entry(uow, WORKER, f"{TOWN}/ledgerEntries/1", '{"note": "x"}', "typo")
    with pytest.raises(NotFound):
        ledger.correct_entry(uow, WORKER, f"{TOWN}/ledgerEntries/2", '{"note": "x"}', "typo")


@pytest.mark.parametrize(
    ("payload", "reason", "field"),
    [
        ('{"note": "x"}', "  ", "reason"),
        ("not json", "typo", "payload_json"),
        ("[1, 2]", "typo", "payload_json"),
        ("{}", "typo", "payload_json"),
        ('{"weight": 1.5}', "typo", "payload.weight"),
    ],
)
def test_correction_without_reason_or_with_bad_values_is_refused_and_writes_nothing_v7(
    payload: str, reason: str, field: str
) -> None:
    uow = FakeUow()
    _visit(uow, 1)
    with pytest.raises(InvalidArgument) as info:
        ledger.correct_entry(uow, CHIEF, f"{TOWN}/ledgerEntries/1", payload, reason)
    assert info.value.violations[0].field == field
    assert uow.ledger.head(TOWN)[0] == 1
    assert uow.committed == 0


def test_correcting_a_missing_entry_or_out_of_scope_is_refused() -> None:
    uow = FakeUow()
    _visit(uow, 1)
    with pytest.raises(NotFound):
        ledger.correct_entry(uow, CHIEF, f"{TOWN}/ledgerEntries/7", '{"a": 1}', "why")
    with pytest.raises(NotFound):
        ledger.correct_entry(uow, OTHER_TOWN, f"{TOWN}/ledgerEntries/1", '{"a": 1}', "why")
    with pytest.raises(PermissionDenied):
        ledger.correct_entry(uow, AUDITOR, f"{TOWN}/ledgerEntries/1", '{"a": 1}', "why")
    with pytest.raises(InvalidArgument):
        ledger.correct_entry(uow, CHIEF, f"{TOWN}/ledgerEntries/zero", '{"a": 1}', "why")


def test_the_repository_port_has_no_update_or_delete_v7() -> None:
    from visit_svc.adapters.ledger_repository import LedgerRepository, SqlLedgerRepository

    for klass in (LedgerRepository, SqlLedgerRepository, FakeLedgerRepository):
        methods = {m for m in dir(klass) if not m.startswith("_")}
        readers = {"get", "list_entries", "head", "stored", "legacy_seq", "key", "session"}
        assert methods <= {"append", *readers}


def test_unknown_kind_naive_time_and_a_stray_reference_are_refused_v7() -> None:
    repo = FakeLedgerRepository()
    with pytest.raises(InvalidArgument):
        repo.append(TOWN, "gossip", "visits/v", "workers/w1", T0, {})
    with pytest.raises(InvalidArgument):
        repo.append(TOWN, "visit", "visits/v", "workers/w1", T0.replace(tzinfo=None), {})
    with pytest.raises(InvalidArgument):
        repo.append(TOWN, "visit", "visits/v", "workers/w1", T0, {}, corrects=1)
    with pytest.raises(InvalidArgument):
        repo.append("villages/x", "visit", "visits/v", "workers/w1", T0, {})
    assert repo.entries == {}


def test_entries_are_listed_by_cst_day_and_paged_in_sequence_order() -> None:
    uow = FakeUow()
    # 2026-11-23 15:59 UTC is 23:59 CST on the 23rd; 16:00 UTC is already the 24th in CST.
    for i, at in enumerate(
        [datetime(2026, 11, 23, 15, 59, tzinfo=UTC), datetime(2026, 11, 23, 16, 0, tzinfo=UTC)] * 2
    ):
        uow.ledger.append(TOWN, "visit", f"visits/v{i}", "workers/w1", at, {"person": "p"})
    day = datetime(2026, 11, 23).date()
    first, token = ledger.list_entries(
        uow, CHIEF, TOWN, start_date=day, end_date=day, subject="", page_size=1, page_token=""
    )
    assert [e.seq for e in first] == [1]
    rest, last = ledger.list_entries(
        uow, CHIEF, TOWN, start_date=day, end_date=day, subject="", page_size=1, page_token=token
    )
    assert ([e.seq for e in rest], last) == ([3], "")
    with pytest.raises(PermissionDenied):
        ledger.list_entries(
            uow,
            OTHER_TOWN,
            TOWN,
            start_date=None,
            end_date=None,
            subject="",
            page_size=0,
            page_token="",
        )


def test_a_village_contact_or_a_worker_does_not_read_the_towns_whole_ledger() -> None:
    uow = FakeUow()
    _visit(uow, 1, actor="workers/w2")
    village = Caller("users/v", Role.VILLAGE_CONTACT, ScopeLevel.VILLAGE, f"{TOWN}/villages/x")
    for caller in (village, WORKER):
        with pytest.raises(PermissionDenied):
            ledger.list_entries(
                uow,
                caller,
                TOWN,
                start_date=None,
                end_date=None,
                subject="",
                page_size=0,
                page_token="",
            )
        with pytest.raises(PermissionDenied):
            ledger.verify_ledger(uow, caller, TOWN)
        with pytest.raises(NotFound):
            ledger.get_entry(uow, caller, f"{TOWN}/ledgerEntries/1")


def test_the_chain_matches_links_computed_by_hand_v7() -> None:
    """Rule V7, oracle: each link is HMAC-SHA256 over the previous link's hex and the canonical
    content, recomputed here with hmac and hashlib from literal bytes. Leaving the previous
    link out, or any field, changes the answer."""
    import hashlib
    import hmac

    from tests.oracles import ledger_chain as oracle

    uow = FakeUow()
    _visit(uow, 2)
    first, second = uow.fake.entries[TOWN]

    def link(prev: str, content: bytes) -> str:
        mac = hmac.new(oracle.FAKE_KEY_SECRET, prev.encode("ascii") + content, hashlib.sha256)
        return mac.hexdigest()

    assert first.prev_hash == oracle.GENESIS
    assert first.hash == link(oracle.GENESIS, oracle.CONTENT_1)
    assert second.prev_hash == first.hash
    assert second.hash == link(first.hash, oracle.CONTENT_2)
    # Not the content alone: the previous link is part of what is signed.
    assert second.hash != link(oracle.GENESIS, oracle.CONTENT_2)
