"""Fellegi-Sunter models and the scored candidates they produce.

A :class:`Model` holds, per field and comparison level, the probability of that level among
true matches (*m*) and among non-matches (*u*); the match weight of a level is
``log2(m / u)``. A pair's match weight is the prior weight ``log2(prior / (1 - prior))`` plus
the weights of its levels, any term-frequency adjustments and any vetoes (twins, siblings); its
match probability is the posterior ``2**w / (1 + 2**w)`` (Bayes' rule in log-odds form, so the
prior is part of every probability).

Term frequencies: a field with term frequencies (see ``FieldSpec.tf``) agreeing *exactly* on a
value has its u replaced by that value's frequency among records, as Splink does: the adjustment
``log2(u_exact / freq(value))`` is added to the exact level's weight, positive for a rare name
and negative for the commonest one. Frequencies come from the records the model learnt on and
are stored with it (values seen at least twice, the most frequent first, at most
:data:`TF_LIMIT` per field); a value not stored counts as seen once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedupe.errors import ModelError, SettingsError
from dedupe.ladders import LADDERS
from dedupe.settings import FieldSpec, Settings

__all__ = [
    "TF_LIMIT",
    "Candidate",
    "FieldComparison",
    "FieldParams",
    "Model",
    "RuleHit",
    "default_m_u",
]

#: Default m and u per kind (of each level of its ladder), used before training and on data
#: too small to learn from.
_PRIORS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    kind: (ladder.m, ladder.u) for kind, ladder in LADDERS.items()
}
_DEFAULT_PRIOR = 0.05
_FLOOR = 1e-6
#: Most term frequencies stored per field.
TF_LIMIT = 5000


def default_m_u(spec: FieldSpec) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Return the default (m, u) probabilities of a field, from its settings or its kind."""
    if spec.m is not None and spec.u is not None:
        m = tuple(float(spec.m.get(level, _FLOOR)) for level in spec.levels)
        u = tuple(float(spec.u.get(level, _FLOOR)) for level in spec.levels)
        return m, u
    return _PRIORS[spec.kind]


@dataclass(frozen=True)
class FieldParams:
    """Learnt or given parameters of one field.

    Attributes:
        column: The field's column.
        levels: Level names, best first.
        weights: Match weight (log2 Bayes factor) per level.
        m: Probability of each level among matches, when known.
        u: Probability of each level among non-matches, when known.
        tf: Term frequencies: share of records holding each normalised value (empty: no
            term-frequency adjustment).
        tf_u: u of the ``exact`` level among random pairs (the adjustment's reference).
        tf_unseen: Frequency of a value not in ``tf`` (one record among those learnt on).
    """

    column: str
    levels: tuple[str, ...]
    weights: tuple[float, ...]
    m: tuple[float, ...] | None = None
    u: tuple[float, ...] | None = None
    tf: Mapping[str, float] = field(default_factory=dict)
    tf_u: float = 0.0
    tf_unseen: float = 0.0

    @classmethod
    def from_m_u(cls, spec: FieldSpec, m: Sequence[float], u: Sequence[float]) -> FieldParams:
        """Build parameters from m and u probabilities (floored to stay finite)."""
        m_f = tuple(max(float(x), _FLOOR) for x in m)
        u_f = tuple(max(float(x), _FLOOR) for x in u)
        weights = tuple(math.log2(a / b) for a, b in zip(m_f, u_f, strict=True))
        return cls(spec.column, spec.levels, weights, m_f, u_f)

    @classmethod
    def from_spec(cls, spec: FieldSpec) -> FieldParams:
        """Build parameters from the settings alone (given weights, m/u, or kind defaults)."""
        if spec.weights is not None:
            m, u = _PRIORS[spec.kind]
            defaults = [math.log2(a / b) for a, b in zip(m, u, strict=True)]
            weights = tuple(
                float(spec.weights.get(level, default))
                for level, default in zip(spec.levels, defaults, strict=True)
            )
            return cls(spec.column, spec.levels, weights)
        return cls.from_m_u(spec, *default_m_u(spec))

    def weight_of(self, level: str) -> float:
        """Return the weight of a level name (``missing`` weighs 0)."""
        return 0.0 if level == "missing" else self.weights[self.levels.index(level)]

    def tf_adjustment(self, value: str) -> float:
        """Return the weight added to an exact agreement on ``value`` (a normalised value).

        ``log2(tf_u / freq(value))``: positive for a value rarer than the average agreement,
        negative for a commoner one, 0 when the field has no term frequencies.
        """
        if not self.tf or self.tf_u <= 0:
            return 0.0
        return math.log2(self.tf_u / self.tf.get(value, self.tf_unseen))


@dataclass(frozen=True)
class FieldComparison:
    """How one field of a pair compared.

    Attributes:
        column: The field's column.
        kind: The field's kind.
        left: The left record's normalised value (``None`` when missing).
        right: The right record's normalised value (``None`` when missing).
        level: Level name (``exact``, ``close``, ..., ``else`` or ``missing``).
        similarity: Similarity on the 0-1 scale, ``None`` when a value is missing.
        weight: Match weight contributed by this field, term-frequency adjustment included.
        swapped: Whether given and family names were compared crosswise.
        tf_adjustment: The part of ``weight`` due to the value's frequency (exact agreement
            on a rare name weighs more than on a common one; 0 when not adjusted).
    """

    column: str
    kind: str
    left: str | None
    right: str | None
    level: str
    similarity: float | None
    weight: float
    swapped: bool = False
    tf_adjustment: float = 0.0


@dataclass(frozen=True)
class RuleHit:
    """A data-configured rule that fired on a pair (twins, siblings).

    Attributes:
        rule: ``twins`` or ``siblings``.
        weight: Match weight the rule added (negative: evidence against a match).
        reason: One sentence for the registrar.
    """

    rule: str
    weight: float
    reason: str


@dataclass(frozen=True)
class Candidate:
    """A scored pair of records, with everything needed to explain the score.

    Attributes:
        left_id: Id of the left record.
        right_id: Id of the right record.
        probability: Match probability on the 0-1 scale.
        match_weight: Total match weight (prior weight + field weights + rule weights).
        prior_weight: The model's prior weight, included in ``match_weight``.
        fields: Per-field comparisons, in settings order.
        rules: Rules that fired (twins, siblings).
    """

    left_id: str
    right_id: str
    probability: float
    match_weight: float
    prior_weight: float
    fields: tuple[FieldComparison, ...]
    rules: tuple[RuleHit, ...] = ()

    def level(self, column: str) -> str:
        """Return the level name of a field (``KeyError`` when the column is unknown)."""
        for comparison in self.fields:
            if comparison.column == column:
                return comparison.level
        raise KeyError(column)

    def explain(self) -> list[dict[str, Any]]:
        """Return a JSON-serialisable explanation, one entry per field and per rule.

        Each field entry holds ``field``, ``kind``, ``left``, ``right``, ``level``,
        ``similarity`` (0-1 or ``None``), ``weight``, ``tf_adjustment`` (the part of
        ``weight`` due to the value's frequency) and ``swapped``; each rule entry holds
        ``rule``, ``weight`` and ``reason``. The prior weight plus every ``weight`` adds up to
        :attr:`match_weight`.
        """
        out: list[dict[str, Any]] = [
            {
                "field": c.column,
                "kind": c.kind,
                "left": c.left,
                "right": c.right,
                "level": c.level,
                "similarity": None if c.similarity is None else round(c.similarity, 4),
                "weight": round(c.weight, 4),
                "tf_adjustment": round(c.tf_adjustment, 4),
                "swapped": c.swapped,
            }
            for c in self.fields
        ]
        out.extend({"rule": r.rule, "weight": r.weight, "reason": r.reason} for r in self.rules)
        return out


@dataclass(frozen=True)
class Model:
    """A Fellegi-Sunter model: settings, per-field parameters and the prior.

    Build one with :meth:`from_settings` (given or default weights), :func:`dedupe.train`
    (learnt without labels) or :meth:`from_dict` / :meth:`from_json_file` (stored earlier with
    :meth:`to_dict`).

    Which prior, and which u: a pair's probability is the posterior of its comparison levels,
    ``P(match | levels)``, with u the level frequencies among *random* pairs and the prior the
    share of matches among *all* pairs of the records learnt on. Candidate pairs (sharing a
    blocking key in a batch; a look-up of one record against the records sharing its keys in
    a registry) are chosen by the very values their levels weigh, so the posterior of their
    levels is already their probability among the pairs actually scored: pairing the
    candidates' own (much larger) share of matches with random-pair u would count the
    agreement that selected them twice. The prior is estimated by EM over the candidates with
    m and u fixed, then spread over all pairs. A data set of another size has another share
    of matches among its pairs (each record has about as many duplicates, among more pairs):
    :meth:`at_size` rescales the prior, and the batch functions apply it; a registry look-up
    should score with ``model.at_size(number of records in the register)``. Pairs vetoed as
    twins or siblings are left out of every estimate: the rules decide them.

    Attributes:
        settings: The settings the model applies.
        params: Per-field parameters, in settings order.
        prior: Probability that a random pair of records is a match.
        source: ``settings``, ``priors`` (data too small to learn from) or ``em``.
        records: How many records the prior refers to (0: unknown, never rescaled).
    """

    settings: Settings
    params: tuple[FieldParams, ...]
    prior: float
    source: str = "settings"
    records: int = 0

    def __post_init__(self) -> None:
        if len(self.params) != len(self.settings.fields):
            raise ModelError("a model needs parameters for every field of its settings")
        for spec, params in zip(self.settings.fields, self.params, strict=True):
            if spec.column != params.column or len(params.weights) != len(spec.levels):
                raise ModelError(f"model parameters do not fit field {spec.column!r}")
            if not all(math.isfinite(w) for w in params.weights):
                raise ModelError(f"model weights of field {spec.column!r} must be finite")
            if params.tf and not (
                params.tf_u > 0
                and params.tf_unseen > 0
                and all(0 < f <= 1 for f in params.tf.values())
            ):
                raise ModelError(f"term frequencies of field {spec.column!r} must be in (0, 1]")
        if not 0.0 < self.prior < 1.0:
            raise ModelError("the prior must be strictly between 0 and 1")
        if self.records < 0:
            raise ModelError("the number of records must not be negative")

    @classmethod
    def from_settings(cls, settings: Settings) -> Model:
        """Build a model from settings alone: given weights or m/u, else kind defaults."""
        params = tuple(FieldParams.from_spec(spec) for spec in settings.fields)
        prior = settings.prior if settings.prior is not None else _DEFAULT_PRIOR
        return cls(settings, params, prior, "settings")

    def at_size(self, records: int) -> Model:
        """The model with its prior rescaled to a data set of ``records`` records.

        Each record keeps the same expected number of duplicates, spread over the pairs of the
        new size; a model whose size is unknown (``records == 0``) is returned as it is.
        """
        if self.records < 2 or records < 2 or records == self.records:
            return self
        odds = self.prior / (1.0 - self.prior) * (self.records - 1) / (records - 1)
        prior = min(max(odds / (1.0 + odds), 1e-12), 0.5)
        return replace(self, prior=prior, records=records)

    @property
    def prior_weight(self) -> float:
        """The prior as a match weight, ``log2(prior / (1 - prior))``."""
        return math.log2(self.prior / (1.0 - self.prior))

    def tf_tables(self, strings: Sequence[str]) -> list[npt.NDArray[np.float64] | None]:
        """Per field, the term-frequency adjustment of each string of a vocabulary, or
        ``None`` for a field without term frequencies."""
        out: list[npt.NDArray[np.float64] | None] = []
        for p in self.params:
            if not p.tf or p.tf_u <= 0:
                out.append(None)
                continue
            freq = np.array([p.tf.get(s, p.tf_unseen) for s in strings], dtype=np.float64)
            out.append(np.log2(p.tf_u / freq))
        return out

    def weight_table(self) -> list[npt.NDArray[np.float64]]:
        """Per field, the weight of each level index with a trailing 0 for ``missing``."""
        return [np.array([*p.weights, 0.0], dtype=np.float64) for p in self.params]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form read back by :meth:`from_dict`."""
        return {
            "settings": self.settings.to_dict(),
            "prior": self.prior,
            "source": self.source,
            "records": self.records,
            "fields": [
                {
                    "column": p.column,
                    "levels": list(p.levels),
                    "weights": list(p.weights),
                    "m": None if p.m is None else list(p.m),
                    "u": None if p.u is None else list(p.u),
                    "tf": dict(p.tf),
                    "tf_u": p.tf_u,
                    "tf_unseen": p.tf_unseen,
                }
                for p in self.params
            ],
        }

    @classmethod
    def from_json_file(cls, path: str | Path) -> Model:
        """Read a model saved as JSON (``json.dumps(model.to_dict())``).

        Raises:
            ModelError: When the file cannot be read, is not JSON or is not a valid model.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ModelError(f"cannot read model {path}: {exc.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(f"model {path} is not valid JSON: {exc}") from None
        if not isinstance(data, Mapping):
            raise ModelError(f"model {path} is not a JSON object")
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        """Read a model written by :meth:`to_dict`.

        Raises:
            ModelError: When the data is malformed or does not fit its settings.
        """
        try:
            settings = Settings.from_dict(data["settings"])
            params = tuple(
                FieldParams(
                    column=str(item["column"]),
                    levels=tuple(str(x) for x in item["levels"]),
                    weights=tuple(float(x) for x in item["weights"]),
                    m=None if item.get("m") is None else tuple(float(x) for x in item["m"]),
                    u=None if item.get("u") is None else tuple(float(x) for x in item["u"]),
                    tf={str(k): float(v) for k, v in (item.get("tf") or {}).items()},
                    tf_u=float(item.get("tf_u", 0.0)),
                    tf_unseen=float(item.get("tf_unseen", 0.0)),
                )
                for item in data["fields"]
            )
            return cls(
                settings,
                params,
                float(data["prior"]),
                str(data.get("source", "em")),
                int(data.get("records", 0)),
            )
        except SettingsError as exc:
            raise ModelError(f"stored model has bad settings: {exc}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelError(f"malformed model: {exc!r}") from None
