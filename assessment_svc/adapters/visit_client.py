"""What the assessment asks the visit service: the facts of a town's workers week by week
(ListWorkerWeekFacts, rule A2). The port, and its gRPC adapter; the fake is in the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import grpc
from sgz.visit.v1 import visit_pb2, visit_pb2_grpc

from sgz_runtime import status
from sgz_runtime.proto_values import date_from_pb, period_to_pb


@dataclass(frozen=True)
class WeekFact:
    """One worker's ISO week: persons due (assigned and dispersed, rule V1) and covered."""

    worker: str
    week_start: date
    due: int
    covered: int


@dataclass(frozen=True)
class EscalationFact:
    """One escalation opened by the worker's visit that week. urgency, contact and action use
    the numbers of sgz.visit.v1.Urgency and DeadlineOutcome (domain.metrics mirrors them)."""

    worker: str
    week_start: date
    urgency: int
    contact: int
    action: int


@dataclass(frozen=True)
class TownFacts:
    weeks: list[WeekFact]
    escalations: list[EscalationFact]


class VisitFacts(Protocol):
    def town_facts(self, town: str, first: date, last: date) -> TownFacts:
        """Every worker's facts for every ISO week touching first..last, all pages;
        PermissionDenied out of scope, Unavailable when the visit service cannot be asked."""
        ...


class GrpcVisitFacts:
    def __init__(self, channel: grpc.Channel):
        self._stub = visit_pb2_grpc.VisitServiceStub(channel)

    def town_facts(self, town: str, first: date, last: date) -> TownFacts:
        weeks: list[WeekFact] = []
        escalations: list[EscalationFact] = []
        token = ""
        while True:
            request = visit_pb2.ListWorkerWeekFactsRequest(
                parent=town, period=period_to_pb(first, last), page_size=1000, page_token=token
            )
            try:
                page = self._stub.ListWorkerWeekFacts(request)
            except grpc.RpcError as exc:
                raise status.from_rpc_error(exc) from None
            for worker in page.worker_facts:
                for week in worker.weeks:
                    monday = date_from_pb(week.week_start, "week_start")
                    if monday is None:
                        continue
                    weeks.append(
                        WeekFact(worker.worker, monday, week.persons_due, week.persons_covered)
                    )
                    escalations.extend(
                        EscalationFact(
                            worker.worker,
                            monday,
                            int(e.urgency),
                            int(e.contact_outcome),
                            int(e.action_outcome),
                        )
                        for e in week.escalations
                    )
            token = page.next_page_token
            if not token:
                return TownFacts(weeks, escalations)
