"""Settings: which fields to compare, how, how to block and where to draw the line.

Settings are plain data, read from a dict or a JSON file with this schema (only ``fields`` is
required)::

    {
      "id_column": "rec_id",
      "fields": [
        {"column": "given_name", "kind": "name", "role": "given_name"},
        {"column": "family_name", "kind": "name", "role": "family_name"},
        {"column": "date_of_birth", "kind": "date", "format": "%Y%m%d", "role": "date_of_birth"},
        {"column": "mother_name", "kind": "name", "role": "mother"},
        {"column": "address", "kind": "text", "tf": false},
        {"column": "sex", "kind": "exact"},
        {"column": "birth_type", "kind": "exact", "role": "multiple_birth"},
        {"column": "national_id", "kind": "id",
         "weights": {"exact": 12, "close": 4, "far": 0, "else": -6}}
      ],
      "blocking": [{"keys": ["phonetic:family_name", "year:date_of_birth"]}],
      "threshold": 0.9,
      "prior": null,
      "max_block_size": 50,
      "block_window": 10,
      "twin_weight": -30,
      "sibling_weight": -30,
      "em": {"max_iterations": 40, "sample_pairs": 200000, "seed": 0}
    }

Field kinds and their comparison levels (best first; a missing value is the neutral level
``missing`` with weight 0), each defined once with its test in :mod:`dedupe.ladders`:

=========  ==================================================================
``name``   exact, close (Jaro-Winkler >= t0), phonetic (same consonant skeleton),
           far (>= t1), else
``text``   exact, close (Jaro-Winkler >= t0), far (>= t1), else
``date``   exact, transposed (day and month swapped), close (one digit wrong or within
           ``date_window_days``), year_off (a year apart, give or take
           ``date_window_days``: a late registration's wrong year), year (same year), else
``exact``  exact, else
``id``     exact, close (one edit), far (two edits), else
=========  ==================================================================

Roles mark fields for the data-configured rules: ``given_name`` and ``family_name`` (a swapped
pair is recognised), ``date_of_birth`` and ``mother`` (twins and siblings are vetoed), and
``multiple_birth`` (a column such as type of birth: single, twin, triplet). Twins are the same
mother and the same birth date (or one a few days off: ``transposed`` or ``close``) with
clearly different given names (level ``else``); when both
records of a pair also say a multiple birth (any value present other than single, 1, no, ...),
given names that are not alike (``phonetic``, ``far``, ``else``, or one missing) and birth
dates a few days apart (``close``) are enough: two children of one birth. Siblings are the
same mother with birth dates further apart (``year_off``, ``year`` or ``else``) and given names
not alike or one missing, or more than 18 months apart whatever the names: a child registered
again with a wrong date (a year off, the day and month swapped too) keeps its name.
A vetoed pair weighs at most ``twin_weight`` or ``sibling_weight`` (the rule cancels whatever
the fields said for a match) and is left out of training.

Weights are learnt unless given (see :func:`dedupe.train`): u from random pairs, m by EM in
one session per blocking rule, and the prior and the u among candidate pairs by EM with m
fixed. Exact agreements of ``text`` fields and of the ``given_name`` and ``family_name`` are
adjusted by term frequency (``"tf": true`` or ``false`` on a field overrides it; a parent's
name is not adjusted by default, as siblings share it).

Blocking keys are ``transform:column`` parts joined into one key; transforms are ``exact``,
``phonetic``, ``initial``, ``prefixN`` (first N characters), ``year``, ``date`` and ``dmy``
(year with day and month in either order). With ``"unordered": true`` the parts are sorted, so
``["phonetic:given_name", "phonetic:family_name"]`` also meets a swapped name.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from dedupe.errors import SettingsError
from dedupe.ladders import LADDERS, Ladder
from dedupe.normalise import DEFAULT_PARTICLES

__all__ = [
    "KINDS",
    "LEVELS",
    "ROLES",
    "BlockingRule",
    "EMSettings",
    "FieldSpec",
    "Kind",
    "Settings",
]

Kind = Literal["name", "date", "exact", "text", "id"]

#: Comparison levels of each field kind, best first (``missing`` is implicit); the ladders
#: themselves, with each level's test, are in :mod:`dedupe.ladders`.
LEVELS: dict[str, tuple[str, ...]] = {kind: ladder.levels for kind, ladder in LADDERS.items()}
KINDS: frozenset[str] = frozenset(LEVELS)
ROLES: frozenset[str] = frozenset(
    {"given_name", "family_name", "date_of_birth", "mother", "multiple_birth"}
)
#: Values of a ``multiple_birth`` field meaning a single birth (compared normalised); any other
#: value present (twin, triplet, 2, ...) means a multiple birth.
SINGLE_BIRTH: frozenset[str] = frozenset(
    {"single", "singleton", "simple", "unique", "1", "one", "no", "n", "false", "0", "s"}
)
TRANSFORMS: frozenset[str] = frozenset(
    {"exact", "phonetic", "initial", "prefix", "year", "date", "dmy"}
)
_DEFAULT_THRESHOLDS: dict[str, tuple[float, ...]] = {
    "name": (0.92, 0.8),
    "text": (0.9, 0.7),
}
DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    "baby", "unnamed", "infant", "newborn", "child", "bebe", "boy", "girl", "male", "female",
    "nn", "unknown", "son", "daughter", "twin",
)  # fmt: skip
_PART = re.compile(r"^([a-z]+?)(\d*):(.+)$")


def _float_map(value: object, where: str) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise SettingsError(f"{where} must be an object of level -> number")
    try:
        return {str(k): float(v) for k, v in value.items()}
    except (TypeError, ValueError):
        raise SettingsError(f"{where} must map levels to numbers") from None


@dataclass(frozen=True)
class FieldSpec:
    """One compared field.

    Attributes:
        column: Column name in the input.
        kind: ``name``, ``date``, ``exact``, ``text`` or ``id``.
        format: ``strptime`` format for a ``date`` field (others read leniently).
        role: ``given_name``, ``family_name``, ``date_of_birth``, ``mother``,
            ``multiple_birth`` or ``None``.
        thresholds: Similarity thresholds of the ``close`` and ``far`` levels (0-1).
        weights: Fixed match weights (log2 Bayes factors) per level; not learnt when given.
        m: Fixed m probabilities per level (used with ``u`` when ``weights`` is absent).
        u: Fixed u probabilities per level.
        tf: Whether an exact agreement is weighed by the value's frequency (term-frequency
            adjustment); ``None`` means yes for ``text`` fields and for ``name`` fields with the
            role ``given_name`` or ``family_name``, no otherwise (a parent's name is shared by
            siblings: its rarity measures the family's size, not the person).
    """

    column: str
    kind: Kind
    format: str | None = None
    role: str | None = None
    thresholds: tuple[float, ...] = ()
    weights: Mapping[str, float] | None = None
    m: Mapping[str, float] | None = None
    u: Mapping[str, float] | None = None
    tf: bool | None = None

    def __post_init__(self) -> None:
        if not self.column:
            raise SettingsError("a field needs a non-empty 'column'")
        if self.kind not in KINDS:
            choices = ", ".join(sorted(KINDS))
            raise SettingsError(
                f"field {self.column!r}: unknown kind {self.kind!r} (use {choices})"
            )
        if self.role is not None and self.role not in ROLES:
            raise SettingsError(f"field {self.column!r}: unknown role {self.role!r}")
        if not self.thresholds:
            object.__setattr__(self, "thresholds", _DEFAULT_THRESHOLDS.get(self.kind, ()))
        for name, given in (("weights", self.weights), ("m", self.m), ("u", self.u)):
            unknown = set(given or {}) - set(self.levels)
            if unknown:
                raise SettingsError(
                    f"field {self.column!r}: unknown level(s) in {name}: {sorted(unknown)}"
                )
        if (self.m is None) != (self.u is None):
            raise SettingsError(f"field {self.column!r}: give both 'm' and 'u', or neither")
        if self.role == "multiple_birth" and self.kind == "date":
            raise SettingsError(f"field {self.column!r}: a multiple_birth field is not a date")
        if self.tf and self.kind not in ("name", "text"):
            raise SettingsError(f"field {self.column!r}: 'tf' applies to name and text fields")

    @property
    def term_frequencies(self) -> bool:
        """Whether exact agreements on this field are adjusted by the value's frequency."""
        if self.tf is not None:
            return self.tf
        if self.kind == "name":
            return self.role in ("given_name", "family_name")
        return self.kind == "text"

    @property
    def ladder(self) -> Ladder:
        """The comparison ladder of this field's kind."""
        return LADDERS[self.kind]

    @property
    def levels(self) -> tuple[str, ...]:
        """The comparison levels of this field, best first."""
        return LEVELS[self.kind]

    @property
    def fixed(self) -> bool:
        """Whether the weights are given in the settings rather than learnt."""
        return self.weights is not None or self.m is not None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-serialisable form read by :meth:`Settings.from_dict`."""
        out: dict[str, Any] = {"column": self.column, "kind": self.kind}
        for key in ("format", "role", "weights", "m", "u", "tf"):
            value = getattr(self, key)
            if value is not None:
                out[key] = dict(value) if isinstance(value, Mapping) else value
        if self.thresholds:
            out["thresholds"] = list(self.thresholds)
        return out


@dataclass(frozen=True)
class BlockingRule:
    """A blocking rule: records sharing all the key parts are compared.

    Attributes:
        keys: ``transform:column`` parts, e.g. ``("phonetic:family_name", "year:dob")``.
        unordered: Sort the part values before joining (meets swapped columns).
    """

    keys: tuple[str, ...]
    unordered: bool = False

    def parts(self) -> list[tuple[str, int, str]]:
        """Return the parsed parts as ``(transform, argument, column)``."""
        out = []
        for key in self.keys:
            match = _PART.match(key)
            if not match or match.group(1) not in TRANSFORMS:
                raise SettingsError(f"bad blocking key {key!r} (use transform:column)")
            transform, argument, column = match.groups()
            if transform == "prefix" and not argument:
                raise SettingsError(f"blocking key {key!r}: prefix needs a length, e.g. prefix3")
            out.append((transform, int(argument or 0), column))
        return out


@dataclass(frozen=True)
class EMSettings:
    """How weights are learnt without labels.

    Attributes:
        max_iterations: Upper bound on EM iterations.
        sample_pairs: Random pairs drawn to estimate the u probabilities.
        seed: Seed of the random sample (runs are reproducible).
        min_pairs: Below this many candidate pairs the priors are kept.
        fix_u: Keep the u probabilities of the random sample (as Splink does) and learn only
            m and the prior; when false EM also refines u on the candidate pairs.
    """

    max_iterations: int = 40
    sample_pairs: int = 200_000
    seed: int = 0
    min_pairs: int = 200
    fix_u: bool = True


@dataclass(frozen=True)
class Settings:
    """Everything that configures matching; build it with :meth:`from_dict`.

    Attributes:
        fields: The compared fields.
        id_column: Column holding the record id in input files.
        blocking: Blocking rules; derived from the field kinds and roles when not given.
        threshold: Default match probability at or above which a pair is reported.
        prior: Probability that a random pair of records matches (the share of matches among
            all pairs of the data learnt on); learnt when ``None``.
        max_block_size: Blocks of up to this many records compare all their pairs; a larger
            block is sorted on the other fields and each record meets only its neighbours.
        block_window: Width of the sorted neighbourhood in a larger block: each record meets
            the ``block_window - 1`` records on either side of it.
        twin_weight: Match weight at most of a pair vetoed as twins (same mother and birth
            date, given names not alike): the rule adds this, less any evidence for a match
            the fields gave, so it overrules every agreement of the family.
        sibling_weight: The same for a pair vetoed as siblings (same mother, birth dates a
            year or more apart, given names not alike).
        date_window_days: Dates this close count as ``close``.
        placeholder_names: Given names meaning "not yet named" (treated as missing).
        particles: Name particles dropped by normalisation.
        em: How weights are learnt.
    """

    fields: tuple[FieldSpec, ...]
    id_column: str = "id"
    blocking: tuple[BlockingRule, ...] = ()
    threshold: float = 0.9
    prior: float | None = None
    max_block_size: int = 50
    block_window: int = 10
    twin_weight: float = -30.0
    sibling_weight: float = -30.0
    date_window_days: int = 7
    placeholder_names: tuple[str, ...] = DEFAULT_PLACEHOLDERS
    particles: frozenset[str] = DEFAULT_PARTICLES
    em: EMSettings = field(default_factory=EMSettings)

    def __post_init__(self) -> None:
        if not self.fields:
            raise SettingsError("settings need at least one field")
        columns = [spec.column for spec in self.fields]
        if len(set(columns)) != len(columns):
            raise SettingsError("each column may appear in 'fields' only once")
        if not 0.0 <= self.threshold <= 1.0 or math.isnan(self.threshold):
            raise SettingsError("'threshold' must be a probability between 0 and 1")
        if self.prior is not None and not 0.0 < self.prior < 1.0:
            raise SettingsError("'prior' must be strictly between 0 and 1")
        if self.max_block_size < 2:
            raise SettingsError("'max_block_size' must be at least 2")
        if self.block_window < 2:
            raise SettingsError("'block_window' must be at least 2")
        for role in ("given_name", "family_name", "date_of_birth"):
            if sum(spec.role == role for spec in self.fields) > 1:
                raise SettingsError(f"only one field may have the role {role!r}")
        if not self.blocking:
            object.__setattr__(self, "blocking", self._default_blocking())
        known = set(columns)
        for rule in self.blocking:
            for _, _, column in rule.parts():
                if column not in known:
                    raise SettingsError(f"blocking key uses {column!r}, which is not a field")

    def field_by_role(self, role: str) -> FieldSpec | None:
        """Return the first field with ``role``, or ``None``."""
        return next((spec for spec in self.fields if spec.role == role), None)

    def _default_blocking(self) -> tuple[BlockingRule, ...]:
        names = [s.column for s in self.fields if s.kind == "name" and s.role != "mother"]
        dates = [s.column for s in self.fields if s.kind == "date"]
        exacts = [s.column for s in self.fields if s.kind in ("exact", "text")]
        rules = [BlockingRule((f"exact:{s.column}",)) for s in self.fields if s.kind == "id"]
        if len(names) >= 2:
            rules.append(BlockingRule(tuple(f"phonetic:{n}" for n in names[:2]), unordered=True))
        for dob in dates[:1]:
            rules.extend(BlockingRule((f"dmy:{dob}", f"initial:{n}")) for n in names)
            rules.extend(BlockingRule((f"phonetic:{n}", f"year:{dob}")) for n in names)
            if not names:
                rules.append(BlockingRule((f"dmy:{dob}",)))
        # A child registered again with no given name and another year meets its first
        # registration through its mother (blocks of one family, bounded by the window).
        mothers = [s.column for s in self.fields if s.kind == "name" and s.role == "mother"]
        if names and dates:
            rules.extend(BlockingRule((f"phonetic:{m}",)) for m in mothers[:1])
        # Low-cardinality exact fields (sex, district) would make huge blocks: only when
        # there is nothing else to block on.
        if not rules:
            rules.extend(BlockingRule((f"exact:{other}",)) for other in exacts)
        if not rules:
            rules = [BlockingRule((f"prefix2:{self.fields[0].column}",))]
        return tuple(rules)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """Build settings from their JSON-compatible form (see the module docstring).

        Args:
            data: The decoded settings object.

        Returns:
            Validated settings.

        Raises:
            SettingsError: When a key is missing, unknown or has a bad value.
        """
        if not isinstance(data, Mapping):
            raise SettingsError("settings must be a JSON object")
        known = {
            "id_column", "fields", "blocking", "threshold", "prior", "max_block_size",
            "block_window", "twin_weight", "sibling_weight", "date_window_days",
            "placeholder_names", "particles", "em",
        }  # fmt: skip
        unknown = set(data) - known
        if unknown:
            raise SettingsError(f"unknown settings key(s): {', '.join(sorted(unknown))}")
        raw_fields = data.get("fields")
        if not isinstance(raw_fields, Sequence) or isinstance(raw_fields, str) or not raw_fields:
            raise SettingsError("'fields' must be a non-empty list of field objects")
        try:
            fields = tuple(_field_from_dict(item) for item in raw_fields)
            blocking = tuple(_rule_from_dict(item) for item in data.get("blocking") or ())
            em_data = data.get("em") or {}
            if not isinstance(em_data, Mapping):
                raise SettingsError("'em' must be an object")
            em_values: dict[str, Any] = {
                k: (bool(v) if k == "fix_u" else int(v)) for k, v in em_data.items()
            }
            em = EMSettings(**em_values)
            kwargs: dict[str, Any] = {}
            for key in ("threshold", "twin_weight", "sibling_weight"):
                if key in data:
                    kwargs[key] = float(data[key])
            for key in ("max_block_size", "block_window", "date_window_days"):
                if key in data:
                    kwargs[key] = int(data[key])
            if data.get("prior") is not None:
                kwargs["prior"] = float(data["prior"])
            if "placeholder_names" in data:
                kwargs["placeholder_names"] = tuple(str(x) for x in data["placeholder_names"])
            if "particles" in data:
                kwargs["particles"] = frozenset(str(x) for x in data["particles"])
            return cls(
                fields=fields,
                id_column=str(data.get("id_column", "id")),
                blocking=blocking,
                em=em,
                **kwargs,
            )
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"bad settings value: {exc}") from None

    @classmethod
    def from_json_file(cls, path: str | Path) -> Settings:
        """Read settings from a JSON file.

        Raises:
            SettingsError: When the file cannot be read, is not JSON or is not valid settings.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read settings {path}: {exc.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"settings {path} is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-serialisable form read by :meth:`from_dict`."""
        return {
            "id_column": self.id_column,
            "fields": [spec.to_dict() for spec in self.fields],
            "blocking": [{"keys": list(r.keys), "unordered": r.unordered} for r in self.blocking],
            "threshold": self.threshold,
            "prior": self.prior,
            "max_block_size": self.max_block_size,
            "block_window": self.block_window,
            "twin_weight": self.twin_weight,
            "sibling_weight": self.sibling_weight,
            "date_window_days": self.date_window_days,
            "placeholder_names": list(self.placeholder_names),
            "particles": sorted(self.particles),
            "em": {
                "max_iterations": self.em.max_iterations,
                "sample_pairs": self.em.sample_pairs,
                "seed": self.em.seed,
                "min_pairs": self.em.min_pairs,
                "fix_u": self.em.fix_u,
            },
        }


def _field_from_dict(item: object) -> FieldSpec:
    if not isinstance(item, Mapping):
        raise SettingsError("each field must be an object with 'column' and 'kind'")
    known = {"column", "kind", "format", "role", "thresholds", "weights", "m", "u", "tf"}
    unknown = set(item) - known
    if unknown:
        raise SettingsError(f"unknown field key(s): {', '.join(sorted(unknown))}")
    if "column" not in item or "kind" not in item:
        raise SettingsError("each field needs 'column' and 'kind'")
    column = str(item["column"])
    thresholds = item.get("thresholds") or ()
    return FieldSpec(
        column=column,
        kind=cast(Kind, str(item["kind"])),
        format=None if item.get("format") is None else str(item["format"]),
        role=None if item.get("role") is None else str(item["role"]),
        thresholds=tuple(float(t) for t in thresholds),
        weights=_float_map(item.get("weights"), f"field {column!r} weights"),
        m=_float_map(item.get("m"), f"field {column!r} m"),
        u=_float_map(item.get("u"), f"field {column!r} u"),
        tf=None if item.get("tf") is None else bool(item["tf"]),
    )


def _rule_from_dict(item: object) -> BlockingRule:
    if isinstance(item, Sequence) and not isinstance(item, str):
        return BlockingRule(tuple(str(k) for k in item))
    if isinstance(item, Mapping) and isinstance(item.get("keys"), Sequence):
        return BlockingRule(
            tuple(str(k) for k in item["keys"]), unordered=bool(item.get("unordered", False))
        )
    raise SettingsError("each blocking rule must be a list of keys or {'keys': [...]}")
