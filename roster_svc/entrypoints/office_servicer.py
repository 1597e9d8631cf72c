"""The town office's RPCs of RosterService (UpdateTown, SearchPersons, BatchGetPersons,
CorrectAssessment, ImportPlaces, ExportPersons) and their proto conversions: proto in, command,
use case, proto out. A mixin of the RosterService servicer; `configure_office` wires it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import grpc
from google.type import date_pb2
from sgz.roster.v1 import roster_pb2 as pb

from roster_svc.adapters.office_queries import Correction
from roster_svc.domain.assessments import INDICATORS, Assessment
from roster_svc.domain.persons import PersonStatus
from roster_svc.domain.places import TownKind, VillageKind
from roster_svc.entrypoints import convert
from roster_svc.service_layer import office, place_import
from roster_svc.service_layer.office import (
    BulkOpener,
    ExportAudit,
    LoggedExportAudit,
    OfficeUnitOfWork,
    OneByOne,
)
from roster_svc.service_layer.office_commands import (
    BatchGetPersons,
    CorrectAssessment,
    ExportPersons,
    ImportPlaces,
    PlaceRow,
    SearchPersons,
    UpdateTown,
)
from sgz_runtime.china_time import today as china_today
from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.identity import current_caller
from sgz_runtime.pii import resident_id
from sgz_runtime.pii.resident_id import Gender
from sgz_runtime.pii.vault import IdVault
from sgz_runtime.proto_values import date_from_pb, date_to_pb, timestamp_to_pb

_TOWN_KINDS = {
    pb.TOWN_KIND_TOWN: TownKind.TOWN,
    pb.TOWN_KIND_DISTRICT: TownKind.DISTRICT,
    pb.TOWN_KIND_SUBDISTRICT: TownKind.SUBDISTRICT,
}
_PLACE_KINDS: dict[int, TownKind | VillageKind] = {
    pb.PLACE_KIND_TOWN: TownKind.TOWN,
    pb.PLACE_KIND_DISTRICT: TownKind.DISTRICT,
    pb.PLACE_KIND_SUBDISTRICT: TownKind.SUBDISTRICT,
    pb.PLACE_KIND_VILLAGE: VillageKind.VILLAGE,
    pb.PLACE_KIND_COMMUNITY: VillageKind.COMMUNITY,
}
_ANSWERS = {pb.INDICATOR_ANSWER_ABLE: True, pb.INDICATOR_ANSWER_UNABLE: False}
_UPDATABLE_TOWN = frozenset({"display_name", "administrative_code", "kind"})


def update_town_from_pb(request: pb.UpdateTownRequest) -> UpdateTown:
    fields = frozenset(convert.update_fields(request.update_mask, set(_UPDATABLE_TOWN)))
    return UpdateTown(
        name=request.town.name,
        display_name=request.town.display_name,
        administrative_code=request.town.administrative_code.strip(),
        kind=_TOWN_KINDS.get(request.town.kind),
        etag=request.town.etag,
        fields=fields,
    )


def correction_from_pb(request: pb.CorrectAssessmentRequest) -> CorrectAssessment:
    """The command, every malformed field of the request reported at once."""
    violations: list[FieldViolation] = []
    message = request.assessment
    day: dt.date | None = None
    try:
        day = date_from_pb(message.assessment_date, "assessment.assessment_date")
    except InvalidArgument as exc:
        violations += exc.violations
    else:
        if day is None:
            violations.append(
                FieldViolation(
                    "assessment.assessment_date",
                    tr("enter the date of the assessment, e.g. 2026-11-02"),
                    "R3",
                )
            )
    corrected = Assessment(
        id="",
        person_id="",
        assessor=message.assessor,
        assessment_date=day or dt.date.min,
    )
    for i in INDICATORS:
        setattr(corrected, i, _ANSWERS.get(getattr(message, i)))
        if getattr(corrected, i) is None:
            violations.append(
                FieldViolation(
                    f"assessment.{i}",
                    tr("answer the indicator: INDICATOR_ANSWER_ABLE or INDICATOR_ANSWER_UNABLE"),
                    "R3",
                )
            )
    if not message.assessor.strip():
        violations.append(
            FieldViolation(
                "assessment.assessor", tr("name the third party that assessed the person"), "R3"
            )
        )
    if not request.reason.strip():
        violations.append(
            FieldViolation("reason", tr("say what was mistyped, e.g. the form says otherwise"))
        )
    if violations:
        raise InvalidArgument.of(violations)
    return CorrectAssessment(
        name=request.name,
        corrected=corrected,
        reason=request.reason,
        request_id=request.request_id,
    )


def assessment_with_corrections_to_pb(
    assessment: Assessment, corrections: list[Correction]
) -> pb.Assessment:
    message = convert.assessment_to_pb(assessment)
    for c in corrections:
        message.corrections.append(
            pb.AssessmentCorrection(
                reason=c.reason,
                corrector=c.corrector,
                correct_time=timestamp_to_pb(c.corrected_at),
                previous=convert.assessment_to_pb(c.previous),
            )
        )
    return message


def place_rows_from_pb(request: pb.ImportPlacesRequest) -> ImportPlaces:
    rows = tuple(
        PlaceRow(
            row_number=r.row_number,
            administrative_code=r.administrative_code,
            display_name=r.display_name,
            kind=_PLACE_KINDS.get(r.kind),
            contact_name=r.contact_name,
            contact_phone=r.contact_phone,
            place_id=r.place_id,
        )
        for r in request.rows
    )
    return ImportPlaces(rows=rows, validate_only=request.validate_only)


def places_result_to_pb(result: place_import.PlacesResult) -> pb.ImportPlacesResponse:
    return pb.ImportPlacesResponse(
        towns_created=result.towns_created,
        towns_updated=result.towns_updated,
        villages_created=result.villages_created,
        villages_updated=result.villages_updated,
        unchanged=result.unchanged,
        errors=[
            pb.PlaceRowProblem(row_number=p.row_number, field=p.field, reason=p.reason.render())
            for p in result.errors
        ],
        places=result.places,
    )


_GENDERS = {Gender.MALE: pb.GENDER_MALE, Gender.FEMALE: pb.GENDER_FEMALE}
_STATUSES = {
    PersonStatus.DISPERSED: pb.PERSON_STATUS_DISPERSED,
    PersonStatus.IN_INSTITUTION: pb.PERSON_STATUS_IN_INSTITUTION,
    PersonStatus.HOSPITALISED: pb.PERSON_STATUS_HOSPITALISED,
    PersonStatus.DECEASED: pb.PERSON_STATUS_DECEASED,
    PersonStatus.EXITED: pb.PERSON_STATUS_EXITED,
}
_INDICATOR_FIELDS = tuple(INDICATORS)


def exported_to_pb(found: office.ExportedPerson) -> pb.ExportedPerson:
    """One exported person, as GetPerson shows them (the same mask, warnings and birth year as
    convert.person_to_pb) with the full number when revealed; built from plain values."""
    r = found.row
    person = pb.Person(
        name=f"persons/{r.id}",
        display_name=r.display_name,
        id_number_masked=resident_id.mask(r.id_masked),
        id_number_warnings=list(resident_id.masked_warnings(r.id_masked)),
        gender=_GENDERS[r.gender],
        birth_date=date_pb2.Date(year=r.birth_date.year),
        town=f"towns/{r.town_id}",
        village=f"towns/{r.town_id}/villages/{r.village_id}",
        address=found.address,
        phone=found.phone,
        status=_STATUSES.get(r.facts.status, pb.PERSON_STATUS_UNSPECIFIED)
        if r.facts.status
        else pb.PERSON_STATUS_UNSPECIFIED,
        care_level=convert.care_level_to_pb(r.facts.care_level),
        worker=r.facts.worker,
        etag=str(r.version),
    )
    exported = pb.ExportedPerson(
        person=person, id_number=found.id_number, village_display_name=r.village_display_name
    )
    latest = r.latest
    if latest is not None:
        answers = {
            f: pb.INDICATOR_ANSWER_ABLE if able else pb.INDICATOR_ANSWER_UNABLE
            for f, able in zip(_INDICATOR_FIELDS, latest.answers, strict=True)
        }
        exported.latest_assessment.CopyFrom(
            pb.Assessment(
                name=f"persons/{r.id}/assessments/{latest.id}",
                assessor=latest.assessor,
                assessment_date=date_to_pb(latest.assessment_date),
                care_level=convert.care_level_to_pb(latest.care_level),
                **answers,  # type: ignore[arg-type]
            )
        )
    return exported


#: The roster file's columns (sgz_cli/roster_files.py), in the order a table export writes.
TABLE_HEADER = (
    "姓名", "身份证号", "村（社区）", "地址", "联系电话",
    "自主吃饭", "自主穿衣", "自主上下床", "自主如厕", "室内自主行走", "自主洗澡",
    "评估机构", "评估日期",
)  # fmt: skip


def export_table(page: office.ExportPage) -> str:
    """The page as CSV in the roster file's columns (the import reads it back as it is)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TABLE_HEADER)
    blank = ("",) * 8
    for p in page.rows:
        r = p.row
        latest = r.latest
        tail = (
            (*("是" if a else "否" for a in latest.answers), latest.assessor,
             latest.assessment_date.isoformat())
            if latest is not None
            else blank
        )  # fmt: skip
        writer.writerow(
            (
                r.display_name,
                p.id_number or resident_id.mask(r.id_masked),
                r.village_display_name,
                p.address,
                p.phone.removeprefix("+86"),
                *tail,
            )
        )
    return out.getvalue()


def export_page_to_pb(page: office.ExportPage, as_table: bool = False) -> pb.ExportPersonsResponse:
    if as_table:
        return pb.ExportPersonsResponse(
            table_csv=export_table(page),
            table_rows=len(page.rows),
            next_page_token=page.next_page_token,
            id_numbers_revealed=page.revealed,
            total_size=page.total,
        )
    return pb.ExportPersonsResponse(
        persons=[exported_to_pb(p) for p in page.rows],
        next_page_token=page.next_page_token,
        id_numbers_revealed=page.revealed,
        total_size=page.total,
    )


class OfficeMethods:
    """The town office's RPCs; `configure_office` must be called before serving."""

    _office_uow: Callable[[], OfficeUnitOfWork]
    _office_opener: BulkOpener
    _office_audit: ExportAudit
    _office_today: Callable[[], dt.date]

    def configure_office(
        self,
        uow: Callable[[], OfficeUnitOfWork],
        vault: IdVault,
        *,
        audit: ExportAudit | None = None,
        today: Callable[[], dt.date] = china_today,
        bulk: BulkOpener | None = None,
    ) -> None:
        """bulk: opens an export page's sealed values at once (BulkFernet); the vault's
        one-at-a-time reveal otherwise."""
        self._office_uow = uow
        self._office_opener = bulk or OneByOne(vault)
        self._office_audit = audit or LoggedExportAudit()
        self._office_today = today

    def _with_corrections(self, found: list[Assessment]) -> list[pb.Assessment]:
        """Assessments with their corrections (for ListAssessments)."""
        made = office.corrections_of(self._office_uow(), [a.id for a in found])
        return [assessment_with_corrections_to_pb(a, made.get(a.id, [])) for a in found]

    def UpdateTown(self, request: pb.UpdateTownRequest, context: grpc.ServicerContext) -> pb.Town:
        town = office.update_town(
            update_town_from_pb(request), self._office_uow(), caller=current_caller()
        )
        return convert.town_to_pb(town)

    def SearchPersons(
        self, request: pb.SearchPersonsRequest, context: grpc.ServicerContext
    ) -> pb.SearchPersonsResponse:
        cmd = SearchPersons(
            parent=request.parent,
            query=request.query,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        found, token = office.search_persons(
            cmd, self._office_uow(), caller=current_caller(), today=self._office_today()
        )
        return pb.SearchPersonsResponse(
            persons=[convert.person_to_pb(v) for v in found], next_page_token=token
        )

    def BatchGetPersons(
        self, request: pb.BatchGetPersonsRequest, context: grpc.ServicerContext
    ) -> pb.BatchGetPersonsResponse:
        found = office.batch_get_persons(
            BatchGetPersons(names=tuple(request.names)),
            self._office_uow(),
            caller=current_caller(),
            today=self._office_today(),
        )
        return pb.BatchGetPersonsResponse(persons=[convert.person_to_pb(v) for v in found])

    def CorrectAssessment(
        self, request: pb.CorrectAssessmentRequest, context: grpc.ServicerContext
    ) -> pb.Assessment:
        assessment, corrections = office.correct_assessment(
            correction_from_pb(request),
            self._office_uow(),
            caller=current_caller(),
            today=self._office_today(),
            now=dt.datetime.now(dt.UTC),
        )
        return assessment_with_corrections_to_pb(assessment, corrections)

    def ImportPlaces(
        self, request: pb.ImportPlacesRequest, context: grpc.ServicerContext
    ) -> pb.ImportPlacesResponse:
        result = place_import.import_places(
            place_rows_from_pb(request), self._office_uow(), caller=current_caller()
        )
        return places_result_to_pb(result)

    def ExportPersons(
        self, request: pb.ExportPersonsRequest, context: grpc.ServicerContext
    ) -> pb.ExportPersonsResponse:
        cmd = ExportPersons(
            parent=request.parent,
            purpose=request.purpose,
            reveal_id_numbers=request.reveal_id_numbers,
            page_size=request.page_size,
            page_token=request.page_token,
            as_table=request.as_table,
        )
        page = office.export_persons(
            cmd,
            self._office_uow(),
            caller=current_caller(),
            opener=self._office_opener,
            audit=self._office_audit,
            today=self._office_today(),
        )
        return export_page_to_pb(page, request.as_table)
