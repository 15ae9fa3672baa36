"""Match weights of one record against a few others, in plain Python.

:func:`dedupe.compare.compare` works on numpy arrays over a prepared :class:`~dedupe.records.
Table`: one pass of C code per field however many pairs there are, but a fixed cost per call
that dominates when a declaration meets a couple of dozen candidates. :func:`weights` computes
the same weights pair by pair with the same normalisation, the same rapidfuzz scorers and the
same rules (swapped names, twins, siblings), so that :func:`dedupe.matching.score_candidates`
can tell at once when no candidate reaches the threshold. A property test holds the two equal;
the explained result still comes from the vectorised path.

Similarities are rounded to float32 where the vectorised path stores them so, so that a value
at a level's threshold falls on the same side in both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz.distance import OSA, JaroWinkler

from dedupe.compare import unlike_level
from dedupe.model import Model
from dedupe.normalise import ParsedDate, name_skeleton, normalise_name, normalise_text, parse_date
from dedupe.records import Record
from dedupe.settings import SINGLE_BIRTH, FieldSpec, Settings

__all__ = ["weights"]

#: Levels of a ``mother`` field that count as agreement (as in :mod:`dedupe.compare`).
_AGREE = 2
#: Date levels ``close`` and ``year_off``.
_DATE_CLOSE = 2
_DATE_YEAR_OFF = 3
_SIBLING_DAYS = 548
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


def _skeleton(text: str) -> str:
    return name_skeleton(" ".join(sorted(text.split())))


def _string_level(
    spec: FieldSpec, a: str, b: str, unusable: set[str], cutoff: float = 0.0
) -> tuple[int, float]:
    """Level index and similarity of two normalised values (``len(levels)`` when missing)."""
    if not a or not b or a in unusable or b in unusable:
        return len(spec.levels), _NAN
    same = a == b
    if spec.kind == "exact":
        return (0, 1.0) if same else (1, 0.0)
    if spec.kind == "id":
        dist = OSA.distance(a, b)
        return (dist if dist <= 2 else 3), 1.0 - dist / max(len(a), len(b), 1)
    close, far = spec.thresholds[0], spec.thresholds[-1]
    sim = 1.0 if same else _jaro_winkler(a, b, spec.kind == "name", cutoff)
    if same:
        return 0, sim
    if sim >= close:
        return 1, sim
    if spec.kind == "name":
        skeleton = _skeleton(a)
        if skeleton and skeleton == _skeleton(b):
            return 2, sim
        return (3 if sim >= far else 4), sim
    return (2 if sim >= far else 3), sim


def _one_edit_apart(va: int, vb: int) -> bool:
    a, b = f"{va:08d}", f"{vb:08d}"
    differ = [i for i in range(8) if a[i] != b[i]]
    if len(differ) <= 1:
        return True
    i = differ[0]
    return len(differ) == 2 and differ[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]


def _date_level(spec: FieldSpec, a: ParsedDate, b: ParsedDate, window: int) -> tuple[int, bool]:
    """Level index of two dates and whether both are complete."""
    present = a.year > 0 and b.year > 0
    complete = present and a.month > 0 and b.month > 0 and a.day > 0 and b.day > 0
    if not present:
        return len(spec.levels), complete
    same_year = a.year == b.year
    if complete and same_year and a.month == b.month and a.day == b.day:
        return 0, complete
    if complete and same_year and a.month == b.day and a.day == b.month and a.month != a.day:
        return 1, complete
    if complete:
        valid = a.ordinal >= 0 and b.ordinal >= 0
        if valid and abs(a.ordinal - b.ordinal) <= window:
            return 2, complete
        va = a.year * 10000 + a.month * 100 + a.day
        vb = b.year * 10000 + b.month * 100 + b.day
        if _one_edit_apart(va, vb):
            return 2, complete
        if valid and abs(abs(a.ordinal - b.ordinal) - 365) <= window + 1:
            return 3, complete
    return (4 if same_year else 5), complete


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
    vetoes = bool(mothers) and dob is not None and dob.kind == "date"
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
    out = []
    for k in range(1, len(batch)):
        right = texts[k]
        levels: list[int] = []
        sims: list[float] = []
        complete: dict[str, bool] = {}
        for spec in specs:
            if spec.kind == "date":
                column = dates[spec.column]
                level, complete[spec.column] = _date_level(spec, column[0], column[k], window)
                sim = _NAN
            else:
                level, sim = _string_level(spec, left[spec.column], right[spec.column], unusable)
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
        if vetoes:
            assert dob is not None
            present = [levels[i] < len(specs[i].levels) for i in mothers]
            agree = all(not p or levels[i] < _AGREE for i, p in zip(mothers, present, strict=True))
            if agree and any(present):
                siblings = complete[dob.column] and levels[d] >= _DATE_YEAR_OFF
                if given is not None:
                    unlike = levels[g] >= unlike_level(given)
                    born = dates[dob.column]
                    apart = abs(born[0].ordinal - born[k].ordinal) > _SIBLING_DAYS
                    siblings = siblings and (unlike or apart)
                    different = levels[g] == given.levels.index("else")
                    twins = levels[d] <= _DATE_CLOSE and different and not swapped
                    if multiple is not None and multiple[0] and multiple[k] and not swapped:
                        twins = twins or (unlike and levels[d] <= _DATE_CLOSE)
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
