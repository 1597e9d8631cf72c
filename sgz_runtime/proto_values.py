"""Conversions of the shared proto value types (dates, times, periods), written once for every
service: google.type.Date, google.protobuf.Timestamp/Duration and sgz.common.v1.Period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from google.type import date_pb2
from sgz.common.v1 import types_pb2

from sgz_runtime.errors import InvalidArgument


def date_to_pb(day: date | None) -> date_pb2.Date | None:
    """A google.type.Date; None stays None, so a message field built from it stays unset."""
    if day is None:
        return None
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def date_from_pb(message: date_pb2.Date, field: str) -> date | None:
    """The date; None when unset (all zero); INVALID_ARGUMENT naming field when impossible."""
    if message.year == 0 and message.month == 0 and message.day == 0:
        return None
    try:
        return date(message.year, message.month, message.day)
    except ValueError:
        raise InvalidArgument.field(field, "is not a real calendar date") from None


def required_date(message: date_pb2.Date, field: str) -> date:
    """The date, refused naming field when unset or impossible."""
    value = date_from_pb(message, field)
    if value is None:
        raise InvalidArgument.field(field, "is required")
    return value


def timestamp_to_pb(moment: datetime | None) -> Timestamp | None:
    """A Timestamp of an aware datetime; None stays None."""
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def timestamp_from_pb(message: Timestamp) -> datetime:
    """The moment, timezone-aware in UTC."""
    return message.ToDatetime(tzinfo=UTC)


def duration_to_pb(span: timedelta) -> Duration:
    duration = Duration()
    duration.FromTimedelta(span)
    return duration


def period_to_pb(first: date, last: date) -> types_pb2.Period:
    """The closed period from first to last, both days included."""
    return types_pb2.Period(start_date=date_to_pb(first), end_date=date_to_pb(last))


def period_from_pb(message: types_pb2.Period, field: str = "period") -> tuple[date, date]:
    """The first and last day of a closed period; refused naming the field when unset or
    when it ends before it starts."""
    first = required_date(message.start_date, f"{field}.start_date")
    last = required_date(message.end_date, f"{field}.end_date")
    if last < first:
        raise InvalidArgument.field(f"{field}.end_date", "must be on or after start_date")
    return first, last
