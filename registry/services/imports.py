"""Legacy paper registers: strict all-or-nothing CSV imports, deduplicated on the way in.

Columns are the API's field names in dotted form (``child.given_names``, ``mother.family_name``,
``place.facility_code``, ``cause.underlying_icd10``, ``cause.part1.0.text``...), plus an optional
``date_of_registration``: a row with it is registered on that date (a delayed one with the reason
"imported from a legacy paper register"), a row without it stays declared. Every row is validated
by the same schemas and rules as the API, but for what paper registers did not record: the type
of birth (left unknown), and the given names of a child registered before being named (a
registered row only; they come later by a correction). By default any bad row stops the import,
every bad row is reported with its line number, and nothing is stored; with ``keep_going`` the
good rows are stored and the bad ones come back in ``ImportSummary.rejected``. Each imported
declaration is matched against the live register and the rows before it, so a row that looks
like an existing record waits for a registrar's decision instead of being registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from marshmallow import ValidationError as SchemaError
from sqlalchemy.orm import Session

from registry.domain import EventType, Status
from registry.errors import Conflict, ImportFailed, RegistryError
from registry.schemas.records import LegacyBirthIn, LegacyRegisteredBirthIn
from registry.services import records, users
from registry.services.areas import read_csv
from registry.services.records import schema_for
from registry.services.settings import RegistrySettings

LEGACY_REASON = "Imported from a legacy paper register"
REQUIRED = {
    EventType.BIRTH: ["child.sex", "child.date_of_birth", "place.type", "mother.given_names"],
    EventType.DEATH: ["deceased.sex", "date_of_death", "place.type"],
}


@dataclass
class ImportSummary:
    rows: int = 0
    registered: int = 0
    declared: int = 0
    flagged: int = 0
    rejected: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)


def _nest(row: dict[str, str]) -> dict[str, Any]:
    """Dotted columns to the API's nested body; numeric parts become list positions."""
    tree: dict[str, Any] = {}
    for column, value in row.items():
        if value == "" or column == "date_of_registration":
            continue
        *parents, leaf = column.split(".")
        node: Any = tree
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise ValueError(f"column {column} conflicts with another column")
        node[leaf] = value
    nested: dict[str, Any] = _listify(tree)
    return nested


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            out += _flatten(value, f"{prefix}{key}.")
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix.rstrip('.')}: {' '.join(messages)}"]
    if isinstance(messages, list):
        return [m for v in messages for m in _flatten(v, prefix)]
    return [f"{prefix.rstrip('.')}: {messages}"]


def import_records(
    session: Session,
    settings: RegistrySettings,
    event_type: EventType,
    stream: IO[str],
    progress: Callable[[int], None] | None = None,
    *,
    keep_going: bool = False,
) -> ImportSummary:
    """Import one CSV file; raises ImportFailed listing every bad row (nothing is kept), or
    with ``keep_going`` keeps the good rows and lists the bad ones in the summary."""
    actor = users.system_actor(session, settings)
    errors: list[tuple[int, str]] = []
    summary = ImportSummary()
    for line, row in read_csv(stream, REQUIRED[event_type]):
        summary.rows += 1
        before = len(errors)
        _import_row(session, settings, actor, event_type, line, row, errors, summary)
        if len(errors) > before:
            reasons = "; ".join(why for _, why in errors[before:])
            summary.rejected.append((line, reasons, row))
        if progress:
            progress(1)
    if errors and not keep_going:
        raise ImportFailed(errors)
    return summary


def _schema(event_type: EventType, registered: bool) -> Any:
    if event_type is not EventType.BIRTH:
        return schema_for(event_type)
    return LEGACY_REGISTERED if registered else LEGACY


LEGACY, LEGACY_REGISTERED = LegacyBirthIn(), LegacyRegisteredBirthIn()


def _import_row(
    session: Session,
    settings: RegistrySettings,
    actor: Any,
    event_type: EventType,
    line: int,
    row: dict[str, str],
    errors: list[tuple[int, str]],
    summary: ImportSummary,
) -> None:
    """Validate and store one row in its own savepoint; its problems go to ``errors``."""
    if "__extra__" in row:
        errors.append((line, "too many values"))
        return
    try:
        registered_on = (
            date.fromisoformat(row["date_of_registration"])
            if row.get("date_of_registration")
            else None
        )
    except ValueError:
        errors.append((line, "date_of_registration: Not a valid date (use YYYY-MM-DD)."))
        return
    try:
        facts = _schema(event_type, registered_on is not None).load(_nest(row))
    except SchemaError as exc:
        errors.extend((line, message) for message in _flatten(exc.messages))
        return
    except ValueError as exc:
        errors.append((line, str(exc)))
        return
    try:
        with session.begin_nested():
            record = records.declare(session, actor, event_type, facts)
            if registered_on is not None:
                try:
                    records.register(
                        session,
                        settings,
                        actor,
                        event_type,
                        record.id,
                        reason=LEGACY_REASON,
                        registration_date=registered_on,
                    )
                    summary.registered += 1
                except Conflict as exc:
                    if record.status != Status.DECLARED or "duplicate" not in exc.message:
                        raise
                    summary.flagged += 1
                    summary.declared += 1
            else:
                summary.declared += 1
    except RegistryError as exc:
        detail = "; ".join(_flatten(exc.errors)) if exc.errors else exc.message
        errors.append((line, detail))
