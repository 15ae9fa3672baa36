"""Areas and facilities for pickers; user accounts for administrators."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from registry.api.common import current_actor, unit_of_work
from registry.domain import FacilityKind
from registry.extensions import db_session, settings
from registry.models import Area, User
from registry.schemas.common import choice
from registry.schemas.users import (
    ResetPasswordIn,
    ResetPasswordOut,
    UserIn,
    UserOut,
    UserPatch,
    UserQuery,
)
from registry.services import users
from registry.services.areas import search_areas, search_facilities

blp = Blueprint("admin", __name__, url_prefix="/api/v1", description="Areas, facilities, users")


class LookupArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=100))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class FacilityArgs(LookupArgs):
    kind = choice(FacilityKind)


class AreaOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    parent_code = fields.String(allow_none=True)


class FacilityOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    area_code = fields.String(required=True)


def _area_out(area: Area) -> dict[str, Any]:
    parent = area.parent
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent_code": parent.code if parent else None,
    }


def _user_out(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "area": user.area.code,
        "facility": user.facility.code if user.facility else None,
        "active": user.active,
        "must_change_password": user.must_change_password,
    }


@blp.route("/areas")
class Areas(MethodView):
    @unit_of_work
    @blp.arguments(LookupArgs(), location="query")
    @blp.response(200, AreaOut(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Areas whose code or name starts with ``q`` (for pickers)."""
        current_actor()
        return [_area_out(a) for a in search_areas(db_session(), args["q"], args["limit"])]


@blp.route("/facilities")
class Facilities(MethodView):
    @unit_of_work
    @blp.arguments(FacilityArgs(), location="query")
    @blp.response(200, FacilityOut(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Facilities and offices whose code or name starts with ``q`` (for pickers)."""
        current_actor()
        rows = search_facilities(db_session(), args["q"], args.get("kind"), args["limit"])
        return [
            {"code": f.code, "name": f.name, "kind": f.kind, "area_code": code} for f, code in rows
        ]


@blp.route("/users")
class Users(MethodView):
    @unit_of_work
    @blp.arguments(UserQuery(), location="query")
    @blp.response(200, UserOut(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """User accounts in your area, by username (administrators only)."""
        found = users.list_users(
            db_session(),
            current_actor(),
            q=args["q"],
            role=args.get("role"),
            area_code=args.get("area"),
            active=args.get("active"),
            limit=args["limit"],
        )
        return [_user_out(u) for u in found]

    @unit_of_work
    @blp.arguments(UserIn())
    @blp.response(201, UserOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a user with one role and one area inside yours (administrators only)."""
        user = users.add_user(
            db_session(),
            settings(),
            current_actor(),
            username=data["username"],
            password=data["password"],
            role=data["role"],
            area_code=data["area"],
            facility_code=data.get("facility"),
            full_name=data["full_name"],
        )
        return _user_out(user)


@blp.route("/users/<string:username>")
class UserItem(MethodView):
    @unit_of_work
    @blp.arguments(UserPatch())
    @blp.response(200, UserOut)
    def patch(self, data: dict[str, Any], username: str) -> dict[str, Any]:
        """Change a user's role, area, facility, full name or whether active (administrators
        only; deactivating ends the user's tokens and sessions at once)."""
        user = users.update_user(db_session(), current_actor(), username, **data)
        return _user_out(user)


@blp.route("/users/<string:username>/reset-password")
class ResetPassword(MethodView):
    @unit_of_work
    @blp.arguments(ResetPasswordIn())
    @blp.response(200, ResetPasswordOut)
    def post(self, data: dict[str, Any], username: str) -> dict[str, Any]:
        """Reset a user's password, to be changed at their next sign-in; their tokens and
        sessions end at once (administrators only). Without ``password`` a temporary one is
        made and returned."""
        given = data.get("password")
        chosen = users.reset_password(db_session(), settings(), current_actor(), username, given)
        return {
            "username": username,
            "must_change_password": True,
            "temporary_password": None if given is not None else chosen,
        }
