"""Sign-in and sign-out, the language switch, the work queue, search and the picker look-ups."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from registry.domain import EventType, Status
from registry.errors import PermissionDenied, TooManyAttempts, ValidationFailed
from registry.extensions import db_session, settings
from registry.schemas.common import load
from registry.schemas.records import RecordQuery
from registry.services import records, users, worklist
from registry.services.areas import search_areas
from registry.services.scoping import require_role
from registry.web import auth, hooks, i18n, lookups
from registry.web.blueprint import (
    KIND_OF,
    KINDS,
    bp,
    discard,
    flash_after_commit,
    page,
    unit_of_work,
)
from registry.web.forms import flatten_errors
from registry.web.i18n import LANGUAGES, gettext

QUEUE = (
    (Status.NOTIFIED, "notified"),
    (Status.DECLARED, "declared"),
    (Status.REJECTED, "rejected"),
)
QUEUE_SIZE = 10
LOOKUP_LIMIT = 20


# -- signing in and out ---------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@unit_of_work
def login() -> Response | BaseResponse:
    """Sign in with a username and password (throttled like the API).

    The one page that commits twice: the attempt is counted and committed before the password is
    checked, so that simultaneous attempts all see it; the outcome commits with the request."""
    next_url = auth.safe_next(request.values.get("next"))
    if request.method == "GET":
        if auth.current() is not None:
            return redirect(next_url or url_for("web.home"))
        return page("login.html", next=next_url, username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    address = request.remote_addr or "-"
    session_ = db_session()
    try:
        users.count_attempt(session_, settings(), username, address)
    except TooManyAttempts:
        discard()
        error = gettext("Too many failed sign-ins; wait a few minutes and try again.")
        return page("login.html", 429, next=next_url, username=username, error=error)
    session_.commit()  # counted before the password is checked; a success gives it back
    user = users.authenticate(session_, settings(), username, password, address)
    if user is None:  # the audited failure is committed with the request
        error = gettext("Wrong username or password.")
        return page("login.html", 401, next=next_url, username=username, error=error)
    auth.start(user)
    return redirect(next_url or url_for("web.home"), 303)


@bp.post("/logout")
@unit_of_work
def logout() -> BaseResponse:
    """Sign out: the server-side session ends (a copy of the cookie opens nothing any more)."""
    auth.end()
    flash_after_commit(gettext("You are signed out."), "info")
    return redirect(url_for("web.login"), 303)


@bp.post("/language")
def language() -> BaseResponse:
    """Switch the language of the pages; kept in the session cookie."""
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(auth.safe_next(request.form.get("next")) or url_for("web.home"), 303)


# -- the work queue -------------------------------------------------------------------------------


@bp.get("/")
@auth.login_required
@unit_of_work
def home() -> Response | BaseResponse:
    """The work queue of the signed-in user's area (clerks and registrars), oldest first."""
    actor = auth.actor()
    if actor.role not in records.DECLARERS:
        landing = hooks.home_pages.get(actor.role.value)
        if landing:
            return redirect(url_for(landing))
        return page("welcome.html")
    session_, rules = db_session(), settings()
    sections = []
    for status, key in QUEUE:
        lists = [
            (event_type, worklist.items(session_, rules, actor, event_type, status, QUEUE_SIZE))
            for event_type in EventType
        ]
        sections.append((key, lists))
    duplicates = None
    if hooks.duplicate_queue:
        duplicates = [
            row for provider in hooks.duplicate_queue for row in provider(session_, actor)
        ]
    pending = None
    if actor.role in records.REGISTRARS:
        pending = worklist.pending_corrections(session_, actor)
    return page(
        "queue.html",
        sections=sections,
        duplicates=duplicates,
        corrections=pending,
        level=rules.delayed_approval_level,
    )


# -- search ---------------------------------------------------------------------------------------

SEARCH_FIELDS = (
    "family_name",
    "given_names",
    "registration_number",
    "date_from",
    "date_to",
    "area",
    "status",
)


@bp.get("/search")
@auth.login_required
@unit_of_work
def search() -> Response:
    """Search births or deaths in your area by name, number, dates and area."""
    actor = auth.actor()
    require_role(actor, records.DECLARERS)
    kind = request.args.get("kind", "births")
    event_type = KINDS.get(kind, EventType.BIRTH)
    values = {name: request.args.get(name, "").strip() for name in SEARCH_FIELDS}
    args: dict[str, Any] = {name: value for name, value in values.items() if value}
    asked = bool(args)
    if request.args.get("page"):
        args["page"] = request.args["page"]
    errors: dict[str, list[str]] = {}
    found = None
    status = 200
    if asked:
        try:
            query = load(RecordQuery(), args)
            number_format = settings().number_format
            found = records.search(db_session(), actor, event_type, query, number_format)
        except ValidationFailed as exc:
            errors, status = flatten_errors(exc.errors), exc.status_code
        except PermissionDenied as exc:  # an area outside the user's: shown on the field
            errors, status = {"area": [exc.message]}, exc.status_code
    return page(
        "search.html",
        status,
        kind=KIND_OF[event_type],
        values=values,
        errors=i18n.translate_all(errors),
        found=found,
        statuses=[s.value for s in Status],
    )


# -- look-ups for the area and facility pickers ---------------------------------------------------


def _lookup_query() -> str:
    return request.args.get("q", "").strip()[:100]


@bp.get("/lookup/areas")
def lookup_areas() -> Response:
    """Areas whose code or name starts with ``q``: ``[{code, name, level}]`` (signed in only)."""
    if auth.current() is None:
        return lookups.unauthorised()
    q = _lookup_query()
    found = search_areas(db_session(), q, LOOKUP_LIMIT) if q else []
    return jsonify([{"code": a.code, "name": a.name, "level": a.level} for a in found])


@bp.get("/lookup/facilities")
def lookup_facilities() -> Response:
    """Facilities whose code or name starts with ``q``: ``[{code, name, kind, area_code}]``."""
    if auth.current() is None:
        return lookups.unauthorised()
    q = _lookup_query()
    kind = request.args.get("kind") or None
    return jsonify(lookups.facilities(db_session(), q, kind, LOOKUP_LIMIT) if q else [])
