"""User accounts as administrators see and change them (no database here)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry.domain import Role
from registry.schemas.common import choice

CODE = validate.Length(min=1, max=64)


class UserQuery(Schema):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=80),
        metadata={"description": "Start of the username or full name."},
    )
    role = choice(Role)
    area = fields.String(validate=CODE, metadata={"description": "An area code: its subtree."})
    active = fields.Boolean()
    limit = fields.Integer(load_default=500, validate=validate.Range(1, 1000))


class UserIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    role = choice(Role, required=True)
    area = fields.String(required=True, validate=CODE)
    facility = fields.String(validate=CODE)
    full_name = fields.String(load_default="", validate=validate.Length(max=200))


class UserPatch(Schema):
    """Only the fields given change; ``facility_code: null`` removes the facility."""

    role = choice(Role)
    area_code = fields.String(validate=CODE)
    facility_code = fields.String(validate=CODE, allow_none=True)
    full_name = fields.String(validate=validate.Length(min=1, max=200))
    active = fields.Boolean(metadata={"description": "false deactivates (ending every session)."})


class UserOut(Schema):
    username = fields.String(required=True)
    full_name = fields.String()
    role = fields.String(required=True)
    area = fields.String(required=True)
    facility = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    must_change_password = fields.Boolean(required=True)


class ResetPasswordIn(Schema):
    password = fields.String(
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "The new password; left out, a temporary one is made."},
    )


class ResetPasswordOut(Schema):
    username = fields.String(required=True)
    must_change_password = fields.Boolean(required=True)
    temporary_password = fields.String(
        allow_none=True,
        metadata={"description": "The password made by the registry (null when one was given)."},
    )
