"""Tokens, throttling and the end of sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry.models import ApiToken, AuditEvent, LoginThrottle, User
from registry.services import users
from tests.factories import PASSWORD, SETTINGS, ApiClient


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> tuple[int, dict]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    return response.status_code, response.json or {}


def test_a_token_is_issued_used_and_revoked(client: FlaskClient) -> None:
    status, body = sign_in(client, "registrar")
    assert status == 201
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC)
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/births", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    revoked = client.get("/api/v1/births", headers=headers)
    assert revoked.status_code == 401
    assert revoked.json["code"] == 401


def test_wrong_passwords_and_unknown_users_are_401(client: FlaskClient) -> None:
    assert sign_in(client, "registrar", "wrong-password")[0] == 401
    assert sign_in(client, "nobody")[0] == 401
    assert client.post("/api/v1/auth/token", json={"username": "x"}).status_code == 422


def test_sign_in_is_throttled_per_account_and_lifts(client: FlaskClient, session: Session) -> None:
    for _ in range(SETTINGS.login_max_failures):
        assert sign_in(client, "clerk", "wrong-password")[0] == 401
    assert sign_in(client, "clerk")[0] == 429
    assert sign_in(client, "registrar")[0] == 201  # other accounts are not locked
    session.execute(
        update(LoginThrottle).values(resets_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()
    assert sign_in(client, "clerk")[0] == 201


def test_expired_tokens_and_deactivated_users_are_refused(api: ApiClient, session: Session) -> None:
    clerk = api.as_user("clerk")
    assert clerk.get("/api/v1/births").status_code == 200
    session.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    session.commit()
    assert clerk.get("/api/v1/births").status_code == 401
    registrar = api.as_user("registrar")
    user = session.scalars(select(User).where(User.username == "registrar")).one()
    users.deactivate(session, user, None)
    session.commit()
    assert registrar.get("/api/v1/births").status_code == 401


def test_a_password_change_ends_existing_tokens(api: ApiClient, session: Session) -> None:
    clerk = api.as_user("clerk")
    user = session.scalars(select(User).where(User.username == "clerk")).one()
    users.set_password(session, SETTINGS, user, "a-new-long-password", None)
    session.commit()
    assert clerk.get("/api/v1/births").status_code == 401


def test_malformed_authorization_headers_are_401(client: FlaskClient) -> None:
    for header in ("", "Bearer", "Bearer ", "Basic abc", "Bearer not-a-token"):
        response = client.get("/api/v1/births", headers={"Authorization": header})
        assert response.status_code == 401


def test_logins_and_tokens_are_audited(client: FlaskClient, session: Session) -> None:
    sign_in(client, "registrar", "wrong-password")
    sign_in(client, "registrar")
    actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[-3:] == ["login_failed", "login", "token_issued"]


def test_passwords_are_stored_as_argon2id(session: Session) -> None:
    user = session.scalars(select(User).where(User.username == "clerk")).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
