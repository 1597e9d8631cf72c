"""What finance asks the roster: the care months of towns (SummarizeCareMonths, rule F2), the
person-months by care level, never person rows. The port and its gRPC adapter; the fake lives
in tests/unit/finance_fakes.py."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import grpc
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

from finance_svc.domain.allocation import CareMonths
from finance_svc.domain.standards import CareLevel
from sgz_runtime import status
from sgz_runtime.periods import Period
from sgz_runtime.proto_values import date_from_pb, date_to_pb, period_to_pb


class RosterClient(Protocol):
    def care_months(self, parent: str, period: Period) -> list[CareMonths]:
        """The care months of `towns/{town}`, or of every town (`towns/-`), over the period,
        all pages; NotFound for an unknown town, Unavailable when the roster cannot be asked."""
        ...

    def unassessed_persons(self, town: str, period: Period) -> list[str]:
        """The persons of the town dispersed without a care level on the first day of a
        month of the period, `persons/{person}`, sorted (rule F1 lists them)."""
        ...


_LEVELS = {
    roster_pb2.CARE_LEVEL_SELF_CARE: CareLevel.SELF_CARE,
    roster_pb2.CARE_LEVEL_PARTIAL: CareLevel.PARTIAL,
    roster_pb2.CARE_LEVEL_FULL_LOSS: CareLevel.FULL_LOSS,
}


class GrpcRosterClient:
    def __init__(self, channel: grpc.Channel):
        self._stub = roster_pb2_grpc.RosterServiceStub(channel)

    def care_months(self, parent: str, period: Period) -> list[CareMonths]:
        found: list[CareMonths] = []
        token = ""
        while True:
            request = roster_pb2.SummarizeCareMonthsRequest(
                parent=parent,
                period=period_to_pb(period.first, period.last),
                # A page of towns is read whole by the roster: 100 towns (about 12,000 persons
                # in a province) keep each call well inside the default 10 s deadline.
                page_size=100,
                page_token=token,
            )
            try:
                page = self._stub.SummarizeCareMonths(request)
            except grpc.RpcError as exc:
                raise status.from_rpc_error(exc) from None
            for row in page.care_months:
                month = date_from_pb(row.month, "care_months.month")
                if month is None:
                    continue
                found.append(
                    CareMonths(row.town, month, _LEVELS.get(row.care_level), row.person_months)
                )
            token = page.next_page_token
            if not token:
                return found

    def unassessed_persons(self, town: str, period: Period) -> list[str]:
        found: set[str] = set()
        for year, month in period.months():
            token = ""
            while True:
                request = roster_pb2.ListPersonsRequest(
                    parent=town,
                    status=roster_pb2.PERSON_STATUS_DISPERSED,
                    as_of_date=date_to_pb(max(dt.date(year, month, 1), period.first)),
                    page_size=1000,
                    page_token=token,
                )
                try:
                    page = self._stub.ListPersons(request)
                except grpc.RpcError as exc:
                    raise status.from_rpc_error(exc) from None
                found.update(
                    p.name
                    for p in page.persons
                    if p.care_level == roster_pb2.CARE_LEVEL_UNSPECIFIED
                )
                token = page.next_page_token
                if not token:
                    break
        return sorted(found)
