"""A record's current version: the one query for it, and the join condition statements share.

A record's head names its current version by number (``Record.version``); every statement that
reads a record with its current facts joins on ``IS_CURRENT``, and a service that has a record
and wants its current version calls ``current_version``, which remembers what the transaction has
already read or written.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Record, RecordVersion

#: The join of a record to its current version (``select(Record).join(RecordVersion, IS_CURRENT)``).
IS_CURRENT = (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.version)

#: Where ``session.info`` keeps the versions this transaction read or wrote, by record id.
CURRENT = "crvs.current_versions"


def remember(session: Session, version: RecordVersion) -> None:
    """Keep ``version`` as its record's current one for the rest of the transaction."""
    session.info.setdefault(CURRENT, {})[version.record_id or version.record.id] = version


def current_version(session: Session, record: Record) -> RecordVersion:
    """The record's latest version (remembered for the rest of the transaction)."""
    known: RecordVersion | None = session.info.get(CURRENT, {}).get(record.id)
    if known is not None and known.version == record.version:
        return known
    stmt = select(RecordVersion).where(
        RecordVersion.record_id == record.id, RecordVersion.version == record.version
    )
    version = session.scalars(stmt).one()
    remember(session, version)
    return version
