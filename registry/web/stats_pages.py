"""Vital statistics for statisticians (and administrators): the coverage table, charts, downloads.

Everything comes from ``registry.services.stats``: ``compute`` counts in SQL inside the actor's
area subtree (only aggregates: area codes and names, periods, counts and measures, never a
person's name), the charts are SVG strings drawn by ``presentation.charts`` from those aggregates
with their text escaped there, and the downloads go through ``stats.export`` (which writes the audit
event) and the CSV/XLSX writers with their column allowlist. The JSON API uses bearer tokens, so
the pages have their own session-authenticated download route.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from registry import messages
from registry.domain import today
from registry.errors import NotFound, ValidationFailed
from registry.extensions import db_session
from registry.models import Area
from registry.presentation import charts, formats
from registry.services import stats
from registry.services.scoping import require_role
from registry.services.stats.suppression import TOTAL
from registry.web import auth, hooks, i18n
from registry.web.blueprint import bp, page
from registry.web.forms import flatten_errors
from registry.web.i18n import gettext

DOWNLOADS = ("csv", "xlsx")
DEFAULT_LEVEL = "district"


def _args() -> tuple[dict[str, str], dict[str, list[str]], stats.StatsRequest | None]:
    """The year, period and level asked for, with a message per field that is not valid."""
    values = {
        "year": request.args.get("year", str(today().year)).strip()[:8],
        "period": request.args.get("period", "month"),
        "level": request.args.get("level", DEFAULT_LEVEL).strip()[:40],
    }
    errors: dict[str, list[str]] = {}
    if not values["year"].isdigit() or not 1900 <= int(values["year"]) <= 2200:
        errors["year"] = [messages.YEAR_RANGE]
    if values["period"] not in stats.PERIODS:
        errors["period"] = [messages.ONE_OF.format(choices=", ".join(stats.PERIODS))]
    if errors:
        return values, errors, None
    request_ = stats.StatsRequest(
        table="coverage", year=int(values["year"]), period=values["period"], level=values["level"]
    )
    return values, errors, request_


def _levels(area_path: str) -> list[str]:
    stmt = (
        select(Area.level, Area.path)
        .where(Area.path.startswith(area_path, autoescape=True))
        .order_by(Area.path)
    )
    seen: dict[str, int] = {}
    for level, path in db_session().execute(stmt):
        depth = path.count("/")
        seen[level] = min(seen.get(level, depth), depth)
    return sorted(seen, key=lambda level: seen[level])


def _area_rows(result: stats.StatsResult, name: str) -> list[dict[str, Any]]:
    rows = result.table(name).rows
    return [
        r for r in rows if r["period"] == TOTAL and r["sex"] == TOTAL and r["timeliness"] == TOTAL
    ]


def _period_rows(result: stats.StatsResult, name: str) -> list[dict[str, Any]]:
    """Per period for all areas: registered by timeliness band, with completeness."""
    rows = [r for r in result.table(name).rows if r["area_code"] == TOTAL and r["sex"] == TOTAL]
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = out.setdefault(str(r["period"]), {"period": r["period"]})
        entry[str(r["timeliness"])] = r["registered"]
        if r["timeliness"] == TOTAL:
            entry["completeness_pct"] = r["completeness_pct"]
            entry["estimated"] = r["estimated"]
    return list(out.values())


def _svg(markup: str) -> Markup:
    # Our own SVG from ``presentation.charts.to_svg``: every text and title in it is escaped there,
    # the colours come from its palette, and the labels are area codes, periods and age groups.
    return Markup(markup)  # noqa: S704


def _charts(session: Any, actor: Any, coverage: stats.StatsResult) -> list[Markup]:
    req = coverage.request
    monthly = coverage
    if req.period != "month":
        monthly = stats.compute(
            session, actor, stats.StatsRequest("coverage", req.year, "month", req.level)
        )
    by_age = stats.StatsRequest("deaths", req.year, "year", req.level)
    deaths = stats.compute(session, actor, by_age)
    return [
        _svg(charts.completeness_by_area(coverage, "births", gettext)),
        _svg(charts.completeness_by_area(coverage, "deaths", gettext)),
        _svg(charts.registrations_by_timeliness(coverage, "births", gettext)),
        _svg(charts.registrations_by_timeliness(coverage, "deaths", gettext)),
        _svg(charts.births_and_deaths_by_month(monthly, gettext)),
        _svg(charts.death_age_pyramid(deaths, gettext)),
    ]


@bp.get("/statistics")
@auth.login_required
def statistics() -> Response:
    """The coverage table of a year, period and level in your area, with charts and downloads."""
    actor, session = auth.actor(), db_session()
    require_role(actor, stats.STATISTICIANS)
    values, errors, req = _args()
    result = None
    drawn: list[Markup] = []
    status = 422 if errors else 200
    if req is not None:
        try:
            result = stats.compute(session, actor, req)
            drawn = _charts(session, actor, result)
        except ValidationFailed as exc:
            errors, status, result = flatten_errors(exc.errors), exc.status_code, None
    levels = _levels(actor.area_path)
    session.commit()
    return page(
        "statistics.html",
        status,
        values=values,
        errors=i18n.translate_all(errors),
        levels=levels,
        periods=stats.PERIODS,
        result=result,
        areas={k: _area_rows(result, f"coverage_{k}") for k in ("births", "deaths")}
        if result
        else {},
        by_period={k: _period_rows(result, f"coverage_{k}") for k in ("births", "deaths")}
        if result
        else {},
        charts=drawn,
        tables=stats.TABLE_NAMES,
        downloads=DOWNLOADS,
        total=TOTAL,
    )


@bp.get("/statistics/<string:table>.<string:fmt>")
@auth.login_required
def statistics_download(table: str, fmt: str) -> Response | BaseResponse:
    """One table as CSV or XLSX (audited as an export, columns through the allowlist)."""
    actor = auth.actor()
    require_role(actor, stats.STATISTICIANS)
    if table not in stats.TABLE_NAMES or fmt not in DOWNLOADS:
        raise NotFound()
    _values, errors, req = _args()
    if req is None:
        raise ValidationFailed(errors=errors)
    session = db_session()
    req = stats.StatsRequest(table=table, year=req.year, period=req.period, level=req.level)
    result = stats.export(session, actor, req, fmt)
    body = formats.render(result, fmt)
    session.commit()
    return Response(
        body,
        content_type=formats.CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{table}-{req.year}.{fmt}"'},
    )


hooks.home_pages["statistician"] = "web.statistics"
