"""Four eyes on the pages: the correction queue with approve and reject, the approval of a
delayed registration, and the confirmation page before registering.

A correction asked for on the record's "Correct" form waits here for a second registrar; a
delayed registration shows its approval button to registrars of ``DELAYED_APPROVAL_LEVEL`` or
above. The services check every rule; these views parse, call and redirect, and
``unit_of_work`` commits once.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, redirect, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from registry.domain import EventType, Role, Status
from registry.errors import Conflict, PermissionDenied, ValidationFailed
from registry.extensions import db_session, settings
from registry.models import Record
from registry.schemas.records import load_declaration
from registry.services import corrections, delayed, records
from registry.services.scoping import Actor, require_role
from registry.web import auth, forms, i18n
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

QUEUE_SIZE = 50
REASON_MAX = 2000


# -- the correction queue -------------------------------------------------------------------------


def _changes_in_words(event_type: EventType, changes: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, new value) of each changed field, labelled as on the form."""
    labels = {f.name: f.label for s in forms.sections_for(event_type) for f in s.fields}
    return [(str(labels.get(name, name)), value) for name, value in _dotted(changes)]


def _dotted(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``{"child": {"sex": "male"}}`` -> ``[("child.sex", "male")]`` (the form's names)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _dotted(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _dotted(v, f"{prefix}.{i}")]
    return [(prefix, "" if value is None else str(value))]


def _queue_page(errors: dict[str, list[str]] | None = None, status: int = 200) -> Response:
    actor, session = auth.actor(), db_session()
    found = corrections.listing(session, actor, corrections.PENDING, 1, QUEUE_SIZE)
    items = [
        item
        | {
            "kind": KIND_OF[EventType(item["event_type"])],
            "changed": _changes_in_words(EventType(item["event_type"]), item["changes"]),
            "own": item["requester"] == actor.username,
        }
        for item in found["items"]
    ]
    return page(
        "corrections.html",
        status,
        items=items,
        total=found["total"],
        errors=errors or {},
        self_allowed=settings().correction_approval == "self",
    )


@bp.get("/corrections")
@auth.login_required
@unit_of_work
def correction_queue() -> Response:
    """Corrections of your area waiting for a second registrar, oldest first."""
    require_role(auth.actor(), records.REGISTRARS)
    return _queue_page()


def _decided(request_id: str, exc: Any) -> Response:
    """The queue again, the message by the request; nothing of the decision is stored."""
    discard()
    return _queue_page({request_id: [i18n.translate(exc.message)]}, exc.status_code)


@bp.post("/corrections/<uuid:request_id>/approve")
@auth.login_required
@unit_of_work
def approve_correction(request_id: UUID) -> Response | BaseResponse:
    """Approve a correction: the record gets its new version."""
    rid, session = str(request_id), db_session()
    try:
        done = corrections.approve(session, settings(), auth.actor(), rid, load=load_declaration)
    except (PermissionDenied, Conflict, ValidationFailed) as exc:
        return _decided(rid, exc)
    flash_after_commit(gettext("The correction is approved: version %(n)s.", n=done.version))
    kind = KIND_OF[EventType(done.event_type)]
    return redirect(url_for("web.record", kind=kind, record_id=done.record_id), 303)


@bp.post("/corrections/<uuid:request_id>/reject")
@auth.login_required
@unit_of_work
def reject_correction(request_id: UUID) -> Response | BaseResponse:
    """Reject a correction, with the reason; the record stays as it is."""
    rid, session = str(request_id), db_session()
    reason = request.form.get("reason", "").strip()
    if not reason or len(reason) > REASON_MAX:
        message = gettext("Give the reason for rejecting the correction (up to 2000 characters).")
        return _queue_page({rid: [message]}, 422)
    try:
        corrections.reject(session, auth.actor(), rid, reason)
    except (PermissionDenied, Conflict) as exc:
        return _decided(rid, exc)
    flash_after_commit(gettext("The correction is rejected."))
    return redirect(url_for("web.correction_queue"), 303)


# -- delayed registrations ------------------------------------------------------------------------


@bp.post(f"/{KIND_RULE}/<uuid:record_id>/approve-delayed")
@auth.login_required
@unit_of_work
def approve_delayed(kind: str, record_id: UUID) -> Response | BaseResponse:
    """Approve a delayed registration (registrars of the approval level or above)."""
    rid, session = str(record_id), db_session()
    note = request.form.get("note", "").strip() or None
    try:
        delayed.approve(session, settings(), auth.actor(), KINDS[kind], rid, note)
    except Conflict as exc:
        discard()
        flash_after_commit(i18n.translate(exc.message), "error")
        return redirect(url_for("web.record", kind=kind, record_id=rid), 303)
    flash_after_commit(gettext("The delayed registration is approved; it may now be registered."))
    return redirect(url_for("web.record", kind=kind, record_id=rid), 303)


# -- registering: a summary, then "Register" ------------------------------------------------------


@bp.get(f"/{KIND_RULE}/<uuid:record_id>/register")
@auth.login_required
@unit_of_work
def register_confirm(kind: str, record_id: UUID) -> Response:
    """What will be registered, with the reason box of a delayed registration, and "Register"."""
    event_type, actor, session = KINDS[kind], auth.actor(), db_session()
    require_role(actor, records.REGISTRARS)
    doc = records.read(session, actor, event_type, str(record_id))
    record = session.get(Record, str(record_id))
    assert record is not None
    is_delayed = delayed.is_delayed(settings(), record)
    approved = is_delayed and delayed.approval_of(session, record) is not None
    return page(
        "register_confirm.html",
        kind=kind,
        doc=doc,
        values=forms.to_form(event_type, doc),
        sections=forms.sections_for(event_type),
        declared=doc["status"] == Status.DECLARED,
        is_delayed=is_delayed,
        approved=approved,
        level=settings().delayed_approval_level,
    )


# -- the hooks: the record page -------------------------------------------------------------------


def record_actions(session: Session, actor: Actor, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """ "Approve the delayed registration" for a registrar who may, while it awaits approval."""
    if actor.role is not Role.REGISTRAR or doc["status"] != Status.DECLARED:
        return []
    record = session.get(Record, doc["id"])
    if record is None or not delayed.is_delayed(settings(), record):
        return []
    if delayed.approval_of(session, record) is not None:
        return []
    if not delayed.may_approve(session, settings(), actor, record):
        return []
    kind = KIND_OF[EventType(doc["event_type"])]
    return [
        {
            "url": url_for("web.approve_delayed", kind=kind, record_id=doc["id"]),
            "label": gettext("Approve the delayed registration"),
            "method": "post",
        }
    ]


def record_context(session: Session, actor: Actor, doc: dict[str, Any]) -> dict[str, Any]:
    """Corrections of the record waiting for approval, and whether a delayed registration
    still needs its approval."""
    pending = corrections.pending_for(session, doc["id"])
    needs = False
    if doc["status"] == Status.DECLARED:
        record = session.get(Record, doc["id"])
        needs = bool(
            record is not None
            and delayed.is_delayed(settings(), record)
            and delayed.approval_of(session, record) is None
        )
    return {
        "pending_corrections": len(pending),
        "delayed_needs_approval": needs,
        "delayed_level": settings().delayed_approval_level,
    }
