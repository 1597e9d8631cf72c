"""ListPayTerms for assessment (rules H10, A1): months employed, the base in force, the town's
ratio; the chief is not a worker on pay terms, and a whole city is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hr_svc.domain.contracts import ContractKind
from hr_svc.domain.workers import WorkerRole
from hr_svc.service_layer import commands, contracts, reports, workers
from sgz_runtime.errors import InvalidArgument
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.hr_fakes import TEST_VAULT, FakeRosterClient, FakeUnitOfWork

TOWN = "towns/chengdong"
HR = Caller("users/hr", Role.HR, ScopeLevel.TOWN, TOWN)
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def _worker(uow: FakeUnitOfWork, start: date, role: WorkerRole = WorkerRole.STATION_WORKER) -> str:
    made = workers.create_worker(
        commands.CreateWorker(display_name="王芳", town=TOWN, role=role, start_date=start),
        uow,
        FakeRosterClient({TOWN: 12}),
        TEST_VAULT,
        caller=HR,
        clock=lambda: NOW,
    )
    return made.name


def test_h10_a_worker_who_joined_on_31_january_and_left_on_1_march_has_three_months() -> None:
    uow = FakeUnitOfWork()
    short = _worker(uow, date(2026, 1, 31))
    contracts.create_contract(
        commands.CreateContract(
            worker=short, kind=ContractKind.FIXED_TERM, start_date=date(2026, 1, 31),
            end_date=None, probation_months=6, monthly_base_fen=380000,
        ),
        uow,
        caller=HR,
        clock=lambda: NOW,
    )  # fmt: skip
    workers.end_employment(
        commands.EndEmployment(worker=short, last_day=date(2026, 3, 1), reason="辞职"),
        uow,
        caller=HR,
        clock=lambda: NOW,
    )
    _worker(uow, date(2020, 1, 1), WorkerRole.STATION_CHIEF)
    terms = reports.list_pay_terms(
        commands.ListPayTerms(parent=TOWN, period="2026H1"), uow, caller=HR
    )
    assert [
        (t.worker, t.monthly_base_fen, t.months_employed, t.employed_from, t.employed_to,
         t.withholding_ratio_bp)
        for t in terms
    ] == [(short, 380000, 3, date(2026, 1, 31), date(2026, 3, 1), 1000)]  # fmt: skip
    assert terms[0].employer_rates_bp["pension"] == 1600


def test_a1_pay_terms_name_one_town() -> None:
    with pytest.raises(InvalidArgument) as info:
        reports.list_pay_terms(
            commands.ListPayTerms(parent="towns/-", period="2026H1"),
            FakeUnitOfWork(),
            caller=Caller("users/c", Role.CITY_FINANCE, ScopeLevel.CITY),
        )
    assert [v.field for v in info.value.violations] == ["parent"]
