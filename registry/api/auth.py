"""Bearer tokens: issue on username and password, revoke on DELETE."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.common import bearer_token, current_actor, unit_of_work
from registry.errors import AuthenticationFailed
from registry.extensions import db_session, settings
from registry.schemas.auth import TokenIn, TokenOut
from registry.services import users

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign in for a token")


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(TokenIn())
    @blp.response(201, TokenOut)
    @blp.doc(security=[])
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange a username and password for a bearer token."""
        session = db_session()
        username, address = data["username"], request.remote_addr or "-"
        users.count_attempt(session, settings(), username, address)  # 429 when over a limit
        session.commit()  # counted before the password is checked; a success gives it back
        user = users.authenticate(session, settings(), username, data["password"], address)
        if user is None:
            session.commit()  # the audited failure
            raise AuthenticationFailed("Wrong username or password.")
        if user.must_change_password:
            session.commit()  # the right password (its attempt given back), but no token yet
            users.ensure_may_use_api(user)  # 403: a reset password is changed on the pages first
        token, expires_at = users.issue_token(session, settings(), user)
        session.commit()
        return {"token": token, "expires_at": expires_at}

    @unit_of_work
    @blp.response(204)
    def delete(self) -> None:
        """Revoke the bearer token used for this request."""
        actor = current_actor()
        users.revoke_token(db_session(), bearer_token() or "", actor)
