"""Fellegi-Sunter models and the scored candidates they produce.

A :class:`Model` holds, per field and comparison level, the probability of that level among
true matches (*m*) and among non-matches (*u*); the match weight of a level is
``log2(m / u)``. A pair's match weight is the prior weight plus the weights of its levels (and
of any vetoes); its match probability is ``2**w / (1 + 2**w)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dedupe.errors import ModelError, SettingsError
from dedupe.settings import FieldSpec, Settings

__all__ = ["Candidate", "FieldComparison", "FieldParams", "Model", "RuleHit", "default_m_u"]

#: Default m and u per kind, used before training and on data too small to learn from.
_PRIORS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "name": ((0.80, 0.10, 0.04, 0.03, 0.03), (0.005, 0.01, 0.02, 0.065, 0.90)),
    "text": ((0.80, 0.10, 0.05, 0.05), (0.01, 0.02, 0.07, 0.90)),
    "date": ((0.85, 0.04, 0.06, 0.03, 0.02), (0.0005, 0.0005, 0.004, 0.04, 0.955)),
    "exact": ((0.95, 0.05), (0.10, 0.90)),
    "id": ((0.90, 0.05, 0.02, 0.03), (0.0001, 0.0009, 0.005, 0.994)),
}
_DEFAULT_PRIOR = 0.05
_FLOOR = 1e-6


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
    """

    column: str
    levels: tuple[str, ...]
    weights: tuple[float, ...]
    m: tuple[float, ...] | None = None
    u: tuple[float, ...] | None = None

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
        weight: Match weight contributed by this field.
        swapped: Whether given and family names were compared crosswise.
    """

    column: str
    kind: str
    left: str | None
    right: str | None
    level: str
    similarity: float | None
    weight: float
    swapped: bool = False


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
        ``similarity`` (0-1 or ``None``), ``weight`` and ``swapped``; each rule entry holds
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
    (learnt without labels) or :meth:`from_dict` (stored earlier with :meth:`to_dict`).

    Attributes:
        settings: The settings the model applies.
        params: Per-field parameters, in settings order.
        prior: Probability that a blocked candidate pair is a match.
        source: ``settings``, ``priors`` (data too small to learn from) or ``em``.
    """

    settings: Settings
    params: tuple[FieldParams, ...]
    prior: float
    source: str = "settings"

    def __post_init__(self) -> None:
        if len(self.params) != len(self.settings.fields):
            raise ModelError("a model needs parameters for every field of its settings")
        for spec, params in zip(self.settings.fields, self.params, strict=True):
            if spec.column != params.column or len(params.weights) != len(spec.levels):
                raise ModelError(f"model parameters do not fit field {spec.column!r}")
        if not 0.0 < self.prior < 1.0:
            raise ModelError("the prior must be strictly between 0 and 1")

    @classmethod
    def from_settings(cls, settings: Settings) -> Model:
        """Build a model from settings alone: given weights or m/u, else kind defaults."""
        params = tuple(FieldParams.from_spec(spec) for spec in settings.fields)
        prior = settings.prior if settings.prior is not None else _DEFAULT_PRIOR
        return cls(settings, params, prior, "settings")

    @property
    def prior_weight(self) -> float:
        """The prior as a match weight, ``log2(prior / (1 - prior))``."""
        return math.log2(self.prior / (1.0 - self.prior))

    def weight_table(self) -> list[npt.NDArray[np.float64]]:
        """Per field, the weight of each level index with a trailing 0 for ``missing``."""
        return [np.array([*p.weights, 0.0], dtype=np.float64) for p in self.params]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form read back by :meth:`from_dict`."""
        return {
            "settings": self.settings.to_dict(),
            "prior": self.prior,
            "source": self.source,
            "fields": [
                {
                    "column": p.column,
                    "levels": list(p.levels),
                    "weights": list(p.weights),
                    "m": None if p.m is None else list(p.m),
                    "u": None if p.u is None else list(p.u),
                }
                for p in self.params
            ],
        }

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
                )
                for item in data["fields"]
            )
            return cls(settings, params, float(data["prior"]), str(data.get("source", "em")))
        except SettingsError as exc:
            raise ModelError(f"stored model has bad settings: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"malformed model: {exc!r}") from None
