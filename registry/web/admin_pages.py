"""User accounts on the pages: administrators list, create and edit the accounts of their area,
deactivate and reactivate them and reset their passwords; every signed-in user changes their own
password here, and one whose password was reset is sent here before anything else.

The services hold every rule (the area subtree, the facility inside the area, no deactivating
oneself, sessions ended at once); these views parse the form, call, commit once and redirect.
"""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from registry.domain import Role
from registry.errors import (
    Conflict,
    PermissionDenied,
    RegistryError,
    TooManyAttempts,
    ValidationFailed,
)
from registry.extensions import db_session, settings
from registry.models import User
from registry.services import users
from registry.services.scoping import require_role
from registry.web import auth, i18n
from registry.web.blueprint import bp, discard, flash_after_commit, page, unit_of_work
from registry.web.forms import flatten_errors
from registry.web.i18n import gettext

FIELDS = ("q", "role", "area", "status")
STATUSES = {"active": True, "inactive": False}
TEXT_MAX = 200


def _errors(exc: RegistryError, field: str) -> dict[str, Any]:
    """Field messages of a refusal, each under its form field (``field`` when it names none)."""
    found = i18n.translate_all(flatten_errors(exc.errors))
    if not found:
        found[field] = [i18n.translate(exc.message)]
    return found


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "").strip()[:TEXT_MAX] for name in names}


def _admin() -> None:
    require_role(auth.actor(), [Role.ADMIN])


def _roles() -> list[str]:
    return list(users.ROLES)


# -- the list -------------------------------------------------------------------------------------


@bp.get("/admin/users")
@auth.login_required
@unit_of_work
def admin_users() -> Response:
    """The accounts of your area, filtered by name, role, area and status (administrators)."""
    _admin()
    values = {name: request.args.get(name, "").strip()[:80] for name in FIELDS}
    errors: dict[str, list[str]] = {}
    found: list[User] = []
    status = 200
    try:
        found = users.list_users(
            db_session(),
            auth.actor(),
            q=values["q"],
            role=values["role"] if values["role"] in users.ROLES else None,
            area_code=values["area"] or None,
            active=STATUSES.get(values["status"]),
        )
    except ValidationFailed as exc:
        discard()
        errors, status = _errors(exc, "area"), exc.status_code
    return page(
        "admin_users.html", status, found=found, values=values, errors=errors, roles=_roles()
    )


# -- creating and editing -------------------------------------------------------------------------

NEW_FIELDS = ("username", "full_name", "role", "area", "facility")


@bp.route("/admin/users/new", methods=["GET", "POST"])
@auth.login_required
@unit_of_work
def admin_user_new() -> Response | BaseResponse:
    """Create an account inside your area, with its first password (administrators)."""
    _admin()
    if request.method == "GET":
        values = dict.fromkeys(NEW_FIELDS, "")
        return page("admin_user_new.html", values=values, errors={}, roles=_roles())
    values = _form(*NEW_FIELDS)
    password = request.form.get("password", "")[:1024]
    if values["role"] not in users.ROLES:
        errors = {"role": [gettext("Choose a role.")]}
        return page("admin_user_new.html", 422, values=values, errors=errors, roles=_roles())
    try:
        users.add_user(
            db_session(),
            settings(),
            auth.actor(),
            username=values["username"],
            password=password,
            role=values["role"],
            area_code=values["area"],
            facility_code=values["facility"] or None,
            full_name=values["full_name"],
        )
    except Conflict as exc:
        discard()
        errors = _errors(exc, "username")
        errors["username"] = [gettext("A user with this username already exists.")]
        return page("admin_user_new.html", 409, values=values, errors=errors, roles=_roles())
    except (ValidationFailed, PermissionDenied) as exc:
        discard()
        errors, code = _errors(exc, "username"), exc.status_code
        return page("admin_user_new.html", code, values=values, errors=errors, roles=_roles())
    flash_after_commit(gettext("The account %(name)s is created.", name=values["username"]))
    return redirect(url_for("web.admin_user_edit", username=values["username"]), 303)


EDIT_FIELDS = ("full_name", "role", "area_code", "facility_code")


def _edit_page(
    user: User, values: dict[str, str], errors: dict[str, Any], status: int = 200
) -> Response:
    return page(
        "admin_user_edit.html",
        status,
        user=user,
        values=values,
        errors=errors,
        roles=_roles(),
        own=user.id == auth.actor().user_id,
    )


def _values_of(user: User) -> dict[str, str]:
    return {
        "full_name": user.full_name,
        "role": str(user.role),
        "area_code": user.area.code,
        "facility_code": user.facility.code if user.facility else "",
    }


@bp.route("/admin/users/<string:username>", methods=["GET", "POST"])
@auth.login_required
@unit_of_work
def admin_user_edit(username: str) -> Response | BaseResponse:
    """An account: change its role, area, facility or full name (administrators)."""
    _admin()
    session, actor = db_session(), auth.actor()
    user = users.user_in_reach(session, actor, username)
    if request.method == "GET":
        return _edit_page(user, _values_of(user), {})
    values = _form(*EDIT_FIELDS)
    if values["role"] not in users.ROLES:
        return _edit_page(user, values, {"role": [gettext("Choose a role.")]}, 422)
    try:
        users.update_user(
            session,
            actor,
            username,
            role=values["role"],
            area_code=values["area_code"],
            facility_code=values["facility_code"] or None,
            full_name=values["full_name"],
        )
    except (ValidationFailed, PermissionDenied, Conflict) as exc:
        discard()
        errors = _errors(exc, "full_name")
        user = users.user_in_reach(session, actor, username)
        return _edit_page(user, values, errors, exc.status_code)
    flash_after_commit(gettext("The account %(name)s is saved.", name=username), "success")
    return redirect(url_for("web.admin_user_edit", username=username), 303)


# -- deactivating, reactivating, resetting the password -------------------------------------------


def _set_active(username: str, active: bool) -> Response | BaseResponse:
    _admin()
    session, actor = db_session(), auth.actor()
    try:
        users.update_user(session, actor, username, active=active)
    except Conflict as exc:
        discard()
        errors = _errors(exc, "active")
        user = users.user_in_reach(session, actor, username)
        return _edit_page(user, _values_of(user), errors, exc.status_code)
    if active:
        flash_after_commit(gettext("The account %(name)s is active again.", name=username))
    else:
        flash_after_commit(
            gettext("The account %(name)s is deactivated; its sessions have ended.", name=username),
            "success",
        )
    return redirect(url_for("web.admin_user_edit", username=username), 303)


@bp.post("/admin/users/<string:username>/deactivate")
@auth.login_required
@unit_of_work
def admin_user_deactivate(username: str) -> Response | BaseResponse:
    """Deactivate an account: its sessions and tokens end at once (administrators)."""
    return _set_active(username, False)


@bp.post("/admin/users/<string:username>/activate")
@auth.login_required
@unit_of_work
def admin_user_activate(username: str) -> Response | BaseResponse:
    """Reactivate a deactivated account (administrators)."""
    return _set_active(username, True)


@bp.post("/admin/users/<string:username>/reset-password")
@auth.login_required
@unit_of_work
def admin_user_reset(username: str) -> Response | BaseResponse:
    """Reset an account's password (the one typed, or a temporary one shown once); the user
    chooses a new one at the next sign-in, and their sessions and tokens end at once."""
    _admin()
    session, actor = db_session(), auth.actor()
    given = request.form.get("password", "")[:1024] or None
    try:
        chosen = users.reset_password(session, settings(), actor, username, given)
    except ValidationFailed as exc:
        discard()
        errors = _errors(exc, "password")
        user = users.user_in_reach(session, actor, username)
        return _edit_page(user, _values_of(user), errors, exc.status_code)
    return page(
        "admin_user_reset.html",
        username=username,
        temporary=chosen if given is None else None,
    )


# -- one's own password ---------------------------------------------------------------------------


@bp.route("/password", methods=["GET", "POST"])
@auth.login_required
@unit_of_work
def change_password() -> Response | BaseResponse:
    """Change your password (asked for at once after an administrator's reset); every other
    session and token of yours ends."""
    forced = auth.must_change_password()
    if request.method == "GET":
        return page("change_password.html", errors={}, forced=forced)
    current = request.form.get("current_password", "")[:1024]
    new = request.form.get("password", "")[:1024]
    if new != request.form.get("confirm", "")[:1024]:
        errors = {"confirm": [gettext("The two new passwords differ.")]}
        return page("change_password.html", 422, errors=errors, forced=forced)
    session, me, address = db_session(), auth.actor(), request.remote_addr or "-"
    try:
        users.count_attempt(session, settings(), me.username, address)
    except TooManyAttempts as exc:
        discard()
        errors = _errors(exc, "current_password")
        return page("change_password.html", exc.status_code, errors=errors, forced=forced)
    session.commit()  # counted before the current password is checked, as on sign-in
    try:
        user = users.change_own_password(session, settings(), me, current, new, address)
    except ValidationFailed as exc:
        discard()  # the failed check stays counted (committed above)
        errors = _errors(exc, "password")
        return page("change_password.html", exc.status_code, errors=errors, forced=forced)
    auth.start(user)  # the old sessions ended with the change: this browser gets a new one
    flash_after_commit(gettext("Your password is changed."), "success")
    return redirect(url_for("web.home"), 303)
