"""Populations and crude rates for any area of the tree, from the denominators table.

The rule: an area's own row for the year wins. Without one, the area's denominator is built from
its children (recursively): populations are summed and each crude rate is the
population-weighted mean of the children's rates (weights: total population). If any child lacks
a denominator the area has none either, because a partial sum would understate the estimate and
overstate completeness. There is no fallback to another year.

Estimated events = crude rate x population / 1000 x (days in period / 365). For one sex the
same crude rate is applied to that sex's population (the rate is never halved).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import messages
from registry.domain import EventType
from registry.messages import Text
from registry.models import Area, Denominator


@dataclass(frozen=True)
class Resolved:
    population_male: int
    population_female: int
    crude_birth_rate: Decimal
    crude_death_rate: Decimal
    source: Text  # "own row" or "sum of D11, D12"

    @property
    def population_total(self) -> int:
        return self.population_male + self.population_female

    def rate(self, event_type: EventType) -> Decimal:
        return self.crude_birth_rate if event_type is EventType.BIRTH else self.crude_death_rate

    def population(self, sex: str) -> int | None:
        """The population of ``male``, ``female`` or ``total``; None for an unknown sex."""
        return {
            "male": self.population_male,
            "female": self.population_female,
            "total": self.population_total,
        }.get(sex)

    def estimated(self, event_type: EventType, sex: str, days: int) -> float | None:
        population = self.population(sex)
        if population is None:
            return None
        return float(self.rate(event_type)) * population / 1000 * days / 365


def days_in(year: int, period: str, label: str) -> int:
    """Days in a period label: ``"02"``, ``"Q1"``, or ``"year"``/``"total"`` for the year."""
    if period == "month" and label not in ("total", "year"):
        return calendar.monthrange(year, int(label))[1]
    if period == "quarter" and label.startswith("Q"):
        first = (int(label[1]) - 1) * 3 + 1
        return sum(calendar.monthrange(year, m)[1] for m in range(first, first + 3))
    return 366 if calendar.isleap(year) else 365


class Denominators:
    """Resolves denominators of a year for any area (codes), remembering how."""

    def __init__(self, session: Session, year: int) -> None:
        self.year = year
        self.areas = {a.code: a for a in session.scalars(select(Area))}
        by_id = {a.id: a for a in self.areas.values()}
        self.children: dict[str, list[str]] = {}
        for area in self.areas.values():
            if area.parent_id is not None and area.parent_id in by_id:
                self.children.setdefault(by_id[area.parent_id].code, []).append(area.code)
        self.rows = {
            by_id[d.area_id].code: d
            for d in session.scalars(select(Denominator).where(Denominator.year == year))
            if d.area_id in by_id
        }
        self._cache: dict[str, Resolved | None] = {}
        self.missing: dict[str, list[str]] = {}

    def get(self, code: str) -> Resolved | None:
        if code not in self._cache:
            self._cache[code] = self._resolve(code)
        return self._cache[code]

    def _resolve(self, code: str) -> Resolved | None:
        row = self.rows.get(code)
        if row is not None:
            return Resolved(
                row.population_male,
                row.population_female,
                Decimal(row.crude_birth_rate),
                Decimal(row.crude_death_rate),
                messages.STATS_OWN_ROW,
            )
        kids = sorted(self.children.get(code, []))
        parts = [(kid, self.get(kid)) for kid in kids]
        lacking = [kid for kid, part in parts if part is None]
        if not kids or lacking:
            leaves = [leaf for kid in lacking for leaf in self.missing.get(kid, [kid])]
            self.missing[code] = leaves or [code]
            return None
        resolved = [part for _, part in parts if part is not None]
        total = sum(p.population_total for p in resolved)

        def weighted(rates: list[tuple[Decimal, int]]) -> Decimal:
            if total == 0:
                return Decimal(0)
            return sum((rate * pop for rate, pop in rates), Decimal(0)) / total

        return Resolved(
            sum(p.population_male for p in resolved),
            sum(p.population_female for p in resolved),
            weighted([(p.crude_birth_rate, p.population_total) for p in resolved]),
            weighted([(p.crude_death_rate, p.population_total) for p in resolved]),
            messages.STATS_SUM_OF.format(areas=", ".join(kids)),
        )

    def describe(self, codes: list[str]) -> Text:
        """One sentence on where each area's denominator came from."""
        parts = []
        for code in codes:
            resolved = self.get(code)
            if resolved is None:
                lacking = ", ".join(self.missing[code])
                source = messages.STATS_NONE_MISSING.format(areas=lacking)
            else:
                source = resolved.source
            parts.append(messages.STATS_DENOMINATOR_OF.format(area=code, source=source))
        return messages.STATS_DENOMINATORS.format(year=self.year, parts=parts)
