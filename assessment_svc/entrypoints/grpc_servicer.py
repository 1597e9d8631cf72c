"""The AssessmentService servicer: proto in, use case, proto out. Nothing else lives here."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from sgz.assessment.v1 import assessment_pb2 as pb
from sgz.assessment.v1 import assessment_pb2_grpc

from assessment_svc.adapters.finance_client import ExpenseSink
from assessment_svc.adapters.hr_client import PayTermsSource
from assessment_svc.adapters.visit_client import VisitFacts
from assessment_svc.entrypoints import convert
from assessment_svc.service_layer import commands, pay_runs, policies, yearly
from assessment_svc.service_layer.pay_runs import Clock, town_of
from assessment_svc.service_layer.unit_of_work import AssessmentUnitOfWork
from sgz_runtime import paging
from sgz_runtime.identity import current_caller


class AssessmentServicer(assessment_pb2_grpc.AssessmentServiceServicer):
    def __init__(
        self,
        uow: Callable[[], AssessmentUnitOfWork],
        visits: VisitFacts,
        hr: PayTermsSource,
        finance: ExpenseSink,
        clock: Clock,
    ):
        self._uow = uow
        self._visits = visits
        self._hr = hr
        self._finance = finance
        self._clock = clock

    # -- pay policy ---------------------------------------------------------------------------

    def CreatePayPolicy(
        self, request: pb.CreatePayPolicyRequest, context: grpc.ServicerContext
    ) -> pb.PayPolicy:
        cmd = convert.policy_from_pb(request, town_of(request.parent))
        made = policies.create_pay_policy(
            cmd, self._uow(), caller=current_caller(), clock=self._clock
        )
        out = convert.policy_to_pb(made)
        out.created_by = current_caller().subject
        return out

    def ListPayPolicies(
        self, request: pb.ListPayPoliciesRequest, context: grpc.ServicerContext
    ) -> pb.ListPayPoliciesResponse:
        found = policies.list_pay_policies(
            town_of(request.parent), self._uow(), caller=current_caller()
        )
        return pb.ListPayPoliciesResponse(policies=[convert.policy_to_pb(p) for p in found])

    # -- the chief's score (A3) ---------------------------------------------------------------

    def SetManualScore(
        self, request: pb.SetManualScoreRequest, context: grpc.ServicerContext
    ) -> pb.ManualScore:
        m = request.manual_score
        cmd = commands.SetManualScore(
            town=town_of(request.parent),
            worker=m.worker,
            period=convert.period_from_text(m.period, "manual_score.period"),
            score=m.score,
            reason=m.reason,
        )
        saved = pay_runs.set_manual_score(
            cmd, self._uow(), caller=current_caller(), clock=self._clock
        )
        return convert.manual_score_to_pb(saved)

    # -- pay runs (A4) ------------------------------------------------------------------------

    def CreatePayRun(
        self, request: pb.CreatePayRunRequest, context: grpc.ServicerContext
    ) -> pb.PayRun:
        cmd = commands.ComputePayRun(
            town=town_of(request.parent),
            period=convert.period_from_text(request.period),
            corrects=request.corrects or None,
        )
        run = pay_runs.compute_pay_run(
            cmd, self._uow(), self._visits, self._hr, caller=current_caller(), clock=self._clock
        )
        return convert.run_to_pb(run)

    def BatchCreatePayRuns(
        self, request: pb.BatchCreatePayRunsRequest, context: grpc.ServicerContext
    ) -> pb.BatchCreatePayRunsResponse:
        if request.parent != "towns/-":
            town_of(request.parent)  # a single town's parent is allowed too
        cmd = commands.ComputePayRuns(
            towns=tuple(request.towns), period=convert.period_from_text(request.period)
        )
        runs, refused = pay_runs.compute_pay_runs(
            cmd, self._uow(), self._visits, self._hr, caller=current_caller(), clock=self._clock
        )
        return pb.BatchCreatePayRunsResponse(
            pay_runs=[convert.run_to_pb(r) for r in runs],
            refused=[
                pb.TownRefusal(town=town, rule=error.rule or "", message=error.text.render())
                for town, error in sorted(refused.items())
            ],
        )

    def PreviewPayRun(
        self, request: pb.PreviewPayRunRequest, context: grpc.ServicerContext
    ) -> pb.PayRun:
        cmd = commands.PreviewPayRun(
            town=town_of(request.parent),
            period=convert.period_from_text(request.period),
            weights=convert.weights_from_pb(request.weights, "weights")
            if request.weights
            else None,
            payout_rule=convert.rule_from_pb(request.payout_rule, "payout_rule", required=False),
        )
        run = pay_runs.preview_pay_run(
            cmd, self._uow(), self._visits, self._hr, caller=current_caller(), clock=self._clock
        )
        return convert.run_to_pb(run)

    def GetPayRun(self, request: pb.GetPayRunRequest, context: grpc.ServicerContext) -> pb.PayRun:
        run = pay_runs.get_pay_run(request.name, self._uow(), caller=current_caller())
        return convert.run_to_pb(run)

    def ListPayRuns(
        self, request: pb.ListPayRunsRequest, context: grpc.ServicerContext
    ) -> pb.ListPayRunsResponse:
        town = town_of(request.parent)
        period = convert.period_from_text(request.period).name if request.period else None
        query = {"parent": town, "period": period or ""}
        page = paging.parse(request.page_size, request.page_token, query)
        found = pay_runs.list_pay_runs(
            town, period, page.after, page.size + 1, self._uow(), caller=current_caller()
        )
        more = len(found) > page.size
        found = found[: page.size]
        return pb.ListPayRunsResponse(
            pay_runs=[convert.run_to_pb(r, with_lines=False) for r in found],
            next_page_token=paging.next_token(found[-1].id if more else None, query),
        )

    def ApprovePayRun(
        self, request: pb.ApprovePayRunRequest, context: grpc.ServicerContext
    ) -> pb.PayRun:
        cmd = commands.ApprovePayRun(name=request.name, request_id=request.request_id)
        run = pay_runs.approve_pay_run(
            cmd, self._uow(), self._finance, caller=current_caller(), clock=self._clock
        )
        return convert.run_to_pb(run)

    # -- yearly result (A5) -------------------------------------------------------------------

    def DecideYearlyResult(
        self, request: pb.DecideYearlyResultRequest, context: grpc.ServicerContext
    ) -> pb.YearlyResult:
        cmd = commands.DecideYearlyResult(
            town=town_of(request.parent),
            worker=request.worker,
            year=request.year,
            passed=request.passed,
            reason=request.reason,
        )
        result = yearly.decide_yearly_result(
            cmd, self._uow(), self._visits, self._hr, caller=current_caller(), clock=self._clock
        )
        return convert.yearly_to_pb(result)

    def BatchGetYearlyResults(
        self, request: pb.BatchGetYearlyResultsRequest, context: grpc.ServicerContext
    ) -> pb.BatchGetYearlyResultsResponse:
        cmd = commands.BatchGetYearlyResults(workers=tuple(request.workers), year=request.year)
        found = yearly.batch_get_yearly_results(cmd, self._uow(), caller=current_caller())
        return pb.BatchGetYearlyResultsResponse(
            yearly_results=[convert.yearly_to_pb(r) for r in found]
        )
