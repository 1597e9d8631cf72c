"""Reads for other parts of the system: pay terms (rules H10, A1) and training hours (H9)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from hr_svc.domain.contracts import Contract
from hr_svc.domain.pay import PayTerms, base_in_force, months_employed
from hr_svc.domain.policy import policy_on, withholding_ratio_on
from hr_svc.domain.workers import Worker
from hr_svc.service_layer import commands, common
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime import names
from sgz_runtime.errors import InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller
from sgz_runtime.periods import Period


def list_pay_terms(
    cmd: commands.ListPayTerms, uow: HrUnitOfWork, *, caller: Caller
) -> list[PayTerms]:
    """Each full-time worker of the town employed at least one day of the period, with the
    monthly base of the contract then in force, the town's withholding ratio in effect on the
    period's first day and the insurance rates of the policy then (H10, A1)."""
    if cmd.parent == common.ALL_TOWNS:
        raise InvalidArgument.field(
            "parent", tr("name one town: pay terms carry that town's withholding ratio")
        )
    names.parse("parent", cmd.parent, "towns")
    towns = common.towns_for(caller, cmd.parent)
    period = Period.parse(cmd.period)
    with uow:
        policy = policy_on(uow.settings.policies(), period.first)
        ratio = withholding_ratio_on(
            policy, uow.settings.withholding(towns), cmd.parent, period.first
        )
        workers = [w for w in uow.workers.in_towns(towns) if not w.is_chief]
        contracts: dict[str, list[Contract]] = defaultdict(list)
        for c in uow.contracts.of_workers([w.id for w in workers]):
            contracts[c.worker_id].append(c)
    out: list[PayTerms] = []
    for worker in workers:
        spells = [s for s in worker.spells() if s.overlaps(period.first, period.last)]
        if not spells:
            continue
        latest = spells[-1]
        out.append(
            PayTerms(
                worker=worker.name,
                display_name=worker.display_name,
                monthly_base_fen=base_in_force(contracts[worker.id], spells, period),
                withholding_ratio_bp=ratio,
                months_employed=months_employed(spells, period),
                employed_from=latest.first,
                employed_to=latest.last,
                employer_rates_bp=policy.employer_rates_bp,
                worker_rates_bp=policy.worker_rates_bp,
            )
        )
    return out


@dataclass(frozen=True)
class TrainingHours:
    worker: Worker
    tenth_hours: int
    required_tenth_hours: int

    @property
    def short_tenth_hours(self) -> int:
        return max(0, self.required_tenth_hours - self.tenth_hours)


def list_training_hours(
    cmd: commands.ListTrainingHours, uow: HrUnitOfWork, *, caller: Caller
) -> list[TrainingHours]:
    """Rule H9: each full-time worker employed during the year, hours against the
    requirement in force on 1 January; with short_only, who is short and by how much."""
    if not 1900 <= cmd.year <= 2100:
        raise InvalidArgument.field("year", tr("must be a calendar year"), rule="H9")
    towns = common.towns_for(caller, cmd.parent)
    first, last = date(cmd.year, 1, 1), date(cmd.year, 12, 31)
    with uow:
        required = policy_on(uow.settings.policies(), first).training_tenth_hours_per_year
        workers = [
            w
            for w in uow.workers.in_towns(towns)
            if not w.is_chief and any(s.overlaps(first, last) for s in w.spells())
        ]
        hours = uow.training.tenths_in_year([w.id for w in workers], cmd.year)
    rows = [TrainingHours(w, hours.get(w.id, 0), required) for w in workers]
    if cmd.short_only:
        rows = [r for r in rows if r.short_tenth_hours > 0]
    return rows
