"""Areas, facilities and denominators: strict all-or-nothing CSV loads and look-ups."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from sqlalchemy import ColumnElement, ScalarSelect, bindparam, func, select
from sqlalchemy.orm import Session

from registry.domain import FacilityKind
from registry.errors import ImportFailed
from registry.models import Area, Denominator, Facility, Record

MAX_CSV_BYTES = 20 * 1024 * 1024
CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def read_csv(stream: IO[str], columns: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV with exactly ``columns`` (in any order) and their line numbers.

    Raises ImportFailed for an oversize file or a wrong header.
    """
    text = stream.read(MAX_CSV_BYTES + 1)
    if len(text) > MAX_CSV_BYTES:
        raise ImportFailed([(0, f"the file is larger than {MAX_CSV_BYTES // 1_000_000} MB")])
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise ImportFailed([(1, f"unreadable header: {exc}")]) from None
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportFailed([(1, f"missing column(s): {', '.join(missing)}")])
    try:
        for row in reader:
            if None in row:
                yield reader.line_num, {"__extra__": "too many values"}
                continue
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items()}
    except csv.Error as exc:
        raise ImportFailed([(reader.line_num, f"unreadable CSV: {exc}")]) from None


AREA_BY_CODE = select(Area).where(Area.code == bindparam("code"))


def area_by_code(session: Session, code: str) -> Area | None:
    return session.scalars(AREA_BY_CODE, {"code": code}).one_or_none()


#: Where ``session.info`` keeps the codes of the areas this transaction resolved, by id.
AREA_CODES = "crvs.area_codes"


def remember_code(session: Session, area_id: int, code: str) -> None:
    """Keep an area's code, read as a plain column, for the rest of the transaction."""
    session.info.setdefault(AREA_CODES, {})[area_id] = code


def record_area_code(session: Session, record: Record) -> str:
    """The code of a record's area: as this transaction resolved it, else through its area
    (a record declared in this transaction then needs no query for it)."""
    known: str | None = session.info.get(AREA_CODES, {}).get(record.area_id)
    return known if known is not None else str(record.area.code)


def facility_by_code(session: Session, code: str) -> Facility | None:
    return session.scalars(select(Facility).where(Facility.code == code)).one_or_none()


def office_id_for(path: ColumnElement[str] | Any, outer: Any) -> ScalarSelect[int]:
    """The id of the registration office of the nearest area at or above ``path``, as a scalar
    subquery of a query of ``outer`` whose column ``path`` is (correlated to ``outer`` alone:
    the subquery's own areas are not the query's)."""
    return (
        select(Facility.id)
        .join(Area, Facility.area_id == Area.id)
        .where(Facility.kind == FacilityKind.OFFICE.value)
        .where(path.startswith(Area.path))
        .order_by(func.length(Area.path).desc(), Facility.code)
        .limit(1)
        .correlate(outer)
        .scalar_subquery()
    )


def load_areas(session: Session, stream: IO[str]) -> int:
    """Load ``code,name,level,parent_code``; parents may come after children. Returns rows."""
    rows: dict[str, tuple[int, dict[str, str]]] = {}
    errors: list[tuple[int, str]] = []
    for line, row in read_csv(stream, ["code", "name", "level", "parent_code"]):
        if "__extra__" in row:
            errors.append((line, "too many values"))
            continue
        code = row["code"]
        if not CODE_RE.match(code):
            errors.append((line, f"code {code!r} is not 1-64 letters, digits, '_', '.' or '-'"))
        elif code in rows:
            errors.append((line, f"code {code} appears twice (first on line {rows[code][0]})"))
        elif not row["name"]:
            errors.append((line, "name is empty"))
        elif not row["level"]:
            errors.append((line, "level is empty"))
        else:
            rows[code] = (line, row)
    existing = {a.code: a for a in session.scalars(select(Area))}
    paths: dict[str, str] = {c: a.path for c, a in existing.items()}

    def path_of(code: str, seen: tuple[str, ...] = ()) -> str | None:
        if code in paths and code not in rows:
            return paths[code]
        if code in seen:
            return None
        if code not in rows:
            return None
        parent = rows[code][1]["parent_code"]
        if not parent:
            return f"/{code}/"
        parent_path = path_of(parent, (*seen, code))
        return None if parent_path is None else f"{parent_path}{code}/"

    resolved: dict[str, str] = {}
    for code, (line, row) in rows.items():
        path = path_of(code)
        parent = row["parent_code"]
        if path is None:
            errors.append((line, f"parent_code {parent} is unknown or makes a cycle"))
        elif code in existing and existing[code].path != path:
            errors.append((line, f"area {code} already exists under another parent"))
        else:
            resolved[code] = path
    if errors:
        raise ImportFailed(sorted(errors))
    created: dict[str, Area] = dict(existing)
    for code in sorted(resolved, key=lambda c: resolved[c].count("/")):
        row = rows[code][1]
        area = created.get(code)
        if area is None:
            area = Area(code=code, path=resolved[code])
            session.add(area)
            created[code] = area
        area.name = row["name"]
        area.search_name, area.search_code = row["name"].lower(), code.lower()
        area.level = row["level"]
        parent_code = row["parent_code"]
        area.parent = created[parent_code] if parent_code else None
    session.flush()
    return len(resolved)


def load_facilities(session: Session, stream: IO[str]) -> int:
    """Load ``code,name,kind,area_code`` (kind ``health_facility`` or ``office``)."""
    areas = {a.code: a for a in session.scalars(select(Area))}
    existing = {f.code: f for f in session.scalars(select(Facility))}
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    good: list[dict[str, str]] = []
    kinds = {k.value for k in FacilityKind}
    for line, row in read_csv(stream, ["code", "name", "kind", "area_code"]):
        if "__extra__" in row:
            errors.append((line, "too many values"))
        elif not CODE_RE.match(row["code"]):
            errors.append((line, f"code {row['code']!r} is not a valid code"))
        elif row["code"] in seen:
            errors.append((line, f"code {row['code']} appears twice"))
        elif not row["name"]:
            errors.append((line, "name is empty"))
        elif row["kind"] not in kinds:
            errors.append((line, f"kind {row['kind']!r} is not one of {', '.join(sorted(kinds))}"))
        elif row["area_code"] not in areas:
            errors.append((line, f"area_code {row['area_code']!r} is unknown"))
        else:
            seen.add(row["code"])
            good.append(row)
    if errors:
        raise ImportFailed(errors)
    for row in good:
        facility = existing.get(row["code"]) or Facility(code=row["code"])
        facility.name = row["name"]
        facility.search_name = row["name"].lower()
        facility.search_code = row["code"].lower()
        facility.kind = FacilityKind(row["kind"])
        facility.area = areas[row["area_code"]]
        session.add(facility)
    session.flush()
    return len(good)


def _whole(value: str, name: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"{name} must not be negative")
    return number


def _rate(value: str, name: str) -> Decimal:
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not rate.is_finite() or not 0 <= rate < 1000:
        raise ValueError(f"{name} must be between 0 and 1000 per 1000")
    return rate


def load_denominators(session: Session, stream: IO[str]) -> int:
    """Load ``area_code,year,population_male,population_female,crude_*_rate`` rows."""
    columns = [
        "area_code",
        "year",
        "population_male",
        "population_female",
        "crude_birth_rate",
        "crude_death_rate",
    ]
    areas = {a.code: a for a in session.scalars(select(Area))}
    errors: list[tuple[int, str]] = []
    good: dict[tuple[int, int], dict[str, object]] = {}
    for line, row in read_csv(stream, columns):
        if "__extra__" in row:
            errors.append((line, "too many values"))
            continue
        area = areas.get(row["area_code"])
        if area is None:
            errors.append((line, f"area_code {row['area_code']!r} is unknown"))
            continue
        try:
            year = int(row["year"])
            if not 1900 <= year <= 2200:
                raise ValueError("year must be between 1900 and 2200")
            values = {
                "population_male": _whole(row["population_male"], "population_male"),
                "population_female": _whole(row["population_female"], "population_female"),
                "crude_birth_rate": _rate(row["crude_birth_rate"], "crude_birth_rate"),
                "crude_death_rate": _rate(row["crude_death_rate"], "crude_death_rate"),
            }
        except ValueError as exc:
            message = str(exc)
            if "invalid literal" in message:
                message = "year and populations must be whole numbers"
            errors.append((line, message))
            continue
        if (area.id, year) in good:
            errors.append((line, f"{area.code} {year} appears twice"))
            continue
        good[(area.id, year)] = values
    if errors:
        raise ImportFailed(errors)
    existing = {(d.area_id, d.year): d for d in session.scalars(select(Denominator))}
    for (area_id, year), values in good.items():
        row_obj = existing.get((area_id, year)) or Denominator(area_id=area_id, year=year)
        for key, value in values.items():
            setattr(row_obj, key, value)
        session.add(row_obj)
    session.flush()
    return len(good)


def _prefix(column: Any, text: str) -> Any:
    """``column`` starts with ``text``, as an index range on a byte-compared key."""
    return (column >= text) & (column < text + "\U0010ffff")


def search_areas(session: Session, query: str, limit: int = 20) -> list[Area]:
    """Areas whose code or name starts with ``query`` (case-insensitive), for pickers.

    Both keys are indexed and compared as ranges, so this stays fast with 100,000 areas.
    """
    text = query.strip().lower()
    stmt = (
        select(Area)
        .where(_prefix(Area.search_name, text) | _prefix(Area.search_code, text))
        .order_by(Area.search_name, Area.code)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def search_facilities(
    session: Session, query: str, kind: str | None = None, limit: int = 20
) -> list[tuple[Facility, str]]:
    """Facilities (with their area code) whose code or name starts with ``query``."""
    text = query.strip().lower()
    stmt = (
        select(Facility, Area.code)
        .join(Area, Area.id == Facility.area_id)
        .where(_prefix(Facility.search_name, text) | _prefix(Facility.search_code, text))
        .order_by(Facility.search_name, Facility.code)
        .limit(limit)
    )
    if kind:
        stmt = stmt.where(Facility.kind == kind)
    return [(facility, code) for facility, code in session.execute(stmt).all()]
