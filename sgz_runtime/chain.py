"""Keyed hash chains: each link is an HMAC-SHA256 under a key kept outside the database, so whoever
can write the database file cannot re-hash an edited row (docs/privacy.md, issue 11 item 5).

A chain's head can also be published as a signed checkpoint to another service's database;
truncating the tail and moving the head back then shows against the checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sgz_runtime.pii.vault import hmac_key_file

#: The link the first entry of every chain points to.
GENESIS = "0" * 64
#: The algorithm tag kept with each keyed row (its key id follows: `hmac-sha256:<key id>`).
KEYED = "hmac-sha256"
#: Rows written before the chains were keyed; accepted only up to a signed legacy boundary.
LEGACY = "sha256"
_SERVICE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


@dataclass(frozen=True)
class ChainKey:
    """A secret the chains of one service are keyed with, and a short id naming it (the id is
    stored beside each row so a rotated key can still verify older rows)."""

    secret: bytes
    key_id: str = "k1"

    @property
    def tag(self) -> str:
        return f"{KEYED}:{self.key_id}"

    def link(self, prev: str, content: bytes) -> str:
        """link(n) = HMAC-SHA256(key, link(n-1) as text || content(n)), hex."""
        return hmac.new(self.secret, prev.encode("ascii") + content, hashlib.sha256).hexdigest()

    def sign(self, *parts: str | int) -> str:
        """A signature over fixed fields (a checkpoint, a legacy boundary)."""
        text = json.dumps(["sgz-sign-v1", *parts], separators=(",", ":"), ensure_ascii=False)
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()

    def signed(self, signature: str, *parts: str | int) -> bool:
        return hmac.compare_digest(signature, self.sign(*parts))


def chain_key(service: str, data_dir: Path) -> ChainKey:
    """The chain key of a service: `SGZ_CHAIN_KEY_<SERVICE>` when set, else a 0600 file
    `<data_dir>/keys/<service>-chain.key` created once (keep a copy apart from the database
    backups: with the key, a database owner could re-seal an edited chain)."""
    if not _SERVICE.match(service):
        raise ValueError(f"not a service name: {service!r}")
    from_env = os.environ.get(f"SGZ_CHAIN_KEY_{service.upper()}")
    if from_env:
        return ChainKey(from_env.encode())
    return ChainKey(hmac_key_file(data_dir / "keys" / f"{service}-chain.key"))


def plain_link(prev: str, content: bytes) -> str:
    """The unkeyed SHA-256 link of rows written before the chains were keyed."""
    return hashlib.sha256(prev.encode("ascii") + content).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """A chain's head at a moment, signed by the service that owns the chain and kept in
    another service's database."""

    service: str
    chain: str
    seq: int
    head: str
    at: datetime
    signature: str = ""

    def parts(self) -> tuple[str, str, int, str, str]:
        moment = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return ("checkpoint", f"{self.service}:{self.chain}", self.seq, self.head, moment)

    def signed_by(self, key: ChainKey) -> Checkpoint:
        return Checkpoint(
            self.service, self.chain, self.seq, self.head, self.at, key.sign(*self.parts())
        )

    def holds_for(self, key: ChainKey) -> bool:
        return key.signed(self.signature, *self.parts())
