"""Before saving: the records a declaration would be matched with, and the declarant's answer.

``check`` resolves the facts exactly as a declaration would (same codes, same area rule) and
scores them against the register (``records.check_duplicates``: ``duplicates.score`` with the
same blocking keys, weights and review threshold as a saved declaration), and gives each
candidate as its author may see it: in full when the record lies in the author's area, masked
otherwise (area, registration number, the level of agreement of each field; no names, dates or
ids). Nothing of the declaration is stored: no record, no blocking key, no suspected duplicate.
Showing an in-area record's names and dates is a read of personal data, so each one shown is
audited (``duplicate_check``, one event per record shown); masked candidates reveal nobody and
are not.

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

from sqlalchemy.orm import Session

from registry import messages
from registry.domain import EventType, Status
from registry.errors import ValidationFailed
from registry.models import DuplicateCandidate, Record
from registry.services import audit, duplicates, records
from registry.services.scoping import Actor

SAME, DIFFERENT, UNSURE = "same", "different", "unsure"
CHOICES = (SAME, DIFFERENT, UNSURE)


@dataclass(frozen=True)
class Found:
    """One candidate of a check: a ``duplicates.preview`` item (``probability``,
    ``match_weight``, ``explanation`` with a hidden side's values removed, ``existing`` as
    ``duplicates.visible_summary`` shows it to the author, ``completes``)."""

    item: dict[str, Any]

    @property
    def visible(self) -> bool:
        return not self.item["existing"]["masked"]

    @property
    def record_id(self) -> str:
        record_id: str = self.item["existing"]["id"]
        return record_id

    @property
    def notification(self) -> bool:
        return bool(self.item["existing"]["status"] == Status.NOTIFIED)


def _evidence(found: Found) -> list[dict[str, Any]]:
    fields = [e for e in found.item["explanation"] if "field" in e]
    if found.visible:
        return [{"field": e["field"], "level": e["level"], "weight": e["weight"]} for e in fields]
    return [{"field": e["field"], "level": e["level"]} for e in fields]


def _as_shown(found: Found) -> dict[str, Any]:
    """The candidate as its author may see it, with the evidence: levels and weights in the
    author's area, levels alone outside it (the summary is already masked there)."""
    shown: dict[str, Any] = dict(found.item["existing"])
    shown |= {"visible": found.visible, "evidence": _evidence(found)}
    if found.visible:
        shown["probability"] = found.item["probability"]
        shown["completes"] = found.item["completes"]
    return shown


def find(
    session: Session, actor: Actor, event_type: EventType, facts: dict[str, Any]
) -> list[Found]:
    """The records a declaration of ``facts`` would be matched with, best first (not audited):
    ``records.check_duplicates``, the same look-up and scoring as a saved declaration."""
    return [Found(item) for item in records.check_duplicates(session, actor, event_type, facts)]


def shown(session: Session, actor: Actor, found: list[Found]) -> list[dict[str, Any]]:
    """The candidates as the actor may see them; each in-area record shown is audited."""
    for candidate in found:
        if candidate.visible:
            audit.record(
                session,
                actor,
                "duplicate_check",
                record_id=candidate.record_id,
                details={"probability": round(candidate.item["probability"], 4)},
            )
    return [_as_shown(f) for f in found]


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
        raise ValidationFailed(errors={"duplicate_choice": [messages.CHOOSE_ANSWER]})
    visible = {f.record_id: f for f in find(session, actor, event_type, facts) if f.visible}
    chosen: Found | None = None
    if choice == SAME:
        chosen = visible.get(chosen_id or "")
        if chosen is None:
            raise ValidationFailed(errors={"duplicate_choice": [messages.CHOSEN_NOT_FOUND]})
    if chosen is not None and chosen.notification:
        saved = records.update_declaration(session, actor, event_type, chosen.record_id, facts)
    else:
        # Notifications shown and not chosen are not completed silently: a registrar decides.
        others = frozenset(f.record_id for f in visible.values() if f.notification)
        saved = records.declare(session, actor, event_type, facts, not_completing=others)
        if chosen is not None:
            _pair_for_registrar(session, saved, chosen)
    saved.declarant_duplicate_choice = choice
    saved.declarant_duplicate_record_id = chosen.record_id if chosen else None
    audit.record(
        session,
        actor,
        "duplicate_choice",
        record_id=saved.id,
        details={"choice": choice, "record": chosen.record_id if chosen else None},
    )
    session.flush()
    return saved


def _pair_for_registrar(session: Session, saved: Record, chosen: Found) -> None:
    """The declarant says "the same child": the pair waits for a registrar's decision.

    Saving already flagged it when it still scores above the threshold; if not (the register
    moved since the check), it is flagged here with the check's score.
    """
    for candidate in duplicates.for_record(session, saved.id):
        if candidate.existing_id == chosen.record_id:
            return
    session.add(
        DuplicateCandidate(
            record_id=saved.id,
            existing_id=chosen.record_id,
            probability=chosen.item["probability"],
            match_weight=chosen.item["match_weight"],
            explanation=chosen.item["explanation"],
            status="open",
        )
    )
