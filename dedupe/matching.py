"""Training, scoring and the batch entry points (deduplicate, link, one-record lookup)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedupe import few
from dedupe.blocking import candidate_pairs, chunks, rule_pairs, sample_pairs
from dedupe.compare import Comparison, compare
from dedupe.errors import InputError
from dedupe.model import (
    Candidate,
    FieldComparison,
    FieldParams,
    Model,
    RuleHit,
    default_m_u,
)
from dedupe.records import IntArray, Record, Table
from dedupe.settings import Settings

__all__ = [
    "ScoredPairs",
    "find_duplicates",
    "link",
    "score_candidates",
    "score_pair",
    "score_table",
    "train",
]

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]
_CHUNK = 1_000_000
#: Up to this many candidates, a thresholded look-up is first scored pair by pair (dedupe.few).
_FEW = 64
_EM_PAIRS = 1_000_000
_TWINS = "Same mother and birth date but clearly different given names: likely twins."
_SIBLINGS = "Same mother but birth dates far apart: likely siblings."


def _check_ids(records: Sequence[Record]) -> None:
    ids = [record.id for record in records]
    if len(set(ids)) != len(ids):
        raise InputError("record ids must be unique within a batch")


def _table(left: Sequence[Record], right: Sequence[Record] | None, settings: Settings) -> Table:
    _check_ids(left)
    if right is None:
        return Table(left, settings)
    _check_ids(right)
    return Table([*left, *right], settings)


# --- training ---------------------------------------------------------------------------------


def _pattern_counts(levels: npt.NDArray[np.int8], radix: int) -> tuple[IntArray, IntArray]:
    """Encode each row of levels as one integer; return distinct codes and their counts."""
    codes = np.zeros(len(levels), dtype=np.int64)
    for col in range(levels.shape[1]):
        codes = codes * radix + levels[:, col].astype(np.int64)
    return np.unique(codes, return_counts=True)


def _decode(codes: IntArray, n_fields: int, radix: int) -> IntArray:
    out = np.empty((len(codes), n_fields), dtype=np.int64)
    rest = codes.copy()
    for col in range(n_fields - 1, -1, -1):
        out[:, col] = rest % radix
        rest //= radix
    return out


def _level_frequencies(levels: npt.NDArray[np.int8], col: int, n_levels: int) -> FloatArray:
    counts = np.bincount(levels[:, col].astype(np.int64), minlength=n_levels + 1)[:n_levels]
    return np.asarray((counts + 0.5) / (counts.sum() + 0.5 * n_levels), dtype=np.float64)


def _em(
    patterns: IntArray,
    counts: IntArray,
    m: list[FloatArray],
    u: list[FloatArray],
    learn: list[bool],
    prior: float,
    iterations: int,
    learn_prior: bool,
    learn_u: bool,
) -> tuple[list[FloatArray], list[FloatArray], float]:
    """Expectation-maximisation of m, u and the prior on distinct comparison patterns."""
    weights = counts.astype(np.float64)
    n_fields = patterns.shape[1]
    for _ in range(iterations):
        log_ratio = np.full(len(patterns), math.log(prior / (1.0 - prior)))
        for f in range(n_fields):
            table = np.log(np.r_[m[f], 1.0]) - np.log(np.r_[u[f], 1.0])
            log_ratio += table[patterns[:, f]]
        g = 1.0 / (1.0 + np.exp(-np.clip(log_ratio, -700, 700)))
        new_prior = float((g * weights).sum() / weights.sum())
        if learn_prior:
            prior = min(max(new_prior, 1e-6), 1 - 1e-6)
        for f in range(n_fields):
            if not learn[f]:
                continue
            n_levels = len(m[f])
            as_match = np.bincount(patterns[:, f], weights=g * weights, minlength=n_levels + 1)
            as_non = np.bincount(patterns[:, f], weights=(1 - g) * weights, minlength=n_levels + 1)
            m[f] = (as_match[:n_levels] + 1e-3) / (as_match[:n_levels].sum() + 1e-3 * n_levels)
            if learn_u:
                u[f] = (as_non[:n_levels] + 1e-3) / (as_non[:n_levels].sum() + 1e-3 * n_levels)
    return m, u, prior


def _fit(
    table: Table,
    ia: IntArray,
    ib: IntArray,
    all_levels: npt.NDArray[np.int8],
    split: int | None,
) -> Model:
    """Learn m by EM once per blocking rule, u from random pairs, then the prior.

    ``all_levels`` are the levels of the candidate pairs ``(ia, ib)``, computed once.
    """
    settings = table.settings
    n_candidates = len(ia)
    all_keys = ia * len(table) + ib
    specs = settings.fields
    fallback = Model.from_settings(settings)
    if n_candidates < settings.em.min_pairs or len(table) < 20:
        return Model(settings, fallback.params, fallback.prior, "priors")
    rng = np.random.default_rng(settings.em.seed)
    sa, sb = sample_pairs(len(table), settings.em.sample_pairs, settings.em.seed, split)
    random_levels = compare(table, sa, sb, similarities=False).levels
    u = [
        _level_frequencies(random_levels, col, len(spec.levels))
        if len(random_levels)
        else np.array(default_m_u(spec)[1], dtype=np.float64)
        for col, spec in enumerate(specs)
    ]
    radix = max(len(spec.levels) for spec in specs) + 1
    m_sum = [np.zeros(len(spec.levels)) for spec in specs]
    sessions = [0] * len(specs)
    start = settings.prior if settings.prior is not None else 0.1
    if not settings.em.fix_u:
        return _fit_jointly(table, all_levels, u)
    # As Splink does: one EM session per blocking rule, each learning m only for the fields
    # the rule does not block on (a blocked field agrees by construction there).
    for index, rule in enumerate(settings.blocking):
        keys = rule_pairs(table, index, split)
        if len(keys) < settings.em.min_pairs:
            continue
        if len(keys) > _EM_PAIRS:
            keys = np.sort(rng.choice(keys, _EM_PAIRS, replace=False))
        blocked = {column for _, _, column in rule.parts()}
        learn = [not spec.fixed and spec.column not in blocked for spec in specs]
        if not any(learn):
            continue
        levels = all_levels[np.searchsorted(all_keys, keys)]
        codes, counts = _pattern_counts(levels, radix)
        m = [np.array(default_m_u(spec)[0], dtype=np.float64) for spec in specs]
        m, _, _ = _em(
            _decode(codes, len(specs), radix),
            counts,
            m,
            [x.copy() for x in u],
            learn,
            start,
            settings.em.max_iterations,
            learn_prior=True,
            learn_u=False,
        )
        for col in range(len(specs)):
            if learn[col]:
                m_sum[col] += m[col]
                sessions[col] += 1
    params = []
    for col, spec in enumerate(specs):
        if spec.fixed or not sessions[col]:
            params.append(FieldParams.from_spec(spec))
            continue
        learnt = FieldParams.from_m_u(spec, (m_sum[col] / sessions[col]).tolist(), u[col].tolist())
        # EM can settle on another split of the data; a field whose best level does not count
        # for a match, or whose worst does not count against one, keeps its defaults.
        if learnt.weights[0] <= 0 or learnt.weights[-1] >= 0:
            learnt = FieldParams.from_spec(spec)
        params.append(learnt)
    prior = (
        settings.prior
        if settings.prior is not None
        else _estimate_prior(table, all_levels, params, split)
    )
    return Model(settings, tuple(params), prior, "em")


def _fit_jointly(table: Table, levels: npt.NDArray[np.int8], u: list[FloatArray]) -> Model:
    """Learn m, u and the prior together by EM on all candidate pairs."""
    settings = table.settings
    specs = settings.fields
    radix = max(len(spec.levels) for spec in specs) + 1
    codes, counts = _pattern_counts(levels, radix)
    m = [np.array(default_m_u(spec)[0], dtype=np.float64) for spec in specs]
    m, u, prior = _em(
        _decode(codes, len(specs), radix),
        counts,
        m,
        u,
        [not spec.fixed for spec in specs],
        settings.prior if settings.prior is not None else 0.1,
        settings.em.max_iterations,
        learn_prior=settings.prior is None,
        learn_u=True,
    )
    params = []
    for col, spec in enumerate(specs):
        learnt = FieldParams.from_m_u(spec, m[col].tolist(), u[col].tolist())
        if spec.fixed or learnt.weights[0] <= 0 or learnt.weights[-1] >= 0:
            learnt = FieldParams.from_spec(spec)
        params.append(learnt)
    return Model(settings, tuple(params), prior, "em")


def _estimate_prior(
    table: Table, levels: npt.NDArray[np.int8], params: list[FieldParams], split: int | None
) -> float:
    """Learn the share of matches among all pairs with m and u fixed."""
    settings = table.settings
    n_candidates = len(levels)
    radix = max(len(spec.levels) for spec in settings.fields) + 1
    codes, counts = _pattern_counts(levels, radix)
    m = [np.array(p.m if p.m else [2.0**w for w in p.weights]) for p in params]
    u = [np.array(p.u if p.u else [1.0] * len(p.weights)) for p in params]
    _, _, blocked_prior = _em(
        _decode(codes, len(params), radix),
        counts,
        m,
        u,
        [False] * len(params),
        0.1,
        settings.em.max_iterations,
        learn_prior=True,
        learn_u=False,
    )
    # u describes random pairs, so the prior must too: the share of matches among all
    # possible pairs, not among the blocked candidates.
    n = len(table)
    possible = n * (n - 1) / 2 if split is None else split * (n - split)
    return min(max(blocked_prior * n_candidates / max(possible, 1.0), 1e-12), 0.5)


def train(
    records: Sequence[Record],
    settings: Settings,
    *,
    right: Sequence[Record] | None = None,
) -> Model:
    """Learn a model from unlabelled records by expectation-maximisation.

    As Splink does, the u probabilities come from a random sample of pairs, the m
    probabilities from one EM session per blocking rule (each learning only the fields that
    rule does not block on), and the prior from EM on all candidates with m and u fixed.
    Fields with weights or m/u in the settings keep them. With fewer than ``em.min_pairs``
    candidate pairs the defaults are returned (``model.source == "priors"``).

    Args:
        records: The records to learn from (the left data set when ``right`` is given).
        settings: The settings.
        right: For linking, the right data set; only left-right pairs are used.

    Returns:
        The learnt model.

    Raises:
        InputError: When record ids repeat.
    """
    table = _table(records, right, settings)
    split = None if right is None else len(records)
    ia, ib = candidate_pairs(table, split)
    return _fit(table, ia, ib, _compare_all(table, ia, ib)[0], split)


AllLevels = tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]


def _compare_all(table: Table, ia: IntArray, ib: IntArray) -> AllLevels:
    """Return levels, twin and sibling flags of all pairs, compared in chunks."""
    parts = [
        compare(table, ia[a:b], ib[a:b], similarities=False) for a, b in chunks(len(ia), _CHUNK)
    ]
    if not parts:
        none = np.zeros(0, dtype=np.bool_)
        return np.empty((0, len(table.settings.fields)), dtype=np.int8), none, none
    return (
        np.concatenate([p.levels for p in parts]),
        np.concatenate([p.twins for p in parts]),
        np.concatenate([p.siblings for p in parts]),
    )


# --- scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredPairs:
    """Scores of a batch of pairs as arrays (the fast path used by the command line).

    Attributes:
        table: The prepared records.
        left: Row indices of the left records.
        right: Row indices of the right records.
        levels: ``(pairs, fields)`` level indices.
        match_weight: Total match weight per pair.
        probability: Match probability per pair.
    """

    table: Table
    left: IntArray
    right: IntArray
    levels: npt.NDArray[np.int8]
    match_weight: FloatArray
    probability: FloatArray

    def level_names(self, col: int) -> list[str]:
        """Return the level name of field ``col`` for every pair."""
        names = [*self.table.settings.fields[col].levels, "missing"]
        return [names[i] for i in self.levels[:, col].tolist()]


def _weights(model: Model, comparison: Comparison) -> FloatArray:
    return _weights_of(model, comparison.levels, comparison.twins, comparison.siblings)


def _weights_of(
    model: Model,
    levels: npt.NDArray[np.int8],
    twins: npt.NDArray[np.bool_],
    siblings: npt.NDArray[np.bool_],
) -> FloatArray:
    total = np.full(len(levels), model.prior_weight, dtype=np.float64)
    for col, table in enumerate(model.weight_table()):
        total += table[levels[:, col].astype(np.int64)]
    total += np.where(twins, model.settings.twin_weight, 0.0)
    total += np.where(siblings, model.settings.sibling_weight, 0.0)
    return total


def _probability(weight: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000))), dtype=np.float64)


def _any_reaches(weights: Sequence[float], threshold: float) -> bool:
    return bool((_probability(np.array(weights, dtype=np.float64)) >= threshold).any())


def score_table(
    table: Table,
    ia: IntArray,
    ib: IntArray,
    model: Model,
    threshold: float,
    progress: Progress | None = None,
    compared: AllLevels | None = None,
) -> ScoredPairs:
    """Score candidate pairs in chunks and keep those at or above ``threshold``.

    Args:
        table: The prepared records.
        ia: Left row indices.
        ib: Right row indices.
        model: The model to apply.
        threshold: Minimum match probability kept.
        progress: Called with ``(done, total)`` pairs after each chunk.
        compared: Levels and rule flags of the pairs when already computed.

    Returns:
        The kept pairs, highest probability first.
    """
    kept: list[tuple[IntArray, IntArray, npt.NDArray[np.int8], FloatArray]] = []
    for a, b in chunks(len(ia), _CHUNK):
        if compared is None:
            comparison = compare(table, ia[a:b], ib[a:b], similarities=False)
            levels = comparison.levels
            weight = _weights(model, comparison)
        else:
            levels = compared[0][a:b]
            weight = _weights_of(model, levels, compared[1][a:b], compared[2][a:b])
        keep = _probability(weight) >= threshold
        kept.append((ia[a:b][keep], ib[a:b][keep], levels[keep], weight[keep]))
        if progress is not None:
            progress(b, len(ia))
    n_fields = len(model.settings.fields)
    left = np.concatenate([k[0] for k in kept]) if kept else np.empty(0, dtype=np.int64)
    right = np.concatenate([k[1] for k in kept]) if kept else np.empty(0, dtype=np.int64)
    levels = np.concatenate([k[2] for k in kept]) if kept else np.empty((0, n_fields), np.int8)
    weight = np.concatenate([k[3] for k in kept]) if kept else np.empty(0, dtype=np.float64)
    order = np.lexsort((right, left, -weight))
    return ScoredPairs(
        table, left[order], right[order], levels[order], weight[order], _probability(weight)[order]
    )


def _candidates(table: Table, ia: IntArray, ib: IntArray, model: Model) -> list[Candidate]:
    """Build explained candidates for the given pairs (highest probability first)."""
    if len(ia) == 0:
        return []
    comparison = compare(table, ia, ib)
    weight = _weights(model, comparison)
    probability = _probability(weight)
    specs = model.settings.fields
    strings = table.vocab.strings
    usable = table.usable
    tables = model.weight_table()
    out = []
    for k in range(len(ia)):
        a, b = int(ia[k]), int(ib[k])
        fields = []
        swapped = bool(comparison.swapped[k])
        for col, spec in enumerate(specs):
            level_index = int(comparison.levels[k, col])
            names = [*spec.levels, "missing"]
            sim = float(comparison.similarity[k, col])
            fields.append(
                FieldComparison(
                    column=spec.column,
                    kind=spec.kind,
                    left=_display(table, spec.column, a, strings, usable),
                    right=_display(table, spec.column, b, strings, usable),
                    level=names[level_index],
                    similarity=None if math.isnan(sim) else sim,
                    weight=float(tables[col][level_index]),
                    swapped=swapped and spec.role in ("given_name", "family_name"),
                )
            )
        rules = []
        if comparison.twins[k]:
            rules.append(RuleHit("twins", model.settings.twin_weight, _TWINS))
        if comparison.siblings[k]:
            rules.append(RuleHit("siblings", model.settings.sibling_weight, _SIBLINGS))
        out.append(
            Candidate(
                left_id=table.ids[a],
                right_id=table.ids[b],
                probability=float(probability[k]),
                match_weight=float(weight[k]),
                prior_weight=model.prior_weight,
                fields=tuple(fields),
                rules=tuple(rules),
            )
        )
    out.sort(key=lambda c: (-c.match_weight, c.left_id, c.right_id))
    return out


def _display(
    table: Table, column: str, row: int, strings: list[str], usable: npt.NDArray[np.bool_]
) -> str | None:
    if column in table.dates:
        cols = table.dates[column]
        year, month, day = (int(x[row]) for x in (cols.year, cols.month, cols.day))
        if not year:
            return None
        return f"{year:04d}-{month:02d}-{day:02d}" if month and day else f"{year:04d}"
    code = int(table.codes[column][row])
    return strings[code] if code else None


def score_pair(a: Record, b: Record, model: Model) -> Candidate:
    """Score and explain one pair of records.

    The score is symmetric: ``score_pair(a, b, m).probability == score_pair(b, a, m)
    .probability``.

    Args:
        a: The left record.
        b: The right record.
        model: The model to apply.

    Returns:
        The explained candidate (whatever its probability).
    """
    table = Table([a, b], model.settings)
    one = np.array([0], dtype=np.int64)
    return _candidates(table, one, one + 1, model)[0]


def score_candidates(
    record: Record,
    candidates: Sequence[Record],
    model: Model,
    threshold: float | None = None,
) -> list[Candidate]:
    """Score one record against many (e.g. those sharing a blocking key), in one batch.

    Args:
        record: The new or queried record (always on the left).
        candidates: Records to compare it with.
        model: The model to apply.
        threshold: When given, only candidates whose probability reaches it are explained and
            returned (the others are scored without building their explanations).

    Returns:
        One explained candidate per record in ``candidates`` (at or above ``threshold`` when
        given), highest probability first.
    """
    # The common answer for a declaration is "none": found pair by pair, without arrays.
    if (
        threshold is not None
        and len(candidates) <= _FEW
        and not _any_reaches(few.weights(record, candidates, model), threshold)
    ):
        return []
    table = Table([record, *candidates], model.settings)
    ia = np.zeros(len(candidates), dtype=np.int64)
    ib = np.arange(1, len(candidates) + 1, dtype=np.int64)
    if threshold is not None and len(ib):
        weight = _weights(model, compare(table, ia, ib, similarities=False))
        keep = _probability(weight) >= threshold
        ia, ib = ia[keep], ib[keep]
    return _candidates(table, ia, ib, model)


def find_duplicates(
    records: Sequence[Record], model: Model, threshold: float | None = None
) -> list[Candidate]:
    """Find pairs of records in one batch that are probably the same person.

    Args:
        records: The records; ids must be unique.
        model: The model to apply (see :func:`train`).
        threshold: Minimum match probability; the settings' threshold when ``None``.

    Returns:
        Explained candidates at or above the threshold, highest probability first.

    Raises:
        InputError: When record ids repeat.
    """
    table = _table(records, None, model.settings)
    ia, ib = candidate_pairs(table)
    limit = model.settings.threshold if threshold is None else threshold
    scored = score_table(table, ia, ib, model, limit)
    return _candidates(table, scored.left, scored.right, model)


def link(
    left: Sequence[Record],
    right: Sequence[Record],
    model: Model,
    threshold: float | None = None,
) -> list[Candidate]:
    """Find pairs across two batches that are probably the same person.

    Args:
        left: The left records.
        right: The right records; ids must be unique within each batch.
        model: The model to apply.
        threshold: Minimum match probability; the settings' threshold when ``None``.

    Returns:
        Explained candidates (left record first) at or above the threshold, best first.

    Raises:
        InputError: When record ids repeat.
    """
    table = _table(left, right, model.settings)
    ia, ib = candidate_pairs(table, len(left))
    limit = model.settings.threshold if threshold is None else threshold
    scored = score_table(table, ia, ib, model, limit)
    return _candidates(table, scored.left, scored.right, model)
