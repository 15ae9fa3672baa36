"""Who is signed in to the pages: a server-side session, named by a random id in the cookie.

The cookie is signed (not readable by scripts: HttpOnly, SameSite) and holds only the session's
random id; the ``web_sessions`` row it names says who is signed in. Signing out revokes that
row, and a password change or deactivation revokes every row of the user, so a copied cookie
stops working at once. A session also ends when it is older than ``TOKEN_LIFETIME_SECONDS``.
Checking costs one indexed read per page (API requests, which carry bearer tokens, never pay it).
A user whose password an administrator reset is sent to the change-password form from any page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from registry.extensions import db_session, settings
from registry.models import User
from registry.services import users
from registry.services.scoping import Actor

F = TypeVar("F", bound=Callable[..., Any])

SESSION_KEY = "sid"
KEPT_ON_SIGN_IN = ("lang",)
#: What a user who must change their password may still open.
OPEN_BEFORE_PASSWORD_CHANGE = frozenset({"web.change_password", "web.logout", "web.language"})


def start(user: User) -> None:
    """A fresh session for ``user`` (a new cookie: nothing from before sign-in carries over).
    The caller commits (the session row is written in the request's transaction)."""
    kept = {key: session[key] for key in KEPT_ON_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    session[SESSION_KEY] = users.start_web_session(db_session(), user)


def end() -> None:
    """Sign out: the server-side session is revoked (the caller commits) and the cookie emptied."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        users.end_web_session(db_session(), token)
    kept = {key: session[key] for key in KEPT_ON_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    g.pop("web_actor", None)


def load_actor() -> BaseResponse | None:
    """Put the signed-in actor (or None) in ``g.web_actor``; a dead session's cookie is emptied.
    A user who must change their password is sent to that form first."""
    g.web_actor = None
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return None
    db = db_session()
    found = users.actor_for_web_session(db, settings(), token)
    if found is None:
        kept = {key: session[key] for key in KEPT_ON_SIGN_IN if key in session}
        session.clear()
        session.update(kept)
        return None
    if found.stale:
        users.saw_web_session(db, token)
        db.commit()  # before the view runs: nothing else is in this transaction yet
    g.web_actor = found.actor
    g.web_facility = found.facility_code
    g.web_started = found.started_at
    g.web_must_change = found.must_change_password
    if found.must_change_password and request.endpoint not in OPEN_BEFORE_PASSWORD_CHANGE:
        return redirect(url_for("web.change_password"), 303)
    return None


def must_change_password() -> bool:
    """Whether the signed-in user must choose a new password before anything else."""
    return bool(g.get("web_must_change"))


def own_facility() -> str | None:
    """The code of the signed-in user's facility or office, if they have one."""
    code: str | None = g.get("web_facility")
    return code


def started() -> datetime | None:
    """When the signed-in user's session began (it ends ``TOKEN_LIFETIME_SECONDS`` later)."""
    moment: datetime | None = g.get("web_started")
    return moment


def current() -> Actor | None:
    actor: Actor | None = g.get("web_actor")
    return actor


def actor() -> Actor:
    """The signed-in actor; only called from views behind ``login_required``."""
    value = current()
    assert value is not None
    return value


def safe_next(target: str | None) -> str | None:
    """A local path to go back to after sign-in, never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current() is None:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapper)
