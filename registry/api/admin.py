"""Areas and facilities for pickers; user accounts for administrators."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from registry.api.common import current_actor, unit_of_work
from registry.domain import FacilityKind, Role
from registry.errors import PermissionDenied
from registry.extensions import db_session, settings
from registry.models import Area, User
from registry.schemas.common import choice
from registry.services import users
from registry.services.areas import search_areas, search_facilities
from registry.services.scoping import require_role

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


class UserIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    role = choice(Role, required=True)
    area = fields.String(required=True, validate=validate.Length(min=1, max=64))
    facility = fields.String(validate=validate.Length(min=1, max=64))
    full_name = fields.String(load_default="", validate=validate.Length(max=200))


class UserOut(Schema):
    username = fields.String(required=True)
    full_name = fields.String()
    role = fields.String(required=True)
    area = fields.String(required=True)
    active = fields.Boolean(required=True)


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
        "active": user.active,
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
    @blp.response(200, UserOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """User accounts in your area (administrators only)."""
        actor = current_actor()
        require_role(actor, [Role.ADMIN])
        stmt = (
            select(User)
            .join(Area, Area.id == User.area_id)
            .where(Area.path.startswith(actor.area_path, autoescape=True))
            .order_by(User.username)
        )
        return [_user_out(u) for u in db_session().scalars(stmt)]

    @unit_of_work
    @blp.arguments(UserIn())
    @blp.response(201, UserOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a user with one role and one area (administrators only)."""
        actor = current_actor()
        require_role(actor, [Role.ADMIN])
        session = db_session()
        area = session.scalars(select(Area).where(Area.code == data["area"])).first()
        if area is not None and not actor.covers(area.path):
            raise PermissionDenied("That area is outside yours.")
        user = users.create_user(
            session,
            settings(),
            username=data["username"],
            password=data["password"],
            role=data["role"],
            area_code=data["area"],
            facility_code=data.get("facility"),
            full_name=data["full_name"],
            actor=actor,
        )
        return _user_out(user)
