"""Comparison ladders: each field kind's levels, best first, the test of each and its defaults.

A ladder is written once, here, as a list of named levels. Each level but the last holds a test
on the *facts* of a pair (whether the two values are equal, their similarity, how many days
apart two dates are, ...); the first level whose test holds is the pair's level, and the last
(``else``) takes the rest. A pair with a value missing is at ``len(levels)`` (``missing``,
weight 0) before any test.

The tests use only comparisons, ``&`` and ``|``, which mean the same on Python scalars and on
numpy arrays, so both scoring paths derive from the same definition:

* :func:`dedupe.compare.compare` (vectorised) builds the facts as arrays over many pairs and
  takes :meth:`Ladder.select` (every test on every pair, then the first that holds);
* :mod:`dedupe.few` (pair by pair) builds the facts of one pair and takes
  :meth:`Ladder.first` (tests in order, stopping at the first that holds, so a costly fact is
  computed only when an earlier level did not hold).

Facts read by the tests, by kind (each path computes them its own way):

=========  ==================================================================================
``name``   ``same`` (equal normalised values), ``similarity`` (Jaro-Winkler, words also
           sorted), ``close`` and ``far`` (the field's thresholds), ``phonetic`` (the same
           consonant skeleton, not empty)
``text``   ``same``, ``similarity``, ``close``, ``far``
``exact``  ``same``
``id``     ``edits`` (optimal string alignment distance)
``date``   ``complete`` (both dates have a year, month and day), ``same_year``,
           ``same_month_day``, ``day_month_swapped`` (month of one is the day of the other and
           back, month and day not equal), ``within_window`` (at most ``date_window_days``
           apart), ``one_edit`` (YYYYMMDD digits one substitution or one adjacent swap apart),
           ``year_apart`` (365 days apart, give or take ``date_window_days + 1``)
=========  ==================================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "DATE",
    "EXACT",
    "ID",
    "LADDERS",
    "MOTHER_AGREES",
    "NAME",
    "SIBLING_DAYS",
    "TEXT",
    "Ladder",
    "Level",
    "unlike_level",
    "vetoes",
]

#: A level's test: facts (scalars or arrays) in, a truth value (or a boolean array) out.
Test = Callable[[Any], Any]


@dataclass(frozen=True)
class Level:
    """One rung of a ladder.

    Attributes:
        name: The level's name (``exact``, ``close``, ..., ``else``).
        m: Default probability of the level among matches (before training).
        u: Default probability of the level among non-matches.
        test: Whether a pair is at this level (given it is at no better one); ``None`` for
            the last level, which takes every pair the others left.
    """

    name: str
    m: float
    u: float
    test: Test | None = None


@dataclass(frozen=True)
class Ladder:
    """The levels of a field kind, best first; the last one has no test.

    Attributes:
        kind: The field kind.
        rungs: The levels.
    """

    kind: str
    rungs: tuple[Level, ...]
    _tests: tuple[Test, ...] = field(init=False, repr=False, compare=False)
    _indexed: tuple[tuple[int, Test], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tests = tuple(level.test for level in self.rungs[:-1])
        if self.rungs[-1].test is not None or any(test is None for test in tests):
            raise ValueError(f"ladder {self.kind!r}: every level but the last needs a test")
        object.__setattr__(self, "_tests", tests)
        object.__setattr__(self, "_indexed", tuple(enumerate(tests)))

    @property
    def levels(self) -> tuple[str, ...]:
        """The level names, best first (``missing`` is implicit, after them)."""
        return tuple(level.name for level in self.rungs)

    @property
    def missing(self) -> int:
        """The level index of a pair with a value missing."""
        return len(self.rungs)

    @property
    def m(self) -> tuple[float, ...]:
        """Default m probabilities, one per level."""
        return tuple(level.m for level in self.rungs)

    @property
    def u(self) -> tuple[float, ...]:
        """Default u probabilities, one per level."""
        return tuple(level.u for level in self.rungs)

    def index(self, name: str) -> int:
        """The index of a level by name (``ValueError`` when the ladder has no such level)."""
        return self.levels.index(name)

    def first(self, facts: Any) -> int:
        """The level of one pair: its tests in order, the first that holds."""
        for index, test in self._indexed:
            if test(facts):
                return index
        return len(self._indexed)

    def select(self, facts: Any) -> npt.NDArray[np.int64]:
        """The level of each pair of a batch whose facts are arrays."""
        conditions = [test(facts) for test in self._tests]
        # np.select's order (the first test that holds wins), from the last test back: a few
        # np.where on small batches cost less than np.select's broadcasting.
        level = np.full(np.shape(conditions[0]), len(conditions), dtype=np.int64)
        for index in range(len(conditions) - 1, -1, -1):
            level = np.where(conditions[index], index, level)
        return level


NAME = Ladder(
    "name",
    (
        Level("exact", 0.80, 0.005, lambda f: f.same),
        Level("close", 0.10, 0.01, lambda f: f.similarity >= f.close),
        Level("phonetic", 0.04, 0.02, lambda f: f.phonetic),
        Level("far", 0.03, 0.065, lambda f: f.similarity >= f.far),
        Level("else", 0.03, 0.90),
    ),
)
TEXT = Ladder(
    "text",
    (
        Level("exact", 0.80, 0.01, lambda f: f.same),
        Level("close", 0.10, 0.02, lambda f: f.similarity >= f.close),
        Level("far", 0.05, 0.07, lambda f: f.similarity >= f.far),
        Level("else", 0.05, 0.90),
    ),
)
DATE = Ladder(
    "date",
    (
        Level("exact", 0.85, 0.0005, lambda f: f.complete & f.same_year & f.same_month_day),
        Level("transposed", 0.04, 0.0005, lambda f: f.complete & f.same_year & f.day_month_swapped),
        Level("close", 0.05, 0.004, lambda f: f.complete & (f.within_window | f.one_edit)),
        Level("year_off", 0.02, 0.005, lambda f: f.complete & f.year_apart),
        Level("year", 0.02, 0.04, lambda f: f.same_year),
        Level("else", 0.02, 0.95),
    ),
)
EXACT = Ladder(
    "exact",
    (
        Level("exact", 0.95, 0.10, lambda f: f.same),
        Level("else", 0.05, 0.90),
    ),
)
ID = Ladder(
    "id",
    (
        Level("exact", 0.90, 0.0001, lambda f: f.edits == 0),
        Level("close", 0.05, 0.0009, lambda f: f.edits == 1),
        Level("far", 0.02, 0.005, lambda f: f.edits == 2),
        Level("else", 0.03, 0.994),
    ),
)
#: The ladder of each field kind.
LADDERS: dict[str, Ladder] = {ladder.kind: ladder for ladder in (NAME, TEXT, DATE, EXACT, ID)}

# --- the family rules, read off the ladders' levels ---------------------------------------------

#: Levels of a ``mother`` field that count as agreement (``exact`` and ``close``).
MOTHER_AGREES = 2
#: Birth dates further apart than this (18 months) are siblings even under one name.
SIBLING_DAYS = 548
_DATE_CLOSE = DATE.index("close")
_DATE_YEAR_OFF = DATE.index("year_off")


def unlike_level(levels: tuple[str, ...]) -> int:
    """The first level of a given-name field at which two names are not alike (below it:
    ``exact`` and ``close``)."""
    return levels.index("close") + 1 if "close" in levels else 1


def vetoes(
    same_mother: Any,
    dob_level: Any,
    dob_complete: Any,
    given: tuple[str, ...] | None,
    given_level: Any,
    apart: Any,
    both_multiple: Any,
    direct: Any,
) -> tuple[Any, Any]:
    """Whether pairs are twins and whether they are siblings (scalars or arrays alike).

    Args:
        same_mother: The mother fields agree (each ``exact`` or ``close`` or missing, one
            present at least).
        dob_level: Level of the date of birth.
        dob_complete: Both dates of birth are complete.
        given: The levels of the given-name field, ``None`` without one (then no twins, and
            siblings by the dates alone).
        given_level: Level of the given name.
        apart: Birth dates more than :data:`SIBLING_DAYS` apart.
        both_multiple: Both records say a multiple birth.
        direct: The names were not compared crosswise (a swapped pair is never twins).

    Returns:
        ``(twins, siblings)``. Twins: born the same day, or a few days apart on paper (a typo,
        past midnight), with given names of level ``else``; when both records say a multiple
        birth, given names not alike (or one missing) are enough. Siblings: birth dates a year
        or more apart, and given names not alike or dates more than 18 months apart (a child
        registered again with a wrong date keeps its name; a sibling born that close has
        another one).
    """
    siblings = same_mother & dob_complete & (dob_level >= _DATE_YEAR_OFF)
    if given is None:
        return same_mother & False, siblings
    unlike = given_level >= unlike_level(given)
    different = given_level == given.index("else")
    siblings = siblings & (unlike | apart)
    close = dob_level <= _DATE_CLOSE
    twins = same_mother & close & direct & (different | (both_multiple & unlike))
    return twins, siblings
