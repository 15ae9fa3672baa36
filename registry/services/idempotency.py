"""Stored first responses for ``Idempotency-Key`` retries (written in the request's transaction).

A stored response is kept ``IDEMPOTENCY_TTL_SECONDS`` (24 hours by default). After that the key
is forgotten: a request sent again with it is a new request (it creates again), and the old row
is replaced. Expired rows are purged without a cron: the write path that stores a response also
deletes up to ``PURGE_BATCH`` expired rows, at most once every ``PURGE_EVERY_SECONDS`` per
process, so the table holds about one day of keys and the cost is one indexed DELETE every few
minutes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.models import IdempotencyKey

PURGE_EVERY_SECONDS = 300
PURGE_BATCH = 1000
#: When this process may purge next (time.monotonic()); the first store purges.
_next_purge = 0.0


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def find(session: Session, user_id: int, key: str, ttl_seconds: int) -> IdempotencyKey | None:
    """The stored response for this user's key, unless it expired (then it is deleted, and the
    request is handled as a new one)."""
    stmt = select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
    )
    stored = session.scalars(stmt).first()
    if stored is not None and _aware(stored.created_at) <= utcnow() - timedelta(
        seconds=ttl_seconds
    ):
        session.delete(stored)
        session.flush()
        return None
    return stored


def store(
    session: Session,
    *,
    user_id: int,
    key: str,
    request_hash: str,
    status_code: int,
    content_type: str,
    location: str | None,
    body: bytes,
    ttl_seconds: int,
) -> None:
    session.add(
        IdempotencyKey(
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            content_type=content_type,
            location=location,
            body=body,
            created_at=utcnow(),
        )
    )
    session.flush()
    global _next_purge  # per-process pacing of the purge
    if time.monotonic() >= _next_purge:
        _next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        purge_expired(session, ttl_seconds)


def purge_expired(session: Session, ttl_seconds: int, batch: int = PURGE_BATCH) -> int:
    """Delete up to ``batch`` stored responses older than the time to live; how many went.

    On PostgreSQL rows another purge is deleting are skipped, so two processes never wait on
    each other here."""
    cutoff = utcnow() - timedelta(seconds=ttl_seconds)
    expired = (
        select(IdempotencyKey.id)
        .where(IdempotencyKey.created_at < cutoff)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    result = session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.id.in_(expired.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
