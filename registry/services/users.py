"""User accounts, password hashing (argon2id), sign-in throttling and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from registry.domain import Role
from registry.errors import Conflict, TooManyAttempts, field_error
from registry.models import ApiToken, Area, LoginAttempt, User
from registry.services import audit
from registry.services.areas import area_by_code, facility_by_code
from registry.services.scoping import Actor
from registry.services.settings import RegistrySettings

MIN_PASSWORD_LENGTH = 10
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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise field_error("password", f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    area = area_by_code(session, area_code)
    if area is None:
        raise field_error("area", f"Unknown area code {area_code!r}.")
    facility = None
    if facility_code:
        facility = facility_by_code(session, facility_code)
        if facility is None:
            raise field_error("facility", f"Unknown facility code {facility_code!r}.")
    if session.scalars(select(User).where(User.username == username)).first():
        raise Conflict(f"A user named {username!r} already exists.")
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


def _recent_failures(session: Session, settings: RegistrySettings, **where: str) -> int:
    since = datetime.now(UTC) - timedelta(seconds=settings.login_window_seconds)
    stmt = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
    for column, value in where.items():
        stmt = stmt.where(getattr(LoginAttempt, column) == value)
    return session.scalar(stmt) or 0


def authenticate(
    session: Session, settings: RegistrySettings, username: str, password: str, address: str
) -> User | None:
    """The user if the password is right; None otherwise (the failure is recorded).

    Raises TooManyAttempts while the account or the address has failed too often in the
    window; it lifts by itself (no permanent lock-out). The caller commits in both cases so a
    failure is counted.
    """
    limit = settings.login_max_failures
    if (
        _recent_failures(session, settings, username=username) >= limit
        or _recent_failures(session, settings, address=address) >= limit * ADDRESS_FACTOR
    ):
        raise TooManyAttempts()
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
        session.add(LoginAttempt(username=username[:80], address=address[:64]))
        audit.record(session, None, "login_failed", username=username[:80])
        session.flush()
        return None
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


# The token look-up runs on every API call: one prepared statement of plain columns, no ORM
# objects to build (it is a large share of a short request's time).
TOKEN_ACTOR = (
    select(
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.auth_epoch.label("token_epoch"),
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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise field_error("password", f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = hasher(settings).hash(password)
    user.auth_epoch += 1
    audit.record(session, actor, "password_changed", details={"username": user.username})
    session.flush()


def deactivate(session: Session, user: User, actor: Actor | None) -> None:
    user.active = False
    user.auth_epoch += 1
    audit.record(session, actor, "user_deactivated", details={"username": user.username})
    session.flush()


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
            raise Conflict("Load the areas first: there is no root area.")
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
