"""What the assessment asks HR: each worker's pay terms in a period (ListPayTerms, rule A1):
monthly base, withholding ratio and months employed. The port and its gRPC adapter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import grpc
from sgz.hr.v1 import hr_pb2, hr_pb2_grpc

from sgz_runtime import status
from sgz_runtime.periods import Period
from sgz_runtime.proto_values import date_from_pb


@dataclass(frozen=True)
class PayTerms:
    worker: str
    display_name: str
    #: Fen.
    monthly_base: int
    withholding_ratio_bp: int
    months_employed: int
    employed_from: date | None = None
    employed_to: date | None = None


class PayTermsSource(Protocol):
    def pay_terms(self, town: str, period: Period) -> list[PayTerms]:
        """Every worker of the town employed at least one day of the period; Unavailable
        when HR cannot be asked."""
        ...


class GrpcPayTerms:
    def __init__(self, channel: grpc.Channel):
        self._stub = hr_pb2_grpc.HrServiceStub(channel)

    def pay_terms(self, town: str, period: Period) -> list[PayTerms]:
        request = hr_pb2.ListPayTermsRequest(parent=town, period=period.name)
        try:
            response = self._stub.ListPayTerms(request)
        except grpc.RpcError as exc:
            raise status.from_rpc_error(exc) from None
        return [
            PayTerms(
                worker=t.worker,
                display_name=t.display_name,
                monthly_base=t.monthly_base.fen,
                withholding_ratio_bp=t.withholding_ratio_bp,
                months_employed=t.months_employed,
                employed_from=date_from_pb(t.employed_from, "employed_from"),
                employed_to=date_from_pb(t.employed_to, "employed_to"),
            )
            for t in response.pay_terms
        ]
