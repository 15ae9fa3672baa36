"""The standard tabulations: coverage, births, deaths, causes and rates.

Each builder asks ``query.count_cells`` for grouped counts (SQL does the counting), turns them
into cubes with totals (suppressed when the output is public), and lays them out as tidy rows
with the derived measures. A derived measure (completeness, a ratio, a rate) is published only
when every count it is computed from is published, so nothing hidden leaks through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.domain import EventType
from registry.models import Area, Record
from registry.services.scoping import Actor
from registry.services.stats import query as q
from registry.services.stats.cube import Cube
from registry.services.stats.denominators import Denominators, days_in
from registry.services.stats.model import StatsRequest, Table
from registry.services.stats.suppression import TOTAL

SEX_RATIO_RANGE = (103.0, 107.0)


def pct(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or whole <= 0:
        return None
    return round(part / whole * 100, 1)


def per_1000(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or whole <= 0:
        return None
    return round(part / whole * 1000, 2)


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class Context:
    """Everything the builders share for one request."""

    session: Session
    actor: Actor
    request: StatsRequest
    cutoff: Any
    scope_code: str | None
    level_codes: list[str]
    names: dict[str, str]
    denominators: Denominators
    cubes: list[Cube] = field(default_factory=list)

    def scope(self, *event_types: EventType) -> q.Scope:
        return q.Scope(self.actor, event_types, self.request.year, self.cutoff)

    @property
    def unallocated(self) -> str:
        return q.UNALLOCATED.format(level=self.request.level)

    def occurrence(self) -> q.AreaRollup:
        return q.AreaRollup(
            Record.area_id, self.request.level, self.actor.area_path, self.unallocated
        )

    def residence(self) -> q.AreaRollup:
        return q.AreaRollup(
            q.V.residence_area_id,
            self.request.level,
            self.actor.area_path,
            f"{q.ELSEWHERE} or above the {self.request.level} level",
            null_label=q.NOT_STATED,
        )

    def cube(
        self,
        event_type: EventType,
        dims: Sequence[tuple[str, Sequence[str], Any]],
        area: q.AreaRollup | None = None,
        extra_where: list[Any] | None = None,
    ) -> Cube:
        """Counts from SQL over ``dims`` (name, listed categories, SQL expression)."""
        return self.cubes_by_type((event_type,), dims, area, extra_where)[event_type]

    def cubes_by_type(
        self,
        event_types: Sequence[EventType],
        dims: Sequence[tuple[str, Sequence[str], Any]],
        area: q.AreaRollup | None = None,
        extra_where: list[Any] | None = None,
    ) -> dict[EventType, Cube]:
        """A cube per event type over the same ``dims``, counted in one query (one scan)."""
        exprs = {name: expr for name, _cats, expr in dims if expr is not None}
        scope = self.scope(*event_types)
        counts = q.count_cells(self.session, scope, exprs, area, extra_where)
        threshold = self.request.threshold if self.request.public else None
        spec = [(name, cats) for name, cats, _ in dims]
        cubes = {t: Cube.build(spec, counts[t], threshold=threshold) for t in event_types}
        self.cubes.extend(cubes.values())
        return cubes

    def area_dim(self, name: str = "area_code") -> tuple[str, list[str], None]:
        return (name, self.level_codes, None)

    def estimated(self, event_type: EventType, area: str, period: str, sex: str) -> float | None:
        code = self.scope_code if area == TOTAL else area
        if code is None or code not in self.denominators.areas:
            return None
        resolved = self.denominators.get(code)
        if resolved is None:
            return None
        days = days_in(self.request.year, self.request.period, period)
        return resolved.estimated(event_type, sex, days)


def rows_of(
    cube: Cube, ctx: Context, measure: str, **extra: Callable[[tuple[str, ...]], Any]
) -> list[dict[str, Any]]:
    """A row per cell: the dimensions (with area names), the count, and extra measures."""
    rows = []
    for cell in cube.cells():
        row: dict[str, Any] = {}
        for dim, value in zip(cube.dims, cell, strict=True):
            row[dim] = value
            if dim == "area_code":
                row["area_name"] = ctx.names.get(value, "All areas" if value == TOTAL else value)
        row[measure] = cube.value(cell)
        for name, fn in extra.items():
            row[name] = fn(cell)
        if ctx.request.public:
            row["suppressed"] = cell in cube.hidden
        rows.append(row)
    return rows


def dimension_columns(cube: Cube) -> list[str]:
    columns: list[str] = []
    for dim in cube.dims:
        columns.append(dim)
        if dim == "area_code":
            columns.append("area_name")
    return columns


def measure_columns(ctx: Context, *measures: str) -> list[str]:
    return [*measures, "suppressed"] if ctx.request.public else list(measures)


def simple(
    ctx: Context,
    name: str,
    title: str,
    event_type: EventType,
    dims: Sequence[tuple[str, Sequence[str], Any]],
    area: q.AreaRollup | None = None,
    notes: list[str] | None = None,
) -> tuple[Table, Cube]:
    cube = ctx.cube(event_type, dims, area)
    measure = "births" if event_type is EventType.BIRTH else "deaths"
    table = Table(
        name,
        title,
        dimension_columns(cube),
        measure_columns(ctx, measure),
        rows_of(cube, ctx, measure),
        list(notes or []),
    )
    return table, cube


# -- coverage -------------------------------------------------------------------------------------


def coverage(ctx: Context) -> list[Table]:
    """Births and deaths by area x period x sex x timeliness band, counted in one scan."""
    period = ctx.request.period
    both = (EventType.BIRTH, EventType.DEATH)
    dims = [
        ctx.area_dim(),
        ("period", q.period_categories(period), q.period_expr(period)),
        ("sex", q.SEXES, q.sex_expr()),
        ("timeliness", q.BANDS, q.band_expr()),
    ]
    cubes = ctx.cubes_by_type(both, dims, ctx.occurrence())
    return [coverage_table(ctx, t, cubes[t]) for t in both]


def coverage_table(ctx: Context, event_type: EventType, cube: Cube) -> Table:
    """Registered events by area x period x sex x timeliness band, with completeness."""

    def estimated(cell: tuple[str, ...]) -> float | None:
        return ctx.estimated(event_type, cell[0], cell[1], cell[2])

    def within(*bands: str) -> Callable[[tuple[str, ...]], float | None]:
        def measure(cell: tuple[str, ...]) -> float | None:
            if cell[3] != TOTAL:
                return None
            parts = [(*cell[:3], band) for band in bands]
            if not cube.shown(*parts):
                return None
            return pct(sum(cube.count(p) for p in parts), estimated(cell))

        return measure

    rows = rows_of(
        cube,
        ctx,
        "registered",
        estimated=lambda cell: rounded(estimated(cell)),
        completeness_pct=lambda cell: pct(cube.value(cell), estimated(cell)),
        completeness_legal_pct=within("current"),
        completeness_one_year_pct=within("current", "late"),
    )
    kind = "births" if event_type is EventType.BIRTH else "deaths"
    return Table(
        f"coverage_{kind}",
        f"Registered {kind} by area, period, sex and timeliness, with completeness",
        dimension_columns(cube),
        measure_columns(
            ctx,
            "registered",
            "estimated",
            "completeness_pct",
            "completeness_legal_pct",
            "completeness_one_year_pct",
        ),
        rows,
        [
            f"Counted by date of occurrence in {ctx.request.year}; registrations up to the "
            f"cut-off date {ctx.cutoff.isoformat()}.",
            "completeness_pct = registered in the row's timeliness band / estimated x 100; "
            "on the timeliness 'total' rows, completeness_legal_pct counts registrations "
            "within the legal period (current) and completeness_one_year_pct those within "
            "one year (current + late).",
            "Estimated events = crude rate x population / 1000 x (days in period / 365); "
            "a sex uses its own population with the same crude rate. Events of unknown sex "
            "have no estimate.",
        ],
    )


# -- births ---------------------------------------------------------------------------------------


def births(ctx: Context) -> list[Table]:
    B = EventType.BIRTH
    by_place, place_cube = simple(
        ctx,
        "births_by_place_sex",
        "Live births by place (area) of occurrence and sex",
        B,
        [ctx.area_dim(), ("sex", q.SEXES, q.sex_expr())],
        ctx.occurrence(),
    )
    by_residence, _ = simple(
        ctx,
        "births_by_mother_residence",
        "Live births by usual residence of the mother",
        B,
        [ctx.area_dim("residence_area_code")],
        ctx.residence(),
    )
    by_month, _ = simple(
        ctx, "births_by_month", "Live births by month of occurrence", B,
        [("month", q.MONTHS, q.period_expr("month"))],
    )  # fmt: skip
    by_age, _ = simple(
        ctx,
        "births_by_mother_age_type",
        "Live births by age of mother and type of birth",
        B,
        [
            ("mother_age_group", q.MOTHER_AGE_GROUPS, q.mother_age_expr()),
            (
                "type_of_birth",
                q.TYPES_OF_BIRTH,
                q.coalesce_to(q.V.type_of_birth, q.TYPES_OF_BIRTH[:-1]),
            ),
        ],
    )
    by_attendant, _ = simple(
        ctx,
        "births_by_place_type_attendant",
        "Live births by type of place and attendant at birth",
        B,
        [
            ("place_type", q.PLACE_TYPES, q.coalesce_to(q.V.place_type, q.PLACE_TYPES[:-1])),
            ("attendant", q.ATTENDANTS, q.coalesce_to(q.V.attendant, q.ATTENDANTS[:-1])),
        ],
    )
    by_weight, _ = simple(
        ctx, "births_by_weight", "Live births by birth weight (grams)", B,
        [("birth_weight_group", q.WEIGHT_GROUPS, q.weight_expr())],
    )  # fmt: skip
    return [
        by_place,
        by_residence,
        by_month,
        by_age,
        by_attendant,
        by_weight,
        sex_ratio(ctx, place_cube),
    ]


def sex_ratio(ctx: Context, cube: Cube) -> Table:
    rows = []
    low, high = SEX_RATIO_RANGE
    for area in cube.categories[0]:
        male, female = (area, "male"), (area, "female")
        ratio = None
        if cube.shown(male, female) and cube.count(female) > 0:
            ratio = round(cube.count(male) / cube.count(female) * 100, 1)
        row: dict[str, Any] = {
            "area_code": area,
            "area_name": ctx.names.get(area, "All areas" if area == TOTAL else area),
            "male": cube.value(male),
            "female": cube.value(female),
            "sex_ratio": ratio,
            "outside_expected_range": None if ratio is None else not low <= ratio <= high,
        }
        if ctx.request.public:
            row["suppressed"] = not cube.shown(male, female)
        rows.append(row)
    return Table(
        "sex_ratio_at_birth",
        "Sex ratio at birth (male births per 100 female births)",
        ["area_code", "area_name"],
        measure_columns(ctx, "male", "female", "sex_ratio", "outside_expected_range"),
        rows,
        [
            "Sex ratio at birth = male / female x 100; about 103-107 is expected, and a value "
            "outside that range is flagged (it may show under-registration of girls, or just "
            "small numbers)."
        ],
    )


# -- deaths and causes ----------------------------------------------------------------------------


def deaths(ctx: Context) -> list[Table]:
    D = EventType.DEATH
    by_residence, _ = simple(
        ctx,
        "deaths_by_residence_sex",
        "Deaths by usual residence and sex",
        D,
        [ctx.area_dim("residence_area_code"), ("sex", q.SEXES, q.sex_expr())],
        ctx.residence(),
    )
    by_age, _ = simple(
        ctx,
        "deaths_by_age_sex",
        "Deaths by age group and sex (infants by age in days)",
        D,
        [("age_group", q.AGE_GROUPS, q.death_age_expr()), ("sex", q.SEXES, q.sex_expr())],
        notes=["Neonatal deaths are the groups <24 h, 1-6 d and 7-27 d (0-27 days)."],
    )
    by_method, _ = simple(
        ctx,
        "deaths_by_cause_established",
        "Deaths by how the cause was established, and sex",
        D,
        [
            ("established_by", q.ESTABLISHED_BY, q.established_expr()),
            ("sex", q.SEXES, q.sex_expr()),
        ],
    )
    return [by_residence, by_age, by_method]


def causes(ctx: Context) -> list[Table]:
    cube = ctx.cube(
        EventType.DEATH,
        [
            ("icd10_chapter", q.CHAPTERS, q.chapter_expr()),
            ("established_by", q.ESTABLISHED_BY, q.established_expr()),
            ("sex", q.SEXES, q.sex_expr()),
            ("broad_age_group", q.BROAD_AGE_GROUPS, q.broad_age_expr()),
        ],
    )
    chapters = Table(
        "causes_by_chapter",
        "Deaths by underlying cause (ICD-10 chapter), how it was established, sex and age",
        dimension_columns(cube),
        measure_columns(ctx, "deaths"),
        rows_of(cube, ctx, "deaths"),
        [
            "Causes from verbal autopsy, lay reports and medical certificates are kept apart in "
            "the established_by column; the 'total' rows add them up and say so.",
        ],
    )
    rows = []
    for method in cube.categories[1]:
        every = (TOTAL, method, TOTAL, TOTAL)
        unstated = (q.NOT_STATED, method, TOTAL, TOTAL)
        ill = (q.ILL_DEFINED, method, TOTAL, TOTAL)
        shown = cube.shown(every, unstated)
        with_cause = cube.count(every) - cube.count(unstated) if shown else None
        ill_value = cube.value(ill)
        row: dict[str, Any] = {
            "established_by": method,
            "with_cause": with_cause,
            "ill_defined": ill_value,
            "ill_defined_pct": pct(ill_value, with_cause),
        }
        if ctx.request.public:
            row["suppressed"] = not cube.shown(every, unstated, ill)
        rows.append(row)
    share = Table(
        "ill_defined_causes",
        "Share of deaths with an ill-defined underlying cause (R00-R99)",
        ["established_by"],
        measure_columns(ctx, "with_cause", "ill_defined", "ill_defined_pct"),
        rows,
        ["ill_defined_pct = deaths coded R00-R99 / deaths with a stated underlying cause x 100."],
    )
    return [chapters, share]


# -- rates ----------------------------------------------------------------------------------------


def rates(ctx: Context) -> list[Table]:
    year_band = [ctx.area_dim(), ("timeliness", q.BANDS, q.band_expr())]
    both = ctx.cubes_by_type((EventType.BIRTH, EventType.DEATH), year_band, ctx.occurrence())
    births_cube, deaths_cube = both[EventType.BIRTH], both[EventType.DEATH]
    infant = ctx.cube(EventType.DEATH, [ctx.area_dim()], ctx.occurrence(), [q.V.age_years == 0])
    neonatal = ctx.cube(
        EventType.DEATH,
        [ctx.area_dim()],
        ctx.occurrence(),
        [q.V.age_years == 0, q.V.age_days < 28],
    )
    rows: list[dict[str, Any]] = []

    def completeness(cube: Cube, area: str, event_type: EventType) -> float | None:
        parts = [(area, "current"), (area, "late")]
        if not cube.shown(*parts):
            return None
        code = ctx.scope_code if area == TOTAL else area
        resolved = ctx.denominators.get(code) if code in ctx.denominators.areas else None
        if resolved is None:
            return None
        days = days_in(ctx.request.year, "year", "year")
        return pct(sum(cube.count(p) for p in parts), resolved.estimated(event_type, "total", days))

    for area in births_cube.categories[0]:
        code = ctx.scope_code if area == TOTAL else area
        resolved = ctx.denominators.get(code) if code in ctx.denominators.areas else None
        population = resolved.population_total if resolved else None
        n_births = births_cube.value((area, TOTAL))
        n_deaths = deaths_cube.value((area, TOTAL))
        birth_completeness = completeness(births_cube, area, EventType.BIRTH)
        death_completeness = completeness(deaths_cube, area, EventType.DEATH)
        name = ctx.names.get(area, "All areas" if area == TOTAL else area)
        n_infant = infant.value((area,))
        n_neonatal = neonatal.value((area,))
        indicators = (
            ("crude_birth_rate", n_births, population, birth_completeness),
            ("crude_death_rate", n_deaths, population, death_completeness),
            ("infant_mortality_rate", n_infant, n_births, death_completeness),
            ("neonatal_mortality_rate", n_neonatal, n_births, death_completeness),
        )
        for indicator, numerator, denominator, complete in indicators:
            value = per_1000(numerator, denominator)
            row: dict[str, Any] = {
                "area_code": area,
                "area_name": name,
                "indicator": indicator,
                "numerator": numerator,
                "denominator": denominator,
                "value": value,
                "completeness_pct": complete,
            }
            if ctx.request.public:
                row["suppressed"] = numerator is None or (
                    indicator.endswith("mortality_rate") and denominator is None
                )
            rows.append(row)
    return [
        Table(
            "rates",
            "Crude birth and death rates per 1000 population; infant and neonatal mortality per "
            "1000 live births; with completeness",
            ["area_code", "area_name", "indicator"],
            measure_columns(ctx, "numerator", "denominator", "value", "completeness_pct"),
            rows,
            [
                "Rates use every event of the year registered by the cut-off date, by area of "
                "occurrence; they are not corrected for incompleteness, so read them beside "
                "completeness_pct (registrations within one year / estimated events x 100: "
                "births for the crude birth rate, deaths for the other rates).",
                "Infant deaths are deaths under 1 year; neonatal deaths those at 0-27 days.",
            ],
        )
    ]


BUILDERS: dict[str, Callable[[Context], list[Table]]] = {
    "coverage": coverage,
    "births": births,
    "deaths": deaths,
    "causes": causes,
    "rates": rates,
}


def level_areas(session: Session, level: str, path: str) -> list[Area]:
    stmt = (
        select(Area)
        .where(Area.level == level, Area.path.startswith(path, autoescape=True))
        .order_by(Area.path)
    )
    return list(session.scalars(stmt))
