"""The database layer: declarative base, engine factory and the session factory.

SQLite (embedded default) and PostgreSQL (production) behave alike here: foreign keys on, and
SQLite transactions begin IMMEDIATE so concurrent writers queue instead of failing mid-way.
PostgreSQL sessions start with ``lock_timeout`` and ``statement_timeout`` set, so no request
waits for ever behind a held lock (``lock_timed_out`` recognises the error it then gets).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, String, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Timezone-aware UTC now (databases store it without microsecond surprises)."""
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


# Column types used across models.
#: Text compared byte by byte (C collation on PostgreSQL; SQLite's default is already binary).
search_key = String(200).with_variant(String(200, collation="C"), "postgresql")
JSONDoc = JSON().with_variant(JSONB(), "postgresql")
intpk = Annotated[int, mapped_column(primary_key=True)]
uuidpk = Annotated[str, mapped_column(String(36), primary_key=True, default=new_uuid)]
code = Annotated[str, mapped_column(String(64))]
timestamp = Annotated[datetime, mapped_column(DateTime(timezone=True), default=utcnow)]


def make_engine(
    url: str, *, lock_timeout_ms: int = 0, statement_timeout_ms: int = 0, **kwargs: Any
) -> Engine:
    """An engine for ``url`` with the project's SQLite settings applied.

    On PostgreSQL, ``lock_timeout_ms`` and ``statement_timeout_ms`` (0: none) are given as
    connection options, so every session starts with them at no extra round trip.
    """
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        _sqlite_hooks(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    options = [
        f"-c {name}={int(value)}"
        for name, value in (
            ("lock_timeout", lock_timeout_ms),
            ("statement_timeout", statement_timeout_ms),
        )
        if value > 0
    ]
    if options and url.startswith("postgresql"):
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args["options"] = " ".join([connect_args.get("options", ""), *options]).strip()
        kwargs["connect_args"] = connect_args
    return create_engine(url, **kwargs)


def _sqlite_hooks(engine: Engine) -> None:
    # SQLAlchemy's recipe for real SQLite transactions (pysqlite otherwise defers BEGIN).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, **kwargs)


#: SQLSTATEs of a missing table or column (PostgreSQL); SQLite says so in words.
_SCHEMA_MISSING = {"42P01", "42703"}


#: SQLSTATEs of a lock not granted within lock_timeout and of a statement cancelled by
#: statement_timeout (PostgreSQL): the database is busy, not broken; the client may retry.
_TIMED_OUT = {"55P03", "57014"}


def lock_timed_out(exc: DBAPIError) -> bool:
    """Whether a database error is a lock or statement timeout (worth a retry later)."""
    return getattr(exc.orig, "sqlstate", None) in _TIMED_OUT


def schema_missing(exc: DBAPIError) -> bool:
    """Whether a database error means the schema is not there: the database is not migrated."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _SCHEMA_MISSING:
        return True
    return str(orig).startswith(("no such table", "no such column"))
