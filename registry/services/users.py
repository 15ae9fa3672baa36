"""User accounts, password hashing (argon2id), password strength, sign-in throttling, API tokens
and web sessions.

Sign-in throttling counts failures in three counter rows, each changed by one atomic upsert that
returns the new count: the (account, address) pair (``LOGIN_MAX_FAILURES`` per
``LOGIN_WINDOW_SECONDS``), the address alone (four times as many) and the account alone, whatever
the address (``LOGIN_ACCOUNT_MAX_FAILURES`` per ``LOGIN_ACCOUNT_WINDOW_SECONDS``, a slower global
limit). ``count_attempt`` counts an attempt as failed *before* the password is checked, and its
caller commits at once, so simultaneous attempts each see the count of those before them and no
more than the limit are ever checked; a success gives the count back. Counters lift when their
window ends: there is no permanent lock-out.

Administrators manage the accounts of their own area subtree (``list_users``, ``add_user``,
``update_user``, ``reset_password``): they see no account outside it, and cannot place an account
or its facility outside it. Deactivation and every password change move the user's
``auth_epoch`` and revoke their web sessions, so every token and session ends at once. A reset
sets ``must_change_password``: the pages then open nothing but the change-password form, and the
API issues no token (``PasswordChangeRequired``) until the user has chosen a new password.
With ``actor=None`` (the ``crvs`` command line, run by the server's operator) no area applies.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, bindparam, case, delete, false, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from registry import messages
from registry.domain import Role
from registry.errors import (
    Conflict,
    NotFound,
    PasswordChangeRequired,
    PermissionDenied,
    TooManyAttempts,
    field_error,
)
from registry.models import ApiToken, Area, Facility, LoginThrottle, User, WebSession
from registry.services import audit
from registry.services.areas import area_by_code, facility_by_code
from registry.services.scoping import Actor, require_role, scoped_areas
from registry.services.settings import RegistrySettings

MIN_PASSWORD_LENGTH = 10
#: zxcvbn's estimate grows with length faster than it matters beyond this; longer passwords are
#: judged on their first characters (the estimate's cost rises steeply with length).
STRENGTH_CHECKED_LENGTH = 100
USERNAME_RE = re.compile(r"^[A-Za-z0-9._]{1,80}$")
ROLES = tuple(r.value for r in Role)
ADDRESS_FACTOR = 4  # an address may fail for several accounts before it is slowed down


def hasher(settings: RegistrySettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_cost
    )


def create_user(
    session: Session,
    settings: RegistrySettings,
    *,
    username: str,
    password: str,
    role: str,
    area_code: str,
    facility_code: str | None = None,
    full_name: str = "",
    actor: Actor | None = None,
) -> User:
    if not USERNAME_RE.match(username):
        raise field_error("username", messages.USERNAME_FORMAT)
    if role not in ROLES:
        raise field_error("role", messages.ROLE_ONE_OF.format(roles=", ".join(ROLES)))
    check_password(settings, password, username, full_name)
    area = area_by_code(session, area_code)
    if area is None:
        raise field_error("area", messages.UNKNOWN_AREA_CODE.format(code=area_code))
    facility = None
    if facility_code:
        facility = facility_by_code(session, facility_code)
        if facility is None:
            raise field_error("facility", messages.UNKNOWN_FACILITY_CODE.format(code=facility_code))
        if not facility.area.path.startswith(area.path):
            raise field_error("facility", messages.FACILITY_OUTSIDE_USER)
    if session.scalars(select(User).where(User.username == username)).first():
        raise Conflict(messages.USER_EXISTS.format(username=username))
    user = User(
        username=username,
        full_name=full_name or username,
        password_hash=hasher(settings).hash(password),
        role=Role(role),
        area=area,
        facility=facility,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user_created", details={"username": username, "role": role})
    return user


def check_password(settings: RegistrySettings, password: str, *user_inputs: str) -> None:
    """Refuse a short password, and one that is common or easy to guess (zxcvbn's estimate,
    which knows common passwords, words, names, keyboard patterns, repeats and dates, and here
    also the user's own name); a 422 naming the field says why."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise field_error("password", messages.PASSWORD_TOO_SHORT.format(count=MIN_PASSWORD_LENGTH))
    result = zxcvbn(password[:STRENGTH_CHECKED_LENGTH], user_inputs=[u for u in user_inputs if u])
    if result["score"] < settings.password_min_score:
        feedback = result["feedback"]
        why = feedback.get("warning") or next(iter(feedback.get("suggestions") or []), "")
        message = messages.PASSWORD_TOO_EASY_HINT.format(hint=why) if why else None
        raise field_error("password", message or messages.PASSWORD_TOO_EASY)


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int
    window_seconds: int


def _counters(settings: RegistrySettings, username: str, address: str) -> list[_Counter]:
    """The pair, the address and the account, in one fixed order (so concurrent upserts of
    overlapping keys lock rows in the same order and cannot deadlock)."""
    name, where = username[:80].lower(), address[:64]
    window, limit = settings.login_window_seconds, settings.login_max_failures
    return [
        _Counter(f"pair:{name}@{where}", limit, window),
        _Counter(f"address:{where}", limit * ADDRESS_FACTOR, window),
        _Counter(f"account:{name}", settings.login_account_max_failures,
                 settings.login_account_window_seconds),
    ]  # fmt: skip


def _bump(session: Session, counters: list[_Counter]) -> dict[str, int]:
    """Add one to each counter (starting it again when its window is over) in one statement;
    the new counts, as the database saw them under the row locks."""
    now = datetime.now(UTC)
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    rows = [
        {"key": c.key, "failures": 1, "resets_at": now + timedelta(seconds=c.window_seconds)}
        for c in counters
    ]
    stmt = module.insert(LoginThrottle).values(rows)
    table = LoginThrottle.__table__.c
    over = table.resets_at <= bindparam("now", now, type_=LoginThrottle.resets_at.type)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.key],
        set_={
            "failures": case((over, 1), else_=table.failures + 1),
            "resets_at": case((over, stmt.excluded.resets_at), else_=table.resets_at),
        },
    ).returning(table.key, table.failures)
    return {row.key: row.failures for row in session.execute(stmt)}


#: Counters whose window is over say nothing any more; they are deleted in small batches, at most
#: this often per process, from the sign-in path (so guessed usernames do not pile up rows).
PURGE_EVERY_SECONDS = 600
PURGE_BATCH = 1000
_next_purge = 0.0


def _purge_counters(session: Session) -> None:
    global _next_purge  # per-process pacing of the purge
    if time.monotonic() < _next_purge:
        return
    _next_purge = time.monotonic() + PURGE_EVERY_SECONDS
    over = (
        select(LoginThrottle.key)
        .where(LoginThrottle.resets_at <= datetime.now(UTC))
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.key.in_(over.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )


def count_attempt(
    session: Session, settings: RegistrySettings, username: str, address: str
) -> None:
    """Count a sign-in attempt as failed before its password is checked; raise TooManyAttempts
    when the pair, the address or the account is over its limit.

    The caller commits straight after (before the slow password check), so the counters' row
    locks are held for one statement only; ``authenticate`` gives the count back on success.
    On TooManyAttempts the caller rolls back: a refused attempt is not counted.
    """
    _purge_counters(session)
    counters = _counters(settings, username, address)
    counts = _bump(session, counters)
    if any(counts.get(c.key, 0) > c.limit for c in counters):
        raise TooManyAttempts()


def _give_back(session: Session, settings: RegistrySettings, username: str, address: str) -> None:
    """A successful sign-in: the pair starts again from nothing, the address and the account
    get back the attempt counted for it."""
    pair, *shared = _counters(settings, username, address)
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == pair.key))
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key.in_([c.key for c in shared]), LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )


def authenticate(
    session: Session, settings: RegistrySettings, username: str, password: str, address: str
) -> User | None:
    """The user if the password is right; None otherwise (the failure is audited).

    Call ``count_attempt`` (and commit) first: the attempt is already counted as failed, and a
    success gives it back. The caller commits in both cases.
    """
    user = session.scalars(select(User).where(User.username == username)).first()
    ph = hasher(settings)
    ok = False
    if user is not None and user.active:
        try:
            ok = ph.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        # Spend the same time on unknown accounts so timing does not reveal them.
        ph.hash(password)
    if not ok or user is None:
        audit.record(session, None, "login_failed", username=username[:80])
        session.flush()
        return None
    _give_back(session, settings, username, address)
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(password)
    audit.record(session, Actor.from_user(user), "login")
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, settings: RegistrySettings, user: User, lifetime: int | None = None
) -> tuple[str, datetime]:
    """A new bearer token; ``lifetime`` (seconds) shortens it below the configured one."""
    token = secrets.token_urlsafe(32)
    seconds = settings.token_lifetime_seconds
    if lifetime is not None:
        seconds = max(1, min(seconds, lifetime))
    expires_at = datetime.now(UTC) + timedelta(seconds=seconds)
    session.add(
        ApiToken(
            token_hash=_digest(token),
            user_id=user.id,
            expires_at=expires_at,
            auth_epoch=user.auth_epoch,
        )
    )
    session.flush()
    audit.record(session, Actor.from_user(user), "token_issued")
    return token, expires_at


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# What ``Actor.of`` reads, for the token and web-session look-ups alike.
ACTOR_COLUMNS = (
    User.id,
    User.username,
    User.full_name,
    User.role,
    User.active,
    User.auth_epoch,
    User.area_id,
    Area.code.label("area_code"),
    Area.path.label("area_path"),
)

# The token look-up runs on every API call: one prepared statement of plain columns, no ORM
# objects to build (it is a large share of a short request's time).
TOKEN_ACTOR = (
    select(
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.auth_epoch.label("token_epoch"),
        *ACTOR_COLUMNS,
    )
    .join(User, User.id == ApiToken.user_id)
    .join(Area, Area.id == User.area_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def actor_for_token(session: Session, token: str) -> Actor | None:
    """The active user behind an unexpired, unrevoked token, else None."""
    row = session.connection().execute(TOKEN_ACTOR, {"token_hash": _digest(token)}).first()
    if row is None or row.revoked_at is not None:
        return None
    if _aware(row.expires_at) <= datetime.now(UTC):
        return None
    if not row.active or row.token_epoch != row.auth_epoch:
        return None
    return Actor.of(row, row.area_code, row.area_path)


def revoke_token(session: Session, token: str, actor: Actor) -> None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        audit.record(session, actor, "token_revoked")
        session.flush()


def set_password(
    session: Session,
    settings: RegistrySettings,
    user: User,
    password: str,
    actor: Actor | None,
    *,
    must_change: bool = False,
) -> None:
    """Change a password and end every existing session and token of the user.

    ``must_change`` (an administrator's reset) makes the next sign-in ask for a new one; a
    change without it (the user's own) lifts that demand.
    """
    check_password(settings, password, user.username, user.full_name)
    user.password_hash = hasher(settings).hash(password)
    user.must_change_password = must_change
    user.auth_epoch += 1
    end_web_sessions(session, user.id)
    action = "password_reset" if must_change else "password_changed"
    audit.record(session, actor, action, details={"username": user.username})
    session.flush()


def deactivate(session: Session, user: User, actor: Actor | None) -> None:
    """Deactivate an account and end every existing session and token of the user."""
    if actor is not None and actor.user_id == user.id:
        raise Conflict(messages.CANNOT_DEACTIVATE_SELF)
    user.active = False
    user.auth_epoch += 1
    end_web_sessions(session, user.id)
    audit.record(session, actor, "user_deactivated", details={"username": user.username})
    session.flush()


def ensure_may_use_api(user: User) -> None:
    """Refuse a token to a user who must first choose a new password (on the pages)."""
    if user.must_change_password:
        raise PasswordChangeRequired()


# -- administration of accounts -------------------------------------------------------------------

#: Length of a generated temporary password (URL-safe characters, about 96 bits).
TEMPORARY_PASSWORD_BYTES = 12


class Keep(Enum):
    """``update_user``'s default for a field left as it is (``None`` may mean "clear")."""

    KEEP = "keep"


KEEP = Keep.KEEP


def _administered(actor: Actor | None) -> None:
    if actor is not None:
        require_role(actor, [Role.ADMIN])


def _users_in_reach(actor: Actor | None) -> Select[User]:
    """Accounts of the actor's subtree (all for the operator), never the ``system`` account."""
    stmt = select(User).join(Area, Area.id == User.area_id).where(User.username != SYSTEM_USER)
    return scoped_areas(stmt, actor) if actor is not None else stmt


def list_users(
    session: Session,
    actor: Actor | None,
    *,
    q: str = "",
    role: str | None = None,
    area_code: str | None = None,
    active: bool | None = None,
    limit: int = 500,
) -> list[User]:
    """Accounts in the actor's area subtree, by username; filtered by a username or full-name
    prefix ``q``, a role, an area (its whole subtree) and whether active."""
    _administered(actor)
    stmt = _users_in_reach(actor)
    if q:
        pattern = q.lower()
        stmt = stmt.where(
            or_(
                func.lower(User.username).startswith(pattern, autoescape=True),
                func.lower(User.full_name).startswith(pattern, autoescape=True),
            )
        )
    if role:
        stmt = stmt.where(User.role == Role(role))
    if area_code:
        area = area_by_code(session, area_code)
        if area is None:
            raise field_error("area", messages.UNKNOWN_AREA_CODE.format(code=area_code))
        stmt = stmt.where(Area.path.startswith(area.path, autoescape=True))
    if active is not None:
        stmt = stmt.where(User.active.is_(true() if active else false()))
    return list(session.scalars(stmt.order_by(User.username).limit(limit)))


def user_in_reach(session: Session, actor: Actor | None, username: str) -> User:
    """The account named ``username`` in the actor's subtree; 404 otherwise (accounts outside
    it are not revealed)."""
    _administered(actor)
    user = session.scalars(_users_in_reach(actor).where(User.username == username)).first()
    if user is None:
        raise NotFound(messages.NO_SUCH_USER)
    return user


def _place(
    session: Session,
    actor: Actor | None,
    area_code: str,
    facility_code: str | None,
    fields: tuple[str, str],
) -> tuple[Area, Facility | None]:
    """The area and facility an account is attached to, both inside the actor's subtree, and
    the facility inside the area (field messages under ``fields``: area's, facility's)."""
    area_field, facility_field = fields
    area = area_by_code(session, area_code)
    if area is None:
        raise field_error(area_field, messages.UNKNOWN_AREA_CODE.format(code=area_code))
    if actor is not None and not actor.covers(area.path):
        raise PermissionDenied(
            messages.AREA_OUTSIDE_YOURS, errors={area_field: [messages.AREA_OUTSIDE_YOURS]}
        )
    if not facility_code:
        return area, None
    facility = facility_by_code(session, facility_code)
    if facility is None:
        raise field_error(facility_field, messages.UNKNOWN_FACILITY_CODE.format(code=facility_code))
    if actor is not None and not actor.covers(facility.area.path):
        raise PermissionDenied(
            messages.FACILITY_OUTSIDE_YOURS,
            errors={facility_field: [messages.FACILITY_OUTSIDE_YOURS]},
        )
    if not facility.area.path.startswith(area.path):
        raise field_error(facility_field, messages.FACILITY_OUTSIDE_USER)
    return area, facility


def add_user(
    session: Session,
    settings: RegistrySettings,
    actor: Actor | None,
    *,
    username: str,
    password: str,
    role: str,
    area_code: str,
    facility_code: str | None = None,
    full_name: str = "",
) -> User:
    """Create an account inside the administrator's subtree (403 naming the field outside it)."""
    _administered(actor)
    _place(session, actor, area_code, facility_code, ("area", "facility"))
    return create_user(
        session,
        settings,
        username=username,
        password=password,
        role=role,
        area_code=area_code,
        facility_code=facility_code,
        full_name=full_name,
        actor=actor,
    )


def update_user(
    session: Session,
    actor: Actor | None,
    username: str,
    *,
    role: str | None = None,
    area_code: str | None = None,
    facility_code: str | Keep | None = KEEP,
    full_name: str | None = None,
    active: bool | None = None,
) -> User:
    """Change an account's role, area, facility (``None`` removes it), full name, or whether it
    is active. Deactivation ends its sessions and tokens; every change is audited."""
    user = user_in_reach(session, actor, username)
    own = actor is not None and actor.user_id == user.id
    changes: dict[str, list[Any]] = {}
    if role is not None and role not in ROLES:
        raise field_error("role", messages.ROLE_ONE_OF.format(roles=", ".join(ROLES)))
    if role is not None and Role(role) != Role(user.role):
        if own:
            raise field_error("role", messages.CANNOT_CHANGE_OWN_ROLE)
        changes["role"] = [Role(user.role).value, Role(role).value]
    new_area = area_code if area_code is not None else user.area.code
    new_facility = user.facility.code if user.facility else None
    if facility_code is not KEEP:
        new_facility = facility_code or None
    if area_code is not None and area_code != user.area.code and own:
        raise field_error("area_code", messages.CANNOT_CHANGE_OWN_ROLE)
    old_facility = user.facility.code if user.facility else None
    if new_area != user.area.code or new_facility != old_facility:
        area, facility = _place(
            session, actor, new_area, new_facility, ("area_code", "facility_code")
        )
        if area.id != user.area_id:
            changes["area_code"] = [user.area.code, area.code]
            user.area = area
        if new_facility != old_facility:
            changes["facility_code"] = [old_facility, new_facility]
            user.facility = facility
    if role is not None and "role" in changes:
        user.role = Role(role)
    if full_name is not None:
        name = full_name.strip()
        if not name:
            raise field_error("full_name", messages.BLANK)
        if name != user.full_name:
            changes["full_name"] = [user.full_name, name]
            user.full_name = name
    if changes:
        audit.record(session, actor, "user_updated", details={"username": user.username, **changes})
    if active is False and user.active:
        deactivate(session, user, actor)
    elif active is True and not user.active:
        user.active = True
        audit.record(session, actor, "user_reactivated", details={"username": user.username})
    session.flush()
    return user


def reset_password(
    session: Session,
    settings: RegistrySettings,
    actor: Actor | None,
    username: str,
    password: str | None = None,
) -> str:
    """Give an account a new password (a random one when ``password`` is None) that must be
    changed at the next sign-in; every session and token of the account ends. Returns the
    password, to hand to the user."""
    user = user_in_reach(session, actor, username)
    chosen = password if password is not None else secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)
    set_password(session, settings, user, chosen, actor, must_change=True)
    return chosen


def change_own_password(
    session: Session,
    settings: RegistrySettings,
    actor: Actor,
    current: str,
    new: str,
    address: str,
) -> User:
    """The signed-in user replaces their password (the current one checked first); the demand
    to change it lifts, and every session and token of the user ends (the caller starts a new
    web session).

    The check of the current password is throttled like a sign-in: call ``count_attempt`` (and
    commit) first; a right current password gives the attempt back.
    """
    user = session.get(User, actor.user_id)
    if user is None or not user.active:
        raise NotFound(messages.NO_SUCH_USER)
    ph = hasher(settings)
    try:
        ph.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise field_error("current_password", messages.WRONG_CURRENT_PASSWORD) from None
    _give_back(session, settings, user.username, address)
    if new == current:
        raise field_error("password", messages.SAME_PASSWORD)
    set_password(session, settings, user, new, actor)
    return user


# -- web sessions ---------------------------------------------------------------------------------

#: How often a session's ``last_seen_at`` is written (a write on every page would cost more).
LAST_SEEN_EVERY = timedelta(minutes=5)


def start_web_session(session: Session, user: User) -> str:
    """A new server-side session for ``user``; the random id goes in the (signed) cookie and
    only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(
        WebSession(
            id_hash=_digest(token),
            user_id=user.id,
            auth_epoch=user.auth_epoch,
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return token


# The session look-up runs on every page: one indexed read of plain columns (session, user,
# area and facility together), no ORM objects to build.
WEB_SESSION_ACTOR = (
    select(
        WebSession.created_at,
        WebSession.last_seen_at,
        WebSession.revoked_at,
        WebSession.auth_epoch.label("session_epoch"),
        *ACTOR_COLUMNS,
        User.must_change_password,
        Facility.code.label("facility_code"),
    )
    .join(User, User.id == WebSession.user_id)
    .join(Area, Area.id == User.area_id)
    .outerjoin(Facility, Facility.id == User.facility_id)
    .where(WebSession.id_hash == bindparam("id_hash"))
)


@dataclass(frozen=True)
class WebSignIn:
    actor: Actor
    facility_code: str | None
    stale: bool  # last seen long enough ago to be written again
    started_at: datetime  # when the session began (it ends TOKEN_LIFETIME_SECONDS later)
    must_change_password: bool = False  # pages open nothing but the change-password form


def actor_for_web_session(
    session: Session, settings: RegistrySettings, token: str
) -> WebSignIn | None:
    """The active user behind a live web session, else None (signed out, revoked by a password
    change or deactivation, or older than ``TOKEN_LIFETIME_SECONDS``)."""
    row = session.connection().execute(WEB_SESSION_ACTOR, {"id_hash": _digest(token)}).first()
    if row is None or row.revoked_at is not None:
        return None
    now = datetime.now(UTC)
    if now - _aware(row.created_at) > timedelta(seconds=settings.token_lifetime_seconds):
        return None
    if not row.active or row.session_epoch != row.auth_epoch:
        return None
    stale = now - _aware(row.last_seen_at) > LAST_SEEN_EVERY
    return WebSignIn(
        Actor.of(row, row.area_code, row.area_path),
        row.facility_code,
        stale,
        _aware(row.created_at),
        bool(row.must_change_password),
    )


def saw_web_session(session: Session, token: str) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.id_hash == _digest(token))
        .values(last_seen_at=datetime.now(UTC))
    )


def end_web_session(session: Session, token: str) -> None:
    """Sign out: the session's cookie no longer opens anything, wherever it was copied."""
    session.execute(
        update(WebSession)
        .where(WebSession.id_hash == _digest(token), WebSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


def end_web_sessions(session: Session, user_id: int) -> None:
    """End every live web session of a user (password change, deactivation)."""
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


SYSTEM_USER = "system"


def system_actor(session: Session, settings: RegistrySettings) -> Actor:
    """The inactive ``system`` registrar over the whole tree, for imports and the demo.

    It cannot sign in (inactive, random password); the audit trail names it.
    """
    user = session.scalars(select(User).where(User.username == SYSTEM_USER)).first()
    if user is None:
        root = session.scalars(
            select(Area).where(Area.parent_id.is_(None)).order_by(Area.id)
        ).first()
        if root is None:
            raise Conflict(messages.NO_ROOT_AREA)
        user = create_user(
            session,
            settings,
            username=SYSTEM_USER,
            password=secrets.token_urlsafe(24),
            role=Role.REGISTRAR.value,
            area_code=root.code,
            full_name="Registry system (imports and demo)",
        )
        user.active = False
        session.flush()
    return Actor.from_user(user)
