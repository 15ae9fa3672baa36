"""Suspected duplicates: the work-queue list, the side-by-side review and the decision.

The dedupe service stores, for every suspected pair, a field-by-field explanation (the two values,
the level of agreement and its weight). The review page lays the two records side by side from
that explanation, says in words how far each field agrees (colour is only a second cue), and
lets a registrar decide "duplicate" (the newer declaration is rejected and linked) or "not a
duplicate" (the newer one may then be registered). The service scopes every step to the
registrar's area and writes the audit event.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, flash, redirect, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from registry.domain import EventType, Role
from registry.errors import Conflict, PermissionDenied, ValidationFailed
from registry.extensions import db_session
from registry.services import duplicates
from registry.services.scoping import Actor
from registry.web import auth, hooks, messages
from registry.web.blueprint import KIND_OF, bp, page
from registry.web.i18n import gettext
from registry.web.i18n import lazy_gettext as _l

QUEUE_SIZE = 10
NOTE_MAX = 2000

#: How each agreement level is said in words (the colour of the row is only a second cue).
LEVELS = {
    "exact": ("same", _l("same")),
    "close": ("close", _l("close")),
    "phonetic": ("close", _l("sounds alike")),
    "transposed": ("close", _l("day and month swapped")),
    "year": ("far", _l("same year only")),
    "far": ("far", _l("far apart")),
    "else": ("different", _l("different")),
    "missing": ("missing", _l("missing on one side")),
}
FIELDS = {
    "given_names": _l("Given names"),
    "family_name": _l("Family name"),
    "date_of_birth": _l("Date of birth"),
    "date_of_death": _l("Date of death"),
    "sex": _l("Sex"),
    "mother": _l("Mother"),
    "area": _l("Area"),
}


def _percent(probability: float) -> str:
    return f"{probability * 100:.0f} %"


def _person(summary: dict[str, Any]) -> str:
    if summary.get("masked"):
        return gettext("a record of %(area)s", area=summary["area_name"])
    name = " ".join(p for p in (summary.get("given_names"), summary.get("family_name")) if p)
    return name or gettext("(no name yet)")


# -- the hooks: the work queue and the record page ------------------------------------------------


def queue_rows(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Open suspected duplicates of the registrar's area, newest first."""
    if actor.role is not Role.REGISTRAR:
        return []
    found = duplicates.listing(session, actor, "open", 1, QUEUE_SIZE)
    rows = []
    for item in found["items"]:
        newer, existing = item["record"], item["existing"]
        rows.append(
            {
                "url": url_for("web.duplicate", candidate_id=item["id"]),
                "label": gettext(
                    "%(newer)s may be %(existing)s",
                    newer=_person(newer),
                    existing=_person(existing),
                ),
                "detail": gettext(
                    "%(probability)s likely · %(date)s · %(area)s",
                    probability=_percent(item["probability"]),
                    date=newer.get("event_date") or existing.get("event_date") or "",
                    area=newer["area_code"],
                ),
            }
        )
    return rows


def _open_for(session: Session, record_id: str) -> list[Any]:
    return [c for c in duplicates.for_record(session, record_id) if c.status == "open"]


def record_actions(session: Session, actor: Actor, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A link to the review of each open suspected duplicate of the record (registrars)."""
    if actor.role is not Role.REGISTRAR:
        return []
    return [
        {
            "url": url_for("web.duplicate", candidate_id=c.id),
            "label": gettext(
                "Decide on a suspected duplicate (%(probability)s likely)",
                probability=_percent(c.probability),
            ),
            "method": "get",
        }
        for c in _open_for(session, doc["id"])
    ]


def record_context(session: Session, actor: Actor, doc: dict[str, Any]) -> dict[str, Any]:
    """How many suspected duplicates of the record await a decision (shown to everyone)."""
    return {"open_duplicates": len(_open_for(session, doc["id"]))}


hooks.duplicate_queue.append(queue_rows)
hooks.record_actions.append(record_actions)
hooks.record_context.append(record_context)


# -- the review page ------------------------------------------------------------------------------


def _comparison(explanation: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Rows for the field table and the rules that applied, from the stored explanation."""
    rows, rules = [], []
    for entry in explanation:
        if "field" in entry:
            css, words = LEVELS.get(str(entry.get("level")), ("far", entry.get("level")))
            if entry.get("left") in (None, "") or entry.get("right") in (None, ""):
                css, words = LEVELS["missing"]
            rows.append(
                {
                    "label": FIELDS.get(entry["field"], entry["field"]),
                    "left": entry.get("left"),
                    "right": entry.get("right"),
                    "css": css,
                    "words": words,
                    "swapped": bool(entry.get("swapped")),
                    "similarity": entry.get("similarity"),
                    "weight": entry.get("weight"),
                }
            )
        elif "rule" in entry:
            rules.append(entry)
    return rows, rules


def _review_page(
    candidate_id: str,
    *,
    errors: dict[str, list[str]] | None = None,
    note: str = "",
    status: int = 200,
) -> Response:
    actor, session = auth.actor(), db_session()
    candidate = duplicates.get(session, actor, candidate_id)
    doc = duplicates.as_document(session, candidate, actor)
    rows, rules = _comparison(doc["explanation"])
    session.commit()
    return page(
        "duplicate.html",
        status,
        item=doc,
        kind=KIND_OF[EventType(doc["record"]["event_type"])],
        rows=rows,
        rules=rules,
        probability=_percent(doc["probability"]),
        errors=errors or {},
        note=note,
    )


@bp.get("/duplicates/<uuid:candidate_id>")
@auth.login_required
def duplicate(candidate_id: UUID) -> Response:
    """Two records side by side, why they were matched, and the registrar's decision."""
    return _review_page(str(candidate_id))


@bp.post("/duplicates/<uuid:candidate_id>/decision")
@auth.login_required
def decide_duplicate(candidate_id: UUID) -> Response | BaseResponse:
    """Store the decision: ``duplicate`` rejects the newer declaration, or ``not_duplicate``."""
    cid = str(candidate_id)
    decision = request.form.get("decision", "")
    note = request.form.get("note", "").strip()
    session = db_session()
    duplicates.get(session, auth.actor(), cid)  # role and area first, then the form
    try:
        if len(note) > NOTE_MAX:
            raise ValidationFailed(errors={"note": ["Longer than maximum length 2000."]})
        if decision not in duplicates.DECISIONS:
            raise ValidationFailed(errors={"decision": ["Choose one of the two decisions."]})
        candidate = duplicates.decide(session, auth.actor(), cid, decision, note or None)
        kind = KIND_OF[EventType(candidate.record.event_type)]
        kept = candidate.existing_id if decision == "duplicate" else candidate.record_id
        session.commit()
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        errors = messages.translate_all(exc.errors or {"": [exc.message]})
        return _review_page(cid, errors=errors, note=note, status=exc.status_code)
    except PermissionDenied as exc:
        if exc.message.startswith("A registered record"):
            session.rollback()
            errors = {"decision": [messages.translate(exc.message)]}
            return _review_page(cid, errors=errors, note=note, status=exc.status_code)
        raise
    if decision == "duplicate":
        flash(gettext("Marked as a duplicate: the newer declaration is rejected."), "success")
    else:
        flash(gettext("Marked as not a duplicate: the record can be registered."), "success")
    return redirect(url_for("web.record", kind=kind, record_id=kept), 303)
