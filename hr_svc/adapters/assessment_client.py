"""What HR asks the assessment service: each worker's yearly result (rule A5), read by H7.
The port and its gRPC adapter; the fake is in tests/unit/hr_fakes.py."""

from __future__ import annotations

from typing import Protocol

import grpc

from hr_svc.domain.renewal import YearlyResult
from sgz_runtime import status

#: BatchGetYearlyResults takes at most this many workers a call.
_BATCH = 1000


class AssessmentClient(Protocol):
    def yearly_results(self, workers: list[str], year: int) -> dict[str, YearlyResult]:
        """The decided results of the year per `workers/{w}`; a worker without one is absent.
        Unavailable when the service cannot be asked."""
        ...


class GrpcAssessmentClient:
    """Calls `sgz.assessment.v1.AssessmentService/BatchGetYearlyResults` (the agreed contract).
    A service that does not implement it yet (UNIMPLEMENTED), or will not show this caller the
    results (PERMISSION_DENIED), gives no result: the report says "not available", never guesses."""

    def __init__(self, channel: grpc.Channel):
        from sgz.assessment.v1 import assessment_pb2_grpc

        self._stub = assessment_pb2_grpc.AssessmentServiceStub(channel)

    def yearly_results(self, workers: list[str], year: int) -> dict[str, YearlyResult]:
        from sgz.assessment.v1 import assessment_pb2

        out: dict[str, YearlyResult] = {}
        for i in range(0, len(workers), _BATCH):
            request = assessment_pb2.BatchGetYearlyResultsRequest(
                workers=workers[i : i + _BATCH], year=year
            )
            try:
                response = self._stub.BatchGetYearlyResults(request)
            except grpc.RpcError as exc:
                if exc.code() in (
                    grpc.StatusCode.UNIMPLEMENTED,
                    grpc.StatusCode.PERMISSION_DENIED,
                ):
                    return {}
                raise status.from_rpc_error(exc) from None
            for r in response.yearly_results:
                out[r.worker] = YearlyResult(r.worker, r.year, r.passed, r.decided_by)
        return out
