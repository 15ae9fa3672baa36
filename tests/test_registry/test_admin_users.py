"""Administrators manage the accounts of their area: list, create, update, deactivate, reset
passwords (a new one chosen at the next sign-in), on the API, the pages and the command line.
Deactivation and resets end the user's tokens and web sessions at once."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import make_engine
from registry.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from registry.models import AuditEvent, User, WebSession
from registry.services import users
from registry.services.scoping import Actor
from tests import factories
from tests.factories import PASSWORD, SETTINGS, ApiClient
from tests.test_registry.test_cli import crvs
from tests.test_registry.test_web_support import TOKEN, Web

NEW_PASSWORD = "another-long-secret-9"


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def actor(session: Session, username: str) -> Actor:
    return Actor.from_user(session.scalars(select(User).where(User.username == username)).one())


def user(session: Session, username: str) -> User:
    session.expire_all()
    return session.scalars(select(User).where(User.username == username)).one()


@pytest.fixture
def admin_r1(session: Session) -> str:
    """An administrator of the Northern Region (R1: districts D11 and D12)."""
    users.create_user(
        session, SETTINGS, username="admin.r1", password=PASSWORD, role="admin",
        area_code="R1", full_name="Northern Admin",
    )  # fmt: skip
    session.commit()
    return "admin.r1"


def actions(session: Session) -> list[str]:
    return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def copy_cookie(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


# -- the service ----------------------------------------------------------------------------------


def test_an_admin_lists_only_the_accounts_of_their_area(session: Session, admin_r1: str) -> None:
    """It lists R1's accounts to R1's admin, never D21's nor the national ones."""
    names = [u.username for u in users.list_users(session, actor(session, admin_r1))]
    assert names == ["admin.r1", "clerk", "registrar", "registrar.r1"]
    everyone = [u.username for u in users.list_users(session, actor(session, "admin"))]
    assert "clerk.d21" in everyone and users.SYSTEM_USER not in everyone


def test_the_list_filters_by_name_role_area_and_status(session: Session) -> None:
    admin = actor(session, "admin")
    assert [u.username for u in users.list_users(session, admin, role="clerk")] == [
        "clerk",
        "clerk.d21",
    ]
    assert [u.username for u in users.list_users(session, admin, area_code="D21")] == [
        "clerk.d21",
        "registrar.d21",
    ]
    assert [u.username for u in users.list_users(session, admin, q="REGISTRAR.")] == [
        "registrar.d21",
        "registrar.r1",
    ]
    users.update_user(session, admin, "clerk", active=False)
    assert [u.username for u in users.list_users(session, admin, active=False)] == ["clerk"]


def test_only_admins_manage_accounts(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        users.list_users(session, actor(session, "registrar.r1"))
    with pytest.raises(PermissionDenied):
        users.reset_password(session, SETTINGS, actor(session, "registrar"), "clerk")


@pytest.mark.parametrize(
    ("area", "facility", "status", "field"),
    [
        ("D21", None, 403, "area"),  # an area outside the admin's
        ("D11", "F211", 403, "facility"),  # a facility outside the admin's
        ("D11", "F121", 422, "facility"),  # a facility of D12 for a user of D11
        ("XX", None, 422, "area"),
    ],
)
def test_an_admin_cannot_attach_a_user_outside_their_area(
    session: Session, admin_r1: str, area: str, facility: str | None, status: int, field: str
) -> None:
    with pytest.raises((PermissionDenied, ValidationFailed)) as caught:
        users.add_user(
            session, SETTINGS, actor(session, admin_r1), username="newbie", password=PASSWORD,
            role="clerk", area_code=area, facility_code=facility,
        )  # fmt: skip
    assert caught.value.status_code == status
    assert field in (caught.value.errors or {})


def test_an_admin_cannot_move_a_user_outside_their_area(session: Session, admin_r1: str) -> None:
    admin = actor(session, admin_r1)
    with pytest.raises(PermissionDenied) as caught:
        users.update_user(session, admin, "clerk", area_code="D21", facility_code="F211")
    assert "area_code" in (caught.value.errors or {})
    with pytest.raises(PermissionDenied) as caught:
        users.update_user(session, admin, "clerk", facility_code="F211")
    assert "facility_code" in (caught.value.errors or {})
    with pytest.raises(NotFound):  # accounts outside the area are not even seen
        users.update_user(session, admin, "clerk.d21", full_name="X")


def test_an_update_changes_role_area_facility_and_name_and_is_audited(session: Session) -> None:
    admin = actor(session, "admin")
    users.update_user(
        session, admin, "clerk", role="registrar", area_code="D12", facility_code="O12",
        full_name="Grace W.",
    )  # fmt: skip
    session.commit()
    changed = user(session, "clerk")
    assert (changed.role, changed.area.code, changed.full_name) == ("registrar", "D12", "Grace W.")
    assert changed.facility is not None and changed.facility.code == "O12"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user_updated")).one()
    details = json.loads(event.details)
    assert details["role"] == ["clerk", "registrar"]
    assert details["area_code"] == ["D11", "D12"]
    assert event.username == "admin"
    users.update_user(session, admin, "clerk", facility_code=None)
    assert user(session, "clerk").facility is None


def test_an_admin_cannot_deactivate_or_demote_themselves(session: Session) -> None:
    admin = actor(session, "admin")
    with pytest.raises(Conflict):
        users.update_user(session, admin, "admin", active=False)
    with pytest.raises(ValidationFailed) as caught:
        users.update_user(session, admin, "admin", role="clerk")
    assert "role" in (caught.value.errors or {})
    assert user(session, "admin").active


def test_the_system_account_is_out_of_reach(session: Session) -> None:
    users.system_actor(session, SETTINGS)
    with pytest.raises(NotFound):
        users.update_user(session, actor(session, "admin"), users.SYSTEM_USER, active=True)


def test_a_reset_makes_a_temporary_password_and_demands_a_change(session: Session) -> None:
    chosen = users.reset_password(session, SETTINGS, actor(session, "admin"), "clerk")
    session.commit()
    assert len(chosen) >= 16
    reset = user(session, "clerk")
    assert reset.must_change_password
    assert users.authenticate(session, SETTINGS, "clerk", chosen, "-") is not None
    assert users.authenticate(session, SETTINGS, "clerk", PASSWORD, "-") is None
    assert "password_reset" in actions(session)
    with pytest.raises(ValidationFailed):  # a given password is checked like any other
        users.reset_password(session, SETTINGS, actor(session, "admin"), "clerk", "aaaaaaaaaa")


def test_changing_ones_own_password_lifts_the_demand(session: Session) -> None:
    temporary = users.reset_password(session, SETTINGS, None, "clerk")
    clerk = actor(session, "clerk")
    with pytest.raises(ValidationFailed) as caught:
        users.change_own_password(session, SETTINGS, clerk, "wrong-password", NEW_PASSWORD, "-")
    assert "current_password" in (caught.value.errors or {})
    with pytest.raises(ValidationFailed):
        users.change_own_password(session, SETTINGS, clerk, temporary, temporary, "-")
    users.change_own_password(session, SETTINGS, clerk, temporary, NEW_PASSWORD, "-")
    assert not user(session, "clerk").must_change_password


# -- the API --------------------------------------------------------------------------------------


def test_the_api_lists_with_filters_and_scope(api: ApiClient, admin_r1: str) -> None:
    listed = api.as_user(admin_r1).get("/api/v1/users?role=registrar")
    assert listed.status_code == 200
    assert [u["username"] for u in listed.json] == ["registrar", "registrar.r1"]
    assert listed.json[0] | {"full_name": ""} == {
        "username": "registrar", "full_name": "", "role": "registrar", "area": "D11",
        "facility": "O11", "active": True, "must_change_password": False,
    }  # fmt: skip
    assert api.as_user("registrar").get("/api/v1/users").status_code == 403
    by_area = api.as_user(admin_r1).get("/api/v1/users?area=D11&active=true&q=cl&limit=5")
    assert [u["username"] for u in by_area.json] == ["clerk"]
    unknown = api.as_user(admin_r1).get("/api/v1/users?area=XX")
    assert unknown.status_code == 422 and "area" in unknown.json["errors"]


def test_the_api_refuses_a_user_outside_the_admins_area(api: ApiClient, admin_r1: str) -> None:
    body = {"username": "newbie", "password": NEW_PASSWORD, "role": "clerk", "area": "D21"}
    response = api.as_user(admin_r1).post("/api/v1/users", json=body)
    assert response.status_code == 403
    assert response.json["errors"]["area"] == ["This area is outside yours."]
    body |= {"area": "D11", "facility": "F211"}
    response = api.as_user(admin_r1).post("/api/v1/users", json=body)
    assert response.status_code == 403
    assert "facility" in response.json["errors"]
    patched = api.as_user(admin_r1).patch("/api/v1/users/clerk", json={"area_code": "R2"})
    assert patched.status_code == 403
    assert "area_code" in patched.json["errors"]
    outside = api.as_user(admin_r1).patch("/api/v1/users/clerk.d21", json={"full_name": "X"})
    assert outside.status_code == 404


def test_the_api_patches_a_user(api: ApiClient) -> None:
    response = api.as_user("admin").patch(
        "/api/v1/users/clerk",
        json={"role": "registrar", "area_code": "D12", "facility_code": "O12", "full_name": "G"},
    )
    assert response.status_code == 200, response.json
    assert response.json | {} == {
        "username": "clerk", "full_name": "G", "role": "registrar", "area": "D12",
        "facility": "O12", "active": True, "must_change_password": False,
    }  # fmt: skip
    bad = api.as_user("admin").patch("/api/v1/users/clerk", json={"role": "king"})
    assert bad.status_code == 422 and "role" in bad.json["errors"]["json"]
    own = api.as_user("admin").patch("/api/v1/users/admin", json={"active": False})
    assert own.status_code == 409


def test_deactivation_ends_tokens_and_sessions_at_once(
    api: ApiClient, web: Web, app: Flask
) -> None:
    """A bearer token and a copied session cookie both stop working at the deactivation."""
    web.as_user("clerk")
    thief = app.test_client()
    copy_cookie(web.client, thief)
    assert thief.get("/").status_code == 200
    clerk = api.as_user("clerk")
    assert clerk.get("/api/v1/births").status_code == 200
    done = api.as_user("admin").patch("/api/v1/users/clerk", json={"active": False})
    assert done.status_code == 200 and done.json["active"] is False
    assert clerk.get("/api/v1/births").status_code == 401
    assert thief.get("/").headers["Location"].startswith("/login")
    assert web.get("/").status_code == 302
    assert web.sign_in("clerk").status_code == 401  # and no new sign-in
    again = api.as_user("admin").patch("/api/v1/users/clerk", json={"active": True})
    assert again.json["active"] is True
    assert web.sign_in("clerk").status_code == 303


def test_a_reset_ends_tokens_and_sessions_and_forces_a_change(
    api: ApiClient, web: Web, app: Flask, client: FlaskClient, session: Session
) -> None:
    """After a reset, old tokens and cookies are dead, a token request is refused with 403 until
    the password is changed on the pages, and the pages open only the change form."""
    web.as_user("clerk")
    thief = app.test_client()
    copy_cookie(web.client, thief)
    clerk = api.as_user("clerk")
    response = api.as_user("admin").post("/api/v1/users/clerk/reset-password", json={})
    assert response.status_code == 200
    temporary = response.json["temporary_password"]
    assert response.json["must_change_password"] is True
    assert clerk.get("/api/v1/births").status_code == 401
    assert thief.get("/").headers["Location"].startswith("/login")

    refused = client.post("/api/v1/auth/token", json={"username": "clerk", "password": temporary})
    assert refused.status_code == 403
    assert refused.json["errors"] == {"password": ["password_change_required"]}
    assert "change" in refused.json["message"]

    fresh = Web(app.test_client(), session)
    signed_in = fresh.sign_in("clerk", temporary)
    assert signed_in.status_code == 303
    assert fresh.get("/").headers["Location"] == "/password"
    assert fresh.get("/search").headers["Location"] == "/password"
    assert "Your password was reset" in fresh.text(fresh.get("/password"))
    mismatch = fresh.post(
        "/password",
        {"current_password": temporary, "password": NEW_PASSWORD, "confirm": "other-thing-12"},
    )
    assert mismatch.status_code == 422
    changed = fresh.post(
        "/password",
        {"current_password": temporary, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 303, fresh.text(changed)
    assert fresh.get("/").status_code == 200  # the new session opens the pages
    token = client.post("/api/v1/auth/token", json={"username": "clerk", "password": NEW_PASSWORD})
    assert token.status_code == 201


def test_the_current_password_check_is_throttled_like_a_sign_in(web: Web, app: Flask) -> None:
    """It answers 429 once the account's sign-in limit is spent on wrong current passwords."""
    web.as_user("clerk")
    limit = app.extensions["crvs.settings"].login_max_failures
    wrong = {"current_password": "not-my-password", "password": NEW_PASSWORD}
    answers = [
        web.post("/password", wrong | {"confirm": NEW_PASSWORD}).status_code
        for _ in range(limit + 1)
    ]
    assert answers == [422] * limit + [429]


def test_a_reset_with_a_given_password_returns_none(api: ApiClient) -> None:
    response = api.as_user("admin").post(
        "/api/v1/users/clerk/reset-password", json={"password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json["temporary_password"] is None
    weak = api.as_user("admin").post(
        "/api/v1/users/clerk/reset-password", json={"password": "aaaaaaaaaa"}
    )
    assert weak.status_code == 422 and "password" in weak.json["errors"]


# -- the pages ------------------------------------------------------------------------------------


def test_the_pages_are_for_admins_only(web: Web, client: FlaskClient) -> None:
    assert client.get("/admin/users").headers["Location"].startswith("/login")
    web.as_user("registrar")
    assert web.get("/admin/users").status_code == 403
    assert web.post("/admin/users/clerk/deactivate").status_code == 403
    assert "/admin/users" not in web.text(web.get("/"))


def test_the_forms_need_a_csrf_token(web: Web) -> None:
    web.as_user("admin")
    for url in (
        "/admin/users/new",
        "/admin/users/clerk",
        "/admin/users/clerk/deactivate",
        "/admin/users/clerk/activate",
        "/admin/users/clerk/reset-password",
        "/password",
    ):
        assert web.client.post(url, data={}).status_code == 400, url


def test_an_admin_lists_creates_edits_and_deactivates_on_the_pages(
    web: Web, session: Session, admin_r1: str
) -> None:
    web.as_user(admin_r1)
    listing = web.text(web.get("/"))
    assert 'href="/admin/users"' in listing  # in the navigation
    page = web.get("/admin/users?role=clerk")
    assert page.status_code == 200
    assert ">clerk<" in web.text(page) and "clerk.d21" not in web.text(page)

    outside = web.post(
        "/admin/users/new",
        {"username": "newbie", "full_name": "New Bie", "role": "clerk", "area": "D21",
         "facility": "", "password": NEW_PASSWORD},
    )  # fmt: skip
    assert outside.status_code == 403
    assert "This area is outside yours." in web.text(outside)
    created = web.post(
        "/admin/users/new",
        {"username": "newbie", "full_name": "New Bie", "role": "clerk", "area": "D12",
         "facility": "F121", "password": NEW_PASSWORD},
    )  # fmt: skip
    assert created.status_code == 303
    assert user(session, "newbie").facility is not None

    moved = web.post(
        "/admin/users/newbie",
        {"full_name": "New Bie", "role": "registrar", "area_code": "D11", "facility_code": "O11"},
    )
    assert moved.status_code == 303
    assert (user(session, "newbie").role, user(session, "newbie").area.code) == (
        "registrar",
        "D11",
    )
    wrong = web.post(
        "/admin/users/newbie",
        {"full_name": "New Bie", "role": "registrar", "area_code": "D11", "facility_code": "O21"},
    )
    assert wrong.status_code == 403 and "This facility is outside your area." in web.text(wrong)

    assert web.post("/admin/users/newbie/deactivate").status_code == 303
    assert not user(session, "newbie").active
    assert web.post("/admin/users/newbie/activate").status_code == 303
    assert user(session, "newbie").active
    own = web.post("/admin/users/admin.r1/deactivate")
    assert own.status_code == 409 and user(session, admin_r1).active
    assert web.get("/admin/users/clerk.d21").status_code == 404


def test_a_reset_on_the_pages_shows_the_temporary_password_once(
    web: Web, app: Flask, session: Session
) -> None:
    web.as_user("admin")
    clerk_browser = Web(app.test_client(), session).as_user("clerk")
    shown = web.post("/admin/users/clerk/reset-password", {"password": ""})
    assert shown.status_code == 200
    match = re.search(r'id="temporary-password">([^<]+)<', web.text(shown))
    assert match
    assert clerk_browser.get("/").status_code == 302  # the clerk's session ended
    assert user(session, "clerk").must_change_password
    assert users.authenticate(session, SETTINGS, "clerk", match.group(1), "-") is not None
    assert (
        session.scalars(
            select(WebSession).where(
                WebSession.revoked_at.is_(None), WebSession.user_id == user(session, "clerk").id
            )
        ).all()
        == []
    )


def test_the_pages_speak_french(web: Web) -> None:
    web.as_user("admin")
    web.post("/language", {"lang": "fr"})
    listing = web.text(web.get("/admin/users"))
    assert "Utilisateurs" in listing and "Créer un utilisateur" in listing
    edit = web.text(web.get("/admin/users/clerk"))
    assert "Réinitialiser le mot de passe" in edit and "Désactiver le compte" in edit
    assert "Changer votre mot de passe" in web.text(web.get("/password"))
    refused = web.post(
        "/admin/users/new",
        {"username": "x", "role": "clerk", "area": "D11", "password": "aaaaaaaaaa"},
    )
    assert refused.status_code == 422
    assert "Ce mot de passe est trop facile à deviner" in web.text(refused)
    assert TOKEN.search(web.text(refused))


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture
def cli_db(db_url: str) -> str:
    engine = make_engine(db_url)
    with Session(engine) as session:
        factories.reference_data(session)
        session.commit()
    engine.dispose()
    return db_url


def cli_user(url: str, username: str) -> User:
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        found = session.scalars(select(User).where(User.username == username)).one()
        found.area.code  # noqa: B018 (loaded before the session closes)
        _ = found.facility
    engine.dispose()
    return found


def test_the_cli_deactivates_resets_and_updates(cli_db: str) -> None:
    result = crvs("users", "deactivate", "clerk")
    assert result.exit_code == 0, result.output
    assert not cli_user(cli_db, "clerk").active
    result = crvs("users", "update", "clerk", "--activate", "--role", "registrar",
                  "--area", "D12", "--facility", "O12", "--full-name", "Grace W.")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "updated clerk: registrar in D12 at O12"
    changed = cli_user(cli_db, "clerk")
    assert changed.active and changed.full_name == "Grace W." and changed.area.code == "D12"

    result = crvs("users", "reset-password", "clerk")
    assert result.exit_code == 0, result.output
    temporary = re.search(r"temporary password for clerk: (\S+)", result.output)
    assert temporary and cli_user(cli_db, "clerk").must_change_password
    result = crvs("users", "reset-password", "clerk", "--password-stdin", stdin=NEW_PASSWORD)
    assert result.exit_code == 0 and "temporary" not in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("users", "deactivate", "nobody"), None, "No such user"),
        (("users", "update", "clerk", "--area", "XX"), None, "Unknown area code"),
        (("users", "update", "clerk", "--facility", "F211"), None, "user's area"),
        (("users", "reset-password", "clerk", "--password-stdin"), "aaaaaaaaaa\n", "too easy"),
    ],
)
def test_the_cli_fails_in_one_line(
    cli_db: str, args: tuple[str, ...], stdin: str | None, says: str
) -> None:
    result = crvs(*args, stdin=stdin)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
