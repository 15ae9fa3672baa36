"""Vectorised comparison ladders: one level and one 0-1 similarity per field and pair.

Pairs are given as two index arrays into a :class:`~dedupe.records.Table`. String similarities
are computed with ``rapidfuzz.process.cpdist`` on the distinct pairs of values only, so a batch
of millions of pairs costs one pass of C code per field, not a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from dedupe.ladders import MOTHER_AGREES, SIBLING_DAYS, vetoes
from dedupe.records import IntArray, Table
from dedupe.settings import FieldSpec

__all__ = ["Comparison", "compare"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: Below this many pairs rapidfuzz runs in the calling thread (starting threads costs more).
_PARALLEL_PAIRS = 20_000


@dataclass(frozen=True)
class _Facts:
    """The facts a ladder's tests read (see :mod:`dedupe.ladders`), as arrays; a fact a kind
    does not use is left ``None``."""

    same: BoolArray | None = None
    similarity: FloatArray | None = None
    close: float = 1.0
    far: float = 1.0
    phonetic: BoolArray | None = None
    edits: IntArray | None = None
    complete: BoolArray | None = None
    same_year: BoolArray | None = None
    same_month_day: BoolArray | None = None
    day_month_swapped: BoolArray | None = None
    within_window: BoolArray | None = None
    one_edit: BoolArray | None = None
    year_apart: BoolArray | None = None


def _workers(pairs: int) -> int:
    return -1 if pairs >= _PARALLEL_PAIRS else 1


@dataclass(frozen=True)
class Comparison:
    """Levels and similarities of a batch of pairs.

    Attributes:
        levels: ``(pairs, fields)`` level index per field; ``len(levels of the field)`` means
            missing.
        similarity: ``(pairs, fields)`` similarity on the 0-1 scale (NaN when missing).
        swapped: Pairs whose given and family names were compared crosswise.
        twins: Pairs vetoed as twins (same mother and birth date, different given names).
        siblings: Pairs vetoed as siblings (same mother, birth dates far apart).
    """

    levels: npt.NDArray[np.int8]
    similarity: npt.NDArray[np.float32]
    swapped: BoolArray
    twins: BoolArray
    siblings: BoolArray


def _distinct(ca: IntArray, cb: IntArray, size: int) -> tuple[IntArray, IntArray, IntArray]:
    """Return the distinct (a, b) code pairs and, per input pair, its index among them."""
    keys = ca * size + cb
    distinct, inverse = np.unique(keys, return_inverse=True)
    return distinct // size, distinct % size, inverse.reshape(-1)


def _jaro_winkler(
    table: Table, ua: IntArray, ub: IntArray, tokens: bool, cutoff: float = 0.0
) -> FloatArray:
    """Jaro-Winkler similarity of code pairs; with ``tokens`` also of their sorted words.

    Similarities below ``cutoff`` may be returned as 0 (rapidfuzz stops early on them).
    """
    strings = table.strings
    sim = process.cpdist(
        strings[ua],
        strings[ub],
        scorer=JaroWinkler.normalized_similarity,
        score_cutoff=cutoff,
        workers=_workers(len(ua)),
    ).astype(np.float64)
    if tokens:
        # Sorting the words changes only names of two words or more.
        multi = table.multiword
        several = multi[ua] | multi[ub]
        if several.any():
            ordered = table.sorted_tokens
            other = process.cpdist(
                ordered[ua[several]],
                ordered[ub[several]],
                scorer=JaroWinkler.normalized_similarity,
                score_cutoff=cutoff,
                workers=_workers(len(ua)),
            )
            sim[several] = np.maximum(sim[several], other)
    return np.asarray(sim, dtype=np.float64)


def _osa(table: Table, ua: IntArray, ub: IntArray) -> tuple[IntArray, FloatArray]:
    """Optimal string alignment distance and its 0-1 similarity, of code pairs."""
    strings = table.strings
    dist = process.cpdist(strings[ua], strings[ub], scorer=OSA.distance, workers=_workers(len(ua)))
    dist = np.asarray(dist, dtype=np.int64)
    longest = np.maximum(np.maximum(table.lengths[ua], table.lengths[ub]), 1)
    return dist, np.asarray(1.0 - dist / longest, dtype=np.float64)


def _string_levels(
    table: Table, spec: FieldSpec, ca: IntArray, cb: IntArray, cutoff: float = 0.0
) -> tuple[IntArray, FloatArray]:
    """Return the level index and similarity of each pair of codes (missing = n levels).

    Similarities below ``cutoff`` may come back as 0 (and their levels as ``far`` or ``else``
    accordingly): pass it only when lower similarities do not matter.
    """
    n_levels = len(spec.levels)
    usable = table.usable
    present = usable[ca] & usable[cb]
    levels = np.full(len(ca), n_levels, dtype=np.int64)
    sims = np.full(len(ca), np.nan, dtype=np.float64)
    if not present.any():
        return levels, sims
    ua, ub, inverse = _distinct(ca[present], cb[present], len(table.vocab.strings))
    same = ua == ub
    if spec.kind == "exact":
        facts = _Facts(same=same)
        sim = same.astype(np.float64)
    elif spec.kind == "id":
        dist, sim = _osa(table, ua, ub)
        facts = _Facts(edits=dist)
    else:
        sim = np.ones(len(ua), dtype=np.float64)
        differ = ~same
        if differ.any():
            sim[differ] = _jaro_winkler(
                table, ua[differ], ub[differ], tokens=spec.kind == "name", cutoff=cutoff
            )
        phonetic = None
        if spec.kind == "name":
            skel = table.skeleton_codes
            phonetic = (skel[ua] == skel[ub]) & (skel[ua] != 0)
        close, far = spec.thresholds[0], spec.thresholds[-1]
        facts = _Facts(same=same, similarity=sim, close=close, far=far, phonetic=phonetic)
    level = spec.ladder.select(facts)
    levels[present] = level[inverse]
    sims[present] = sim[inverse]
    return levels, sims


def _one_edit_apart(va: IntArray, vb: IntArray) -> BoolArray:
    """Whether two 8-digit YYYYMMDD numbers are at most one OSA edit apart.

    Between strings of equal length that is one substituted digit or two adjacent digits
    swapped (an insertion needs a deletion to keep the length, which is two edits).
    """
    shifts = 10 ** np.arange(7, -1, -1, dtype=np.int64)
    a = (va[:, None] // shifts) % 10
    b = (vb[:, None] // shifts) % 10
    differ = a != b
    count = differ.sum(axis=1)
    swapped = (
        differ[:, :-1] & differ[:, 1:] & (a[:, :-1] == b[:, 1:]) & (a[:, 1:] == b[:, :-1])
    ).any(axis=1)
    return np.asarray((count <= 1) | ((count == 2) & swapped), dtype=np.bool_)


def _date_levels(
    table: Table, spec: FieldSpec, ia: IntArray, ib: IntArray, similarities: bool = True
) -> tuple[IntArray, FloatArray, BoolArray]:
    """Return level, similarity and "both dates complete" per pair of a date field.

    Without ``similarities`` the similarity is NaN throughout (levels are the same).
    """
    cols = table.dates[spec.column]
    ya, yb = cols.year[ia], cols.year[ib]
    ma, mb = cols.month[ia], cols.month[ib]
    da, db = cols.day[ia], cols.day[ib]
    oa, ob = cols.ordinal[ia], cols.ordinal[ib]
    present = (ya > 0) & (yb > 0)
    complete = present & (ma > 0) & (mb > 0) & (da > 0) & (db > 0)
    same_year = ya == yb
    same_month_day = (ma == mb) & (da == db)
    exact = complete & same_year & same_month_day
    valid = (oa >= 0) & (ob >= 0)
    days = np.abs(oa - ob)
    window = valid & (days <= table.settings.date_window_days)
    # A complete date has year 1-9999 and month and day 1-31: its YYYYMMDD digits are the
    # eight digits of this number, so a one-digit typo is found without building strings
    # (only where the ladder can reach it: not exact, not within the window).
    typo = np.zeros(len(ia), dtype=np.bool_)
    candidates = complete & ~exact & ~window
    if candidates.any():
        va = (ya * 10000 + ma * 100 + da)[candidates]
        vb = (yb * 10000 + mb * 100 + db)[candidates]
        typo[candidates] = _one_edit_apart(va, vb)
    facts = _Facts(
        complete=complete,
        same_year=same_year,
        same_month_day=same_month_day,
        day_month_swapped=(ma == db) & (da == mb) & (ma != da),
        within_window=window,
        one_edit=typo,
        # A year apart, give or take the window (366 days across a 29 February).
        year_apart=valid & (np.abs(days - 365) <= table.settings.date_window_days + 1),
    )
    level = np.where(present, spec.ladder.select(facts), spec.ladder.missing)
    if not similarities:
        return level.astype(np.int64), np.full(len(ia), np.nan), complete
    digit_sim = np.zeros(len(ia), dtype=np.float64)
    da_codes, db_codes = cols.digits[ia], cols.digits[ib]
    both = complete & (da_codes != 0) & (db_codes != 0)
    if both.any():
        ua, ub, inverse = _distinct(da_codes[both], db_codes[both], len(table.vocab.strings))
        digit_sim[both] = _osa(table, ua, ub)[1][inverse]
    day_sim = np.where(valid, np.clip(1.0 - days / 365.0, 0.0, 1.0), 0.0)
    sim = np.maximum(digit_sim, day_sim)
    sim = np.where(exact, 1.0, sim)
    sim = np.where(present, sim, np.nan)
    return level.astype(np.int64), sim, complete


def compare(table: Table, ia: IntArray, ib: IntArray, similarities: bool = True) -> Comparison:
    """Compare the pairs ``(ia[k], ib[k])`` of ``table`` field by field.

    Args:
        table: The prepared records.
        ia: Row indices of the left records.
        ib: Row indices of the right records.
        similarities: Whether date similarities are wanted (for explanations); without them
            they are NaN, which saves a string comparison per pair. Levels are the same.

    Returns:
        Levels, similarities and rule flags of every pair.
    """
    settings = table.settings
    specs = settings.fields
    n = len(ia)
    levels = np.empty((n, len(specs)), dtype=np.int8)
    sims = np.empty((n, len(specs)), dtype=np.float32)
    complete_dates: dict[str, BoolArray] = {}
    for col, spec in enumerate(specs):
        if spec.kind == "date":
            level, sim, complete = _date_levels(table, spec, ia, ib, similarities)
            complete_dates[spec.column] = complete
        else:
            codes = table.codes[spec.column]
            level, sim = _string_levels(table, spec, codes[ia], codes[ib])
        levels[:, col] = level
        sims[:, col] = sim

    swapped = np.zeros(n, dtype=np.bool_)
    given, family = settings.field_by_role("given_name"), settings.field_by_role("family_name")
    if given and family and given.kind == family.kind == "name":
        g, f = specs.index(given), specs.index(family)
        gc, fc = table.codes[given.column], table.codes[family.column]
        # Only cross similarities of at least ``close`` can mark a swap, so lower ones are
        # cut short (and the cross levels are used only for swapped pairs). The margin keeps
        # rapidfuzz's rounding at the cutoff from dropping a similarity of exactly ``close``.
        close = given.thresholds[0]
        cutoff = max(close - 0.01, 0.0)
        cross_1 = _string_levels(table, given, gc[ia], fc[ib], cutoff=cutoff)
        # Both cross similarities must reach ``close``: the second is needed only where the
        # first does (elsewhere it stays missing).
        maybe = np.flatnonzero(np.nan_to_num(cross_1[1]) >= close)
        cross_2 = (
            np.full(n, len(family.levels), dtype=np.int64),
            np.full(n, np.nan, dtype=np.float64),
        )
        if len(maybe):
            found = _string_levels(table, family, fc[ia[maybe]], gc[ib[maybe]], cutoff=cutoff)
            cross_2[0][maybe], cross_2[1][maybe] = found
        direct = np.nan_to_num(sims[:, g]) + np.nan_to_num(sims[:, f])
        crossed = np.nan_to_num(cross_1[1]) + np.nan_to_num(cross_2[1])
        swapped = (
            (np.nan_to_num(cross_1[1]) >= close)
            & (np.nan_to_num(cross_2[1]) >= close)
            & (crossed > direct)
        )
        if swapped.any():
            # Give the worse cross level to the given name and the better one to the family
            # name, so that the result does not depend on which record is on the left.
            worse = np.maximum(cross_1[0], cross_2[0])
            better = np.minimum(cross_1[0], cross_2[0])
            levels[swapped, g] = worse[swapped]
            levels[swapped, f] = better[swapped]
            sims[swapped, g] = np.minimum(cross_1[1], cross_2[1])[swapped]
            sims[swapped, f] = np.maximum(cross_1[1], cross_2[1])[swapped]

    twins = np.zeros(n, dtype=np.bool_)
    siblings = np.zeros(n, dtype=np.bool_)
    mothers = [i for i, spec in enumerate(specs) if spec.role == "mother"]
    dob = settings.field_by_role("date_of_birth")
    if mothers and dob is not None and dob.kind == "date":
        agree = np.ones(n, dtype=np.bool_)
        any_present = np.zeros(n, dtype=np.bool_)
        for i in mothers:
            present = levels[:, i] < len(specs[i].levels)
            agree &= ~present | (levels[:, i] < MOTHER_AGREES)
            any_present |= present
        same_mother = agree & any_present
        d = specs.index(dob)
        given_level = levels[:, specs.index(given)] if given is not None else None
        cols = table.dates[dob.column]
        apart = np.abs(cols.ordinal[ia] - cols.ordinal[ib]) > SIBLING_DAYS
        multiple = table.multiple_birth
        both_multiple = multiple[ia] & multiple[ib] if multiple is not None else False
        twins, siblings = vetoes(
            same_mother,
            levels[:, d],
            complete_dates[dob.column],
            given.levels if given is not None else None,
            given_level,
            apart,
            both_multiple,
            ~swapped,
        )
    return Comparison(levels, sims, swapped, twins, siblings)
