"""Renewal decisions and the report against fakes (rules H6, H7, H8, A5): a renewal has no
probation, the third contract is open-ended unless the worker asked, nothing is half-written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hr_svc.domain.certificates import CertificateLevel
from hr_svc.domain.contracts import ContractKind
from hr_svc.domain.renewal import Eligibility, YearlyResult
from hr_svc.domain.workers import Worker, WorkerRole
from hr_svc.service_layer import commands, contracts, renewals, workers
from sgz_runtime.errors import AlreadyExists, FailedPrecondition, Unavailable
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.hr_fakes import TEST_VAULT, FakeAssessmentClient, FakeRosterClient, FakeUnitOfWork

TOWN = "towns/chengdong"
HR = Caller("users/hr", Role.HR, ScopeLevel.TOWN, TOWN)
NOW = datetime(2026, 6, 20, 1, 0, tzinfo=UTC)


def _worker_with_two_terms(uow: FakeUnitOfWork) -> tuple[Worker, str]:
    worker = workers.create_worker(
        commands.CreateWorker(
            display_name="王芳",
            town=TOWN,
            role=WorkerRole.STATION_WORKER,
            start_date=date(2020, 7, 1),
        ),
        uow,
        FakeRosterClient({TOWN: 12}),
        TEST_VAULT,
        caller=HR,
        clock=lambda: NOW,
    )
    names = []
    for start, end, probation in (
        (date(2020, 7, 1), None, 6),
        (date(2023, 7, 1), date(2026, 6, 30), 0),
    ):
        names.append(
            contracts.create_contract(
                commands.CreateContract(
                    worker=worker.name,
                    kind=ContractKind.FIXED_TERM,
                    start_date=start,
                    end_date=end,
                    probation_months=probation,
                    monthly_base_fen=450000,
                ),
                uow,
                caller=HR,
                clock=lambda: NOW,
            ).name
        )
    contracts.create_certificate(
        commands.CreateCertificate(
            worker=worker.name,
            level=CertificateLevel.INTERMEDIATE,
            number="B-1",
            obtained_date=date(2022, 9, 1),
        ),
        uow,
        caller=HR,
        clock=lambda: NOW,
    )
    return worker, names[1]


def _passed(worker: Worker) -> FakeAssessmentClient:
    return FakeAssessmentClient([YearlyResult(worker.name, 2025, True, "users/chief")])


def test_h8_the_third_contract_is_open_ended_with_no_probation() -> None:
    uow = FakeUnitOfWork()
    worker, second = _worker_with_two_terms(uow)
    assert [c.consecutive_fixed_terms for c in uow.contracts.rows] == [1, 2]
    decision = renewals.decide_renewal(
        commands.DecideRenewal(contract=second, renew=True, reason="考核合格，持证"),
        uow,
        _passed(worker),
        caller=HR,
        clock=lambda: NOW,
    )
    new = decision.new_contract
    assert new is not None
    assert (new.kind, new.start_date, new.end_date, new.probation_months) == (
        ContractKind.OPEN_ENDED, date(2026, 7, 1), None, 0
    )  # fmt: skip
    assert new.open_ended_required and decision.decided_by == "users/hr"
    assert uow.decisions.rows[second.split("/")[-1]].reason == "考核合格，持证"
    with pytest.raises(AlreadyExists):
        renewals.decide_renewal(
            commands.DecideRenewal(contract=second, renew=False, reason="重复"),
            uow,
            _passed(worker),
            caller=HR,
        )


def test_h8_a_worker_who_asks_for_a_fixed_term_gets_one_and_it_is_recorded() -> None:
    uow = FakeUnitOfWork()
    worker, second = _worker_with_two_terms(uow)
    decision = renewals.decide_renewal(
        commands.DecideRenewal(
            contract=second,
            renew=True,
            reason="本人要求固定期限",
            new_end_date=date(2029, 6, 30),
            worker_asked_fixed_term=True,
        ),
        uow,
        _passed(worker),
        caller=HR,
        clock=lambda: NOW,
    )
    new = decision.new_contract
    assert new is not None
    assert (new.kind, new.end_date, new.worker_asked_fixed_term, new.consecutive_fixed_terms) == (
        ContractKind.FIXED_TERM, date(2029, 6, 30), True, 3
    )  # fmt: skip


def test_a5_no_yearly_result_means_undetermined_and_no_renewal_yet() -> None:
    uow = FakeUnitOfWork()
    _, second = _worker_with_two_terms(uow)
    report = renewals.get_renewal_report(
        commands.GetRenewalReport(
            parent=TOWN,
            ending_after=date(2026, 6, 1),
            ending_before=date(2026, 7, 1),
            on=date(2026, 3, 1),
        ),
        uow,
        FakeAssessmentClient(),
        caller=HR,
    )
    (row,) = report.rows
    assert row.assessment.eligibility is Eligibility.UNDETERMINED
    assert [r.text.render("en") for r in row.assessment.reasons] == [
        "the 2025 assessment result is not available",
        "training in 2025: 0 of 30 hours, 30 short",
        "after 2 consecutive fixed-term contracts a renewal is open-ended unless the worker asks "
        "for a fixed term (art. 14)",
    ]
    with pytest.raises(FailedPrecondition) as info:
        renewals.decide_renewal(
            commands.DecideRenewal(contract=second, renew=True, reason="续签"),
            uow,
            FakeAssessmentClient(),
            caller=HR,
        )
    assert info.value.rule == "A5"
    assert len(uow.contracts.rows) == 2 and not uow.decisions.rows


def test_unreachable_assessment_is_unavailable_and_nothing_written() -> None:
    uow = FakeUnitOfWork()
    _, second = _worker_with_two_terms(uow)
    with pytest.raises(Unavailable):
        renewals.decide_renewal(
            commands.DecideRenewal(contract=second, renew=False, reason="不续签"),
            uow,
            FakeAssessmentClient(down=True),
            caller=HR,
        )
    assert len(uow.contracts.rows) == 2 and not uow.decisions.rows
    assert len(uow.workers.rows[0].employment) == 1
