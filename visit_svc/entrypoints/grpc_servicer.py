"""The VisitService servicer: proto in, use case, proto out. Nothing else lives here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import grpc
from sgz.visit.v1 import visit_pb2 as pb
from sgz.visit.v1 import visit_pb2_grpc

from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.identity import current_caller
from sgz_runtime.proto_values import date_to_pb, required_date, timestamp_from_pb
from visit_svc.adapters.roster_client import RosterClient
from visit_svc.domain.escalations import Escalation
from visit_svc.entrypoints import convert
from visit_svc.entrypoints.ledger_servicer import LedgerMethods
from visit_svc.entrypoints.office_servicer import OfficeMethods
from visit_svc.service_layer import due, escalations, policies, visits
from visit_svc.service_layer.common import Clock
from visit_svc.service_layer.unit_of_work import VisitUnitOfWork
from visit_svc.service_layer.visit_lists import current_week


class VisitServicer(OfficeMethods, LedgerMethods, visit_pb2_grpc.VisitServiceServicer):
    # The work ledger's and the facts' RPCs (rules V7, A2) come from LedgerMethods; visits
    # by place and escalations with names (a town office's needs) from OfficeMethods.
    def __init__(
        self,
        uow: Callable[[], VisitUnitOfWork],
        roster: RosterClient,
        clock: Clock,
        clock_skew: timedelta,
    ):
        self._uow = uow
        self._roster = roster
        self._clock = clock
        self._skew = clock_skew

    # -- visits -------------------------------------------------------------------------------

    def CreateVisit(
        self, request: pb.CreateVisitRequest, context: grpc.ServicerContext
    ) -> pb.Visit:
        visit = convert.visit_from_pb(request.visit)
        recorded = visits.record_visit(
            self._uow(),
            self._roster,
            current_caller(),
            visit,
            request.request_id,
            clock=self._clock,
            skew=self._skew,
        )
        return convert.visit_to_pb(recorded)

    def GetVisit(self, request: pb.GetVisitRequest, context: grpc.ServicerContext) -> pb.Visit:
        visit = visits.get_visit(self._uow(), current_caller(), request.name)
        self._audit_health_read(request.name, 1, "visits")
        return convert.visit_to_pb(visit)

    def ListVisits(
        self, request: pb.ListVisitsRequest, context: grpc.ServicerContext
    ) -> pb.ListVisitsResponse:
        if request.parent or not request.person:
            if request.person:
                raise InvalidArgument.of(
                    [
                        FieldViolation("person", tr("give a person or a parent, not both")),
                        FieldViolation("parent", tr("give a person or a parent, not both")),
                    ]
                )
            found, token = self._visits_in(request)  # by town, village, worker, week
            self._audit_health_read(request.parent, len(found), "visits")
            return pb.ListVisitsResponse(
                visits=[convert.visit_to_pb(v) for v in found], next_page_token=token
            )
        found, token = visits.list_visits(
            self._uow(), current_caller(), request.person, request.page_size, request.page_token
        )
        self._audit_health_read(request.person, len(found), "visits")
        return pb.ListVisitsResponse(
            visits=[convert.visit_to_pb(v) for v in found], next_page_token=token
        )

    # -- what is due --------------------------------------------------------------------------

    def GetWeeklyDue(
        self, request: pb.GetWeeklyDueRequest, context: grpc.ServicerContext
    ) -> pb.WeeklyDue:
        # The current week in China Standard Time when none is asked.
        week = convert.week_from_text(request.week, "week") if request.week else current_week()
        result = due.weekly_due(
            self._uow(), self._roster, current_caller(), request.parent, request.worker, week
        )
        now = self._clock()
        return pb.WeeklyDue(
            week=str(week),
            start_date=date_to_pb(week.monday),
            end_date=date_to_pb(week.sunday),
            due=[convert.person_week_to_pb(d, now) for d in result.due],
            due_count=len(result.due),
            visited_count=len(result.visited),
            not_visited_count=len(result.not_visited),
        )

    def ListMissedWeeks(
        self, request: pb.ListMissedWeeksRequest, context: grpc.ServicerContext
    ) -> pb.ListMissedWeeksResponse:
        first = convert.week_from_text(request.start_week, "start_week")
        last = convert.week_from_text(request.end_week, "end_week")
        due_weeks, missed = due.person_weeks(
            self._uow(), self._roster, current_caller(), request.person, first, last, self._clock
        )
        now = self._clock()
        return pb.ListMissedWeeksResponse(
            missed_weeks=[convert.person_week_to_pb(d, now) for d in missed],
            due_weeks=len(due_weeks),
        )

    # -- escalations --------------------------------------------------------------------------

    def _out(self, escalation: Escalation) -> pb.Escalation:
        message = convert.escalation_to_pb(escalation, self._clock())
        self._describe([message])  # the person's and village's names, the contact's phone
        return message

    def GetEscalation(
        self, request: pb.GetEscalationRequest, context: grpc.ServicerContext
    ) -> pb.Escalation:
        found = escalations.get_escalation(self._uow(), current_caller(), request.name)
        self._audit_health_read(request.name, 1, "escalations")
        return self._out(found)

    def ListEscalations(
        self, request: pb.ListEscalationsRequest, context: grpc.ServicerContext
    ) -> pb.ListEscalationsResponse:
        within = request.within.ToTimedelta() if request.HasField("within") else None
        found, token = escalations.list_escalations(
            self._uow(),
            current_caller(),
            request.parent,
            request.worker,
            convert.view_from_pb(request.view),
            within,
            request.page_size,
            request.page_token,
            self._clock,
            roster=self._roster,
        )
        self._audit_health_read(request.parent, len(found), "escalations")
        now = self._clock()
        listed = [convert.escalation_to_pb(e, now) for e in found]
        self._describe(listed)  # the person's and village's names, the contact's phone
        return pb.ListEscalationsResponse(escalations=listed, next_page_token=token)

    def NotifyVillageContact(
        self, request: pb.NotifyVillageContactRequest, context: grpc.ServicerContext
    ) -> pb.Escalation:
        contact = request.contact
        updated = escalations.notify_contact(
            self._uow(),
            current_caller(),
            request.name,
            contact.display_name,
            convert.channel_from_pb(contact.channel),
            timestamp_from_pb(contact.contact_time),
            contact.note,
            request.request_id,
            self._clock,
        )
        return self._out(updated)

    def ArrangeEscalationAction(
        self, request: pb.ArrangeEscalationActionRequest, context: grpc.ServicerContext
    ) -> pb.Escalation:
        arrangement = request.arrangement
        updated = escalations.arrange_action(
            self._uow(),
            current_caller(),
            request.name,
            convert.action_from_pb(arrangement.action),
            required_date(arrangement.action_date, "arrangement.action_date"),
            timestamp_from_pb(arrangement.arrange_time),
            arrangement.note,
            request.request_id,
            self._clock,
        )
        return self._out(updated)

    def RecordEscalationAssistance(
        self, request: pb.RecordEscalationAssistanceRequest, context: grpc.ServicerContext
    ) -> pb.Escalation:
        updated = escalations.record_assistance(
            self._uow(),
            current_caller(),
            request.name,
            timestamp_from_pb(request.assistance.assist_time),
            request.assistance.note,
            request.request_id,
            self._clock,
        )
        return self._out(updated)

    def ResolveEscalation(
        self, request: pb.ResolveEscalationRequest, context: grpc.ServicerContext
    ) -> pb.Escalation:
        resolution = request.resolution
        outcome_date = (
            required_date(resolution.outcome_date, "resolution.outcome_date")
            if resolution.HasField("outcome_date")
            else None
        )
        updated = escalations.resolve_escalation(
            self._uow(),
            self._roster,
            current_caller(),
            request.name,
            convert.outcome_from_pb(resolution.outcome),
            outcome_date,
            timestamp_from_pb(resolution.resolve_time),
            resolution.note,
            request.request_id,
            self._clock,
        )
        return self._out(updated)

    def CancelEscalation(
        self, request: pb.CancelEscalationRequest, context: grpc.ServicerContext
    ) -> pb.Escalation:
        updated = escalations.cancel_escalation(
            self._uow(),
            current_caller(),
            request.name,
            request.cancellation.reason,
            timestamp_from_pb(request.cancellation.cancel_time),
            request.request_id,
            self._clock,
        )
        return self._out(updated)

    # -- the visit policy ---------------------------------------------------------------------

    def CreateVisitPolicy(
        self, request: pb.CreateVisitPolicyRequest, context: grpc.ServicerContext
    ) -> pb.VisitPolicy:
        policy = convert.policy_from_pb(request.policy, request.policy_id)
        created = policies.create_policy(self._uow(), current_caller(), policy, self._clock)
        return convert.policy_to_pb(created)

    def ListVisitPolicies(
        self, request: pb.ListVisitPoliciesRequest, context: grpc.ServicerContext
    ) -> pb.ListVisitPoliciesResponse:
        found, token = policies.list_policies(
            self._uow(), current_caller(), request.page_size, request.page_token
        )
        return pb.ListVisitPoliciesResponse(
            policies=[convert.policy_to_pb(p) for p in found], next_page_token=token
        )
