"""Use cases that move money, each one balanced posting (rule F5): disbursements city -> town
-> station (rule F1), expenses in an allowed category (rule F3), returns of the unspent to the
city (rule F4) and adjusting entries. Each is idempotent on its request id, checked against
the balances under the town's chain lock, and refused in a closed period (rule F4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finance_svc.adapters.repository import PeriodRecord, RequestRecord
from finance_svc.domain.categories import admit_category
from finance_svc.domain.ledger import (
    Balances,
    Leg,
    Posting,
    PostingKind,
    check_balanced,
    check_no_overdraft,
    disbursement_lines,
    expense_lines,
    positive,
    return_lines,
)
from finance_svc.domain.periods import PeriodState, advance, later, require_open_for_postings
from finance_svc.service_layer import commands
from finance_svc.service_layer.common import (
    CITY_MONEY_ROLES,
    TOWN_MONEY_ROLES,
    Clock,
    check_request_id,
    fingerprint,
    replayed,
    require_sees,
    require_writer,
)
from finance_svc.service_layer.unit_of_work import FinanceUnitOfWork
from sgz_runtime import names
from sgz_runtime.china_time import local_date
from sgz_runtime.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role
from sgz_runtime.money import Fen
from sgz_runtime.periods import Period

Build = Callable[[PeriodRecord, Balances, datetime], Posting]


@dataclass(frozen=True)
class Move:
    """One posting to make: where, its request id and fingerprint, and how to build it from
    the period and its balances (raising a DomainError to refuse)."""

    town: str
    period: Period
    method: str
    request_id: str
    body: dict[str, Any]
    build: Build


def _post(
    uow: FinanceUnitOfWork, moves: Sequence[Move], clock: Clock, *, atomic: bool = True
) -> list[Posting | DomainError]:
    """Makes the moves in one transaction under the towns' chain locks. `atomic`: the first
    refusal is raised and nothing is written; otherwise each refusal is returned in its place
    and the others are written."""
    results: list[Posting | DomainError | None] = [None] * len(moves)
    with uow:
        repo = uow.repo
        prints = [fingerprint(m.method, m.body) for m in moves]
        towns = sorted({m.town for m in moves})
        heads = repo.lock_towns(towns)
        periods = {m.period.name for m in moves}
        records: dict[tuple[str, str], PeriodRecord] = {}
        balances: dict[tuple[str, str], Balances] = {}
        for period in periods:
            for r in repo.periods(towns, period):
                records[(r.town, r.period)] = r
            for town, received in repo.received(towns, period).items():
                records.setdefault((town, period), PeriodRecord(town, period)).received = received
            for town, b in repo.balances(towns, period).items():
                balances[(town, period)] = b
        made: list[tuple[int, Posting]] = []
        now = clock()
        known = repo.replayed_many([m.request_id for m in moves])
        for i, move in enumerate(moves):
            try:
                done = replayed(repo, move.request_id, move.method, prints[i], known)
            except DomainError as refused:
                if atomic:
                    raise
                results[i] = refused
                continue
            if done is not None:
                seq = int(done.rsplit("/", 1)[-1])
                results[i] = repo.postings(move.town, None, [seq])[0]
                continue
            key = (move.town, move.period.name)
            record = records.setdefault(key, PeriodRecord(move.town, move.period.name))
            try:
                require_open_for_postings(record.state, record.name)
                posting = move.build(record, balances[key], now)
                check_balanced(posting.lines)
                check_no_overdraft(balances[key], posting.lines)
            except DomainError as refused:
                if atomic:
                    raise
                results[i] = refused
                continue
            balances[key] = balances[key].after(posting.lines)
            made.append((i, posting))
        written = repo.append([p for _, p in made], heads)
        remembered: list[tuple[str, RequestRecord]] = []
        for (i, _), posting in zip(made, written, strict=True):
            results[i] = posting
            remembered.append(
                (moves[i].request_id, RequestRecord(moves[i].method, prints[i], posting.name))
            )
        repo.remember_many(remembered)
        touched = {(p.town, p.period) for p in written}
        repo.save_periods([r for k, r in records.items() if r.stored and k in touched])
        uow.commit()
    return [r for r in results if r is not None]


def _one(uow: FinanceUnitOfWork, move: Move, clock: Clock) -> Posting:
    (result,) = _post(uow, [move], clock)
    assert isinstance(result, Posting)
    return result


# --- disbursements (rule F1) -------------------------------------------------------------------


def disbursement_move(cmd: commands.Disburse, posted_by: str) -> Move:
    positive(cmd.amount, "amount")
    check_request_id(cmd.request_id)

    def build(record: PeriodRecord, balances: Balances, now: datetime) -> Posting:
        if record.allocated is None or record.state is PeriodState.OPEN:
            raise FailedPrecondition(
                tr("{period} has no approved allocation to disburse (rule F1)", period=record.name),
                rule="F1",
            )
        if cmd.leg is Leg.CITY_TO_TOWN:
            left = record.allocated.fen - record.received
            if cmd.amount.fen > left:
                raise FailedPrecondition(
                    tr(
                        "only {left} 元 of the approved allocation of {allocated} 元 remains to "
                        "disburse (rule F1)",
                        left=Fen(max(left, 0)).yuan(),
                        allocated=record.allocated.yuan(),
                    ),
                    rule="F1",
                )
            record.received += cmd.amount.fen
            if cmd.amount.fen == left:
                record.state = advance(record.state, later(record.state, PeriodState.DISBURSED))
        return Posting(
            town=cmd.town,
            period=cmd.period.name,
            kind=PostingKind.DISBURSEMENT,
            lines=disbursement_lines(cmd.leg, cmd.amount),
            amount=cmd.amount,
            posted_by=posted_by,
            posted_at=now,
            request_id=cmd.request_id,
            leg=cmd.leg,
            evidence=cmd.evidence,
        )

    body = {
        "town": cmd.town,
        "period": cmd.period.name,
        "leg": cmd.leg.value,
        "amount": cmd.amount.fen,
        "evidence": cmd.evidence,
    }
    return Move(cmd.town, cmd.period, "CreateDisbursement", cmd.request_id, body, build)


def disburse(
    cmd: commands.Disburse, uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> Posting:
    """City -> town (city finance) or town -> station (the town head, or city finance)."""
    roles = CITY_MONEY_ROLES if cmd.leg is Leg.CITY_TO_TOWN else CITY_MONEY_ROLES | {Role.TOWN_HEAD}
    require_writer(caller, cmd.town, frozenset(roles))
    return _one(uow, disbursement_move(cmd, caller.subject), clock)


def disburse_many(
    cmds: Sequence[commands.Disburse], uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> list[Posting | DomainError]:
    """The city's batch: every town's disbursement in one transaction; refusals returned."""
    for cmd in cmds:
        require_writer(caller, cmd.town, CITY_MONEY_ROLES)
    return _post(uow, [disbursement_move(c, caller.subject) for c in cmds], clock, atomic=False)


# --- expenses (rule F3) ------------------------------------------------------------------------


def expense_move(cmd: commands.RecordExpense, posted_by: str, settings: Any) -> Move:
    violations = []
    if not cmd.payee.strip():
        violations.append("expense.payee")
    if not cmd.evidence.strip():
        violations.append("expense.evidence")
    if violations:
        raise InvalidArgument.field(violations[0], tr("is required (rule F5)"), rule="F5")
    positive(cmd.amount, "expense.amount")
    check_request_id(cmd.request_id)

    def build(record: PeriodRecord, balances: Balances, now: datetime) -> Posting:
        category = admit_category(settings, local_date(now), cmd.category)
        return Posting(
            town=cmd.town,
            period=cmd.period.name,
            kind=PostingKind.EXPENSE,
            lines=expense_lines(category, cmd.amount),
            amount=cmd.amount,
            posted_by=posted_by,
            posted_at=now,
            request_id=cmd.request_id,
            category=category,
            payee=cmd.payee.strip(),
            evidence=cmd.evidence.strip(),
        )

    body = {
        "town": cmd.town,
        "period": cmd.period.name,
        "category": cmd.category.value if cmd.category else "",
        "payee": cmd.payee.strip(),
        "amount": cmd.amount.fen,
        "evidence": cmd.evidence.strip(),
    }
    return Move(cmd.town, cmd.period, "CreateExpense", cmd.request_id, body, build)


def record_expense(
    cmd: commands.RecordExpense, uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> Posting:
    """Rule F3: an allowed category, a payee, an amount and evidence; nothing beyond the
    station's balance. Idempotent: performance pay from assessment arrives through here."""
    require_writer(caller, cmd.town, CITY_MONEY_ROLES | TOWN_MONEY_ROLES)
    with uow:
        settings = uow.repo.category_settings()
    return _one(uow, expense_move(cmd, caller.subject, settings), clock)


def record_expenses(
    cmds: Sequence[commands.RecordExpense], uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> list[Posting | DomainError]:
    for cmd in cmds:
        require_writer(caller, cmd.town, CITY_MONEY_ROLES | TOWN_MONEY_ROLES)
    with uow:
        settings = uow.repo.category_settings()
    return _post(
        uow, [expense_move(c, caller.subject, settings) for c in cmds], clock, atomic=False
    )


# --- returns (rule F4) -------------------------------------------------------------------------


def return_move(cmd: commands.ReturnUnspent, posted_by: str) -> Move:
    positive(cmd.amount, "amount")
    check_request_id(cmd.request_id)
    lines = return_lines(cmd.account, cmd.amount)

    def build(record: PeriodRecord, balances: Balances, now: datetime) -> Posting:
        return Posting(
            town=cmd.town,
            period=cmd.period.name,
            kind=PostingKind.RETURN,
            lines=lines,
            amount=cmd.amount,
            posted_by=posted_by,
            posted_at=now,
            request_id=cmd.request_id,
            reason=cmd.reason.strip(),
        )

    body = {
        "town": cmd.town,
        "period": cmd.period.name,
        "account": cmd.account.value,
        "amount": cmd.amount.fen,
        "reason": cmd.reason.strip(),
    }
    return Move(cmd.town, cmd.period, "CreateReturn", cmd.request_id, body, build)


def return_unspent(
    cmd: commands.ReturnUnspent, uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> Posting:
    require_writer(caller, cmd.town, CITY_MONEY_ROLES | TOWN_MONEY_ROLES)
    return _one(uow, return_move(cmd, caller.subject), clock)


def return_many(
    cmds: Sequence[commands.ReturnUnspent], uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> list[Posting | DomainError]:
    for cmd in cmds:
        require_writer(caller, cmd.town, CITY_MONEY_ROLES | TOWN_MONEY_ROLES)
    return _post(uow, [return_move(c, caller.subject) for c in cmds], clock, atomic=False)


# --- adjusting entries (rule F4) ---------------------------------------------------------------


def adjust(
    cmd: commands.Adjust, uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> Posting:
    """A correction: an adjusting entry in an open period that references the posting it
    corrects, possibly one of a closed period (rule F4). Its lines must balance (rule F5)."""
    require_writer(caller, cmd.town, CITY_MONEY_ROLES)
    check_request_id(cmd.request_id)
    if not cmd.reason.strip():
        raise InvalidArgument.field("reason", tr("is required (rule F4)"), rule="F4")
    town_id, period_text, seq_text = names.parse(
        "adjusts", cmd.adjusts, "towns", "periods", "postings"
    )
    if f"towns/{town_id}" != cmd.town or not seq_text.isdigit():
        raise InvalidArgument.field("adjusts", tr("must be a posting of the same town"), rule="F4")
    check_balanced(cmd.lines)
    with uow:
        if uow.repo.posting_periods(cmd.town, int(seq_text)) != period_text:
            raise NotFound(cmd.adjusts)

    def build(record: PeriodRecord, balances: Balances, now: datetime) -> Posting:
        if record.state is PeriodState.OPEN:
            raise FailedPrecondition(
                tr(
                    "{period} has no approved allocation: adjust in a period that has one "
                    "(rule F4)",
                    period=record.name,
                ),
                rule="F4",
            )
        amount = sum(line.amount.fen for line in cmd.lines if line.amount.fen > 0)
        return Posting(
            town=cmd.town,
            period=cmd.period.name,
            kind=PostingKind.ADJUSTMENT,
            lines=cmd.lines,
            amount=Fen(amount),
            posted_by=caller.subject,
            posted_at=now,
            request_id=cmd.request_id,
            adjusts=cmd.adjusts,
            reason=cmd.reason.strip(),
        )

    body = {
        "town": cmd.town,
        "period": cmd.period.name,
        "adjusts": cmd.adjusts,
        "lines": [[str(x.key), x.amount.fen] for x in cmd.lines],
        "reason": cmd.reason.strip(),
    }
    move = Move(cmd.town, cmd.period, "CreateAdjustment", cmd.request_id, body, build)
    return _one(uow, move, clock)


def list_postings(
    uow: FinanceUnitOfWork, *, caller: Caller, town: str, period: Period
) -> list[Posting]:
    require_sees(caller, town)
    with uow:
        return uow.repo.postings(town, period.name)
