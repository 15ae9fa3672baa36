"""Users (one role, one area), API tokens and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
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


class LoginAttempt(Base):
    """Failed sign-ins, counted per account and per address in a sliding window."""

    __tablename__ = "login_attempts"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[timestamp]
