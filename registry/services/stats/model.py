"""What a statistics computation returns: tables of tidy rows with their notes.

Every output column must be in ``ALLOWED_COLUMNS`` (SECURITY I7): the writers refuse anything
else, so a name, an identifier or an exact date can never leave through an export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from registry.messages import Text

#: The only columns any export may contain: dimensions (categories, area codes, periods) and
#: measures (counts, estimates, percentages, rates). No names, identifiers or exact dates.
ALLOWED_COLUMNS = frozenset(
    {
        # dimensions
        "table",
        "area_code",
        "area_name",
        "residence_area_code",
        "period",
        "month",
        "sex",
        "timeliness",
        "place_type",
        "attendant",
        "mother_age_group",
        "type_of_birth",
        "birth_weight_group",
        "age_group",
        "broad_age_group",
        "icd10_chapter",
        "established_by",
        "indicator",
        # measures
        "registered",
        "estimated",
        "completeness_pct",
        "completeness_legal_pct",
        "completeness_one_year_pct",
        "births",
        "deaths",
        "male",
        "female",
        "sex_ratio",
        "outside_expected_range",
        "with_cause",
        "ill_defined",
        "ill_defined_pct",
        "numerator",
        "denominator",
        "value",
        "suppressed",
    }
)

TABLE_NAMES = ("coverage", "births", "deaths", "causes", "rates")
PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class StatsRequest:
    """What to tabulate: one of ``TABLE_NAMES`` for a year of occurrence."""

    table: str
    year: int
    period: str = "month"
    level: str = "district"
    public: bool = False
    threshold: int = 5
    cutoff: date | None = None


@dataclass
class Table:
    """One tidy table: a row per cell, a column per dimension, then the measures."""

    name: str
    title: str
    dimensions: list[str]
    measures: list[str]
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)  # in the downloads only

    @property
    def columns(self) -> list[str]:
        return [*self.dimensions, *self.measures]


@dataclass
class StatsResult:
    """The tables of one request and what a reader must know about them."""

    request: StatsRequest
    scope_area_code: str
    cutoff: date
    tables: list[Table]
    notes: list[Text] = field(default_factory=list)
    denominator: Text | str = ""
    suppression: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)
