"""What the ledger verifier (rule V7) reports for each kind of break, and the exact bytes and
hashes an entry is sealed with (issue 7: the surviving ledger mutants).

Expected values are literals: the canonical content of an entry is written out by hand and its
link computed with hashlib/hmac directly, never with the code under test. The chains the
verifier walks are built with `seal` (a fixture); what is asserted is what verification says.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sgz_runtime.chain import ChainKey
from sgz_runtime.errors import InvalidArgument
from visit_svc.domain.ledger import (
    ChainVerifier,
    EntryKind,
    NewEntry,
    StoredEntry,
    Verification,
    seal,
)

CST = timezone(timedelta(hours=8))
KEY = ChainKey(b"test-secret", "k1")
ZERO = "0" * 64
TOWN = "towns/chengdong"


def _stored(n: int, *, key: ChainKey = KEY, prev: str = ZERO, first: int = 1) -> list[StoredEntry]:
    """Entries first..first+n-1 of a keyed chain after prev, as read back from storage."""
    out: list[StoredEntry] = []
    for seq in range(first, first + n):
        sealed = seal(
            NewEntry(
                town=TOWN,
                kind=EntryKind.VISIT,
                subject=f"visits/v{seq}",
                actor="workers/w1",
                at=datetime(2026, 3, seq, 9, 0, tzinfo=CST),
                payload={"person": f"persons/p{seq}"},
            ),
            seq=seq,
            prev_hash=prev,
            recorded_at=datetime(2026, 3, seq, 10, 0, tzinfo=CST),
            key=key,
        )
        out.append(
            StoredEntry(
                town=sealed.town,
                seq=sealed.seq,
                kind=sealed.kind.value,
                subject=sealed.subject,
                actor=sealed.actor,
                at=sealed.at,
                recorded_at=sealed.recorded_at,
                payload_json=sealed.payload_json,
                corrects=sealed.corrects,
                reason=sealed.reason,
                prev_hash=sealed.prev_hash,
                hash=sealed.hash,
                hash_alg=sealed.hash_alg,
            )
        )
        prev = sealed.hash
    return out


def _verify(
    entries: list[StoredEntry],
    head_seq: int,
    head_hash: str,
    *,
    key: ChainKey = KEY,
    legacy_seq: int | None = None,
    checkpoint: tuple[int, str] | None = None,
) -> Verification:
    verifier = (
        ChainVerifier(TOWN, key, checkpoint=checkpoint)
        if legacy_seq is None
        else ChainVerifier(TOWN, key, legacy_seq, checkpoint=checkpoint)
    )
    verifier.feed(entries)
    return verifier.finish(head_seq, head_hash)


def test_an_intact_chain_holds_and_says_so_exactly() -> None:
    chain = _stored(3)
    result = _verify(chain, 3, chain[2].hash)
    assert result == Verification(
        town="towns/chengdong",
        holds=True,
        entries_checked=3,
        head_seq=3,
        head_hash=chain[2].hash,
        first_broken_seq=None,
        problem="",
    )


def test_an_intact_chain_fed_in_pages_holds() -> None:
    chain = _stored(3)
    verifier = ChainVerifier(TOWN, KEY)
    verifier.feed(chain[:2])
    verifier.feed(chain[2:])
    result = verifier.finish(3, chain[2].hash)
    assert (result.holds, result.entries_checked, result.problem) == (True, 3, "")


def test_an_empty_chain_holds_when_the_head_says_zero() -> None:
    result = _verify([], 0, ZERO)
    assert (result.holds, result.entries_checked, result.first_broken_seq, result.problem) == (
        True,
        0,
        None,
        "",
    )
    assert (result.town, result.head_seq, result.head_hash) == ("towns/chengdong", 0, ZERO)


def test_an_empty_chain_whose_head_says_two_is_broken_at_one() -> None:
    result = _verify([], 2, "a" * 64)
    assert (result.holds, result.first_broken_seq) == (False, 1)
    assert result.problem == "the chain head says 2 entries but 0 were found"
    assert result.head_hash == "a" * 64


def test_a_changed_payload_breaks_at_that_entry() -> None:
    chain = _stored(3)
    chain[1] = replace(chain[1], payload_json='{"person":"persons/p9"}')
    result = _verify(chain, 3, chain[2].hash)
    assert (result.holds, result.first_broken_seq, result.entries_checked) == (False, 2, 2)
    assert result.problem == "its content was changed after it was recorded"


def test_a_wrong_previous_link_breaks_at_that_entry() -> None:
    chain = _stored(3)
    chain[1] = replace(chain[1], prev_hash="b" * 64)
    result = _verify(chain, 3, chain[2].hash)
    assert (result.holds, result.first_broken_seq) == (False, 2)
    assert result.problem == "its link to the previous entry does not match"


def test_a_sequence_gap_names_the_missing_entry_and_the_next_one() -> None:
    chain = _stored(4)
    del chain[1]
    result = _verify(chain, 4, chain[2].hash)
    assert (result.holds, result.first_broken_seq, result.entries_checked) == (False, 2, 2)
    assert result.problem == "entry 2 is missing (the next one is 3)"


def test_a_chain_checked_with_another_secret_breaks_at_the_first_entry() -> None:
    chain = _stored(2)
    result = _verify(chain, 2, chain[1].hash, key=ChainKey(b"another-secret", "k1"))
    assert (result.holds, result.first_broken_seq) == (False, 1)
    assert result.problem == "its content was changed after it was recorded"


def test_an_entry_keyed_with_a_key_this_process_lacks_cannot_be_read() -> None:
    chain = _stored(2)
    result = _verify(chain, 2, chain[1].hash, key=ChainKey(b"test-secret", "k2"))
    assert (result.holds, result.first_broken_seq) == (False, 1)
    assert result.problem == "its recorded content cannot be read"


def test_recomputing_under_another_key_id_says_which_keys() -> None:
    entry = _stored(3)[2]
    with pytest.raises(ValueError) as info:
        entry.recomputed_hash("c" * 64, ChainKey(b"test-secret", "k2"))
    assert str(info.value) == "entry 3 is keyed with hmac-sha256:k1, not hmac-sha256:k2"


def test_a_removed_last_entry_breaks_at_its_seq() -> None:
    chain = _stored(3)
    result = _verify(chain[:2], 3, chain[2].hash)
    assert (result.holds, result.first_broken_seq) == (False, 3)
    assert result.problem == "the chain head says 3 entries but 2 were found"


def test_more_entries_than_the_head_says_breaks_after_the_head() -> None:
    chain = _stored(3)
    result = _verify(chain, 2, chain[1].hash)
    assert (result.holds, result.first_broken_seq) == (False, 3)
    assert result.problem == "the chain head says 2 entries but 3 were found"


def test_a_head_hash_that_is_not_the_last_entrys_breaks_at_the_head() -> None:
    chain = _stored(3)
    result = _verify(chain, 3, "f" * 64)
    assert (result.holds, result.first_broken_seq) == (False, 3)
    assert result.problem == "the chain head's hash does not match the last entry"


def test_a_checkpoint_on_the_last_entry_that_matches_holds() -> None:
    chain = _stored(3)
    result = _verify(chain, 3, chain[2].hash, checkpoint=(3, chain[2].hash))
    assert (result.holds, result.first_broken_seq, result.problem) == (True, None, "")


def test_an_entry_other_than_the_checkpoint_saw_breaks_there() -> None:
    chain = _stored(3)
    result = _verify(chain, 3, chain[2].hash, checkpoint=(2, "e" * 64))
    assert (result.holds, result.first_broken_seq) == (False, 2)
    assert result.problem == "it differs from the entry the checkpoint saw"


def test_fewer_entries_than_a_checkpoint_saw_breaks_after_the_last() -> None:
    chain = _stored(3)
    result = _verify(chain, 3, chain[2].hash, checkpoint=(5, "e" * 64))
    assert (result.holds, result.first_broken_seq) == (False, 4)
    assert result.problem == "a signed checkpoint saw 5 entries but 3 were found"


# Two entries written before the key, by hand: plain SHA-256 over the previous hash's text and
# the canonical content below (non-ASCII text kept as UTF-8, times in UTC with microseconds).
_LEGACY_1 = (
    '["sgz-ledger-v1","towns/chengdong",1,"visit","visits/东1","workers/w1",'
    '"2026-03-02T00:00:00.000000Z","2026-03-02T00:00:01.000000Z",{"note":"好"},null,"无"]'
)
_LEGACY_2 = (
    '["sgz-ledger-v1","towns/chengdong",2,"correction","visits/东1","workers/w1",'
    '"2026-03-02T01:00:00.000000Z","2026-03-02T01:00:01.000000Z",{},1,"写错了"]'
)
_H1 = hashlib.sha256(ZERO.encode() + _LEGACY_1.encode("utf-8")).hexdigest()
_H2 = hashlib.sha256(_H1.encode() + _LEGACY_2.encode("utf-8")).hexdigest()


def _legacy() -> list[StoredEntry]:
    return [
        StoredEntry(
            town=TOWN,
            seq=1,
            kind="visit",
            subject="visits/东1",
            actor="workers/w1",
            # aware, not in UTC: the content is the UTC time
            at=datetime(2026, 3, 2, 8, 0, tzinfo=CST),
            recorded_at=datetime(2026, 3, 2, 8, 0, 1, tzinfo=CST),
            payload_json='{"note":"好"}',
            corrects=None,
            reason="无",
            prev_hash=ZERO,
            hash=_H1,
            hash_alg="sha256",
        ),
        StoredEntry(
            town=TOWN,
            seq=2,
            kind="correction",
            subject="visits/东1",
            actor="workers/w1",
            # naive, as some drivers read timestamps back: taken as UTC
            at=datetime(2026, 3, 2, 1, 0),
            recorded_at=datetime(2026, 3, 2, 1, 0, 1),
            payload_json="{}",
            corrects=1,
            reason="写错了",
            prev_hash=_H1,
            hash=_H2,
            hash_alg="sha256",
        ),
    ]


def test_legacy_entries_recompute_to_the_hand_computed_plain_sha256() -> None:
    first, second = _legacy()
    assert first.recomputed_hash(ZERO, KEY) == _H1
    assert second.recomputed_hash(_H1, KEY) == _H2


def test_legacy_entries_up_to_the_signed_boundary_then_keyed_ones_hold() -> None:
    chain = [*_legacy(), *_stored(1, prev=_H2, first=3)]
    result = _verify(chain, 3, chain[2].hash, legacy_seq=2)
    assert (result.holds, result.entries_checked, result.problem) == (True, 3, "")


def test_a_legacy_entry_after_the_boundary_is_refused_at_its_seq() -> None:
    chain = [*_legacy(), *_stored(1, prev=_H2, first=3)]
    result = _verify(chain, 3, chain[2].hash, legacy_seq=1)
    assert (result.holds, result.first_broken_seq) == (False, 2)
    assert result.problem == "its hash is not keyed (plain SHA-256 after the key)"


def test_without_a_boundary_no_legacy_entry_is_accepted() -> None:
    chain = _legacy()
    result = _verify(chain, 2, _H2)
    assert (result.holds, result.first_broken_seq) == (False, 1)
    assert result.problem == "its hash is not keyed (plain SHA-256 after the key)"


def test_seal_hashes_the_hand_written_canonical_content_with_hmac() -> None:
    sealed = seal(
        NewEntry(
            town=TOWN,
            kind=EntryKind.CORRECTION,
            subject="visits/东1",
            actor="workers/w1",
            at=datetime(2026, 3, 2, 9, 0, tzinfo=CST),
            payload={"note": "好", "a": 1},
            corrects=1,
            reason="写错了",
        ),
        seq=2,
        prev_hash="d" * 64,
        recorded_at=datetime(2026, 3, 2, 1, 0, 1, tzinfo=UTC),
        key=KEY,
    )
    content = (
        '["sgz-ledger-v1","towns/chengdong",2,"correction","visits/东1","workers/w1",'
        '"2026-03-02T01:00:00.000000Z","2026-03-02T01:00:01.000000Z",{"a":1,"note":"好"},1,'
        '"写错了"]'
    ).encode()
    expected = hmac.new(b"test-secret", b"d" * 64 + content, hashlib.sha256).hexdigest()
    assert sealed.hash == expected
    assert sealed.payload_json == '{"a":1,"note":"好"}'
    assert sealed.hash_alg == "hmac-sha256:k1"
    assert sealed.prev_hash == "d" * 64


def test_seal_refuses_a_recording_time_without_a_zone_naming_the_field() -> None:
    with pytest.raises(InvalidArgument) as info:
        seal(
            NewEntry(
                town=TOWN,
                kind=EntryKind.VISIT,
                subject="visits/v1",
                actor="workers/w1",
                at=datetime(2026, 3, 2, 9, 0, tzinfo=CST),
            ),
            seq=1,
            prev_hash=ZERO,
            recorded_at=datetime(2026, 3, 2, 1, 0),
            key=KEY,
        )
    assert info.value.violations[0].field == "recorded_at"
