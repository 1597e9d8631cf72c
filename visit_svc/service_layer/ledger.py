"""Use cases on the work ledger (rule V7): read it, correct an entry, verify a town's chain."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sgz_runtime import names, paging
from sgz_runtime.chain import Checkpoint
from sgz_runtime.checkpoints import CheckpointClient
from sgz_runtime.errors import InvalidArgument, NotFound, PermissionDenied, Unavailable
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.proto_values import parse_json
from sgz_runtime.uow import UnitOfWork
from visit_svc.adapters.ledger_repository import LedgerRepository
from visit_svc.domain.ledger import ChainVerifier, EntryKind, LedgerEntry, Verification

CST = ZoneInfo("Asia/Shanghai")
#: Entries read per query while verifying: the walk keeps only the last hash in memory.
VERIFY_BATCH = 2000
log = logging.getLogger("sgz.ledger")
#: The service name the visit service's chains are checkpointed under.
SERVICE = "visit"

#: Who may record a correction: the people who do and run the work, never an auditor.
CORRECTING_ROLES = (
    Role.STATION_WORKER,
    Role.STATION_CHIEF,
    Role.TOWN_HEAD,
    Role.CITY_CIVIL_AFFAIRS,
)


class LedgerUnitOfWork(UnitOfWork, Protocol):
    """Any unit of work holding the ledger (the visit service's one does)."""

    ledger: LedgerRepository


def _town(field: str, name: str) -> str:
    (town_id,) = names.parse(field, name, "towns")
    return f"towns/{town_id}"


def parse_entry_name(field: str, name: str) -> tuple[str, int]:
    """`towns/{t}/ledgerEntries/{seq}` -> (`towns/{t}`, seq)."""
    town_id, seq_text = names.parse(field, name, "towns", "ledgerEntries")
    if not seq_text.isdigit() or int(seq_text) < 1:
        raise InvalidArgument.field(field, tr("the last part of the name is the entry's sequence"))
    return f"towns/{town_id}", int(seq_text)


def _require_reader(caller: Caller, town: str) -> None:
    """The ledger is the town's book: it names every person and their health findings, so a
    village contact or a worker (whose scope is narrower than the town) does not read it whole."""
    if not caller.sees_town(town) or caller.scope_level not in (ScopeLevel.CITY, ScopeLevel.TOWN):
        raise PermissionDenied(
            tr("the work ledger of {town} is outside the caller's scope", town=town)
        )


def day_start(day: date) -> datetime:
    """The first instant of a China Standard Time day, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=CST).astimezone(UTC)


def list_entries(
    uow: LedgerUnitOfWork,
    caller: Caller,
    parent: str,
    *,
    start_date: date | None,
    end_date: date | None,
    subject: str,
    page_size: int,
    page_token: str,
) -> tuple[list[LedgerEntry], str]:
    """A town's entries in sequence order; the dates (CST, both included) bound `occur time`."""
    town = _town("parent", parent)
    _require_reader(caller, town)
    if start_date and end_date and end_date < start_date:
        raise InvalidArgument.field("end_date", tr("must not be before start_date"))
    query = {
        "parent": town,
        "start": start_date.isoformat() if start_date else "",
        "end": end_date.isoformat() if end_date else "",
        "subject": subject,
    }
    page = paging.parse(page_size, page_token, query)
    after = int(page.after) if page.after and page.after.isdigit() else 0
    with uow:
        found = uow.ledger.list_entries(
            town,
            after_seq=after,
            limit=page.size + 1,
            start=day_start(start_date) if start_date else None,
            end=day_start(end_date + timedelta(days=1)) if end_date else None,
            subject=subject or None,
        )
    more = len(found) > page.size
    found = found[: page.size]
    return found, paging.next_token(str(found[-1].seq) if more else None, query)


def get_entry(uow: LedgerUnitOfWork, caller: Caller, name: str) -> LedgerEntry:
    town, seq = parse_entry_name("name", name)
    with uow:
        entry = uow.ledger.get(town, seq)
    readable = caller.sees_town(town) and caller.scope_level in (ScopeLevel.CITY, ScopeLevel.TOWN)
    if entry is None or not (readable or entry.actor == caller.subject):
        raise NotFound(name)
    return entry


def correct_entry(
    uow: LedgerUnitOfWork,
    caller: Caller,
    name: str,
    payload_json: str,
    reason: str,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> LedgerEntry:
    """Records a correction of entry `name`: a new entry naming it, with who and why (V7).

    The original stays exactly as it was; readers apply corrections in sequence order.
    """
    town, seq = parse_entry_name("name", name)
    caller.require_role(*CORRECTING_ROLES)
    if not reason.strip():
        raise InvalidArgument.field("reason", tr("a correction says why it is made"), rule="V7")
    payload: Any = parse_json(payload_json, "payload_json")  # bounded depth: 400, not a crash
    if not isinstance(payload, Mapping) or not payload:
        raise InvalidArgument.field(
            "payload_json", tr("is a JSON object with the corrected values"), rule="V7"
        )
    with uow:
        original = uow.ledger.get(town, seq)
        # A worker corrects their own entries; town and city staff those of their scope.
        in_scope = caller.scope_level in (ScopeLevel.CITY, ScopeLevel.TOWN) and caller.sees_town(
            town
        )
        if original is None or not (in_scope or original.actor == caller.subject):
            raise NotFound(name)
        entry = uow.ledger.append(
            town,
            EntryKind.CORRECTION,
            original.subject,
            caller.subject,
            clock(),
            {**payload, "corrected_kind": original.kind.value},
            corrects=seq,
            reason=reason.strip(),
        )
        uow.commit()
    return entry


def ledger_chain(town: str) -> str:
    """The name a town's ledger chain is checkpointed under (docs/privacy.md)."""
    return f"ledger:{town}"


def _latest_checkpoint(checkpoints: CheckpointClient | None, town: str) -> Checkpoint | None:
    """The town's latest kept checkpoint; None when none was kept or the keeper cannot be
    reached (the walk then checks the keyed chain alone, and says so in the log)."""
    if checkpoints is None:
        return None
    try:
        return checkpoints.latest(SERVICE, ledger_chain(town))
    except Unavailable:
        log.warning("checkpoint_unavailable", extra={"town": town})
        return None


def verify_ledger(
    uow: LedgerUnitOfWork,
    caller: Caller,
    town_name: str,
    checkpoints: CheckpointClient | None = None,
) -> Verification:
    """Walks the town's chain from its first entry to the head as it was when the walk began,
    so appends made meanwhile never look like a break (rule V7); and compares it with the
    latest signed checkpoint kept by the roster, so a truncated tail shows too."""
    town = _town("town", town_name)
    _require_reader(caller, town)
    kept = _latest_checkpoint(checkpoints, town)
    with uow:
        key = uow.ledger.key
        if kept is not None and not kept.holds_for(key):
            head_seq, head_hash = uow.ledger.head(town)
            return Verification(
                town, False, 0, head_seq, head_hash, kept.seq,
                "the latest checkpoint is not signed with this service's key",
            )  # fmt: skip
        verifier = ChainVerifier(
            town,
            key,
            uow.ledger.legacy_seq(town),
            (kept.seq, kept.head) if kept is not None else None,
        )
        head_seq, head_hash = uow.ledger.head(town)
        after = 0
        while not verifier.broken:
            batch = uow.ledger.stored(town, after_seq=after, upto_seq=head_seq, limit=VERIFY_BATCH)
            if not batch:
                break
            verifier.feed(batch)
            after = batch[-1].seq
    return verifier.finish(head_seq, head_hash)
