"""Small-cell suppression: primary cells 1-4, and secondary cells so that no hidden count can
be worked out from the published cells and totals (checked here by an independent rank test)."""

from __future__ import annotations

from fractions import Fraction
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from registry.services.stats.suppression import TOTAL, Cell, suppress, with_totals
from tests.test_registry.test_stats_tables import register, run  # noqa: F401  (fixture)


def rank(rows: list[list[Fraction]]) -> int:
    """Rank of a dense matrix by Gaussian elimination over the rationals."""
    matrix = [row[:] for row in rows if any(row)]
    r = 0
    width = len(matrix[0]) if matrix else 0
    for col in range(width):
        pivot = next((i for i in range(r, len(matrix)) if matrix[i][col] != 0), None)
        if pivot is None:
            continue
        matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
        for i in range(len(matrix)):
            if i != r and matrix[i][col] != 0:
                factor = matrix[i][col] / matrix[r][col]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[r], strict=True)]
        r += 1
    return r


def recoverable(categories: list[list[str]], hidden: set[Cell]) -> set[Cell]:
    """Hidden cells fixed by the published cells: e_cell lies in the span of the equations."""
    unknowns = sorted(hidden)
    index = {c: i for i, c in enumerate(unknowns)}
    equations: list[list[Fraction]] = []
    for d, cats in enumerate(categories):
        others = [categories[i] for i in range(len(categories)) if i != d]
        for fixed in product(*others):
            row = [Fraction(0)] * len(unknowns)
            for value in cats:
                cell = (*fixed[:d], value, *fixed[d:])
                if cell in index:
                    row[index[cell]] += -1 if value == TOTAL else 1
            equations.append(row)
    base = rank(equations)
    found = set()
    for cell, i in index.items():
        unit = [Fraction(int(j == i)) for j in range(len(unknowns))]
        if rank([*equations, unit]) == base:
            found.add(cell)
    return found


def cube(shape: list[int], values: list[int]) -> tuple[list[list[str]], dict[Cell, int]]:
    inner = [[f"c{d}{i}" for i in range(n)] for d, n in enumerate(shape)]
    cells = list(product(*inner))
    counts = with_totals(inner, dict(zip(cells, values, strict=False)))
    return [[*cats, TOTAL] for cats in inner], counts


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    data=st.data(),
    threshold=st.integers(2, 6),
)
def test_no_suppressed_cell_is_recoverable_from_the_totals(
    shape: list[int], data: st.DataObject, threshold: int
) -> None:
    size = 1
    for n in shape:
        size *= n
    values = data.draw(st.lists(st.integers(0, 12), min_size=size, max_size=size))
    categories, counts = cube(shape, values)
    primary, secondary = suppress(categories, counts, threshold)
    assert primary == {c for c, n in counts.items() if 0 < n < threshold}
    assert not primary & secondary
    assert recoverable(categories, primary | secondary) == set()


def test_a_single_small_cell_gets_a_box_of_partners() -> None:
    """3 is hidden; hiding only it would let anyone subtract it from its row total."""
    categories, counts = cube([2, 2], [3, 10, 20, 30])
    primary, secondary = suppress(categories, counts, 5)
    assert primary == {("c00", "c10")}
    assert len(secondary) == 3  # the other corners of the cheapest box
    assert recoverable(categories, primary | secondary) == set()
    assert all(counts[c] > 0 for c in secondary)  # zeros stay shown


def test_public_coverage_hides_small_counts_and_what_would_reveal_them(
    register: Session,  # noqa: F811
) -> None:
    result = run(register, "coverage", period="quarter", public=True)
    assert result.suppression["applied"] and result.suppression["threshold"] == 5
    for table in result.tables:
        counts: dict[Cell, int] = {}
        hidden: set[Cell] = set()
        categories: list[list[str]] = [[] for _ in range(4)]
        for row in table.rows:
            cell = (row["area_code"], row["period"], row["sex"], row["timeliness"])
            for d, value in enumerate(cell):
                if value not in categories[d]:
                    categories[d].append(value)
            assert row["registered"] is None or not 0 < row["registered"] < 5
            if row["registered"] is None:
                hidden.add(cell)
                assert row["suppressed"] is True
                assert row["completeness_pct"] is None
            else:
                counts[cell] = row["registered"]
        if table.name == "coverage_births":
            assert hidden, "the small register has small cells"
        assert recoverable(categories, hidden) == set()
