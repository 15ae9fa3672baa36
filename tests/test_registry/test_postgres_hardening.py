"""On PostgreSQL: sign-in counters hold under simultaneous attempts, and a held audit head lock
gives a quick 503 with Retry-After instead of stalling every worker, while reads go on."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select, text

from registry import create_app
from registry.db import make_engine
from registry.extensions import database
from registry.models import AuditEvent, LoginThrottle, Record
from tests import factories
from tests.conftest import POSTGRES_URL, FreshDatabases, config_for
from tests.test_registry.test_postgres_concurrency import run_together

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (set CRVS_TEST_POSTGRES_URL)"),
]

LOCK_TIMEOUT_MS = 300


@pytest.fixture
def pg_url(fresh_databases: FreshDatabases) -> str:
    return fresh_databases.create("postgresql")


@pytest.fixture
def live(pg_url: str) -> Iterator[Flask]:
    """The app on its own engine (real commits), with a short lock timeout."""
    app = create_app(config_for(pg_url, DB_LOCK_TIMEOUT_MS=LOCK_TIMEOUT_MS))
    yield app
    database(app).engine.dispose()


@pytest.fixture
def other(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def test_simultaneous_wrong_attempts_are_checked_no_more_than_the_limit(
    live: Flask, other: Engine
) -> None:
    """It lets exactly LOGIN_MAX_FAILURES of 16 simultaneous wrong attempts be checked; the
    rest are refused with 429, and the counter says 16."""

    def attempt(_i: int) -> int:
        response = live.test_client().post(
            "/api/v1/auth/token",
            json={"username": "clerk", "password": "wrong-password"},
            environ_base={"REMOTE_ADDR": "10.9.0.1"},
        )
        return response.status_code

    codes = run_together(16, attempt)
    assert codes.count(401) == factories.SETTINGS.login_max_failures
    assert codes.count(429) == 16 - factories.SETTINGS.login_max_failures
    with other.connect() as conn:
        failed = conn.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login_failed")
        )
        pair = conn.scalar(
            select(LoginThrottle.failures).where(LoginThrottle.key == "pair:clerk@10.9.0.1")
        )
    assert failed == factories.SETTINGS.login_max_failures
    assert pair == factories.SETTINGS.login_max_failures  # refused attempts are not counted


def test_a_held_audit_head_gives_503_with_retry_after_and_reads_go_on(
    live: Flask, other: Engine
) -> None:
    """It answers a write 503 + Retry-After within about the lock timeout while another
    connection holds the audit head; nothing is stored; a search still answers 200."""
    client = live.test_client()
    token = client.post(
        "/api/v1/auth/token", json={"username": "clerk", "password": factories.PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with other.connect() as holder:
        holder.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
        started = time.monotonic()
        blocked = client.post("/api/v1/births", json=factories.birth(), headers=headers)
        waited = time.monotonic() - started
        assert blocked.status_code == 503
        assert blocked.headers["Retry-After"].isdigit()
        assert blocked.json["code"] == 503
        assert waited < 10  # it gave up after the lock timeout, not gunicorn's 30 s
        read = client.get("/api/v1/births", headers=headers)
        assert read.status_code == 200
        holder.rollback()
    with other.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Record)) == 0
    after = client.post("/api/v1/births", json=factories.birth(), headers=headers)
    assert after.status_code == 201


def test_sessions_carry_the_configured_timeouts(live: Flask) -> None:
    """It starts every PostgreSQL session with lock_timeout and statement_timeout set."""
    with database(live).engine.connect() as conn:
        assert conn.scalar(text("SHOW lock_timeout")) == f"{LOCK_TIMEOUT_MS}ms"
        assert conn.scalar(text("SHOW statement_timeout")) == "30s"


def test_a_statement_over_the_timeout_is_a_503(pg_url: str, other: Engine) -> None:
    """It maps a statement cancelled by statement_timeout to the same 503 with Retry-After."""
    app = create_app(config_for(pg_url, DB_STATEMENT_TIMEOUT_MS=200))
    try:
        client = app.test_client()
        token = client.post(
            "/api/v1/auth/token", json={"username": "clerk", "password": factories.PASSWORD}
        ).json["token"]
        headers = {"Authorization": f"Bearer {token}"}
        with other.connect() as holder:
            holder.execute(text("LOCK TABLE records IN ACCESS EXCLUSIVE MODE"))
            answered = client.get("/api/v1/births", headers=headers)
            holder.rollback()
        assert answered.status_code == 503
        assert "Retry-After" in answered.headers
    finally:
        database(app).engine.dispose()
