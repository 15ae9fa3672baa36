"""Small-cell suppression for published tables, primary and secondary.

A table is a cube of counts: every dimension has its categories plus a ``total`` category, and
each total equals the sum of the cells it covers. Primary suppression hides every count from 1
to ``threshold - 1`` (zeros stay shown). Secondary suppression then hides more cells until no
hidden cell is *determined* by the published ones: each line of the cube (all coordinates fixed
but one) is an equation ``sum of cells = total``, and a hidden cell is recoverable by subtraction
exactly when its unit vector lies in the row space of those equations restricted to the hidden
cells. That is tested by exact Gaussian elimination over the rationals; a determined cell gets a
partner hidden beside it (the smallest positive count on one of its lines, inner cells before
totals) and the test repeats. Zeros are hidden only as a last resort.

Pure Python, no database: the same code serves the API, the CLI and the property tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from itertools import product

TOTAL = "total"
DEFAULT_THRESHOLD = 5

Cell = tuple[str, ...]


def lines(categories: Sequence[Sequence[str]]) -> list[tuple[list[Cell], Cell]]:
    """Every line of a cube as (inner cells, total cell).

    ``categories[d]`` lists the categories of dimension d, ``TOTAL`` last.
    """
    result: list[tuple[list[Cell], Cell]] = []
    for d, cats in enumerate(categories):
        inner = [c for c in cats if c != TOTAL]
        others = [categories[i] for i in range(len(categories)) if i != d]
        for fixed in product(*others):

            def at(value: str, fixed: tuple[str, ...] = fixed, d: int = d) -> Cell:
                return (*fixed[:d], value, *fixed[d:])

            result.append(([at(c) for c in inner], at(TOTAL)))
    return result


def determined(
    hidden: set[Cell], counts: Mapping[Cell, int], all_lines: Iterable[tuple[list[Cell], Cell]]
) -> set[Cell]:
    """The hidden cells whose value follows from the published cells and the line equations."""
    if not hidden:
        return set()
    index = {cell: i for i, cell in enumerate(sorted(hidden))}
    rows: list[dict[int, Fraction]] = []
    for inner, total in all_lines:
        row: dict[int, Fraction] = {}
        for cell, sign in [(c, 1) for c in inner] + [(total, -1)]:
            if cell in index:
                row[index[cell]] = row.get(index[cell], Fraction(0)) + sign
        row = {k: v for k, v in row.items() if v}
        if row:
            rows.append(row)
    # Reduced row echelon form on sparse rows.
    pivots: dict[int, dict[int, Fraction]] = {}
    for row in rows:
        for col, prow in pivots.items():
            if col in row:
                factor = row[col]
                for k, v in prow.items():
                    value = row.get(k, Fraction(0)) - factor * v
                    if value:
                        row[k] = value
                    else:
                        row.pop(k, None)
        if not row:
            continue
        col = min(row)
        lead = row[col]
        row = {k: v / lead for k, v in row.items()}
        for other in pivots.values():
            if col in other:
                factor = other[col]
                for k, v in row.items():
                    value = other.get(k, Fraction(0)) - factor * v
                    if value:
                        other[k] = value
                    else:
                        other.pop(k, None)
        pivots[col] = row
    # In reduced form a pivot row holds its pivot and free variables only: a row holding just
    # its pivot fixes that cell whatever values the free ones take.
    cells = sorted(hidden)
    return {cells[col] for col, row in pivots.items() if len(row) == 1}


def suppress(
    categories: Sequence[Sequence[str]],
    counts: Mapping[Cell, int],
    threshold: int = DEFAULT_THRESHOLD,
) -> tuple[set[Cell], set[Cell]]:
    """The (primary, secondary) hidden cells of a cube whose totals are consistent."""
    primary = {cell for cell, n in counts.items() if 0 < n < threshold}
    hidden = set(primary)
    all_lines = lines(categories)
    by_cell: dict[Cell, list[tuple[list[Cell], Cell]]] = {}
    for line in all_lines:
        for cell in (*line[0], line[1]):
            by_cell.setdefault(cell, []).append(line)
    while True:
        exposed = determined(hidden, counts, all_lines)
        if not exposed:
            break
        added: set[Cell] = set()
        for cell in sorted(exposed):
            partner = _partner(cell, hidden | added, counts, by_cell)
            if partner is not None:
                added.add(partner)
        if not added:
            break  # every cell on the lines is hidden already; nothing more can help
        hidden |= added
    return primary, hidden - primary


def _partner(
    cell: Cell,
    hidden: set[Cell],
    counts: Mapping[Cell, int],
    by_cell: Mapping[Cell, list[tuple[list[Cell], Cell]]],
) -> Cell | None:
    candidates: set[Cell] = set()
    for inner, total in by_cell.get(cell, []):
        candidates.update(c for c in (*inner, total) if c not in hidden)
    if not candidates:
        return None

    def rank(c: Cell) -> tuple[bool, bool, int, Cell]:
        n = counts.get(c, 0)
        return (n == 0, TOTAL in c, n, c)

    return min(candidates, key=rank)


def with_totals(
    categories: Sequence[Sequence[str]], inner_counts: Mapping[Cell, int]
) -> dict[Cell, int]:
    """Every cell of a cube (``TOTAL`` included) from the counts of its inner cells."""
    full: dict[Cell, int] = {}
    options = [list(dict.fromkeys([*cats, TOTAL])) for cats in categories]
    for cell in product(*options):
        full[cell] = 0
    for cell, n in inner_counts.items():
        if n == 0:
            continue
        for mask in product((False, True), repeat=len(cell)):
            key = tuple(TOTAL if m else v for v, m in zip(cell, mask, strict=True))
            full[key] += n
    return full
