"""What every API view shares: the signed-in actor, and one commit per request.

``unit_of_work`` wraps a view: it runs it, and commits once when it succeeds. For a POST with an
``Idempotency-Key`` it stores the response in the same transaction and replays it to retries; two
concurrent first attempts meet on the unique key and the loser replays the winner's response.
``commit_once`` is the same without replays, for a POST that stores nothing (a duplicate check).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, g, make_response, request
from sqlalchemy.exc import IntegrityError

from registry import messages
from registry.errors import AuthenticationFailed, BadRequest, Conflict, RegistryError
from registry.extensions import db_session, settings
from registry.models import IdempotencyKey
from registry.services import idempotency
from registry.services.scoping import Actor
from registry.services.users import actor_for_token

F = TypeVar("F", bound=Callable[..., Any])
MAX_KEY_LENGTH = 255


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_actor() -> Actor:
    """The actor behind the request's bearer token; 401 without a valid one."""
    here = g._get_current_object()  # resolved once: this runs several times a request
    actor: Actor | None = here.get("actor")
    if actor is None:
        token = bearer_token()
        actor = actor_for_token(db_session(), token) if token else None
        if actor is None:
            raise AuthenticationFailed()
        here.actor = actor
    return actor


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.request_hash != fingerprint:
        raise Conflict(messages.IDEMPOTENCY_KEY_REUSED)
    response = Response(stored.body, status=stored.status_code, content_type=stored.content_type)
    if stored.location:
        response.headers["Location"] = stored.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def commit_once(view: F) -> F:
    """Commit once after the view succeeds, with no ``Idempotency-Key`` replay: for a POST that
    stores nothing but its audit events (a retry simply asks again)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        response = make_response(view(*args, **kwargs))
        db_session().commit()
        return response

    return cast(F, wrapper)


def unit_of_work(view: F) -> F:
    """Commit once after the view succeeds; honour ``Idempotency-Key`` on POST."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = db_session()
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if key is None:
            response = make_response(view(*args, **kwargs))
            session.commit()
            return response
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.")
        actor = current_actor()
        fingerprint = _fingerprint()
        ttl = settings().idempotency_ttl_seconds
        stored = idempotency.find(session, actor.user_id, key, ttl)
        if stored is not None:
            return _replay(stored, fingerprint)
        try:
            response = make_response(view(*args, **kwargs))
        except RegistryError:
            # A concurrent first attempt may have done the work while this one waited for the
            # record's lock: the record then looks changed, but the retry wants that answer.
            session.rollback()
            stored = idempotency.find(session, actor.user_id, key, ttl)
            if stored is None:
                raise
            return _replay(stored, fingerprint)
        try:
            if response.status_code < 300:
                idempotency.store(
                    session,
                    user_id=actor.user_id,
                    key=key,
                    request_hash=fingerprint,
                    status_code=response.status_code,
                    content_type=response.content_type or "application/octet-stream",
                    location=response.headers.get("Location"),
                    body=response.get_data(),
                    ttl_seconds=ttl,
                )
            session.commit()
        except IntegrityError:
            session.rollback()
            stored = idempotency.find(session, actor.user_id, key, ttl)
            if stored is None:
                raise
            return _replay(stored, fingerprint)
        return response

    return cast(F, wrapper)
