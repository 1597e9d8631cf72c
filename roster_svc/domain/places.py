"""Towns and villages, and the rules on their fields. Pure: no SQL, no gRPC."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.pii.phones import normalise_phone

#: A town's statistical division code: its county's 6 digits and 3 of its own.
_TOWN_CODE = re.compile(r"^\d{9}$")


class TownKind(enum.Enum):
    TOWN = "town"
    DISTRICT = "district"
    SUBDISTRICT = "subdistrict"


class VillageKind(enum.Enum):
    VILLAGE = "village"
    COMMUNITY = "community"


@dataclass
class Town:
    id: str
    display_name: str
    administrative_code: str
    kind: TownKind
    version: int = 0

    @property
    def name(self) -> str:
        return f"towns/{self.id}"


@dataclass
class Village:
    town_id: str
    id: str
    display_name: str
    kind: VillageKind
    contact_name: str = ""
    contact_phone: str = ""
    version: int = 0
    #: The 12-digit statistical division code (the town's 9 + 3), when known.
    administrative_code: str | None = None

    @property
    def name(self) -> str:
        return f"towns/{self.town_id}/villages/{self.id}"


def check_town(town: Town, prefix: str = "town.") -> None:
    violations: list[FieldViolation] = []
    if not town.display_name.strip():
        violations.append(FieldViolation(prefix + "display_name", tr("enter the town's name")))
    if not _TOWN_CODE.match(town.administrative_code):
        violations.append(
            FieldViolation(
                prefix + "administrative_code",
                tr(
                    "enter the town's 9-digit statistical division code (the county's 6 digits "
                    "and 3 of the town's own, e.g. 320621100)"
                ),
            )
        )
    if violations:
        raise InvalidArgument.of(violations)


def check_village(village: Village, prefix: str = "village.") -> None:
    """Checks the fields and normalises the contact phone in place."""
    violations: list[FieldViolation] = []
    if not village.display_name.strip():
        violations.append(FieldViolation(prefix + "display_name", tr("enter the village's name")))
    if village.contact_phone:
        try:
            village.contact_phone = normalise_phone(village.contact_phone)
        except ValueError as exc:
            violations.append(FieldViolation(prefix + "contact.phone", str(exc)))
    if violations:
        raise InvalidArgument.of(violations)
