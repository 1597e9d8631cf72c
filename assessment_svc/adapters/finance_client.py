"""What the assessment tells finance: an approved run's payments, as performance-pay
expenses (CreateExpense, rules F3, A4), idempotent on a request id derived from the run and
the worker. The port and its gRPC adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import grpc
from sgz.common.v1 import types_pb2
from sgz.finance.v1 import finance_pb2, finance_pb2_grpc

from sgz_runtime import status


@dataclass(frozen=True)
class PerformancePay:
    """One worker's pay from a run; `period` is finance's: `towns/{t}/periods/2026H1`."""

    period: str
    payee: str
    #: Fen; positive.
    amount: int
    #: The pay run's name.
    evidence: str
    request_id: str


class ExpenseSink(Protocol):
    def create_expense(self, pay: PerformancePay) -> str:
        """Records the expense (a retry with the same request id returns the same one) and
        returns its name; Unavailable when finance cannot be asked."""
        ...


class GrpcExpenseSink:
    def __init__(self, channel: grpc.Channel):
        self._stub = finance_pb2_grpc.FinanceServiceStub(channel)

    def create_expense(self, pay: PerformancePay) -> str:
        request = finance_pb2.CreateExpenseRequest(
            parent=pay.period,
            expense=finance_pb2.Expense(
                category=finance_pb2.EXPENSE_CATEGORY_PERFORMANCE_PAY,
                payee=pay.payee,
                amount=types_pb2.Money(fen=pay.amount),
                evidence=pay.evidence,
            ),
            request_id=pay.request_id,
        )
        try:
            return str(self._stub.CreateExpense(request).name)
        except grpc.RpcError as exc:
            raise status.from_rpc_error(exc) from None
