"""Working days on the Chinese calendar (rule R4): the State Council's holiday notices as the
`chinesecalendar` package knows them, a configured list for later years, else Monday-Friday.
Pure: no I/O."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import chinese_calendar


class CalendarBasis(enum.IntEnum):
    """Which calendar answered; a larger value is a weaker basis."""

    OFFICIAL = 1
    CONFIGURED = 2
    WEEKDAYS_FALLBACK = 3


def _package_is_workday(day: dt.date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # the package has no data for that year
        return None


@dataclass(frozen=True)
class WorkdayCalendar:
    """Configured holidays and adjusted working days (调休上班) cover the years they name."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    official: Callable[[dt.date], bool | None] = field(default=_package_is_workday)

    @classmethod
    def configured(
        cls, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()
    ) -> WorkdayCalendar:
        return cls(frozenset(holidays), frozenset(workdays))

    def is_workday(self, day: dt.date) -> tuple[bool, CalendarBasis]:
        known = self.official(day)
        if known is not None:
            return known, CalendarBasis.OFFICIAL
        configured_years = {d.year for d in self.holidays | self.workdays}
        if day.year in configured_years:
            if day in self.workdays:
                return True, CalendarBasis.CONFIGURED
            return day.weekday() < 5 and day not in self.holidays, CalendarBasis.CONFIGURED
        return day.weekday() < 5, CalendarBasis.WEEKDAYS_FALLBACK

    def add_working_days(self, start: dt.date, count: int) -> tuple[dt.date, CalendarBasis]:
        """The count-th working day after start (start itself not counted), and the weakest
        basis any day counted on: the answer says when it fell back to Monday-Friday."""
        day, found, basis = start, 0, CalendarBasis.OFFICIAL
        while found < count:
            day += dt.timedelta(days=1)
            working, day_basis = self.is_workday(day)
            basis = max(basis, day_basis)
            if working:
                found += 1
        return day, basis
