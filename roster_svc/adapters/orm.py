"""Tables of the roster database, mapped onto the domain classes."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import registry

from roster_svc.domain.assessments import Assessment, Reassessment
from roster_svc.domain.assignments import Agreement, Assignment, Substitution
from roster_svc.domain.persons import CareLevel, Person, PersonStatus, StatusChange
from roster_svc.domain.places import Town, TownKind, Village, VillageKind
from roster_svc.domain.workdays import CalendarBasis
from sgz_runtime.pii.resident_id import Gender
from sgz_runtime.pii.vault import SealedText

metadata = MetaData()
mapper_registry = registry(metadata=metadata)

towns = Table(
    "towns",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("administrative_code", String(12), nullable=False, unique=True),
    Column("kind", Enum(TownKind, native_enum=False, length=20), nullable=False),
    Column("version", Integer, nullable=False),
)

villages = Table(
    "villages",
    metadata,
    Column("town_id", String(63), ForeignKey("towns.id"), primary_key=True),
    Column("id", String(63), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("kind", Enum(VillageKind, native_enum=False, length=20), nullable=False),
    Column("contact_name", String(100), nullable=False, default=""),
    Column("contact_phone", String(32), nullable=False, default=""),
    Column("version", Integer, nullable=False),
    # The 12-digit statistical division code, when known (places import, migration 0103).
    Column("administrative_code", String(12), nullable=True),
)

# Rules S1, S2: one station per town, read and written with Core (station_repository.py).
stations = Table(
    "stations",
    metadata,
    Column("town_id", String(63), ForeignKey("towns.id"), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("registered_date", Date, nullable=True),
    Column("registration_number", String(18), nullable=False),
    Column("legal_representative", String(100), nullable=False),
    Column("charity_plate_hung", Boolean, nullable=False),
    Column("office_area_m2", Float, nullable=True),
    Column("equipment", JSON, nullable=False),
    Column("projects", JSON, nullable=False),
    Column("funding_account", String(100), nullable=False),
    Column("version", Integer, nullable=False),
)

# Persons (R1, R2): the ID number only as a keyed hash (lookup, uniqueness), a cipher and a mask.
persons = Table(
    "persons",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("town_id", String(63), nullable=False),
    Column("village_id", String(63), nullable=False),
    Column("display_name", String(100), nullable=False),
    Column("id_hash", String(64), nullable=False, unique=True),
    Column("id_cipher", Text, nullable=False),
    Column("id_masked", String(18), nullable=False),
    Column("gender", Enum(Gender, native_enum=False, length=10), nullable=False),
    Column("birth_date", Date, nullable=False),
    # Read, never searched on: sealed at rest (docs/privacy.md).
    Column("address", SealedText("roster"), nullable=False, default=""),
    Column("phone", SealedText("roster"), nullable=False, default=""),
    Column("version", Integer, nullable=False),
    ForeignKeyConstraint(["town_id", "village_id"], ["villages.town_id", "villages.id"]),
    Index("ix_persons_town_village", "town_id", "village_id", "id"),
)

# History (R6): append-only events, each holding until the next of its kind.
status_changes = Table(
    "status_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(32), ForeignKey("persons.id"), nullable=False),
    Column("status", Enum(PersonStatus, native_enum=False, length=20), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("reason", String(200), nullable=False, default=""),
    Column("request_id", String(100), nullable=True, unique=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("person_id", "effective_date"),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("person_id", String(32), ForeignKey("persons.id"), nullable=False),
    Column("assessor", String(200), nullable=False),
    Column("assessment_date", Date, nullable=False),
    *(
        Column(i, Boolean, nullable=False)
        for i in ("eating", "dressing", "transferring", "toileting", "indoor_walking", "bathing")
    ),
    Column("care_level", Enum(CareLevel, native_enum=False, length=20), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("person_id", "assessment_date"),
)

reassessments = Table(
    "reassessments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("person_id", String(32), ForeignKey("persons.id"), nullable=False, index=True),
    Column("reported_date", Date, nullable=False),
    Column("description", String(500), nullable=False, default=""),
    Column("due_date", Date, nullable=False),
    Column("due_date_basis", Enum(CalendarBasis, native_enum=False, length=20), nullable=False),
    Column("assessment_id", String(32), ForeignKey("assessments.id"), nullable=True),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("person_id", String(32), ForeignKey("persons.id"), nullable=False),
    Column("worker", String(100), nullable=False, index=True),
    Column("start_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("person_id", "start_date"),
)

substitutions = Table(
    "substitutions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("town_id", String(63), ForeignKey("towns.id"), nullable=False, index=True),
    Column("worker", String(100), nullable=False, index=True),
    Column("substitute", String(100), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("reason", String(200), nullable=False, default=""),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("person_id", String(32), ForeignKey("persons.id"), nullable=False, index=True),
    Column("town_id", String(63), nullable=False),
    Column("village_id", String(63), nullable=False),
    Column("worker", String(100), nullable=False),
    Column("signed_date", Date, nullable=False),
    Column("document_reference", String(200), nullable=False),
)

# Item 8 of issue 3: rows of a file being imported, prepared and staged batch by batch, applied
# together by CommitPersonImport (person_import_repository.py). Enum columns hold the same names
# as the tables they are copied into.
person_import_staging = Table(
    "person_import_staging",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("row_number", Integer, primary_key=True),
    Column("op", String(8), nullable=False),
    Column("person_id", String(32), nullable=False),
    Column("town_id", String(63), nullable=False),
    Column("village_id", String(63), nullable=False),
    Column("display_name", String(100), nullable=False),
    Column("id_hash", String(64), nullable=False),
    Column("id_cipher", Text, nullable=True),
    Column("id_masked", String(18), nullable=False),
    Column("gender", Enum(Gender, native_enum=False, length=10), nullable=False),
    Column("birth_date", Date, nullable=False),
    # Read, never searched on: sealed at rest (docs/privacy.md).
    Column("address", SealedText("roster"), nullable=False),
    Column("phone", SealedText("roster"), nullable=False),
    Column("expected_version", Integer, nullable=True),
    Column("effective_date", Date, nullable=False),
    Column("assessment_id", String(32), nullable=True),
    Column("assessor", String(200), nullable=True),
    Column("assessment_date", Date, nullable=True),
    *(
        Column(i, Boolean, nullable=True)
        for i in ("eating", "dressing", "transferring", "toileting", "indoor_walking", "bathing")
    ),
    Column("care_level", Enum(CareLevel, native_enum=False, length=20), nullable=True),
    Column("staged_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("import_id", "id_hash"),
)

_mapped = False


def start_mappers() -> None:
    """Maps the domain classes once per process (never at import)."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(Town, towns, version_id_col=towns.c.version)
    mapper_registry.map_imperatively(Village, villages, version_id_col=villages.c.version)
    mapper_registry.map_imperatively(Person, persons, version_id_col=persons.c.version)
    mapper_registry.map_imperatively(
        StatusChange, status_changes, exclude_properties=["recorded_at"]
    )
    mapper_registry.map_imperatively(Assessment, assessments, exclude_properties=["recorded_at"])
    mapper_registry.map_imperatively(Reassessment, reassessments)
    mapper_registry.map_imperatively(Assignment, assignments, exclude_properties=["recorded_at"])
    mapper_registry.map_imperatively(Substitution, substitutions)
    mapper_registry.map_imperatively(Agreement, agreements)
    _mapped = True
