"""The FinanceService servicer: proto in, use case, proto out. Nothing else lives here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import grpc
from sgz.finance.v1 import finance_pb2 as pb
from sgz.finance.v1 import finance_pb2_grpc

from finance_svc.adapters.roster_client import RosterClient
from finance_svc.domain.categories import ExpenseCategory
from finance_svc.domain.periods import disbursement_period
from finance_svc.entrypoints import convert
from finance_svc.entrypoints.convert import money
from finance_svc.service_layer import allocations, closing, commands, postings, settings
from finance_svc.service_layer.common import Clock, town_name
from finance_svc.service_layer.unit_of_work import FinanceUnitOfWork
from sgz_runtime.identity import current_caller
from sgz_runtime.money import Fen
from sgz_runtime.proto_values import timestamp_to_pb


class FinanceServicer(finance_pb2_grpc.FinanceServiceServicer):
    def __init__(self, uow: Callable[[], FinanceUnitOfWork], roster: RosterClient, clock: Clock):
        self._uow = uow
        self._roster = roster
        self._clock = clock

    # -- settings (rules F2, F3) -------------------------------------------------------------

    def CreateMinimumWage(
        self, request: pb.CreateMinimumWageRequest, context: grpc.ServicerContext
    ) -> pb.MinimumWage:
        cmd = convert.wage_from_pb(request.minimum_wage)
        made = settings.create_minimum_wage(
            cmd, self._uow(), caller=current_caller(), clock=self._clock
        )
        return convert.wage_to_pb(made)

    def ListMinimumWages(
        self, request: pb.ListMinimumWagesRequest, context: grpc.ServicerContext
    ) -> pb.ListMinimumWagesResponse:
        found = settings.list_minimum_wages(self._uow())
        return pb.ListMinimumWagesResponse(minimum_wages=[convert.wage_to_pb(w) for w in found])

    def CreateCareStandard(
        self, request: pb.CreateCareStandardRequest, context: grpc.ServicerContext
    ) -> pb.CareStandard:
        cmd = convert.standard_from_pb(request.care_standard)
        made = settings.create_care_standard(
            cmd, self._uow(), caller=current_caller(), clock=self._clock
        )
        return convert.standard_to_pb(made)

    def ListCareStandards(
        self, request: pb.ListCareStandardsRequest, context: grpc.ServicerContext
    ) -> pb.ListCareStandardsResponse:
        found = settings.list_care_standards(self._uow())
        return pb.ListCareStandardsResponse(
            care_standards=[convert.standard_to_pb(s) for s in found]
        )

    def CreateExpenseCategories(
        self, request: pb.CreateExpenseCategoriesRequest, context: grpc.ServicerContext
    ) -> pb.ExpenseCategories:
        cmd = convert.categories_from_pb(request.expense_categories)
        made = settings.create_expense_categories(
            cmd, self._uow(), caller=current_caller(), clock=self._clock
        )
        return convert.categories_to_pb(made)

    # -- periods and allocations (rules F1, F2) ----------------------------------------------

    def GetPeriod(
        self, request: pb.GetPeriodRequest, context: grpc.ServicerContext
    ) -> pb.DisbursementPeriod:
        town, period = convert.period_name(request.name)
        view = closing.get_period(self._uow(), caller=current_caller(), town=town, period=period)
        return convert.period_to_pb(view)

    def ListPeriods(
        self, request: pb.ListPeriodsRequest, context: grpc.ServicerContext
    ) -> pb.ListPeriodsResponse:
        towns = None if request.parent == "towns/-" else [town_name(request.parent, "parent")]
        period = disbursement_period(request.period).name if request.period else None
        views, token = closing.list_periods(
            self._uow(),
            caller=current_caller(),
            towns=towns,
            period=period,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListPeriodsResponse(
            periods=[convert.period_to_pb(v) for v in views], next_page_token=token
        )

    def ComputeAllocations(
        self, request: pb.ComputeAllocationsRequest, context: grpc.ServicerContext
    ) -> pb.ComputeAllocationsResponse:
        town, period = convert.period_name(request.parent, "parent")
        cmd = commands.ComputeAllocations(
            parent=town,
            period=period,
            reason=request.reason,
            unassessed_override_reason=request.unassessed_override_reason,
        )
        made = allocations.compute_allocations(
            cmd, self._uow(), self._roster, caller=current_caller(), clock=self._clock
        )
        return pb.ComputeAllocationsResponse(
            allocations=[convert.allocation_to_pb(a) for a in made]
        )

    def ApproveAllocation(
        self, request: pb.ApproveAllocationRequest, context: grpc.ServicerContext
    ) -> pb.Allocation:
        cmd = convert.allocation_name(request.name)
        made = allocations.approve_allocation(
            cmd, self._uow(), caller=current_caller(), clock=self._clock
        )
        return convert.allocation_to_pb(made)

    def ListAllocations(
        self, request: pb.ListAllocationsRequest, context: grpc.ServicerContext
    ) -> pb.ListAllocationsResponse:
        town, period = convert.period_name(request.parent, "parent")
        found = allocations.list_allocations(
            self._uow(), caller=current_caller(), town=town, period=period
        )
        return pb.ListAllocationsResponse(allocations=[convert.allocation_to_pb(a) for a in found])

    # -- money moves (rules F1, F3, F4, F5) --------------------------------------------------

    def CreateDisbursement(
        self, request: pb.CreateDisbursementRequest, context: grpc.ServicerContext
    ) -> pb.Posting:
        town, period = convert.period_name(request.parent, "parent")
        cmd = commands.Disburse(
            town=town,
            period=period,
            leg=convert.leg(request.leg),
            amount=convert.fen(request.amount),
            request_id=request.request_id,
            evidence=request.evidence,
        )
        made = postings.disburse(cmd, self._uow(), caller=current_caller(), clock=self._clock)
        return convert.posting_to_pb(made)

    def CreateExpense(
        self, request: pb.CreateExpenseRequest, context: grpc.ServicerContext
    ) -> pb.Expense:
        town, period = convert.period_name(request.parent, "parent")
        expense = request.expense
        cmd = commands.RecordExpense(
            town=town,
            period=period,
            category=convert.category(expense.category, "expense.category"),
            payee=expense.payee,
            amount=convert.fen(expense.amount),
            evidence=expense.evidence,
            request_id=request.request_id,
        )
        made = postings.record_expense(cmd, self._uow(), caller=current_caller(), clock=self._clock)
        return convert.expense_to_pb(made)

    def CreateReturn(
        self, request: pb.CreateReturnRequest, context: grpc.ServicerContext
    ) -> pb.Posting:
        town, period = convert.period_name(request.parent, "parent")
        cmd = commands.ReturnUnspent(
            town=town,
            period=period,
            account=convert.account(request.account, "account"),
            amount=convert.fen(request.amount),
            request_id=request.request_id,
            reason=request.reason,
        )
        made = postings.return_unspent(cmd, self._uow(), caller=current_caller(), clock=self._clock)
        return convert.posting_to_pb(made)

    def CreateAdjustment(
        self, request: pb.CreateAdjustmentRequest, context: grpc.ServicerContext
    ) -> pb.Posting:
        town, period = convert.period_name(request.parent, "parent")
        cmd = commands.Adjust(
            town=town,
            period=period,
            adjusts=request.adjusts,
            lines=tuple(
                convert.line_from_pb(x, f"lines[{i}]") for i, x in enumerate(request.lines)
            ),
            reason=request.reason,
            request_id=request.request_id,
        )
        made = postings.adjust(cmd, self._uow(), caller=current_caller(), clock=self._clock)
        return convert.posting_to_pb(made)

    def ListPostings(
        self, request: pb.ListPostingsRequest, context: grpc.ServicerContext
    ) -> pb.ListPostingsResponse:
        town, period = convert.period_name(request.parent, "parent")
        found = postings.list_postings(
            self._uow(), caller=current_caller(), town=town, period=period
        )
        return pb.ListPostingsResponse(postings=[convert.posting_to_pb(p) for p in found])

    # -- close, statement, disclosure, verification (rules F4, F5) ---------------------------

    def ClosePeriod(
        self, request: pb.ClosePeriodRequest, context: grpc.ServicerContext
    ) -> pb.DisbursementPeriod:
        town, period = convert.period_name(request.name)
        caller = current_caller()
        closing.close_period(
            commands.ClosePeriod(town=town, period=period),
            self._uow(),
            caller=caller,
            clock=self._clock,
        )
        view = closing.get_period(self._uow(), caller=caller, town=town, period=period)
        return convert.period_to_pb(view)

    def GetStatement(
        self, request: pb.GetStatementRequest, context: grpc.ServicerContext
    ) -> pb.Statement:
        town, period = convert.period_name(request.name, suffix="statement")
        found = closing.get_statement(
            self._uow(), caller=current_caller(), town=town, period=period
        )
        return _statement_to_pb(request.name, found)

    def GetDisclosure(
        self, request: pb.GetDisclosureRequest, context: grpc.ServicerContext
    ) -> pb.Disclosure:
        town, period = convert.period_name(request.name, suffix="disclosure")
        found = closing.get_disclosure(
            self._uow(), caller=current_caller(), town=town, period=period
        )
        body = found.statement.body
        basis = []
        if found.allocation is not None:
            basis = list(convert.allocation_to_pb(found.allocation).lines)
        return pb.Disclosure(
            name=request.name,
            allocated=money(Fen(body["allocated"])),
            basis=basis,
            received=money(Fen(body["received"])),
            spent=_spent(body),
            returned=money(Fen(body["returned"])),
            statement_hash=found.statement.digest,
        )

    def VerifyPostings(
        self, request: pb.VerifyPostingsRequest, context: grpc.ServicerContext
    ) -> pb.PostingsVerification:
        town = town_name(request.town, "town")
        found = closing.verify_postings(self._uow(), caller=current_caller(), town=town)
        return pb.PostingsVerification(
            town=found.town,
            holds=found.holds,
            postings_checked=found.checked,
            head_hash=found.head_hash,
            first_broken=found.first_broken,
            problem=found.problem,
        )


def _spent(body: dict[str, object]) -> list[pb.CategoryAmount]:
    spent = body["spent"]
    assert isinstance(spent, dict)
    return [
        pb.CategoryAmount(
            category=convert.CATEGORIES[ExpenseCategory(key)], amount=money(Fen(int(value)))
        )
        for key, value in spent.items()
    ]


def _statement_to_pb(name: str, found: closing.StatementView) -> pb.Statement:
    body = found.body
    return pb.Statement(
        name=name,
        opening=money(Fen(body["opening"])),
        allocated=money(Fen(body["allocated"])),
        received=money(Fen(body["received"])),
        spent=_spent(body),
        returned=money(Fen(body["returned"])),
        adjusted=money(Fen(body["adjusted"])),
        closing=money(Fen(body["closing"])),
        posting_count=body["posting_count"],
        chain_head_hash=body["chain_head_hash"],
        statement_hash=found.digest,
        close_time=timestamp_to_pb(datetime.fromisoformat(body["closed_at"])),
        closed_by=body["closed_by"],
        canonical_json=found.text,
    )
