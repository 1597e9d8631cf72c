"""What the visit service asks the roster (persons' history; the V8 status change): the port,
its gRPC adapter and a fake for unit tests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

import grpc
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

from sgz_runtime import errors, status
from sgz_runtime.proto_values import date_from_pb, date_to_pb, period_to_pb
from visit_svc.domain.timeline import (
    AssignmentSpan,
    PersonStatus,
    PersonTimeline,
    StatusSpan,
    SubstituteSpan,
)


class RosterClient(Protocol):
    def person_timeline(
        self, person: str, first: date, last: date, *, fresh: bool = False
    ) -> PersonTimeline:
        """The person's history over first..last (both included); NotFound when unknown,
        Unavailable when the roster cannot be asked. `fresh`: asked of the roster now, never
        from a cache (the checks of rule V9)."""
        ...

    def person_timelines(
        self, parent: str, worker: str | None, first: date, last: date
    ) -> list[PersonTimeline]:
        """Every timeline of a town or village (optionally only those a worker holds or
        stands in for on some day), all pages."""
        ...

    def change_person_status(
        self, person: str, new_status: PersonStatus, effective: date, reason: str, request_id: str
    ) -> None:
        """Rule R6/V8: appends a status from effective; a retry with request_id is safe."""
        ...

    def open_reassessment(
        self, person: str, reported: date, description: str, request_id: str
    ) -> None:
        """Rule R4: reports a change in self-care ability, which opens a re-assessment due
        within the roster's working days; a retry with request_id opens nothing more."""
        ...


_STATUS_PB = {
    PersonStatus.DISPERSED: roster_pb2.PERSON_STATUS_DISPERSED,
    PersonStatus.IN_INSTITUTION: roster_pb2.PERSON_STATUS_IN_INSTITUTION,
    PersonStatus.HOSPITALISED: roster_pb2.PERSON_STATUS_HOSPITALISED,
    PersonStatus.DECEASED: roster_pb2.PERSON_STATUS_DECEASED,
    PersonStatus.EXITED: roster_pb2.PERSON_STATUS_EXITED,
}
_STATUS = {v: k for k, v in _STATUS_PB.items()}


def _end(message: object, field: str) -> date | None:
    return date_from_pb(getattr(message, field), "timeline") if message.HasField(field) else None  # type: ignore[attr-defined]


def timeline_from_pb(message: roster_pb2.PersonTimeline) -> PersonTimeline:
    statuses = tuple(
        StatusSpan(start, _end(s, "end_date"), _STATUS[s.status])
        for s in message.statuses
        if s.status in _STATUS and (start := date_from_pb(s.start_date, "timeline")) is not None
    )
    assignments = tuple(
        AssignmentSpan(start, _end(a, "end_date"), a.worker)
        for a in message.assignments
        if (start := date_from_pb(a.start_date, "timeline")) is not None
    )
    substitutes = tuple(
        SubstituteSpan(start, _end(s, "end_date"), s.worker, s.substitute)
        for s in message.substitutes
        if (start := date_from_pb(s.start_date, "timeline")) is not None
    )
    return PersonTimeline(
        person=message.person,
        town=message.town,
        village=message.village,
        display_name=message.display_name,
        statuses=statuses,
        assignments=assignments,
        substitutes=substitutes,
    )


class GrpcRosterClient:
    def __init__(self, channel: grpc.Channel):
        self._stub = roster_pb2_grpc.RosterServiceStub(channel)

    def person_timeline(
        self, person: str, first: date, last: date, *, fresh: bool = False
    ) -> PersonTimeline:
        request = roster_pb2.GetPersonTimelineRequest(name=person, period=period_to_pb(first, last))
        try:
            return timeline_from_pb(self._stub.GetPersonTimeline(request))
        except grpc.RpcError as exc:
            raise status.from_rpc_error(exc) from None

    def person_timelines(
        self, parent: str, worker: str | None, first: date, last: date
    ) -> list[PersonTimeline]:
        found: list[PersonTimeline] = []
        token = ""
        while True:
            request = roster_pb2.ListPersonTimelinesRequest(
                parent=parent,
                worker=worker or "",
                period=period_to_pb(first, last),
                page_size=1000,
                page_token=token,
            )
            try:
                page = self._stub.ListPersonTimelines(request)
            except grpc.RpcError as exc:
                raise status.from_rpc_error(exc) from None
            found += [timeline_from_pb(t) for t in page.timelines]
            token = page.next_page_token
            if not token:
                return found

    def change_person_status(
        self, person: str, new_status: PersonStatus, effective: date, reason: str, request_id: str
    ) -> None:
        request = roster_pb2.ChangePersonStatusRequest(
            name=person,
            status=_STATUS_PB[new_status],
            effective_date=date_to_pb(effective),
            reason=reason,
            request_id=request_id,
        )
        try:
            self._stub.ChangePersonStatus(request)
        except grpc.RpcError as exc:
            raise status.from_rpc_error(exc) from None

    def open_reassessment(
        self, person: str, reported: date, description: str, request_id: str
    ) -> None:
        request = roster_pb2.CreateReassessmentRequest(
            parent=person,
            reassessment=roster_pb2.Reassessment(
                reported_date=date_to_pb(reported), description=description
            ),
            request_id=request_id,
        )
        try:
            self._stub.CreateReassessment(request)
        except grpc.RpcError as exc:
            raise status.from_rpc_error(exc) from None


@dataclass
class StatusChange:
    person: str
    status: PersonStatus
    effective: date
    reason: str
    request_id: str


class FakeRosterClient:
    """Timelines held in memory. `down` makes every call Unavailable; `changes` records the
    status changes applied, once per request id, like the roster's AIP-155 handling."""

    def __init__(self, timelines: list[PersonTimeline] | None = None, *, down: bool = False):
        self.timelines = {t.person: t for t in timelines or []}
        self.down = down
        self.changes: list[StatusChange] = []
        #: Re-assessments opened (rule R4), once per request id.
        self.reassessments: list[ReportedChange] = []
        self.calls = 0

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise errors.Unavailable("the roster service is unreachable")

    def person_timeline(
        self, person: str, first: date, last: date, *, fresh: bool = False
    ) -> PersonTimeline:
        self._check()
        if person not in self.timelines:
            raise errors.NotFound(person)
        return self.timelines[person]

    def person_timelines(
        self, parent: str, worker: str | None, first: date, last: date
    ) -> list[PersonTimeline]:
        self._check()
        found = [t for t in self.timelines.values() if t.town == parent or t.village == parent]
        if worker:
            found = [
                t
                for t in found
                if any(a.worker == worker for a in t.assignments)
                or any(s.substitute == worker for s in t.substitutes)
            ]
        return sorted(found, key=lambda t: t.person)

    def change_person_status(
        self, person: str, new_status: PersonStatus, effective: date, reason: str, request_id: str
    ) -> None:
        self._check()
        change = StatusChange(person, new_status, effective, reason, request_id)
        for done in self.changes:
            if done.request_id == request_id:
                if done != change:
                    raise errors.InvalidArgument.field(
                        "request_id", "was used for a different change"
                    )
                return
        timeline = self.timelines[person]
        current = timeline.statuses[-1]
        if current.start >= effective:
            raise errors.FailedPrecondition("the change is not after the latest one", rule="R6")
        closed = replace(current, end=effective)
        self.timelines[person] = replace(
            timeline,
            statuses=(*timeline.statuses[:-1], closed, StatusSpan(effective, None, new_status)),
        )
        self.changes.append(change)

    def open_reassessment(
        self, person: str, reported: date, description: str, request_id: str
    ) -> None:
        self._check()
        if person not in self.timelines:
            raise errors.NotFound(person)
        change = ReportedChange(person, reported, description, request_id)
        for done in self.reassessments:
            if done.request_id == request_id:
                if done != change:
                    raise errors.InvalidArgument.field(
                        "request_id", "was used for a different report"
                    )
                return
        self.reassessments.append(change)


@dataclass
class ReportedChange:
    person: str
    reported: date
    description: str
    request_id: str
