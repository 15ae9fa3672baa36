"""Certificate serials and their Damm check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificates import InvalidCertificateData, check_serial, make_serial

numbers = st.integers(min_value=0, max_value=10**10)
years = st.none() | st.integers(min_value=1000, max_value=9999)


def test_serial_has_documented_shape() -> None:
    """It formats year, zero-padded number and check digit with hyphens."""
    assert make_serial(123, year=2024) == "2024-00000123-4"
    assert make_serial(7) == "00000007-" + make_serial(7)[-1]


@given(numbers, years)
def test_made_serials_check(number: int, year: int | None) -> None:
    """It accepts every serial it makes, with or without separators."""
    serial = make_serial(number, year=year)
    assert check_serial(serial)
    assert check_serial(serial.replace("-", ""))
    assert check_serial(serial.replace("-", " "))


@given(numbers, years, st.data())
def test_single_digit_errors_are_caught(number: int, year: int | None, data: st.DataObject) -> None:
    """It rejects a serial with any one digit changed."""
    digits = make_serial(number, year=year).replace("-", "")
    position = data.draw(st.integers(0, len(digits) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != digits[position]]))
    assert not check_serial(digits[:position] + wrong + digits[position + 1 :])


@given(numbers, years, st.data())
def test_adjacent_transpositions_are_caught(
    number: int, year: int | None, data: st.DataObject
) -> None:
    """It rejects a serial with two different neighbouring digits swapped."""
    digits = make_serial(number, year=year).replace("-", "")
    swappable = [i for i in range(len(digits) - 1) if digits[i] != digits[i + 1]]
    if not swappable:
        return
    i = data.draw(st.sampled_from(swappable))
    assert not check_serial(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])


@pytest.mark.parametrize("text", ["", "7", "2024-ABC-1", "12a4", "٣٤٥"])
def test_garbage_is_not_a_serial(text: str) -> None:
    """It rejects empty, one-digit and non-ASCII-digit input instead of raising."""
    assert not check_serial(text)


def test_bad_arguments_are_refused() -> None:
    """It refuses a negative number and a year without four digits."""
    with pytest.raises(InvalidCertificateData):
        make_serial(-1)
    with pytest.raises(InvalidCertificateData):
        make_serial(1, year=24)
