"""Who is signed in to the pages: a Flask session cookie with the user id and its auth_epoch.

The cookie is signed (not readable by scripts: HttpOnly, SameSite). A session ends when the user
signs out, when the account's ``auth_epoch`` moves on (password change, deactivation) or when it
is older than the token lifetime, so a copied cookie does not live for ever.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for

from registry.extensions import db_session, settings
from registry.models import User
from registry.services.scoping import Actor

F = TypeVar("F", bound=Callable[..., Any])

USER_KEY = "uid"
EPOCH_KEY = "epoch"
SINCE_KEY = "since"
KEPT_ON_SIGN_IN = ("lang",)


def start(user: User) -> None:
    """A fresh session for ``user`` (a new cookie: nothing from before sign-in carries over)."""
    kept = {key: session[key] for key in KEPT_ON_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    session[USER_KEY] = user.id
    session[EPOCH_KEY] = user.auth_epoch
    session[SINCE_KEY] = int(time.time())


def end() -> None:
    kept = {key: session[key] for key in KEPT_ON_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    g.pop("web_actor", None)


def load_actor() -> None:
    """Put the signed-in actor (or None) in ``g.web_actor``; a stale session is ended."""
    g.web_actor = None
    user_id = session.get(USER_KEY)
    if user_id is None:
        return
    age = time.time() - float(session.get(SINCE_KEY, 0))
    user = db_session().get(User, user_id)
    if (
        user is None
        or not user.active
        or user.auth_epoch != session.get(EPOCH_KEY)
        or not 0 <= age <= settings().token_lifetime_seconds
    ):
        end()
        g.web_actor = None
        return
    g.web_actor = Actor.from_user(user)
    g.web_facility = user.facility.code if user.facility else None


def own_facility() -> str | None:
    """The code of the signed-in user's facility or office, if they have one."""
    code: str | None = g.get("web_facility")
    return code


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
