"""marshmallow schemas: the one validation and serialisation boundary (no database).

marshmallow's own messages a person meets on a form ("Missing data for required field.", "Not a
valid date.", "Longer than maximum length {max}.", ...) are given their codes here, before any
field is built: the English is marshmallow's own words, and a page shows them in its language
by their code like every other message (``registry.messages``).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry import messages


def _code_marshmallow_messages() -> None:
    fields.Field.default_error_messages.update(required=messages.REQUIRED, null=messages.NULL)
    fields.String.default_error_messages["invalid"] = messages.NOT_A_STRING
    fields.Integer.default_error_messages["invalid"] = messages.NOT_AN_INTEGER
    fields.Date.default_error_messages["invalid"] = messages.NOT_A_DATE
    Schema.error_messages = {**Schema.error_messages, "unknown": messages.UNKNOWN_FIELD}
    validate.Length.message_min = messages.TOO_SHORT
    validate.Length.message_max = messages.TOO_LONG
    validate.Length.message_all = messages.LENGTH_BETWEEN
    validate.OneOf.default_message = messages.ONE_OF


_code_marshmallow_messages()
