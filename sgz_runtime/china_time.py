"""China Standard Time, defined once: the zone of every week, deadline and "today" in sgz."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")

#: The range of calendar years sgz accepts anywhere (dates outside are refused as input errors).
MIN_YEAR = 1900
MAX_YEAR = 2100


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return datetime.now(UTC)


def today() -> date:
    """Today's calendar date in China Standard Time."""
    return datetime.now(CST).date()


def local_date(at: datetime) -> date:
    """The calendar day of an aware instant in China Standard Time."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no place in sgz: give it a timezone")
    return at.astimezone(CST).date()


def start_of_day(day: date) -> datetime:
    """The first instant of day in China Standard Time, as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=CST).astimezone(UTC)


def format_cst(at: datetime) -> str:
    """`2026-11-29 17:05` in China Standard Time, as town staff read times."""
    return at.astimezone(CST).strftime("%Y-%m-%d %H:%M")
