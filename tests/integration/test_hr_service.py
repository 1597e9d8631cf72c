"""HR through a real gRPC server on a real database (SQLite and PostgreSQL), with a real roster
and a stand-in assessment server that answers BatchGetYearlyResults as agreed (rules H1-H10)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from google.type import date_pb2
from sgz.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from sgz.common.v1 import types_pb2
from sgz.hr.v1 import hr_pb2 as pb
from sgz.hr.v1 import hr_pb2_grpc
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

from hr_svc.app import build as build_hr
from roster_svc.app import build as build_roster
from sgz_runtime import status
from sgz_runtime.identity import Role, ScopeLevel
from tests.conftest import CITY, as_caller

#: The town's HR (镇人事), who records contracts, certificates, training and decisions.
TOWN_HR = as_caller(role=Role.HR, level=ScopeLevel.TOWN, scope="towns/chengdong")


def _d(y: int, m: int, d: int) -> date_pb2.Date:
    return date_pb2.Date(year=y, month=m, day=d)


class _Assessment(assessment_pb2_grpc.AssessmentServiceServicer):
    """Answers yearly results for the workers it was told about; the others are absent."""

    def __init__(self) -> None:
        self.passed: dict[tuple[str, int], bool] = {}

    def BatchGetYearlyResults(
        self, request: Any, context: grpc.ServicerContext
    ) -> assessment_pb2.BatchGetYearlyResultsResponse:
        return assessment_pb2.BatchGetYearlyResultsResponse(
            yearly_results=[
                assessment_pb2.YearlyResult(
                    worker=w,
                    year=request.year,
                    passed=self.passed[(w, request.year)],
                    decided_by="users/chief",
                )
                for w in request.workers
                if (w, request.year) in self.passed
            ]
        )


@dataclass
class Stack:
    hr: Any
    roster: Any
    assessment: _Assessment


@pytest.fixture
def stack(start_service) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    assessment = _Assessment()  # type: ignore[abstract]  # only the agreed RPC answers
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    assessment_pb2_grpc.add_AssessmentServiceServicer_to_server(assessment, server)
    assessment_port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    roster_server, roster_channel = start_service("roster", build_roster)
    _, hr_channel = start_service(
        "hr", build_hr, roster=roster_server.port, assessment=assessment_port
    )
    roster = roster_pb2_grpc.RosterServiceStub(roster_channel)
    roster.CreateTown(
        roster_pb2.CreateTownRequest(
            town=roster_pb2.Town(
                display_name="城东镇",
                administrative_code="320621100",
                kind=roster_pb2.TOWN_KIND_TOWN,
            ),
            town_id="chengdong",
        ),
        metadata=CITY,
    )
    for i in range(19):
        roster.CreateVillage(
            roster_pb2.CreateVillageRequest(
                parent="towns/chengdong",
                village=roster_pb2.Village(
                    display_name=f"{i}村", kind=roster_pb2.VILLAGE_KIND_VILLAGE
                ),
                village_id=f"v{i}",
            ),
            metadata=CITY,
        )
    yield Stack(hr_pb2_grpc.HrServiceStub(hr_channel), roster, assessment)
    server.stop(0)


def _worker(
    hr: Any, start: date_pb2.Date, role: pb.WorkerRole.ValueType = pb.WORKER_ROLE_STATION_WORKER
) -> str:
    made = hr.CreateWorker(
        pb.CreateWorkerRequest(
            worker=pb.Worker(
                display_name="王芳", town="towns/chengdong", role=role, start_date=start
            )
        ),
        metadata=TOWN_HR,
    )
    return str(made.name)


def _refusal(info: pytest.ExceptionInfo[grpc.RpcError]) -> tuple[grpc.StatusCode, str]:
    rich = status.rich_status(info.value)
    error_info = error_details_pb2.ErrorInfo()
    for detail in rich.details:
        if detail.Unpack(error_info):
            break
    return info.value.code(), error_info.metadata.get("rule", "")


def test_h1_h2_staffing_of_19_villages_needs_4_and_the_chief_is_not_counted(stack: Stack) -> None:
    hr = stack.hr
    for _ in range(3):
        _worker(hr, _d(2024, 1, 1))
    leaver = _worker(hr, _d(2024, 1, 1))
    _worker(hr, _d(2024, 1, 1), pb.WORKER_ROLE_STATION_CHIEF)
    hr.EndEmployment(
        pb.EndEmploymentRequest(name=leaver, end_date=_d(2025, 9, 30), reason="辞职"),
        metadata=TOWN_HR,
    )
    got = hr.GetTownStaffing(
        pb.GetTownStaffingRequest(name="towns/chengdong/staffing", on=_d(2026, 3, 1)),
        metadata=TOWN_HR,
    )
    assert (got.villages, got.required, got.active, got.shortfall) == (19, 4, 3, 1)
    assert got.since == _d(2025, 10, 1) and got.has_chief
    before = hr.GetTownStaffing(
        pb.GetTownStaffingRequest(name="towns/chengdong/staffing", on=_d(2025, 9, 30)),
        metadata=TOWN_HR,
    )
    assert (before.active, before.shortfall, before.HasField("since")) == (4, 0, False)
    city = hr.ListTownStaffing(pb.ListTownStaffingRequest(on=_d(2026, 3, 1)), metadata=TOWN_HR)
    assert [(s.town, s.shortfall) for s in city.town_staffing] == [("towns/chengdong", 1)]


def test_h1_staffing_of_an_unknown_town_is_not_found_naming_the_rule(stack: Stack) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stack.hr.GetTownStaffing(
            pb.GetTownStaffingRequest(name="towns/nowhere/staffing"), metadata=CITY
        )
    assert _refusal(info) == (grpc.StatusCode.NOT_FOUND, "H1")


def test_h5_a_second_chief_is_refused(stack: Stack) -> None:
    _worker(stack.hr, _d(2024, 1, 1), pb.WORKER_ROLE_STATION_CHIEF)
    with pytest.raises(grpc.RpcError) as info:
        _worker(stack.hr, _d(2026, 1, 1), pb.WORKER_ROLE_STATION_CHIEF)
    assert _refusal(info) == (grpc.StatusCode.FAILED_PRECONDITION, "H5")
    listed = stack.hr.ListWorkers(pb.ListWorkersRequest(town="towns/chengdong"), metadata=TOWN_HR)
    assert len(listed.workers) == 1


def _contract(
    start: date_pb2.Date, end: date_pb2.Date | None = None, probation: int = 0
) -> pb.Contract:
    return pb.Contract(
        kind=pb.CONTRACT_KIND_FIXED_TERM,
        start_date=start,
        end_date=end,
        probation_months=probation,
        monthly_base=types_pb2.Money(fen=450000),
    )


def test_bad_input_is_refused_naming_the_rule_and_nothing_written(stack: Stack) -> None:
    hr = stack.hr
    worker = _worker(hr, _d(2023, 7, 1))
    cases: list[Callable[[], object]] = [
        # H6: a 7-month probation on a 3-year contract
        lambda: hr.CreateContract(
            pb.CreateContractRequest(parent=worker, contract=_contract(_d(2023, 7, 1), None, 7)),
            metadata=TOWN_HR,
        ),
        # H7: a certificate dated in the future
        lambda: hr.CreateCertificate(
            pb.CreateCertificateRequest(
                parent=worker,
                certificate=pb.Certificate(
                    level=pb.CERTIFICATE_LEVEL_JUNIOR, number="A1", obtained_date=_d(2099, 1, 1)
                ),
            ),
            metadata=TOWN_HR,
        ),
        # H9: negative and absurd hours
        lambda: hr.CreateTrainingRecord(
            pb.CreateTrainingRecordRequest(
                parent=worker,
                training_record=pb.TrainingRecord(
                    kind=pb.TRAINING_KIND_TRAINING,
                    tenth_hours=-30,
                    provider="市民政局",
                    date=_d(2025, 5, 1),
                ),
            ),
            metadata=TOWN_HR,
        ),
        lambda: hr.CreateTrainingRecord(
            pb.CreateTrainingRecordRequest(
                parent=worker,
                training_record=pb.TrainingRecord(
                    kind=pb.TRAINING_KIND_TRAINING,
                    tenth_hours=50000,
                    provider="市民政局",
                    date=_d(2025, 5, 1),
                ),
            ),
            metadata=TOWN_HR,
        ),
    ]
    rules = []
    for call in cases:
        with pytest.raises(grpc.RpcError) as info:
            call()
        rules.append(_refusal(info))
    assert rules == [
        (grpc.StatusCode.INVALID_ARGUMENT, "H6"),
        (grpc.StatusCode.INVALID_ARGUMENT, "H7"),
        (grpc.StatusCode.INVALID_ARGUMENT, "H9"),
        (grpc.StatusCode.INVALID_ARGUMENT, "H9"),
    ]
    assert not hr.ListContracts(pb.ListContractsRequest(parent=worker), metadata=TOWN_HR).contracts
    hours = hr.ListTrainingHours(
        pb.ListTrainingHoursRequest(parent="towns/chengdong", year=2025), metadata=TOWN_HR
    )
    assert [(h.worker, h.tenth_hours, h.short_tenth_hours) for h in hours.training_hours] == [
        (worker, 0, 300)
    ]

    # H6: a first contract defaults to 3 years; an overlapping one is refused.
    first = hr.CreateContract(
        pb.CreateContractRequest(parent=worker, contract=_contract(_d(2023, 7, 1), None, 6)),
        metadata=TOWN_HR,
    )
    assert first.end_date == _d(2026, 6, 30) and first.consecutive_fixed_terms == 1
    with pytest.raises(grpc.RpcError) as info:
        hr.CreateContract(
            pb.CreateContractRequest(
                parent=worker, contract=_contract(_d(2026, 6, 30), _d(2029, 6, 30))
            ),
            metadata=TOWN_HR,
        )
    assert _refusal(info) == (grpc.StatusCode.FAILED_PRECONDITION, "H6")
    # H6: probation on a renewal.
    with pytest.raises(grpc.RpcError) as info:
        hr.CreateContract(
            pb.CreateContractRequest(
                parent=worker, contract=_contract(_d(2026, 7, 1), _d(2029, 6, 30), 1)
            ),
            metadata=TOWN_HR,
        )
    assert _refusal(info) == (grpc.StatusCode.INVALID_ARGUMENT, "H6")
    listed = hr.ListContracts(pb.ListContractsRequest(parent=worker), metadata=TOWN_HR)
    assert [c.name for c in listed.contracts] == [first.name]


def test_h7_renewal_report_decision_and_pay_terms(stack: Stack) -> None:
    hr = stack.hr
    certified = _worker(hr, _d(2023, 7, 1))
    uncertified = _worker(hr, _d(2023, 7, 1))
    unassessed = _worker(hr, _d(2023, 7, 1))
    contracts = {}
    for w in (certified, uncertified, unassessed):
        contracts[w] = hr.CreateContract(
            pb.CreateContractRequest(parent=w, contract=_contract(_d(2023, 7, 1), None, 6)),
            metadata=TOWN_HR,
        ).name
    for w, day in (
        (certified, _d(2026, 6, 30)),
        (unassessed, _d(2024, 4, 1)),
        (uncertified, _d(2026, 7, 1)),
    ):
        hr.CreateCertificate(
            pb.CreateCertificateRequest(
                parent=w,
                certificate=pb.Certificate(
                    level=pb.CERTIFICATE_LEVEL_JUNIOR, number="A-" + w[-4:], obtained_date=day
                ),
            ),
            metadata=TOWN_HR,
        )
    hr.CreateTrainingRecord(
        pb.CreateTrainingRecordRequest(
            parent=certified,
            training_record=pb.TrainingRecord(
                kind=pb.TRAINING_KIND_CONTINUING_EDUCATION,
                tenth_hours=300,
                provider="南通大学",
                date=_d(2025, 10, 12),
            ),
        ),
        metadata=TOWN_HR,
    )
    stack.assessment.passed[(certified, 2025)] = True
    stack.assessment.passed[(uncertified, 2025)] = False

    report = hr.GetRenewalReport(
        pb.GetRenewalReportRequest(
            parent="towns/chengdong",
            ending_after=_d(2026, 6, 1),
            ending_before=_d(2026, 8, 1),
            on=_d(2026, 3, 1),
        ),
        metadata=[*CITY, ("x-sgz-lang", "en")],
    )
    rows = {r.worker: (r.eligibility, [x.code for x in r.reasons]) for r in report.rows}
    assert rows == {
        certified: (pb.ELIGIBILITY_ELIGIBLE, []),
        uncertified: (
            pb.ELIGIBILITY_NOT_ELIGIBLE,
            ["NO_CERTIFICATE", "ASSESSMENT_NOT_PASSED", "TRAINING_SHORT"],
        ),
        unassessed: (pb.ELIGIBILITY_UNDETERMINED, ["ASSESSMENT_NOT_AVAILABLE", "TRAINING_SHORT"]),
    }
    # The early warning (6 months from 2026-03-01): the worker certified on 2026-06-30 and the
    # one certified on 2026-07-01 hold nothing yet.
    assert sorted(w.worker for w in report.warnings) == sorted([certified, uncertified])
    assert report.warning_months == 6

    decision = hr.DecideRenewal(
        pb.DecideRenewalRequest(
            contract=contracts[certified],
            outcome=pb.RENEWAL_OUTCOME_RENEW,
            reason="考核合格，持证",
            new_end_date=_d(2029, 6, 30),
        ),
        metadata=TOWN_HR,
    )
    assert decision.decided_by == "users/tester" and decision.new_contract
    renewed = hr.ListContracts(
        pb.ListContractsRequest(parent=certified), metadata=TOWN_HR
    ).contracts
    assert [
        (c.start_date, c.end_date, c.probation_months, c.consecutive_fixed_terms) for c in renewed
    ] == [
        (_d(2023, 7, 1), _d(2026, 6, 30), 6, 1),
        (_d(2026, 7, 1), _d(2029, 6, 30), 0, 2),
    ]
    with pytest.raises(grpc.RpcError) as info:
        hr.DecideRenewal(
            pb.DecideRenewalRequest(
                contract=contracts[uncertified],
                outcome=pb.RENEWAL_OUTCOME_RENEW,
                reason="续签",
                new_end_date=_d(2029, 6, 30),
            ),
            metadata=TOWN_HR,
        )
    assert _refusal(info) == (grpc.StatusCode.FAILED_PRECONDITION, "H7")
    ended = hr.DecideRenewal(
        pb.DecideRenewalRequest(
            contract=contracts[uncertified], outcome=pb.RENEWAL_OUTCOME_END, reason="未取得证书"
        ),
        metadata=TOWN_HR,
    )
    assert ended.outcome == pb.RENEWAL_OUTCOME_END
    assert hr.GetWorker(pb.GetWorkerRequest(name=uncertified), metadata=TOWN_HR).end_date == _d(
        2026, 6, 30
    )

    terms = hr.ListPayTerms(
        pb.ListPayTermsRequest(parent="towns/chengdong", period="2026H2"), metadata=TOWN_HR
    )
    by_worker = {
        t.worker: (t.monthly_base.fen, t.months_employed, t.withholding_ratio_bp)
        for t in terms.pay_terms
    }
    assert by_worker == {certified: (450000, 6, 1000), unassessed: (450000, 6, 1000)}
    first_half = hr.ListPayTerms(
        pb.ListPayTermsRequest(parent="towns/chengdong", period="2026H1"), metadata=TOWN_HR
    )
    left = next(t for t in first_half.pay_terms if t.worker == uncertified)
    assert (left.months_employed, left.employed_to) == (6, _d(2026, 6, 30))


def test_dated_settings_round_trip_and_a_town_ratio_reaches_pay_terms(stack: Stack) -> None:
    hr = stack.hr
    rates = {"pension": 1600, "medical": 700, "unemployment": 50, "work_injury": 20,
             "maternity": 80, "housing_fund": 1200}  # fmt: skip
    worker_rates = {**rates, "pension": 800, "medical": 200, "work_injury": 0, "maternity": 0}
    made = hr.CreateHrPolicy(
        pb.CreateHrPolicyRequest(
            hr_policy_id="v2",
            hr_policy=pb.HrPolicy(
                effective_from=_d(2099, 1, 1), training_tenth_hours_per_year=400,
                max_tenth_hours_per_record=1200, written_weight_percent=50,
                first_contract_months=36, early_warning_months=6, withholding_ratio_bp=1200,
                employer_rates_bp=rates, worker_rates_bp=worker_rates,
            ),
        ),
        metadata=CITY,
    )  # fmt: skip
    assert made.name == "hrPolicies/v2"
    listed = hr.ListHrPolicies(pb.ListHrPoliciesRequest(), metadata=TOWN_HR).hr_policies
    got = [
        (p.name, p.training_tenth_hours_per_year, p.employer_rates_bp["housing_fund"])
        for p in listed
    ]
    assert got == [("hrPolicies/v1", 300, 800), ("hrPolicies/v2", 400, 1200)]
    hr.CreateWithholdingSetting(
        pb.CreateWithholdingSettingRequest(
            parent="towns/chengdong",
            withholding_setting=pb.WithholdingSetting(effective_from=_d(2099, 7, 1), ratio_bp=1500),
        ),
        metadata=CITY,
    )
    worker = _worker(hr, _d(2098, 1, 1))
    hr.CreateContract(
        pb.CreateContractRequest(parent=worker, contract=_contract(_d(2098, 1, 1))),
        metadata=TOWN_HR,
    )
    ratios = {
        period: hr.ListPayTerms(
            pb.ListPayTermsRequest(parent="towns/chengdong", period=period), metadata=TOWN_HR
        ).pay_terms[0]
        for period in ("2098", "2099H1", "2099H2")
    }
    by_period = {
        p: (t.withholding_ratio_bp, t.employer_rates_bp["housing_fund"]) for p, t in ratios.items()
    }
    assert by_period == {"2098": (1000, 800), "2099H1": (1200, 1200), "2099H2": (1500, 1200)}


def test_h3_h4_a_round_is_ranked_stored_and_an_offer_accepted(stack: Stack) -> None:
    hr = stack.hr
    applicants = [
        pb.Applicant(applicant_id="A01", display_name="张伟", education=pb.EDUCATION_COLLEGE,
                     former_welfare_post=True, certificate_level=pb.CERTIFICATE_LEVEL_JUNIOR,
                     straight_to_interview=True, interview_score=8000),
        pb.Applicant(applicant_id="A02", display_name="刘洋", education=pb.EDUCATION_BACHELOR,
                     graduation_date=_d(2021, 6, 15), household_town="towns/chengdong",
                     written_score=8150, interview_score=7725),
        pb.Applicant(applicant_id="A03", display_name="赵敏", education=pb.EDUCATION_POSTGRADUATE,
                     graduation_date=_d(2025, 6, 30), household_town="towns/xicheng",
                     written_score=9500, interview_score=9200),
    ]  # fmt: skip
    made = hr.CreateRecruitmentRound(
        pb.CreateRecruitmentRoundRequest(
            parent="towns/chengdong",
            recruitment_round_id="r2026",
            recruitment_round=pb.RecruitmentRound(
                round_date=_d(2026, 6, 15), posts=2, applicants=applicants
            ),
        ),
        metadata=TOWN_HR,
    )
    ranking = [(r.applicant_id, r.tier, r.combined_score, r.offered) for r in made.ranking]
    assert ranking == [
        ("A01", pb.RECRUITMENT_TIER_WELFARE_POST, 8000, True),
        ("A02", pb.RECRUITMENT_TIER_LOCAL_GRADUATE, 7895, True),
        ("A03", pb.RECRUITMENT_TIER_OPEN, 9320, False),
    ]
    worker = hr.AcceptOffer(
        pb.AcceptOfferRequest(
            name=made.name, applicant_id="A02", start_date=_d(2026, 7, 1),
            monthly_base=types_pb2.Money(fen=420000), probation_months=6,
        ),
        metadata=TOWN_HR,
    )  # fmt: skip
    again = hr.GetRecruitmentRound(pb.GetRecruitmentRoundRequest(name=made.name), metadata=TOWN_HR)
    assert [r.worker for r in again.ranking] == ["", worker.name, ""]
    (contract,) = hr.ListContracts(
        pb.ListContractsRequest(parent=worker.name), metadata=TOWN_HR
    ).contracts
    assert (contract.start_date, contract.end_date, contract.probation_months) == (
        _d(2026, 7, 1), _d(2029, 6, 30), 6
    )  # fmt: skip
    bad = pb.Applicant(
        applicant_id="B01",
        display_name="钱多",
        education=pb.EDUCATION_BACHELOR,
        household_town="towns/chengdong",
        written_score=8000,
        interview_score=8000,
    )
    with pytest.raises(grpc.RpcError) as info:
        hr.CreateRecruitmentRound(
            pb.CreateRecruitmentRoundRequest(
                parent="towns/chengdong",
                recruitment_round_id="r2027",
                recruitment_round=pb.RecruitmentRound(
                    round_date=_d(2027, 6, 15), posts=1, applicants=[*applicants, bad]
                ),
            ),
            metadata=TOWN_HR,
        )
    assert _refusal(info) == (grpc.StatusCode.INVALID_ARGUMENT, "H3")
    with pytest.raises(grpc.RpcError) as info:
        hr.GetRecruitmentRound(
            pb.GetRecruitmentRoundRequest(name="towns/chengdong/recruitmentRounds/r2027"),
            metadata=TOWN_HR,
        )
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_h5_two_chiefs_recorded_at_the_same_moment_leave_one(stack: Stack) -> None:
    def chief(_: int) -> str:
        try:
            return _worker(stack.hr, _d(2026, 1, 1), pb.WORKER_ROLE_STATION_CHIEF)
        except grpc.RpcError as exc:
            return str(exc.code())

    with futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(chief, range(4)))
    made = [a for a in answers if a.startswith("workers/")]
    assert len(made) == 1, answers
    assert [a for a in answers if a not in made] == ["StatusCode.FAILED_PRECONDITION"] * 3
    listed = stack.hr.ListWorkers(pb.ListWorkersRequest(town="towns/chengdong"), metadata=CITY)
    assert [w.name for w in listed.workers] == made


def test_h6_four_overlapping_contracts_recorded_at_once_leave_one(stack: Stack) -> None:
    worker = _worker(stack.hr, _d(2026, 1, 1))

    def contract(_: int) -> str:
        try:
            return str(
                stack.hr.CreateContract(
                    pb.CreateContractRequest(
                        parent=worker, contract=_contract(_d(2026, 1, 1), _d(2028, 12, 31))
                    ),
                    metadata=TOWN_HR,
                ).name
            )
        except grpc.RpcError as exc:
            return str(exc.code())

    with futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(contract, range(4)))
    made = [a for a in answers if a.startswith("workers/")]
    assert len(made) == 1, answers
    assert [a for a in answers if a not in made] == ["StatusCode.FAILED_PRECONDITION"] * 3
    listed = stack.hr.ListContracts(pb.ListContractsRequest(parent=worker), metadata=TOWN_HR)
    assert [c.name for c in listed.contracts] == made
