"""Rule R2: the resident ID number (GB 11643-1999), with property tests."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgz_runtime.errors import InvalidArgument
from sgz_runtime.pii import resident_id
from sgz_runtime.pii.resident_id import Gender, check_digit

TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_r2_domain_examples_are_valid(number: str) -> None:
    assert resident_id.parse(number, TODAY).number == number


def test_r2_lowercase_x_is_normalised() -> None:
    assert resident_id.parse("11010519491231002x", TODAY).number == "11010519491231002X"


def test_r2_gender_and_birth_date_are_read_from_the_number() -> None:
    parsed = resident_id.parse("440524188001010014", TODAY)
    assert parsed.birth_date == dt.date(1880, 1, 1)
    assert parsed.gender is Gender.MALE  # 17th digit 1 is odd
    assert resident_id.parse("11010519491231002X", TODAY).gender is Gender.FEMALE


def test_masked_number_keeps_only_the_address_code() -> None:
    assert resident_id.mask("11010519491231002X") == "110105************"
    assert resident_id.mask("110105********002X") == "110105************"  # an older mask


def test_r2_retired_address_code_is_valid_without_warning() -> None:
    number = "320621194912310" + "00"
    number += check_digit(number)
    assert resident_id.parse(number, TODAY).warnings == ()


def test_r2_unknown_address_code_warns_and_never_blocks() -> None:
    number = "990101195001010" + "01"
    number += check_digit(number)
    parsed = resident_id.parse(number, TODAY)
    assert parsed.number == number
    assert parsed.warnings and "99" in parsed.warnings[0]


def _refused(number: str) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as info:
        resident_id.parse(number, TODAY)
    assert info.value.rule == "R2"
    assert [v.field for v in info.value.violations] == ["person.id_number"]
    return info.value


def test_r2_wrong_check_digit_is_refused() -> None:
    assert "check digit" in _refused("110105194912310021").message


def test_r2_impossible_birth_date_is_refused() -> None:
    number = "110105194902300" + "02"
    assert "impossible" in _refused(number + check_digit(number)).message


def test_r2_birth_date_in_the_future_is_refused() -> None:
    number = "110105202612010" + "02"
    assert "future" in _refused(number + check_digit(number)).message


@pytest.mark.parametrize(
    "number", ["", "11010519491231002", "1101051949123100212", "A1010519491231002X"]
)
def test_r2_wrong_shape_is_refused(number: str) -> None:
    assert "17 digits" in _refused(number).message


_birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
_address = st.sampled_from(["320621", "320682", "110105", "440524", "320612"])
_sequence = st.integers(min_value=0, max_value=999)


def _first17(address: str, born: dt.date, sequence: int) -> str:
    return f"{address}{born:%Y%m%d}{sequence:03d}"


@given(_address, _birth_dates, _sequence)
def test_r2_any_valid_17_digits_with_their_check_digit_pass(
    address: str, born: dt.date, sequence: int
) -> None:
    first17 = _first17(address, born, sequence)
    parsed = resident_id.parse(first17 + check_digit(first17), TODAY)
    assert parsed.birth_date == born
    assert parsed.gender is (Gender.MALE if sequence % 2 else Gender.FEMALE)


@given(
    _address,
    _birth_dates,
    _sequence,
    st.integers(min_value=0, max_value=17),
    st.integers(min_value=1, max_value=9),
)
def test_r2_any_single_digit_change_fails(
    address: str, born: dt.date, sequence: int, position: int, delta: int
) -> None:
    first17 = _first17(address, born, sequence)
    number = first17 + check_digit(first17)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    current = alphabet.index(number[position])
    changed = alphabet[(current + delta) % len(alphabet)]
    mutated = number[:position] + changed + number[position + 1 :]
    with pytest.raises(InvalidArgument) as info:
        resident_id.parse(mutated, TODAY)
    assert info.value.rule == "R2"
