"""Conversions of the shared proto value types (dates, times, periods), written once for every
service: google.type.Date, google.protobuf.Timestamp/Duration and sgz.common.v1.Period; and the
bounds every request is held to (sizes of strings and lists, JSON depth; docs/privacy.md)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.type import date_pb2
from sgz.common.v1 import types_pb2

from sgz_runtime.china_time import MAX_YEAR, MIN_YEAR
from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr


def date_to_pb(day: date | None) -> date_pb2.Date | None:
    """A google.type.Date; None stays None, so a message field built from it stays unset."""
    if day is None:
        return None
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def date_from_pb(message: date_pb2.Date, field: str) -> date | None:
    """The date; None when unset (all zero); INVALID_ARGUMENT naming field when impossible."""
    if message.year == 0 and message.month == 0 and message.day == 0:
        return None
    _check_year(message.year, field)
    try:
        return date(message.year, message.month, message.day)
    except ValueError:
        raise InvalidArgument.field(field, "is not a real calendar date") from None


def _check_year(year: int, field: str) -> None:
    """Years outside MIN_YEAR..MAX_YEAR are input errors, never an OverflowError further on."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidArgument.field(
            field, tr("the year must be {low} to {high}", low=MIN_YEAR, high=MAX_YEAR)
        )


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


def timestamp_from_pb(message: Timestamp, field: str = "time") -> datetime:
    """The moment, timezone-aware in UTC; refused naming field outside years 1900-2100."""
    if not _MIN_SECONDS <= message.seconds <= _MAX_SECONDS:
        raise InvalidArgument.field(
            field, tr("the year must be {low} to {high}", low=MIN_YEAR, high=MAX_YEAR)
        )
    return message.ToDatetime(tzinfo=UTC)


_MIN_SECONDS = int(datetime(MIN_YEAR, 1, 1, tzinfo=UTC).timestamp())
_MAX_SECONDS = int(datetime(MAX_YEAR, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())


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


# --- Bounds (issue 11 item 7): every string and list of every request has a maximum size. ---

#: Characters a string field may hold unless named below.
MAX_STRING = 2000
#: Items a repeated field may hold unless named below (an import's 5000 rows fit).
MAX_REPEATED = 10000
#: Fields with their own limits, by field name.
STRING_LIMITS: dict[str, int] = {
    "payload_json": 65536,
    "page_token": 4096,
    "purpose": 500,
    "request_id": 128,
    "id_number": 32,
    "phone": 32,
    "display_name": 200,
    "name": 300,
    "parent": 300,
}
#: How deep a JSON value given as text may nest (a 50,000-deep one once overflowed the stack).
MAX_JSON_DEPTH = 32


def check_bounds(message: Message) -> None:
    """Refuses, with every violation at once, a request whose strings or lists are larger than
    their bounds (checked for every RPC by the server's interceptor)."""
    violations: list[FieldViolation] = []
    _walk(message, "", violations, 0)
    if violations:
        raise InvalidArgument.of(violations)


def _walk(message: Message, prefix: str, violations: list[FieldViolation], depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        violations.append(FieldViolation(prefix.rstrip("."), tr("is nested too deeply")))
        return
    for field, value in message.ListFields():
        path = prefix + field.name
        if field.is_repeated:  # type: ignore[attr-defined]
            if len(value) > MAX_REPEATED:
                violations.append(
                    FieldViolation(path, tr("holds at most {limit} items", limit=MAX_REPEATED))
                )
                continue
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                if field.message_type is not None and field.message_type.GetOptions().map_entry:
                    continue
                for i, item in enumerate(value):
                    _walk(item, f"{path}[{i}].", violations, depth + 1)
                    if len(violations) >= 20:
                        return
            elif field.type == FieldDescriptor.TYPE_STRING:
                limit = STRING_LIMITS.get(field.name, MAX_STRING)
                for i, item in enumerate(value):
                    if len(item) > limit:
                        violations.append(_too_long(f"{path}[{i}]", limit))
                        break
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            _walk(value, path + ".", violations, depth + 1)
        elif field.type == FieldDescriptor.TYPE_STRING:
            limit = STRING_LIMITS.get(field.name, MAX_STRING)
            if len(value) > limit:
                violations.append(_too_long(path, limit))


def _too_long(path: str, limit: int) -> FieldViolation:
    return FieldViolation(path, tr("must be at most {limit} characters", limit=limit))


def json_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest, read without parsing it (so a
    hostile depth cannot exhaust the stack); brackets inside strings do not count."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_json(text: str, field: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON value given as text, refused naming field (400, never a RecursionError) when it is
    not JSON or nests deeper than max_depth."""
    if json_depth(text) > max_depth:
        raise InvalidArgument.field(field, tr("nests deeper than {limit} levels", limit=max_depth))
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidArgument.field(field, tr("is not JSON")) from None
