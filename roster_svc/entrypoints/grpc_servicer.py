"""The RosterService servicer: proto in, use case, proto out. Nothing else lives here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import grpc
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc

from roster_svc.adapters.hr_client import HrClient
from roster_svc.domain.persons import PersonStatus
from roster_svc.domain.stations import StationStandard, standard_on
from roster_svc.domain.workdays import WorkdayCalendar
from roster_svc.entrypoints import convert
from roster_svc.entrypoints.audit_servicer import AuditMethods
from roster_svc.entrypoints.office_servicer import OfficeMethods
from roster_svc.service_layer import care as care_uc
from roster_svc.service_layer import caseloads, person_import, persons, places, stations
from roster_svc.service_layer.care import CareDeps
from roster_svc.service_layer.unit_of_work import RosterUnitOfWork
from sgz_runtime import names
from sgz_runtime.identity import current_caller
from sgz_runtime.pii.vault import IdVault
from sgz_runtime.proto_values import date_from_pb, date_to_pb, required_date

_CST = ZoneInfo("Asia/Shanghai")


def today_in_china() -> date:
    """Today in China Standard Time, the calendar deadlines are kept in."""
    return datetime.now(_CST).date()


class RosterServicer(OfficeMethods, AuditMethods, roster_pb2_grpc.RosterServiceServicer):
    # The town office's RPCs (places import, export, search, corrections) come from
    # OfficeMethods (office_servicer.py).
    def __init__(
        self,
        uow: Callable[[], RosterUnitOfWork],
        *,
        hr: HrClient,
        vault: IdVault,
        station_standards: list[StationStandard],
        today: Callable[[], date] = today_in_china,
        care: CareDeps | None = None,
    ):
        self._uow = uow
        self._hr = hr
        self._vault = vault
        self._station_standards = station_standards
        self._today = today
        self._care = care or CareDeps(WorkdayCalendar())

    def CreateTown(self, request: pb.CreateTownRequest, context: grpc.ServicerContext) -> pb.Town:
        town = convert.town_from_pb(request.town, request.town_id)
        return convert.town_to_pb(places.create_town(self._uow(), current_caller(), town))

    def GetTown(self, request: pb.GetTownRequest, context: grpc.ServicerContext) -> pb.Town:
        return convert.town_to_pb(places.get_town(self._uow(), current_caller(), request.name))

    def ListTowns(
        self, request: pb.ListTownsRequest, context: grpc.ServicerContext
    ) -> pb.ListTownsResponse:
        found, token = places.list_towns(
            self._uow(), current_caller(), request.page_size, request.page_token
        )
        return pb.ListTownsResponse(
            towns=[convert.town_to_pb(t) for t in found], next_page_token=token
        )

    def CreateVillage(
        self, request: pb.CreateVillageRequest, context: grpc.ServicerContext
    ) -> pb.Village:
        village = convert.village_from_pb(request.village, "", request.village_id)
        created = places.create_village(self._uow(), current_caller(), request.parent, village)
        return convert.village_to_pb(created)

    def GetVillage(
        self, request: pb.GetVillageRequest, context: grpc.ServicerContext
    ) -> pb.Village:
        return convert.village_to_pb(
            places.get_village(self._uow(), current_caller(), request.name)
        )

    def ListVillages(
        self, request: pb.ListVillagesRequest, context: grpc.ServicerContext
    ) -> pb.ListVillagesResponse:
        found, token = places.list_villages(
            self._uow(), current_caller(), request.parent, request.page_size, request.page_token
        )
        return pb.ListVillagesResponse(
            villages=[convert.village_to_pb(v) for v in found], next_page_token=token
        )

    def UpdateVillage(
        self, request: pb.UpdateVillageRequest, context: grpc.ServicerContext
    ) -> pb.Village:
        town_id, village_id = names.parse("village.name", request.village.name, "towns", "villages")
        changes = convert.village_changes_from_pb(request.village, town_id, village_id)
        fields = convert.update_fields(request.update_mask, {"display_name", "contact"})
        updated = places.update_village(
            self._uow(), current_caller(), changes, request.village.etag, fields
        )
        return convert.village_to_pb(updated)

    # --- Stations (rules S1, S2) ---

    def GetStation(
        self, request: pb.GetStationRequest, context: grpc.ServicerContext
    ) -> pb.Station:
        station = stations.get_station(self._uow(), current_caller(), request.name)
        today = self._today()
        return convert.station_to_pb(station, standard_on(self._station_standards, today), today)

    def UpdateStation(
        self, request: pb.UpdateStationRequest, context: grpc.ServicerContext
    ) -> pb.Station:
        changes = convert.station_from_pb(request.station)
        fields = convert.update_fields(request.update_mask, stations.UPDATABLE)
        today = self._today()
        updated = stations.update_station(
            self._uow(), self._hr, current_caller(), changes, request.station.etag, fields, today
        )
        return convert.station_to_pb(updated, standard_on(self._station_standards, today), today)

    def CheckStationCompliance(
        self, request: pb.CheckStationComplianceRequest, context: grpc.ServicerContext
    ) -> pb.StationCompliance:
        check = stations.check_compliance(
            self._uow(),
            self._hr,
            current_caller(),
            request.name,
            self._station_standards,
            self._today(),
        )
        return convert.compliance_to_pb(check)

    def SummarizeStationCompliance(
        self, request: pb.SummarizeStationComplianceRequest, context: grpc.ServicerContext
    ) -> pb.SummarizeStationComplianceResponse:
        today = self._today()
        summary, page, token = stations.summarise_compliance(
            self._uow(),
            self._hr,
            current_caller(),
            self._station_standards,
            today,
            request.page_size,
            request.page_token,
        )
        return convert.compliance_summary_to_pb(summary, page, token, today)

    # --- Import of a town's roster file (item 8) ---

    def ImportPersons(
        self, request: pb.ImportPersonsRequest, context: grpc.ServicerContext
    ) -> pb.ImportPersonsResponse:
        result = person_import.import_persons(
            self._uow(),
            self._vault,
            current_caller(),
            request.parent,
            convert.import_rows_from_pb(request.rows),
            convert.import_options_from_pb(request),
            self._today(),
        )
        return convert.import_result_to_pb(result)

    def CommitPersonImport(
        self, request: pb.CommitPersonImportRequest, context: grpc.ServicerContext
    ) -> pb.CommitPersonImportResponse:
        result = person_import.commit_import(
            self._uow(),
            current_caller(),
            request.parent,
            request.import_id,
            request.discard,
            datetime.now(UTC),
        )
        return convert.commit_result_to_pb(result)

    # --- Persons (R1, R2), status history and timelines (R6) ---

    def _deps(self) -> persons.Deps:
        return persons.Deps(self._vault, self._today(), self._audit_log)

    def CreatePerson(
        self, request: pb.CreatePersonRequest, context: grpc.ServicerContext
    ) -> pb.Person:
        status = convert.optional_status_from_pb(request.status) or PersonStatus.DISPERSED
        view = persons.create_person(
            self._uow(),
            self._deps(),
            current_caller(),
            convert.person_from_pb(request.person),
            request.person.id_number,
            request.person.village,
            required_date(request.start_date, "start_date"),
            status,
        )
        return convert.person_to_pb(view)

    def GetPerson(self, request: pb.GetPersonRequest, context: grpc.ServicerContext) -> pb.Person:
        view = persons.get_person(self._uow(), self._deps(), current_caller(), request.name)
        return convert.person_to_pb(view)

    def ListPersons(
        self, request: pb.ListPersonsRequest, context: grpc.ServicerContext
    ) -> pb.ListPersonsResponse:
        found, token = persons.list_persons(
            self._uow(),
            self._deps(),
            current_caller(),
            request.parent,
            convert.optional_status_from_pb(request.status),
            request.worker,
            date_from_pb(request.as_of_date, "as_of_date"),
            request.page_size,
            request.page_token,
        )
        return pb.ListPersonsResponse(
            persons=[convert.person_to_pb(v) for v in found], next_page_token=token
        )

    def UpdatePerson(
        self, request: pb.UpdatePersonRequest, context: grpc.ServicerContext
    ) -> pb.Person:
        fields = convert.update_fields(request.update_mask, persons.UPDATABLE)
        view = persons.update_person(
            self._uow(),
            self._deps(),
            current_caller(),
            request.person.name,
            convert.person_from_pb(request.person),
            request.person.village,
            request.person.etag,
            fields,
        )
        return convert.person_to_pb(view)

    def LookupPerson(
        self, request: pb.LookupPersonRequest, context: grpc.ServicerContext
    ) -> pb.Person:
        view = persons.lookup_person(self._uow(), self._deps(), current_caller(), request.id_number)
        return convert.person_to_pb(view)

    def RevealPersonIdNumber(
        self, request: pb.RevealPersonIdNumberRequest, context: grpc.ServicerContext
    ) -> pb.RevealPersonIdNumberResponse:
        number = persons.reveal_id_number(
            self._uow(), self._deps(), current_caller(), request.name, request.purpose
        )
        return pb.RevealPersonIdNumberResponse(name=request.name, id_number=number)

    def ChangePersonStatus(
        self, request: pb.ChangePersonStatusRequest, context: grpc.ServicerContext
    ) -> pb.Person:
        view = persons.change_status(
            self._uow(),
            self._deps(),
            current_caller(),
            request.name,
            convert.status_from_pb(request.status, "status"),
            required_date(request.effective_date, "effective_date"),
            request.reason,
            request.request_id,
        )
        return convert.person_to_pb(view)

    def GetPersonTimeline(
        self, request: pb.GetPersonTimelineRequest, context: grpc.ServicerContext
    ) -> pb.PersonTimeline:
        timeline = persons.get_timeline(
            self._uow(),
            self._deps(),
            current_caller(),
            request.name,
            convert.period_from_pb(request.period),
        )
        return convert.timeline_to_pb(timeline)

    def ListPersonTimelines(
        self, request: pb.ListPersonTimelinesRequest, context: grpc.ServicerContext
    ) -> pb.ListPersonTimelinesResponse:
        found, token = persons.list_timelines(
            self._uow(),
            self._deps(),
            current_caller(),
            request.parent,
            request.worker,
            convert.period_from_pb(request.period),
            request.page_size,
            request.page_token,
        )
        return pb.ListPersonTimelinesResponse(
            timelines=[convert.timeline_to_pb(t) for t in found], next_page_token=token
        )

    # --- Self-care assessments (R3) and re-assessments (R4) ---

    def CreateAssessment(
        self, request: pb.CreateAssessmentRequest, context: grpc.ServicerContext
    ) -> pb.Assessment:
        assessment = convert.assessment_from_pb(request.assessment, "")
        created = care_uc.create_assessment(
            self._uow(), self._deps(), current_caller(), request.parent, assessment
        )
        return convert.assessment_to_pb(created)

    def ListAssessments(
        self, request: pb.ListAssessmentsRequest, context: grpc.ServicerContext
    ) -> pb.ListAssessmentsResponse:
        found, token = care_uc.list_assessments(
            self._uow(),
            self._deps(),
            current_caller(),
            request.parent,
            request.page_size,
            request.page_token,
        )
        # Each with the corrections made to it, the values they replaced (R6).
        return pb.ListAssessmentsResponse(
            assessments=self._with_corrections(found), next_page_token=token
        )

    def CreateReassessment(
        self, request: pb.CreateReassessmentRequest, context: grpc.ServicerContext
    ) -> pb.Reassessment:
        created = care_uc.create_reassessment(
            self._uow(),
            self._deps(),
            self._care,
            current_caller(),
            request.parent,
            required_date(request.reassessment.reported_date, "reassessment.reported_date"),
            request.reassessment.description,
            request_id=request.request_id,
        )
        return convert.reassessment_to_pb(created, self._today())

    def ListReassessments(
        self, request: pb.ListReassessmentsRequest, context: grpc.ServicerContext
    ) -> pb.ListReassessmentsResponse:
        found, token = care_uc.list_reassessments(
            self._uow(),
            self._deps(),
            current_caller(),
            request.parent,
            request.open_only,
            request.page_size,
            request.page_token,
        )
        today = self._today()
        return pb.ListReassessmentsResponse(
            reassessments=[convert.reassessment_to_pb(r, today) for r in found],
            next_page_token=token,
        )

    def SummarizeCareMonths(
        self, request: pb.SummarizeCareMonthsRequest, context: grpc.ServicerContext
    ) -> pb.SummarizeCareMonthsResponse:
        rows, token = care_uc.summarize_care_months(
            self._uow(),
            current_caller(),
            request.parent,
            convert.period_from_pb(request.period),
            request.page_size,
            request.page_token,
        )
        return pb.SummarizeCareMonthsResponse(
            care_months=[
                pb.CareMonth(
                    town=r.town,
                    month=date_to_pb(r.month),
                    care_level=convert.care_level_to_pb(r.care_level),
                    person_months=r.person_months,
                    person_days=r.person_days,
                )
                for r in rows
            ],
            next_page_token=token,
        )

    # --- Assignments, substitutes and four-party agreements (R5) ---

    def CreateAssignment(
        self, request: pb.CreateAssignmentRequest, context: grpc.ServicerContext
    ) -> pb.Assignment:
        created = caseloads.create_assignment(
            self._uow(),
            self._deps(),
            self._hr,
            current_caller(),
            request.parent,
            request.assignment.worker,
            required_date(request.assignment.start_date, "assignment.start_date"),
        )
        return convert.assignment_to_pb(created)

    def ListAssignments(
        self, request: pb.ListAssignmentsRequest, context: grpc.ServicerContext
    ) -> pb.ListAssignmentsResponse:
        rows, token = caseloads.list_assignments(
            self._uow(),
            current_caller(),
            request.parent,
            convert.period_from_pb(request.period),
            request.page_size,
            request.page_token,
        )
        return pb.ListAssignmentsResponse(
            assignments=[convert.assignment_to_pb(r.assignment, r.end_date) for r in rows],
            next_page_token=token,
        )

    def ListCaseloads(
        self, request: pb.ListCaseloadsRequest, context: grpc.ServicerContext
    ) -> pb.ListCaseloadsResponse:
        found = caseloads.list_caseloads(
            self._uow(),
            self._deps(),
            current_caller(),
            request.parent,
            date_from_pb(request.as_of_date, "as_of_date"),
        )
        return pb.ListCaseloadsResponse(
            caseloads=[pb.Caseload(worker=w, person_count=n) for w, n in found]
        )

    def CreateSubstitution(
        self, request: pb.CreateSubstitutionRequest, context: grpc.ServicerContext
    ) -> pb.Substitution:
        substitution = convert.substitution_from_pb(request.substitution, "")
        created = caseloads.create_substitution(
            self._uow(), self._hr, current_caller(), request.parent, substitution
        )
        return convert.substitution_to_pb(created)

    def ListSubstitutions(
        self, request: pb.ListSubstitutionsRequest, context: grpc.ServicerContext
    ) -> pb.ListSubstitutionsResponse:
        found, token = caseloads.list_substitutions(
            self._uow(), current_caller(), request.parent, request.page_size, request.page_token
        )
        return pb.ListSubstitutionsResponse(
            substitutions=[convert.substitution_to_pb(s) for s in found], next_page_token=token
        )

    def CreateAgreement(
        self, request: pb.CreateAgreementRequest, context: grpc.ServicerContext
    ) -> pb.Agreement:
        agreement = convert.agreement_from_pb(request.agreement)
        created = caseloads.create_agreement(
            self._uow(), self._deps(), current_caller(), request.parent, agreement
        )
        return convert.agreement_to_pb(created)

    def ListAgreements(
        self, request: pb.ListAgreementsRequest, context: grpc.ServicerContext
    ) -> pb.ListAgreementsResponse:
        found, token = caseloads.list_agreements(
            self._uow(),
            self._deps(),
            current_caller(),
            request.parent,
            request.page_size,
            request.page_token,
        )
        return pb.ListAgreementsResponse(
            agreements=[convert.agreement_to_pb(a) for a in found], next_page_token=token
        )

    def ListMissingAgreements(
        self, request: pb.ListMissingAgreementsRequest, context: grpc.ServicerContext
    ) -> pb.ListMissingAgreementsResponse:
        rows, token = caseloads.list_missing_agreements(
            self._uow(),
            self._deps(),
            current_caller(),
            request.parent,
            date_from_pb(request.as_of_date, "as_of_date"),
            request.page_size,
            request.page_token,
        )
        return pb.ListMissingAgreementsResponse(
            missing_agreements=[convert.missing_agreement_to_pb(r) for r in rows],
            next_page_token=token,
        )
