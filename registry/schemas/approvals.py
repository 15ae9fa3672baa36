"""Correction requests (four eyes) and approvals of delayed registrations."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry.schemas.common import PageArgs

CORRECTION_STATUSES = ("pending", "approved", "rejected")


class CorrectionQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(CORRECTION_STATUSES))


class CorrectionRequestOut(Schema):
    id = fields.String(required=True)
    record_id = fields.String(required=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True)
    base_version = fields.Integer(required=True)
    changes = fields.Dict(required=True)
    reason = fields.String(required=True)
    evidence = fields.String(required=True)
    requested_by = fields.String(required=True)
    requester = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)


class CorrectionPage(Schema):
    items = fields.List(fields.Nested(CorrectionRequestOut), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class RejectCorrectionIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DelayedApprovalIn(Schema):
    note = fields.String(validate=validate.Length(min=1, max=2000), allow_none=True)
