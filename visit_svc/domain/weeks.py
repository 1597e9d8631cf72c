"""ISO weeks in China Standard Time (rule V1): Monday to Sunday, UTC+8."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")


def local_date(at: datetime) -> date:
    """The calendar day of an aware instant in China Standard Time."""
    return at.astimezone(CST).date()


def week_start(day: date) -> date:
    """The Monday of the ISO week holding day."""
    return day - timedelta(days=day.weekday())


def start_of_day(day: date) -> datetime:
    """The first instant of day in China Standard Time, as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=CST).astimezone(UTC)


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO week, named like 2026-W48; its days are Monday to Sunday in CST."""

    year: int
    week: int

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """`2026-W48`; ValueError when malformed or not a real week of that year."""
        year_s, _, week_s = text.partition("-W")
        year, week = int(year_s), int(week_s)
        date.fromisocalendar(year, week, 1)  # raises ValueError for week 53 of a 52-week year
        return cls(year, week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]

    def next(self) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(days=7))

    def ends_before(self, at: datetime) -> bool:
        """Whether the whole week is over at the instant at."""
        return start_of_day(self.sunday + timedelta(days=1)) <= at

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def weeks_between(first: IsoWeek, last: IsoWeek) -> list[IsoWeek]:
    """Every week from first to last, both included."""
    out: list[IsoWeek] = []
    week = first
    while week <= last:
        out.append(week)
        week = week.next()
    return out
