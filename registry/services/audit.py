"""The tamper-evident audit trail.

Each event stores the SHA-256 of its predecessor and of its own canonical content. Services add
events to their transaction; just before it commits, the events are chained under the single head
row, locked with ``SELECT ... FOR UPDATE``, so concurrent transactions queue only for that last
step and the chain never forks. ``verify`` walks the chain and names the first broken link;
comparing the head with a hash kept elsewhere catches even a full re-seal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from registry.models import AuditEvent, AuditHead
from registry.services.dialect import insert_ignore
from registry.services.scoping import Actor

GENESIS = "0" * 64
HEAD_ID = 1
EVENT_COLUMNS = (
    "seq", "at", "user_id", "username", "role", "area_code", "action", "record_id", "reason",
    "details", "prev_hash", "hash",
)  # fmt: skip


def canonical(event: AuditEvent) -> bytes:
    """The bytes that an event's hash covers: every field but the hash itself."""
    content = {
        "seq": event.seq,
        "at": event.at,
        "user_id": event.user_id,
        "username": event.username,
        "role": event.role,
        "area_code": event.area_code,
        "action": event.action,
        "record_id": event.record_id,
        "reason": event.reason,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


HEAD_FOR_UPDATE = (
    select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID).with_for_update()
)


EVENTS_INSERT = insert(AuditEvent)
HEAD_MOVE = (
    update(AuditHead)
    .where(AuditHead.id == HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)

EVENT_INSERT_MOVING_HEAD = insert(AuditEvent).add_cte(HEAD_MOVE.cte("head_moved"))


def _locked_head(session: Session) -> tuple[int, str]:
    """The head's sequence number and hash, its row locked until the transaction ends."""
    conn = session.connection()
    head = conn.execute(HEAD_FOR_UPDATE).first()
    if head is None:
        conn.execute(insert_ignore(session, AuditHead, {"id": HEAD_ID, "seq": 0, "hash": GENESIS}))
        head = conn.execute(HEAD_FOR_UPDATE).one()
    return int(head.seq), str(head.hash)


PENDING = "crvs.audit.pending"


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    record_id: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    username: str | None = None,
) -> AuditEvent:
    """Add one event to the caller's transaction; it joins the chain when that transaction commits.

    The event's time is taken now. Its place in the chain (sequence number and hashes) is given
    in ``seal`` just before the commit, so the head row is locked only for the last moment of
    the transaction and writers do not queue behind each other's whole requests. If the
    transaction rolls back, the event goes with it.
    """
    event = AuditEvent(
        at=datetime.now(UTC).isoformat(timespec="microseconds"),
        user_id=actor.user_id if actor else None,
        username=actor.username if actor else username,
        role=actor.role.value if actor else None,
        area_code=actor.area_code if actor else None,
        action=action,
        record_id=record_id,
        reason=reason,
        details=json.dumps(details or {}, sort_keys=True, separators=(",", ":"), default=str),
    )
    session.info.setdefault(PENDING, []).append(event)
    return event


def seal(session: Session) -> None:
    """Chain the transaction's pending events under the locked head row (before commit).

    The transaction's other changes are flushed first, so the lock is held only for two short
    statements and the commit: lock the head, then insert the event and move the head (one
    statement on PostgreSQL, where the head's update is a CTE of the insert; two when a
    transaction has several events, and on SQLite, whose writers queue on the database lock).
    """
    pending: list[AuditEvent] = session.info.pop(PENDING, [])
    if not pending:
        return
    session.flush()
    seq, prev = _locked_head(session)
    rows = []
    for event in pending:
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = event_hash(event)
        rows.append({column: getattr(event, column) for column in EVENT_COLUMNS})
    conn = session.connection()
    moved = {"new_seq": seq, "new_hash": prev}
    if conn.dialect.name == "postgresql" and len(rows) == 1:  # the common case
        conn.execute(EVENT_INSERT_MOVING_HEAD, rows[0] | moved)
    else:
        conn.execute(EVENTS_INSERT, rows)
        conn.execute(HEAD_MOVE, moved)


def discard(session: Session) -> None:
    """Forget the pending events of a transaction that rolled back."""
    session.info.pop(PENDING, None)


@sa_event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    seal(session)


@sa_event.listens_for(Session, "after_rollback")
def _discard_after_rollback(session: Session) -> None:
    discard(session)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head_hash: str
    broken_seq: int | None = None
    problem: str | None = None


def _walk(events: Iterable[AuditEvent]) -> Verification:
    """Follow the links from the genesis hash; stop at the first broken one."""
    prev, checked = GENESIS, 0
    for event in events:
        expected_seq = checked + 1
        if event.seq != expected_seq:
            problem = f"event {expected_seq} is missing"
            return Verification(False, checked, prev, expected_seq, problem)
        if event.prev_hash != prev:
            problem = f"event {event.seq} does not follow event {event.seq - 1}"
            return Verification(False, checked, prev, event.seq, problem)
        if event_hash(event) != event.hash:
            problem = f"event {event.seq} was altered after it was written"
            return Verification(False, checked, prev, event.seq, problem)
        prev, checked = event.hash, checked + 1
    return Verification(True, checked, prev)


def verify(session: Session, expect_head: str | None = None) -> Verification:
    """Walk the chain from the start; report the first event whose link or content is broken.

    The head row must end where the chain ends (removing the newest events is caught), and,
    given ``expect_head`` (a hash kept outside the database), so must the chain (a full re-seal
    is caught).
    """
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    with closing(session.scalars(stmt)) as events:
        walked = _walk(events)
    if not walked.ok:
        return walked
    checked, last = walked.checked, walked.head_hash
    head_seq, head_hash = head(session)
    if head_seq != checked or head_hash != last:
        broken = checked + 1 if head_seq > checked else head_seq
        problem = (
            f"the chain ends at event {checked} but its head says {head_seq}: events were removed"
        )
        return Verification(False, checked, last, broken, problem)
    if expect_head is not None and expect_head.strip().lower() != last:
        return Verification(
            False, checked, last, None, "the head differs from the hash kept elsewhere"
        )
    return walked


def head(session: Session) -> tuple[int, str]:
    row = session.get(AuditHead, HEAD_ID)
    return (row.seq, row.hash) if row else (0, GENESIS)
