"""Vital statistics: the query arguments and the JSON document of a table request."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

PERIODS = ("month", "quarter", "year")
API_FORMATS = ("json", "csv", "xlsx")
LEVEL = validate.Regexp(r"^[A-Za-z0-9_ .-]{1,40}$", error="Not a valid area level name.")


class StatsQuery(Schema):
    """``?year=2026&period=month&level=district&format=json&public=false``."""

    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2200))
    period = fields.String(load_default="month", validate=validate.OneOf(PERIODS))
    level = fields.String(load_default="district", validate=LEVEL)
    format = fields.String(load_default="json", validate=validate.OneOf(API_FORMATS))
    public = fields.Boolean(load_default=False)
    cutoff = fields.Date(metadata={"description": "Registration cut-off date (default today)."})


class StatsTableOut(Schema):
    name = fields.String(required=True)
    title = fields.String(required=True)
    columns = fields.List(fields.String(), required=True)
    notes = fields.List(fields.String(), required=True)
    rows = fields.List(fields.Dict(), required=True)


class SuppressionOut(Schema):
    applied = fields.Boolean(required=True)
    threshold = fields.Integer(allow_none=True)
    primary_cells = fields.Integer()
    secondary_cells = fields.Integer()


class StatsOut(Schema):
    """The tables of one request with what a reader must know: cut-off, denominators,
    suppression."""

    table = fields.String(required=True)
    year = fields.Integer(required=True)
    period = fields.String(required=True)
    level = fields.String(required=True)
    public = fields.Boolean(required=True)
    scope = fields.String(required=True)
    cutoff = fields.String(required=True)
    denominator = fields.String(required=True)
    suppression = fields.Nested(SuppressionOut, required=True)
    notes = fields.List(fields.String(), required=True)
    tables = fields.List(fields.Nested(StatsTableOut), required=True)
