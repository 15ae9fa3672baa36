"""The generated civil register (bench/gen_register.py): its truth is what it claims to be."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest

from bench.gen_register import (
    CHANGES,
    COLUMNS,
    Register,
    generate,
    small_register,
    write,
)
from dedupe import Settings


@pytest.fixture(scope="module")
def register() -> Register:
    return small_register()


def _rows(register: Register) -> dict[str, dict[str, str]]:
    return {row["rec_id"]: row for row in register.rows}


def test_size_columns_and_unique_ids(register: Register) -> None:
    """It yields exactly the requested records, every column, and unique ids."""
    assert len(register.rows) == 1000
    assert all(tuple(row) == COLUMNS for row in register.rows)
    assert len({row["rec_id"] for row in register.rows}) == 1000


def test_same_seed_same_register_other_seed_other() -> None:
    """It is deterministic for a seed and differs between seeds."""
    assert generate(300, seed=5).rows == generate(300, seed=5).rows
    assert generate(300, seed=5).rows != generate(300, seed=6).rows


def test_names_are_drawn_from_small_skewed_pools() -> None:
    """Names repeat: few distinct names, the commonest far more frequent than the median."""
    rows = generate(5000, seed=2).rows
    given = Counter(row["given_name"] for row in rows if row["given_name"])
    family = Counter(row["family_name"] for row in rows)
    assert len(given) < 400  # 140 names and their respellings, typos, swaps
    top, median = given.most_common()[0][1], sorted(given.values())[len(given) // 2]
    assert top > 10 * median
    assert family.most_common(1)[0][1] > 50


def test_twins_share_mother_date_and_family_but_not_given_name(register: Register) -> None:
    """Twins and triplets: same mother, date, family name, type of birth; other given names."""
    rows = _rows(register)
    firsts = [pair for pair in register.twin_pairs() if not set(pair) & set(register.first)]
    assert firsts, "the small register holds twins"
    for pair in firsts:
        a, b = (rows[rec_id] for rec_id in pair)
        for column in ("mother_name", "date_of_birth", "family_name", "district"):
            assert a[column] == b[column]
        assert a["type_of_birth"] == b["type_of_birth"] != "single"
        assert a["given_name"] != b["given_name"] or not a["given_name"]


def test_some_twins_share_their_sex() -> None:
    """Twins are of the same sex often, and of different sexes sometimes."""
    big = generate(20000, seed=3)
    rows = _rows(big)
    same = Counter(
        len({rows[rec_id]["sex"] for rec_id in pair}) == 1
        for pair in big.twin_pairs()
        if not set(pair) & set(big.first)
    )
    assert same[True] > 0 and same[False] > 0


def test_siblings_are_ten_months_to_five_years_apart(register: Register) -> None:
    """Children of one mother in different deliveries are 10 months to 5 years apart."""
    rows = _rows(register)
    pairs = [pair for pair in register.sibling_pairs() if not set(pair) & set(register.first)]
    assert pairs
    births: dict[str, list[str]] = {}
    for rec_id, row in rows.items():
        if rec_id not in register.first:
            births.setdefault(register.mother[rec_id], []).append(row["date_of_birth"])
    for dates in births.values():
        distinct = sorted(set(dates))
        for earlier, later in pairwise(distinct):
            gap = (date.fromisoformat(later) - date.fromisoformat(earlier)).days
            assert 300 <= gap <= 5 * 365 + 1


def test_re_registrations_carry_one_to_four_changes(register: Register) -> None:
    """Each late re-registration names 1-4 known changes and differs from the first record."""
    rows = _rows(register)
    assert register.changes
    for rec_id, changes in register.changes.items():
        assert 1 <= len(changes) <= 4
        assert set(changes) <= set(CHANGES)
        first = rows[register.first[rec_id]]
        differing = [c for c in COLUMNS[1:] if rows[rec_id][c] != first[c]]
        assert differing, (changes, rows[rec_id], first)
        assert register.person[rec_id] == register.person[register.first[rec_id]]


def test_every_kind_of_change_occurs() -> None:
    """Every change of the issue's list occurs in a 20,000-record register."""
    big = generate(20000, seed=1)
    seen = Counter(change for changes in big.changes.values() for change in changes)
    assert set(seen) == set(CHANGES)


def test_truth_pairs_are_the_records_of_one_child(register: Register) -> None:
    """Truth pairs join exactly the records sharing a child; twins and siblings are never in it."""
    truth = register.truth_pairs()
    by_child = Counter(register.person.values())
    assert len(truth) == sum(n * (n - 1) // 2 for n in by_child.values())
    for pair in truth:
        a, b = pair
        assert register.person[a] == register.person[b]
    assert not truth & register.twin_pairs()
    assert not truth & register.sibling_pairs()
    assert not register.twin_pairs() & register.sibling_pairs()


def test_written_files_agree_and_settings_load(tmp_path: Path) -> None:
    """The files hold the same rows and truth; the settings are valid dedupe settings."""
    small = generate(400, seed=4)
    write(small, tmp_path)
    with (tmp_path / "register.csv").open(newline="", encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == small.rows
    with (tmp_path / "truth.csv").open(newline="", encoding="utf-8") as handle:
        pairs = {frozenset((r["left_id"], r["right_id"])) for r in csv.DictReader(handle)}
    assert pairs == small.truth_pairs()
    settings = Settings.from_json_file(tmp_path / "settings.json")
    assert settings.id_column == "rec_id"
    assert {spec.column for spec in settings.fields} == set(COLUMNS[1:])
    assert json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))["fields"]
