"""The tamper-evident audit trail.

Each event stores the SHA-256 of its predecessor and of its own canonical content. Services add
events to their transaction; just before it commits, the events are chained under the single head
row, locked with ``SELECT ... FOR UPDATE``, so concurrent transactions queue only for that last
step and the chain never forks. On PostgreSQL the lock is waited for at most ``lock_timeout``
(``DB_LOCK_TIMEOUT_MS``); past it the request gives up with ``Busy`` (503 with Retry-After).

The chain covers record content: every record version added in a transaction (``version_added``,
called where versions are created) is hashed over its stored values, and the hash is written in
the ``details`` of the next event about that record (``{"content": {"<version>": "<sha256>"}}``),
normally the event that created it. ``verify`` walks the chain, recomputes those hashes from the
stored versions and names the first broken link; an anchor kept elsewhere (``SEQ:HASH``, printed
by ``crvs audit head``) must still be on the chain, which catches even a full re-seal, however
many events came after it. Events written before content hashes existed carry none and verify
as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from registry.db import lock_timed_out
from registry.errors import Busy, NotFound
from registry.models import AuditEvent, AuditHead, Record, RecordVersion
from registry.services.dialect import insert_ignore, insert_many
from registry.services.scoping import Actor, ensure_covers

GENESIS = "0" * 64
HEAD_ID = 1
EVENT_COLUMNS = (
    "seq", "at", "user_id", "username", "role", "area_code", "action", "record_id", "reason",
    "details", "prev_hash", "hash",
)  # fmt: skip


@dataclass(slots=True)
class PendingEvent:
    """An event of the transaction, not yet chained: ``seal`` gives it its place and writes it
    (a plain object: the row is inserted by one statement, never through the ORM)."""

    at: str
    user_id: int | None
    username: str | None
    role: str | None
    area_code: str | None
    action: str
    record_id: str | None
    reason: str | None
    details: str
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""


def canonical(event: AuditEvent | PendingEvent) -> bytes:
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


def event_hash(event: AuditEvent | PendingEvent) -> str:
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
    """The head's sequence number and hash, its row locked until the transaction ends.

    A lock not granted within the database's lock timeout raises ``Busy``: the transaction is
    lost (nothing is stored) and the client is told to retry, instead of every worker queueing
    behind one held lock.
    """
    conn = session.connection()
    try:
        head = conn.execute(HEAD_FOR_UPDATE).first()
    except OperationalError as exc:
        if lock_timed_out(exc):
            raise Busy() from None
        raise
    if head is None:
        conn.execute(insert_ignore(session, AuditHead, {"id": HEAD_ID, "seq": 0, "hash": GENESIS}))
        head = conn.execute(HEAD_FOR_UPDATE).one()
    return int(head.seq), str(head.hash)


PENDING = "crvs.audit.pending"
VERSIONS = "crvs.audit.versions"

_VERSION_COLUMNS = tuple(c.key for c in RecordVersion.__table__.columns)


#: Values that are already JSON as they are (exactly these types: a str Enum is not one).
_AS_THEY_ARE = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> Any:
    """A stored value as the same JSON value whichever database it was read back from."""
    if type(value) in _AS_THEY_ARE:
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JSONB gives 1e20 back as an integer
    if isinstance(value, dict):
        return {str(k): v if type(v) in _AS_THEY_ARE else _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value"):  # a str Enum
        return value.value
    return value


def content_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 of a record version's stored values (canonical JSON; columns holding NULL are
    left out, so a nullable column added later does not change the hash of older versions)."""
    content = {
        key: value if type(value) in _AS_THEY_ARE else _plain(value)
        for key, value in values.items()
        if value is not None
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def version_added(session: Session, version: RecordVersion) -> None:
    """Note a new record version (all its columns set): its content hash goes into the next
    event recorded about its record in this transaction."""
    values = {key: getattr(version, key) for key in _VERSION_COLUMNS}
    session.info.setdefault(VERSIONS, []).append(
        (version.record_id, version.version, content_hash(values))
    )


def _claim_versions(session: Session, record_id: str) -> dict[str, str]:
    """The content hashes of this record's versions not yet written in an event."""
    noted: list[tuple[str, int, str]] = session.info.get(VERSIONS, [])
    mine = {str(v): digest for rid, v, digest in noted if rid == record_id}
    if mine:
        session.info[VERSIONS] = [item for item in noted if item[0] != record_id]
    return mine


def _details_json(details: dict[str, Any] | None) -> str:
    """An event's details as stored: canonical JSON (what its hash covers)."""
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"), default=str)


def _pending(
    actor: Actor | None,
    action: str,
    record_id: str | None,
    reason: str | None,
    details: dict[str, Any] | None,
    *,
    at: str,
    username: str | None = None,
) -> PendingEvent:
    """An event of ``actor`` (``username`` names one without an account), not yet chained."""
    return PendingEvent(
        at=at,
        user_id=actor.user_id if actor else None,
        username=actor.username if actor else username,
        role=actor.role.value if actor else None,
        area_code=actor.area_code if actor else None,
        action=action,
        record_id=record_id,
        reason=reason,
        details=_details_json(details),
    )


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    record_id: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    username: str | None = None,
) -> PendingEvent:
    """Add one event to the caller's transaction; it joins the chain when that transaction commits.

    The event's time is taken now. Its place in the chain (sequence number and hashes) is given
    in ``seal`` just before the commit, so the head row is locked only for the last moment of
    the transaction and writers do not queue behind each other's whole requests. If the
    transaction rolls back, the event goes with it.
    """
    if record_id is not None and session.info.get(VERSIONS):
        content = _claim_versions(session, record_id)
        if content:
            details = {**(details or {}), "content": content}
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    event = _pending(actor, action, record_id, reason, details, at=at, username=username)
    session.info.setdefault(PENDING, []).append(event)
    return event


def seal(session: Session) -> None:
    """Chain the transaction's pending events under the locked head row (before commit).

    The transaction's other changes are flushed first, so the lock is held only for two short
    statements and the commit: lock the head, then insert the event and move the head (one
    statement on PostgreSQL, where the head's update is a CTE of the insert; two when a
    transaction has several events, and on SQLite, whose writers queue on the database lock).
    """
    pending: list[PendingEvent] = session.info.pop(PENDING, [])
    unclaimed: list[tuple[str, int, str]] = session.info.pop(VERSIONS, [])
    if not pending:
        return
    for record_id, version, digest in unclaimed:  # no event named their record: the last one
        owner = next((e for e in reversed(pending) if e.record_id == record_id), pending[-1])
        key = str(version) if owner.record_id == record_id else f"{record_id}:{version}"
        details = json.loads(owner.details)
        details.setdefault("content", {})[key] = digest
        owner.details = _details_json(details)
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


#: One event of a batch: (action, record_id, reason, details).
BatchEvent = tuple[str, str | None, str | None, dict[str, Any] | None]
_APPEND_CHUNK = 5_000  # rows per INSERT (SQLite allows 32,766 parameters)


def append_many(session: Session, actor: Actor | None, events: Sequence[BatchEvent]) -> int:
    """Chain many events of one actor at once (a batch import); returns how many.

    The transaction's pending events are sealed first, so the chain keeps the order the events
    happened in; the batch follows, its links and hashes computed here from plain values (no
    object per event) under the locked head, inserted in chunks, and the head moved once. The
    head stays locked until the transaction ends: call this last. A record version's content
    hash is given in its event's ``details`` (``{"content": {"<version>": content_hash(...)}}``),
    as ``record`` writes it.
    """
    seal(session)
    if not events:
        return 0
    seq, prev = _locked_head(session)
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    rows: list[dict[str, Any]] = []
    for action, record_id, reason, details in events:
        seq += 1
        event = _pending(actor, action, record_id, reason, details, at=at)
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = event_hash(event)
        rows.append({column: getattr(event, column) for column in EVENT_COLUMNS})
    for start in range(0, len(rows), _APPEND_CHUNK):
        insert_many(session, AuditEvent.__table__, rows[start : start + _APPEND_CHUNK])
    session.connection().execute(HEAD_MOVE, {"new_seq": seq, "new_hash": prev})
    return len(rows)


def discard(session: Session) -> None:
    """Forget the pending events of a transaction that rolled back."""
    session.info.pop(PENDING, None)
    session.info.pop(VERSIONS, None)


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


@dataclass
class _Walk:
    """What a walk of the chain found: the verification so far, whether the anchor's hash was
    met (where the anchor says), and the content hashes events carry, by (record, version)."""

    result: Verification
    anchor_met: bool = False
    content: dict[tuple[str, int], tuple[int, str]] = field(default_factory=dict)


def _walk(events: Iterable[AuditEvent], anchor: tuple[int | None, str] | None = None) -> _Walk:
    """Follow the links from the genesis hash; stop at the first broken one."""
    prev, checked = GENESIS, 0
    walk = _Walk(Verification(True, 0, GENESIS))
    anchor_seq, anchor_hash = anchor or (None, None)
    for event in events:
        expected_seq = checked + 1
        if event.seq != expected_seq:
            problem = f"event {expected_seq} is missing"
            walk.result = Verification(False, checked, prev, expected_seq, problem)
            return walk
        if event.prev_hash != prev:
            problem = f"event {event.seq} does not follow event {event.seq - 1}"
            walk.result = Verification(False, checked, prev, event.seq, problem)
            return walk
        if event_hash(event) != event.hash:
            problem = f"event {event.seq} was altered after it was written"
            walk.result = Verification(False, checked, prev, event.seq, problem)
            return walk
        if event.hash == anchor_hash and anchor_seq in (None, event.seq):
            walk.anchor_met = True
        if '"content"' in event.details:
            content = json.loads(event.details).get("content") or {}
            for key, digest in content.items():
                record_id, _, version = key.rpartition(":")
                walk.content[(record_id or event.record_id or "", int(version))] = (
                    event.seq,
                    digest,
                )
        prev, checked = event.hash, checked + 1
    walk.result = Verification(True, checked, prev)
    return walk


VERSIONS_IN_ORDER = (
    select(RecordVersion.__table__)
    .order_by(RecordVersion.__table__.c.id)
    .execution_options(yield_per=2000)
)


def _content_broken(
    session: Session, sealed: dict[tuple[str, int], tuple[int, str]]
) -> Verification | None:
    """The first event (lowest sequence) whose version's stored content no longer hashes to
    what the event holds, or whose version is gone; else a version added after sealing began
    that no event sealed (a row inserted behind the registry's back); None when all agree.
    Versions older than the first sealed one were written before content hashes existed."""
    if not sealed:
        return None
    first: tuple[int, str] | None = None
    unsealed: str | None = None
    sealing = False
    remaining = dict(sealed)
    with closing(session.connection().execute(VERSIONS_IN_ORDER)) as rows:
        for row in rows:
            key = (row.record_id, row.version)
            expected = remaining.pop(key, None)
            if expected is None:
                if sealing and unsealed is None:
                    unsealed = (
                        f"version {row.version} of record {row.record_id} is sealed by no audit"
                        " event: it was added outside the registry"
                    )
                continue
            sealing = True
            seq, digest = expected
            if content_hash(dict(row._mapping)) != digest and (first is None or seq < first[0]):
                what = f"version {row.version} of record {row.record_id}"
                first = (seq, f"event {seq}: {what} was altered after it was written")
    for (record_id, version), (seq, _digest) in remaining.items():
        if first is None or seq < first[0]:
            first = (seq, f"event {seq}: version {version} of record {record_id} is missing")
    if first is None:
        return None if unsealed is None else Verification(False, 0, "", None, unsealed)
    seq, problem = first
    return Verification(False, seq - 1, "", seq, problem)


def _sealed_version_first(
    content: Verification | None, walked: Verification
) -> Verification | None:
    """A broken sealed version, when it comes before the chain's first broken link (or the
    chain is intact)."""
    if content is None or content.broken_seq is None:
        return None
    if walked.ok or content.broken_seq < (walked.broken_seq or 0):
        return content
    return None


def parse_anchor(text: str) -> tuple[int | None, str]:
    """``SEQ:HASH`` (as ``crvs audit head`` prints it) or a bare hash (the older form)."""
    text = text.strip().lower()
    seq, sep, digest = text.rpartition(":")
    if not sep:
        return None, text
    if not seq.isdigit():
        raise ValueError("an anchor is SEQ:HASH, for example 1234:9f86d0…")
    return int(seq), digest


def verify(session: Session, expect_head: str | None = None) -> Verification:
    """Walk the chain from the start; report the first event whose link or content is broken.

    Every event's link and hash are checked, and every record version an event sealed is hashed
    again from its stored values. The head row must end where the chain ends (removing the
    newest events is caught). ``expect_head`` is an anchor kept outside the database, ``SEQ:HASH``:
    the chain must still pass through it however many events came after (a full re-seal is
    caught); a bare hash must be the hash of some event of the chain.
    """
    anchor = parse_anchor(expect_head) if expect_head is not None else None
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    with closing(session.scalars(stmt)) as events:
        walk = _walk(events, anchor)
    walked = walk.result
    content = _content_broken(session, walk.content)
    earlier = _sealed_version_first(content, walked)
    if earlier is not None:
        return earlier
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
    if anchor is not None and not walk.anchor_met:
        anchor_seq, _hash = anchor
        if anchor_seq is None:
            problem = "no event has the head hash kept elsewhere: the chain was rewritten"
            return Verification(False, checked, last, None, problem)
        found = "does not exist" if anchor_seq > checked else "has another hash"
        problem = (
            f"event {anchor_seq} {found}: the chain no longer passes through the anchor kept"
            " elsewhere"
        )
        return Verification(False, checked, last, anchor_seq, problem)
    return content or walked  # a version no event sealed, else intact


def head(session: Session) -> tuple[int, str]:
    row = session.get(AuditHead, HEAD_ID)
    return (row.seq, row.hash) if row else (0, GENESIS)


def anchor(session: Session) -> str:
    """The head as an anchor to keep elsewhere: ``SEQ:HASH``."""
    seq, digest = head(session)
    return f"{seq}:{digest}"


# -- a record's trail, as its page shows it -------------------------------------------------------

READS = ("read", "read_history")


@dataclass
class TrailRow:
    """One line of a record's audit trail: an event, or a run of reads by one person."""

    at: str
    until: str
    username: str | None
    role: str | None
    area_code: str | None
    action: str
    reason: str | None
    times: int = 1


def trail(session: Session, actor: Actor, record_id: str) -> list[TrailRow]:
    """The audit events of one record of the actor's area, oldest first.

    Every opening of a record's page is audited (twice: the record and its versions), so
    consecutive reads by the same person are shown as one line with their count and time span;
    every other event keeps its own line. The audit table itself keeps every read.
    """
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"No record {record_id}.")
    ensure_covers(actor, record.area_path)
    stmt = select(AuditEvent).where(AuditEvent.record_id == record_id).order_by(AuditEvent.seq)
    rows: list[TrailRow] = []
    for e in session.scalars(stmt):
        last = rows[-1] if rows else None
        if e.action in READS and last and last.action == "read" and last.username == e.username:
            last.until = e.at
            last.times += e.action == "read"  # one opening reads the record and its versions
            continue
        action = "read" if e.action in READS else e.action
        rows.append(TrailRow(e.at, e.at, e.username, e.role, e.area_code, action, e.reason))
    return rows
