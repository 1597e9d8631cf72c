"""Rule F5: every movement of the subsidy is one balanced double-entry posting (debits =
credits), immutable, attributed to a person and hash-chained per town; rule F3: no account the
subsidy is held in goes below zero."""

from __future__ import annotations

import enum
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from finance_svc.domain.categories import ExpenseCategory
from sgz_runtime.chain import ChainKey
from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.money import Fen

GENESIS = "0" * 64


class Account(enum.Enum):
    #: The city's subsidy fund: the source (its balance is minus what it has paid out).
    CITY_FUND = "city_fund"
    #: The town's holding account (rule F1: the town passes the money on to the station).
    TOWN = "town"
    #: The station's account: what expenses draw on.
    STATION = "station"
    #: The expenses of one category (rule F3).
    EXPENSE = "expense"


#: Where the subsidy is held: these never go below zero (rule F3) and are zero at close (F4).
HOLDINGS = (Account.TOWN, Account.STATION)


class PostingKind(enum.Enum):
    DISBURSEMENT = "disbursement"
    EXPENSE = "expense"
    RETURN = "return"
    ADJUSTMENT = "adjustment"


class Leg(enum.Enum):
    CITY_TO_TOWN = "city_to_town"
    TOWN_TO_STATION = "town_to_station"


@dataclass(frozen=True)
class AccountKey:
    account: Account
    category: ExpenseCategory | None = None

    def __str__(self) -> str:
        if self.category is None:
            return self.account.value
        return f"{self.account.value}:{self.category.value}"


@dataclass(frozen=True)
class Line:
    """Debit positive, credit negative."""

    key: AccountKey
    amount: Fen


@dataclass(frozen=True)
class Posting:
    town: str
    period: str
    kind: PostingKind
    lines: tuple[Line, ...]
    amount: Fen
    posted_by: str
    posted_at: datetime
    request_id: str = ""
    leg: Leg | None = None
    category: ExpenseCategory | None = None
    payee: str = ""
    evidence: str = ""
    adjusts: str = ""
    reason: str = ""
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""

    @property
    def name(self) -> str:
        return f"{self.town}/periods/{self.period}/postings/{self.seq}"

    @property
    def expense_name(self) -> str:
        return f"{self.town}/periods/{self.period}/expenses/{self.seq}"


def positive(amount: Fen, field_path: str) -> Fen:
    """Zero and negative amounts are refused: a movement moves money."""
    if amount.fen <= 0:
        raise InvalidArgument.field(field_path, tr("must be a positive amount of fen"), rule="F5")
    return amount


def disbursement_lines(leg: Leg, amount: Fen) -> tuple[Line, ...]:
    if leg is Leg.CITY_TO_TOWN:
        return (
            Line(AccountKey(Account.TOWN), amount),
            Line(AccountKey(Account.CITY_FUND), -amount),
        )
    return (Line(AccountKey(Account.STATION), amount), Line(AccountKey(Account.TOWN), -amount))


def expense_lines(category: ExpenseCategory, amount: Fen) -> tuple[Line, ...]:
    return (
        Line(AccountKey(Account.EXPENSE, category), amount),
        Line(AccountKey(Account.STATION), -amount),
    )


def return_lines(source: Account, amount: Fen) -> tuple[Line, ...]:
    """Rule F4: the unspent goes back to the city as an explicit entry."""
    if source not in HOLDINGS:
        raise InvalidArgument.field(
            "account", tr("only the town or the station returns money (rule F4)"), rule="F4"
        )
    return (Line(AccountKey(Account.CITY_FUND), amount), Line(AccountKey(source), -amount))


def check_balanced(lines: Sequence[Line], prefix: str = "lines") -> None:
    """Rule F5: debits equal credits, every line moves money, expense lines name a category."""
    violations: list[FieldViolation] = []
    if len(lines) < 2:
        violations.append(FieldViolation(prefix, tr("a posting needs at least two lines"), "F5"))
    for i, line in enumerate(lines):
        if line.amount.fen == 0:
            violations.append(FieldViolation(f"{prefix}[{i}].amount", tr("must not be zero"), "F5"))
        if (line.key.account is Account.EXPENSE) != (line.key.category is not None):
            violations.append(
                FieldViolation(
                    f"{prefix}[{i}].category",
                    tr("an expense line names a category, and only an expense line"),
                    "F3",
                )
            )
    total = sum(line.amount.fen for line in lines)
    if total != 0:
        violations.append(
            FieldViolation(
                prefix,
                tr(
                    "debits and credits differ by {amount} 元: a posting must balance (rule F5)",
                    amount=Fen(total).yuan(),
                ),
                "F5",
            )
        )
    if violations:
        raise InvalidArgument.of(violations)


@dataclass
class Balances:
    """The balance of each account of one town's period (debit positive)."""

    by_key: dict[AccountKey, int] = field(default_factory=lambda: defaultdict(int))

    @classmethod
    def of(cls, lines: Iterable[Line]) -> Balances:
        found = cls()
        for line in lines:
            found.by_key[line.key] += line.amount.fen
        return found

    def get(self, account: Account, category: ExpenseCategory | None = None) -> Fen:
        return Fen(self.by_key.get(AccountKey(account, category), 0))

    def held(self) -> Fen:
        """What the town and the station still hold of the period (rule F4)."""
        return Fen(sum(self.by_key.get(AccountKey(a), 0) for a in HOLDINGS))

    def spent(self) -> dict[ExpenseCategory, Fen]:
        return {
            k.category: Fen(v)
            for k, v in self.by_key.items()
            if k.account is Account.EXPENSE and k.category is not None and v != 0
        }

    def after(self, lines: Iterable[Line]) -> Balances:
        out = Balances()
        out.by_key.update(self.by_key)
        for line in lines:
            out.by_key[line.key] += line.amount.fen
        return out


def check_no_overdraft(balances: Balances, lines: Sequence[Line]) -> None:
    """Rule F3: nothing is paid beyond what the paying account holds."""
    result = balances.after(lines)
    paying = {line.key.account for line in lines if line.amount.fen < 0}
    for account in HOLDINGS:
        if account not in paying:
            continue
        left = result.get(account)
        if left.fen < 0:
            held = balances.get(account)
            raise FailedPrecondition(
                tr(
                    "the {account} account holds {held} 元; {short} 元 more than that cannot "
                    "be paid (no overdraft, rule F3)",
                    account=account.value,
                    held=held.yuan(),
                    short=(-left).yuan(),
                ),
                rule="F3",
            )


# --- the hash chain (rule F5) ------------------------------------------------------------------


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(posting: Posting, seq: int | None = None) -> str:
    """What the hash covers: every fact of the posting, in one canonical JSON form (`seq`:
    the sequence it is being given, when not yet on it)."""
    body: dict[str, Any] = {
        "town": posting.town,
        "period": posting.period,
        "seq": posting.seq if seq is None else seq,
        "kind": posting.kind.value,
        "lines": [[str(line.key), line.amount.fen] for line in posting.lines],
        "amount": posting.amount.fen,
        "posted_by": posting.posted_by,
        "posted_at": _utc_text(posting.posted_at),
        "request_id": posting.request_id,
        "leg": posting.leg.value if posting.leg else "",
        "category": posting.category.value if posting.category else "",
        "payee": posting.payee,
        "evidence": posting.evidence,
        "adjusts": posting.adjusts,
        "reason": posting.reason,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(key: ChainKey, prev_hash: str, posting: Posting, seq: int | None = None) -> str:
    """HMAC-SHA256 under the service's chain key (kept outside the database), so whoever can
    write the database cannot re-seal an edited posting."""
    return key.link(prev_hash, canonical(posting, seq).encode())


@dataclass(frozen=True)
class Verification:
    town: str
    holds: bool
    checked: int
    head_hash: str
    first_broken: str = ""
    problem: str = ""


def verify_chain(
    key: ChainKey, town: str, postings: Iterable[Posting], head: tuple[int, str] | None
) -> Verification:
    """Re-hashes every posting in sequence: a changed, removed or reordered one breaks it."""
    prev, expected_seq, checked = GENESIS, 1, 0
    for p in postings:
        checked += 1
        if p.seq != expected_seq:
            return Verification(
                town, False, checked, prev, p.name, f"expected sequence {expected_seq}"
            )
        if p.prev_hash != prev:
            return Verification(
                town,
                False,
                checked,
                prev,
                p.name,
                "the link to the previous posting does not match",
            )
        if chain_hash(key, prev, p) != p.hash:
            return Verification(town, False, checked, prev, p.name, "the content was changed")
        prev, expected_seq = p.hash, expected_seq + 1
    last_seq = expected_seq - 1
    if head is not None and (head[0] != last_seq or head[1] != prev):
        return Verification(
            town,
            False,
            checked,
            prev,
            f"{town}/postings/{head[0]}",
            "the chain head names a posting that is missing",
        )
    return Verification(town, True, checked, prev)


def lines_by_period(postings: Iterable[Posting]) -> Mapping[str, list[Line]]:
    found: dict[str, list[Line]] = defaultdict(list)
    for p in postings:
        found[p.period].extend(p.lines)
    return found
