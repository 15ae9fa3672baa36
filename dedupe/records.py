"""Records and their prepared, column-wise form.

A :class:`Record` is a plain value: an id and the raw field values. Before comparison a batch of
records becomes a :class:`Table`: every text value is normalised once and replaced by an integer
code into one shared vocabulary, and every date is parsed into numeric columns, so that blocking
and comparison work on numpy arrays rather than on Python objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from dedupe.normalise import name_skeleton, normalise_name, normalise_text, parse_date
from dedupe.settings import SINGLE_BIRTH, FieldSpec, Settings

__all__ = ["DateColumns", "Record", "Table", "distinct"]

IntArray = npt.NDArray[np.int64]


def distinct(values: IntArray) -> IntArray:
    """Return the sorted distinct values of an integer array.

    Same result as ``np.unique(values)``, whose hash-based path (numpy 2.3 and later) is many
    times slower than a sort on the structured pair keys built here.
    """
    ordered = np.sort(values)
    if len(ordered) == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


@dataclass(frozen=True)
class Record:
    """One record to match: an id and its raw values by column.

    Attributes:
        id: The record's identifier (unique within a batch).
        values: Raw values by column name; ``None`` or ``""`` means missing.
    """

    id: str
    values: Mapping[str, str | None]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def get(self, column: str) -> str | None:
        """Return the raw value of ``column``, or ``None`` when absent."""
        return self.values.get(column)


@dataclass(frozen=True)
class DateColumns:
    """Parsed dates of one field, one entry per record (0 or -1 when unknown)."""

    year: IntArray
    month: IntArray
    day: IntArray
    ordinal: IntArray
    digits: IntArray  # vocabulary code of the YYYYMMDD digits, 0 when unknown


class Vocabulary:
    """Normalised strings and their codes; code 0 is the empty string."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"": 0}
        self.strings: list[str] = [""]

    def code(self, text: str) -> int:
        """Return the code of ``text``, adding it when new."""
        found = self.codes.get(text)
        if found is None:
            found = len(self.strings)
            self.codes[text] = found
            self.strings.append(text)
        return found


class Table:
    """A batch of records prepared for blocking and comparison.

    Attributes:
        settings: The settings the table was prepared for.
        ids: Record ids in order.
        codes: Per text field (name, text, exact, id), the vocabulary code of each value.
        dates: Per date field, the parsed date columns.
        vocab: Shared vocabulary of normalised strings.
    """

    def __init__(self, records: Sequence[Record], settings: Settings) -> None:
        columns = {
            spec.column: [record.values.get(spec.column) for record in records]
            for spec in settings.fields
        }
        self._prepare([record.id for record in records], columns, settings)

    @classmethod
    def from_columns(
        cls, ids: list[str], columns: Mapping[str, Sequence[str | None]], settings: Settings
    ) -> Table:
        """Prepare a table from raw values by column (one entry per id), without building a
        :class:`Record` per row (a large CSV file is read this way)."""
        table = cls.__new__(cls)
        table._prepare(ids, columns, settings)
        return table

    def _prepare(
        self, ids: list[str], columns: Mapping[str, Sequence[str | None]], settings: Settings
    ) -> None:
        self.settings = settings
        self.ids = ids
        self.vocab = Vocabulary()
        self.codes: dict[str, IntArray] = {}
        self.dates: dict[str, DateColumns] = {}
        placeholders = frozenset(settings.placeholder_names)
        self._placeholder_codes: set[int] = set()
        #: Candidate pairs per (blocking rule, split), filled by :mod:`dedupe.blocking`.
        self.pair_cache: dict[tuple[int, int | None], IntArray] = {}
        #: Per split, a bit per blocking rule (8 to a byte) for each candidate pair that rule
        #: found: ``(pairs, bytes)``.
        self.rule_flags: dict[int | None, npt.NDArray[np.uint8]] = {}
        for spec in settings.fields:
            raws = columns.get(spec.column) or [None] * len(ids)
            if spec.kind == "date":
                self.dates[spec.column] = self._dates(raws, spec)
            else:
                self.codes[spec.column] = self._texts(raws, spec, placeholders)

    def __len__(self) -> int:
        return len(self.ids)

    def _texts(
        self, raws: Sequence[str | None], spec: FieldSpec, placeholders: frozenset[str]
    ) -> IntArray:
        particles = self.settings.particles
        codes: dict[str | None, int] = {}
        for raw in dict.fromkeys(raws):  # each distinct value once, in order of appearance
            name = spec.kind == "name"
            text = normalise_name(raw, particles) if name else normalise_text(raw)
            code = self.vocab.code(text)
            if spec.role == "given_name" and text and text.split()[0] in placeholders:
                self._placeholder_codes.add(code)
            codes[raw] = code
        return np.fromiter(map(codes.__getitem__, raws), dtype=np.int64, count=len(raws))

    def _dates(self, raws: Sequence[str | None], spec: FieldSpec) -> DateColumns:
        index: dict[str | None, int] = {}
        parts: list[tuple[int, int, int, int, int]] = []
        for raw in dict.fromkeys(raws):
            parsed = parse_date(raw, spec.format)
            index[raw] = len(parts)
            digits = self.vocab.code(parsed.digits)
            parts.append((parsed.year, parsed.month, parsed.day, parsed.ordinal, digits))
        rows = np.fromiter(map(index.__getitem__, raws), dtype=np.int64, count=len(raws))
        values = np.array(parts, dtype=np.int64).reshape(-1, 5)[rows]
        return DateColumns(*(np.ascontiguousarray(values[:, k]) for k in range(5)))

    @cached_property
    def multiple_birth(self) -> npt.NDArray[np.bool_] | None:
        """Per row, whether the ``multiple_birth`` field says a multiple birth (``None``
        without such a field)."""
        spec = self.settings.field_by_role("multiple_birth")
        if spec is None or spec.column not in self.codes:
            return None
        used, inverse = np.unique(self.codes[spec.column], return_inverse=True)
        strings = self.vocab.strings
        flags = np.array(
            [bool(strings[c]) and strings[c] not in SINGLE_BIRTH for c in used.tolist()],
            dtype=np.bool_,
        )
        return np.asarray(flags[inverse.reshape(-1)], dtype=np.bool_)

    @cached_property
    def usable(self) -> npt.NDArray[np.bool_]:
        """Per vocabulary code, whether the value counts as present (not empty, not "Baby")."""
        found = np.ones(len(self.vocab.strings), dtype=np.bool_)
        found[0] = False
        found[sorted(self._placeholder_codes)] = False
        return found

    @cached_property
    def strings(self) -> npt.NDArray[np.object_]:
        """The vocabulary as a numpy object array indexed by code."""
        return _object_array(self.vocab.strings)

    @cached_property
    def multiword(self) -> npt.NDArray[np.bool_]:
        """Per vocabulary code, whether the string has more than one word."""
        return np.array([" " in s for s in self.vocab.strings], dtype=np.bool_)

    @cached_property
    def lengths(self) -> IntArray:
        """Per vocabulary code, the length of the string."""
        return np.array([len(s) for s in self.vocab.strings], dtype=np.int64)

    @cached_property
    def string_ranks(self) -> IntArray:
        """Per vocabulary code, the rank of its string in sorted order."""
        ranks = np.empty(len(self.vocab.strings), dtype=np.int64)
        ranks[np.argsort(self.strings, kind="stable")] = np.arange(len(ranks))
        return ranks

    @cached_property
    def sorted_tokens(self) -> npt.NDArray[np.object_]:
        """Each vocabulary string with its words sorted (meets reordered names)."""
        return _object_array([" ".join(sorted(s.split())) for s in self.vocab.strings])

    @cached_property
    def skeletons(self) -> list[str]:
        """The consonant skeleton of each vocabulary string, words sorted.

        Only values of name fields and of fields blocked phonetically have one (other codes,
        such as addresses or dates, get ``""``): those are the only ones ever looked up.
        """
        columns = {spec.column for spec in self.settings.fields if spec.kind == "name"}
        for rule in self.settings.blocking:
            columns.update(c for transform, _, c in rule.parts() if transform == "phonetic")
        out = [""] * len(self.vocab.strings)
        tokens = self.sorted_tokens
        for column in sorted(columns & set(self.codes)):
            for code in np.unique(self.codes[column]).tolist():
                if not out[code]:
                    out[code] = name_skeleton(tokens[code])
        return out

    @cached_property
    def skeleton_codes(self) -> IntArray:
        """Per vocabulary code, a code of its skeleton (0 when empty)."""
        seen: dict[str, int] = {"": 0}
        return np.array([seen.setdefault(s, len(seen)) for s in self.skeletons], dtype=np.int64)


def _object_array(items: Sequence[str]) -> npt.NDArray[np.object_]:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out
