"""The HrService servicer: proto in, use case, proto out. Nothing else lives here."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from sgz.hr.v1 import hr_pb2 as pb
from sgz.hr.v1 import hr_pb2_grpc

from hr_svc.adapters.assessment_client import AssessmentClient
from hr_svc.adapters.roster_client import RosterClient
from hr_svc.entrypoints import convert
from hr_svc.service_layer import (
    commands,
    contracts,
    recruitment,
    renewals,
    reports,
    settings,
    staffing,
    workers,
)
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime.identity import current_caller
from sgz_runtime.pii.vault import IdVault


class HrServicer(hr_pb2_grpc.HrServiceServicer):
    def __init__(
        self,
        uow: Callable[[], HrUnitOfWork],
        roster: RosterClient,
        assessment: AssessmentClient,
        vault: IdVault,
    ):
        self._uow = uow
        self._roster = roster
        self._assessment = assessment
        self._vault = vault

    def CreateWorker(
        self, request: pb.CreateWorkerRequest, context: grpc.ServicerContext
    ) -> pb.Worker:
        created = workers.create_worker(
            convert.create_worker(request),
            self._uow(),
            self._roster,
            self._vault,
            caller=current_caller(),
        )
        return convert.worker_to_pb(created)

    def GetWorker(self, request: pb.GetWorkerRequest, context: grpc.ServicerContext) -> pb.Worker:
        return convert.worker_to_pb(workers.get_worker(self._uow(), current_caller(), request.name))

    def ListWorkers(
        self, request: pb.ListWorkersRequest, context: grpc.ServicerContext
    ) -> pb.ListWorkersResponse:
        found, token = workers.list_workers(
            self._uow(),
            current_caller(),
            request.town,
            request.page_size,
            request.page_token,
            convert.employed_on(request),
        )
        return pb.ListWorkersResponse(
            workers=[convert.worker_to_pb(w) for w in found], next_page_token=token
        )

    def UpdateWorker(
        self, request: pb.UpdateWorkerRequest, context: grpc.ServicerContext
    ) -> pb.Worker:
        updated = workers.update_worker(
            convert.update_worker(request), self._uow(), self._vault, caller=current_caller()
        )
        return convert.worker_to_pb(updated)

    def EndEmployment(
        self, request: pb.EndEmploymentRequest, context: grpc.ServicerContext
    ) -> pb.Worker:
        ended = workers.end_employment(
            convert.end_employment(request), self._uow(), caller=current_caller()
        )
        return convert.worker_to_pb(ended)

    def GetTownStaffing(
        self, request: pb.GetTownStaffingRequest, context: grpc.ServicerContext
    ) -> pb.TownStaffing:
        found, basis = staffing.get_town_staffing(
            convert.get_town_staffing(request), self._uow(), self._roster, caller=current_caller()
        )
        return convert.staffing_to_pb(found, basis)

    def ListTownStaffing(
        self, request: pb.ListTownStaffingRequest, context: grpc.ServicerContext
    ) -> pb.ListTownStaffingResponse:
        found, token = staffing.list_town_staffing(
            convert.list_town_staffing(request), self._uow(), self._roster, caller=current_caller()
        )
        return pb.ListTownStaffingResponse(
            town_staffing=[convert.staffing_to_pb(s, b) for s, b in found],
            next_page_token=token,
        )

    def CreateContract(
        self, request: pb.CreateContractRequest, context: grpc.ServicerContext
    ) -> pb.Contract:
        made = contracts.create_contract(
            convert.create_contract(request), self._uow(), caller=current_caller()
        )
        return convert.contract_to_pb(made)

    def ListContracts(
        self, request: pb.ListContractsRequest, context: grpc.ServicerContext
    ) -> pb.ListContractsResponse:
        found = contracts.list_contracts(self._uow(), current_caller(), request.parent)
        return pb.ListContractsResponse(contracts=[convert.contract_to_pb(c) for c in found])

    def CreateCertificate(
        self, request: pb.CreateCertificateRequest, context: grpc.ServicerContext
    ) -> pb.Certificate:
        made = contracts.create_certificate(
            convert.create_certificate(request), self._uow(), caller=current_caller()
        )
        return convert.certificate_to_pb(made)

    def CreateTrainingRecord(
        self, request: pb.CreateTrainingRecordRequest, context: grpc.ServicerContext
    ) -> pb.TrainingRecord:
        made = contracts.create_training_record(
            convert.create_training_record(request), self._uow(), caller=current_caller()
        )
        return convert.training_record_to_pb(made)

    def ListTrainingHours(
        self, request: pb.ListTrainingHoursRequest, context: grpc.ServicerContext
    ) -> pb.ListTrainingHoursResponse:
        rows = reports.list_training_hours(
            convert.list_training_hours(request), self._uow(), caller=current_caller()
        )
        return pb.ListTrainingHoursResponse(
            training_hours=[convert.training_hours_to_pb(r) for r in rows]
        )

    def GetRenewalReport(
        self, request: pb.GetRenewalReportRequest, context: grpc.ServicerContext
    ) -> pb.RenewalReport:
        report = renewals.get_renewal_report(
            convert.get_renewal_report(request),
            self._uow(),
            self._assessment,
            caller=current_caller(),
        )
        return convert.renewal_report_to_pb(report)

    def DecideRenewal(
        self, request: pb.DecideRenewalRequest, context: grpc.ServicerContext
    ) -> pb.RenewalDecision:
        decision = renewals.decide_renewal(
            convert.decide_renewal(request),
            self._uow(),
            self._assessment,
            caller=current_caller(),
        )
        return convert.decision_to_pb(decision)

    def ListPayTerms(
        self, request: pb.ListPayTermsRequest, context: grpc.ServicerContext
    ) -> pb.ListPayTermsResponse:
        terms = reports.list_pay_terms(
            convert.list_pay_terms(request), self._uow(), caller=current_caller()
        )
        return pb.ListPayTermsResponse(pay_terms=[convert.pay_terms_to_pb(t) for t in terms])

    def CreateRecruitmentRound(
        self, request: pb.CreateRecruitmentRoundRequest, context: grpc.ServicerContext
    ) -> pb.RecruitmentRound:
        view = recruitment.create_round(
            convert.create_round(request), self._uow(), self._roster, caller=current_caller()
        )
        return convert.round_to_pb(view)

    def GetRecruitmentRound(
        self, request: pb.GetRecruitmentRoundRequest, context: grpc.ServicerContext
    ) -> pb.RecruitmentRound:
        view = recruitment.get_round(self._uow(), current_caller(), request.name)
        return convert.round_to_pb(view)

    def AcceptOffer(
        self, request: pb.AcceptOfferRequest, context: grpc.ServicerContext
    ) -> pb.Worker:
        worker = recruitment.accept_offer(
            convert.accept_offer(request), self._uow(), caller=current_caller()
        )
        return convert.worker_to_pb(worker)

    def CreateHrPolicy(
        self, request: pb.CreateHrPolicyRequest, context: grpc.ServicerContext
    ) -> pb.HrPolicy:
        made = settings.create_policy(
            commands.CreateHrPolicy(policy=convert.policy_from_pb(request)),
            self._uow(),
            caller=current_caller(),
        )
        return convert.policy_to_pb(made)

    def ListHrPolicies(
        self, request: pb.ListHrPoliciesRequest, context: grpc.ServicerContext
    ) -> pb.ListHrPoliciesResponse:
        found = settings.list_policies(self._uow())
        return pb.ListHrPoliciesResponse(hr_policies=[convert.policy_to_pb(p) for p in found])

    def CreateWithholdingSetting(
        self, request: pb.CreateWithholdingSettingRequest, context: grpc.ServicerContext
    ) -> pb.WithholdingSetting:
        made = settings.create_withholding(
            convert.withholding_from_pb(request), self._uow(), caller=current_caller()
        )
        return convert.withholding_to_pb(made)
