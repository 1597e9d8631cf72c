"""Keyed chains and signed checkpoints (issue 11 item 5), checked against the standard library's
HMAC computed here, not against the code under test."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from sgz.common.v1 import audit_pb2

from sgz_runtime import checkpoints
from sgz_runtime.chain import GENESIS, ChainKey, Checkpoint, plain_link
from sgz_runtime.checkpoints import CheckpointPublisher, MemoryCheckpointClient
from sgz_runtime.errors import InvalidArgument

KEY = ChainKey(b"k" * 32)
AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_link_is_hmac_sha256_of_the_previous_hash_and_the_content() -> None:
    expected = hmac.new(b"k" * 32, (GENESIS + '["x"]').encode(), hashlib.sha256).hexdigest()
    assert KEY.link(GENESIS, b'["x"]') == expected
    assert plain_link(GENESIS, b'["x"]') == hashlib.sha256((GENESIS + '["x"]').encode()).hexdigest()
    assert KEY.link(GENESIS, b'["x"]') != plain_link(GENESIS, b'["x"]')
    assert ChainKey(b"another key").link(GENESIS, b'["x"]') != expected


def test_a_checkpoint_holds_only_unchanged_and_under_its_key() -> None:
    signed = Checkpoint("visit", "ledger:towns/a", 5, "ab" * 32, AT).signed_by(KEY)
    text = '["sgz-sign-v1","checkpoint","visit:ledger:towns/a",5,"' + "ab" * 32 + '",'
    text += '"2026-11-23T02:00:00.000000Z"]'
    assert signed.signature == hmac.new(b"k" * 32, text.encode(), hashlib.sha256).hexdigest()
    assert signed.holds_for(KEY)
    assert not signed.holds_for(ChainKey(b"not the key"))
    moved = Checkpoint(signed.service, signed.chain, 3, signed.head, signed.at, signed.signature)
    assert not moved.holds_for(KEY)


def test_a_malformed_checkpoint_is_refused_with_every_field_at_once() -> None:
    message = audit_pb2.ChainCheckpoint(
        service="Visit!", chain="", sequence=-1, head_hash="xyz", signature=""
    )
    with pytest.raises(InvalidArgument) as refused:
        checkpoints.from_pb(message)
    assert sorted(v.field for v in refused.value.violations) == [
        "chain_checkpoint.chain",
        "chain_checkpoint.create_time",
        "chain_checkpoint.head_hash",
        "chain_checkpoint.sequence",
        "chain_checkpoint.service",
        "chain_checkpoint.signature",
    ]


def test_a_checkpoint_survives_its_proto_form() -> None:
    signed = Checkpoint("visit", "audit", 2, "cd" * 32, AT).signed_by(KEY)
    again = checkpoints.from_pb(checkpoints.to_pb(signed))
    assert again == signed and again.holds_for(KEY)


def test_the_publisher_sends_moved_heads_only() -> None:
    heads = [("ledger:towns/a", 1, "aa" * 32), ("audit", 0, GENESIS)]
    kept = MemoryCheckpointClient()
    publisher = CheckpointPublisher("visit", KEY, lambda: heads, kept, 3600, clock=lambda: AT)
    assert publisher.publish_now() == 1  # an empty chain is not published
    assert publisher.publish_now() == 0
    heads[0] = ("ledger:towns/a", 2, "bb" * 32)
    assert publisher.publish_now() == 1
    latest = kept.latest("visit", "ledger:towns/a")
    assert latest is not None and latest.seq == 2 and latest.holds_for(KEY)
