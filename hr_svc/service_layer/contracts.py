"""Use cases on contracts (H6, H8, H10), certificates (H7) and training records (H9)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from hr_svc.domain.certificates import Certificate, check_certificate
from hr_svc.domain.contracts import (
    Contract,
    ContractKind,
    article_14,
    check_contract,
    first_contract_end,
    refuse_overlap,
)
from hr_svc.domain.policy import policy_on
from hr_svc.domain.training import TrainingRecord, check_training
from hr_svc.domain.workers import Worker
from hr_svc.service_layer import commands, common
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime import china_time
from sgz_runtime.errors import FailedPrecondition, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller


def _worker_for_writing(uow: HrUnitOfWork, name: str, caller: Caller) -> Worker:
    worker = uow.workers.get(common.worker_id(name))
    if worker is None or not caller.sees_town(worker.town):
        raise NotFound(name)
    common.require_writer(caller, worker.town)
    return worker


def build_contract(
    *,
    worker_id: str,
    existing: list[Contract],
    kind: ContractKind,
    start: date,
    end: date | None,
    probation_months: int,
    monthly_base_fen: int,
    worker_asked_fixed_term: bool,
    first_contract_months: int,
    by: str,
    at: datetime,
) -> Contract:
    """A contract checked against H6 (term, art. 19, overlap) and H8 (art. 14), not yet stored."""
    first = not existing
    if kind is ContractKind.FIXED_TERM and end is None and first:
        end = first_contract_end(start, first_contract_months)  # rule H6: generally 3 years
    contract = Contract(
        id=uuid.uuid4().hex,
        worker_id=worker_id,
        kind=kind,
        start_date=start,
        end_date=end,
        probation_months=probation_months,
        monthly_base_fen=monthly_base_fen,
        worker_asked_fixed_term=worker_asked_fixed_term,
        recorded_by=by,
        recorded_at=at,
    )
    check_contract(contract, first=first)
    refuse_overlap(existing, contract)
    art14 = article_14(existing, start)
    fixed = kind is ContractKind.FIXED_TERM
    if art14.open_ended_required and fixed and not worker_asked_fixed_term:
        raise FailedPrecondition(
            tr(
                "{because}: record it open-ended, or record that the worker asked for a fixed term",
                because=art14.because or "",
            ),
            rule="H8",
        )
    previous = next((c for c in existing if c.end_date == start - timedelta(days=1)), None)
    contract.renewal_of = previous.id if previous is not None else None
    contract.open_ended_required = art14.open_ended_required
    contract.consecutive_fixed_terms = (
        art14.prior_consecutive_fixed_terms + 1 if kind is ContractKind.FIXED_TERM else 0
    )
    return contract


def create_contract(
    cmd: commands.CreateContract,
    uow: HrUnitOfWork,
    *,
    caller: Caller,
    clock: common.Clock = china_time.now,
) -> Contract:
    with uow:
        uow.workers.serialize("contracts:" + common.worker_id(cmd.worker))  # rule H6: no overlap
        worker = _worker_for_writing(uow, cmd.worker, caller)
        existing = uow.contracts.of_workers([worker.id])
        policy = policy_on(uow.settings.policies(), cmd.start_date)
        contract = build_contract(
            worker_id=worker.id,
            existing=existing,
            kind=cmd.kind,
            start=cmd.start_date,
            end=cmd.end_date,
            probation_months=cmd.probation_months,
            monthly_base_fen=cmd.monthly_base_fen,
            worker_asked_fixed_term=cmd.worker_asked_fixed_term,
            first_contract_months=policy.first_contract_months,
            by=caller.subject,
            at=clock(),
        )
        uow.contracts.add(contract)
        uow.commit()
        return contract


def list_contracts(uow: HrUnitOfWork, caller: Caller, worker: str) -> list[Contract]:
    with uow:
        found = uow.workers.get(common.worker_id(worker))
        if found is None or not caller.sees_town(found.town):
            raise NotFound(worker)
        return uow.contracts.of_workers([found.id])


def create_certificate(
    cmd: commands.CreateCertificate,
    uow: HrUnitOfWork,
    *,
    caller: Caller,
    clock: common.Clock = china_time.now,
) -> Certificate:
    now = clock()
    certificate = Certificate(
        id=uuid.uuid4().hex,
        worker_id=common.worker_id(cmd.worker),
        level=cmd.level,
        number=cmd.number.strip(),
        obtained_date=cmd.obtained_date,
        recorded_by=caller.subject,
        recorded_at=now,
    )
    check_certificate(certificate, china_time.local_date(now))
    with uow:
        _worker_for_writing(uow, cmd.worker, caller)
        uow.certificates.add(certificate)
        uow.commit()
        return certificate


def create_training_record(
    cmd: commands.CreateTrainingRecord,
    uow: HrUnitOfWork,
    *,
    caller: Caller,
    clock: common.Clock = china_time.now,
) -> TrainingRecord:
    now = clock()
    record = TrainingRecord(
        id=uuid.uuid4().hex,
        worker_id=common.worker_id(cmd.worker),
        kind=cmd.kind,
        tenth_hours=cmd.tenth_hours,
        provider=cmd.provider.strip(),
        date=cmd.date,
        recorded_by=caller.subject,
        recorded_at=now,
    )
    with uow:
        policy = policy_on(uow.settings.policies(), cmd.date)
        check_training(record, china_time.local_date(now), policy.max_tenth_hours_per_record)
        _worker_for_writing(uow, cmd.worker, caller)
        uow.training.add(record)
        uow.commit()
        return record
