"""Disbursement and pay periods, defined once: half-years `2026H1` (Jan-Jun) and `2026H2`
(Jul-Dec) (rule F1), and months `2026-03` and years `2026` for assessment (A2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sgz_runtime.china_time import MAX_YEAR, MIN_YEAR
from sgz_runtime.errors import InvalidArgument
from sgz_runtime.i18n import tr

_FORMS = re.compile(r"^(?P<year>\d{4})(?:H(?P<half>[12])|-(?P<month>\d{2}))?$")


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of months: a half-year, a month or a year, named as users type it."""

    first: date
    last: date
    name: str

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        """`2026H1`, `2026H2`, `2026-03` or `2026`; anything else is refused naming field."""
        found = _FORMS.match(text.strip()) if text else None
        if not found:
            raise InvalidArgument.field(
                field,
                tr("{value} is not a period (2026H1, 2026H2, 2026-03 or 2026)", value=text),
            )
        year = int(found["year"])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InvalidArgument.field(
                field, tr("the year must be {low} to {high}", low=MIN_YEAR, high=MAX_YEAR)
            )
        if found["half"]:
            return cls.half_year(year, int(found["half"]))
        if found["month"]:
            month = int(found["month"])
            if not 1 <= month <= 12:
                raise InvalidArgument.field(
                    field,
                    tr("{value} is not a period (2026H1, 2026H2, 2026-03 or 2026)", value=text),
                )
            return cls.month(year, month)
        return cls(date(year, 1, 1), date(year, 12, 31), f"{year:04d}")

    @classmethod
    def half_year(cls, year: int, half: int) -> Period:
        if half == 1:
            return cls(date(year, 1, 1), date(year, 6, 30), f"{year:04d}H1")
        return cls(date(year, 7, 1), date(year, 12, 31), f"{year:04d}H2")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        following = date(year + (month == 12), month % 12 + 1, 1)
        return cls(date(year, month, 1), following - timedelta(days=1), f"{year:04d}-{month:02d}")

    @classmethod
    def half_year_of(cls, day: date) -> Period:
        return cls.half_year(day.year, 1 if day.month <= 6 else 2)

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of each month of the period, in order."""
        out: list[tuple[int, int]] = []
        y, m = self.first.year, self.first.month
        while (y, m) <= (self.last.year, self.last.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def __str__(self) -> str:
        return self.name
