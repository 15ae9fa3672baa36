"""Scoring properties, models, one-record lookups and clustering."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dedupe import (
    Candidate,
    FieldComparison,
    InputError,
    Model,
    ModelError,
    Record,
    Settings,
    SettingsError,
    blocking_keys,
    cluster,
    find_duplicates,
    link,
    score_candidates,
    score_pair,
)

SETTINGS = Settings.from_dict(
    {
        "fields": [
            {"column": "given", "kind": "name", "role": "given_name"},
            {"column": "family", "kind": "name", "role": "family_name"},
            {"column": "dob", "kind": "date", "role": "date_of_birth"},
            {"column": "mother", "kind": "name", "role": "mother"},
            {"column": "nid", "kind": "id"},
            {"column": "sex", "kind": "exact"},
        ]
    }
)
MODEL = Model.from_settings(SETTINGS)

names = st.one_of(
    st.none(),
    st.sampled_from(["Mohamed", "Muhammad", "محمد", "Amina", "Aminah", "Baby", "Ali", ""]),
    st.text(max_size=12),
)
dates = st.one_of(
    st.none(),
    st.sampled_from(["2019-05-13", "2019-13-05", "2019-05-14", "2018-05-13", "2019", "x"]),
    st.dates().map(str),
)
records = st.fixed_dictionaries(
    {
        "given": names,
        "family": names,
        "dob": dates,
        "mother": names,
        "nid": st.one_of(st.none(), st.from_regex(r"[0-9]{4,8}", fullmatch=True)),
        "sex": st.sampled_from([None, "M", "F"]),
        "birth": st.sampled_from([None, "single", "twin", "Triplet", "1", "2"]),
    }
)


@settings(max_examples=150, deadline=None)
@given(records, records)
def test_score_is_symmetric_and_a_probability(a: dict[str, str], b: dict[str, str]) -> None:
    """score(a, b) equals score(b, a), and probabilities stay within [0, 1]."""
    forward = score_pair(Record("a", a), Record("b", b), MODEL)
    backward = score_pair(Record("b", b), Record("a", a), MODEL)
    assert forward.probability == backward.probability
    assert forward.match_weight == backward.match_weight
    assert 0.0 <= forward.probability <= 1.0
    assert [f.level for f in forward.fields] == [f.level for f in backward.fields]


def test_candidate_exposes_fields() -> None:
    """A candidate carries one comparison per field, in settings order."""
    candidate = score_pair(Record("a", {"given": "Ali"}), Record("b", {"given": "Aly"}), MODEL)
    assert isinstance(candidate, Candidate)
    assert all(isinstance(f, FieldComparison) for f in candidate.fields)
    assert [f.column for f in candidate.fields] == [s.column for s in SETTINGS.fields]
    assert candidate.level("dob") == "missing"
    with pytest.raises(KeyError):
        candidate.level("nope")


def test_model_round_trips_through_a_dict() -> None:
    """A stored model scores exactly as the original."""
    copy = Model.from_dict(MODEL.to_dict())
    a = Record("a", {"given": "Amina", "dob": "2019-01-02"})
    b = Record("b", {"given": "Aminah", "dob": "2019-02-01"})
    assert score_pair(a, b, copy).probability == score_pair(a, b, MODEL).probability


def test_broken_model_is_rejected() -> None:
    """A malformed stored model raises ModelError."""
    data = MODEL.to_dict()
    data["fields"] = data["fields"][:1]
    with pytest.raises(ModelError):
        Model.from_dict(data)
    with pytest.raises(ModelError):
        Model.from_dict({"settings": {"fields": []}})


def test_given_weights_are_used() -> None:
    """Weights given in the settings replace the defaults."""
    fixed = Settings.from_dict(
        {
            "prior": 0.5,
            "fields": [{"column": "nid", "kind": "id", "weights": {"exact": 3, "else": -3}}],
        }
    )
    candidate = score_pair(
        Record("a", {"nid": "123"}), Record("b", {"nid": "123"}), Model.from_settings(fixed)
    )
    assert candidate.match_weight == pytest.approx(3.0)
    assert candidate.probability == pytest.approx(8 / 9)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "fields"),
        ({"fields": [{"column": "a", "kind": "fuzzy"}]}, "unknown kind"),
        ({"fields": [{"column": "a"}]}, "kind"),
        ({"fields": [{"column": "a", "kind": "name", "role": "aunt"}]}, "role"),
        ({"fields": [{"column": "a", "kind": "name"}], "threshold": 2}, "threshold"),
        ({"fields": [{"column": "a", "kind": "name"}], "colour": 1}, "colour"),
        ({"fields": [{"column": "a", "kind": "name"}], "blocking": [["soundex:a"]]}, "blocking"),
        ({"fields": [{"column": "a", "kind": "name"}], "blocking": [["exact:b"]]}, "not a field"),
        ({"fields": [{"column": "a", "kind": "name", "weights": {"perfect": 1}}]}, "level"),
        ({"fields": [{"column": "a", "kind": "date", "tf": True}]}, "'tf' applies"),
        ({"fields": [{"column": "a", "kind": "date", "role": "multiple_birth"}]}, "not a date"),
    ],
)
def test_bad_settings_raise_settings_error(data: dict[str, object], message: str) -> None:
    """Bad settings raise one SettingsError naming the problem."""
    with pytest.raises(SettingsError, match=message):
        Settings.from_dict(data)


def test_one_record_lookup_scores_every_candidate_best_first() -> None:
    """A declaration against 50 blocked candidates: one explained candidate each, best first.

    (Its speed is measured by bench/dedupe_lookup.py, not here.)
    """
    new = Record("new", {"given": "Mohamed", "family": "Ali", "dob": "2019-05-13"})
    others = [
        Record(str(i), {"given": f"Name{i}", "family": "Ali", "dob": f"2019-05-{i % 28 + 1:02d}"})
        for i in range(50)
    ]
    result = score_candidates(new, others, MODEL)
    assert sorted(c.right_id for c in result) == sorted(r.id for r in others)
    assert [c.probability for c in result] == sorted((c.probability for c in result), reverse=True)


@settings(max_examples=60, deadline=None)
@given(
    new=records,
    others=st.lists(records, min_size=0, max_size=8),
    threshold=st.sampled_from([0.0, 0.5, 0.8, 0.9, 0.999]),
)
def test_a_threshold_only_drops_the_candidates_below_it(
    new: dict[str, str | None], others: list[dict[str, str | None]], threshold: float
) -> None:
    """With a threshold, the result is the full result cut at it: same scores, same order."""
    left = Record("new", new)
    right = [Record(str(i), values) for i, values in enumerate(others)]
    full = score_candidates(left, right, MODEL)
    cut = score_candidates(left, right, MODEL, threshold)
    assert cut == [c for c in full if c.probability >= threshold]


def test_find_duplicates_and_link() -> None:
    """Batches find the duplicated pair and nothing else."""
    people = [
        Record("1", {"given": "Amina", "family": "Yusuf", "dob": "2019-05-13", "nid": "111"}),
        Record("2", {"given": "Aminah", "family": "Yusuf", "dob": "2019-13-05", "nid": "111"}),
        Record("3", {"given": "Omar", "family": "Yusuf", "dob": "2017-02-01", "nid": "333"}),
    ]
    pairs = find_duplicates(people, MODEL)
    assert [(c.left_id, c.right_id) for c in pairs] == [("1", "2")]
    linked = link(people[:1], people[1:], MODEL)
    assert [(c.left_id, c.right_id) for c in linked] == [("1", "2")]
    with pytest.raises(InputError):
        find_duplicates([people[0], people[0]], MODEL)


def _candidate(a: str, b: str, p: float) -> Candidate:
    return Candidate(a, b, p, 0.0, 0.0, ())


def test_cluster_connects_and_breaks_weak_bridges() -> None:
    """Strong or triangulated links cluster; a lone weak bridge does not chain groups."""
    candidates = [
        _candidate("a", "b", 0.999),
        _candidate("b", "c", 0.95),
        _candidate("a", "c", 0.95),
        _candidate("c", "d", 0.91),  # the only link between two groups
        _candidate("d", "e", 0.999),
        _candidate("x", "y", 0.5),
    ]
    clusters = cluster(candidates, threshold=0.9)
    assert clusters["a"] == clusters["b"] == clusters["c"] == "a"
    assert clusters["d"] == clusters["e"] == "d"
    assert "x" not in clusters
    assert cluster(candidates, threshold=0.9, strong=0.9)["e"] == "a"


ALL_TRANSFORMS = Settings.from_dict(
    {
        "fields": SETTINGS.to_dict()["fields"],
        "blocking": [
            {"keys": ["phonetic:family", "year:dob"]},
            {"keys": ["phonetic:given", "phonetic:family"], "unordered": True},
            {"keys": ["exact:mother", "dmy:dob"]},
            {"keys": ["initial:given", "prefix3:family", "date:dob"]},
            {"keys": ["exact:nid"]},
            {"keys": ["exact:sex", "initial:mother"], "unordered": True},
            {"keys": ["phonetic:mother", "exact:dob"]},
        ],
    }
)


@settings(max_examples=300, deadline=None)
@given(person=records)
def test_one_record_keys_equal_the_batch_keys(person: dict[str, str | None]) -> None:
    """``blocking_keys`` (one record, no arrays) gives what the batch path gives that record."""
    from dedupe.blocking import rule_keys
    from dedupe.records import Table

    record = Record("r", person)
    table = Table([record], ALL_TRANSFORMS)
    batch = []
    for index in range(len(ALL_TRANSFORMS.blocking)):
        codes, strings = rule_keys(table, index)
        if codes[0] >= 0:
            batch.append(strings[int(codes[0])])
    assert blocking_keys(record, ALL_TRANSFORMS) == batch


#: Every field kind and every rule: close and phonetic names, swapped names, a placeholder,
#: twins and siblings (a mother and a birth date), multiple births, a free-text place and an
#: identifier; term frequencies on the names and the place.
FAMILY_WEIGHTS = {"exact": 6.0, "close": 4.0, "phonetic": 3.0, "far": 0.0, "else": -6.0}
_EVERY_KIND = Model.from_settings(  # the family name weighs less than the given name
    Settings.from_dict(
        {
            "fields": [
                field | {"weights": FAMILY_WEIGHTS} if field["column"] == "family" else field
                for field in [
                    *SETTINGS.to_dict()["fields"],
                    {"column": "place", "kind": "text"},
                    {"column": "birth", "kind": "exact", "role": "multiple_birth"},
                ]
            ]
        }
    )
)
_FREQUENCIES = {"ali": 0.2, "hassan": 0.05, "otieno": 0.1, "amani clinic": 0.3, "home": 0.5}
EVERY_KIND = dataclasses.replace(
    _EVERY_KIND,
    params=tuple(
        dataclasses.replace(p, tf=_FREQUENCIES, tf_u=0.04, tf_unseen=0.001)
        if p.column in ("given", "family", "place")
        else p
        for p in _EVERY_KIND.params
    ),
)
NAMES = "Hussein Husayn Mohamed Muhammad Mohammed Amina Aminah Amena Baby Ali Hassan Otieno Otiena"
near_names = st.one_of(
    st.none(),
    st.sampled_from(["", "Aaa", "محمد", "Baby Ali", "Ali Hassan", "Hassan Ali", *NAMES.split()]),
    st.text(alphabet="aeiohmnst ", max_size=9),
)
NEAR_DATES = (
    "2019-05-13 2019-13-05 2019-05-14 2019-05-31 2019-03-15 2019-15-03 2019-05-03 2018-05-13"
)
near_dates = st.one_of(
    st.none(),
    st.sampled_from([*NEAR_DATES.split(), "2018-05-13", "2019-12-31", "2019", "x"]),
    st.dates().map(str),
)
near_people = st.fixed_dictionaries(
    {
        "given": near_names,
        "family": near_names,
        "dob": near_dates,
        "mother": near_names,
        "place": st.sampled_from([None, "Amani Hospital", "Amani Hosp.", "Amani Clinic", "Home"]),
        "nid": st.sampled_from([None, "12345678", "12345687", "12345600", "99"]),
        "sex": st.sampled_from([None, "M", "F"]),
        "birth": st.sampled_from([None, "single", "twin", "Triplet", "1", "2"]),
    }
)


TWIN = {
    "given": "Ali",
    "family": "Otieno",
    "dob": "2019-05-13",
    "mother": "Hussein",
    "place": "Amani Clinic",
    "birth": "twin",
}


@settings(max_examples=400, deadline=None)
@given(new=near_people, others=st.lists(near_people, min_size=1, max_size=6))
@example(  # twins, a sibling, swapped names, a mother's name spelt otherwise, a placeholder
    new=TWIN,
    others=[
        TWIN | {"given": "Hassan"},
        TWIN | {"dob": "2015-01-02"},
        TWIN | {"given": "Otiena", "family": "Ali"},
        TWIN | {"given": "Hassan", "mother": "Husayn"},
        TWIN | {"given": "Baby"},
        TWIN | {"place": "Amani Hospital"},  # beside "Amani Clinic": a far text
        TWIN | {"given": "Alia", "dob": "2019-05-14"},  # a twin born past midnight
        TWIN | {"given": "Ali", "birth": "single"},
    ],
)
def test_pair_by_pair_weights_equal_the_vectorised_ones(
    new: dict[str, str | None], others: list[dict[str, str | None]]
) -> None:
    """``dedupe.few`` (no arrays) gives exactly the weights of the vectorised comparison,
    term-frequency adjustments and multiple births included."""
    import numpy as np

    from dedupe import few
    from dedupe.compare import compare
    from dedupe.matching import _tf_by_code, _weights
    from dedupe.records import Table

    left = Record("new", new)
    right = [Record(str(i), values) for i, values in enumerate(others)]
    table = Table([left, *right], EVERY_KIND.settings)
    ia = np.zeros(len(right), dtype=np.int64)
    ib = np.arange(1, len(right) + 1, dtype=np.int64)
    comparison = compare(table, ia, ib, similarities=False)
    expected = _weights(EVERY_KIND, table, ia, comparison, _tf_by_code(EVERY_KIND, table)).tolist()
    assert few.weights(left, right, EVERY_KIND) == expected
