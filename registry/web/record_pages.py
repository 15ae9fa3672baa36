"""Declaring, reading and acting on birth and death records.

Each view parses the form, validates it with the API's own marshmallow schema, calls the records
service and renders; ``unit_of_work`` commits once. A validation failure stores nothing and
renders the same form again with every value kept and each message next to its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from flask import Response, redirect, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from registry.domain import EventType, Role, Status
from registry.errors import Conflict, PermissionDenied, ValidationFailed
from registry.extensions import db_session, settings
from registry.messages import CHOOSE_ANSWER
from registry.models import Record
from registry.schemas.common import load
from registry.schemas.records import CorrectionIn, RegisterIn, RejectIn, load_declaration
from registry.services import audit, corrections, duplicate_check, records
from registry.services.scoping import Actor, require_role
from registry.web import auth, evidence, forms, hooks, i18n
from registry.web.blueprint import (
    KIND_OF,
    KIND_RULE,
    KINDS,
    bp,
    discard,
    flash_after_commit,
    page,
    unit_of_work,
)
from registry.web.i18n import gettext

CORRECTION_FIELDS = ("reason", "evidence", "requested_by")


def _load(event_type: EventType, facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as the API would load them; ValidationFailed carries marshmallow's messages."""
    return load_declaration(event_type, facts)


def _form_errors(event_type: EventType, errors: Any) -> dict[str, list[str]]:
    placed = forms.place_errors(forms.flatten_errors(errors), event_type)
    return i18n.translate_all(placed)


def _form_page(
    event_type: EventType,
    *,
    mode: str,
    values: Mapping[str, str],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    record: dict[str, Any] | None = None,
    candidates: list[dict[str, Any]] | None = None,
) -> Response:
    return page(
        "declare.html",
        status,
        event_type=event_type,
        kind=KIND_OF[event_type],
        mode=mode,
        notification=forms.NOTIFICATION,
        sections=forms.sections_for(event_type),
        values=values,
        errors=errors or {},
        record=record,
        candidates=candidates,
    )


# -- declaring ------------------------------------------------------------------------------------


def _defaults(event_type: EventType) -> dict[str, str]:
    """A clerk of a health facility usually declares events that happened there."""
    facility = auth.own_facility()
    if event_type is EventType.BIRTH and facility and auth.actor().role is Role.CLERK:
        return {"place.type": "health_facility", "place.facility_code": facility}
    return {}


@bp.route(f"/{KIND_RULE}/new", methods=["GET", "POST"])
@auth.login_required
@unit_of_work
def declare(kind: str) -> Response | BaseResponse:
    """Declare (or notify) a birth or a death."""
    event_type = KINDS[kind]
    actor = auth.actor()
    require_role(actor, records.DECLARERS)
    if request.method == "GET":
        return _form_page(event_type, mode="declare", values=_defaults(event_type))
    session = db_session()
    facts: dict[str, Any] | None = None
    try:
        facts = _load(event_type, forms.to_facts(event_type, request.form))
        record = _declare_or_warn(session, actor, event_type, facts)
        if isinstance(record, Response):
            return record
    except (ValidationFailed, PermissionDenied, Conflict) as exc:
        discard()
        errors = _form_errors(event_type, exc.errors or {"_schema": [exc.message]})
        if "duplicate_choice" in (exc.errors or {}) and facts is not None:
            return _warning_page(session, actor, event_type, facts, errors, exc.status_code)
        status = exc.status_code
        return _form_page(
            event_type, mode="declare", values=request.form, errors=errors, status=status
        )
    flash_after_commit(gettext("The record is saved."))
    return redirect(url_for("web.record", kind=kind, record_id=record.id), 303)


def _declare_or_warn(
    session: Session, actor: Actor, event_type: EventType, facts: dict[str, Any]
) -> Record | Response:
    """Save the declaration, or first show the records it may duplicate.

    The first submission of a declaration runs the duplicate check; when it finds records, the
    form comes back with them and the clerk's answer ("the same child as record N", "a
    different child", "cannot tell"), which the next submission saves with the declaration.
    """
    answer = request.form.get("duplicate_choice", "")
    if answer:
        choice, _, chosen = answer.partition(":")
        return duplicate_check.declare_with_choice(
            session, actor, event_type, facts, choice, chosen or None
        )
    if request.form.get("duplicate_checked"):
        raise ValidationFailed(errors={"duplicate_choice": [CHOOSE_ANSWER]})
    if not facts.get("notification"):
        found = duplicate_check.find(session, actor, event_type, facts)
        if found:
            return _warning_page(session, actor, event_type, facts, {}, 200, found)
    return records.declare(session, actor, event_type, facts)


def _warning_page(
    session: Session,
    actor: Actor,
    event_type: EventType,
    facts: dict[str, Any],
    errors: dict[str, list[str]],
    status: int,
    found: list[duplicate_check.Found] | None = None,
) -> Response:
    """The form again, its values kept, with the possible existing records above it."""
    if found is None:
        found = duplicate_check.find(session, actor, event_type, facts)
    candidates = duplicate_check.shown(session, actor, found)  # audits what it shows
    birth = event_type is EventType.BIRTH
    for candidate in candidates:
        candidate["sentences"] = [
            evidence.sentence(e["field"], e["level"], e.get("weight"), None, None, birth=birth)
            for e in candidate["evidence"]
        ]
    return _form_page(
        event_type,
        mode="declare",
        values=request.form,
        errors=errors,
        status=status,
        candidates=candidates,
    )


# -- the record page ------------------------------------------------------------------------------


def _labels(event_type: EventType) -> dict[str, forms.Field]:
    return {field.name: field for field in forms.all_fields(event_type)}


def _versions(history: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    previous: dict[str, Any] | None = None
    for version in history["versions"]:
        changed = forms.diff(previous, version["facts"]) if previous is not None else []
        out.append(version | {"changed": changed})
        previous = version["facts"]
    return list(reversed(out))


def _actions(actor: Actor, doc: dict[str, Any]) -> dict[str, bool]:
    status = Status(doc["status"])
    registrar = actor.role is Role.REGISTRAR
    return {
        "edit": actor.role in records.DECLARERS and status is not Status.REGISTERED,
        "register": registrar and status is Status.DECLARED,
        "reject": registrar and status in (Status.NOTIFIED, Status.DECLARED),
        "correct": registrar and status is Status.REGISTERED,
    }


def _record_page(
    event_type: EventType,
    record_id: str,
    *,
    action_errors: dict[str, list[str]] | None = None,
    action_values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    actor = auth.actor()
    session = db_session()
    doc = records.read(session, actor, event_type, record_id)
    history = records.history(session, actor, event_type, record_id)
    trail = audit.trail(session, actor, record_id)
    extra = [a for provider in hooks.record_actions for a in provider(session, actor, doc)]
    more: dict[str, Any] = {}
    for provider in hooks.record_context:
        more |= provider(session, actor, doc)
    return page(
        "record.html",
        status,
        event_type=event_type,
        kind=KIND_OF[event_type],
        doc=doc,
        values=forms.to_form(event_type, doc),
        sections=forms.sections_for(event_type),
        labels=_labels(event_type),
        versions=_versions(history),
        trail=trail,
        actions=_actions(actor, doc),
        extra_actions=extra,
        action_errors=action_errors or {},
        action_values=action_values or {},
        **more,
    )


@bp.get(f"/{KIND_RULE}/<uuid:record_id>")
@auth.login_required
@unit_of_work
def record(kind: str, record_id: UUID) -> Response:
    """A record: its current facts, versions, audit trail and the actions open to you."""
    return _record_page(KINDS[kind], str(record_id))


def _action_failed(event_type: EventType, record_id: str, name: str, exc: Any) -> Response:
    """The record page again, the action's messages by its form; nothing of it is stored."""
    discard()
    flat = forms.flatten_errors(exc.errors) if getattr(exc, "errors", None) else {}
    if not flat:
        flat = {"": [exc.message]}
    errors = {f"{name}.{key}" if key else name: value for key, value in flat.items()}
    return _record_page(
        event_type,
        record_id,
        action_errors=i18n.translate_all(errors),
        action_values={f"{name}.{k}": v for k, v in request.form.items()},
        status=exc.status_code,
    )


def _schema_args(schema: Any) -> dict[str, Any]:
    raw = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
    return load(schema, raw)


@bp.post(f"/{KIND_RULE}/<uuid:record_id>/register")
@auth.login_required
@unit_of_work
def register(kind: str, record_id: UUID) -> Response | BaseResponse:
    """Register a declared record (a delayed registration needs a reason)."""
    event_type, rid = KINDS[kind], str(record_id)
    try:
        args = _schema_args(RegisterIn())
        done = records.register(
            db_session(), settings(), auth.actor(), event_type, rid, reason=args.get("reason")
        )
    except (ValidationFailed, Conflict) as exc:
        return _action_failed(event_type, rid, "register", exc)
    flash_after_commit(gettext("Registered as %(number)s.", number=done.registration_number))
    return redirect(url_for("web.record", kind=kind, record_id=rid), 303)


@bp.post(f"/{KIND_RULE}/<uuid:record_id>/reject")
@auth.login_required
@unit_of_work
def reject(kind: str, record_id: UUID) -> Response | BaseResponse:
    """Reject a notification or declaration, with the reason."""
    event_type, rid = KINDS[kind], str(record_id)
    try:
        args = _schema_args(RejectIn())
        records.reject(db_session(), auth.actor(), event_type, rid, args["reason"])
    except (ValidationFailed, Conflict) as exc:
        return _action_failed(event_type, rid, "reject", exc)
    flash_after_commit(gettext("The record is rejected; the declarant can fix and resubmit it."))
    return redirect(url_for("web.record", kind=kind, record_id=rid), 303)


# -- amending a declaration and correcting a registered record ------------------------------------


@bp.route(f"/{KIND_RULE}/<uuid:record_id>/edit", methods=["GET", "POST"])
@auth.login_required
@unit_of_work
def edit(kind: str, record_id: UUID) -> Response | BaseResponse:
    """Complete a notification, amend a declaration or fix and resubmit a rejected one."""
    event_type, rid = KINDS[kind], str(record_id)
    actor, session = auth.actor(), db_session()
    if request.method == "GET":
        doc = records.read(session, actor, event_type, rid)
        return _form_page(
            event_type, mode="edit", values=forms.to_form(event_type, doc), record=doc
        )
    try:
        facts = _load(event_type, forms.to_facts(event_type, request.form))
        records.update_declaration(session, actor, event_type, rid, facts)
    except (ValidationFailed, PermissionDenied, Conflict) as exc:
        discard()
        doc = records.read(session, actor, event_type, rid)
        errors = _form_errors(event_type, exc.errors or {"_schema": [exc.message]})
        return _form_page(
            event_type,
            mode="edit",
            values=request.form,
            errors=errors,
            status=exc.status_code,
            record=doc,
        )
    flash_after_commit(gettext("The declaration is saved."))
    return redirect(url_for("web.record", kind=kind, record_id=rid), 303)


@bp.route(f"/{KIND_RULE}/<uuid:record_id>/correct", methods=["GET", "POST"])
@auth.login_required
@unit_of_work
def correct(kind: str, record_id: UUID) -> Response | BaseResponse:
    """Request a correction of a registered record, with the reason, evidence and who asked;
    it becomes a new version when a second registrar approves it (``/corrections``)."""
    event_type, rid = KINDS[kind], str(record_id)
    actor, session = auth.actor(), db_session()
    require_role(actor, records.REGISTRARS)
    doc = records.read(session, actor, event_type, rid)
    if request.method == "GET":
        return _form_page(
            event_type, mode="correct", values=forms.to_form(event_type, doc), record=doc
        )
    try:
        facts = _load(event_type, forms.to_facts(event_type, request.form))
        changes = corrections.changes_to(session, actor, event_type, rid, facts)
        given = {k: request.form.get(k, "").strip() for k in CORRECTION_FIELDS}
        body = {"changes": changes} | {k: v for k, v in given.items() if v}
        asked = load(CorrectionIn(), body)
        corrections.request(session, actor, event_type, rid, **asked, load=load_declaration)
    except (ValidationFailed, PermissionDenied, Conflict) as exc:
        discard()
        raw = dict(exc.errors or {"_schema": [exc.message]})
        own = {f"correction.{k}": raw.pop(k) for k in CORRECTION_FIELDS if k in raw}
        changes = raw.pop("changes", None)
        if isinstance(changes, dict):
            raw |= changes  # the service reports the merged facts under "changes"
        elif changes:
            raw.setdefault("_schema", []).extend(changes)
        errors = _form_errors(event_type, raw) | i18n.translate_all(own)
        return _form_page(
            event_type,
            mode="correct",
            values=request.form,
            errors=errors,
            status=exc.status_code,
            record=doc,
        )
    flash_after_commit(gettext("The correction is requested; a second registrar approves it."))
    return redirect(url_for("web.record", kind=kind, record_id=rid), 303)
