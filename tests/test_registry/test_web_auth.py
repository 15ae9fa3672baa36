"""Signing in and out of the pages, CSRF, headers, languages and error pages."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import User
from registry.services import users
from tests.factories import SETTINGS
from tests.test_registry.test_web_support import Web


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def test_pages_need_a_signed_in_user(web: Web) -> None:
    """It sends a visitor to the sign-in page and back to where they were going."""
    response = web.get("/search?kind=births")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/search")


def test_sign_in_and_out(web: Web) -> None:
    """It signs a clerk in to the work queue, and signing out ends the session."""
    response = web.sign_in("clerk")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = web.get("/")
    assert home.status_code == 200
    assert "Notifications to complete" in web.text(home)
    assert web.post("/logout").status_code == 303
    assert web.get("/").status_code == 302


def test_wrong_password_is_refused_and_counted(web: Web, session: Session) -> None:
    """It shows a message, keeps the username and records the failure for throttling."""
    response = web.sign_in("clerk", "not-the-password")
    assert response.status_code == 401
    text = web.text(response)
    assert "Wrong username or password." in text
    assert 'value="clerk"' in text
    assert web.get("/").status_code == 302


def test_sign_in_is_throttled_like_the_api(web: Web) -> None:
    """After too many failures it answers 429 even with the right password."""
    for _ in range(SETTINGS.login_max_failures):
        assert web.sign_in("registrar", "wrong-password-x").status_code == 401
    response = web.sign_in("registrar")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in web.text(response)


def test_a_form_without_its_csrf_token_is_refused(web: Web) -> None:
    """It refuses a posted form that lacks its token, with an error page."""
    web.as_user("clerk")
    response = web.client.post("/births/new", data={"child.given_names": "Amina"})
    assert response.status_code == 400
    assert "CSRF" in web.text(response)
    assert "text/html" in response.content_type
    login = web.client.post("/login", data={"username": "clerk", "password": "x"})
    assert login.status_code == 400


def test_the_api_needs_no_csrf_token(web: Web) -> None:
    """Bearer-token API calls are not subject to the form token."""
    token = web.api.token("clerk")
    response = web.client.post(
        "/api/v1/births", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422
    assert response.is_json


def test_pages_are_not_stored_by_caches(web: Web) -> None:
    """Pages with personal data carry no-store; static assets may be cached."""
    web.as_user("clerk")
    for url in ("/", "/login", "/births/new", "/search"):
        assert web.get(url).headers["Cache-Control"] == "no-store", url
    asset = web.get("/static/css/registry.css")
    assert asset.status_code == 200
    assert asset.headers.get("Cache-Control") != "no-store"
    asset.close()
    page = web.get("/")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite(web: Web) -> None:
    response = web.sign_in("clerk")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_a_password_change_ends_the_session(web: Web, session: Session) -> None:
    """Moving the account's auth_epoch on ends every session of the account."""
    web.as_user("clerk")
    assert web.get("/").status_code == 200
    user = session.scalars(select(User).where(User.username == "clerk")).one()
    users.set_password(session, SETTINGS, user, "another-long-password", None)
    session.commit()
    assert web.get("/").status_code == 302


def test_a_deactivated_user_is_signed_out(web: Web, session: Session) -> None:
    web.as_user("registrar")
    user = session.scalars(select(User).where(User.username == "registrar")).one()
    users.deactivate(session, user, None)
    session.commit()
    assert web.get("/").status_code == 302


def test_next_never_leaves_the_site(web: Web) -> None:
    data = {"username": "clerk", "password": "correct-horse-battery", "csrf_token": web.token()}
    response = web.client.post("/login?next=//evil.example/x", data=data)
    assert response.headers["Location"] == "/"


def test_language_switch_is_kept(web: Web) -> None:
    """It switches the pages to French and keeps the choice through sign-in."""
    page = web.get("/login")
    assert "<h1>Sign in</h1>" in web.text(page)
    response = web.post("/language", {"lang": "fr", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    page = web.get("/login")
    assert 'lang="fr"' in web.text(page)
    assert "<h1>Connexion</h1>" in web.text(page)
    web.as_user("clerk")
    assert "Notifications à compléter" in web.text(web.get("/"))
    web.post("/language", {"lang": "en"})
    assert "Notifications to complete" in web.text(web.get("/"))


def test_the_browser_language_is_the_default(web: Web) -> None:
    page = web.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "<h1>Connexion</h1>" in web.text(page)


def test_unknown_pages_get_an_html_404(web: Web) -> None:
    response = web.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in web.text(response)
    api = web.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.is_json


def test_statistician_has_no_queue_and_cannot_open_records(web: Web) -> None:
    """A statistician signs in to the statistics page; record pages answer 403."""
    record = web.api.as_user("clerk").declare()
    web.as_user("statistician")
    home = web.get("/", follow_redirects=True)
    assert home.status_code == 200
    assert home.request.path == "/statistics"
    assert "Work queue" not in web.text(home)
    page = web.get(f"/births/{record['id']}")
    assert page.status_code == 403
    assert "Not allowed" in web.text(page)
    assert web.get("/search").status_code == 403
    assert web.get("/births/new").status_code == 403


def test_lookups_need_a_session_and_return_small_json(web: Web) -> None:
    assert web.get("/lookup/areas?q=D1").status_code == 401
    web.as_user("clerk")
    areas = web.get("/lookup/areas?q=d1").json
    assert {a["code"] for a in areas} == {"D11", "D12"}
    by_name = web.get("/lookup/areas?q=amani").json
    assert [a["code"] for a in by_name] == ["D11"]
    facilities = web.get("/lookup/facilities?q=F1").json
    assert {f["code"] for f in facilities} == {"F111", "F121"}
    assert web.get("/lookup/facilities?q=").json == []
