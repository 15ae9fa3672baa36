"""Training, scoring and the batch entry points (deduplicate, link, one-record lookup)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from dedupe import few
from dedupe.blocking import candidate_pairs, chunks, pair_rules, sample_pairs
from dedupe.compare import Comparison, compare
from dedupe.errors import InputError
from dedupe.model import (
    TF_LIMIT,
    Candidate,
    FieldComparison,
    FieldParams,
    Model,
    RuleHit,
    default_m_u,
)
from dedupe.records import IntArray, Record, Table
from dedupe.settings import FieldSpec, Settings

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
#: Pairs compared at once when all candidates' levels are computed (a comparison's temporary
#: arrays take about 300 bytes a pair).
_COMPARE_CHUNK = 250_000
#: Up to this many candidates, a thresholded look-up is first scored pair by pair (dedupe.few).
_FEW = 64
_EM_PAIRS = 1_000_000
#: Blocking transforms that keep a field's levels apart within a block (a year of birth still
#: leaves exact, close and other days): such a field still weighs in its session's EM, with
#: its default m, though its m is not learnt there.
_COARSE = frozenset({"year", "initial", "prefix"})
_TWINS = "Same mother and birth date but different given names: likely twins."
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


def _kept_pattern_counts(
    levels: npt.NDArray[np.int8], kept: npt.NDArray[np.bool_], radix: int
) -> tuple[IntArray, IntArray]:
    """``_pattern_counts(levels[kept], radix)``, chunk by chunk (no copy of all the levels)."""
    parts = [_pattern_counts(levels[a:b][kept[a:b]], radix) for a, b in chunks(len(levels), _CHUNK)]
    if not parts:
        return _pattern_counts(levels[:0], radix)
    codes, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    counts = np.bincount(
        inverse.reshape(-1), weights=np.concatenate([p[1] for p in parts]), minlength=len(codes)
    )
    return codes, counts.astype(np.int64)


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
    learn_m: bool = True,
) -> tuple[list[FloatArray], list[FloatArray], float]:
    """Expectation-maximisation of m, u and the prior on distinct comparison patterns.

    Only the fields marked in ``learn`` are re-estimated (their m unless ``learn_m`` is false,
    their u when ``learn_u``); the others weigh in with their given m and u.
    """
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
            if learn_m:
                as_match = np.bincount(patterns[:, f], weights=g * weights, minlength=n_levels + 1)
                m[f] = (as_match[:n_levels] + 1e-3) / (as_match[:n_levels].sum() + 1e-3 * n_levels)
            if learn_u:
                as_non = np.bincount(
                    patterns[:, f], weights=(1 - g) * weights, minlength=n_levels + 1
                )
                u[f] = (as_non[:n_levels] + 1e-3) / (as_non[:n_levels].sum() + 1e-3 * n_levels)
    return m, u, prior


def _term_frequencies(table: Table, spec: FieldSpec) -> tuple[dict[str, float], float]:
    """The share of records holding each value seen at least twice (the most frequent
    :data:`~dedupe.model.TF_LIMIT`), and the share of a value seen once."""
    codes = table.codes[spec.column]
    codes = codes[table.usable[codes]]
    if len(codes) == 0:
        return {}, 0.0
    counts = np.bincount(codes)
    total = float(len(codes))
    seen = np.flatnonzero(counts >= 2)
    top = seen[np.argsort(-counts[seen], kind="stable")][:TF_LIMIT]
    strings = table.vocab.strings
    return {strings[c]: float(counts[c]) / total for c in top.tolist()}, 1.0 / total


def _given_m_u(spec: FieldSpec) -> tuple[FloatArray, FloatArray]:
    """m and u of a field whose weights are given: its own m and u, or the weights as ratios."""
    params = FieldParams.from_spec(spec)
    if params.m is not None and params.u is not None:
        return np.array(params.m), np.array(params.u)
    return np.exp2(np.array(params.weights)), np.ones(len(params.weights))


def _fit(
    table: Table,
    ia: IntArray,
    ib: IntArray,
    compared: AllLevels,
    split: int | None,
) -> Model:
    """Learn a model: u from random pairs, m by EM per blocking rule, then the prior.

    ``compared`` holds the levels and rule flags of the candidate pairs ``(ia, ib)``,
    computed once. Why each step is as it is (each was a cause of collapse on registers whose
    names repeat):

    * In a session blocked on a rule, the non-matches are *not* like random pairs: a shared
      given name means a shared sex, a shared family name a similar father's name. Holding
      their u at the random-pair values leaves EM one way to explain those agreements, calling
      every pair a match (the session prior went to 1 and m became the blocked pairs' levels).
      So a session's u is the level frequencies among its own pairs (pairs sharing the rule's
      key: mostly non-matches, with their correlations), held fixed while EM learns m and the
      session's prior; only m is kept.
    * Twins and siblings are a third kind of pair, agreeing on the family but not the person:
      EM folds them into the matches (m of a given name "else" near 0.5). The rules decide
      those pairs, so they are left out of every EM.
    * The fields a rule blocks on agree by construction in its session; they are left out of
      its likelihood altogether, not only out of its m. A field blocked only coarsely (the
      year of a birth date, a name's initial) still tells the same child from a namesake born
      the same year: it stays in the likelihood with its default m (not learnt there), or the
      session takes namesakes for matches.
    * A field's m is the mean over the sessions that learn it.
    """
    settings = table.settings
    levels, twins, siblings, _ = compared
    n_candidates = len(ia)
    specs = settings.fields
    fallback = Model.from_settings(settings)
    if n_candidates < settings.em.min_pairs or len(table) < 20:
        return Model(settings, fallback.params, fallback.prior, "priors")
    if not settings.em.fix_u:
        return _fit_jointly(table, levels)
    rng = np.random.default_rng(settings.em.seed)
    sa, sb = sample_pairs(len(table), settings.em.sample_pairs, settings.em.seed, split)
    random_levels = compare(table, sa, sb, similarities=False).levels
    u_random = [
        _level_frequencies(random_levels, col, len(spec.levels))
        if len(random_levels)
        else np.array(default_m_u(spec)[1], dtype=np.float64)
        for col, spec in enumerate(specs)
    ]
    radix = max(len(spec.levels) for spec in specs) + 1
    kept = ~(twins | siblings)
    sessions: list[list[FloatArray]] = [[] for _ in specs]
    for index, rule in enumerate(settings.blocking):
        # The rule's pairs, as rows of the candidates (both in key order).
        rows = pair_rules(table, index, split)
        if len(rows) > _EM_PAIRS:
            rows = np.sort(rng.choice(rows, _EM_PAIRS, replace=False))
        rows = rows[kept[rows]]
        if len(rows) < settings.em.min_pairs:
            continue
        parts = rule.parts()
        blocked = {column for transform, _, column in parts if transform not in _COARSE}
        coarse = {column for transform, _, column in parts if transform in _COARSE} - blocked
        used = blocked | coarse
        learn = [not spec.fixed and spec.column not in used for spec in specs]
        if not any(learn):
            continue
        # The session's u: its own pairs' levels (see above), held fixed.
        m, u = [], []
        for col, spec in enumerate(specs):
            if spec.column in blocked:
                m.append(np.ones(len(spec.levels)))
                u.append(np.ones(len(spec.levels)))
            elif spec.column in coarse:
                m.append(np.array(default_m_u(spec)[0], dtype=np.float64))
                u.append(_level_frequencies(levels[rows], col, len(spec.levels)))
            elif spec.fixed:
                given_m, given_u = _given_m_u(spec)
                m.append(given_m)
                u.append(given_u)
            else:
                m.append(np.array(default_m_u(spec)[0], dtype=np.float64))
                u.append(_level_frequencies(levels[rows], col, len(spec.levels)))
        codes, counts = _pattern_counts(levels[rows], radix)
        m, _, _ = _em(
            _decode(codes, len(specs), radix),
            counts,
            m,
            u,
            learn,
            0.1,
            settings.em.max_iterations,
            learn_prior=True,
            learn_u=False,
        )
        for col in range(len(specs)):
            if learn[col]:
                sessions[col].append(m[col])
    m_final: list[FloatArray] = []
    u_final: list[FloatArray] = []
    for col, spec in enumerate(specs):
        if spec.fixed:
            given_m, given_u = _given_m_u(spec)
            m_final.append(given_m)
            u_final.append(given_u)
        elif sessions[col]:
            m_final.append(np.mean(np.array(sessions[col]), axis=0))
            u_final.append(u_random[col].copy())
        else:
            m_final.append(np.array(default_m_u(spec)[0], dtype=np.float64))
            u_final.append(u_random[col].copy())
    # The prior: EM over the candidates with m and u fixed gives the share of matches among
    # them; u describes random pairs, so the prior must too (the candidates are chosen by the
    # values their levels already weigh): spread the candidates' matches over all pairs.
    codes, counts = _kept_pattern_counts(levels, kept, radix)
    if settings.prior is not None:
        prior = settings.prior
    else:
        _, _, candidate_prior = _em(
            _decode(codes, len(specs), radix),
            counts,
            [x.copy() for x in m_final],
            [x.copy() for x in u_final],
            [False] * len(specs),
            0.1,
            settings.em.max_iterations,
            learn_prior=True,
            learn_u=False,
        )
        n = len(table)
        possible = n * (n - 1) / 2 if split is None else split * (n - split)
        matches = candidate_prior * int(kept.sum())
        prior = min(max(matches / max(possible, 1.0), 1e-12), 0.5)
    params = []
    for col, spec in enumerate(specs):
        if spec.fixed:
            params.append(FieldParams.from_spec(spec))
            continue
        found = FieldParams.from_m_u(spec, m_final[col].tolist(), u_final[col].tolist())
        # A field whose best level does not count for a match, or whose worst does not count
        # against one, has not been learnt (too few sessions, or none): keep its defaults.
        if found.weights[0] <= 0 or found.weights[-1] >= 0:
            found = FieldParams.from_spec(spec)
        if spec.term_frequencies:
            tf, unseen = _term_frequencies(table, spec)
            found = replace(found, tf=tf, tf_u=float(u_random[col][0]), tf_unseen=unseen)
        params.append(found)
    return Model(settings, tuple(params), prior, "em", records=len(table))


def _fit_jointly(table: Table, levels: npt.NDArray[np.int8]) -> Model:
    """Learn m, u and the prior together by EM on all candidate pairs (``em.fix_u`` false)."""
    settings = table.settings
    specs = settings.fields
    radix = max(len(spec.levels) for spec in specs) + 1
    codes, counts = _pattern_counts(levels, radix)
    m = [np.array(default_m_u(spec)[0], dtype=np.float64) for spec in specs]
    u = [np.array(default_m_u(spec)[1], dtype=np.float64) for spec in specs]
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


def train(
    records: Sequence[Record],
    settings: Settings,
    *,
    right: Sequence[Record] | None = None,
) -> Model:
    """Learn a model from unlabelled records by expectation-maximisation.

    * u (how often a level occurs among different people) from a random sample of pairs:
      blocked pairs are full of same-name strangers.
    * m (how often a level occurs for the same person) by EM in one session per blocking rule,
      each learning only the fields that rule does not block on, so no field's m comes from
      pairs selected for agreeing on it (as Splink trains). A session holds u fixed at the
      levels of its own pairs (blocked non-matches share more than random pairs do: a given
      name implies a sex), and pairs the twin and sibling rules veto are left out: see the
      notes in the source of ``_fit`` for why each of these is needed. A field's m is the mean
      over its sessions.
    * The prior (share of matches among all pairs), by EM over the candidate pairs with m and u
      fixed, spread over all pairs (see :class:`~dedupe.model.Model` for why).
    * Term frequencies of the fields that have them (see :mod:`dedupe.model`).

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
    return _fit(table, ia, ib, _compare_all(table, ia, ib), split)


AllLevels = tuple[
    npt.NDArray[np.int8], npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]
]


def _compare_all(table: Table, ia: IntArray, ib: IntArray) -> AllLevels:
    """Return levels, twin, sibling and swapped flags of all pairs, compared in chunks.

    The results are written into arrays allocated once (no concatenation of the chunks, which
    would hold every pair's levels twice).
    """
    n = len(ia)
    levels = np.empty((n, len(table.settings.fields)), dtype=np.int8)
    twins = np.empty(n, dtype=np.bool_)
    siblings = np.empty(n, dtype=np.bool_)
    swapped = np.empty(n, dtype=np.bool_)
    for a, b in chunks(n, _COMPARE_CHUNK):
        part = compare(table, ia[a:b], ib[a:b], similarities=False)
        levels[a:b] = part.levels
        twins[a:b] = part.twins
        siblings[a:b] = part.siblings
        swapped[a:b] = part.swapped
        del part
    return levels, twins, siblings, swapped


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


def _tf_by_code(model: Model, table: Table) -> list[FloatArray | None]:
    """Per field, the term-frequency adjustment of each vocabulary code of the table (only the
    codes the field holds are looked up), or ``None`` for a field without term frequencies."""
    out: list[FloatArray | None] = []
    strings = table.vocab.strings
    for spec, params in zip(model.settings.fields, model.params, strict=True):
        if not params.tf or spec.column not in table.codes:
            out.append(None)
            continue
        used = np.unique(table.codes[spec.column]).tolist()
        adjust = np.zeros(len(strings), dtype=np.float64)
        adjust[used] = [params.tf_adjustment(strings[c]) for c in used]
        out.append(adjust)
    return out


def _tf_weights(
    model: Model,
    table: Table,
    ia: IntArray,
    levels: npt.NDArray[np.int8],
    swapped: npt.NDArray[np.bool_],
    tf: list[FloatArray | None],
) -> list[FloatArray | None]:
    """Per field, the term-frequency adjustment of each pair (exact agreement only; names
    compared crosswise are not adjusted), or ``None`` when the field has none."""
    out: list[FloatArray | None] = []
    for col, spec in enumerate(model.settings.fields):
        adjust = tf[col]
        if adjust is None:
            out.append(None)
            continue
        exact = levels[:, col] == 0
        if spec.role in ("given_name", "family_name"):
            exact &= ~swapped
        out.append(np.where(exact, adjust[table.codes[spec.column][ia]], 0.0))
    return out


def _weights_of(
    model: Model,
    levels: npt.NDArray[np.int8],
    twins: npt.NDArray[np.bool_],
    siblings: npt.NDArray[np.bool_],
    tf: list[FloatArray | None] | None = None,
) -> FloatArray:
    total = np.full(len(levels), model.prior_weight, dtype=np.float64)
    for col, table in enumerate(model.weight_table()):
        total += table[levels[:, col].astype(np.int64)]
    for adjust in tf or ():
        if adjust is not None:
            total += adjust
    return total + _rule_weights(model.settings, total, twins, siblings)


def _rule_weights(
    settings: Settings,
    total: FloatArray,
    twins: npt.NDArray[np.bool_],
    siblings: npt.NDArray[np.bool_],
) -> FloatArray:
    """The weight each veto adds: its setting, less whatever evidence for a match the fields
    gave, so that a vetoed pair weighs at most ``twin_weight`` (``sibling_weight``) however
    many fields agree (a family agrees on most of them)."""
    rule = np.where(twins, settings.twin_weight, np.where(siblings, settings.sibling_weight, 0.0))
    return np.where(twins | siblings, rule - np.maximum(total, 0.0), 0.0)


def _weights(
    model: Model, table: Table, ia: IntArray, comparison: Comparison, tf: list[FloatArray | None]
) -> FloatArray:
    adjust = _tf_weights(model, table, ia, comparison.levels, comparison.swapped, tf)
    return _weights_of(model, comparison.levels, comparison.twins, comparison.siblings, adjust)


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
    tf = _tf_by_code(model, table)
    for a, b in chunks(len(ia), _CHUNK):
        if compared is None:
            comparison = compare(table, ia[a:b], ib[a:b], similarities=False)
            levels = comparison.levels
            weight = _weights(model, table, ia[a:b], comparison, tf)
        else:
            levels = compared[0][a:b]
            adjust = _tf_weights(model, table, ia[a:b], levels, compared[3][a:b], tf)
            weight = _weights_of(model, levels, compared[1][a:b], compared[2][a:b], adjust)
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
    tf = _tf_weights(
        model, table, ia, comparison.levels, comparison.swapped, _tf_by_code(model, table)
    )
    none = np.zeros(len(ia), dtype=np.bool_)
    rest = _weights_of(model, comparison.levels, none, none, tf)
    vetoes = _rule_weights(model.settings, rest, comparison.twins, comparison.siblings)
    weight = rest + vetoes
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
            adjust = tf[col]
            tf_weight = 0.0 if adjust is None else float(adjust[k])
            fields.append(
                FieldComparison(
                    column=spec.column,
                    kind=spec.kind,
                    left=_display(table, spec.column, a, strings, usable),
                    right=_display(table, spec.column, b, strings, usable),
                    level=names[level_index],
                    similarity=None if math.isnan(sim) else sim,
                    weight=float(tables[col][level_index]) + tf_weight,
                    swapped=swapped and spec.role in ("given_name", "family_name"),
                    tf_adjustment=tf_weight,
                )
            )
        rules = []
        if comparison.twins[k]:
            rules.append(RuleHit("twins", float(vetoes[k]), _TWINS))
        if comparison.siblings[k]:
            rules.append(RuleHit("siblings", float(vetoes[k]), _SIBLINGS))
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
        comparison = compare(table, ia, ib, similarities=False)
        weight = _weights(model, table, ia, comparison, _tf_by_code(model, table))
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
    model = model.at_size(len(table))
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
    model = model.at_size(len(table))
    ia, ib = candidate_pairs(table, len(left))
    limit = model.settings.threshold if threshold is None else threshold
    scored = score_table(table, ia, ib, model, limit)
    return _candidates(table, scored.left, scored.right, model)
