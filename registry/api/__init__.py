"""The JSON API: flask-smorest blueprints, the OpenAPI document and its offline docs page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Request, Response, request, send_from_directory, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_smorest import Api
from flask_smorest import Blueprint as Blueprint_
from marshmallow import RAISE
from swagger_ui_bundle import swagger_ui_path

from registry.api import admin, auth, certificates, corrections, duplicates, records, stats
from registry.api.common import current_actor
from registry.api.errors import register_error_handlers
from registry.schemas.common import ErrorSchema

api = Api()
api.ERROR_SCHEMA = ErrorSchema  # the error body documented is the one the handlers send
# Unknown query parameters are errors too (a misspelt filter must not silently match all).
Blueprint_.ARGUMENTS_PARSER.DEFAULT_UNKNOWN_BY_LOCATION["query"] = RAISE
Blueprint_.ARGUMENTS_PARSER.DEFAULT_UNKNOWN_BY_LOCATION["querystring"] = RAISE

PUBLIC_ENDPOINTS = {
    "auth.Token",
    "certificates.Verify",
    "api-docs.openapi_json",
    "swagger.docs",
    "swagger.asset",
}

swagger = Blueprint("swagger", __name__, url_prefix="/api/v1/docs")

DOCS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>CRVS registry API</title>
<link rel="stylesheet" href="{css}"></head>
<body data-spec-url="{spec}"><div id="swagger-ui"></div>
<script src="{bundle}"></script><script src="{preset}"></script><script src="{init}"></script>
</body></html>"""


@swagger.get("/")
def docs() -> Response:
    """Swagger UI, served from the installed bundle."""
    page = DOCS_PAGE.format(
        css=url_for("swagger.asset", filename="swagger-ui.css"),
        spec=url_for("api-docs.openapi_json"),
        bundle=url_for("swagger.asset", filename="swagger-ui-bundle.js"),
        preset=url_for("swagger.asset", filename="swagger-ui-standalone-preset.js"),
        init=url_for("static", filename="docs/init.js"),
    )
    return Response(page, content_type="text/html; charset=utf-8")


@swagger.get("/assets/<path:filename>")
def asset(filename: str) -> Response:
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


class _NoCookieSessionForApi(SecureCookieSessionInterface):
    """The API authenticates every call by bearer token and never reads the cookie session:
    its requests get the null session, which costs nothing to open (a cookie session costs
    each call a signing serializer and a cookie parse). Pages keep theirs."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Any) -> None:
        if not self.is_null_session(session):
            super().save_session(app, session, response)


def _require_token() -> None:
    """Every API call but sign-in and the documents needs a valid bearer token."""
    if request.path.startswith("/api/") and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.endpoint is None:
            return  # unknown route: the 404 handler answers
        current_actor()


def register_api(app: Flask) -> None:
    app.session_interface = _NoCookieSessionForApi()
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "opaque"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    blueprints = (
        auth.blp,
        records.births,
        records.deaths,
        duplicates.blp,
        corrections.blp,
        certificates.blp,
        stats.blp,
        admin.blp,
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.register_blueprint(swagger)
    app.before_request(_require_token)
    register_error_handlers(app)
