"""Work that must stay linear in the data: oversized blocks and clustering."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe import Record, Settings, SettingsError, blocking_keys
from dedupe.blocking import candidate_pairs
from dedupe.cluster import cluster_edges
from dedupe.records import Table

FIELDS = [
    {"column": "given", "kind": "name", "role": "given_name"},
    {"column": "family", "kind": "name", "role": "family_name"},
    {"column": "dob", "kind": "date", "role": "date_of_birth"},
]


def _family(rng: random.Random) -> str:
    return "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(4))


def test_oversized_block_meets_neighbours_only() -> None:
    """A block above max_block_size costs window pairs per record, and still meets its twin."""
    rng = random.Random(0)
    spec = {
        "fields": FIELDS,
        "blocking": [["exact:given", "year:dob"]],
        "max_block_size": 20,
        "block_window": 4,
    }
    rows = [
        Record(str(i), {"given": "Amina", "family": _family(rng), "dob": "2019-05-13"})
        for i in range(2000)
    ]
    rows.append(Record("dup", {"given": "Amina", "family": rows[700].get("family"), "dob": "2019"}))
    table = Table(rows, Settings.from_dict(spec))
    ia, ib = candidate_pairs(table)
    assert len(ia) <= len(rows) * 3
    pairs = set(zip(ia.tolist(), ib.tolist(), strict=True))
    assert (700, len(rows) - 1) in pairs
    # The same records in small blocks compare all their pairs.
    small = Table(rows[:15], Settings.from_dict(spec))
    assert len(candidate_pairs(small)[0]) == 15 * 14 // 2


def test_block_window_is_validated() -> None:
    """block_window is read, written back and must be at least 2."""
    settings_ = Settings.from_dict({"fields": FIELDS, "block_window": 7})
    assert settings_.block_window == 7
    assert Settings.from_dict(settings_.to_dict()).block_window == 7
    try:
        Settings.from_dict({"fields": FIELDS, "block_window": 1})
    except SettingsError:
        return
    raise AssertionError("block_window 1 was accepted")


def test_blocking_keys_are_stable_strings() -> None:
    """Keys keep their stored form: rule index, then the parts (sorted when unordered)."""
    spec = Settings.from_dict({"fields": FIELDS})
    keys = blocking_keys(
        Record("1", {"given": "Mohamed", "family": "Ali", "dob": "2019-05-13"}), spec
    )
    assert keys == ["0:l|mhmd", "1:20190513|m", "2:20190513|a", "3:mhmd|2019", "4:l|2019"]


def test_cluster_of_a_long_chain_cuts_every_link() -> None:
    """A chain of 20,000 weak links (deeper than any recursion limit) is cut link by link; a
    ring is kept. (Its speed is measured by bench/dedupe_scale.py, not timed here.)"""
    n = 20_000
    chain = [(f"r{i:06d}", f"r{i + 1:06d}", 0.95) for i in range(n)]
    clusters = cluster_edges(chain, 0.9)
    assert all(record == label for record, label in clusters.items())
    ring = [*chain, (f"r{n:06d}", "r000000", 0.95)]
    assert set(cluster_edges(ring, 0.9).values()) == {"r000000"}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, 9), st.sampled_from([0.5, 0.91, 0.95, 0.995])),
        max_size=30,
    )
)
def test_cluster_cuts_only_weak_bridges(edges: list[tuple[int, int, float]]) -> None:
    """Removing a cut link's endpoints' other links never reconnects them; kept links join."""
    named = [(f"n{a}", f"n{b}", p) for a, b, p in edges]
    clusters = cluster_edges(named, 0.9)
    for a, b, p in named:
        if p < 0.9 or a == b:
            continue
        if clusters[a] != clusters[b]:
            assert p < 0.99
            # A cut link was the only path between its two sides.
            others = [(x, y, q) for x, y, q in named if {x, y} != {a, b}]
            rest = cluster_edges(others, 0.9, strong=0.0)
            assert rest.get(a, a) != rest.get(b, b)
