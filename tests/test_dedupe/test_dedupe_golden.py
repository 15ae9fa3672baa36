"""Golden pairs: the decisions a registrar expects, with an untrained (default) model."""

from __future__ import annotations

import json

import pytest

from dedupe import Model, Record, Settings, blocking_keys, score_pair

SETTINGS = Settings.from_dict(
    {
        "id_column": "id",
        "fields": [
            {"column": "given", "kind": "name", "role": "given_name"},
            {"column": "family", "kind": "name", "role": "family_name"},
            {"column": "dob", "kind": "date", "role": "date_of_birth"},
            {"column": "sex", "kind": "exact"},
            {"column": "mother", "kind": "name", "role": "mother"},
            {"column": "place", "kind": "text"},
        ],
    }
)
MODEL = Model.from_settings(SETTINGS)

BASE = {
    "given": "Mohamed",
    "family": "Abdullahi",
    "dob": "2019-05-13",
    "sex": "M",
    "mother": "Amina Hassan",
    "place": "Garissa",
}


def _record(record_id: str, **changes: str | None) -> Record:
    return Record(record_id, {**BASE, **changes})


MATCHES = {
    "identical": {},
    "spelling variant": {"given": "Muhammad"},
    "transliteration": {"given": "محمد", "family": "عبدالله"},
    "swapped names": {"given": "Abdullahi", "family": "Mohamed"},
    "day/month swap": {"dob": "2019-13-05"},
    "date typo": {"dob": "2019-05-18"},
    "date digit typo": {"dob": "2018-05-13"},
    "late registration, other district": {"place": "Dadaab", "given": "Mohammed"},
    "unnamed first registration": {"given": "Baby of Amina"},
    "empty given name": {"given": ""},
    "empty fields": {"place": None, "sex": None},
}
NON_MATCHES = {
    "twins": {"given": "Ibrahim"},
    "sibling born apart": {"given": "Ibrahim", "dob": "2021-08-02"},
    "same name, other child": {"dob": "2016-02-27", "mother": "Halima Omar", "place": "Wajir"},
    "sibling with the same name": {"dob": "2022-01-20"},
    "different person": {
        "given": "Ali",
        "family": "Warsame",
        "dob": "2018-11-02",
        "mother": "Sahra Ali",
    },
}


@pytest.mark.parametrize("changes", MATCHES.values(), ids=MATCHES.keys())
def test_golden_matches(changes: dict[str, str | None]) -> None:
    """Re-registrations of the same child are matched."""
    candidate = score_pair(_record("a"), _record("b", **changes), MODEL)
    assert candidate.probability >= SETTINGS.threshold, candidate.explain()


@pytest.mark.parametrize("changes", NON_MATCHES.values(), ids=NON_MATCHES.keys())
def test_golden_non_matches(changes: dict[str, str | None]) -> None:
    """Twins, siblings and other children are not matched."""
    candidate = score_pair(_record("a"), _record("b", **changes), MODEL)
    assert candidate.probability < SETTINGS.threshold, candidate.explain()


def test_twins_are_vetoed_and_explained() -> None:
    """Twins carry a named rule with a negative weight in the explanation."""
    candidate = score_pair(_record("a"), _record("b", given="Ibrahim"), MODEL)
    assert [hit.rule for hit in candidate.rules] == ["twins"]
    assert candidate.rules[0].weight < 0
    assert any(entry.get("rule") == "twins" for entry in candidate.explain())


def test_levels_of_a_transliterated_swapped_record() -> None:
    """The explanation names the level of each field."""
    other = _record("b", given="محمد", dob="2019-13-05", place=None)
    candidate = score_pair(_record("a"), other, MODEL)
    assert candidate.level("given") == "phonetic"
    assert candidate.level("dob") == "transposed"
    assert candidate.level("place") == "missing"
    assert candidate.fields[-1].weight == 0.0


def test_explanation_is_serialisable_and_adds_up() -> None:
    """The explanation is JSON and its weights add up to the match weight."""
    candidate = score_pair(_record("a"), _record("b", given="Ibrahim"), MODEL)
    explanation = json.loads(json.dumps(candidate.explain()))
    total = candidate.prior_weight + sum(entry["weight"] for entry in explanation)
    assert total == pytest.approx(candidate.match_weight, abs=1e-3)
    first = explanation[0]
    assert set(first) >= {"field", "left", "right", "level", "similarity", "weight"}
    assert (first["left"], first["right"], first["level"]) == ("mohamed", "ibrahim", "else")


@pytest.mark.parametrize(
    "changes",
    [
        {"given": "Mohammad", "dob": "2019-13-05"},
        {"family": "Abdulahi", "dob": "2019-13-05"},
        {"given": "Abdullahi", "family": "Mohamed"},
        {"given": "محمد", "family": "عبدالله"},
    ],
)
def test_late_registration_shares_a_blocking_key(changes: dict[str, str]) -> None:
    """A misspelt, swapped or transliterated re-registration still meets its original."""
    original = set(blocking_keys(_record("a"), SETTINGS))
    late = set(blocking_keys(_record("b", **changes), SETTINGS))
    assert original & late


def test_unrelated_records_share_no_blocking_key() -> None:
    """Blocking keeps unrelated records apart."""
    other = _record("b", given="Ali", family="Warsame", dob="2010-03-01", mother="Sahra Ali")
    assert not set(blocking_keys(_record("a"), SETTINGS)) & set(blocking_keys(other, SETTINGS))


def test_unnamed_registration_a_year_off_meets_its_original_through_the_mother() -> None:
    """A first registration with no given name and the wrong year shares a key with the later
    one (the mother's name), and is scored as the same child, not as a sibling."""
    unnamed = _record("b", given=None, family="Abdulahi", dob="2018-05-13")
    assert set(blocking_keys(_record("a"), SETTINGS)) & set(blocking_keys(unnamed, SETTINGS))
    named_late = _record("c", dob="2018-05-15")
    candidate = score_pair(_record("a"), named_late, MODEL)
    assert candidate.level("dob") == "year_off"
    assert not candidate.rules
