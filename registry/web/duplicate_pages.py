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

from flask import Response, redirect, request, url_for
from marshmallow import ValidationError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from registry import messages
from registry.domain import EventType, Role
from registry.errors import Conflict, PermissionDenied, ValidationFailed
from registry.extensions import db_session
from registry.models import Facility, Record
from registry.schemas.duplicates import DecisionIn
from registry.services import audit, duplicate_check, duplicates, records
from registry.services.scoping import Actor
from registry.web import auth, evidence, forms, i18n
from registry.web.blueprint import KIND_OF, bp, discard, flash_after_commit, page, unit_of_work
from registry.web.i18n import gettext
from registry.web.i18n import lazy_gettext as _l

QUEUE_SIZE = 10
CHOOSE = "Choose one of the two decisions."  # the page's words for any error of ``decision``

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
FIELDS = evidence.FIELDS
bp.add_app_template_filter(evidence.percent, "posterior")


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
                    probability=evidence.percent(item["probability"]),
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
                probability=evidence.percent(c.probability),
            ),
            "method": "get",
        }
        for c in _open_for(session, doc["id"])
    ]


def record_context(session: Session, actor: Actor, doc: dict[str, Any]) -> dict[str, Any]:
    """How many suspected duplicates of the record await a decision (shown to everyone), and
    what its declarant answered when the form warned before saving."""
    record = session.get(Record, doc["id"])
    chosen = record.declarant_duplicate_record_id if record else None
    linked = session.get(Record, chosen) if chosen else None
    said, url = None, None
    if record is not None:
        said = _declarant_said(record, linked if linked is not None else record)
    if linked is not None and linked is not record and duplicates.sees(actor, linked):
        kind = KIND_OF[EventType(linked.event_type)]
        url = url_for("web.record", kind=kind, record_id=linked.id)
    return {
        "open_duplicates": len(_open_for(session, doc["id"])),
        "declarant_said": said,
        "declarant_chose_url": url,
    }


# -- the review page ------------------------------------------------------------------------------


SUGGEST_DUPLICATE_AT = 0.90  # from this calibrated probability the suggestion is "duplicate"


def _join(*parts: Any) -> str | None:
    return " ".join(str(p) for p in parts if p) or None


def _label(choices: tuple[tuple[str, Any], ...], value: Any) -> Any:
    return next((label for key, label in choices if key == value), value)


def _as_written(session: Session, record: Record) -> tuple[dict[str, Any], list[Any]]:
    """A record's compared fields in their original spelling and case (its current version,
    not the folded values of the explanation), and the extra facts a registrar weighs."""
    version = records.current_version(session, record)
    facts = version.facts or {}
    area = record.area
    compared = {
        "given_names": version.given_names,
        "family_name": version.family_name,
        "date_of_birth": version.date_of_birth,
        "date_of_death": version.event_date if record.event_type == EventType.DEATH else None,
        "sex": _label(forms.SEX, version.sex),
        "mother": _join(version.mother_given_names, version.mother_family_name),
        "area": f"{area.name} ({area.code})",
    }
    facility = session.get(Facility, version.facility_id) if version.facility_id else None
    place = f"{facility.name} ({facility.code})" if facility else None
    if record.event_type == EventType.BIRTH:
        father, mother = facts.get("father") or {}, facts.get("mother") or {}
        extra = [
            place,
            _join(father.get("given_names"), father.get("family_name")),
            version.mother_date_of_birth,
            mother.get("national_id"),
            _label(forms.BIRTH_TYPES, version.type_of_birth),
        ]
    else:
        extra = [place, (facts.get("deceased") or {}).get("national_id")]
    return compared, extra


EXTRA_LABELS = {
    EventType.BIRTH: (
        _l("Health facility"),
        _l("Father"),
        _l("Mother's date of birth"),
        _l("Mother's identity number"),
        _l("Type of birth"),
    ),
    EventType.DEATH: (_l("Health facility"), _l("Identity number")),
}


def _comparison(
    session: Session, actor: Actor, candidate: Any, explanation: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
    """The compared rows (original values, level in words, one sentence of evidence), the
    extra rows, and the rules that applied. A side outside the actor's area shows no values.

    Showing a side in full is a read of that record, audited like the record page's.
    """
    event_type = EventType(candidate.record.event_type)
    birth = event_type is EventType.BIRTH
    sides = []
    for record in (candidate.record, candidate.existing):
        if duplicates.sees(actor, record):
            audit.record(session, actor, "read", record_id=record.id, details={"via": "review"})
            sides.append(_as_written(session, record))
        else:  # masked: its area only
            area = f"{record.area.name} ({record.area.code})"
            sides.append(({"area": area}, [None] * len(EXTRA_LABELS[event_type])))
    (left, left_extra), (right, right_extra) = sides
    rows, rules = [], []
    for entry in explanation:
        if "field" in entry:
            field, level = entry["field"], str(entry.get("level"))
            css, words = LEVELS.get(level, ("far", level))
            a, b = left.get(field), right.get(field)
            rows.append(
                {
                    "label": FIELDS.get(field, field),
                    "left": a,
                    "right": b,
                    "css": evidence.CSS.get(level, css),
                    "words": words,
                    "sentence": evidence.sentence(
                        field, level, entry.get("weight"), a, b, birth=birth
                    ),
                    "swapped": bool(entry.get("swapped")),
                    "similarity": entry.get("similarity"),
                    "weight": entry.get("weight"),
                }
            )
        elif "rule" in entry:
            rules.append(entry)
    extra = [
        {"label": label, "left": a, "right": b}
        for label, a, b in zip(EXTRA_LABELS[event_type], left_extra, right_extra, strict=True)
    ]
    return rows, extra, rules


def _declarant_said(record: Record, existing: Record) -> str | None:
    """What the declarant answered when the form warned before saving (None: not asked)."""
    choice, chosen = record.declarant_duplicate_choice, record.declarant_duplicate_record_id
    birth = record.event_type == EventType.BIRTH
    if choice == duplicate_check.SAME and chosen == record.id:
        return gettext("The declarant said: this declaration completes the notification.")
    if choice == duplicate_check.SAME and chosen == existing.id:
        if birth:
            return gettext("The declarant said: the same child as the existing record.")
        return gettext("The declarant said: the same person as the existing record.")
    if choice == duplicate_check.SAME:
        if birth:
            return gettext("The declarant said: the same child as another record.")
        return gettext("The declarant said: the same person as another record.")
    if choice == duplicate_check.DIFFERENT:
        if birth:
            return gettext("The declarant said: a different child.")
        return gettext("The declarant said: a different person.")
    if choice == duplicate_check.UNSURE:
        return gettext("The declarant could not tell.")
    return None


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
    rows, extra, rules = _comparison(session, actor, candidate, doc["explanation"])
    said = _declarant_said(candidate.record, candidate.existing)
    return page(
        "duplicate.html",
        status,
        item=doc,
        kind=KIND_OF[EventType(doc["record"]["event_type"])],
        rows=rows,
        extra=extra,
        rules=rules,
        probability=evidence.percent(doc["probability"]),
        suggested=("duplicate" if doc["probability"] >= SUGGEST_DUPLICATE_AT else "not_duplicate"),
        threshold=evidence.percent(SUGGEST_DUPLICATE_AT),
        declarant_said=said,
        errors=errors or {},
        note=note,
    )


@bp.get("/duplicates/<uuid:candidate_id>")
@auth.login_required
@unit_of_work
def duplicate(candidate_id: UUID) -> Response:
    """Two records side by side, why they were matched, and the registrar's decision."""
    return _review_page(str(candidate_id))


def _decision(note: str) -> dict[str, Any]:
    """The decision form, loaded by the API's ``DecisionIn``."""
    try:
        loaded: dict[str, Any] = DecisionIn().load(
            {"decision": request.form.get("decision", ""), "note": note or None}
        )
    except ValidationError as exc:
        errors = dict(exc.messages) if isinstance(exc.messages, dict) else {"": exc.messages}
        if "decision" in errors:
            errors["decision"] = [CHOOSE]
        raise ValidationFailed(errors=errors) from None
    return loaded


@bp.post("/duplicates/<uuid:candidate_id>/decision")
@auth.login_required
@unit_of_work
def decide_duplicate(candidate_id: UUID) -> Response | BaseResponse:
    """Store the decision: ``duplicate`` rejects the newer declaration, or ``not_duplicate``."""
    cid = str(candidate_id)
    note = request.form.get("note", "").strip()
    session = db_session()
    duplicates.get(session, auth.actor(), cid)  # role and area first, then the form
    try:
        data = _decision(note)
        decision = data["decision"]
        candidate = duplicates.decide(session, auth.actor(), cid, decision, data["note"])
        kind = KIND_OF[EventType(candidate.record.event_type)]
        kept = candidate.existing_id if decision == "duplicate" else candidate.record_id
    except (ValidationFailed, Conflict) as exc:
        discard()
        errors = i18n.translate_all(exc.errors or {"": [exc.message]})
        return _review_page(cid, errors=errors, note=note, status=exc.status_code)
    except PermissionDenied as exc:
        if exc.code == messages.REGISTERED_NEVER_REJECTED.code:
            discard()
            errors = {"decision": [i18n.translate(exc.message)]}
            return _review_page(cid, errors=errors, note=note, status=exc.status_code)
        raise
    if decision == "duplicate":
        flash_after_commit(gettext("Marked as a duplicate: the newer declaration is rejected."))
    else:
        flash_after_commit(gettext("Marked as not a duplicate: the record can be registered."))
    return redirect(url_for("web.record", kind=kind, record_id=kept), 303)
