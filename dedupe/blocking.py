"""Blocking: which pairs are worth comparing.

Each rule turns a record into one key (or none when a part is missing); records sharing a key
form a block. Every pair inside a block of up to ``max_block_size`` records is a candidate. A
larger block (a common name in a common year, say) is not compared all against all, which
would grow with the square of the data: its records are sorted on the fields the rule does not
use and each meets only the ``block_window - 1`` records on either side (the *sorted
neighbourhood* method; the other rules act as further passes in other orders). The work per
record is then bounded whatever the size of the data.

Keys are built column-wise: each key part is computed once per distinct value, not per record.
The default rules (see :class:`~dedupe.settings.Settings`) combine phonetic name keys with
birth-date keys that ignore the order of day and month, so a late registration with a misspelt
name *or* a swapped day and month still meets its original.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import cast

import numpy as np
import numpy.typing as npt

from dedupe.records import IntArray, Record, Table, distinct
from dedupe.settings import Settings

__all__ = [
    "blocking_keys",
    "candidate_pairs",
    "pair_rules",
    "rule_keys",
    "rule_pairs",
    "sample_pairs",
]

PairArrays = tuple[IntArray, IntArray]


def _string_part(
    table: Table, transform: str, argument: int, column: str
) -> tuple[IntArray, list[str]]:
    """Return per row a local code of the key part, and the part string of each local code.

    The part string is ``""`` when the value is unusable (missing or a placeholder name).
    """
    used, inverse = np.unique(table.codes[column], return_inverse=True)
    usable = table.usable[used].tolist()
    codes = used.tolist()
    if transform == "phonetic":
        skeletons = table.skeletons
        source = [skeletons[c] for c in codes]
    elif transform == "exact":
        tokens = table.sorted_tokens
        source = [tokens[c] for c in codes]
    else:
        strings = table.vocab.strings
        words = [strings[c].replace(" ", "") for c in codes]
        length = 1 if transform == "initial" else argument
        source = [w[:length] for w in words]
    parts = [s if ok else "" for s, ok in zip(source, usable, strict=True)]
    return inverse.reshape(-1).astype(np.int64), parts


def _date_part(table: Table, transform: str, column: str) -> tuple[IntArray, list[str]]:
    """Return per row a local code of a date key part, and the part string of each code."""
    cols = table.dates[column]
    if transform == "year":
        values = cols.year
    else:
        complete = (cols.year > 0) & (cols.month > 0) & (cols.day > 0)
        if transform == "dmy":
            low = np.minimum(cols.month, cols.day)
            high = np.maximum(cols.month, cols.day)
            values = np.where(complete, cols.year * 10000 + low * 100 + high, 0)
        else:
            values = np.where(complete, cols.year * 10000 + cols.month * 100 + cols.day, 0)
    used, inverse = np.unique(values, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), [str(v) if v else "" for v in used.tolist()]


def _compress(values: IntArray) -> tuple[IntArray, IntArray]:
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct, inverse.reshape(-1).astype(np.int64)


def _rule_parts(table: Table, rule_index: int) -> tuple[IntArray, IntArray, list[str]]:
    """Return the key code per row (-1 when none), the part ids per key and the part strings.

    Part ids index the sorted distinct part strings of the rule (id ``k`` is ``names[k - 1]``),
    so that sorting ids sorts the strings, as ``unordered`` rules need.
    """
    rule = table.settings.blocking[rule_index]
    kinds = {spec.column: spec.kind for spec in table.settings.fields}
    n = len(table)
    local: list[tuple[IntArray, list[str]]] = []
    for transform, argument, column in rule.parts():
        if kinds[column] == "date":
            if transform in ("year", "dmy", "date"):
                local.append(_date_part(table, transform, column))
            else:
                local.append((np.zeros(n, dtype=np.int64), [""]))
        else:
            local.append(_string_part(table, transform, argument, column))
    names = sorted({s for _, strings in local for s in strings if s})
    ids = {s: k + 1 for k, s in enumerate(names)}
    columns = [
        np.array([ids.get(s, 0) for s in strings], dtype=np.int64)[codes]
        for codes, strings in local
    ]
    stacked = np.stack(columns, axis=1) if columns else np.zeros((n, 0), dtype=np.int64)
    valid = (stacked > 0).all(axis=1) & (stacked.shape[1] > 0)
    if rule.unordered:
        stacked = np.sort(stacked, axis=1)
    rows = stacked[valid]
    combined = np.zeros(len(rows), dtype=np.int64)
    radix = len(names) + 1
    for col in range(rows.shape[1]):
        # Mixed-radix code of the parts seen so far, renumbered densely to stay in int64.
        _, combined = _compress(combined * radix + rows[:, col])
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    codes = np.full(n, -1, dtype=np.int64)
    codes[valid] = inverse.reshape(-1)
    return codes, rows[first], names


def rule_keys(table: Table, rule_index: int) -> tuple[IntArray, list[str]]:
    """Return one key code per record for a rule (-1 when no key) and the key strings.

    Args:
        table: The prepared records.
        rule_index: Index of the rule in ``table.settings.blocking``.

    Returns:
        ``(codes, strings)``: ``codes[row]`` indexes ``strings`` or is -1.
    """
    codes, parts, names = _rule_parts(table, rule_index)
    strings = [f"{rule_index}:" + "|".join(names[k - 1] for k in row) for row in parts.tolist()]
    return codes, strings


def blocking_keys(record: Record, settings: Settings) -> list[str]:
    """Return the blocking keys of one record, e.g. for an indexed lookup table.

    Two records are candidates when they share at least one key. Keys are stable strings of
    the form ``"<rule index>:<value>"``; store them and look candidates up by equality.

    Args:
        record: The record.
        settings: The settings whose blocking rules apply.

    Returns:
        The record's keys, one per rule that yields a key.
    """
    # The same keys as ``rule_keys`` gives a one-record table, part by part without arrays
    # (a declaration is keyed on every request; numpy's set-up per call would dominate).
    table = Table([record], settings)
    kinds = {spec.column: spec.kind for spec in settings.fields}
    keys = []
    for index, rule in enumerate(settings.blocking):
        parts = [_one_part(table, t, argument, c, kinds[c]) for t, argument, c in rule.parts()]
        if not parts or not all(parts):
            continue
        if rule.unordered:
            parts.sort()
        keys.append(f"{index}:" + "|".join(parts))
    return keys


def _one_part(table: Table, transform: str, argument: int, column: str, kind: str) -> str:
    """The key part of the table's only row (``""`` when it has none), as ``_rule_parts``."""
    if kind == "date":
        if transform not in ("year", "dmy", "date"):
            return ""
        cols = table.dates[column]
        year, month, day = int(cols.year[0]), int(cols.month[0]), int(cols.day[0])
        if transform == "year":
            value = year
        elif not (year > 0 and month > 0 and day > 0):
            value = 0
        elif transform == "dmy":
            value = year * 10000 + min(month, day) * 100 + max(month, day)
        else:
            value = year * 10000 + month * 100 + day
        return str(value) if value else ""
    code = int(table.codes[column][0])
    if not table.usable[code]:
        return ""
    if transform == "phonetic":
        return table.skeletons[code]
    if transform == "exact":
        return str(table.sorted_tokens[code])
    word = table.vocab.strings[code].replace(" ", "")
    return word[: 1 if transform == "initial" else argument]


#: Fields of high cardinality sort first: an exact field (sex, district) orders little.
_SORT_PRIORITY = {"name": 0, "id": 1, "date": 2, "text": 3, "exact": 4}


def _sort_columns(table: Table, rule_index: int) -> list[IntArray]:
    """Per field the rule does not use, an integer per row that sorts like its value.

    Names, ids and dates come before free text and exact fields, each in settings order.
    """
    used = {column for _, _, column in table.settings.blocking[rule_index].parts()}
    specs = [spec for spec in table.settings.fields if spec.column not in used]
    out = []
    for spec in sorted(specs, key=lambda spec: _SORT_PRIORITY[spec.kind]):
        if spec.kind == "date":
            cols = table.dates[spec.column]
            out.append(cols.year * 10000 + cols.month * 100 + cols.day)
        else:
            out.append(table.string_ranks[table.codes[spec.column]])
    return out


def _all_pairs(order: IntArray, starts: IntArray, sizes: IntArray) -> Iterator[PairArrays]:
    for size in distinct(sizes).tolist():
        first = starts[sizes == size]
        ti, tj = np.triu_indices(size, 1)
        yield (
            order[(first[:, None] + ti[None, :]).ravel()],
            order[(first[:, None] + tj[None, :]).ravel()],
        )


def _neighbour_pairs(
    rows: IntArray, block: IntArray, sort_columns: list[IntArray], window: int
) -> Iterator[PairArrays]:
    """Sorted-neighbourhood pairs of the given rows, within their blocks."""
    # np.lexsort sorts on its last key first: the block, then the first sort column.
    index = np.lexsort([*(c[rows] for c in reversed(sort_columns)), block])
    order, sorted_block = rows[index], block[index]
    for step in range(1, window):
        same = sorted_block[step:] == sorted_block[:-step]
        yield order[:-step][same], order[step:][same]


def _pairs_in_blocks(
    codes: IntArray, max_block: int, window: int, sort_columns: list[IntArray]
) -> Iterator[PairArrays]:
    rows = np.flatnonzero(codes >= 0)
    if len(rows) < 2:
        return
    order = rows[np.argsort(codes[rows], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    small = (sizes >= 2) & (sizes <= max_block)
    yield from _all_pairs(order, starts[small], sizes[small])
    large = sizes > max_block
    if large.any():
        member = np.repeat(large, sizes)
        big_rows = order[member]
        yield from _neighbour_pairs(big_rows, sorted_codes[member], sort_columns, window)


def rule_pairs(table: Table, rule_index: int, split: int | None = None) -> IntArray:
    """Return the candidate pairs of one blocking rule, encoded as ``low * len(table) + high``.

    Args:
        table: The prepared records.
        rule_index: Index of the rule in ``table.settings.blocking``.
        split: See :func:`candidate_pairs`.
    """
    cached = table.pair_cache.get((rule_index, split))
    if cached is not None:
        return cached
    settings = table.settings
    n = len(table)
    codes, _, _ = _rule_parts(table, rule_index)
    parts = []
    # Each batch of pairs becomes its keys at once: two index arrays per pair are never held
    # for the whole rule.
    for ia, ib in _pairs_in_blocks(
        codes, settings.max_block_size, settings.block_window, _sort_columns(table, rule_index)
    ):
        low = np.minimum(ia, ib)
        high = np.maximum(ia, ib)
        if split is not None:
            keep = (low < split) & (high >= split)
            low, high = low[keep], high[keep]
        low *= n
        low += high
        parts.append(np.asarray(low, dtype=np.int64))
        del ia, ib, low, high
    keys = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    del parts
    keys.sort()
    if len(keys):
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    table.pair_cache[(rule_index, split)] = keys
    return keys


def candidate_pairs(table: Table, split: int | None = None) -> tuple[IntArray, IntArray]:
    """Return the distinct candidate pairs of a table under all its blocking rules.

    Which rules found each pair is kept on the table (see :func:`pair_rules`), and each rule's
    own pairs are then dropped from its cache: they would hold memory for the whole run.

    Args:
        table: The prepared records.
        split: For linking, rows ``< split`` are the left data set and the rest the right one;
            only left-right pairs are returned, oriented left first. ``None`` deduplicates.

    Returns:
        ``(ia, ib)`` row indices with ``ia < ib``, sorted (int32 when the table is small
        enough, to halve their memory; the values are the same).
    """
    n = len(table)
    n_rules = len(table.settings.blocking)
    if not n_rules:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    width = (n_rules + 7) // 8
    keys = np.empty(0, dtype=np.int64)
    flags = np.zeros((0, width), dtype=np.uint8)
    for index in range(n_rules):
        # Merged rule by rule (never all rules' pairs at once): mark the pairs already found,
        # insert the new ones in order.
        found = rule_pairs(table, index, split)
        table.pair_cache.pop((index, split), None)
        byte, bit = index // 8, np.uint8(1 << index % 8)
        at = np.searchsorted(keys, found)
        seen = np.zeros(len(found), dtype=np.bool_)
        inside = at < len(keys)
        seen[inside] = keys[at[inside]] == found[inside]
        flags[at[seen], byte] |= bit
        at, found = at[~seen], found[~seen]
        del seen, inside
        keys, flags = _merge(keys, flags, at, found, byte, bit)
        del found, at
    table.rule_flags[split] = flags
    # The arrays hold the same row numbers either way; int32 only narrows their storage.
    # They are filled a slice at a time: no int64 copy of all the pairs is made.
    small = np.int32 if n < 2**31 else np.int64
    ia = np.empty(len(keys), dtype=small)
    ib = np.empty(len(keys), dtype=small)
    for a, b in chunks(len(keys), 1_000_000):
        ia[a:b], ib[a:b] = np.divmod(keys[a:b], n)
    return cast(IntArray, ia), cast(IntArray, ib)


def _merge(
    keys: IntArray,
    flags: npt.NDArray[np.uint8],
    at: IntArray,
    new: IntArray,
    byte: int,
    bit: np.uint8,
) -> tuple[IntArray, npt.NDArray[np.uint8]]:
    """Insert the sorted ``new`` keys (not in ``keys``) before positions ``at`` of ``keys``,
    flagged ``bit`` of column ``byte`` only (as ``np.insert``, with fewer temporary arrays).
    ``at`` is overwritten."""
    size = len(keys) + len(new)
    where = at
    where += np.arange(len(new))
    old = np.ones(size, dtype=np.bool_)
    old[where] = False
    merged = np.empty(size, dtype=np.int64)
    merged[where] = new
    merged[old] = keys
    merged_flags = np.empty((size, flags.shape[1]), dtype=np.uint8)
    merged_flags[where] = 0
    merged_flags[where, byte] = bit
    merged_flags[old] = flags
    return merged, merged_flags


def pair_rules(table: Table, rule_index: int, split: int | None = None) -> IntArray:
    """Return the positions, among the last :func:`candidate_pairs` of ``(table, split)``, of
    the pairs found by one rule (sorted)."""
    flags = table.rule_flags[split]
    return np.flatnonzero(flags[:, rule_index // 8] & np.uint8(1 << rule_index % 8))


def sample_pairs(
    n: int, count: int, seed: int, split: int | None = None
) -> tuple[IntArray, IntArray]:
    """Return up to ``count`` random distinct-row pairs (for estimating u probabilities)."""
    rng = np.random.default_rng(seed)
    if split is None:
        ia = rng.integers(0, n, size=count)
        ib = rng.integers(0, n, size=count)
    else:
        ia = rng.integers(0, split, size=count)
        ib = rng.integers(split, n, size=count)
    keep = ia != ib
    return ia[keep].astype(np.int64), ib[keep].astype(np.int64)


def chunks(total: int, size: int) -> Sequence[tuple[int, int]]:
    """Return ``(start, stop)`` bounds that cover ``range(total)`` in steps of ``size``."""
    return [(start, min(start + size, total)) for start in range(0, total, size)]
