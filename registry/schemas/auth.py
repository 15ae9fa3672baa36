from __future__ import annotations

from marshmallow import Schema, fields, validate


class TokenIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class TokenOut(Schema):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
