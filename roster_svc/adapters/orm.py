"""Tables of the roster database, mapped onto the domain classes."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Enum,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
)
from sqlalchemy.orm import registry

from roster_svc.domain.places import Town, TownKind, Village, VillageKind

metadata = MetaData()
mapper_registry = registry(metadata=metadata)

towns = Table(
    "towns",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("administrative_code", String(6), nullable=False, unique=True),
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

_mapped = False


def start_mappers() -> None:
    """Maps the domain classes once per process (never at import)."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(Town, towns, version_id_col=towns.c.version)
    mapper_registry.map_imperatively(Village, villages, version_id_col=villages.c.version)
    _mapped = True
