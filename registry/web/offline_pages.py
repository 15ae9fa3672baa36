"""Offline capture: the web app manifest, the service worker, the outbox page and what the
outbox's script asks of the server.

- ``/manifest.webmanifest`` and ``/sw.js`` are public and hold no personal data. The worker is
  served from the root so that its scope covers the forms; its cache is named after the
  application's version and a hash of the static files and page templates it caches
  (``cache_name``, computed once per process), so each deployment replaces the old cache.
- ``/outbox`` is a page shell: the items live in the browser (IndexedDB) and the script lists
  them. ``/outbox/reference.json`` gives the areas, facilities and choice lists of the clerk's
  area, which the worker caches for the pickers offline.
- The outbox sends through the JSON API, which authenticates with bearer tokens only, so the API
  keeps no ambient cookie authority and needs no CSRF defence. The page asks
  ``GET /outbox/session`` (who is signed in, a fresh CSRF token), then ``POST /outbox/token``
  (the session cookie and the CSRF header: a same-origin request) for a bearer token of at most
  five minutes, never beyond the session's own end, held in the script's memory only and revoked
  when the sync ends. The token is issued only to the outbox's owner: a browser signed in as
  someone else gets a 409 and sends nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import UUID

from flask import (
    Response,
    current_app,
    jsonify,
    request,
    url_for,
)
from flask_wtf.csrf import generate_csrf

from registry.domain import EventType
from registry.errors import NotFound, PermissionDenied
from registry.extensions import db_session, settings
from registry.models import User
from registry.services import offline, records, users
from registry.services.scoping import require_role
from registry.web import auth, forms, lookups
from registry.web.blueprint import KIND_RULE, KINDS, bp, discard, page, unit_of_work
from registry.web.i18n import gettext

#: A minted outbox token lives this long at most (one sync run needs seconds).
TOKEN_SECONDS = 300
CACHE_KEY = "crvs.offline_cache"
#: Page templates whose change must renew the cache (the cached pages are rendered from them).
CACHED_TEMPLATES = ("base.html", "declare.html", "macros.html", "outbox.html", "labels.html")
MANIFEST = "manifest.webmanifest"
WORKER = Path("js") / "offline" / "sw.js"


def _static_files(static: Path) -> list[str]:
    """Static files the pages use (styles, scripts, icons), the worker's own source excluded."""
    found = []
    for pattern in ("css/*.css", "js/*.js", "js/offline/*.js", "img/*.png", MANIFEST):
        for path in sorted(static.glob(pattern)):
            if path != static / WORKER:
                found.append(path.relative_to(static).as_posix())
    return found


def _offline_cache() -> dict[str, Any]:
    """The cache name and the static files to precache, worked out once per process."""
    known: dict[str, Any] | None = current_app.extensions.get(CACHE_KEY)
    if known is not None:
        return known
    static = Path(current_app.static_folder or "")
    templates = Path(current_app.root_path) / (current_app.template_folder or "templates")
    files = _static_files(static)
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + (static / name).read_bytes())
    for name in CACHED_TEMPLATES:
        digest.update(name.encode() + b"\0" + (templates / name).read_bytes())
    digest.update((static / WORKER).read_bytes())
    try:
        version = metadata.version("crvs-registry")
    except metadata.PackageNotFoundError:  # running from a checkout without installing
        version = "0"
    known = {
        "name": f"crvs-{version}-{digest.hexdigest()[:12]}",
        "static": files,
        "worker": (static / WORKER).read_text(encoding="utf-8"),
    }
    current_app.extensions[CACHE_KEY] = known
    return known


def cache_name() -> str:
    name: str = _offline_cache()["name"]
    return name


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest (installable pages)."""
    manifest_file = Path(current_app.static_folder or "") / MANIFEST
    response = Response(manifest_file.read_bytes(), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served from the root so that its scope covers every page."""
    known = _offline_cache()
    static_url = current_app.static_url_path
    config = {
        "cache": known["name"],
        "static": [f"{static_url}/{name}" for name in known["static"]],
        # blank forms and the outbox shell only: never a record page or an API answer
        "pages": [
            url_for("web.declare", kind="births"),
            url_for("web.declare", kind="deaths"),
            url_for("web.outbox"),
        ],
        "data": [url_for("web.reference_data")],
    }
    body = f"self.CRVS_OFFLINE = {json.dumps(config)};\n{known['worker']}"
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/outbox")
@auth.login_required
def outbox() -> Response:
    """Declarations kept on this device: pending, sending, sent, refused, suspected duplicates."""
    require_role(auth.actor(), records.DECLARERS)
    labels = {
        kind: {field.name: str(field.label) for field in forms.all_fields(event_type)}
        for kind, event_type in KINDS.items()
    }
    return page("outbox.html", field_labels=labels)


def _json_error(status: int, message: str) -> Response:
    response = jsonify({"code": status, "message": message})
    response.status_code = status
    return response


@bp.get("/outbox/session")
def outbox_session() -> Response:
    """Who is signed in, and a fresh CSRF token for the token request (401 when nobody is)."""
    actor = auth.current()
    if actor is None:
        return lookups.unauthorised()
    return jsonify({"user_id": actor.user_id, "csrf_token": generate_csrf()})


def _token_lifetime() -> int:
    """Seconds for an outbox token: five minutes at most, never beyond the session's end."""
    started = auth.started()
    if started is None:
        return TOKEN_SECONDS
    left = settings().token_lifetime_seconds - (time.time() - started.timestamp())
    return int(max(1, min(TOKEN_SECONDS, left)))


@bp.post("/outbox/token")
@unit_of_work
def outbox_token() -> Response:
    """A short-lived bearer token for the outbox of the signed-in user (CSRF header required)."""
    actor = auth.current()
    if actor is None:
        return lookups.unauthorised()
    owner = (request.get_json(silent=True) or {}).get("user_id")
    if owner != actor.user_id:
        return _json_error(409, gettext("This outbox belongs to another user."))
    if actor.role not in records.DECLARERS:
        return _json_error(403, gettext("Only clerks and registrars declare."))
    user = db_session().get(User, actor.user_id)
    assert user is not None  # auth.load_actor found it in this request
    token, expires_at = users.issue_token(
        db_session(), settings(), user, lifetime=_token_lifetime()
    )
    return jsonify({"token": token, "expires_at": expires_at.isoformat()})


def _choices() -> dict[str, list[list[str]]]:
    lists: dict[str, list[list[str]]] = {}
    for event_type in EventType:
        for field in forms.all_fields(event_type):
            if field.choices:
                lists[field.name] = [[key, str(label)] for key, label in field.choices]
    return lists


@bp.get("/outbox/reference.json")
@unit_of_work
def reference_data() -> Response:
    """Areas and facilities of the signed-in clerk's area and the forms' choice lists."""
    actor = auth.current()
    if actor is None:
        return lookups.unauthorised()
    try:
        data = offline.reference_data(db_session(), actor)
    except PermissionDenied as exc:
        discard()
        return _json_error(403, exc.message)
    return jsonify(data | {"choices": _choices()})


@bp.get(f"/outbox/{KIND_RULE}/<uuid:record_id>/duplicates")
@unit_of_work
def outbox_duplicates(kind: str, record_id: UUID) -> Response:
    """Open suspected duplicates of a record sent from the outbox, masked."""
    actor = auth.current()
    if actor is None:
        return lookups.unauthorised()
    try:
        found = offline.masked_duplicates(db_session(), actor, KINDS[kind], str(record_id))
    except (PermissionDenied, NotFound) as exc:
        discard()
        return _json_error(exc.status_code, exc.message)
    return jsonify(found)


def _texts() -> dict[str, str]:
    """What the outbox script says, in the page's language (``{name}`` marks a value)."""
    return {
        "births": gettext("Birth"),
        "deaths": gettext("Death"),
        "no_name": gettext("(no name yet)"),
        "offline_form": gettext(
            "No connection: saving keeps this declaration on this device, in the outbox. "
            "It is sent when the connection returns."
        ),
        "saved": gettext(
            "Saved on this device ({name}). It will be sent when the connection returns."
        ),
        "not_saved": gettext("The declaration could not be kept on this device."),
        "refused_title": gettext("The registry refused this declaration: please check"),
        "status_pending": gettext("Waiting to be sent"),
        "status_sending": gettext("Sending"),
        "status_sent": gettext("Sent"),
        "status_refused": gettext("Refused"),
        "status_duplicate": gettext("Sent: suspected duplicate"),
        "declared_at": gettext("Declared on this device at {time}"),
        "open_record": gettext("Open the record"),
        "fix": gettext("Fix and send again"),
        "remove": gettext("Remove from this device"),
        "duplicate_note": gettext(
            "The registry found a possible earlier record of the same person; "
            "a registrar will decide."
        ),
        "candidate": gettext(
            "Possible match: {given} {family}, {month}, area {area} ({percent} %)"
        ),
        "sent_count": gettext("Sent: {n}."),
        "nothing": gettext("Nothing waits to be sent."),
        "signin_again": gettext(
            "Your session has ended: sign in again to send the outbox. Nothing is lost."
        ),
        "other_user": gettext("Signed in as another user: this outbox is not sent."),
        "try_later": gettext("The registry did not answer; the outbox will try again."),
        "offline": gettext("No connection: the outbox is sent when it returns."),
        "leave_title": gettext("Declarations not yet sent"),
        "leave_text": gettext(
            "{n} declaration(s) on this device have not been sent. They stay on this device "
            "and are sent after you sign in again."
        ),
        "stay": gettext("Stay signed in"),
        "leave_anyway": gettext("Sign out anyway"),
    }


def outbox_key() -> str:
    """The signed-in user's key for sealing their outbox items in the browser (AES-256-GCM).

    Derived from the application's secret and the user id, so it is the same in every session
    of the user (items kept across a sign-out are read again at the next sign-in) and only a
    page of that user carries it. Rotating ``SECRET_KEY`` makes unsent items unreadable: send
    every outbox first.
    """
    actor = auth.actor()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, f"crvs-outbox-key:{actor.user_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


@bp.app_context_processor
def offline_context() -> dict[str, Any]:
    return {"outbox_texts": _texts, "outbox_key": outbox_key}
