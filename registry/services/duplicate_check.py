"""Before saving: the records a declaration would be matched with, and the declarant's answer.

``check`` resolves the facts exactly as a declaration would (same codes, same area rule), scores
them against the register with ``duplicates.score`` (the same blocking keys, weights and review
threshold as a saved declaration) and gives each candidate as its author may see it: in full when
the record lies in the author's area, masked otherwise (area, registration number, the level of
agreement of each field; no names, dates or ids). Nothing of the declaration is stored: no record,
no blocking key, no suspected duplicate. Showing an in-area record's names and dates is a read of
personal data, so each one shown is audited (``duplicate_check``, one event per record shown);
masked candidates reveal nobody and are not.

``declare_with_choice`` saves the declaration with the declarant's answer to what was shown:
"same" child as a visible record, a "different" child, or "unsure" (a registrar decides).
"Same" as a notification completes that notification (the completion path of
``records.update_declaration``); "same" as a declared or registered record stores the new
declaration as a suspected duplicate of it, for a registrar to decide: it is never merged
silently. The answer is kept on the record and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.domain import EventType, Status
from registry.errors import ValidationFailed
from registry.models import Area, DuplicateCandidate, Record, RecordVersion
from registry.services import audit, duplicates, records
from registry.services.scoping import Actor

SAME, DIFFERENT, UNSURE = "same", "different", "unsure"
CHOICES = (SAME, DIFFERENT, UNSURE)


@dataclass(frozen=True)
class Found:
    """One candidate of a check, with what scoring said and the record as stored."""

    hit: duplicates.Scored
    record: Record
    version: RecordVersion
    area_code: str
    visible: bool


def _evidence(hit: duplicates.Scored, *, full: bool) -> list[dict[str, Any]]:
    fields = [e for e in hit.candidate.explain() if "field" in e]
    if full:
        return [{"field": e["field"], "level": e["level"], "weight": e["weight"]} for e in fields]
    return [{"field": e["field"], "level": e["level"]} for e in fields]


def _as_shown(session: Session, actor: Actor, found: Found) -> dict[str, Any]:
    """A candidate through ``duplicates.visible_summary`` (the one masking rule), with the
    evidence: levels and weights in the actor's area, levels alone outside it."""
    summary = duplicates.visible_summary(session, actor, found.record, found.version)
    shown = summary | {
        "visible": found.visible,
        "evidence": _evidence(found.hit, full=found.visible),
    }
    if found.visible:
        shown["probability"] = found.hit.candidate.probability
        shown["completes"] = found.record.status == Status.NOTIFIED
    return shown


def find(
    session: Session, actor: Actor, event_type: EventType, facts: dict[str, Any]
) -> list[Found]:
    """The records a declaration of ``facts`` would be matched with, best first (not audited)."""
    record, version, area = records.unsaved(session, actor, event_type, facts)
    hits = duplicates.score(
        session, record, version, area.code, event_type, threshold=duplicates.REVIEW_THRESHOLD
    )
    if not hits:
        return []
    stmt = (
        select(Record, RecordVersion, Area.code)
        .join(
            RecordVersion,
            (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.version),
        )
        .join(Area, Area.id == Record.area_id)
        .where(Record.id.in_([h.record_id for h in hits]))
    )
    stored: dict[str, tuple[Record, RecordVersion, str]] = {
        found.id: (found, current, code) for found, current, code in session.execute(stmt)
    }
    out = []
    for hit in hits:
        if hit.record_id in stored:
            found, current, code = stored[hit.record_id]
            out.append(Found(hit, found, current, code, duplicates.sees(actor, found)))
    return out


def shown(session: Session, actor: Actor, found: list[Found]) -> list[dict[str, Any]]:
    """The candidates as the actor may see them; each in-area record shown is audited."""
    for item in found:
        if item.visible:
            audit.record(
                session,
                actor,
                "duplicate_check",
                record_id=item.record.id,
                details={"probability": round(item.hit.candidate.probability, 4)},
            )
    return [_as_shown(session, actor, f) for f in found]


def check(
    session: Session, actor: Actor, event_type: EventType, facts: dict[str, Any]
) -> dict[str, Any]:
    """``POST /api/v1/{births,deaths}/check``: the candidates, visible or masked."""
    return {"candidates": shown(session, actor, find(session, actor, event_type, facts))}


def declare_with_choice(
    session: Session,
    actor: Actor,
    event_type: EventType,
    facts: dict[str, Any],
    choice: str,
    chosen_id: str | None,
) -> Record:
    """Save a declaration with the declarant's answer to the candidates a check showed.

    ``choice`` is "same" (``chosen_id`` names a record in the actor's area that the check finds
    now), "different" or "unsure". Returns the record saved: the completed notification itself
    when the chosen record was a notification, else the new declaration.
    """
    if choice not in CHOICES:
        raise ValidationFailed(errors={"duplicate_choice": ["Choose one of the answers."]})
    visible = {f.record.id: f for f in find(session, actor, event_type, facts) if f.visible}
    chosen: Found | None = None
    if choice == SAME:
        chosen = visible.get(chosen_id or "")
        if chosen is None:
            raise ValidationFailed(
                errors={"duplicate_choice": ["The record chosen is not among those found."]}
            )
    if chosen is not None and chosen.record.status == Status.NOTIFIED:
        saved = records.update_declaration(session, actor, event_type, chosen.record.id, facts)
    else:
        # Notifications shown and not chosen are not completed silently: a registrar decides.
        shown = frozenset(
            f.record.id for f in visible.values() if f.record.status == Status.NOTIFIED
        )
        saved = records.declare(session, actor, event_type, facts, not_completing=shown)
        if chosen is not None:
            _pair_for_registrar(session, saved, chosen)
    saved.declarant_duplicate_choice = choice
    saved.declarant_duplicate_record_id = chosen.record.id if chosen else None
    audit.record(
        session,
        actor,
        "duplicate_choice",
        record_id=saved.id,
        details={"choice": choice, "record": chosen.record.id if chosen else None},
    )
    session.flush()
    return saved


def _pair_for_registrar(session: Session, saved: Record, chosen: Found) -> None:
    """The declarant says "the same child": the pair waits for a registrar's decision.

    Saving already flagged it when it still scores above the threshold; if not (the register
    moved since the check), it is flagged here with the check's score.
    """
    for candidate in duplicates.for_record(session, saved.id):
        if candidate.existing_id == chosen.record.id:
            return
    session.add(
        DuplicateCandidate(
            record_id=saved.id,
            existing_id=chosen.record.id,
            probability=chosen.hit.candidate.probability,
            match_weight=chosen.hit.candidate.match_weight,
            explanation=chosen.hit.candidate.explain(),
            status="open",
        )
    )
