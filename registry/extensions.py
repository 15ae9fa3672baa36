"""The Flask glue of the database: one engine per app, one session per request (kept in ``g``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from registry.db import make_engine, make_sessionmaker
from registry.schemas.common import EVENT_YEARS
from registry.services.settings import RegistrySettings

KEY = "crvs"


@dataclass
class Database:
    engine: Engine
    sessionmaker: sessionmaker[Session]


def init_app(app: Flask) -> None:
    """Create the (lazy, unconnected) engine and the per-request session teardown."""
    engine = make_engine(
        app.config["DATABASE_URL"],
        lock_timeout_ms=app.config["DB_LOCK_TIMEOUT_MS"],
        statement_timeout_ms=app.config["DB_STATEMENT_TIMEOUT_MS"],
    )
    app.extensions[KEY] = Database(engine, make_sessionmaker(engine))
    app.extensions[f"{KEY}.settings"] = RegistrySettings.from_config(app.config)
    # Schemas read no configuration: the one date bound they need is set here.
    EVENT_YEARS["earliest"] = app.config["EARLIEST_EVENT_YEAR"]
    app.teardown_appcontext(_close_session)


def database(app: Flask | None = None) -> Database:
    db: Database = (app or current_app).extensions[KEY]
    return db


def db_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    here = g._get_current_object()  # resolved once: this runs several times a request
    session: Session | None = here.get("db_session")
    if session is None:
        session = here.db_session = database().sessionmaker()
    return session


def settings() -> RegistrySettings:
    value: RegistrySettings = current_app.extensions[f"{KEY}.settings"]
    return value


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
