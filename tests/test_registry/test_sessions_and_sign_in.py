"""Web sessions end on the server; sign-in throttling per (account, address) with a slower
account-wide limit; passwords refused when guessable; HSTS in production only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, event, select, update
from sqlalchemy.orm import Session

from config import DevelopmentConfig, ProductionConfig
from registry import create_app
from registry.db import make_sessionmaker
from registry.errors import ValidationFailed
from registry.extensions import database
from registry.models import LoginThrottle, User, WebSession
from registry.services import users
from tests.factories import PASSWORD, SETTINGS, ApiClient
from tests.test_registry.test_cli import crvs
from tests.test_registry.test_web_support import Web


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def _copy_cookie(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


def test_a_copied_cookie_stops_working_after_sign_out(web: Web, app: Flask) -> None:
    """It ends the server-side session on POST /logout: a copy of the cookie opens nothing."""
    web.as_user("clerk")
    thief = app.test_client()
    _copy_cookie(web.client, thief)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    assert web.post("/logout").status_code == 303
    assert thief.get("/").status_code == 302
    assert thief.get("/search").headers["Location"].startswith("/login")


def test_sign_out_revokes_the_session_row(web: Web, session: Session) -> None:
    """It keeps only the SHA-256 of the cookie's id, and marks the row revoked on sign-out."""
    web.as_user("clerk")
    row = session.scalars(select(WebSession)).one()
    cookie = web.client.get_cookie("session")
    assert cookie is not None and row.id_hash not in cookie.value
    assert row.revoked_at is None
    web.post("/logout")
    session.expire_all()
    assert session.scalars(select(WebSession)).one().revoked_at is not None


@pytest.mark.parametrize("ending", ["password", "deactivation"])
def test_password_change_and_deactivation_end_copied_sessions(
    web: Web, app: Flask, session: Session, ending: str
) -> None:
    """It revokes every web session of the account, copies of the cookie included."""
    web.as_user("clerk")
    copy = app.test_client()
    _copy_cookie(web.client, copy)
    user = session.scalars(select(User).where(User.username == "clerk")).one()
    if ending == "password":
        users.set_password(session, SETTINGS, user, "another-long-password", None)
    else:
        users.deactivate(session, user, None)
    session.commit()
    assert copy.get("/").status_code == 302
    assert all(row.revoked_at for row in session.scalars(select(WebSession)))


def test_an_old_session_ends_by_itself(web: Web, session: Session) -> None:
    """It ends a session older than the token lifetime."""
    web.as_user("clerk")
    old = datetime.now(UTC) - timedelta(seconds=SETTINGS.token_lifetime_seconds + 5)
    session.execute(update(WebSession).values(created_at=old))
    session.commit()
    assert web.get("/").status_code == 302


def test_last_seen_is_written_when_stale(web: Web, session: Session) -> None:
    """It records when a session was last used, at most every few minutes."""
    web.as_user("clerk")
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    session.execute(update(WebSession).values(last_seen_at=long_ago))
    session.commit()
    assert web.get("/").status_code == 200
    session.expire_all()
    seen = session.scalars(select(WebSession.last_seen_at)).one()
    seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
    assert seen > long_ago + timedelta(minutes=30)


def test_api_requests_do_not_read_web_sessions(api: ApiClient, connection: Connection) -> None:
    """It answers a bearer-token request without touching the web_sessions table."""
    clerk = api.as_user("clerk")
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", seen)
    try:
        assert clerk.get("/api/v1/births").status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert statements
    assert not any("web_sessions" in s for s in statements)


# -- throttling --------------------------------------------------------------------------------


def _token(client: FlaskClient, username: str, password: str, address: str) -> int:
    response = client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_failures_from_one_address_do_not_lock_out_another(client: FlaskClient) -> None:
    """It throttles the (account, address) pair: 5 wrong passwords from one address, then the
    right one from another address signs in."""
    for _ in range(SETTINGS.login_max_failures):
        assert _token(client, "clerk", "wrong-password", "10.0.0.1") == 401
    assert _token(client, "clerk", PASSWORD, "10.0.0.1") == 429
    assert _token(client, "clerk", PASSWORD, "10.0.0.2") == 201


def test_the_account_has_a_slower_global_limit(client: FlaskClient, session: Session) -> None:
    """It stops an account tried from many addresses at the account-wide limit, and lifts."""
    limit = SETTINGS.login_account_max_failures
    for n in range(limit):
        assert _token(client, "clerk", "wrong-password", f"10.1.{n}.1") == 401
    assert _token(client, "clerk", PASSWORD, "10.2.0.1") == 429
    assert _token(client, "registrar", PASSWORD, "10.2.0.1") == 201  # only that account
    session.execute(update(LoginThrottle).values(resets_at=datetime.now(UTC)))
    session.commit()
    assert _token(client, "clerk", PASSWORD, "10.2.0.1") == 201  # no permanent lock-out


def test_one_address_is_limited_across_accounts(client: FlaskClient) -> None:
    """It slows an address that tries many accounts (four times the pair limit)."""
    limit = SETTINGS.login_max_failures * users.ADDRESS_FACTOR
    for n in range(limit):
        assert _token(client, f"nobody{n}", "wrong-password", "10.3.0.1") == 401
    assert _token(client, "clerk", PASSWORD, "10.3.0.1") == 429
    assert _token(client, "clerk", PASSWORD, "10.3.0.2") == 201


def test_a_success_gives_the_attempt_back(client: FlaskClient, session: Session) -> None:
    """It clears the pair's count on success and leaves the account's failures as they were."""
    for _ in range(3):
        assert _token(client, "clerk", "wrong-password", "10.4.0.1") == 401
    assert _token(client, "clerk", PASSWORD, "10.4.0.1") == 201
    counts = {row.key: row.failures for row in session.scalars(select(LoginThrottle))}
    assert "pair:clerk@10.4.0.1" not in counts
    assert counts["account:clerk"] == 3
    assert counts["address:10.4.0.1"] == 3


def test_counters_whose_window_is_over_are_purged(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It deletes counters whose window ended when an attempt is counted and a purge is due,
    and keeps the live ones."""
    for n in range(3):
        assert _token(client, f"guess{n}", "wrong-password", "10.5.0.1") == 401
    session.execute(update(LoginThrottle).values(resets_at=datetime.now(UTC)))
    session.commit()
    monkeypatch.setattr(users, "_next_purge", 0.0)  # a purge is due in this process
    assert _token(client, "clerk", "wrong-password", "10.5.0.2") == 401
    keys = set(session.scalars(select(LoginThrottle.key)))
    assert keys == {"pair:clerk@10.5.0.2", "address:10.5.0.2", "account:clerk"}


def test_the_sign_in_page_is_throttled_the_same_way(web: Web) -> None:
    """It answers 429 on the page after the pair's limit, with a message."""
    for _ in range(SETTINGS.login_max_failures):
        assert web.sign_in("registrar", "wrong-password-x").status_code == 401
    refused = web.sign_in("registrar")
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in web.text(refused)


# -- passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaa", "password123456", "qwertyuiop12", "clerk12345678"]
)
def test_guessable_passwords_are_refused(password: str) -> None:
    """It refuses common, repeated, keyboard and own-name passwords, naming the field."""
    with pytest.raises(ValidationFailed) as refused:
        users.check_password(SETTINGS, password, "clerk")
    messages = refused.value.errors["password"]  # type: ignore[index]
    assert "too easy to guess" in messages[0]


def test_good_passwords_pass() -> None:
    """It accepts the demo and fixture passwords."""
    for password in (PASSWORD, "demo-registrar-pass", "demo-statistician-pass", "Tr0ub4dor&3x!"):
        users.check_password(SETTINGS, password, "registrar")


def test_the_api_refuses_a_guessable_password_with_a_field_message(api: ApiClient) -> None:
    """It answers 422 with a message under ``password`` when an admin sets aaaaaaaaaa."""
    response = api.as_user("admin").post(
        "/api/v1/users",
        json={"username": "weak", "password": "aaaaaaaaaa", "role": "clerk", "area": "D11"},
    )
    assert response.status_code == 422
    assert "too easy to guess" in response.json["errors"]["password"][0]
    assert 'Repeats like "aaa"' in response.json["errors"]["password"][0]


@pytest.mark.usefixtures("db_url")
def test_the_cli_refuses_a_guessable_password_in_one_line() -> None:
    """It exits 1 with one line naming the password problem."""
    result = crvs(
        "users", "create", "weak", "--role", "clerk", "--area", "DL", "--password-stdin",
        stdin="aaaaaaaaaa\n",
    )  # fmt: skip
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "too easy to guess" in lines[0]


# -- HSTS ---------------------------------------------------------------------------------------


def test_hsts_is_sent_in_production_only(
    client: FlaskClient, engine: Engine, connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It sends Strict-Transport-Security in production, not in development or tests."""
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert DevelopmentConfig().HSTS_SECONDS == 0
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    production = create_app(ProductionConfig())
    db = database(production)
    db.engine.dispose()
    db.sessionmaker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    header = production.test_client().get("/login").headers["Strict-Transport-Security"]
    assert header.startswith("max-age=31536000")


def test_api_calls_neither_read_nor_touch_the_page_session(web: Web, session: Session) -> None:
    """An API call authenticates by its bearer token alone: the browser's signed-in cookie
    neither signs it in nor is changed or cleared by it, and the page stays signed in."""
    web.as_user("clerk")
    cookie = web.client.get_cookie("session")
    assert cookie is not None
    unsigned = web.client.get("/api/v1/births")
    assert unsigned.status_code == 401
    token = ApiClient(web.client, session).token("clerk")
    signed = web.client.get("/api/v1/births", headers={"Authorization": f"Bearer {token}"})
    assert signed.status_code == 200
    assert "Set-Cookie" not in signed.headers and "Set-Cookie" not in unsigned.headers
    after = web.client.get_cookie("session")
    assert after is not None and after.value == cookie.value
    assert web.get("/search").status_code == 200
