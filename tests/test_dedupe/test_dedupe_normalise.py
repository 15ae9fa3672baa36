"""Normalisation of names and dates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedupe import name_skeleton, normalise_name, normalise_text, parse_date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  MÜLLER ", "muller"),
        ("O'Brien", "obrien"),
        ("Al-Hassan", "hassan"),
        ("van der Berg", "berg"),
        ("Jean-Luc  Picard", "jean luc picard"),
        ("محمد", "mhmd"),
        ("Зоя", "zoya"),
        ("Al", "al"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_name(raw: str | None, expected: str) -> None:
    """It folds case, accents and scripts, punctuation and particles."""
    assert normalise_name(raw) == expected


@given(st.text())
def test_normalise_name_is_idempotent(text: str) -> None:
    """Normalising twice gives the same as normalising once."""
    once = normalise_name(text)
    assert normalise_name(once) == once


@given(st.text())
def test_normalise_text_is_idempotent(text: str) -> None:
    """Normalising free text twice gives the same as normalising once."""
    once = normalise_text(text)
    assert normalise_text(once) == once


@pytest.mark.parametrize(
    ("spellings", "same"),
    [
        (["Mohamed", "Muhammad", "Mohammed", "محمد"], True),
        (["Fatima", "Fatimah", "فاطمة"], True),
        (["Yusuf", "Yousef", "يوسف"], True),
        (["Zainab", "Zeinab", "زينب"], True),
        (["Amina", "Fatima"], False),
        (["Omar", "Ahmed"], False),
    ],
)
def test_spelling_families_share_a_skeleton(spellings: list[str], same: bool) -> None:
    """Spelling and transliteration variants of a name share one consonant skeleton."""
    skeletons = {name_skeleton(normalise_name(s)) for s in spellings}
    assert (len(skeletons) == 1) is same


@pytest.mark.parametrize(
    ("raw", "fmt", "parts", "valid"),
    [
        ("2019-05-13", None, (2019, 5, 13), True),
        ("20190513", "%Y%m%d", (2019, 5, 13), True),
        ("13/05/2019", None, (2019, 5, 13), True),
        ("2019-13-05", None, (2019, 13, 5), False),
        ("19560231", "%Y%m%d", (1956, 2, 31), False),
        ("2019", None, (2019, 0, 0), False),
        ("garbage", "%Y%m%d", (0, 0, 0), False),
        ("", None, (0, 0, 0), False),
    ],
)
def test_parse_date_is_lenient(
    raw: str, fmt: str | None, parts: tuple[int, int, int], valid: bool
) -> None:
    """Dates are read leniently; impossible dates keep their parts but have no ordinal."""
    parsed = parse_date(raw, fmt)
    assert (parsed.year, parsed.month, parsed.day) == parts
    assert (parsed.ordinal >= 0) is valid


@given(st.text(max_size=30), st.sampled_from([None, "%Y%m%d", "%d/%m/%Y"]))
def test_parse_date_never_raises(text: str, fmt: str | None) -> None:
    """Any text gives a date or the missing date, never an exception."""
    parsed = parse_date(text, fmt)
    assert parsed.year >= 0
