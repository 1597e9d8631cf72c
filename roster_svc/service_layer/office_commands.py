"""The commands of the town office's calls (office.py, place_import.py): one frozen,
keyword-only dataclass per use case, built by the servicer from the request."""

from __future__ import annotations

from dataclasses import dataclass, field

from roster_svc.domain.assessments import Assessment
from roster_svc.domain.places import TownKind, VillageKind


@dataclass(frozen=True, kw_only=True)
class UpdateTown:
    name: str
    display_name: str
    administrative_code: str
    kind: TownKind | None
    etag: str
    fields: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class SearchPersons:
    parent: str
    query: str
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True, kw_only=True)
class BatchGetPersons:
    names: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CorrectAssessment:
    name: str
    corrected: Assessment
    reason: str
    request_id: str = ""


@dataclass(frozen=True, kw_only=True)
class ExportPersons:
    parent: str
    purpose: str
    reveal_id_numbers: bool = False
    page_size: int = 0
    page_token: str = ""
    #: The page as the roster file's columns: no status, care level or worker is read.
    as_table: bool = False


@dataclass(frozen=True, kw_only=True)
class PlaceRow:
    """One town or village of a places file; kind None = read from the name and the code."""

    row_number: int
    administrative_code: str
    display_name: str
    kind: TownKind | VillageKind | None = None
    contact_name: str = ""
    contact_phone: str = ""
    place_id: str = ""


@dataclass(frozen=True, kw_only=True)
class ImportPlaces:
    rows: tuple[PlaceRow, ...] = field(default_factory=tuple)
    validate_only: bool = False
