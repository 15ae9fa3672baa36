"""Finding registrations by the number a person types: any capitals, with or without (or with a
wrong) check character, or only the sequence at its end (``000024`` or ``24``).

A registration number is ``REGISTRATION_NUMBER_FORMAT`` (``{office}-{type}{year}-{seq:06d}``)
with a check character appended (``O11-B2026-000024-X``, see ``domain.check_character``). The
typed text is read against that format; the parts it gives (office, type, year, sequence) pick the
registration counters that could have produced the number, and each counter whose last value
reached the sequence gives one exact number, so the look-up uses the unique index of
``registration_number``. When a short text (the sequence alone, say) could name more numbers than
``MAX_EXACT`` across offices and years, it becomes a ``LIKE`` pattern with the missing parts left
open instead. Either way the caller's query is scoped to the actor's area: every registration
that matches and that the actor may see is found.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from registry.domain import EventType, check_character
from registry.models import Facility, Record, RegistrationCounter

#: Above this many candidate numbers, a pattern is matched instead of a list of exact numbers.
MAX_EXACT = 500

_FIELDS = {
    "office": r"[A-Za-z0-9_.-]+?",
    "type": r"[BDbd]",
    "year": r"[0-9]{4}",
    "seq": r"[0-9]{1,18}",
}
_TYPE_LETTER = {EventType.BIRTH: "B", EventType.DEATH: "D"}
_CHECK = r"(?:-(?P<check>[0-9A-Za-z]))?"
_SEQUENCE_ALONE = re.compile(r"^(?P<seq>[0-9]{1,18})" + _CHECK + "$")


@dataclass(frozen=True)
class Parts:
    """What the typed text says of a number (None: not said)."""

    office: str | None = None
    type: str | None = None
    year: int | None = None
    seq: int | None = None


def _pieces(template: str) -> list[tuple[str, str | None, str]] | None:
    """The template as (literal text, field name, format spec); None for a field we do not know."""
    try:
        pieces = [
            (literal, name, spec or "")
            for literal, name, spec, _conversion in string.Formatter().parse(template)
        ]
    except ValueError:
        return None
    if any(name is not None and name not in _FIELDS for _, name, _ in pieces):
        return None
    return pieces


def parse(template: str, typed: str) -> Parts | None:
    """The parts of a number typed in full (in any capitals, the check character optional) or of
    a sequence typed alone; None when the text is neither."""
    text = typed.strip()
    alone = _SEQUENCE_ALONE.match(text)
    if alone:
        return Parts(seq=int(alone["seq"]))
    pieces = _pieces(template)
    if pieces is None:
        return None
    pattern, seen = "", set()
    for literal, name, _spec in pieces:
        pattern += re.escape(literal)
        if name is None:
            continue
        pattern += f"(?P={name})" if name in seen else f"(?P<{name}>{_FIELDS[name]})"
        seen.add(name)
    found = re.match(f"^{pattern}{_CHECK}$", text, re.IGNORECASE)
    if found is None:
        return None
    said = found.groupdict()
    return Parts(
        office=said.get("office"),
        type=said["type"].upper() if said.get("type") else None,
        year=int(said["year"]) if said.get("year") else None,
        seq=int(said["seq"]) if said.get("seq") else None,
    )


def _with_check(body: str) -> str:
    return f"{body}-{check_character(body)}"


def typed_spellings(typed: str) -> set[str]:
    """The text as typed and in capitals, each also with its last part read as a wrong check
    character (replaced) or a missing one (added): numbers of any format, an older one too."""
    found: set[str] = set()
    for text in {typed.strip(), typed.strip().upper()}:
        if not text:
            continue
        found |= {text, _with_check(text)}
        body, dash, _check = text.rpartition("-")
        if dash and body:
            found.add(_with_check(body))
    return found


def _format(template: str, office: str, letter: str, year: int, seq: int) -> str:
    return template.format(office=office, type=letter, year=year, seq=seq)


def condition(
    session: Session, template: str, event_type: EventType, typed: str
) -> ColumnElement[bool]:
    """Whether a record's registration number is one the typed text may mean (see the module)."""
    spellings = typed_spellings(typed)
    parts = parse(template, typed)
    letter = _TYPE_LETTER[event_type]
    if parts is None or parts.seq is None or parts.type not in (None, letter):
        return Record.registration_number.in_(sorted(spellings)) if spellings else false()
    stmt = select(Facility.id, Facility.code, RegistrationCounter.year).join(
        Facility, Facility.id == RegistrationCounter.office_id
    )
    stmt = stmt.where(
        RegistrationCounter.event_type == event_type.value,
        RegistrationCounter.last_value >= parts.seq,
    )
    if parts.office is not None:
        stmt = stmt.where(func.upper(Facility.code) == parts.office.upper())
    if parts.year is not None:
        stmt = stmt.where(RegistrationCounter.year == parts.year)
    counters = session.execute(stmt.limit(MAX_EXACT + 1)).all()
    if len(counters) <= MAX_EXACT:
        numbers = {
            _with_check(_format(template, code, letter, year, parts.seq))
            for _id, code, year in counters
        }
        return Record.registration_number.in_(sorted(spellings | numbers))
    return or_(Record.registration_number.in_(sorted(spellings)), _pattern(template, parts, letter))


def _pattern(template: str, parts: Parts, letter: str) -> Any:
    """A ``LIKE`` over the numbers, the parts not typed left open (the office by its id)."""
    pieces = _pieces(template) or []
    like = ""
    for literal, name, spec in pieces:
        like += _escape(literal)
        if name == "type":
            like += letter
        elif name == "year" and parts.year is not None:
            like += str(parts.year)
        elif name == "seq" and parts.seq is not None:
            like += _escape(format(parts.seq, spec))
        elif name is not None:
            like += "%"
    matched = Record.registration_number.like(f"{like}-_", escape="\\")
    if parts.office is not None:
        offices = select(Facility.id).where(func.upper(Facility.code) == parts.office.upper())
        return matched & Record.office_id.in_(offices)
    return matched


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
