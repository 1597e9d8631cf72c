"""Money, periods and China time: the shared value types, with answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from sgz_runtime import china_time, errors
from sgz_runtime.money import Fen, largest_remainder, round_half_up
from sgz_runtime.periods import Period


def test_fen_prints_yuan_with_two_decimals() -> None:
    assert Fen(1).yuan() == "0.01"
    assert Fen(123405).yuan() == "1234.05"
    assert Fen(-1).yuan() == "-0.01"
    assert str(Fen(100)) == "1.00 元"


def test_fen_refuses_floats() -> None:
    with pytest.raises(TypeError):
        Fen(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "fen"), [("12.5", 1250), ("0.01", 1), ("-3", -300)])
def test_yuan_is_parsed_exactly(text: str, fen: int) -> None:
    assert Fen.parse_yuan(text) == Fen(fen)


@pytest.mark.parametrize("text", ["0.001", "1.005", "abc", ""])
def test_a_fraction_of_a_fen_or_garbage_is_refused(text: str) -> None:
    with pytest.raises(errors.InvalidArgument):
        Fen.parse_yuan(text)


def test_round_half_up_by_hand() -> None:
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(7, 3)) == 2
    assert round_half_up(Fraction(-5, 2)) == -3
    assert round_half_up(Fraction(249, 100)) == 2


def test_largest_remainder_by_hand() -> None:
    # 100 fen over 1:1:1 -> 33.33 each, one fen left to the first (ties to the earlier index).
    assert largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    # 10 over 5:3:2 exact.
    assert largest_remainder(10, [5, 3, 2]) == [5, 3, 2]
    # 7 over 1:2:4 -> 1, 2, 4 exact; 8 over 1:2:4 -> 1.14, 2.29, 4.57 -> floors 1,2,4, +1 to 4.57.
    assert largest_remainder(8, [1, 2, 4]) == [1, 2, 5]
    assert largest_remainder(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        largest_remainder(5, [0, 0])


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_periods_by_their_names(text: str, first: date, last: date) -> None:
    period = Period.parse(text)
    assert (period.first, period.last, period.name) == (first, last, text)


@pytest.mark.parametrize("text", ["2026H3", "2026-13", "26H1", "9999H1", "", "2026h1"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(errors.InvalidArgument):
        Period.parse(text)


def test_half_year_has_six_months() -> None:
    assert Period.parse("2026H2").months() == [(2026, m) for m in range(7, 13)]


def test_china_day_starts_at_16_utc() -> None:
    assert china_time.local_date(datetime(2026, 11, 29, 15, 59, tzinfo=UTC)) == date(2026, 11, 29)
    assert china_time.local_date(datetime(2026, 11, 29, 16, 0, tzinfo=UTC)) == date(2026, 11, 30)
    assert china_time.start_of_day(date(2026, 11, 30)) == datetime(2026, 11, 29, 16, tzinfo=UTC)
    with pytest.raises(ValueError):
        china_time.local_date(datetime(2026, 11, 29))
