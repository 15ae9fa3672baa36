"""Learnt weights on a generated civil register: small name pools, families, twins, siblings and
late re-registrations (``bench/gen_register.py``), with known truth."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import pytest

from bench.gen_register import SETTINGS as DOCUMENTED
from bench.gen_register import Register, small_register
from dedupe import Candidate, Model, Record, Settings, find_duplicates, score_pair, train

#: The documented settings with the ``multiple_birth`` role on the type of birth.
WITH_BIRTH_TYPE = Settings.from_dict(
    {
        **DOCUMENTED,
        "fields": [
            field | {"role": "multiple_birth"} if field["column"] == "type_of_birth" else field
            for field in DOCUMENTED["fields"]  # type: ignore[attr-defined]
        ],
    }
)
WITHOUT_BIRTH_TYPE = Settings.from_dict(DOCUMENTED)


def _records(register: Register) -> list[Record]:
    return [
        Record(row["rec_id"], {k: v or None for k, v in row.items() if k != "rec_id"})
        for row in register.rows
    ]


@pytest.fixture(scope="module")
def register() -> Register:
    return small_register()


@pytest.fixture(scope="module")
def records(register: Register) -> list[Record]:
    return _records(register)


@pytest.fixture(scope="module")
def model(records: list[Record]) -> Model:
    return train(records, WITH_BIRTH_TYPE)


@pytest.fixture(scope="module")
def scored(records: list[Record], model: Model) -> list[Candidate]:
    return find_duplicates(records, model, threshold=0.5)


def _pairs(candidates: Sequence[Candidate], threshold: float) -> set[frozenset[str]]:
    return {frozenset((c.left_id, c.right_id)) for c in candidates if c.probability >= threshold}


def test_learnt_weights_find_the_re_registrations(
    register: Register, scored: list[Candidate]
) -> None:
    """At the default threshold the learnt model finds the re-registrations with F1 >= 0.95
    (measured 0.98) although most children share their name with strangers."""
    found = _pairs(scored, WITH_BIRTH_TYPE.threshold)
    truth = register.truth_pairs()
    hits = len(found & truth)
    precision, recall = hits / len(found), hits / len(truth)
    assert 2 * precision * recall / (precision + recall) >= 0.95


def test_learnt_weights_never_report_twins(register: Register, scored: list[Candidate]) -> None:
    """No twin or triplet pair, and at most 2 % of sibling pairs, reach the threshold."""
    found = _pairs(scored, WITH_BIRTH_TYPE.threshold)
    assert not found & register.twin_pairs()
    assert len(found & register.sibling_pairs()) <= 0.02 * len(register.sibling_pairs())


def test_twins_with_both_given_names_are_never_reported(register: Register) -> None:
    """Without a type-of-birth column, twins whose given names are both known are still never
    reported (the twins rule overrules the learnt weights of the family's agreement)."""
    records = _records(register)
    model = train(records, WITHOUT_BIRTH_TYPE)
    named = {r.id for r in records if r.values.get("given_name")}
    found = _pairs(find_duplicates(records, model), WITHOUT_BIRTH_TYPE.threshold)
    assert not {pair for pair in found & register.twin_pairs() if pair <= named}


def test_a_probability_of_0_9_means_nine_in_ten(
    register: Register, scored: list[Candidate]
) -> None:
    """Among the pairs reported at 0.9 or more, at least 90 % are the same child; the pairs
    scored from 0.5 to 0.9 are not mostly true (the probability is a posterior, not a bare
    weight)."""
    truth = register.truth_pairs()
    high = _pairs(scored, 0.9)
    assert len(high & truth) >= 0.9 * len(high)
    middle = _pairs(scored, 0.5) - high
    assert len(middle & truth) <= 0.9 * max(len(middle), 1)


def test_agreeing_on_a_rare_name_weighs_more_than_on_the_commonest(
    model: Model, records: list[Record]
) -> None:
    """The exact level of a given name is adjusted by the name's frequency: the commonest
    name counts less than an average agreement, a name seen once more; the explanation shows
    the adjustment and still adds up."""
    given = next(p for p in model.params if p.column == "given_name")
    commonest = max(given.tf, key=lambda value: given.tf[value])
    assert given.tf_adjustment(commonest) < 0 < given.tf_adjustment("zebedee")
    base = dict(records[0].values)
    weights = {}
    for name in (commonest, "Zebedee"):
        pair = score_pair(
            Record("a", base | {"given_name": name}),
            Record("b", base | {"given_name": name}),
            model,
        )
        entry = next(e for e in pair.explain() if e.get("field") == "given_name")
        assert entry["tf_adjustment"] == pytest.approx(given.tf_adjustment(name.lower()), abs=1e-3)
        total = pair.prior_weight + sum(e["weight"] for e in pair.explain())
        assert total == pytest.approx(pair.match_weight, abs=1e-3)
        weights[name] = entry["weight"]
    assert weights["Zebedee"] > weights[commonest]


def test_a_saved_model_scores_exactly_as_the_learnt_one(
    model: Model, records: list[Record], scored: list[Candidate]
) -> None:
    """A model written to JSON and read back (weights, prior, term frequencies) gives the
    same candidates with the same probabilities."""
    loaded = Model.from_dict(json.loads(json.dumps(model.to_dict())))
    assert loaded == model
    again = find_duplicates(records, loaded, threshold=0.5)
    assert [(c.left_id, c.right_id, c.probability) for c in again] == [
        (c.left_id, c.right_id, c.probability) for c in scored
    ]


def test_term_frequencies_are_capped_to_values_seen_twice(model: Model) -> None:
    """Only values held by at least two records are stored, as shares of the records."""
    given = next(p for p in model.params if p.column == "given_name")
    assert given.tf and min(given.tf.values()) >= 2 * given.tf_unseen
    assert all(0 < share <= 1 for share in given.tf.values())
    mother = next(p for p in model.params if p.column == "mother_name")
    assert not mother.tf  # a parent's name is shared by siblings: no adjustment by default


TWIN = {
    "given_name": "Hassan",
    "family_name": "Warsame",
    "date_of_birth": "2019-05-13",
    "sex": "M",
    "mother_name": "Amina Hassan",
    "mother_date_of_birth": "1990-01-02",
    "father_name": "Ali Warsame",
    "district": "D01",
    "type_of_birth": "twin",
}


@pytest.mark.parametrize(
    ("other", "twins"),
    [
        ({"given_name": "Hussein"}, True),  # not alike (phonetic at most)
        ({"given_name": None}, True),  # one unnamed: either twin
        ({"given_name": "Ibrahim", "date_of_birth": "2019-05-14"}, True),  # past midnight
        ({"given_name": None, "type_of_birth": "single"}, False),
        ({"given_name": "Hasan"}, False),  # the same child, misspelt
    ],
)
def test_multiple_birth_is_evidence_for_twins(
    model: Model, other: dict[str, str | None], twins: bool
) -> None:
    """When both records say a multiple birth, the same mother and date with given names not
    alike (or one missing) is vetoed as twins and stays below the threshold."""
    one, two = Record("a", TWIN), Record("b", TWIN | other)
    pair = score_pair(one, two, model)
    assert ("twins" in [r.rule for r in pair.rules]) is twins
    if twins:
        assert pair.probability < WITH_BIRTH_TYPE.threshold
        assert pair.match_weight <= WITH_BIRTH_TYPE.twin_weight + 1e-9


def test_the_prior_is_rescaled_to_the_size_of_the_data(model: Model) -> None:
    """Each record keeps its expected duplicates: ten times the records, a tenth of the prior
    (as odds), and the same model at its own size."""
    assert model.records == 1000
    bigger = model.at_size(10_000)
    odds = model.prior / (1 - model.prior) * 999 / 9999
    assert bigger.prior == pytest.approx(odds / (1 + odds))
    assert model.at_size(1000) is model
    assert math.isclose(bigger.at_size(1000).prior, model.prior, rel_tol=1e-9)


def test_a_namesake_born_years_apart_to_other_parents_is_not_a_match(model: Model) -> None:
    """The same child's name with birth dates six years apart, another mother, father and
    district (0.90 before the prior was part of the probability) is far below the threshold;
    a month apart to another mother (the father's name the same) stays below it too."""
    other = {
        "date_of_birth": "2013-05-13",
        "mother_name": "Halima Osman",
        "mother_date_of_birth": "1985-03-04",
        "father_name": "Yusuf Warsame",
        "district": "D07",
    }
    assert score_pair(Record("a", TWIN), Record("b", TWIN | other), model).probability < 0.01
    close = {
        "date_of_birth": "2019-06-13",
        "mother_name": "Halima Osman",
        "mother_date_of_birth": "1985-03-04",
    }
    assert score_pair(Record("a", TWIN), Record("b", TWIN | close), model).probability < 0.9
