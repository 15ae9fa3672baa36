"""Correction requests: the queue of a registrar's area, approval and rejection (four eyes)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.common import current_actor, unit_of_work
from registry.extensions import db_session, settings
from registry.schemas.approvals import (
    CorrectionPage,
    CorrectionQuery,
    CorrectionRequestOut,
    RejectCorrectionIn,
)
from registry.schemas.records import load_declaration
from registry.services import corrections

blp = Blueprint(
    "corrections",
    __name__,
    url_prefix="/api/v1/corrections",
    description="Corrections requested by one registrar and approved by a second",
)


@blp.route("")
class Requests(MethodView):
    @unit_of_work
    @blp.arguments(CorrectionQuery(), location="query")
    @blp.response(200, CorrectionPage)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Correction requests of records in your area, oldest first."""
        return corrections.listing(
            db_session(), current_actor(), query.get("status"), query["page"], query["per_page"]
        )


@blp.route("/<uuid:request_id>")
class Request(MethodView):
    @unit_of_work
    @blp.response(200, CorrectionRequestOut)
    def get(self, request_id: UUID) -> dict[str, Any]:
        """One correction request."""
        session = db_session()
        found = corrections.get(session, current_actor(), str(request_id))
        return corrections.as_document(session, found)


@blp.route("/<uuid:request_id>/approve")
class Approve(MethodView):
    @unit_of_work
    @blp.response(200, CorrectionRequestOut)
    def post(self, request_id: UUID) -> dict[str, Any]:
        """Approve a pending correction: the record gets a new version (not by its requester)."""
        session = db_session()
        done = corrections.approve(
            session, settings(), current_actor(), str(request_id), load=load_declaration
        )
        return corrections.as_document(session, done)


@blp.route("/<uuid:request_id>/reject")
class Reject(MethodView):
    @unit_of_work
    @blp.arguments(RejectCorrectionIn())
    @blp.response(200, CorrectionRequestOut)
    def post(self, data: dict[str, Any], request_id: UUID) -> dict[str, Any]:
        """Reject a pending correction, with the reason; the record stays as it is."""
        session = db_session()
        done = corrections.reject(session, current_actor(), str(request_id), data["reason"])
        return corrections.as_document(session, done)
