"""Small-cell suppression for published tables, primary and secondary.

A table is a cube of counts: every dimension has its categories plus a ``total`` category, and
each total equals the sum of the cells it covers. Primary suppression hides every count from 1
to ``threshold - 1`` (zeros stay shown). Secondary suppression uses the hypercube method: each
primary cell becomes a corner of a box that takes two categories in every dimension (the cell's
own and a partner: another category, or the total), and every corner of the box is hidden.
Adding +1/-1 alternately on the corners (or +1 on a category and its total together) keeps
every published total, so no corner of such a box can be worked out from the published cells,
and a union of boxes keeps that property. Among the possible boxes the one hiding the least is
chosen (the sum of the newly hidden counts; totals and zeros cost extra, zeros only as a last
resort). ``determined`` checks the result independently, by exact elimination over the
rationals.

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
    covered: set[Cell] = set()
    for cell in sorted(primary, key=lambda c: (counts[c], c)):
        if cell in covered:
            continue
        box = _cheapest_box(cell, categories, counts, hidden)
        hidden.update(box)
        covered.update(box)
    return primary, hidden - primary


ZERO_COST = 10**12
TOTAL_COST = 10**6


def _cheapest_box(
    cell: Cell, categories: Sequence[Sequence[str]], counts: Mapping[Cell, int], hidden: set[Cell]
) -> list[Cell]:
    """The corners of the box through ``cell`` that hides the least that is not hidden yet."""

    def cost(c: Cell) -> int:
        if c in hidden:
            return 0
        n = counts.get(c, 0)
        return ZERO_COST if n == 0 else n + (TOTAL_COST if TOTAL in c else 0)

    partners: list[list[str]] = []
    for d, own in enumerate(cell):
        # An inner category pairs with another or with the total; the total with an inner one.
        partners.append([c for c in categories[d] if c != own])
    best: list[Cell] | None = None
    best_cost = -1
    for choice in product(*partners):
        pairs = [(own, other) for own, other in zip(cell, choice, strict=True)]
        corners = list(product(*pairs))
        total = sum(cost(c) for c in corners)
        if best is None or total < best_cost:
            best, best_cost = corners, total
            if total == 0:
                break
    return best if best is not None else [cell]


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
