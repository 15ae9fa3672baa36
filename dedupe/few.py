"""Match weights of one record against a few others, in plain Python.

:func:`dedupe.compare.compare` works on numpy arrays over a prepared :class:`~dedupe.records.
Table`: one pass of C code per field however many pairs there are, but a fixed cost per call
that dominates when a declaration meets a couple of dozen candidates. :func:`weights` computes
the same weights pair by pair with the same normalisation, the same rapidfuzz scorers, the same
ladders (:mod:`dedupe.ladders`, tried level by level with :meth:`~dedupe.ladders.Ladder.first`)
and the same rules (swapped names, twins, siblings: :func:`dedupe.ladders.vetoes`), so that
:func:`dedupe.matching.score_candidates` can tell at once when no candidate reaches the
threshold. A property test holds the two equal; the explained result still comes from the
vectorised path.

Similarities are rounded to float32 where the vectorised path stores them so, so that a value
at a level's threshold falls on the same side in both.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from rapidfuzz.distance import OSA, JaroWinkler

from dedupe.ladders import DATE, LADDERS, MOTHER_AGREES, SIBLING_DAYS, vetoes
from dedupe.model import Model
from dedupe.normalise import ParsedDate, name_skeleton, normalise_name, normalise_text, parse_date
from dedupe.records import Record
from dedupe.settings import SINGLE_BIRTH, FieldSpec, Settings

__all__ = ["weights"]

_NAN = float("nan")


def _f32(value: float) -> float:
    return float(np.float32(value))


def _texts(record: Record, settings: Settings) -> dict[str, str]:
    out = {}
    for spec in settings.fields:
        if spec.kind == "date":
            continue
        raw = record.values.get(spec.column)
        name = spec.kind == "name"
        out[spec.column] = normalise_name(raw, settings.particles) if name else normalise_text(raw)
    return out


def _jaro_winkler(a: str, b: str, tokens: bool, cutoff: float) -> float:
    sim = _f32(JaroWinkler.normalized_similarity(a, b, score_cutoff=cutoff))
    if tokens and (" " in a or " " in b):
        ordered_a, ordered_b = " ".join(sorted(a.split())), " ".join(sorted(b.split()))
        other = _f32(JaroWinkler.normalized_similarity(ordered_a, ordered_b, score_cutoff=cutoff))
        sim = max(sim, other)
    return sim


@functools.lru_cache(maxsize=8192)
def _skeleton(text: str) -> str:
    # The left name meets every candidate: its skeleton is worked out once.
    return name_skeleton(" ".join(sorted(text.split())))


class _StringFacts:
    """The facts of two normalised strings that the ladders' tests read (see
    :mod:`dedupe.ladders`); the phonetic skeletons are compared only when a test asks."""

    __slots__ = ("a", "b", "close", "edits", "far", "same", "similarity")

    def __init__(self, spec: FieldSpec, a: str, b: str, cutoff: float) -> None:
        self.a, self.b = a, b
        self.same = a == b
        self.edits = 0
        self.similarity = 1.0
        self.close, self.far = 1.0, 1.0
        if spec.kind == "id":
            self.edits = OSA.distance(a, b)
            self.similarity = 1.0 - self.edits / max(len(a), len(b), 1)
        elif spec.kind == "exact":
            self.similarity = 1.0 if self.same else 0.0
        else:
            self.close, self.far = spec.thresholds[0], spec.thresholds[-1]
            if not self.same:
                self.similarity = _jaro_winkler(a, b, spec.kind == "name", cutoff)

    @property
    def phonetic(self) -> bool:
        skeleton = _skeleton(self.a)
        return bool(skeleton) and skeleton == _skeleton(self.b)


def _string_level(
    spec: FieldSpec, a: str, b: str, unusable: set[str], cutoff: float = 0.0
) -> tuple[int, float]:
    """Level index and similarity of two normalised values (``len(levels)`` when missing)."""
    if not a or not b or a in unusable or b in unusable:
        return len(spec.levels), _NAN
    facts = _StringFacts(spec, a, b, cutoff)
    return LADDERS[spec.kind].first(facts), facts.similarity


def _one_edit_apart(va: int, vb: int) -> bool:
    a, b = f"{va:08d}", f"{vb:08d}"
    differ = [i for i in range(8) if a[i] != b[i]]
    if len(differ) <= 1:
        return True
    i = differ[0]
    return len(differ) == 2 and differ[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]


class _DateFacts:
    """The facts of two parsed dates that the date ladder's tests read; the digits are
    compared only when a test asks, and only where the ladder can reach it (as the vectorised
    path: complete dates not within the window)."""

    __slots__ = (
        "a",
        "b",
        "complete",
        "day_month_swapped",
        "same_month_day",
        "same_year",
        "within_window",
        "year_apart",
    )

    def __init__(self, a: ParsedDate, b: ParsedDate, window: int) -> None:
        self.a, self.b = a, b
        self.complete = a.month > 0 and b.month > 0 and a.day > 0 and b.day > 0
        self.same_year = a.year == b.year
        self.same_month_day = a.month == b.month and a.day == b.day
        self.day_month_swapped = a.month == b.day and a.day == b.month and a.month != a.day
        valid = a.ordinal >= 0 and b.ordinal >= 0
        days = abs(a.ordinal - b.ordinal)
        self.within_window = valid and days <= window
        # A year apart, give or take the window (366 days across a 29 February).
        self.year_apart = valid and abs(days - 365) <= window + 1

    @property
    def one_edit(self) -> bool:
        if not self.complete or self.within_window:
            return False
        a, b = self.a, self.b
        return _one_edit_apart(
            a.year * 10000 + a.month * 100 + a.day, b.year * 10000 + b.month * 100 + b.day
        )


def _date_level(a: ParsedDate, b: ParsedDate, window: int) -> tuple[int, bool]:
    """Level index of two dates and whether both are complete."""
    if a.year <= 0 or b.year <= 0:
        return DATE.missing, False
    facts = _DateFacts(a, b, window)
    return DATE.first(facts), facts.complete


def weights(record: Record, others: Sequence[Record], model: Model) -> list[float]:
    """The match weight of ``record`` (left) against each of ``others``, as the vectorised
    ``compare`` and the model's weight table give it."""
    settings = model.settings
    specs = settings.fields
    tables = [table.tolist() for table in model.weight_table()]
    batch = [record, *others]
    texts = [_texts(r, settings) for r in batch]
    # A placeholder given name ("Baby") is missing wherever its normalised text appears.
    given = settings.field_by_role("given_name")
    family = settings.field_by_role("family_name")
    placeholders = frozenset(settings.placeholder_names)
    unusable: set[str] = set()
    if given is not None and given.kind != "date":
        for t in texts:
            text = t[given.column]
            if text and text.split()[0] in placeholders:
                unusable.add(text)
    dates = {
        spec.column: [parse_date(r.values.get(spec.column), spec.format) for r in batch]
        for spec in specs
        if spec.kind == "date"
    }
    swaps = given is not None and family is not None and given.kind == family.kind == "name"
    g = specs.index(given) if given is not None else -1
    f = specs.index(family) if family is not None else -1
    mothers = [i for i, spec in enumerate(specs) if spec.role == "mother"]
    dob = settings.field_by_role("date_of_birth")
    family_rules = bool(mothers) and dob is not None and dob.kind == "date"
    d = specs.index(dob) if dob is not None else -1
    window = settings.date_window_days
    multiple_spec = settings.field_by_role("multiple_birth")
    multiple = (
        [
            bool(t[multiple_spec.column]) and t[multiple_spec.column] not in SINGLE_BIRTH
            for t in texts
        ]
        if multiple_spec is not None and multiple_spec.kind != "date"
        else None
    )
    tf_fields = [
        (col, spec.column, spec.role in ("given_name", "family_name"), model.params[col])
        for col, spec in enumerate(specs)
        if model.params[col].tf
    ]
    left = texts[0]
    seen: dict[str, dict[str, tuple[int, float]]] = {spec.column: {} for spec in specs}
    seen_dates: dict[str, dict[ParsedDate, tuple[int, bool]]] = {column: {} for column in dates}
    out = []
    for k in range(1, len(batch)):
        right = texts[k]
        levels: list[int] = []
        sims: list[float] = []
        complete: dict[str, bool] = {}
        for spec in specs:
            # The left value is the same throughout: as the vectorised path, each distinct
            # pair of values is compared once.
            if spec.kind == "date":
                column = dates[spec.column]
                date = column[k]
                known = seen_dates[spec.column].get(date)
                if known is None:
                    known = seen_dates[spec.column][date] = _date_level(column[0], date, window)
                level, complete[spec.column] = known
                sim = _NAN
            else:
                value = right[spec.column]
                found = seen[spec.column].get(value)
                if found is None:
                    found = seen[spec.column][value] = _string_level(
                        spec, left[spec.column], value, unusable
                    )
                level, sim = found
            levels.append(level)
            sims.append(sim)
        swapped = False
        if swaps:
            assert given is not None and family is not None
            close = given.thresholds[0]
            cutoff = max(close - 0.01, 0.0)
            level_1, sim_1 = _string_level(
                given, left[given.column], right[family.column], unusable, cutoff
            )
            if sim_1 >= close:  # NaN compares false
                level_2, sim_2 = _string_level(
                    family, left[family.column], right[given.column], unusable, cutoff
                )
                if sim_2 >= close:
                    direct = np.float32(_zero(sims[g])) + np.float32(_zero(sims[f]))
                    swapped = sim_1 + sim_2 > float(direct)
                    if swapped:
                        levels[g], levels[f] = max(level_1, level_2), min(level_1, level_2)
        twins = siblings = False
        if family_rules:
            assert dob is not None
            present = [levels[i] < len(specs[i].levels) for i in mothers]
            agree = all(
                not p or levels[i] < MOTHER_AGREES for i, p in zip(mothers, present, strict=True)
            )
            if agree and any(present):
                born = dates[dob.column]
                twins, siblings = vetoes(
                    True,
                    levels[d],
                    complete[dob.column],
                    given.levels if given is not None else None,
                    levels[g],
                    abs(born[0].ordinal - born[k].ordinal) > SIBLING_DAYS,
                    multiple is not None and multiple[0] and multiple[k],
                    not swapped,
                )
        total = model.prior_weight
        for col, level in enumerate(levels):
            total += tables[col][level]
        for col, tf_column, named, params in tf_fields:
            if levels[col] == 0 and not (named and swapped):
                total += params.tf_adjustment(left[tf_column])
        if twins or siblings:  # as dedupe.matching._rule_weights
            rule = settings.twin_weight if twins else settings.sibling_weight
            total += rule - max(total, 0.0)
        out.append(total)
    return out


def _zero(value: float) -> float:
    return 0.0 if value != value else value  # NaN -> 0, as numpy's nan_to_num
