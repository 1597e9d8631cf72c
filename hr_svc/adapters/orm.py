"""Tables of the HR database, mapped onto the domain classes."""

from __future__ import annotations

from sqlalchemy import Column, Enum, Integer, MetaData, String, Table
from sqlalchemy.orm import registry

from hr_svc.domain.workers import Worker, WorkerRole

metadata = MetaData()
mapper_registry = registry(metadata=metadata)

workers = Table(
    "workers",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(63), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("town", String(80), nullable=False, index=True),
    Column("role", Enum(WorkerRole, native_enum=False, length=20), nullable=False),
    Column("version", Integer, nullable=False),
)

_mapped = False


def start_mappers() -> None:
    """Maps the domain classes once per process (never at import)."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(Worker, workers, version_id_col=workers.c.version)
    _mapped = True
