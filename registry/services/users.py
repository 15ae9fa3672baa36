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
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from registry import messages
from registry.domain import Role
from registry.errors import Conflict, TooManyAttempts, field_error
from registry.models import ApiToken, Area, Facility, LoginThrottle, User, WebSession
from registry.services import audit
from registry.services.areas import area_by_code, facility_by_code
from registry.services.scoping import Actor
from registry.services.settings import RegistrySettings

MIN_PASSWORD_LENGTH = 10
#: zxcvbn's estimate grows with length faster than it matters beyond this; longer passwords are
#: judged on their first characters (the estimate's cost rises steeply with length).
STRENGTH_CHECKED_LENGTH = 100
USERNAME_RE = re.compile(r"^[A-Za-z0-9._]{1,80}$")
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
        raise field_error("username", "Use 1-80 letters, digits, '.' or '_'.")
    if role not in {r.value for r in Role}:
        raise field_error("role", f"Must be one of {', '.join(r.value for r in Role)}.")
    check_password(settings, password, username, full_name)
    area = area_by_code(session, area_code)
    if area is None:
        raise field_error("area", f"Unknown area code {area_code!r}.")
    facility = None
    if facility_code:
        facility = facility_by_code(session, facility_code)
        if facility is None:
            raise field_error("facility", f"Unknown facility code {facility_code!r}.")
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
        raise field_error("password", f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    result = zxcvbn(password[:STRENGTH_CHECKED_LENGTH], user_inputs=[u for u in user_inputs if u])
    if result["score"] < settings.password_min_score:
        feedback = result["feedback"]
        why = feedback.get("warning") or next(iter(feedback.get("suggestions") or []), "")
        message = "This password is too easy to guess; choose a longer, less common one."
        raise field_error("password", f"{message} {why}".strip())


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
    session: Session, settings: RegistrySettings, user: User, password: str, actor: Actor | None
) -> None:
    """Change a password and end every existing session and token of the user."""
    check_password(settings, password, user.username, user.full_name)
    user.password_hash = hasher(settings).hash(password)
    user.auth_epoch += 1
    end_web_sessions(session, user.id)
    audit.record(session, actor, "password_changed", details={"username": user.username})
    session.flush()


def deactivate(session: Session, user: User, actor: Actor | None) -> None:
    """Deactivate an account and end every existing session and token of the user."""
    user.active = False
    user.auth_epoch += 1
    end_web_sessions(session, user.id)
    audit.record(session, actor, "user_deactivated", details={"username": user.username})
    session.flush()


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
