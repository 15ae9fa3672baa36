"""The SQL of the statistics: every count is a GROUP BY in the database.

``count_cells`` selects registered events of the requested types and year of occurrence (current
versions only, inside the actor's area subtree, registered on or before the cut-off), groups them
by event type and the requested category expressions in the database and returns one count per
group. Tables that count births and deaths over the same dimensions (coverage, rates) ask for
both types at once, so the events are read in one scan instead of one per type. Areas roll up in
SQL too: the inner query groups by area id, the outer one joins a small map from every area to
its ancestor at the requested level and groups again.

The ``records`` head carries the current version's event date and sex, so a count that needs
only those, the area and the timeliness band (coverage, births by place and sex, by month)
reads ``records`` alone; the current version is joined only when a dimension or condition uses
another version column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import visitors
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from registry.domain import ICD10_CHAPTERS, EventType, Status
from registry.models import Area, Record, RecordVersion
from registry.services.scoping import Actor, scoped
from registry.services.versions import IS_CURRENT

V = RecordVersion

NOT_STATED = "not stated"
UNALLOCATED = "not allocated to a {level}"
ELSEWHERE = "outside the area"

SEXES = ["male", "female", "unknown"]
BANDS = ["current", "late", "delayed"]
MONTHS = [f"{m:02d}" for m in range(1, 13)]
QUARTERS = ["Q1", "Q2", "Q3", "Q4"]
MOTHER_AGE_GROUPS = [
    "<15", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50+", NOT_STATED,
]  # fmt: skip
TYPES_OF_BIRTH = ["single", "twin", "triplet", "quadruplet_or_more", NOT_STATED]
PLACE_TYPES = ["health_facility", "home", "other", NOT_STATED]
ATTENDANTS = ["doctor", "nurse_midwife", "traditional_birth_attendant", "other", "none", NOT_STATED]
WEIGHT_GROUPS = ["<1500", "1500-2499", ">=2500", NOT_STATED]
INFANT_GROUPS = ["<24 h", "1-6 d", "7-27 d", "28 d-11 m", "under 1, days not stated"]
AGE_GROUPS = [
    *INFANT_GROUPS,
    "1-4",
    *[f"{a}-{a + 4}" for a in range(5, 80, 5)],
    "80+",
    NOT_STATED,
]
BROAD_AGE_GROUPS = ["0-4", "5-14", "15-69", "70+", NOT_STATED]
CHAPTERS = [f"{start}-{end}" for start, end, _ in ICD10_CHAPTERS] + [NOT_STATED]
ILL_DEFINED = "R00-R99"
ESTABLISHED_BY = ["medical_certificate", "verbal_autopsy", "lay_report", "unknown"]


@dataclass(frozen=True)
class Labelled:
    """A raw column the inner query groups by, and the labels the outer query gives it.

    Grouping by the raw value and labelling the (few) groups afterwards keeps the per-row work
    of the big GROUP BY the same as a bare query's.
    """

    raw: Any
    label: Callable[[Any], ColumnElement[str]]


class MonthOf(FunctionElement[int]):
    """The month (1-12) of a date, as an integer, in every dialect (see ``month_of``)."""

    type = Integer()
    inherit_cache = True


def month_of(column: Any) -> ColumnElement[int]:
    """The month (1-12) of a date."""
    return MonthOf(column)


@compiles(MonthOf)
def _month_of(element: MonthOf, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(cast(extract("month", column), Integer), **kw)


@compiles(MonthOf, "postgresql")
def _month_of_postgresql(element: MonthOf, compiler: SQLCompiler, **kw: Any) -> str:
    # EXTRACT returns numeric since PostgreSQL 14; making one for each of millions of events
    # made the coverage count 13-38 % slower than date_part's double precision does
    # (bench/results/stats.md).
    (column,) = element.clauses
    return f"CAST(date_part('month', {compiler.process(column, **kw)}) AS INTEGER)"


def period_label(period: str, month: Any) -> ColumnElement[str]:
    """The period label of a month number: ``01``..``12``, ``Q1``..``Q4`` or ``year``."""
    if period == "month":
        return case(*((month == m, f"{m:02d}") for m in range(1, 13)), else_=NOT_STATED)
    if period == "quarter":
        return case((month <= 3, "Q1"), (month <= 6, "Q2"), (month <= 9, "Q3"), else_="Q4")
    return literal("year", String)


def period_expr(period: str) -> Labelled:
    """The period of the event date (grouped by month number, labelled afterwards)."""
    return Labelled(month_of(Record.event_date), lambda month: period_label(period, month))


def period_categories(period: str) -> list[str]:
    return MONTHS if period == "month" else QUARTERS if period == "quarter" else ["year"]


def coalesce_to(column: Any, known: list[str], otherwise: str = NOT_STATED) -> ColumnElement[str]:
    """The column's value when it is one of ``known``, else ``otherwise``."""
    return case((column.in_(known), column), else_=otherwise)


def sex_expr() -> Labelled:
    return Labelled(Record.sex, lambda sex: coalesce_to(sex, ["male", "female"], "unknown"))


def band_expr() -> Labelled:
    return Labelled(Record.timeliness, lambda band: coalesce_to(band, BANDS, NOT_STATED))


def mother_age_expr() -> ColumnElement[str]:
    age = V.mother_age_years
    whens = [(age < 15, "<15")]
    whens += [(age < low + 5, f"{low}-{low + 4}") for low in range(15, 50, 5)]
    return case((age.is_(None), NOT_STATED), *whens, else_="50+")


def weight_expr() -> ColumnElement[str]:
    grams = V.birth_weight_grams
    return case(
        (grams.is_(None), NOT_STATED),
        (grams < 1500, "<1500"),
        (grams < 2500, "1500-2499"),
        else_=">=2500",
    )


def death_age_expr() -> ColumnElement[str]:
    """Five-year age groups with infants split by age in days (neonatal = 0-27 days)."""
    years, days = V.age_years, V.age_days
    whens: list[Any] = [
        (years.is_(None), NOT_STATED),
        (and_(years == 0, days.is_(None)), "under 1, days not stated"),
        (and_(years == 0, days < 1), "<24 h"),
        (and_(years == 0, days < 7), "1-6 d"),
        (and_(years == 0, days < 28), "7-27 d"),
        (years == 0, "28 d-11 m"),
        (years < 5, "1-4"),
    ]
    whens += [(years < low + 5, f"{low}-{low + 4}") for low in range(5, 80, 5)]
    return case(*whens, else_="80+")


def broad_age_expr() -> ColumnElement[str]:
    years = V.age_years
    return case(
        (years.is_(None), NOT_STATED),
        (years < 5, "0-4"),
        (years < 15, "5-14"),
        (years < 70, "15-69"),
        else_="70+",
    )


def chapter_expr() -> ColumnElement[str]:
    stem = func.substr(V.underlying_icd10, 1, 3)
    whens = [(stem.between(start, end), f"{start}-{end}") for start, end, _ in ICD10_CHAPTERS]
    return case((V.underlying_icd10.is_(None), NOT_STATED), *whens, else_=NOT_STATED)


def established_expr() -> ColumnElement[str]:
    return coalesce_to(V.cause_established_by, ESTABLISHED_BY[:-1], "unknown")


@dataclass(frozen=True)
class Scope:
    """Which events count: types, year of occurrence, cut-off and the actor's subtree."""

    actor: Actor
    event_types: tuple[EventType, ...]
    year: int
    cutoff: date


@dataclass(frozen=True)
class AreaRollup:
    """Roll the area in ``column`` up to its ancestor at ``level`` inside ``path``."""

    column: Any
    level: str
    path: str
    unallocated: str
    null_label: str | None = None


def events(scope: Scope, *, with_version: bool = True) -> Any:
    """Registered events of the scope (a Select to extend), joined to their current version
    when ``with_version``; the year is that of ``records.event_date``, the current version's."""
    stmt = select().select_from(Record)
    if with_version:
        stmt = stmt.join(V, IS_CURRENT)
    stmt = stmt.where(
        Record.event_type.in_([t.value for t in scope.event_types]),
        Record.status == Status.REGISTERED.value,
        Record.registration_date <= scope.cutoff,
        Record.event_date >= date(scope.year, 1, 1),
        Record.event_date <= date(scope.year, 12, 31),
    )
    return scoped(stmt, scope.actor)


def uses_versions(*exprs: Any) -> bool:
    """Whether any of the SQL expressions reads a ``record_versions`` column."""
    table = V.__table__
    for expr in exprs:
        clause = expr.__clause_element__() if hasattr(expr, "__clause_element__") else expr
        if any(getattr(el, "table", None) is table for el in visitors.iterate(clause)):
            return True
    return False


def area_map(level: str, path: str) -> Any:
    """Every area under ``path`` and its ancestor-or-self at ``level``: a small subquery."""
    ancestor = aliased(Area)
    return (
        select(Area.id.label("area_id"), ancestor.code.label("code"))
        # substr rather than LIKE: "_" in an area code would be a LIKE wildcard.
        .join(ancestor, func.substr(Area.path, 1, func.length(ancestor.path)) == ancestor.path)
        .where(ancestor.level == level, ancestor.path.startswith(path, autoescape=True))
        .subquery("area_map")
    )


def count_cells(
    session: Session,
    scope: Scope,
    dims: dict[str, Any],
    area: AreaRollup | None = None,
    extra_where: list[Any] | None = None,
) -> dict[EventType, dict[tuple[str, ...], int]]:
    """Counts of events per type and combination of ``dims`` (area first when rolled up).

    The inner query groups the events by type and raw columns (area id, month number, sex,
    ...) in one scan for every type of the scope; the outer query labels those groups, rolls
    areas up and groups again, on a few thousand rows. Every type of the scope has an entry,
    empty when none of its events count.
    """
    raws = [d.raw if isinstance(d, Labelled) else d for d in dims.values()]
    conditions = list(extra_where or [])
    needed = [*raws, *conditions, *([area.column] if area is not None else [])]
    stmt = events(scope, with_version=uses_versions(*needed))
    for condition in conditions:
        stmt = stmt.where(condition)
    columns = [Record.event_type.label("t"), *(raw.label(f"d{i}") for i, raw in enumerate(raws))]
    keys = [Record.event_type, *raws]
    if area is not None:
        columns.append(area.column.label("aid"))
        keys.append(area.column)
    inner = stmt.add_columns(*columns, func.count().label("n")).group_by(*keys).subquery("cells")
    labels: list[Any] = [
        d.label(inner.c[f"d{i}"]) if isinstance(d, Labelled) else inner.c[f"d{i}"]
        for i, d in enumerate(dims.values())
    ]
    outer = select().select_from(inner)
    if area is not None:
        amap = area_map(area.level, area.path)
        code: ColumnElement[str] = case(
            (inner.c.aid.is_(None), area.null_label or area.unallocated),
            (amap.c.code.is_(None), area.unallocated),
            else_=amap.c.code,
        )
        labels.insert(0, code)
        outer = outer.outerjoin(amap, amap.c.area_id == inner.c.aid)
    labels.insert(0, inner.c.t)
    outer = outer.add_columns(*labels, func.sum(inner.c.n).label("n")).group_by(*labels)
    counts: dict[EventType, dict[tuple[str, ...], int]] = {t: {} for t in scope.event_types}
    for row in session.execute(outer):
        counts[EventType(row[0])][tuple(str(v) for v in row[1:-1])] = int(row[-1])
    return counts
