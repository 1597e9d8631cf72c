"""Renewal eligibility (rules H7, H8, H9, A5), the early warning, and the decision at a
contract's end with who and why."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from hr_svc.adapters.assessment_client import AssessmentClient
from hr_svc.adapters.repository import DecisionRow
from hr_svc.domain.calendar import add_months
from hr_svc.domain.certificates import Certificate
from hr_svc.domain.contracts import Contract, ContractKind
from hr_svc.domain.policy import HrPolicy, policy_on
from hr_svc.domain.renewal import (
    Eligibility,
    RenewalAssessment,
    assess_renewal,
    assessment_year,
    early_warning,
)
from hr_svc.domain.workers import WorkerRef, leave
from hr_svc.service_layer import commands, common
from hr_svc.service_layer.contracts import build_contract
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime import china_time, names
from sgz_runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from sgz_runtime.i18n import Text, tr
from sgz_runtime.identity import Caller


@dataclass(frozen=True)
class RenewalRow:
    worker: WorkerRef
    assessment: RenewalAssessment


@dataclass(frozen=True)
class Warning:
    worker: WorkerRef
    contract: Contract
    text: Text


@dataclass(frozen=True)
class RenewalReport:
    parent: str
    on: date
    rows: list[RenewalRow]
    warnings: list[Warning]
    warning_months: int


T = TypeVar("T", Contract, Certificate)


def _by_worker(items: list[T]) -> dict[str, list[T]]:
    out: dict[str, list[T]] = defaultdict(list)
    for item in items:
        out[item.worker_id].append(item)
    return out


def _required(policies: list[HrPolicy], year: int) -> int:
    """Rule H9: the yearly hours in force on 1 January of the year."""
    return policy_on(policies, date(year, 1, 1)).training_tenth_hours_per_year


def get_renewal_report(
    cmd: commands.GetRenewalReport,
    uow: HrUnitOfWork,
    assessment: AssessmentClient,
    *,
    caller: Caller,
) -> RenewalReport:
    """Every fixed-term contract of the towns ending in [ending_after, ending_before), each
    with its verdict and every reason; and the early warning (rule H7)."""
    towns = common.towns_for(caller, cmd.parent)
    on = cmd.on or china_time.today()
    first = cmd.ending_after or on
    if cmd.ending_before <= first:
        raise InvalidArgument.field(
            "ending_before", tr("must be after ending_after ({day})", day=first.isoformat())
        )
    with uow:
        policies = uow.settings.policies()
        warning_months = policy_on(policies, on).early_warning_months
        ending = uow.contracts.ending_between(towns, first, cmd.ending_before)
        soon = uow.contracts.ending_between(
            towns, on, add_months(on, warning_months) + timedelta(days=1)
        )
        ids = sorted({c.worker_id for c in ending} | {c.worker_id for c in soon})
        workers = uow.workers.refs(ids)
        contracts = _by_worker(uow.contracts.of_workers(ids))
        certificates = _by_worker(uow.certificates.of_workers(ids))
        years = sorted({assessment_year(c.end_date) for c in ending if c.end_date})
        hours = {y: uow.training.tenths_in_year(ids, y) for y in years}
    # Rule A5: the yearly result belongs to the assessment service; asked outside the
    # transaction, one call per year.
    results = {
        y: assessment.yearly_results(
            sorted({workers[c.worker_id].name for c in ending if c.worker_id in workers}), y
        )
        for y in years
    }
    rows: list[RenewalRow] = []
    for contract in ending:
        worker = workers.get(contract.worker_id)
        if worker is None or contract.end_date is None:
            continue
        year = assessment_year(contract.end_date)
        rows.append(
            RenewalRow(
                worker,
                assess_renewal(
                    contract,
                    all_contracts=contracts[worker.id],
                    certificates=certificates[worker.id],
                    training_tenth_hours=hours[year].get(worker.id, 0),
                    required_tenth_hours=_required(policies, year),
                    result=results[year].get(worker.name),
                ),
            )
        )
    warnings: list[Warning] = []
    for contract in soon:
        worker = workers.get(contract.worker_id)
        if worker is None:
            continue
        text = early_warning(contract, certificates[worker.id], on, warning_months)
        if text is not None:
            warnings.append(Warning(worker, contract, text))
    return RenewalReport(cmd.parent, on, rows, warnings, warning_months)


def _joined(texts: list[Text]) -> Text:
    joined = texts[0]
    for text in texts[1:]:
        joined = tr("{first}; {then}", first=joined, then=text)
    return joined


@dataclass(frozen=True)
class Decision:
    contract: str
    renewed: bool
    reason: str
    new_contract: Contract | None
    decided_by: str
    decided_at: datetime
    assessment: RenewalAssessment


def decide_renewal(
    cmd: commands.DecideRenewal,
    uow: HrUnitOfWork,
    assessment: AssessmentClient,
    *,
    caller: Caller,
    clock: common.Clock = china_time.now,
) -> Decision:
    """Renews (no probation; open-ended where H8 says unless the worker asked for a fixed
    term) or ends the contract, with who and why. The yearly result is read first, outside
    the transaction; the decision and its new contract or the end of employment are written
    together."""
    worker_id, contract_id = names.parse("contract", cmd.contract, "workers", "contracts")
    if not cmd.reason.strip():
        raise InvalidArgument.field("reason", tr("must not be blank"), rule="H7")
    with uow:
        worker = uow.workers.get(worker_id)
        contract = uow.contracts.get(contract_id)
        if worker is None or contract is None or contract.worker_id != worker_id:
            raise NotFound(cmd.contract)
        if not caller.sees_town(worker.town):
            raise NotFound(cmd.contract)
        common.require_writer(caller, worker.town)
        if contract.end_date is None:
            raise FailedPrecondition(
                tr("an open-ended contract has no end to decide on"), rule="H8"
            )
        year = assessment_year(contract.end_date)
    result = assessment.yearly_results([worker.name], year).get(worker.name)
    now = clock()
    with uow:
        uow.workers.serialize("contracts:" + worker_id)  # rule H6: no overlap
        worker = uow.workers.get(worker_id)
        assert worker is not None and contract.end_date is not None
        if uow.decisions.get(contract_id) is not None:
            raise AlreadyExists(
                cmd.contract, message=tr("{contract} was already decided", contract=cmd.contract)
            )
        policies = uow.settings.policies()
        existing = uow.contracts.of_workers([worker_id])
        verdict = assess_renewal(
            contract,
            all_contracts=existing,
            certificates=uow.certificates.of_workers([worker_id]),
            training_tenth_hours=uow.training.tenths_in_year([worker_id], year).get(worker_id, 0),
            required_tenth_hours=policy_on(
                policies, date(year, 1, 1)
            ).training_tenth_hours_per_year,
            result=result,
        )
        new: Contract | None = None
        if cmd.renew:
            blocking = [r for r in verdict.reasons if r.blocking]
            if blocking:
                raise FailedPrecondition(
                    tr("not renewed: {reasons}", reasons=_joined([r.text for r in blocking])),
                    rule=blocking[0].rule,
                )
            if verdict.eligibility is Eligibility.UNDETERMINED:
                raise FailedPrecondition(
                    tr(
                        "the {year} assessment result is not available: decide once the town "
                        "has assessed the worker (A5)",
                        year=year,
                    ),
                    rule="A5",
                )
            open_ended = verdict.open_ended_required and not cmd.worker_asked_fixed_term
            if not open_ended and cmd.new_end_date is None:
                raise InvalidArgument.field(
                    "new_end_date", tr("a fixed-term renewal needs its last day"), rule="H6"
                )
            new = build_contract(
                worker_id=worker_id,
                existing=existing,
                kind=ContractKind.OPEN_ENDED if open_ended else ContractKind.FIXED_TERM,
                start=contract.end_date + timedelta(days=1),
                end=None if open_ended else cmd.new_end_date,
                probation_months=0,
                monthly_base_fen=cmd.monthly_base_fen or contract.monthly_base_fen,
                worker_asked_fixed_term=cmd.worker_asked_fixed_term,
                first_contract_months=policy_on(policies, contract.end_date).first_contract_months,
                by=caller.subject,
                at=now,
            )
            uow.contracts.add(new)
        else:
            leave(worker, contract.end_date, cmd.reason, caller.subject, now)
        uow.decisions.add(
            DecisionRow(
                contract_id=contract_id,
                outcome="renew" if cmd.renew else "end",
                reason=cmd.reason.strip(),
                new_contract_id=new.id if new else None,
                decided_by=caller.subject,
                decided_at=now,
                reasons=[
                    {
                        "code": r.code.value,
                        "rule": r.rule,
                        "blocking": r.blocking,
                        "en": str(r.text),
                    }
                    for r in verdict.reasons
                ],
            )
        )
        uow.commit()
    return Decision(cmd.contract, cmd.renew, cmd.reason.strip(), new, caller.subject, now, verdict)
