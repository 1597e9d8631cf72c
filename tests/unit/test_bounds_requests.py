"""Bounds and errors (issue 11 item 7): every string and list of a request has a maximum size,
years outside 1900-2100 and JSON nested without end are input errors (400), never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.type import date_pb2
from sgz.visit.v1 import ledger_pb2, visit_pb2

from sgz_runtime import identity
from sgz_runtime.errors import InvalidArgument
from sgz_runtime.identity import CallContext, Caller, Role, ScopeLevel
from sgz_runtime.proto_values import (
    check_bounds,
    date_from_pb,
    json_depth,
    parse_json,
    timestamp_from_pb,
)
from visit_svc.service_layer.common import scoped_request_id


def _fields(error: InvalidArgument) -> list[str]:
    return [v.field for v in error.violations]


def test_a_visit_note_of_3_5_mb_is_refused_naming_the_field() -> None:
    request = visit_pb2.CreateVisitRequest(
        visit=visit_pb2.Visit(person="persons/p", worker="workers/w", notes="脏" * 3_500_000)
    )
    with pytest.raises(InvalidArgument) as refused:
        check_bounds(request)
    assert _fields(refused.value) == ["visit.notes"]


def test_every_oversized_field_is_reported_at_once() -> None:
    request = ledger_pb2.CorrectLedgerEntryRequest(
        name="towns/t/ledgerEntries/" + "9" * 400, payload_json="{}", reason="r" * 2001
    )
    with pytest.raises(InvalidArgument) as refused:
        check_bounds(request)
    assert sorted(_fields(refused.value)) == ["name", "reason"]


def test_a_request_within_its_bounds_passes() -> None:
    check_bounds(
        ledger_pb2.CorrectLedgerEntryRequest(
            name="towns/t/ledgerEntries/1", payload_json='{"note": "饮食正常"}', reason="录入错误"
        )
    )
    check_bounds(visit_pb2.CreateVisitRequest(visit=visit_pb2.Visit(notes="n" * 2000)))


def test_a_list_longer_than_its_bound_is_refused() -> None:
    request = visit_pb2.Visit(escalations=["escalations/e"] * 10_001)
    with pytest.raises(InvalidArgument) as refused:
        check_bounds(request)
    assert _fields(refused.value) == ["escalations"]


@pytest.mark.parametrize("year", [1, 1899, 2101, 9999])
def test_dates_outside_1900_to_2100_are_input_errors(year: int) -> None:
    with pytest.raises(InvalidArgument) as refused:
        date_from_pb(date_pb2.Date(year=year, month=1, day=1), "start_date")
    assert _fields(refused.value) == ["start_date"]


def test_dates_at_the_edges_of_the_range_are_taken() -> None:
    assert date_from_pb(date_pb2.Date(year=1900, month=1, day=1), "d") == dt.date(1900, 1, 1)
    assert date_from_pb(date_pb2.Date(year=2100, month=12, day=31), "d") == dt.date(2100, 12, 31)


@pytest.mark.parametrize("seconds", [-62135596800, 253402300799, -2208988801])
def test_times_outside_the_range_are_input_errors_not_overflow(seconds: int) -> None:
    """Year 1, year 9999 and one second before 1900 (-2208988800 is 1900-01-01T00:00Z)."""
    with pytest.raises(InvalidArgument):
        timestamp_from_pb(Timestamp(seconds=seconds), "visit.visit_time")
    assert timestamp_from_pb(Timestamp(seconds=-2208988800)).year == 1900


def test_json_nested_50000_deep_is_refused_without_recursion() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    assert json_depth(deep) == 50_000
    with pytest.raises(InvalidArgument) as refused:
        parse_json(deep, "payload_json")
    assert _fields(refused.value) == ["payload_json"]


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = '{"note": "[[[[{{{{ \\" ]]"}'
    assert json_depth(text) == 1
    assert parse_json(text, "payload_json") == {"note": '[[[[{{{{ " ]]'}


def test_text_that_is_not_json_is_an_input_error() -> None:
    with pytest.raises(InvalidArgument):
        parse_json("{not json", "payload_json")


def test_request_ids_are_scoped_per_caller() -> None:
    """Issue 11 item 7: the same id from two callers is two keys; from one caller, one."""
    keys = []
    for subject in ("users/town-a", "users/town-b", "users/town-a"):
        caller = Caller(subject, Role.STATION_WORKER, ScopeLevel.TOWN, "towns/a")
        tokens = identity.bind(CallContext(caller, "t", "r", 1e18), "r")
        try:
            keys.append(scoped_request_id("visit-2026-11-23-001"))
        finally:
            identity.unbind(tokens)
    assert keys[0] != keys[1] and keys[0] == keys[2]
