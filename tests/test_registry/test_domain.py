"""Pure rules: timeliness bands, check characters, ICD-10 checks, schema validators."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from registry.domain import (
    LegalPeriods,
    Timeliness,
    check_character,
    icd10_chapter,
    icd10_is_well_formed,
    is_valid_check_character,
)
from registry.schemas.records import BirthIn, DeathIn
from tests import factories

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@given(
    event=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    days=st.integers(0, 5000),
    current=st.integers(1, 200),
    extra=st.integers(1, 800),
)
def test_every_day_falls_in_exactly_one_band(
    event: date, days: int, current: int, extra: int
) -> None:
    periods = LegalPeriods(current, current + extra)
    band = periods.band(event, event + timedelta(days=days))
    expected = (
        Timeliness.CURRENT
        if days <= current
        else Timeliness.LATE
        if days <= current + extra
        else Timeliness.DELAYED
    )
    assert band is expected


def test_band_boundaries_across_a_leap_day() -> None:
    births = LegalPeriods(30, 365)
    born = date(2024, 2, 15)  # 2024 is a leap year: 29 February lies inside the window
    assert births.band(born, date(2024, 3, 16)) is Timeliness.CURRENT  # day 30
    assert births.band(born, date(2024, 3, 17)) is Timeliness.LATE  # day 31
    assert births.band(born, date(2025, 2, 14)) is Timeliness.LATE  # day 365
    assert births.band(born, date(2025, 2, 15)) is Timeliness.DELAYED  # day 366


bodies = st.text(alphabet=ALNUM + "-", min_size=1, max_size=24).filter(
    lambda s: any(c in ALNUM for c in s)
)


@given(body=bodies, data=st.data())
def test_the_check_character_catches_every_single_substitution(body: str, data: Any) -> None:
    number = f"{body}-{check_character(body)}"
    assert is_valid_check_character(number)
    positions = [i for i, c in enumerate(body) if c in ALNUM]
    i = data.draw(st.sampled_from(positions))
    replacement = data.draw(st.sampled_from([c for c in ALNUM if c != body[i]]))
    typo = body[:i] + replacement + body[i + 1 :]
    assert not is_valid_check_character(f"{typo}-{check_character(body)}")


@pytest.mark.parametrize(
    ("code", "well_formed", "chapter"),
    [
        ("J18.9", True, "J00-J99"),
        ("A09", True, "A00-B99"),
        ("D48.1", True, "C00-D48"),
        ("D49", True, None),
        ("H59", True, "H00-H59"),
        ("H60", True, "H60-H95"),
        ("V01", True, "V01-Y98"),
        ("V00", True, None),
        ("S72.0", True, None),
        ("Z99", True, None),
        ("j18.9", False, None),
        ("J1", False, None),
        ("J18.", False, None),
        ("J18.999", False, None),
    ],
)
def test_icd10_shape_and_chapter(code: str, well_formed: bool, chapter: str | None) -> None:
    assert icd10_is_well_formed(code) is well_formed
    assert icd10_chapter(code) == chapter


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(mutation=st.dictionaries(st.sampled_from(list(factories.BIRTH)), json_values, max_size=3))
def test_birth_validation_either_loads_or_names_fields(mutation: dict[str, Any]) -> None:
    body = factories.birth() | mutation
    try:
        loaded = BirthIn().load(body)
    except ValidationError as exc:
        assert isinstance(exc.messages, dict)
        assert set(exc.messages) <= set(body) | {"_schema"}
    else:
        assert loaded["child"]["date_of_birth"] <= date.today() + timedelta(days=1)


@given(
    mutation=st.dictionaries(st.sampled_from(list(factories.DEATH)), json_values, max_size=3),
)
def test_death_validation_either_loads_or_names_fields(mutation: dict[str, Any]) -> None:
    body = factories.death() | mutation
    try:
        loaded = DeathIn().load(body)
    except ValidationError as exc:
        assert isinstance(exc.messages, dict)
    else:
        born = loaded["deceased"].get("date_of_birth")
        assert born is None or born <= loaded["date_of_death"]


@given(age=st.integers(0, 80))
def test_mother_age_at_birth_must_be_10_to_60(age: int) -> None:
    born = date(2026, 6, 1)
    body = factories.birth(None, child={"date_of_birth": born.isoformat()})
    body["mother"]["date_of_birth"] = date(born.year - age, 1, 1).isoformat()
    if 10 <= age <= 60:
        BirthIn().load(body)
    else:
        with pytest.raises(ValidationError) as info:
            BirthIn().load(body)
        assert "date_of_birth" in info.value.messages["mother"]  # type: ignore[index,call-overload]
