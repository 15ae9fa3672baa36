"""Fields and envelopes shared by every schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from registry.domain import today


def choice(enum_type: Any, **kwargs: Any) -> fields.String:
    """A string restricted to the values of a ``StrEnum`` (documented as an OpenAPI enum)."""
    return fields.String(validate=validate.OneOf([m.value for m in enum_type]), **kwargs)


def name_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=200), **kwargs)


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
