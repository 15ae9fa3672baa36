"""Who is acting, and the one function that scopes every query to the actor's area subtree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select

from registry import messages
from registry.domain import Role
from registry.errors import PermissionDenied
from registry.models import Area, Record, User

S = TypeVar("S", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class Actor:
    """The signed-in user as services see it (no ORM object, so nothing lazy-loads)."""

    user_id: int
    username: str
    full_name: str
    role: Role
    area_id: int
    area_code: str
    area_path: str

    @classmethod
    def from_user(cls, user: User) -> Actor:
        return cls.of(user, user.area.code, user.area.path)

    @classmethod
    def of(cls, person: Any, area_code: str, area_path: str) -> Actor:
        """From anything with a user's ``id``, ``username``, ``full_name``, ``role`` and
        ``area_id`` (a ``User``, or a row of those columns), and the area's code and path."""
        return cls(
            user_id=person.id,
            username=person.username,
            full_name=person.full_name or person.username,
            role=Role(person.role),
            area_id=person.area_id,
            area_code=area_code,
            area_path=area_path,
        )

    def covers(self, area_path: str) -> bool:
        """Whether an area (by its path) lies in this actor's subtree."""
        return area_path.startswith(self.area_path)


def require_role(actor: Actor, roles: Iterable[Role]) -> None:
    allowed = set(roles)
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise PermissionDenied(messages.ONLY_ROLES.format(roles=names))


def scoped(stmt: S, actor: Actor, record: Any = Record) -> S:
    """Restrict a query of records to the actor's area subtree. Every record query uses this.

    ``record`` is the Record entity or an alias of it joined into ``stmt``.
    """
    return stmt.where(within(actor, record))


def within(actor: Actor, record: Any = Record) -> Any:
    """The condition of ``scoped``: the record (entity or alias) lies in the actor's subtree.
    For queries that combine it (a pair of records, either of which may be the actor's)."""
    return record.area_path.startswith(actor.area_path, autoescape=True)


def scoped_areas(stmt: S, actor: Actor) -> S:
    """Restrict a query of areas to the actor's subtree."""
    return stmt.where(Area.path.startswith(actor.area_path, autoescape=True))


def ensure_covers(actor: Actor, area_path: str) -> None:
    if not actor.covers(area_path):
        raise PermissionDenied(messages.OUTSIDE_AREA)
