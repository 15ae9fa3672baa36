"""Users (one role, one area), API tokens, web sessions and sign-in throttle counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, intpk, timestamp
from registry.domain import Role
from registry.models.areas import Area, Facility


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped by logout-everywhere, password change and deactivation: older sessions die.
    auth_epoch: Mapped[int] = mapped_column(default=0)
    # Set by an administrator's password reset: the next sign-in must choose a new password.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[timestamp]

    area: Mapped[Area] = relationship(lazy="joined")
    facility: Mapped[Facility | None] = relationship()


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[timestamp]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    auth_epoch: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship(lazy="joined")


class WebSession(Base):
    """A signed-in browser: the cookie holds a random id, only its SHA-256 is stored here.

    Signing out, a password change and deactivation set ``revoked_at`` (and the latter two move
    the user's ``auth_epoch``), so a copied cookie stops working at once.
    """

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    auth_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[timestamp]
    last_seen_at: Mapped[timestamp]
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Failed sign-ins in a fixed window, one counter row per key: the (account, address) pair,
    the account alone and the address alone. Counted by one atomic upsert."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    # The end of the counter's window: the next failure after it starts a new count at 1, and
    # the row may be purged (indexed for that).
    resets_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
