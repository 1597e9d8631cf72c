"""Rule R2: the resident ID number (GB 11643-1999), with property tests."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgz_runtime.errors import InvalidArgument
from sgz_runtime.pii import resident_id
from sgz_runtime.pii.resident_id import Gender, check_digit
from tests.oracles import resident_ids as oracle

TODAY = dt.date.fromisoformat(oracle.TODAY)


@pytest.mark.parametrize(("first17", "total", "remainder", "check"), oracle.WORKED)
def test_r2_check_digits_match_those_worked_out_by_hand(
    first17: str, total: int, remainder: int, check: str
) -> None:
    """Rule R2, oracle: remainders 2, 0 and 1 give 'X', '1' and '0'; the weights and the
    table are the standard's, checked against the sums written out in the oracle."""
    assert sum(int(a) * w for a, w in zip(first17, oracle.WEIGHTS, strict=True)) == total
    assert total % 11 == remainder and oracle.CHECK_TABLE[remainder] == check
    assert check_digit(first17) == check


@pytest.mark.parametrize("number", oracle.VALID)
def test_r2_known_valid_numbers_pass(number: str) -> None:
    assert resident_id.parse(number, TODAY).number == number


@pytest.mark.parametrize(("number", "gender"), oracle.GENDERS)
def test_r2_gender_is_read_from_the_17th_digit(number: str, gender: str) -> None:
    assert resident_id.parse(number, TODAY).gender is Gender(gender)


def test_r2_lowercase_x_is_normalised() -> None:
    assert resident_id.parse("11010519491231002x", TODAY).number == "11010519491231002X"


def test_r2_birth_date_is_read_from_the_number() -> None:
    parsed = resident_id.parse("440524188001010014", TODAY)
    assert parsed.birth_date == dt.date(1880, 1, 1)


def test_masked_number_keeps_only_the_address_code() -> None:
    assert resident_id.mask("11010519491231002X") == "110105************"
    assert resident_id.mask("110105********002X") == "110105************"  # an older mask


def test_r2_retired_address_code_is_valid_without_warning() -> None:
    assert resident_id.parse(oracle.RETIRED_ADDRESS, TODAY).warnings == ()


def test_r2_unknown_address_code_warns_and_never_blocks() -> None:
    parsed = resident_id.parse(oracle.UNKNOWN_ADDRESS, TODAY)
    assert parsed.number == oracle.UNKNOWN_ADDRESS
    assert parsed.warnings and "99" in parsed.warnings[0]


def _refused(number: str) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as info:
        resident_id.parse(number, TODAY)
    assert info.value.rule == "R2"
    assert [v.field for v in info.value.violations] == ["person.id_number"]
    return info.value


@pytest.mark.parametrize(("number", "why"), oracle.INVALID)
def test_r2_known_invalid_numbers_are_refused_for_their_reason(number: str, why: str) -> None:
    assert why in _refused(number).message


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


@settings(max_examples=60, deadline=None)
@given(_address, _birth_dates, _sequence)
def test_r2_any_valid_17_digits_with_their_check_digit_pass(
    address: str, born: dt.date, sequence: int
) -> None:
    first17 = _first17(address, born, sequence)
    parsed = resident_id.parse(first17 + check_digit(first17), TODAY)
    assert parsed.birth_date == born
    assert parsed.gender is (Gender.MALE if sequence % 2 else Gender.FEMALE)


@settings(max_examples=60, deadline=None)
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
