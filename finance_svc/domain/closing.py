"""Rule F4: a period closes only at exactly zero (不得结余), once its approved allocation has
reached the town; rule F5: the closed period's statement (opening 0, received, spent by
category, returned, closing 0) is fixed at close and hashed so anyone with the right can verify
it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from finance_svc.domain.categories import ExpenseCategory
from finance_svc.domain.ledger import (
    Account,
    Balances,
    Leg,
    Line,
    Posting,
    PostingKind,
)
from finance_svc.domain.periods import PeriodState
from sgz_runtime.errors import FailedPrecondition
from sgz_runtime.i18n import tr
from sgz_runtime.money import Fen


@dataclass(frozen=True)
class Flows:
    """A period's movements, read from its postings."""

    received: Fen
    disbursed_to_station: Fen
    spent: Mapping[ExpenseCategory, Fen]
    returned: Fen
    adjusted: Fen
    held: Fen
    town_balance: Fen
    station_balance: Fen
    count: int

    @property
    def spent_total(self) -> Fen:
        return Fen(sum(v.fen for v in self.spent.values()))


@dataclass(frozen=True)
class Totals:
    """A period's postings summed: by kind and leg (amount, count), the city fund's lines of
    adjusting entries, and the account balances. What flows() reads, from rows or from SQL."""

    by_kind: Mapping[tuple[PostingKind, Leg | None], tuple[int, int]]
    adjusting_city_fund: int
    balances: Balances


def totals(postings: Iterable[Posting]) -> Totals:
    by_kind: dict[tuple[PostingKind, Leg | None], tuple[int, int]] = {}
    adjusting = 0
    lines: list[Line] = []
    for p in postings:
        lines.extend(p.lines)
        amount, count = by_kind.get((p.kind, p.leg), (0, 0))
        by_kind[(p.kind, p.leg)] = (amount + p.amount.fen, count + 1)
        if p.kind is PostingKind.ADJUSTMENT:
            adjusting += sum(x.amount.fen for x in p.lines if x.key.account is Account.CITY_FUND)
    return Totals(by_kind, adjusting, Balances.of(lines))


def flows(postings: Iterable[Posting]) -> Flows:
    return flows_of(totals(postings))


def flows_of(found: Totals) -> Flows:
    def amount(kind: PostingKind, leg: Leg | None = None) -> int:
        return found.by_kind.get((kind, leg), (0, 0))[0]

    balances = found.balances
    return Flows(
        received=Fen(amount(PostingKind.DISBURSEMENT, Leg.CITY_TO_TOWN)),
        disbursed_to_station=Fen(amount(PostingKind.DISBURSEMENT, Leg.TOWN_TO_STATION)),
        spent=balances.spent(),
        returned=Fen(amount(PostingKind.RETURN)),
        # What the city added (or took back) through adjusting entries.
        adjusted=Fen(-found.adjusting_city_fund),
        held=balances.held(),
        town_balance=balances.get(Account.TOWN),
        station_balance=balances.get(Account.STATION),
        count=sum(count for _, count in found.by_kind.values()),
    )


def check_close(name: str, state: PeriodState, allocated: Fen | None, found: Flows) -> None:
    """Rule F4, with what is left named in yuan and fen."""
    if state is PeriodState.CLOSED:
        raise FailedPrecondition(tr("{period} is already closed (rule F4)", period=name), rule="F4")
    if allocated is None or state is PeriodState.OPEN:
        raise FailedPrecondition(
            tr("{period} has no approved allocation yet: nothing can close (rule F1)", period=name),
            rule="F1",
        )
    undisbursed = allocated - found.received
    if undisbursed.fen > 0:
        raise FailedPrecondition(
            tr(
                "{amount} 元 of the approved allocation has not been disbursed to the town "
                "(rule F1)",
                amount=undisbursed.yuan(),
            ),
            rule="F1",
        )
    if not found.held.is_zero:
        raise FailedPrecondition(
            tr(
                "{amount} 元 remains in {period}: spend it or return it to the city before "
                "closing (rule F4)",
                amount=found.held.yuan(),
                period=name,
            ),
            rule="F4",
        )


def statement_body(
    *,
    town: str,
    period: str,
    allocated: Fen,
    found: Flows,
    chain_head_hash: str,
    closed_by: str,
    closed_at: str,
) -> dict[str, Any]:
    """The statement's facts (rule F5). Its closing is what the town and station hold: zero."""
    return {
        "town": town,
        "period": period,
        "opening": 0,
        "allocated": allocated.fen,
        "received": found.received.fen,
        "spent": {
            c.value: v.fen for c, v in sorted(found.spent.items(), key=lambda kv: kv[0].value)
        },
        "returned": found.returned.fen,
        "adjusted": found.adjusted.fen,
        "closing": found.held.fen,
        "posting_count": found.count,
        "chain_head_hash": chain_head_hash,
        "closed_by": closed_by,
        "closed_at": closed_at,
    }


def canonical_statement(body: Mapping[str, Any]) -> tuple[str, str]:
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text, hashlib.sha256(text.encode()).hexdigest()
