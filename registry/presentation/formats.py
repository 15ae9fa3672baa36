"""Writers: tidy CSV, XLSX (a sheet per table), JSON with notes, and DHIS2 ``dataValueSets``.

Every writer passes the columns through the allowlist (``model.ALLOWED_COLUMNS``) and CSV/XLSX
neutralise text cells that a spreadsheet would run as a formula (leading ``= + - @``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook

from registry.errors import ValidationFailed
from registry.services.stats.model import ALLOWED_COLUMNS, StatsResult, Table

FORMATS = ("csv", "xlsx", "json", "dhis2")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "dhis2": "application/json",
}


class UnsafeColumn(RuntimeError):
    """A table asked to export a column outside the allowlist (a programming error)."""


def checked_columns(table: Table) -> list[str]:
    columns = table.columns
    unsafe = [c for c in columns if c not in ALLOWED_COLUMNS]
    if unsafe:
        raise UnsafeColumn(f"{table.name}: columns not allowed in exports: {', '.join(unsafe)}")
    return columns


def neutralise(value: Any) -> Any:
    """A text cell that starts like a formula gets a leading apostrophe; others pass."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value)


def to_csv(result: StatsResult) -> str:
    """One tidy CSV: a ``table`` column, then the union of every table's columns."""
    columns: list[str] = []
    for table in result.tables:
        columns += [c for c in checked_columns(table) if c not in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["table", *columns])
    for table in result.tables:
        for row in table.rows:
            writer.writerow([table.name, *(_cell(row.get(c)) for c in columns)])
    return out.getvalue()


def to_xlsx(result: StatsResult) -> bytes:
    """A sheet per table and a ``notes`` sheet (cut-off, denominators, suppression)."""
    columns_of = {table.name: checked_columns(table) for table in result.tables}
    book = Workbook(write_only=True)
    notes = book.create_sheet("notes")
    for line in _about(result):
        notes.append([neutralise(line)])
    for table in result.tables:
        sheet = book.create_sheet(table.name[:31])
        columns = columns_of[table.name]
        sheet.append(columns)
        for row in table.rows:
            sheet.append([_xlsx_cell(row.get(c)) for c in columns])
        for note in table.notes:
            sheet.append([])
            sheet.append([neutralise(note)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(value: Any) -> Any:
    return None if value is None else neutralise(value)


def _about(result: StatsResult) -> list[str]:
    request = result.request
    return [
        f"Vital statistics: {request.table}, {request.year}, by {request.period} and "
        f"{request.level}",
        f"Registration cut-off date: {result.cutoff.isoformat()}",
        f"Denominator used: {result.denominator}",
        *result.notes,
    ]


def to_json(result: StatsResult) -> dict[str, Any]:
    request = result.request
    return {
        "table": request.table,
        "year": request.year,
        "period": request.period,
        "level": request.level,
        "public": request.public,
        "scope": result.scope_area_code,
        "cutoff": result.cutoff.isoformat(),
        "denominator": result.denominator,
        "suppression": result.suppression,
        "notes": result.notes,
        "tables": [
            {
                "name": table.name,
                "title": table.title,
                "columns": checked_columns(table),
                "notes": table.notes,
                "rows": [{c: row.get(c) for c in table.columns} for row in table.rows],
            }
            for table in result.tables
        ],
    }


# -- DHIS2 ----------------------------------------------------------------------------------------


def load_mapping(text: str) -> dict[str, Any]:
    """Parse and check a DHIS2 mapping document (see registry/demo/dhis2_mapping.json)."""
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"Not JSON: {exc.msg} (line {exc.lineno})."
        raise ValidationFailed(errors={"mapping": [message]}) from None
    problems: list[str] = []
    if not isinstance(mapping, dict):
        raise ValidationFailed(errors={"mapping": ["Must be a JSON object."]})
    if not isinstance(mapping.get("dataSet"), str):
        problems.append("dataSet must be a string.")
    if not isinstance(mapping.get("orgUnits"), dict):
        problems.append("orgUnits must map area codes to DHIS2 org unit codes.")
    elements = mapping.get("dataElements")
    if not isinstance(elements, dict):
        problems.append("dataElements must map table names to their mapping.")
    else:
        for name, entry in elements.items():
            if not isinstance(entry, dict) or not all(
                isinstance(entry.get(k), str) for k in ("measure", "dataElement")
            ):
                problems.append(f"dataElements.{name} needs 'measure' and 'dataElement'.")
            elif not isinstance(entry.get("categoryOptionCombos", {}), dict) or not isinstance(
                entry.get("dimensions", []), list
            ):
                problems.append(f"dataElements.{name}: bad dimensions or categoryOptionCombos.")
    if problems:
        raise ValidationFailed(errors={"mapping": problems})
    return mapping


def dhis2_period(year: int, label: str) -> str | None:
    """``202611`` for a month, ``2026Q3`` for a quarter, ``2026`` for the year; None for totals."""
    if label.isdigit() and len(label) == 2:
        return f"{year}{label}"
    if label.startswith("Q") and label[1:].isdigit():
        return f"{year}{label}"
    if label == "year":
        return str(year)
    return None


def to_dhis2(result: StatsResult, mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A ``dataValueSets`` document: one data value per mapped, published, non-total cell."""
    year = result.request.year
    org_units: Mapping[str, str] = mapping["orgUnits"]
    values: list[dict[str, str]] = []
    for table in result.tables:
        entry = mapping["dataElements"].get(table.name)
        if entry is None:
            continue
        dims: list[str] = entry.get("dimensions", [])
        combos: Mapping[str, str] = entry.get("categoryOptionCombos", {})
        area_column = next(
            (c for c in ("area_code", "residence_area_code") if c in table.columns), None
        )
        for row in table.rows:
            value = row.get(entry["measure"])
            if value is None:
                continue  # suppressed or not computable: DHIS2 has no "hidden" value
            area = row[area_column] if area_column else result.scope_area_code
            label = row.get("period", row.get("month", "year"))
            period = dhis2_period(year, str(label))
            key = "|".join(str(row.get(d)) for d in dims)
            combo = combos.get(key) if dims else entry.get("categoryOptionCombo", "default")
            if area not in org_units or period is None or combo is None:
                continue
            values.append(
                {
                    "dataElement": entry["dataElement"],
                    "period": period,
                    "orgUnit": org_units[area],
                    "categoryOptionCombo": combo,
                    "value": str(value),
                }
            )
    document: dict[str, Any] = {"dataSet": mapping["dataSet"]}
    for key in ("period", "orgUnit"):
        distinct = {v[key] for v in values}
        if len(distinct) == 1:
            document[key] = distinct.pop()
    document["dataValues"] = values
    return document


def render(result: StatsResult, fmt: str, mapping: Mapping[str, Any] | None = None) -> bytes:
    """The bytes of ``result`` in one of ``FORMATS``."""
    if fmt == "csv":
        return to_csv(result).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx(result)
    if fmt == "json":
        return json.dumps(to_json(result), indent=2, ensure_ascii=False).encode("utf-8")
    if fmt == "dhis2":
        if mapping is None:
            raise ValidationFailed(errors={"mapping": ["The dhis2 format needs a mapping file."]})
        return json.dumps(to_dhis2(result, mapping), indent=2).encode("utf-8")
    raise ValidationFailed(errors={"format": [f"Must be one of: {', '.join(FORMATS)}."]})
