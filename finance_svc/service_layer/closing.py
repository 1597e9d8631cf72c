"""Use cases of the period's end: reading a period, closing it at exactly zero (rule F4), its
statement and disclosure report (rule F5), and verifying the hash chain (rule F5)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finance_svc.adapters.repository import FinanceRepository, PeriodRecord
from finance_svc.domain.allocation import Allocation, AllocationState
from finance_svc.domain.closing import (
    Flows,
    canonical_statement,
    check_close,
    flows,
    flows_of,
    statement_body,
)
from finance_svc.domain.ledger import Verification, verify_chain
from finance_svc.domain.periods import PeriodState, advance
from finance_svc.service_layer import commands
from finance_svc.service_layer.common import CITY_MONEY_ROLES, Clock, require_sees, require_writer
from finance_svc.service_layer.unit_of_work import FinanceUnitOfWork
from sgz_runtime import paging
from sgz_runtime.errors import DomainError, FailedPrecondition
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller
from sgz_runtime.money import Fen
from sgz_runtime.periods import Period


@dataclass(frozen=True)
class PeriodView:
    record: PeriodRecord
    flows: Flows


def get_period(uow: FinanceUnitOfWork, *, caller: Caller, town: str, period: Period) -> PeriodView:
    require_sees(caller, town)
    with uow:
        summed = uow.repo.totals([town], period.name)[town]
        return PeriodView(uow.repo.period(town, period.name), flows_of(summed))


def list_periods(
    uow: FinanceUnitOfWork,
    *,
    caller: Caller,
    towns: Sequence[str] | None,
    period: str | None,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[PeriodView], str]:
    """The periods touched, by town and period, in pages; those outside the caller's scope are
    left out."""
    query = {"towns": ",".join(towns or ["-"]), "period": period or ""}
    page = paging.parse(page_size, page_token, query)
    with uow:
        records = [r for r in uow.repo.periods(towns, period) if caller.sees_town(r.town)]
        if page.after is not None:
            records = [r for r in records if f"{r.town}|{r.period}" > page.after]
        more = len(records) > page.size
        records = records[: page.size]
        by_period: dict[str, list[PeriodRecord]] = {}
        for r in records:
            by_period.setdefault(r.period, []).append(r)
        views: list[PeriodView] = []
        for name, group in by_period.items():
            summed = uow.repo.totals([r.town for r in group], name)
            views += [PeriodView(r, flows_of(summed[r.town])) for r in group]
    views.sort(key=lambda v: (v.record.town, v.record.period))
    last = f"{records[-1].town}|{records[-1].period}" if more else None
    return views, paging.next_token(last, query)


def _close_in(
    repo: FinanceRepository,
    record: PeriodRecord,
    found: Flows,
    head_hash: str,
    closed_by: str,
    clock: Clock,
) -> PeriodRecord:
    check_close(record.name, record.state, record.allocated, found)
    now = clock()
    body = statement_body(
        town=record.town,
        period=record.period,
        allocated=record.allocated or Fen(0),
        found=found,
        chain_head_hash=head_hash,
        closed_by=closed_by,
        closed_at=now.isoformat(),
    )
    text, digest = canonical_statement(body)
    record.state = advance(record.state, PeriodState.CLOSED)
    record.closed_at, record.closed_by = now, closed_by
    record.statement_json, record.statement_hash = text, digest
    return record


def close_period(
    cmd: commands.ClosePeriod, uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> PeriodRecord:
    """Rule F4: closes at exactly zero, or refuses naming what is left in yuan."""
    (result,) = close_periods([cmd], uow, caller=caller, clock=clock)
    if isinstance(result, DomainError):
        raise result
    return result


def close_periods(
    cmds: Sequence[commands.ClosePeriod], uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> list[PeriodRecord | DomainError]:
    """Closes each town's period in one transaction; a refusal is returned in its place and
    the others close."""
    for cmd in cmds:
        require_writer(caller, cmd.town, CITY_MONEY_ROLES)
    out: list[PeriodRecord | DomainError] = []
    closed: list[PeriodRecord] = []
    with uow:
        towns = sorted({c.town for c in cmds})
        heads = uow.repo.lock_towns(towns)
        for name in sorted({c.period.name for c in cmds}):
            records = {r.town: r for r in uow.repo.periods(towns, name)}
            summed = uow.repo.totals(towns, name)
            for cmd in cmds:
                if cmd.period.name != name:
                    continue
                record = records.get(cmd.town) or PeriodRecord(cmd.town, name)
                try:
                    closed.append(
                        _close_in(
                            uow.repo,
                            record,
                            flows_of(summed[cmd.town]),
                            heads[cmd.town][1],
                            caller.subject,
                            clock,
                        )
                    )
                    out.append(closed[-1])
                except DomainError as refused:
                    out.append(refused)
        uow.repo.save_periods(closed)
        uow.commit()
    return out


@dataclass(frozen=True)
class StatementView:
    body: dict[str, Any]
    text: str
    digest: str


def get_statement(
    uow: FinanceUnitOfWork, *, caller: Caller, town: str, period: Period
) -> StatementView:
    """Rule F5: the statement fixed at close, byte for byte."""
    require_sees(caller, town)
    with uow:
        record = uow.repo.period(town, period.name)
    if record.state is not PeriodState.CLOSED:
        raise FailedPrecondition(
            tr(
                "{period} is not closed: a statement exists only for a closed period (rule F5)",
                period=record.name,
            ),
            rule="F5",
        )
    return StatementView(
        json.loads(record.statement_json), record.statement_json, record.statement_hash
    )


def recompute_statement(uow: FinanceUnitOfWork, town: str, period: Period) -> str:
    """The statement computed afresh from the postings, to check against the one fixed at
    close (it never changes: a closed period accepts no posting)."""
    with uow:
        record = uow.repo.period(town, period.name)
        found = flows(uow.repo.postings(town, period.name))
    stored = json.loads(record.statement_json)
    body = statement_body(
        town=town,
        period=period.name,
        allocated=record.allocated or Fen(0),
        found=found,
        chain_head_hash=stored["chain_head_hash"],
        closed_by=stored["closed_by"],
        closed_at=stored["closed_at"],
    )
    return canonical_statement(body)[0]


@dataclass(frozen=True)
class Disclosure:
    statement: StatementView
    allocation: Allocation | None


def get_disclosure(
    uow: FinanceUnitOfWork, *, caller: Caller, town: str, period: Period
) -> Disclosure:
    """Rule F5: amounts, categories and person-month counts; no payee, no person, no name."""
    statement = get_statement(uow, caller=caller, town=town, period=period)
    with uow:
        versions = uow.repo.allocations([town], period.name)[town]
    approved = next((v for v in versions if v.state is AllocationState.APPROVED), None)
    return Disclosure(statement, approved)


def verify_postings(uow: FinanceUnitOfWork, *, caller: Caller, town: str) -> Verification:
    require_sees(caller, town)
    with uow:
        head = uow.repo.head(town)
        postings = uow.repo.postings(town)
    return verify_chain(uow.repo.key, town, postings, head)
