"""Births and deaths: the same routes for each event type, built by one factory."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema

from registry.api.common import commit_once, current_actor, unit_of_work
from registry.domain import EventType
from registry.extensions import db_session, settings
from registry.schemas.approvals import CorrectionRequestOut, DelayedApprovalIn
from registry.schemas.duplicate_check import CheckOut
from registry.schemas.records import (
    BirthIn,
    BirthOut,
    CorrectionIn,
    DeathIn,
    DeathOut,
    HistoryOut,
    RecordPage,
    RecordQuery,
    RegisterIn,
    RejectIn,
    load_declaration,
)
from registry.services import corrections, delayed, duplicate_check, records


def make_blueprint(
    event_type: EventType, plural: str, schema_in: type[Schema], schema_out: type[Schema]
) -> Blueprint:
    blp = Blueprint(
        plural,
        __name__,
        url_prefix=f"/api/v1/{plural}",
        description=f"{event_type.value.capitalize()} records: declare, register, correct",
    )

    def document(record: Any) -> dict[str, Any]:
        return records.document(db_session(), record, current_actor())

    @blp.route("")
    class Collection(MethodView):
        @unit_of_work
        @blp.arguments(RecordQuery(), location="query")
        @blp.response(200, RecordPage)
        def get(self, query: dict[str, Any]) -> dict[str, Any]:
            """Search records in your area (summaries only)."""
            actor, number_format = current_actor(), settings().number_format
            return records.search(db_session(), actor, event_type, query, number_format)

        @unit_of_work
        @blp.arguments(schema_in())
        @blp.response(201, schema_out)
        def post(self, data: dict[str, Any]) -> Any:
            """Notify (``notification: true``) or declare an event."""
            record = records.declare(db_session(), current_actor(), event_type, data)
            location = url_for(f"{plural}.Item", record_id=record.id)
            return document(record), 201, {"Location": location}

    @blp.route("/check")
    class Check(MethodView):
        @commit_once
        @blp.arguments(schema_in())
        @blp.response(200, CheckOut)
        def post(self, data: dict[str, Any]) -> dict[str, Any]:
            """Check a declaration before saving it: the records it would be matched with.

            The same body as the declaration; nothing is stored and no ``Idempotency-Key`` is
            used. Records in your area come in full (each one shown is audited as a read);
            others are masked: their area, registration number and per-field evidence levels.
            """
            return duplicate_check.check(db_session(), current_actor(), event_type, data)

    @blp.route("/<uuid:record_id>")
    class Item(MethodView):
        @unit_of_work
        @blp.response(200, schema_out)
        def get(self, record_id: UUID) -> dict[str, Any]:
            """The latest version of a record (the read is audited)."""
            return records.read(db_session(), current_actor(), event_type, str(record_id))

        @unit_of_work
        @blp.arguments(schema_in())
        @blp.response(200, schema_out)
        def put(self, data: dict[str, Any], record_id: UUID) -> dict[str, Any]:
            """Complete a notification, amend a declaration or resubmit a rejected one."""
            record = records.update_declaration(
                db_session(), current_actor(), event_type, str(record_id), data
            )
            return document(record)

    @blp.route("/<uuid:record_id>/history")
    class History(MethodView):
        @unit_of_work
        @blp.response(200, HistoryOut)
        def get(self, record_id: UUID) -> dict[str, Any]:
            """Every version of a record, with the reasons for corrections."""
            return records.history(db_session(), current_actor(), event_type, str(record_id))

    @blp.route("/<uuid:record_id>/register")
    class Register(MethodView):
        @unit_of_work
        @blp.arguments(RegisterIn())
        @blp.response(200, schema_out)
        def post(self, data: dict[str, Any], record_id: UUID) -> dict[str, Any]:
            """Register a declared record: assigns its number (a delayed one needs a reason)."""
            record = records.register(
                db_session(),
                settings(),
                current_actor(),
                event_type,
                str(record_id),
                reason=data.get("reason"),
            )
            return document(record)

    @blp.route("/<uuid:record_id>/reject")
    class Reject(MethodView):
        @unit_of_work
        @blp.arguments(RejectIn())
        @blp.response(200, schema_out)
        def post(self, data: dict[str, Any], record_id: UUID) -> dict[str, Any]:
            """Reject a notification or declaration, with the reason."""
            record = records.reject(
                db_session(), current_actor(), event_type, str(record_id), data["reason"]
            )
            return document(record)

    @blp.route("/<uuid:record_id>/corrections")
    class Corrections(MethodView):
        @unit_of_work
        @blp.arguments(CorrectionIn())
        @blp.response(201, CorrectionRequestOut)
        def post(self, data: dict[str, Any], record_id: UUID) -> Any:
            """Request a correction of a registered record, with reason and evidence; a second
            registrar approves it (``/api/v1/corrections/{id}/approve``)."""
            session = db_session()
            pending = corrections.request(
                session, current_actor(), event_type, str(record_id), **data, load=load_declaration
            )
            location = url_for("corrections.Request", request_id=pending.id)
            return corrections.as_document(session, pending), 201, {"Location": location}

    @blp.route("/<uuid:record_id>/delayed-approval")
    class DelayedApproval(MethodView):
        @unit_of_work
        @blp.arguments(DelayedApprovalIn())
        @blp.response(200, schema_out)
        def post(self, data: dict[str, Any], record_id: UUID) -> dict[str, Any]:
            """Approve a delayed registration (registrars at DELAYED_APPROVAL_LEVEL or above)."""
            record = delayed.approve(
                db_session(),
                settings(),
                current_actor(),
                event_type,
                str(record_id),
                data.get("note"),
            )
            return document(record)

    return blp


births = make_blueprint(EventType.BIRTH, "births", BirthIn, BirthOut)
deaths = make_blueprint(EventType.DEATH, "deaths", DeathIn, DeathOut)
