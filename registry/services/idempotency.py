"""Stored first responses for ``Idempotency-Key`` retries (written in the request's transaction)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.models import IdempotencyKey


def find(session: Session, user_id: int, key: str) -> IdempotencyKey | None:
    stmt = select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
    )
    return session.scalars(stmt).first()


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
