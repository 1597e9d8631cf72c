"""Conversions between roster protos and domain values, all in one place."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TypeVar

from google.protobuf.field_mask_pb2 import FieldMask
from google.type import date_pb2
from sgz.common.v1.types_pb2 import Period as Period_pb
from sgz.roster.v1 import roster_pb2 as pb

from roster_svc.adapters.person_repository import MissingAgreementRow
from roster_svc.domain.assessments import INDICATORS, Assessment, Reassessment
from roster_svc.domain.assignments import Agreement, Assignment, MissingReason, Substitution
from roster_svc.domain.person_import import ImportDefaults, ImportRow, Problem
from roster_svc.domain.persons import CareLevel, Period, Person, PersonStatus, Timeline
from roster_svc.domain.places import Town, TownKind, Village, VillageKind
from roster_svc.domain.stations import (
    Compliance,
    ComplianceSummary,
    Equipment,
    Have,
    HaveState,
    Station,
    StationStandard,
    Timeliness,
    registration_timeliness,
)
from roster_svc.domain.workdays import CalendarBasis
from roster_svc.service_layer.person_import import ImportOptions, ImportResult
from roster_svc.service_layer.persons import PersonView
from sgz_runtime import proto_values
from sgz_runtime.errors import InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.pii import resident_id
from sgz_runtime.pii.resident_id import Gender
from sgz_runtime.proto_values import date_from_pb, date_to_pb, required_date

#: An enum field left unset or set outside its values.
_CHOOSE_ONE = tr("set it to one of the values /openapi.json lists for this field")

K = TypeVar("K")
V = TypeVar("V")

_TOWN_KINDS = {
    pb.TOWN_KIND_TOWN: TownKind.TOWN,
    pb.TOWN_KIND_DISTRICT: TownKind.DISTRICT,
    pb.TOWN_KIND_SUBDISTRICT: TownKind.SUBDISTRICT,
}
_VILLAGE_KINDS = {
    pb.VILLAGE_KIND_VILLAGE: VillageKind.VILLAGE,
    pb.VILLAGE_KIND_COMMUNITY: VillageKind.COMMUNITY,
}


def _enum(table: dict[K, V], value: K, field: str) -> V:
    try:
        return table[value]
    except KeyError:
        raise InvalidArgument.field(field, _CHOOSE_ONE) from None


def town_from_pb(message: pb.Town, town_id: str) -> Town:
    kind = _enum(_TOWN_KINDS, message.kind, "town.kind")
    return Town(
        id=town_id,
        display_name=message.display_name,
        administrative_code=message.administrative_code,
        kind=kind,
    )


def town_to_pb(town: Town) -> pb.Town:
    kinds = {v: k for k, v in _TOWN_KINDS.items()}
    return pb.Town(
        name=town.name,
        display_name=town.display_name,
        administrative_code=town.administrative_code,
        kind=kinds[town.kind],
        etag=str(town.version),
    )


def village_from_pb(message: pb.Village, town_id: str, village_id: str) -> Village:
    kind = _enum(_VILLAGE_KINDS, message.kind, "village.kind")
    return Village(
        town_id=town_id,
        id=village_id,
        display_name=message.display_name,
        kind=kind,
        contact_name=message.contact.display_name,
        contact_phone=message.contact.phone,
        administrative_code=message.administrative_code.strip() or None,
    )


def village_to_pb(village: Village) -> pb.Village:
    kinds = {v: k for k, v in _VILLAGE_KINDS.items()}
    return pb.Village(
        name=village.name,
        display_name=village.display_name,
        kind=kinds[village.kind],
        contact=pb.CivilAffairsContact(
            display_name=village.contact_name, phone=village.contact_phone
        ),
        etag=str(village.version),
        administrative_code=village.administrative_code or "",
    )


def village_changes_from_pb(message: pb.Village, town_id: str, village_id: str) -> Village:
    """The values of an update; the kind cannot change, so it may be left unset."""
    if message.kind == pb.VILLAGE_KIND_UNSPECIFIED:
        message = pb.Village(
            display_name=message.display_name,
            contact=message.contact,
            kind=pb.VILLAGE_KIND_VILLAGE,
            administrative_code=message.administrative_code,
        )
    return village_from_pb(message, town_id, village_id)


def update_fields(mask: FieldMask, allowed: set[str]) -> set[str]:
    """The paths of an update mask (all allowed ones when empty); others are refused."""
    paths = {p.split(".")[0] for p in mask.paths}
    unknown = paths - allowed
    if unknown:
        raise InvalidArgument.field(
            "update_mask",
            tr(
                "cannot update {fields}: name only {allowed} in update_mask",
                fields=", ".join(sorted(unknown)),
                allowed=", ".join(sorted(allowed)),
            ),
        )
    return paths or set(allowed)


# --- Dates (shared by every roster conversion) ---


# --- Stations (rules S1, S2) ---

_EQUIPMENT_FIELDS: dict[Equipment, str] = {item: item.value for item in Equipment}
_TIMELINESS = {
    Timeliness.PENDING: pb.REGISTRATION_TIMELINESS_PENDING,
    Timeliness.OVERDUE: pb.REGISTRATION_TIMELINESS_OVERDUE,
    Timeliness.ON_TIME: pb.REGISTRATION_TIMELINESS_ON_TIME,
    Timeliness.LATE: pb.REGISTRATION_TIMELINESS_LATE,
}
_HAVES = {
    Have.PREMISES: pb.STATION_HAVE_PREMISES,
    Have.ORGANISATION: pb.STATION_HAVE_ORGANISATION,
    Have.STAFF: pb.STATION_HAVE_STAFF,
    Have.PROJECTS: pb.STATION_HAVE_PROJECTS,
    Have.FUNDING: pb.STATION_HAVE_FUNDING,
    Have.RULES: pb.STATION_HAVE_RULES,
}
_HAVE_STATES = {
    HaveState.MET: pb.HAVE_STATE_MET,
    HaveState.NOT_MET: pb.HAVE_STATE_NOT_MET,
    HaveState.UNKNOWN: pb.HAVE_STATE_UNKNOWN,
}


def station_from_pb(message: pb.Station) -> Station:
    parts = message.name.split("/")
    if len(parts) != 3 or parts[0] != "towns" or parts[2] != "station" or not parts[1]:
        raise InvalidArgument.field(
            "station.name", tr("give the station's name, e.g. towns/chengdong/station")
        )
    registration = message.registration
    return Station(
        town_id=parts[1],
        display_name=message.display_name,
        registered_date=date_from_pb(
            registration.registered_date, "station.registration.registered_date"
        ),
        registration_number=registration.registration_number.strip().upper(),
        legal_representative=registration.legal_representative,
        charity_plate_hung=message.charity_plate_hung,
        office_area_m2=message.office_area_square_metres or None,
        equipment={e for e, f in _EQUIPMENT_FIELDS.items() if getattr(message.equipment, f)},
        projects=[p.strip() for p in message.projects],
        funding_account=message.funding_account.strip(),
    )


def station_to_pb(station: Station, standard: StationStandard, today: date) -> pb.Station:
    return pb.Station(
        name=station.name,
        display_name=station.display_name,
        registration=pb.StationRegistration(
            registered_date=date_to_pb(station.registered_date),
            registration_number=station.registration_number,
            legal_representative=station.legal_representative,
            deadline=date_to_pb(standard.registration_deadline),
            timeliness=_TIMELINESS[registration_timeliness(station, standard, today)],
        ),
        charity_plate_hung=station.charity_plate_hung,
        office_area_square_metres=station.office_area_m2 or 0.0,
        equipment=pb.StationEquipment(
            **{f: e in station.equipment for e, f in _EQUIPMENT_FIELDS.items()}
        ),
        projects=station.projects,
        funding_account=station.funding_account,
        etag=str(station.version),
    )


def compliance_to_pb(check: Compliance) -> pb.StationCompliance:
    return pb.StationCompliance(
        station=check.station.name,
        as_of=date_to_pb(check.as_of),
        registration_timeliness=_TIMELINESS[check.timeliness],
        haves=[
            pb.HaveCheck(
                have=_HAVES[h.have], state=_HAVE_STATES[h.state], gaps=[g.render() for g in h.gaps]
            )
            for h in check.haves
        ],
        haves_met=check.haves_met,
        compliant=check.compliant,
    )


def compliance_summary_to_pb(
    summary: ComplianceSummary, page: list[Compliance], token: str, today: date
) -> pb.SummarizeStationComplianceResponse:
    return pb.SummarizeStationComplianceResponse(
        as_of=date_to_pb(today),
        towns=summary.towns,
        compliant=summary.compliant,
        haves=[
            pb.HaveCount(have=_HAVES[h], met=summary.have_met[h], unknown=summary.have_unknown[h])
            for h in Have
        ],
        registrations=[
            pb.TimelinessCount(timeliness=_TIMELINESS[t], stations=summary.timeliness[t])
            for t in Timeliness
        ],
        stations=[compliance_to_pb(c) for c in page],
        next_page_token=token,
    )


# --- Import of a town's roster file (item 8) ---

_IMPORT_FIELDS = (
    "display_name",
    "id_number",
    "village",
    "address",
    "phone",
    "eating",
    "dressing",
    "transferring",
    "toileting",
    "indoor_walking",
    "bathing",
    "assessor",
    "assessed_date",
    "town",
)


def import_rows_from_pb(rows: Iterable[pb.PersonImportRow]) -> list[ImportRow]:
    return [ImportRow(r.row_number, *(getattr(r, f) for f in _IMPORT_FIELDS)) for r in rows]


def import_options_from_pb(request: pb.ImportPersonsRequest) -> ImportOptions:
    return ImportOptions(
        validate_only=request.validate_only,
        valid_only=request.valid_only,
        defaults=ImportDefaults(
            assessor=request.assessor,
            assessed_date=date_from_pb(request.assessed_date, "assessed_date"),
        ),
        start_date=date_from_pb(request.start_date, "start_date"),
        import_id=request.import_id,
    )


def _problem_to_pb(problem: Problem) -> pb.ImportRowProblem:
    return pb.ImportRowProblem(
        row_number=problem.row_number,
        field=problem.field,
        reason=problem.reason,
        rule=problem.rule,
    )


def import_result_to_pb(result: ImportResult) -> pb.ImportPersonsResponse:
    return pb.ImportPersonsResponse(
        valid_rows=result.valid_rows,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        errors=[_problem_to_pb(p) for p in result.errors],
        warnings=[_problem_to_pb(p) for p in result.warnings],
    )


# --- Persons (rules R1, R2), history (R3, R4, R6), assignments and agreements (R5) ---

_STATUSES = {
    pb.PERSON_STATUS_DISPERSED: PersonStatus.DISPERSED,
    pb.PERSON_STATUS_IN_INSTITUTION: PersonStatus.IN_INSTITUTION,
    pb.PERSON_STATUS_HOSPITALISED: PersonStatus.HOSPITALISED,
    pb.PERSON_STATUS_DECEASED: PersonStatus.DECEASED,
    pb.PERSON_STATUS_EXITED: PersonStatus.EXITED,
}
_STATUSES_PB = {v: k for k, v in _STATUSES.items()}
_CARE_LEVELS_PB = {
    CareLevel.SELF_CARE: pb.CARE_LEVEL_SELF_CARE,
    CareLevel.PARTIAL: pb.CARE_LEVEL_PARTIAL,
    CareLevel.FULL_LOSS: pb.CARE_LEVEL_FULL_LOSS,
}
_GENDERS_PB = {Gender.MALE: pb.GENDER_MALE, Gender.FEMALE: pb.GENDER_FEMALE}
_ANSWERS = {pb.INDICATOR_ANSWER_ABLE: True, pb.INDICATOR_ANSWER_UNABLE: False}
_BASES_PB = {
    CalendarBasis.OFFICIAL: pb.CALENDAR_BASIS_OFFICIAL,
    CalendarBasis.CONFIGURED: pb.CALENDAR_BASIS_CONFIGURED,
    CalendarBasis.WEEKDAYS_FALLBACK: pb.CALENDAR_BASIS_WEEKDAYS_FALLBACK,
}
_MISSING_PB = {
    MissingReason.NONE: pb.MISSING_AGREEMENT_REASON_NONE,
    MissingReason.WORKER_CHANGED: pb.MISSING_AGREEMENT_REASON_WORKER_CHANGED,
}


def status_from_pb(value: int, field: str) -> PersonStatus:
    found: PersonStatus | None = _STATUSES.get(value)  # type: ignore[call-overload]
    if found is None:
        raise InvalidArgument.field(field, _CHOOSE_ONE)
    return found


def optional_status_from_pb(value: int) -> PersonStatus | None:
    return None if value == pb.PERSON_STATUS_UNSPECIFIED else status_from_pb(value, "status")


def care_level_to_pb(level: CareLevel | None) -> pb.CareLevel.ValueType:
    return pb.CARE_LEVEL_UNSPECIFIED if level is None else _CARE_LEVELS_PB[level]


def person_from_pb(message: pb.Person) -> Person:
    """The free fields of a person; the ID-derived and stored ones are filled by the use case."""
    return Person(
        id="",
        town_id="",
        village_id="",
        display_name=message.display_name,
        id_hash="",
        id_cipher="",
        id_masked="",
        gender=Gender.FEMALE,
        birth_date=date.min,
        address=message.address,
        phone=message.phone,
    )


def person_to_pb(view: PersonView) -> pb.Person:
    person, facts = view.person, view.facts
    return pb.Person(
        name=person.name,
        display_name=person.display_name,
        # Masked again on the way out: rows stored under an older mask show no more (privacy.md).
        id_number_masked=resident_id.mask(person.id_masked),
        id_number_warnings=list(resident_id.masked_warnings(person.id_masked)),
        gender=_GENDERS_PB[person.gender],
        # The birth year only: a full date beside the mask narrows the number (docs/privacy.md).
        birth_date=date_pb2.Date(year=person.birth_date.year),
        town=person.town,
        village=person.village,
        address=person.address,
        phone=person.phone,
        status=_STATUSES_PB[facts.status] if facts.status else pb.PERSON_STATUS_UNSPECIFIED,
        care_level=care_level_to_pb(facts.care_level),
        worker=facts.worker,
        etag=str(person.version),
    )


def period_from_pb(message: Period_pb, field: str = "period") -> Period:
    """A closed sgz.common.v1.Period as the half-open Period the domain counts with."""
    return Period.closed(*proto_values.period_from_pb(message, field))


def timeline_to_pb(timeline: Timeline) -> pb.PersonTimeline:
    person = timeline.person
    return pb.PersonTimeline(
        person=person.name,
        town=person.town,
        village=person.village,
        display_name=person.display_name,
        statuses=[
            pb.StatusSpan(
                status=_STATUSES_PB[s.value],
                start_date=date_to_pb(s.start),
                end_date=date_to_pb(s.end),
            )
            for s in timeline.statuses
        ],
        care_levels=[
            pb.CareLevelSpan(
                care_level=care_level_to_pb(s.value),
                start_date=date_to_pb(s.start),
                end_date=date_to_pb(s.end),
            )
            for s in timeline.care_levels
        ],
        assignments=[
            pb.AssignmentSpan(
                worker=s.value, start_date=date_to_pb(s.start), end_date=date_to_pb(s.end)
            )
            for s in timeline.assignments
        ],
        substitutes=[
            pb.SubstituteSpan(
                worker=s.value[0],
                substitute=s.value[1],
                start_date=date_to_pb(s.start),
                end_date=date_to_pb(s.end),
            )
            for s in timeline.substitutes
        ],
    )


def assessment_from_pb(message: pb.Assessment, person_id: str) -> Assessment:
    assessment = Assessment(
        id="",
        person_id=person_id,
        assessor=message.assessor,
        assessment_date=required_date(message.assessment_date, "assessment.assessment_date"),
    )
    for indicator in INDICATORS:
        setattr(assessment, indicator, _ANSWERS.get(getattr(message, indicator)))
    return assessment


def assessment_to_pb(assessment: Assessment) -> pb.Assessment:
    answers = {
        i: pb.INDICATOR_ANSWER_ABLE if v else pb.INDICATOR_ANSWER_UNABLE
        for i, v in assessment.answers().items()
    }
    return pb.Assessment(
        name=assessment.name,
        assessor=assessment.assessor,
        assessment_date=date_to_pb(assessment.assessment_date),
        care_level=care_level_to_pb(assessment.care_level),
        **answers,  # type: ignore[arg-type]
    )


def reassessment_to_pb(reassessment: Reassessment, today: date) -> pb.Reassessment:
    return pb.Reassessment(
        overdue=reassessment.overdue(today),
        name=reassessment.name,
        reported_date=date_to_pb(reassessment.reported_date),
        description=reassessment.description,
        due_date=date_to_pb(reassessment.due_date),
        due_date_basis=_BASES_PB[reassessment.due_date_basis],
        assessment=(
            f"persons/{reassessment.person_id}/assessments/{reassessment.assessment_id}"
            if reassessment.assessment_id
            else ""
        ),
    )


def assignment_to_pb(assignment: Assignment, end: date | None = None) -> pb.Assignment:
    return pb.Assignment(
        name=assignment.name,
        person=f"persons/{assignment.person_id}",
        worker=assignment.worker,
        start_date=date_to_pb(assignment.start_date),
        end_date=date_to_pb(end),
    )


def substitution_from_pb(message: pb.Substitution, town_id: str) -> Substitution:
    return Substitution(
        id="",
        town_id=town_id,
        worker=message.worker,
        substitute=message.substitute,
        start_date=required_date(message.start_date, "substitution.start_date"),
        end_date=required_date(message.end_date, "substitution.end_date"),
        reason=message.reason,
    )


def substitution_to_pb(substitution: Substitution) -> pb.Substitution:
    return pb.Substitution(
        name=substitution.name,
        worker=substitution.worker,
        substitute=substitution.substitute,
        start_date=date_to_pb(substitution.start_date),
        end_date=date_to_pb(substitution.end_date),
        reason=substitution.reason,
    )


def agreement_from_pb(message: pb.Agreement) -> Agreement:
    return Agreement(
        id="",
        person_id="",
        town_id="",
        village_id="",
        worker=message.worker,
        signed_date=required_date(message.signed_date, "agreement.signed_date"),
        document_reference=message.document_reference,
    )


def agreement_to_pb(agreement: Agreement) -> pb.Agreement:
    return pb.Agreement(
        name=agreement.name,
        town=f"towns/{agreement.town_id}",
        village=f"towns/{agreement.town_id}/villages/{agreement.village_id}",
        worker=agreement.worker,
        signed_date=date_to_pb(agreement.signed_date),
        document_reference=agreement.document_reference,
    )


def missing_agreement_to_pb(row: MissingAgreementRow) -> pb.MissingAgreement:
    return pb.MissingAgreement(
        person=row.person.name,
        display_name=row.person.display_name,
        village=row.person.village,
        worker=row.worker,
        reason=_MISSING_PB[row.reason],
        latest_agreement=row.latest_agreement.name if row.latest_agreement else "",
    )


def commit_result_to_pb(result: ImportResult) -> pb.CommitPersonImportResponse:
    return pb.CommitPersonImportResponse(
        created=result.created, updated=result.updated, unchanged=result.unchanged
    )
