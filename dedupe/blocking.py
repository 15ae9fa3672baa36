"""Blocking: which pairs are worth comparing.

Each rule turns a record into one key (or none when a part is missing); records sharing a key
form a block and every pair inside a block is a candidate. The default rules (see
:class:`~dedupe.settings.Settings`) combine phonetic name keys with birth-date keys that ignore
the order of day and month, so a late registration with a misspelt name *or* a swapped day and
month still meets its original. Blocks larger than ``max_block_size`` are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dedupe.records import IntArray, Record, Table
from dedupe.settings import Settings

__all__ = ["blocking_keys", "candidate_pairs", "rule_keys", "rule_pairs", "sample_pairs"]


def _string_part(table: Table, transform: str, argument: int, column: str) -> list[str]:
    """Return, per vocabulary code, the key part of a text field ("" when unusable)."""
    usable = table.usable
    if transform == "phonetic":
        source = table.skeletons
    elif transform == "exact":
        source = list(table.sorted_tokens)
    else:
        strings = table.vocab.strings
        length = 1 if transform == "initial" else argument or len(max(strings, key=len))
        source = [s.replace(" ", "")[:length] for s in strings]
    return [s if ok else "" for s, ok in zip(source, usable, strict=True)]


def _date_part(table: Table, transform: str, column: str) -> IntArray:
    cols = table.dates[column]
    if transform == "year":
        return cols.year.copy()
    complete = (cols.year > 0) & (cols.month > 0) & (cols.day > 0)
    if transform == "dmy":
        low = np.minimum(cols.month, cols.day)
        high = np.maximum(cols.month, cols.day)
        return np.where(complete, cols.year * 10000 + low * 100 + high, 0)
    return np.where(complete, cols.year * 10000 + cols.month * 100 + cols.day, 0)


def rule_keys(table: Table, rule_index: int) -> tuple[IntArray, list[str]]:
    """Return one key code per record for a rule (-1 when no key) and the key strings.

    Args:
        table: The prepared records.
        rule_index: Index of the rule in ``table.settings.blocking``.

    Returns:
        ``(codes, strings)``: ``codes[row]`` indexes ``strings`` or is -1.
    """
    rule = table.settings.blocking[rule_index]
    kinds = {spec.column: spec.kind for spec in table.settings.fields}
    columns: list[list[str]] = []
    n = len(table)
    for transform, argument, column in rule.parts():
        if kinds[column] == "date":
            if transform in ("year", "dmy", "date"):
                values = _date_part(table, transform, column)
                columns.append([str(v) if v else "" for v in values.tolist()])
            else:
                columns.append([""] * n)
        else:
            by_code = _string_part(table, transform, argument, column)
            columns.append([by_code[c] for c in table.codes[column].tolist()])
    codes = np.full(n, -1, dtype=np.int64)
    seen: dict[str, int] = {}
    for row, parts in enumerate(zip(*columns, strict=True)):
        if all(parts):
            key = "|".join(sorted(parts) if rule.unordered else parts)
            codes[row] = seen.setdefault(key, len(seen))
    strings = [f"{rule_index}:{key}" for key in seen]
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
    table = Table([record], settings)
    keys = []
    for index in range(len(settings.blocking)):
        codes, strings = rule_keys(table, index)
        if codes[0] >= 0:
            keys.append(strings[int(codes[0])])
    return keys


def _pairs_in_blocks(codes: IntArray, max_block: int) -> tuple[IntArray, IntArray]:
    rows = np.flatnonzero(codes >= 0)
    if len(rows) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    order = rows[np.argsort(codes[rows], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    left: list[IntArray] = []
    right: list[IntArray] = []
    for size in np.unique(sizes):
        if size < 2 or size > max_block:
            continue
        first = starts[sizes == size]
        ti, tj = np.triu_indices(int(size), 1)
        left.append(order[(first[:, None] + ti[None, :]).ravel()])
        right.append(order[(first[:, None] + tj[None, :]).ravel()])
    if not left:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(left), np.concatenate(right)


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
    codes, _ = rule_keys(table, rule_index)
    ia, ib = _pairs_in_blocks(codes, table.settings.max_block_size)
    low, high = np.minimum(ia, ib), np.maximum(ia, ib)
    if split is not None:
        keep = (low < split) & (high >= split)
        low, high = low[keep], high[keep]
    keys = np.asarray(low * len(table) + high, dtype=np.int64)
    table.pair_cache[(rule_index, split)] = keys
    return keys


def candidate_pairs(table: Table, split: int | None = None) -> tuple[IntArray, IntArray]:
    """Return the distinct candidate pairs of a table under all its blocking rules.

    Args:
        table: The prepared records.
        split: For linking, rows ``< split`` are the left data set and the rest the right one;
            only left-right pairs are returned, oriented left first. ``None`` deduplicates.

    Returns:
        ``(ia, ib)`` row indices with ``ia < ib``, sorted.
    """
    n = len(table)
    found = [rule_pairs(table, index, split) for index in range(len(table.settings.blocking))]
    if not found:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    keys = np.unique(np.concatenate(found))
    return keys // n, keys % n


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
