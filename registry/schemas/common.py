"""Fields and envelopes shared by every schema."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from registry.domain import today


def choice(enum_type: Any, **kwargs: Any) -> fields.String:
    """A string restricted to the values of a ``StrEnum`` (documented as an OpenAPI enum)."""
    return fields.String(validate=validate.OneOf([m.value for m in enum_type]), **kwargs)


BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Joiners shape letters in Arabic, Persian and Indic scripts: allowed between letters.
JOINERS = frozenset("\u200c\u200d")


def _is_noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def clean_name(value: str) -> str:
    """A person's name trimmed and NFC-normalised; ValidationError says in words what is wrong.

    Every script, combining mark, apostrophe and hyphen is a name's; control characters,
    direction overrides, invisible format characters (but the joiners), non-characters and
    unassigned code points are not, and a name needs at least one letter.
    """
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        raise ValidationError("Must not be blank.")
    for char in name:
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS:
            raise ValidationError("Must not contain text-direction control characters.")
        if category == "Cc":
            raise ValidationError("Must not contain control characters (like tabs or newlines).")
        if _is_noncharacter(char) or category in ("Cn", "Cs", "Co"):
            raise ValidationError("Must not contain non-characters or unassigned characters.")
        if category == "Cf" and char not in JOINERS:
            raise ValidationError("Must not contain invisible formatting characters.")
    if not any(unicodedata.category(c).startswith("L") for c in name):
        raise ValidationError("A name needs at least one letter.")
    return name


class Name(fields.String):
    """A person's name (see ``clean_name``), at most 200 characters."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return clean_name(super()._deserialize(value, attr, data, **kwargs))


def name_field(**kwargs: Any) -> fields.String:
    return Name(validate=validate.Length(min=1, max=200), **kwargs)


class IsoDate(fields.Date):
    """A date that also serialises facts already stored as ISO strings."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class ErrorSchema(Schema):
    """The one error envelope of the API."""

    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String()
    errors = fields.Dict()


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def not_in_future(value: dt.date) -> None:
    if value > today():
        raise ValidationError("Must not be in the future.")


#: Events dated before this year are refused (``EARLIEST_EVENT_YEAR``; set by ``create_app``).
EVENT_YEARS = {"earliest": 1900}


def plausible_event_date(value: dt.date) -> None:
    """An event (a birth or a death) neither in the future nor before EARLIEST_EVENT_YEAR."""
    not_in_future(value)
    earliest = EVENT_YEARS["earliest"]
    if value.year < earliest:
        raise ValidationError(f"Must not be before {earliest}; check the year.")
