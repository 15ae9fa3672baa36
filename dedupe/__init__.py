"""Record matching for a civil register: find the same person registered twice.

``dedupe`` is a pure library (the standard library, rapidfuzz, numpy and anyascii only). It
compares records field by field along data-configured ladders, weighs the evidence with a
Fellegi-Sunter model learnt without labels, and explains every score.

Public API (stable; the registry depends on it):

Settings and records
    ``Settings.from_dict(d)``, ``Settings.from_json_file(path)``: validated settings (schema in
    :mod:`dedupe.settings`); ``FieldSpec(column, kind, format=None, role=None, thresholds=(),
    weights=None, m=None, u=None, tf=None)``; ``BlockingRule(keys, unordered=False)``. Roles:
    ``given_name``, ``family_name``, ``date_of_birth``, ``mother``, ``multiple_birth``.
    ``Record(id: str, values: Mapping[str, str | None])``: a frozen record.

Normalisation and blocking
    ``normalise_name(text) -> str``: transliterated, folded, particle-free and idempotent.
    ``name_skeleton(normalised) -> str``: consonant skeleton of a spelling family.
    ``blocking_keys(record, settings) -> list[str]``: keys to store and look candidates up by.

Models and scoring
    ``train(records, settings, *, right=None) -> Model``: learnt without labels: u from random
    pairs, m by EM in one session per blocking rule (u of each session held at its own pairs'
    levels, twin and sibling pairs left out), the prior among all pairs, term frequencies of
    the names (defaults on tiny data). ``Model.from_settings(settings)``, ``Model.to_dict()``,
    ``Model.from_dict(d)``, ``Model.from_json_file(path)``; ``Model.at_size(records)``: the
    prior rescaled to a data set of another size (a register scoring look-ups should use
    ``model.at_size(len(register))``); ``Model.records``: the size the prior refers to.
    ``score_pair(a, b, model) -> Candidate``;
    ``score_candidates(record, candidates, model, threshold=None) -> list[Candidate]`` (one
    lookup, batched; with a threshold, up to 64 candidates are first weighed pair by pair
    without arrays, and none reaching it returns at once).
    ``Candidate``: ``.probability`` (the posterior, prior included, 0-1), ``.match_weight``,
    ``.prior_weight``, ``.fields`` (``FieldComparison``: column, kind, left, right, level,
    similarity, weight, swapped, tf_adjustment), ``.rules`` (``RuleHit``: twins, siblings),
    ``.level(column)``, ``.explain() -> list[dict]`` (the prior weight plus every entry's
    ``weight`` adds up to ``match_weight``; ``tf_adjustment`` is the part of a field's weight
    due to the value's frequency).

Batches
    ``find_duplicates(records, model, threshold=None) -> list[Candidate]``;
    ``link(left, right, model, threshold=None) -> list[Candidate]`` (both rescale the prior to
    the batch's size);
    ``cluster(candidates, threshold, strong=0.99) -> dict[record_id, cluster_id]``.

Errors
    ``DedupeError`` and its subclasses, see :mod:`dedupe.errors`.

Example:
    >>> from dedupe import Model, Record, Settings, score_pair
    >>> settings = Settings.from_dict({"fields": [
    ...     {"column": "name", "kind": "name"}, {"column": "dob", "kind": "date"}]})
    >>> model = Model.from_settings(settings)
    >>> a = Record("1", {"name": "Mohamed Ali", "dob": "2019-05-13"})
    >>> b = Record("2", {"name": "محمد علي", "dob": "2019-13-05"})
    >>> score_pair(a, b, model).level("dob")
    'transposed'

The command line (``python -m dedupe dedupe|link ...``, with ``--save-model`` and ``--model``)
is described in :mod:`dedupe.cli`.
"""

from __future__ import annotations

from dedupe.blocking import blocking_keys
from dedupe.cluster import cluster
from dedupe.errors import DedupeError, InputError, MissingColumnError, ModelError, SettingsError
from dedupe.matching import find_duplicates, link, score_candidates, score_pair, train
from dedupe.model import Candidate, FieldComparison, FieldParams, Model, RuleHit
from dedupe.normalise import name_skeleton, normalise_name, normalise_text, parse_date
from dedupe.records import Record
from dedupe.settings import BlockingRule, EMSettings, FieldSpec, Settings

__all__ = [
    "BlockingRule",
    "Candidate",
    "DedupeError",
    "EMSettings",
    "FieldComparison",
    "FieldParams",
    "FieldSpec",
    "InputError",
    "MissingColumnError",
    "Model",
    "ModelError",
    "Record",
    "RuleHit",
    "Settings",
    "SettingsError",
    "blocking_keys",
    "cluster",
    "find_duplicates",
    "link",
    "name_skeleton",
    "normalise_name",
    "normalise_text",
    "parse_date",
    "score_candidates",
    "score_pair",
    "train",
]
