"""``dedupe.ladders``: one definition per ladder, read alike on arrays and on one pair."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from dedupe.ladders import LADDERS, Ladder, Level
from dedupe.settings import LEVELS

FACTS = {
    "same": "bool",
    "similarity": "float",
    "close": 0.9,
    "far": 0.7,
    "phonetic": "bool",
    "edits": "int",
    "complete": "bool",
    "same_year": "bool",
    "same_month_day": "bool",
    "day_month_swapped": "bool",
    "within_window": "bool",
    "one_edit": "bool",
    "year_apart": "bool",
}


@pytest.mark.parametrize("kind", sorted(LADDERS))
def test_a_batch_and_a_pair_land_on_the_same_level(kind: str) -> None:
    """Ladder.select on arrays of facts gives, pair by pair, what Ladder.first gives on each
    pair's own facts (the first level whose test holds, else the last level)."""
    rng = np.random.default_rng(0)
    n = 2000
    arrays = {}
    for name, shape in FACTS.items():
        if shape == "bool":
            arrays[name] = rng.random(n) < 0.3
        elif shape == "float":
            arrays[name] = rng.random(n)
        elif shape == "int":
            arrays[name] = rng.integers(0, 5, n)
        else:
            arrays[name] = shape
    ladder = LADDERS[kind]
    batch = ladder.select(SimpleNamespace(**arrays))
    one_by_one = [
        ladder.first(
            SimpleNamespace(
                **{k: (v[i].item() if isinstance(v, np.ndarray) else v) for k, v in arrays.items()}
            )
        )
        for i in range(n)
    ]
    assert batch.tolist() == one_by_one
    assert set(one_by_one) == set(range(len(ladder.levels)))  # every level is reachable


def test_settings_levels_and_default_priors_come_from_the_ladders() -> None:
    """The level names of the settings are the ladders' own, ``else`` last, with one default m
    and u per level that each add up to 1."""
    for kind, ladder in LADDERS.items():
        assert LEVELS[kind] == ladder.levels
        assert ladder.levels[0] == "exact" and ladder.levels[-1] == "else"
        assert ladder.missing == len(ladder.levels)
        assert sum(ladder.m) == pytest.approx(1.0) and sum(ladder.u) == pytest.approx(1.0)


def test_a_ladder_needs_a_test_on_every_level_but_the_last() -> None:
    """It refuses a ladder whose last level has a test, or whose other levels lack one."""
    with pytest.raises(ValueError, match="every level but the last"):
        Ladder("x", (Level("exact", 0.9, 0.1), Level("else", 0.1, 0.9)))
    with pytest.raises(ValueError, match="every level but the last"):
        Ladder("x", (Level("exact", 0.9, 0.1, bool), Level("else", 0.1, 0.9, bool)))
