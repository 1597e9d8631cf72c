"""Rule R2: the 18-digit resident ID number (GB 11643-1999), and how much of it a response shows.

Pure: no SQL, no gRPC. The mask keeps the 6-digit address code only: the birth date, the
sequence and the check digit are all hidden, so a masked number and the birth year and gender
shown beside it never add up to the number (docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass

from sgz_runtime.errors import InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.pii.address_codes import address_code_warning

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
#: Characters of the number a mask keeps: the address code (where the number was issued).
MASK_KEEPS = 6
LENGTH = 18


class Gender(enum.Enum):
    MALE = "male"
    FEMALE = "female"


@dataclass(frozen=True)
class ResidentId:
    """A valid ID number and what it says; `warnings` never block (R2)."""

    number: str
    address_code: str
    birth_date: dt.date
    gender: Gender
    warnings: tuple[str, ...] = ()

    @property
    def masked(self) -> str:
        return mask(self.number)


def check_digit(first17: str) -> str:
    """The check digit of 17 digits: "10X98765432"[sum(a_i * w_i) mod 11] (R2)."""
    return _CHECK[sum(int(a) * w for a, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def mask(number: str) -> str:
    """The address code kept, everything else hidden: 320621************. Also accepts an
    already masked number (of any earlier mask form) and masks it the same way."""
    return number[:MASK_KEEPS] + "*" * (LENGTH - MASK_KEEPS)


def parse(raw: str, today: dt.date, field: str = "person.id_number") -> ResidentId:
    """The ResidentId of raw, or InvalidArgument on `field` citing R2.

    Blanks around it are dropped and a lowercase x becomes X (R2)."""
    number = raw.strip().upper()
    if not _SHAPE.match(number):
        raise InvalidArgument.field(
            field, tr("must be 17 digits and a check digit (0-9 or X)"), rule="R2"
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidArgument.field(
            field, tr("has an impossible birth date {digits}", digits=number[6:14]), rule="R2"
        ) from None
    if birth > today:
        raise InvalidArgument.field(
            field, tr("has a birth date {date} in the future", date=str(birth)), rule="R2"
        )
    if check_digit(number[:17]) != number[17]:
        raise InvalidArgument.field(field, tr("has a wrong check digit"), rule="R2")
    warning = address_code_warning(number[:6])
    return ResidentId(
        number=number,
        address_code=number[:6],
        birth_date=birth,
        gender=Gender.MALE if int(number[16]) % 2 else Gender.FEMALE,
        warnings=(warning,) if warning else (),
    )


def masked_warnings(masked: str) -> tuple[str, ...]:
    """The non-blocking warnings readable from a masked number (its address code)."""
    warning = address_code_warning(masked[:6])
    return (warning,) if warning else ()


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years of age on day (a 29 February birthday counts from 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
