"""Vital statistics: the standard tables, counted in SQL, published safely.

``compute`` builds the tables of one request (``coverage``, ``births``, ``deaths``, ``causes``,
``rates``) for the actor's area subtree; ``export`` does the same and writes the audit event
(SECURITY I4) that every export needs. Writers for CSV, XLSX, JSON and DHIS2, SVG charts and
the PDF report live in ``registry.presentation``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import messages
from registry.domain import Role, today
from registry.errors import field_error
from registry.models import Area
from registry.services import audit
from registry.services.scoping import Actor, require_role
from registry.services.stats.denominators import Denominators
from registry.services.stats.model import PERIODS, TABLE_NAMES, StatsRequest, StatsResult, Table
from registry.services.stats.tables import BUILDERS, Context, level_areas

__all__ = [
    "PERIODS",
    "STATISTICIANS",
    "TABLE_NAMES",
    "StatsRequest",
    "StatsResult",
    "Table",
    "compute",
    "export",
    "system_actor",
]

STATISTICIANS = (Role.STATISTICIAN, Role.ADMIN)
SYSTEM_USER_ID = 0


def system_actor() -> Actor:
    """The command line's actor: every area, full counts (it runs with database access)."""
    return Actor(
        user_id=SYSTEM_USER_ID,
        username="crvs-cli",
        full_name="crvs command line",
        role=Role.ADMIN,
        area_id=0,
        area_code="*",
        area_path="/",
    )


def _validate(session: Session, actor: Actor, request: StatsRequest) -> list[Area]:
    if request.table not in TABLE_NAMES:
        raise field_error("table", messages.ONE_OF.format(choices=", ".join(TABLE_NAMES)))
    if request.period not in PERIODS:
        raise field_error("period", messages.ONE_OF.format(choices=", ".join(PERIODS)))
    if not 1900 <= request.year <= 2200:
        raise field_error("year", messages.YEAR_RANGE)
    if request.threshold < 1:
        raise field_error("threshold", "Must be at least 1.")
    if request.cutoff is not None and request.cutoff.year < request.year:
        raise field_error("cutoff", "Must not be before the year it counts.")
    areas = level_areas(session, request.level, actor.area_path)
    if not areas:
        levels = session.scalars(
            select(Area.level)
            .where(Area.path.startswith(actor.area_path, autoescape=True))
            .distinct()
            .order_by(Area.level)
        ).all()
        raise field_error(
            "level",
            f"No {request.level!r} areas in your area; use one of: {', '.join(levels)}.",
        )
    return areas


def _scope_code(session: Session, actor: Actor) -> str | None:
    if actor.area_path != "/":
        return actor.area_code
    roots = session.scalars(select(Area.code).where(Area.parent_id.is_(None))).all()
    return roots[0] if len(roots) == 1 else None


def compute(session: Session, actor: Actor, request: StatsRequest) -> StatsResult:
    """The tables of ``request`` for the actor's subtree (statisticians and administrators)."""
    require_role(actor, STATISTICIANS)
    areas = _validate(session, actor, request)
    cutoff = request.cutoff or today()
    scope_code = _scope_code(session, actor)
    denominators = Denominators(session, request.year)
    ctx = Context(
        session=session,
        actor=actor,
        request=request,
        cutoff=cutoff,
        scope_code=scope_code,
        level_codes=[a.code for a in areas],
        names={a.code: a.name for a in denominators.areas.values()},
        denominators=denominators,
    )
    tables = BUILDERS[request.table](ctx)
    described = [a.code for a in areas] + ([scope_code] if scope_code else [])
    when = {"year": request.year, "cutoff": cutoff.isoformat(), "level": request.level}
    if scope_code:
        notes = [messages.STATS_SCOPE.format(scope=scope_code, **when)]
    else:
        notes = [messages.STATS_SCOPE_EVERYWHERE.format(**when)]
    missing = [c for c in described if denominators.get(c) is None]
    if missing:
        notes.append(
            messages.STATS_NO_DENOMINATOR.format(areas=", ".join(missing), year=request.year)
        )
    primary = sum(len(c.primary) for c in ctx.cubes)
    secondary = sum(len(c.secondary) for c in ctx.cubes)
    suppression = {
        "applied": request.public,
        "threshold": request.threshold if request.public else None,
        "primary_cells": primary,
        "secondary_cells": secondary,
    }
    if request.public:
        notes.append(messages.STATS_PUBLIC.format(top=request.threshold - 1, secondary=secondary))
    return StatsResult(
        request=request,
        scope_area_code=scope_code or "*",
        cutoff=cutoff,
        tables=tables,
        notes=notes,
        denominator=denominators.describe(described),
        suppression=suppression,
    )


def export(session: Session, actor: Actor, request: StatsRequest, fmt: str) -> StatsResult:
    """``compute`` plus the audit event every export writes, in the caller's transaction."""
    result = compute(session, actor, request)
    details = {
        "table": request.table,
        "year": request.year,
        "period": request.period,
        "level": request.level,
        "public": request.public,
        "format": fmt,
        "cutoff": result.cutoff.isoformat(),
    }
    if actor.user_id == SYSTEM_USER_ID:
        audit.record(session, None, "export", details=details, username=actor.username)
    else:
        audit.record(session, actor, "export", details=details)
    return result
