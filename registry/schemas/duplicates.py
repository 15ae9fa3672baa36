"""Suspected duplicates: the listing, the explanation and the registrar's decision."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry.schemas.common import IsoDate, PageArgs

STATUSES = ["open", "duplicate", "not_duplicate", "closed"]


class DuplicateQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(STATUSES))


class DecisionIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["duplicate", "not_duplicate"]))
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)


class ReopenIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CancelIn(Schema):
    cancel = fields.String(
        load_default="record",
        validate=validate.OneOf(["record", "existing"]),
        metadata={
            "description": "Which registered record to cancel: the newer (record) or "
            "the existing one; the other is kept."
        },
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    evidence = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    requested_by = fields.String(validate=validate.Length(min=1, max=200), allow_none=True)


class SideOut(Schema):
    """One record of a pair. ``masked``: outside your area, only its type, status, area and
    registration number are given (no id, names or dates)."""

    masked = fields.Boolean(required=True)
    id = fields.String(required=True, allow_none=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True)
    registration_number = fields.String(allow_none=True)
    area_code = fields.String()
    area_name = fields.String()
    event_date = IsoDate()
    given_names = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    sex = fields.String(allow_none=True)
    date_of_birth = IsoDate(allow_none=True)
    mother = fields.String(allow_none=True)


class ExplanationOut(Schema):
    """One compared field (``field``, levels and weights) or one rule (``rule``: twins...)."""

    field = fields.String()
    kind = fields.String()
    left = fields.String(allow_none=True)
    right = fields.String(allow_none=True)
    level = fields.String()
    similarity = fields.Float(allow_none=True)
    weight = fields.Float()
    swapped = fields.Boolean()
    rule = fields.String()
    reason = fields.String()


class DuplicateOut(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    probability = fields.Float(required=True)
    match_weight = fields.Float(required=True)
    explanation = fields.List(fields.Nested(ExplanationOut), required=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)
    record = fields.Nested(SideOut, required=True)
    existing = fields.Nested(SideOut, required=True)
    decidable = fields.Boolean(
        required=True, metadata={"description": "Whether your area covers both records."}
    )
    deciding_area_code = fields.String(
        allow_none=True, metadata={"description": "The nearest area covering both records."}
    )
    deciding_area_name = fields.String(allow_none=True)
    awaits = fields.String(
        required=True, metadata={"description": 'Who decides: "awaits a registrar of <area>".'}
    )


class DuplicatePage(Schema):
    items = fields.List(fields.Nested(DuplicateOut), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
