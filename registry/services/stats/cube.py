"""A count table as a cube with totals, and its suppression for public release."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

from registry.services.stats.suppression import TOTAL, Cell, suppress, with_totals


@dataclass
class Cube:
    """Counts over named dimensions; every dimension ends with ``TOTAL``."""

    dims: list[str]
    categories: list[list[str]]
    counts: dict[Cell, int]
    primary: set[Cell] = field(default_factory=set)
    secondary: set[Cell] = field(default_factory=set)

    @classmethod
    def build(
        cls,
        dims: Sequence[tuple[str, Sequence[str]]],
        inner: Mapping[Cell, int],
        *,
        threshold: int | None = None,
    ) -> Cube:
        """A cube from SQL counts of inner cells; categories seen in data but not listed are
        appended. With a ``threshold`` the public suppression is applied."""
        categories: list[list[str]] = []
        for i, (_name, listed) in enumerate(dims):
            seen = sorted({cell[i] for cell in inner} - set(listed))
            categories.append([*listed, *seen, TOTAL])
        counts = with_totals([c[:-1] for c in categories], inner)
        cube = cls([name for name, _ in dims], categories, counts)
        if threshold is not None:
            cube.primary, cube.secondary = suppress(categories, counts, threshold)
        return cube

    @property
    def hidden(self) -> set[Cell]:
        return self.primary | self.secondary

    def cells(self) -> list[Cell]:
        return list(product(*self.categories))

    def count(self, cell: Cell) -> int:
        return self.counts.get(cell, 0)

    def shown(self, *cells: Cell) -> bool:
        return not any(cell in self.hidden for cell in cells)

    def value(self, cell: Cell) -> int | None:
        """The published count: None when suppressed."""
        return None if cell in self.hidden else self.count(cell)
