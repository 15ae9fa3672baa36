"""The answer of a duplicate check before saving: candidates in full or masked."""

from __future__ import annotations

from marshmallow import Schema, fields

from registry.schemas.common import IsoDate


class EvidenceOut(Schema):
    """How far one compared field agrees (``level``) and its weight (in-area candidates only)."""

    field = fields.String(required=True)
    level = fields.String(required=True)
    weight = fields.Float()


class CheckCandidateOut(Schema):
    """A record the declaration would be matched with.

    ``visible`` is true for a record in your area (every field given). Otherwise it is
    ``masked``: only its area, status, registration number if any and the per-field
    ``evidence`` levels are given (``id`` is null; no names or dates).
    """

    visible = fields.Boolean(required=True)
    masked = fields.Boolean(required=True)
    id = fields.String(allow_none=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True)
    area_code = fields.String(required=True)
    area_name = fields.String(required=True)
    registration_number = fields.String(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceOut), required=True)
    given_names = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    sex = fields.String(allow_none=True)
    date_of_birth = IsoDate(allow_none=True)
    event_date = IsoDate()
    mother = fields.String(allow_none=True)
    probability = fields.Float()
    completes = fields.Boolean(metadata={"description": "a notification this would complete"})


class CheckOut(Schema):
    candidates = fields.List(fields.Nested(CheckCandidateOut), required=True)
