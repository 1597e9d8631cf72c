"""Use cases on allocations (rules F1, F2): compute from the roster's care months, approve
by a second person, list the versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from finance_svc.adapters.repository import PeriodRecord
from finance_svc.adapters.roster_client import RosterClient
from finance_svc.domain.allocation import Allocation, Explanation, approve, explain, new_version
from finance_svc.domain.periods import PeriodState, advance, later
from finance_svc.service_layer import commands
from finance_svc.service_layer.common import CITY_MONEY_ROLES, Clock, require_sees, require_writer
from finance_svc.service_layer.unit_of_work import FinanceUnitOfWork
from sgz_runtime.errors import FailedPrecondition, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller
from sgz_runtime.periods import Period

EMPTY = Explanation((), 0, ())


def compute_allocations(
    cmd: commands.ComputeAllocations,
    uow: FinanceUnitOfWork,
    roster: RosterClient,
    *,
    caller: Caller,
    clock: Clock,
) -> list[Allocation]:
    """Rule F2 for one town or every town: person-months by level x the standard of each
    month, from the roster's care months (never person rows); a new draft version per town.
    Towns whose period is closed are left out of `towns/-`, and refused by name."""
    every = cmd.parent == "towns/-"
    if not every:
        require_writer(caller, cmd.parent, CITY_MONEY_ROLES)
    elif caller.role not in CITY_MONEY_ROLES:
        require_writer(caller, "towns/-", CITY_MONEY_ROLES)
    rows = roster.care_months(cmd.parent, cmd.period)
    with uow:
        explained = explain(rows, uow.repo.standards(), uow.repo.wages())
    # Rule F1: who is counted nowhere is listed, asked only for the towns that have any.
    for town, found in list(explained.items()):
        if found.unassessed_person_months:
            persons = tuple(roster.unassessed_persons(town, cmd.period))
            explained[town] = replace(found, unassessed_persons=persons)
    with uow:
        towns = sorted(explained) if every else [cmd.parent]
        uow.repo.lock_towns(towns)
        records = {r.town: r for r in uow.repo.periods(towns, cmd.period.name)}
        versions = uow.repo.allocations(towns, cmd.period.name, with_lines=False)
        now = clock()
        drafts: list[Allocation] = []
        replaced: list[Allocation] = []
        for town in towns:
            record = records.get(town) or PeriodRecord(town, cmd.period.name)
            if record.state is PeriodState.CLOSED:
                if every:
                    continue
                raise FailedPrecondition(
                    tr(
                        "{period} is closed: correct it by an adjusting entry in an open "
                        "period (rule F4)",
                        period=record.name,
                    ),
                    rule="F4",
                )
            draft, superseded = new_version(
                versions[town],
                town=town,
                period=cmd.period.name,
                explanation=explained.get(town, EMPTY),
                computed_by=caller.subject,
                now=now,
                reason=cmd.reason,
                unassessed_override_reason=cmd.unassessed_override_reason,
            )
            replaced += superseded
            drafts.append(draft)
        uow.repo.update_allocations(replaced)
        uow.repo.add_allocations(drafts)
        uow.commit()
    return drafts


def _approve_in(
    versions: Sequence[Allocation],
    draft: Allocation,
    record: PeriodRecord,
    received: int,
    approver: str,
    clock: Clock,
) -> list[Allocation]:
    """Approves draft and moves the period on (rule F1); returns the allocations changed. The
    caller writes them and the period."""
    if record.state is PeriodState.CLOSED:
        raise FailedPrecondition(tr("{period} is closed (rule F4)", period=record.name), rule="F4")
    approved, replaced = approve(draft, versions, approver=approver, now=clock())
    record.allocated = approved.amount
    record.state = advance(record.state, later(record.state, PeriodState.ALLOCATED))
    if record.allocated.fen <= received:
        record.state = advance(record.state, later(record.state, PeriodState.DISBURSED))
    return [approved] if replaced is None else [approved, replaced]


def approve_allocation(
    cmd: commands.ApproveAllocation, uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> Allocation:
    """Maker-checker (rule F1): a second person of city finance approves the latest draft."""
    require_writer(caller, cmd.town, CITY_MONEY_ROLES)
    with uow:
        uow.repo.lock_towns([cmd.town])
        versions = uow.repo.allocations([cmd.town], cmd.period.name)[cmd.town]
        draft = next((v for v in versions if v.version == cmd.version), None)
        if draft is None:
            raise NotFound(f"{cmd.town}/periods/{cmd.period.name}/allocations/{cmd.version}")
        record = uow.repo.period(cmd.town, cmd.period.name)
        received = uow.repo.received([cmd.town], cmd.period.name)[cmd.town]
        changed = _approve_in(versions, draft, record, received, caller.subject, clock)
        uow.repo.update_allocations(changed)
        uow.repo.save_periods([record])
        uow.commit()
    return changed[0]


def approve_latest_allocations(
    cmd: commands.ApproveLatestAllocations,
    uow: FinanceUnitOfWork,
    *,
    caller: Caller,
    clock: Clock,
) -> list[Allocation]:
    """The latest draft of each town, approved in one transaction (all or none)."""
    for town in cmd.towns:
        require_writer(caller, town, CITY_MONEY_ROLES)
    with uow:
        towns = list(cmd.towns)
        uow.repo.lock_towns(towns)
        versions = uow.repo.allocations(towns, cmd.period.name, with_lines=False)
        records = {r.town: r for r in uow.repo.periods(towns, cmd.period.name)}
        received = uow.repo.received(towns, cmd.period.name)
        out: list[Allocation] = []
        changed: list[Allocation] = []
        touched: list[PeriodRecord] = []
        for town in towns:
            if not versions[town]:
                raise NotFound(f"{town}/periods/{cmd.period.name}/allocations")
            record = records.get(town) or PeriodRecord(town, cmd.period.name)
            made = _approve_in(
                versions[town], versions[town][-1], record, received[town], caller.subject, clock
            )
            out.append(made[0])
            changed += made
            touched.append(record)
        uow.repo.update_allocations(changed)
        uow.repo.save_periods(touched)
        uow.commit()
    return out


def list_allocations(
    uow: FinanceUnitOfWork, *, caller: Caller, town: str, period: Period
) -> list[Allocation]:
    require_sees(caller, town)
    with uow:
        return uow.repo.allocations([town], period.name)[town]
