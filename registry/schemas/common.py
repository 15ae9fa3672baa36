"""Fields and envelopes shared by every schema, and ``load``: a schema's load or a 422."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from registry import messages
from registry.domain import today
from registry.errors import ValidationFailed


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
        raise ValidationError(messages.BLANK)
    # A printable name (most names) holds none of the characters refused below: those are all
    # of categories Cc, Cf, Cn, Cs or Co, which ``isprintable`` rejects (with the spaces other
    # than " ", which a name may hold). Only a name it rejects is read a character at a time.
    if not name.isprintable():
        for char in name:
            category = unicodedata.category(char)
            if char in BIDI_CONTROLS:
                raise ValidationError(messages.BIDI_CONTROLS)
            if category == "Cc":
                raise ValidationError(messages.CONTROL_CHARACTERS)
            if _is_noncharacter(char) or category in ("Cn", "Cs", "Co"):
                raise ValidationError(messages.NONCHARACTERS)
            if category == "Cf" and char not in JOINERS:
                raise ValidationError(messages.INVISIBLE_FORMATTING)
    if not any(map(str.isalpha, name)):  # a letter: a character of category L*
        raise ValidationError(messages.NEEDS_A_LETTER)
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
    """The one error body of the API (``registry.api.errors.envelope``), documented for every
    operation in the OpenAPI document."""

    code = fields.Integer(required=True, metadata={"description": "The HTTP status."})
    status = fields.String(required=True, metadata={"description": "The status's phrase."})
    message = fields.String(
        required=True, metadata={"description": "What went wrong, in English, for a person."}
    )
    error_code = fields.String(
        required=True,
        metadata={
            "description": "The stable machine code of the error (`changed_meanwhile`, "
            "`duplicate_pending`, `not_found`, `validation_failed`, ...): act on this, never on "
            "`message`."
        },
    )
    errors = fields.Dict(
        metadata={"description": 'Field messages by field: `{"child": {"sex": [...]}}`.'}
    )


def load(schema: Schema, data: Any, wrap: str | None = None) -> dict[str, Any]:
    """``schema.load(data)``, or ValidationFailed (422) with marshmallow's field messages (the
    messages of the whole input, not of a field, under ``_schema``; all of them under ``wrap``
    when given: a correction's are under ``changes``)."""
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        found = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed(errors={wrap: found} if wrap else found) from None
    return loaded


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def not_in_future(value: dt.date) -> None:
    if value > today():
        raise ValidationError(messages.IN_FUTURE)


#: Events dated before this year are refused (``EARLIEST_EVENT_YEAR``; set by ``create_app``).
EVENT_YEARS = {"earliest": 1900}


def plausible_event_date(value: dt.date) -> None:
    """An event (a birth or a death) neither in the future nor before EARLIEST_EVENT_YEAR."""
    not_in_future(value)
    earliest = EVENT_YEARS["earliest"]
    if value.year < earliest:
        raise ValidationError(messages.BEFORE_EARLIEST.format(year=earliest))
