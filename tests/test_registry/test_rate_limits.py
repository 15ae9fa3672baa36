"""Public certificate verification is rate-limited per client address (API and page share it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine

from registry import create_app
from registry.db import make_sessionmaker
from registry.extensions import database
from tests.conftest import config_for
from tests.test_registry.test_web_support import Web

LIMIT = 3


@pytest.fixture
def limited(engine: Engine, connection: Connection) -> Iterator[Flask]:
    config = config_for(
        engine.url.render_as_string(hide_password=False),
        RATELIMIT_ENABLED=True,
        VERIFY_RATE_LIMIT=f"{LIMIT} per minute",
    )
    app = create_app(config)
    db = database(app)
    db.engine.dispose()
    db.sessionmaker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    yield app


def test_verification_beyond_the_limit_gets_429_then_other_addresses_still_pass(
    limited: Flask,
) -> None:
    client = limited.test_client()
    url = "/api/v1/certificates/verify"
    for _ in range(LIMIT):
        answered = client.post(url, json={"payload": "CRVS1:not-a-certificate"})
        assert answered.status_code < 400 or answered.status_code == 422, answered.json
    refused = client.post(url, json={"payload": "CRVS1:not-a-certificate"})
    assert refused.status_code == 429
    assert refused.json["code"] == 429 and refused.json["message"]
    assert int(refused.headers["Retry-After"]) > 0
    # The page shares the count: the same address is refused there too, with a page.
    web = Web(client, None)  # type: ignore[arg-type]
    assert web.get("/verify").status_code == 200  # showing the form costs nothing
    page = web.post("/verify", {"payload": "CRVS1:not-a-certificate"})
    assert page.status_code == 429
    assert "<html" in web.text(page).lower()
    # Another address has its own allowance.
    other = client.post(url, json={"payload": "x"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code != 429


def test_other_calls_are_not_counted(limited: Flask) -> None:
    client = limited.test_client()
    for _ in range(LIMIT + 2):
        assert client.get("/api/v1/openapi.json").status_code == 200


def test_only_limited_views_carry_rate_limit_headers(limited: Flask) -> None:
    """A verification says its allowance in X-RateLimit-* headers; a call with no limit says
    nothing of one (the limiter's hooks do not run for it)."""
    client = limited.test_client()
    verified = client.post("/api/v1/certificates/verify", json={"payload": "CRVS1:x"})
    assert verified.headers["X-RateLimit-Limit"] == str(LIMIT)
    assert int(verified.headers["X-RateLimit-Remaining"]) == LIMIT - 1
    unlimited = client.get("/api/v1/openapi.json")
    assert unlimited.status_code == 200
    assert not any(name.startswith("X-RateLimit") for name, _ in unlimited.headers.items())
