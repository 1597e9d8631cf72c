"""The finance repository: settings, periods, allocations, request ids and the append-only
ledger, on SQLAlchemy Core over one session (the unit of work's transaction)."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from finance_svc.adapters import orm
from finance_svc.domain.allocation import (
    Allocation,
    AllocationLine,
    AllocationState,
    Explanation,
)
from finance_svc.domain.categories import CategorySetting, ExpenseCategory
from finance_svc.domain.closing import Totals
from finance_svc.domain.ledger import (
    GENESIS,
    Account,
    AccountKey,
    Balances,
    Leg,
    Line,
    Posting,
    PostingKind,
    chain_hash,
)
from finance_svc.domain.periods import PeriodState
from finance_svc.domain.standards import CareLevel, CareStandard, MinimumWage
from sgz_runtime.chain import ChainKey
from sgz_runtime.money import Fen


@dataclass
class PeriodRecord:
    town: str
    period: str
    state: PeriodState = PeriodState.OPEN
    allocated: Fen | None = None
    closed_at: datetime | None = None
    closed_by: str = ""
    statement_json: str = ""
    statement_hash: str = ""
    stored: bool = False
    #: What reached the town from the city (disbursements city -> town); read, not stored.
    received: int = 0

    @property
    def name(self) -> str:
        return f"{self.town}/periods/{self.period}"


@dataclass(frozen=True)
class RequestRecord:
    method: str
    fingerprint: str
    result: str


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _explanation_json(explanation: Explanation) -> str:
    return json.dumps(
        {
            "lines": [
                [
                    x.month.isoformat(),
                    x.level.value,
                    x.person_months,
                    x.standard.fen,
                    x.care_standard,
                ]
                for x in explanation.lines
            ],
            "unassessed": explanation.unassessed_person_months,
            "unassessed_persons": list(explanation.unassessed_persons),
            "warnings": list(explanation.warnings),
        },
        ensure_ascii=False,
    )


def _explanation(text: str, total: int, with_lines: bool) -> Explanation:
    data = json.loads(text)
    if not with_lines:
        return Explanation(
            (),
            data["unassessed"],
            tuple(data["warnings"]),
            Fen(total),
            tuple(data.get("unassessed_persons", ())),
        )
    lines = tuple(
        AllocationLine(
            date.fromisoformat(month),
            CareLevel(level),
            count,
            Fen(standard),
            Fen(standard * count),
            name,
        )
        for month, level, count, standard, name in data["lines"]
    )
    return Explanation(
        lines,
        data["unassessed"],
        tuple(data["warnings"]),
        unassessed_persons=tuple(data.get("unassessed_persons", ())),
    )


def _key_columns(key: AccountKey) -> dict[str, str]:
    return {"account": key.account.value, "category": key.category.value if key.category else ""}


@functools.cache
def _key(account: str, category: str) -> AccountKey:
    """The account key of stored text; a handful of distinct values, so read once each."""
    return AccountKey(Account(account), ExpenseCategory(category) if category else None)


#: Stored text -> enum member, by dictionary rather than Enum's lookup (hot in batch reads).
_PERIOD_STATES = {s.value: s for s in PeriodState}
_KINDS = {k.value: k for k in PostingKind}
_LEGS: dict[str, Leg | None] = {"": None, **{leg.value: leg for leg in Leg}}
_CATEGORIES: dict[str, ExpenseCategory | None] = {
    "": None,
    **{c.value: c for c in ExpenseCategory},
}


class FinanceRepository:
    def __init__(self, session: Session, key: ChainKey):
        self.session = session
        #: The chain key postings are linked with (rule F5).
        self.key = key

    def _rows(self, statement: Any) -> Sequence[Any]:
        return self.session.execute(statement).all()

    # -- dated settings (rules F2, F3) -------------------------------------------------------

    def wages(self) -> list[MinimumWage]:
        t = orm.minimum_wages
        return [
            MinimumWage(r.effective_from, Fen(r.monthly_fen), r.recorded_by)
            for r in self._rows(select(t).order_by(t.c.effective_from))
        ]

    def add_wage(self, wage: MinimumWage, now: datetime) -> None:
        self.session.execute(
            insert(orm.minimum_wages).values(
                effective_from=wage.effective_from,
                monthly_fen=wage.monthly.fen,
                recorded_by=wage.recorded_by,
                recorded_at=now,
            )
        )

    def standards(self) -> list[CareStandard]:
        t = orm.care_standards
        return [
            CareStandard(
                r.effective_from,
                {
                    CareLevel.SELF_CARE: Fen(r.self_care_fen),
                    CareLevel.PARTIAL: Fen(r.partial_fen),
                    CareLevel.FULL_LOSS: Fen(r.full_loss_fen),
                },
                r.below_floor_reason,
                r.recorded_by,
            )
            for r in self._rows(select(t).order_by(t.c.effective_from))
        ]

    def add_standard(self, standard: CareStandard, now: datetime) -> None:
        self.session.execute(
            insert(orm.care_standards).values(
                effective_from=standard.effective_from,
                self_care_fen=standard.amounts[CareLevel.SELF_CARE].fen,
                partial_fen=standard.amounts[CareLevel.PARTIAL].fen,
                full_loss_fen=standard.amounts[CareLevel.FULL_LOSS].fen,
                below_floor_reason=standard.below_floor_reason,
                recorded_by=standard.recorded_by,
                recorded_at=now,
            )
        )

    def category_settings(self) -> list[CategorySetting]:
        t = orm.expense_categories
        return [
            CategorySetting(
                r.effective_from,
                frozenset(ExpenseCategory(c) for c in r.categories.split(",") if c),
            )
            for r in self._rows(select(t).order_by(t.c.effective_from))
        ]

    def add_category_setting(self, setting: CategorySetting, by: str, now: datetime) -> None:
        self.session.execute(
            insert(orm.expense_categories).values(
                effective_from=setting.effective_from,
                categories=",".join(sorted(c.value for c in setting.categories)),
                recorded_by=by,
                recorded_at=now,
            )
        )

    # -- periods (rule F1) -------------------------------------------------------------------

    def _period(self, r: Any) -> PeriodRecord:
        return PeriodRecord(
            r.town,
            r.period,
            _PERIOD_STATES[r.state],
            Fen(r.allocated_fen) if r.allocated_fen is not None else None,
            _aware(r.closed_at),
            r.closed_by,
            r.statement_json,
            r.statement_hash,
            stored=True,
        )

    def period(self, town: str, period: str) -> PeriodRecord:
        t = orm.periods
        found = self._rows(select(t).where(t.c.town == town, t.c.period == period))
        return self._period(found[0]) if found else PeriodRecord(town, period)

    def periods(self, towns: Sequence[str] | None, period: str | None) -> list[PeriodRecord]:
        t = orm.periods
        query = select(t).order_by(t.c.town, t.c.period)
        if towns is not None:
            query = query.where(t.c.town.in_(towns))
        if period:
            query = query.where(t.c.period == period)
        return [self._period(r) for r in self._rows(query)]

    def received(self, towns: Sequence[str], period: str) -> dict[str, int]:
        """What the city disbursed to each town for the period (rule F1)."""
        t = orm.postings
        found = dict.fromkeys(towns, 0)
        for start in range(0, len(towns), 500):
            chunk = list(towns[start : start + 500])
            query = (
                select(t.c.town, func.sum(t.c.amount_fen))
                .where(
                    t.c.town.in_(chunk),
                    t.c.period == period,
                    t.c.kind == PostingKind.DISBURSEMENT.value,
                    t.c.leg == Leg.CITY_TO_TOWN.value,
                )
                .group_by(t.c.town)
            )
            for town, total in self._rows(query):
                found[town] = int(total)
        return found

    def save_periods(self, records: Sequence[PeriodRecord]) -> None:
        """Writes many periods: one executemany for those stored, one insert for the new."""
        t = orm.periods
        stored = [r for r in records if r.stored]
        new = [r for r in records if not r.stored]
        if stored:
            self.session.execute(
                update(t)
                .where(t.c.town == bindparam("b_town"), t.c.period == bindparam("b_period"))
                .values(
                    state=bindparam("b_state"),
                    allocated_fen=bindparam("b_allocated"),
                    closed_at=bindparam("b_closed_at"),
                    closed_by=bindparam("b_closed_by"),
                    statement_json=bindparam("b_json"),
                    statement_hash=bindparam("b_hash"),
                ),
                [
                    {
                        "b_town": r.town,
                        "b_period": r.period,
                        "b_state": r.state.value,
                        "b_allocated": r.allocated.fen if r.allocated is not None else None,
                        "b_closed_at": r.closed_at,
                        "b_closed_by": r.closed_by,
                        "b_json": r.statement_json,
                        "b_hash": r.statement_hash,
                    }
                    for r in stored
                ],
            )
        if new:
            self.session.execute(
                insert(t),
                [
                    {
                        "town": r.town,
                        "period": r.period,
                        "state": r.state.value,
                        "allocated_fen": r.allocated.fen if r.allocated is not None else None,
                        "closed_at": r.closed_at,
                        "closed_by": r.closed_by,
                        "statement_json": r.statement_json,
                        "statement_hash": r.statement_hash,
                    }
                    for r in new
                ],
            )
            for r in new:
                r.stored = True

    def save_period(self, record: PeriodRecord) -> None:
        values = {
            "state": record.state.value,
            "allocated_fen": record.allocated.fen if record.allocated is not None else None,
            "closed_at": record.closed_at,
            "closed_by": record.closed_by,
            "statement_json": record.statement_json,
            "statement_hash": record.statement_hash,
        }
        t = orm.periods
        if record.stored:
            self.session.execute(
                update(t).where(t.c.town == record.town, t.c.period == record.period).values(values)
            )
        else:
            self.session.execute(insert(t).values(town=record.town, period=record.period, **values))
            record.stored = True

    # -- allocations (rules F1, F2) ----------------------------------------------------------

    def _allocation(self, r: Any, with_lines: bool = True) -> Allocation:
        return Allocation(
            town=r.town,
            period=r.period,
            version=r.version,
            state=AllocationState(r.state),
            explanation=_explanation(r.explanation, r.amount_fen, with_lines),
            computed_by=r.computed_by,
            computed_at=_aware(r.computed_at) or datetime.now(UTC),
            approved_by=r.approved_by,
            approved_at=_aware(r.approved_at),
            supersedes=r.supersedes,
            reason=r.reason,
            unassessed_override_reason=r.unassessed_override_reason,
        )

    def allocations(
        self, towns: Sequence[str], period: str, *, with_lines: bool = True
    ) -> dict[str, list[Allocation]]:
        """Each town's versions, oldest first; without their lines (only totals) when
        with_lines is False, for use cases that never show them."""
        t = orm.allocations
        found: dict[str, list[Allocation]] = {town: [] for town in towns}
        query = (
            select(t)
            .where(t.c.town.in_(towns), t.c.period == period)
            .order_by(t.c.town, t.c.version)
        )
        for r in self._rows(query):
            found[r.town].append(self._allocation(r, with_lines))
        return found

    def add_allocations(self, made: Sequence[Allocation]) -> None:
        if not made:
            return
        self.session.execute(
            insert(orm.allocations),
            [
                {
                    "town": a.town,
                    "period": a.period,
                    "version": a.version,
                    "state": a.state.value,
                    "amount_fen": a.amount.fen,
                    "explanation": _explanation_json(a.explanation),
                    "computed_by": a.computed_by,
                    "computed_at": a.computed_at,
                    "approved_by": a.approved_by,
                    "approved_at": a.approved_at,
                    "supersedes": a.supersedes,
                    "reason": a.reason,
                    "unassessed_override_reason": a.unassessed_override_reason,
                }
                for a in made
            ],
        )

    def update_allocations(self, changed: Sequence[Allocation]) -> None:
        if not changed:
            return
        t = orm.allocations
        self.session.execute(
            update(t)
            .where(
                t.c.town == bindparam("b_town"),
                t.c.period == bindparam("b_period"),
                t.c.version == bindparam("b_version"),
            )
            .values(
                state=bindparam("b_state"),
                approved_by=bindparam("b_by"),
                approved_at=bindparam("b_at"),
            ),
            [
                {
                    "b_town": a.town,
                    "b_period": a.period,
                    "b_version": a.version,
                    "b_state": a.state.value,
                    "b_by": a.approved_by,
                    "b_at": a.approved_at,
                }
                for a in changed
            ],
        )

    def update_allocation(self, allocation: Allocation) -> None:
        t = orm.allocations
        self.session.execute(
            update(t)
            .where(
                t.c.town == allocation.town,
                t.c.period == allocation.period,
                t.c.version == allocation.version,
            )
            .values(
                state=allocation.state.value,
                approved_by=allocation.approved_by,
                approved_at=allocation.approved_at,
            )
        )

    # -- request ids -------------------------------------------------------------------------

    def replayed(self, request_id: str) -> RequestRecord | None:
        t = orm.request_ids
        found = self._rows(select(t).where(t.c.request_id == request_id))
        if not found:
            return None
        return RequestRecord(found[0].method, found[0].fingerprint, found[0].result)

    def replayed_many(self, request_ids: Sequence[str]) -> dict[str, RequestRecord]:
        t = orm.request_ids
        found: dict[str, RequestRecord] = {}
        for start in range(0, len(request_ids), 500):
            chunk = list(request_ids[start : start + 500])
            for r in self._rows(select(t).where(t.c.request_id.in_(chunk))):
                found[r.request_id] = RequestRecord(r.method, r.fingerprint, r.result)
        return found

    def remember_many(self, records: Sequence[tuple[str, RequestRecord]]) -> None:
        if records:
            self.session.execute(
                insert(orm.request_ids),
                [
                    {
                        "request_id": rid,
                        "method": r.method,
                        "fingerprint": r.fingerprint,
                        "result": r.result,
                    }
                    for rid, r in records
                ],
            )

    def remember(self, request_id: str, record: RequestRecord) -> None:
        self.session.execute(
            insert(orm.request_ids).values(
                request_id=request_id,
                method=record.method,
                fingerprint=record.fingerprint,
                result=record.result,
            )
        )

    # -- the ledger (rules F3-F5) ------------------------------------------------------------

    def lock_towns(self, towns: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Takes each town's chain head for writing (an UPDATE first, so SQLite takes its write
        lock and PostgreSQL the row locks before anything is read); returns the heads."""
        t = orm.ledger_heads
        for start in range(0, len(towns), 500):
            chunk = list(towns[start : start + 500])
            self.session.execute(update(t).where(t.c.town.in_(chunk)).values(last_seq=t.c.last_seq))
        heads = {r.town: (r.last_seq, r.last_hash) for r in self._heads(towns)}
        missing = [town for town in towns if town not in heads]
        if missing:
            self.session.execute(
                insert(t), [{"town": m, "last_seq": 0, "last_hash": GENESIS} for m in missing]
            )
            heads.update({m: (0, GENESIS) for m in missing})
        return heads

    def _heads(self, towns: Sequence[str]) -> list[Any]:
        t = orm.ledger_heads
        found: list[Any] = []
        for start in range(0, len(towns), 500):
            found += self._rows(select(t).where(t.c.town.in_(list(towns[start : start + 500]))))
        return found

    def head(self, town: str) -> tuple[int, str] | None:
        found = self._heads([town])
        return (found[0].last_seq, found[0].last_hash) if found else None

    def append(self, made: Sequence[Posting], heads: dict[str, tuple[int, str]]) -> list[Posting]:
        """Numbers and chains the postings after each town's head (taken with lock_towns) and
        writes them with their lines; moves the heads."""
        from dataclasses import replace

        out: list[Posting] = []
        for p in made:
            seq, prev = heads[p.town]
            numbered = replace(
                p, seq=seq + 1, prev_hash=prev, hash=chain_hash(self.key, prev, p, seq + 1)
            )
            heads[p.town] = (numbered.seq, numbered.hash)
            out.append(numbered)
        if not out:
            return out
        self.session.execute(
            insert(orm.postings),
            [
                {
                    "town": p.town,
                    "seq": p.seq,
                    "period": p.period,
                    "kind": p.kind.value,
                    "amount_fen": p.amount.fen,
                    "leg": p.leg.value if p.leg else "",
                    "category": p.category.value if p.category else "",
                    "payee": p.payee,
                    "evidence": p.evidence,
                    "adjusts": p.adjusts,
                    "reason": p.reason,
                    "posted_by": p.posted_by,
                    "posted_at": p.posted_at,
                    "request_id": p.request_id,
                    "prev_hash": p.prev_hash,
                    "hash": p.hash,
                }
                for p in out
            ],
        )
        self.session.execute(
            insert(orm.posting_lines),
            [
                {
                    "town": p.town,
                    "seq": p.seq,
                    "line_no": i,
                    "period": p.period,
                    **_key_columns(line.key),
                    "amount_fen": line.amount.fen,
                }
                for p in out
                for i, line in enumerate(p.lines)
            ],
        )
        t = orm.ledger_heads
        touched = sorted({p.town for p in out})
        self.session.execute(
            update(t)
            .where(t.c.town == bindparam("b_town"))
            .values(last_seq=bindparam("b_seq"), last_hash=bindparam("b_hash")),
            [
                {"b_town": town, "b_seq": heads[town][0], "b_hash": heads[town][1]}
                for town in touched
            ],
        )
        return out

    def balances(self, towns: Sequence[str], period: str) -> dict[str, Balances]:
        """Each town's account balances for the period, summed by the database."""
        t = orm.posting_lines
        found: dict[str, Balances] = {town: Balances() for town in towns}
        for start in range(0, len(towns), 500):
            chunk = list(towns[start : start + 500])
            query = (
                select(t.c.town, t.c.account, t.c.category, func.sum(t.c.amount_fen))
                .where(t.c.town.in_(chunk), t.c.period == period)
                .group_by(t.c.town, t.c.account, t.c.category)
            )
            for town, account, category, total in self._rows(query):
                found[town].by_key[_key(account, category)] += int(total)
        return found

    def totals(self, towns: Sequence[str], period: str) -> dict[str, Totals]:
        """Each town's postings of the period summed by the database (rule F5's statement)."""
        p, ln = orm.postings, orm.posting_lines
        balances = self.balances(towns, period)
        by_kind: dict[str, dict[tuple[PostingKind, Leg | None], tuple[int, int]]] = {
            town: {} for town in towns
        }
        adjusting = dict.fromkeys(towns, 0)
        for start in range(0, len(towns), 500):
            chunk = list(towns[start : start + 500])
            query = (
                select(p.c.town, p.c.kind, p.c.leg, func.sum(p.c.amount_fen), func.count())
                .where(p.c.town.in_(chunk), p.c.period == period)
                .group_by(p.c.town, p.c.kind, p.c.leg)
            )
            for town, kind, leg, amount, count in self._rows(query):
                key = (_KINDS[kind], _LEGS[leg])
                by_kind[town][key] = (int(amount), int(count))
            adjusted = (
                select(ln.c.town, func.sum(ln.c.amount_fen))
                .join(p, and_(p.c.town == ln.c.town, p.c.seq == ln.c.seq))
                .where(
                    ln.c.town.in_(chunk),
                    ln.c.period == period,
                    ln.c.account == Account.CITY_FUND.value,
                    p.c.kind == PostingKind.ADJUSTMENT.value,
                )
                .group_by(ln.c.town)
            )
            for town, amount in self._rows(adjusted):
                adjusting[town] = int(amount)
        return {town: Totals(by_kind[town], adjusting[town], balances[town]) for town in towns}

    def postings(
        self, town: str, period: str | None = None, seqs: Iterable[int] | None = None
    ) -> list[Posting]:
        return self.postings_of([town], period, seqs)[town]

    def postings_of(
        self, towns: Sequence[str], period: str | None = None, seqs: Iterable[int] | None = None
    ) -> dict[str, list[Posting]]:
        p, ln = orm.postings, orm.posting_lines
        found: dict[str, list[Posting]] = {town: [] for town in towns}
        for start in range(0, len(towns), 500):
            chunk = list(towns[start : start + 500])
            where: list[ColumnElement[bool]] = [p.c.town.in_(chunk)]
            line_where: list[ColumnElement[bool]] = [ln.c.town.in_(chunk)]
            if period is not None:
                where.append(p.c.period == period)
                line_where.append(ln.c.period == period)
            if seqs is not None:
                wanted = list(seqs)
                where.append(p.c.seq.in_(wanted))
                line_where.append(ln.c.seq.in_(wanted))
            lines: dict[tuple[str, int], list[Line]] = defaultdict(list)
            line_query = (
                select(ln).where(and_(*line_where)).order_by(ln.c.town, ln.c.seq, ln.c.line_no)
            )
            for r in self._rows(line_query):
                lines[(r.town, r.seq)].append(Line(_key(r.account, r.category), Fen(r.amount_fen)))
            for r in self._rows(select(p).where(and_(*where)).order_by(p.c.town, p.c.seq)):
                found[r.town].append(
                    Posting(
                        town=r.town,
                        period=r.period,
                        kind=_KINDS[r.kind],
                        lines=tuple(lines[(r.town, r.seq)]),
                        amount=Fen(r.amount_fen),
                        posted_by=r.posted_by,
                        posted_at=_aware(r.posted_at) or datetime.now(UTC),
                        request_id=r.request_id,
                        leg=_LEGS[r.leg],
                        category=_CATEGORIES[r.category],
                        payee=r.payee,
                        evidence=r.evidence,
                        adjusts=r.adjusts,
                        reason=r.reason,
                        seq=r.seq,
                        prev_hash=r.prev_hash,
                        hash=r.hash,
                    )
                )
        return found

    def posting_periods(self, town: str, seq: int) -> str | None:
        p = orm.postings
        found = self._rows(select(p.c.period).where(tuple_(p.c.town, p.c.seq) == (town, seq)))
        return str(found[0][0]) if found else None
