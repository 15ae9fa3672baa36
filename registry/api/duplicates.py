"""Suspected duplicates for registrars: the open list and the decision."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.common import current_actor, unit_of_work
from registry.extensions import db_session
from registry.schemas.duplicates import (
    CancelIn,
    DecisionIn,
    DuplicateOut,
    DuplicatePage,
    DuplicateQuery,
    ReopenIn,
)
from registry.services import cancellation, duplicates

blp = Blueprint(
    "duplicates",
    __name__,
    url_prefix="/api/v1/duplicates",
    description="Suspected duplicates: review with the field-by-field explanation and decide",
)


@blp.route("")
class Duplicates(MethodView):
    @unit_of_work
    @blp.arguments(DuplicateQuery(), location="query")
    @blp.response(200, DuplicatePage)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Suspected duplicates with either record in your area; a record outside it is masked."""
        return duplicates.listing(
            db_session(), current_actor(), query.get("status"), query["page"], query["per_page"]
        )


@blp.route("/<uuid:candidate_id>/decision")
class Decision(MethodView):
    @unit_of_work
    @blp.arguments(DecisionIn())
    @blp.response(200, DuplicateOut)
    def post(self, data: dict[str, Any], candidate_id: UUID) -> dict[str, Any]:
        """Decide: ``duplicate`` rejects the newer declaration and links it to the existing one."""
        session, actor = db_session(), current_actor()
        candidate = duplicates.decide(
            session, actor, str(candidate_id), data["decision"], data.get("note")
        )
        return duplicates.as_document(session, candidate, actor)


@blp.route("/<uuid:candidate_id>/reopen")
class Reopen(MethodView):
    @unit_of_work
    @blp.arguments(ReopenIn())
    @blp.response(200, DuplicateOut)
    def post(self, data: dict[str, Any], candidate_id: UUID) -> dict[str, Any]:
        """Reopen a "duplicate" decision (a registrar covering both records, with a reason):
        the bound record loses its link and the pair awaits a new decision."""
        session, actor = db_session(), current_actor()
        candidate = duplicates.reopen(session, actor, str(candidate_id), data["reason"])
        return duplicates.as_document(session, candidate, actor)


@blp.route("/<uuid:candidate_id>/cancel")
class Cancel(MethodView):
    @unit_of_work
    @blp.arguments(CancelIn())
    @blp.response(200, DuplicateOut)
    def post(self, data: dict[str, Any], candidate_id: UUID) -> dict[str, Any]:
        """Cancel one of two registered records of one person (``cancel``: ``record``, the
        newer, or ``existing``): status ``cancelled``, a new version with the reason and
        evidence, its number never reused, its certificates revoked."""
        session, actor = db_session(), current_actor()
        candidate, _ = cancellation.cancel(
            session,
            actor,
            str(candidate_id),
            side=data["cancel"],
            reason=data["reason"],
            evidence=data["evidence"],
            requested_by=data.get("requested_by"),
        )
        return duplicates.as_document(session, candidate, actor)
