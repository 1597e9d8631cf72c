"""The work ledger (工作台账, rule V7): entry kinds, canonical content and the per-town hash chain.

Pure: no SQL, no gRPC. An entry's hash is an HMAC-SHA256, under a key kept outside the database
(sgz_runtime.chain), over the previous entry's hash and the entry's canonical content, so editing,
removing or reordering any entry breaks the chain from there on, and whoever can write the
database cannot re-hash it. Entries written before the key (plain SHA-256) are accepted only up to
the town's signed legacy boundary.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sgz_runtime.chain import GENESIS, LEGACY, ChainKey, plain_link
from sgz_runtime.errors import InvalidArgument
from sgz_runtime.i18n import tr

#: The hash a town's first entry links to.
GENESIS_HASH = GENESIS
#: Names the serialisation below; a new format gets a new name, old entries keep theirs.
CANONICAL_FORMAT = "sgz-ledger-v1"


class EntryKind(enum.StrEnum):
    """Every service item a worker does (rule V7), plus cancellations and corrections."""

    VISIT = "visit"  # a home visit with its checks (V1, V2)
    ESCALATION = "escalation"  # an escalation opened by a visit's finding (V3-V6)
    CONTACT = "contact"  # the village contact notified: who, when, how (V3-V5)
    ARRANGEMENT = "arrangement"  # cleaning, hospital or institution admission arranged
    ASSISTANCE = "assistance"  # the worker's help with the procedures (V4, V5)
    OUTCOME = "outcome"  # the escalation resolved, with its outcome (V8 when an admission)
    CANCELLATION = "cancellation"  # an escalation cancelled, with the reason
    CORRECTION = "correction"  # a later entry correcting an earlier one, with who and why


class Payload:
    """Keys of entry payloads the ledger export reads (`sgz ledger export`). Producers put
    what they know; every key is optional except `person` (the person the entry concerns)."""

    PERSON = "person"  # persons/{p}
    VILLAGE = "village"  # towns/{t}/villages/{v}
    WORKER = "worker"  # workers/{w}: who visited or acted
    VISIT = "visit"  # visits/{v}: the visit an escalation came from
    ESCALATION = "escalation"  # escalations/{e}
    VISITED_AT = "visited_at"  # ISO 8601 time of the visit
    #: {check name: {"value": "fine"|"problem"|"not_checked", "note": str}}; the check names of
    #: V2: residence_hygiene, personal_hygiene, regular_diet, food_source, feeds_self,
    #: house_safety, illness, and the optional ones.
    CHECKS = "checks"
    FINDINGS = "findings"  # list of finding names (the checks with a problem)
    URGENCY = "urgency"  # "immediate" | "prompt"
    ACTION = "action"  # "cleaning" | "hospital_admission" | "institution_admission"
    CONTACT_NAME = "contact_name"  # the village contact notified
    CONTACT_AT = "contact_at"  # ISO 8601 time of the contact
    CONTACT_METHOD = "contact_method"  # phone, in person, ...
    ARRANGED_DATE = "arranged_date"  # ISO date the action is arranged for
    OUTCOME = "outcome"  # the outcome in words
    REASON = "reason"  # a cancellation's reason
    NOTE = "note"


@dataclass(frozen=True)
class NewEntry:
    """What a use case asks the ledger to record. `at` is when the item happened (aware)."""

    town: str
    kind: EntryKind
    subject: str
    actor: str
    at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    #: For a correction: the seq of the entry it corrects, and why.
    corrects: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class LedgerEntry:
    """One recorded entry: its place in the town's chain and the hashes that seal it."""

    town: str
    seq: int
    kind: EntryKind
    subject: str
    actor: str
    at: datetime
    recorded_at: datetime
    payload: Mapping[str, Any]
    corrects: int | None
    reason: str
    prev_hash: str
    hash: str
    #: The payload's canonical text, as stored and hashed.
    payload_json: str = ""
    #: How `hash` was made: `hmac-sha256:<key id>`, or `sha256` for entries before the key.
    hash_alg: str = LEGACY

    @property
    def name(self) -> str:
        return f"{self.town}/ledgerEntries/{self.seq}"


def _utc(moment: datetime, field_name: str) -> datetime:
    if moment.tzinfo is None:
        raise InvalidArgument.field(field_name, tr("must carry a time zone"), rule="V7")
    return moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """The one textual form of a time in canonical content: UTC, microseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _path_of_bad(value: Any, path: str) -> tuple[str, str] | None:
    """Where the payload holds something other than JSON without floats, and why (slow: runs
    only once a value is known to be bad)."""
    if value is None or isinstance(value, bool | int | str):
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if (found := _path_of_bad(item, f"{path}[{i}]")) is not None:
                return found
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return path, "payload keys must be strings"
            if (found := _path_of_bad(item, f"{path}.{key}")) is not None:
                return found
        return None
    return path, f"a ledger payload holds text, integers, booleans, lists and maps, not {value!r}"


def _check_json(payload: Any) -> None:
    """Payload values are JSON without floats: a float's text differs between writers."""
    stack = [payload]
    while stack:
        value = stack.pop()
        if value is None or type(value) in (str, int, bool):
            continue
        if isinstance(value, Mapping) and all(type(k) is str for k in value):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif not isinstance(value, bool | int | str):
            found = _path_of_bad(payload, "payload") or ("payload", "is not JSON")
            raise InvalidArgument.field(found[0], found[1], rule="V7")


def canonical_payload(payload: Mapping[str, Any]) -> str:
    """The payload as canonical JSON: sorted keys, no spaces, UTF-8 text kept as is."""
    _check_json(payload)
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_content(
    *,
    town: str,
    seq: int,
    kind: str,
    subject: str,
    actor: str,
    at: datetime,
    recorded_at: datetime,
    payload_json: str,
    corrects: int | None,
    reason: str,
) -> bytes:
    """Every recorded field of an entry, in one fixed order, as UTF-8 JSON: the array
    [format, town, seq, kind, subject, actor, at, recorded_at, payload, corrects, reason], the
    payload being its canonical text exactly as stored."""
    head = json.dumps(
        [
            CANONICAL_FORMAT,
            town,
            seq,
            kind,
            subject,
            actor,
            format_time(at),
            format_time(recorded_at),
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    tail = json.dumps([corrects, reason], separators=(",", ":"), ensure_ascii=False)
    return f"{head[:-1]},{payload_json},{tail[1:]}".encode()


def chain_hash(prev_hash: str, content: bytes, key: ChainKey | None = None) -> str:
    """hash(n) = HMAC-SHA256(key, hash(n-1) as text || canonical content(n)), hex; without a
    key, the plain SHA-256 of entries written before the ledger was keyed."""
    if key is None:
        return plain_link(prev_hash, content)
    return key.link(prev_hash, content)


def legacy_parts(town: str, legacy_seq: int) -> tuple[str, str, int]:
    """What a town's legacy boundary signature covers: entries 1..legacy_seq may be unkeyed."""
    return ("ledger-legacy", town, legacy_seq)


def check_new_entry(entry: NewEntry) -> None:
    """Refuses entries the ledger cannot record (rule V7)."""
    if not entry.town.startswith("towns/") or entry.town.count("/") != 1:
        raise InvalidArgument.field(
            "town", tr("must be a town name such as towns/chengdong"), rule="V7"
        )
    if not entry.subject:
        raise InvalidArgument.field("subject", tr("names what the entry is about"), rule="V7")
    if not entry.actor:
        raise InvalidArgument.field("actor", tr("names who did it"), rule="V7")
    _utc(entry.at, "at")
    if entry.kind is EntryKind.CORRECTION:
        if entry.corrects is None:
            raise InvalidArgument.field(
                "corrects", tr("a correction names the entry it corrects"), rule="V7"
            )
        if not entry.reason.strip():
            raise InvalidArgument.field("reason", tr("a correction says why"), rule="V7")
    elif entry.corrects is not None:
        raise InvalidArgument.field(
            "corrects", tr("only a correction refers to another entry"), rule="V7"
        )


def seal(
    entry: NewEntry, *, seq: int, prev_hash: str, recorded_at: datetime, key: ChainKey
) -> LedgerEntry:
    """The entry as recorded at position seq after prev_hash, its hash keyed."""
    check_new_entry(entry)
    payload_json = canonical_payload(entry.payload)
    at = _utc(entry.at, "at")
    recorded = _utc(recorded_at, "recorded_at")
    content = canonical_content(
        town=entry.town,
        seq=seq,
        kind=entry.kind.value,
        subject=entry.subject,
        actor=entry.actor,
        at=at,
        recorded_at=recorded,
        payload_json=payload_json,
        corrects=entry.corrects,
        reason=entry.reason,
    )
    return LedgerEntry(
        town=entry.town,
        seq=seq,
        kind=entry.kind,
        subject=entry.subject,
        actor=entry.actor,
        at=at,
        recorded_at=recorded,
        payload=json.loads(payload_json),
        corrects=entry.corrects,
        reason=entry.reason,
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, content, key),
        payload_json=payload_json,
        hash_alg=key.tag,
    )


@dataclass(frozen=True)
class StoredEntry:
    """An entry exactly as read back from storage, before anything trusts it."""

    town: str
    seq: int
    kind: str
    subject: str
    actor: str
    at: datetime
    recorded_at: datetime
    payload_json: str
    corrects: int | None
    reason: str
    prev_hash: str
    hash: str
    hash_alg: str = LEGACY

    def recomputed_hash(self, prev_hash: str, key: ChainKey) -> str:
        """The hash the content gives under the entry's algorithm; ValueError for a key this
        process does not hold."""
        content = canonical_content(
            town=self.town,
            seq=self.seq,
            kind=self.kind,
            subject=self.subject,
            actor=self.actor,
            at=self.at if self.at.tzinfo else self.at.replace(tzinfo=UTC),
            recorded_at=(
                self.recorded_at
                if self.recorded_at.tzinfo
                else self.recorded_at.replace(tzinfo=UTC)
            ),
            payload_json=self.payload_json,
            corrects=self.corrects,
            reason=self.reason,
        )
        if self.hash_alg == LEGACY:
            return chain_hash(prev_hash, content)
        if self.hash_alg != key.tag:
            raise ValueError(
                tr(
                    "entry {seq} is keyed with {hash_alg}, not {tag}",
                    seq=self.seq,
                    hash_alg=self.hash_alg,
                    tag=key.tag,
                )
            )
        return chain_hash(prev_hash, content, key)


@dataclass(frozen=True)
class Verification:
    """Whether a town's chain holds; when not, the first entry where it breaks and why."""

    town: str
    holds: bool
    entries_checked: int
    head_seq: int
    head_hash: str
    first_broken_seq: int | None = None
    problem: str = ""


class ChainVerifier:
    """Walks a town's entries in seq order, in pages, keeping only the last hash (rule V7).

    Entries up to `legacy_seq` (the town's signed legacy boundary) may carry the plain SHA-256
    of before the key; every later one must be keyed, so re-hashing an edited entry with plain
    SHA-256 shows."""

    def __init__(
        self,
        town: str,
        key: ChainKey,
        legacy_seq: int = 0,
        checkpoint: tuple[int, str] | None = None,
    ):
        self.town = town
        self.key = key
        self.legacy_seq = legacy_seq
        #: (seq, hash) of the town's latest signed checkpoint, kept in another service.
        self.checkpoint = checkpoint
        self.expected_seq = 1
        self.prev_hash = GENESIS_HASH
        self.checked = 0
        self.broken_at: int | None = None
        self.problem = ""

    @property
    def broken(self) -> bool:
        return self.broken_at is not None

    def _break(self, seq: int, problem: str) -> None:
        self.broken_at, self.problem = seq, problem

    def feed(self, entries: Iterable[StoredEntry]) -> None:
        for entry in entries:
            if self.broken:
                return
            self.checked += 1
            if entry.seq != self.expected_seq:
                self._break(
                    self.expected_seq,
                    f"entry {self.expected_seq} is missing (the next one is {entry.seq})",
                )
                return
            if entry.prev_hash != self.prev_hash:
                self._break(entry.seq, "its link to the previous entry does not match")
                return
            if entry.hash_alg == LEGACY and entry.seq > self.legacy_seq:
                self._break(entry.seq, "its hash is not keyed (plain SHA-256 after the key)")
                return
            try:
                recomputed = entry.recomputed_hash(self.prev_hash, self.key)
            except (ValueError, TypeError):
                self._break(entry.seq, "its recorded content cannot be read")
                return
            if recomputed != entry.hash:
                self._break(entry.seq, "its content was changed after it was recorded")
                return
            if (
                self.checkpoint
                and entry.seq == self.checkpoint[0]
                and (entry.hash != self.checkpoint[1])
            ):
                self._break(entry.seq, "it differs from the entry the checkpoint saw")
                return
            self.prev_hash = entry.hash
            self.expected_seq += 1

    def finish(self, head_seq: int, head_hash: str) -> Verification:
        """Compares the walk with the town's chain head, which catches a removed last entry."""
        if not self.broken:
            last = self.expected_seq - 1
            if self.checkpoint and self.checkpoint[0] > last:
                self._break(
                    last + 1,
                    f"a signed checkpoint saw {self.checkpoint[0]} entries but {last} were found",
                )
            elif last != head_seq:
                self._break(
                    last + 1 if last < head_seq else head_seq + 1,
                    f"the chain head says {head_seq} entries but {last} were found",
                )
            elif self.prev_hash != head_hash:
                self._break(head_seq, "the chain head's hash does not match the last entry")
        return Verification(
            town=self.town,
            holds=not self.broken,
            entries_checked=self.checked,
            head_seq=head_seq,
            head_hash=head_hash,
            first_broken_seq=self.broken_at,
            problem=self.problem,
        )
