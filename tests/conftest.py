"""Shared fixtures: every database test runs on SQLite and, when configured, on PostgreSQL.

A session-scoped database per backend is migrated with Alembic and given the reference data
(areas, facilities, users); each test then runs inside one transaction that is rolled back
(``join_transaction_mode="create_savepoint"``), so the app's commits stay inside the test.

Set ``CRVS_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to add
PostgreSQL. Under CI (``CI=true``) PostgreSQL is required: its absence fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config import TestingConfig
from registry import create_app
from registry.db import make_engine, make_sessionmaker
from registry.extensions import database
from registry.services import certificates as certificate_service
from tests import factories

POSTGRES_URL = os.environ.get("CRVS_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_sessionstart(session: pytest.Session) -> None:
    if IN_CI and not POSTGRES_URL:
        pytest.exit("CI=true but CRVS_TEST_POSTGRES_URL is not set: PostgreSQL is required", 3)


class FreshDatabases:
    """Creates migrated databases (an SQLite file, or a new PostgreSQL database) on demand."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []

    def create(self, backend: str, *, reference_data: bool = True, migrate: bool = True) -> str:
        if backend == "sqlite":
            url = f"sqlite:///{self.tmp / f'crvs-{uuid.uuid4().hex[:8]}.sqlite3'}"
        else:
            assert POSTGRES_URL
            name = f"crvs_test_{uuid.uuid4().hex[:12]}"
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
            self.created.append(name)
        if not migrate:
            return url
        factories.migrate(url)
        if reference_data:
            engine = make_engine(url)
            with Session(engine) as session:
                factories.reference_data(session)
                session.commit()
            engine.dispose()
        return url

    def drop_all(self) -> None:
        if not self.created or not POSTGRES_URL:
            return
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def fresh_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshDatabases]:
    factory = FreshDatabases(tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, fresh_databases: FreshDatabases) -> Iterator[Engine]:
    engine = make_engine(fresh_databases.create(backend))
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    transaction = conn.begin()
    yield conn
    transaction.rollback()
    conn.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    maker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    with maker() as session:
        yield session


def config_for(url: str, **overrides: Any) -> TestingConfig:
    config = TestingConfig()
    config.DATABASE_URL = url
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@pytest.fixture
def app(engine: Engine, connection: Connection) -> Iterator[Flask]:
    app = create_app(config_for(engine.url.render_as_string(hide_password=False)))
    db = database(app)
    db.engine.dispose()
    db.sessionmaker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient, session: Session) -> factories.ApiClient:
    """A client that signs in as any reference user: ``api.as_user("registrar").post(...)``."""
    return factories.ApiClient(client, session)


@pytest.fixture
def db_url(backend: str, fresh_databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh migrated database (no reference data) that ``crvs`` commands will use."""
    url = fresh_databases.create(backend, reference_data=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CRVS_ENV", "testing")
    return url


@pytest.fixture
def signing(app: Flask, session: Session, tmp_path: Path) -> Path:
    """A certificate signing key in a temporary keys directory, used by the app."""
    keys = tmp_path / "keys"
    app.extensions["crvs.settings"] = replace(
        app.extensions["crvs.settings"], cert_keys_dir=str(keys)
    )
    certificate_service.generate_key(session, replace(factories.SETTINGS, cert_keys_dir=str(keys)))
    session.commit()
    return keys
