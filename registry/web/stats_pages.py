"""Vital statistics for statisticians (and administrators): the coverage table, charts, downloads.

Everything comes from ``registry.services.stats``: ``compute`` counts in SQL inside the actor's
area subtree (only aggregates: area codes and names, periods, counts and measures, never a
person's name), the charts are SVG strings drawn by ``presentation.charts`` from those aggregates
with their text escaped there, and the downloads go through ``stats.export`` (which writes the audit
event) and the CSV/XLSX writers with their column allowlist. The JSON API uses bearer tokens, so
the pages have their own session-authenticated download route.
"""

from __future__ import annotations

from dataclasses import replace
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
from registry.services.stats.query import ESTABLISHED_BY, NOT_STATED
from registry.services.stats.suppression import TOTAL
from registry.web import auth, i18n
from registry.web.blueprint import bp, page, unit_of_work
from registry.web.forms import flatten_errors
from registry.web.i18n import N_, current_locale, gettext

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


#: ICD-10 chapter titles (``domain.ICD10_CHAPTERS``) marked for translation, by code range.
CHAPTER_TITLES = {
    "A00-B99": N_("Certain infectious and parasitic diseases"),
    "C00-D48": N_("Neoplasms"),
    "D50-D89": N_("Diseases of the blood and immune mechanism"),
    "E00-E90": N_("Endocrine, nutritional and metabolic diseases"),
    "F00-F99": N_("Mental and behavioural disorders"),
    "G00-G99": N_("Diseases of the nervous system"),
    "H00-H59": N_("Diseases of the eye and adnexa"),
    "H60-H95": N_("Diseases of the ear and mastoid process"),
    "I00-I99": N_("Diseases of the circulatory system"),
    "J00-J99": N_("Diseases of the respiratory system"),
    "K00-K93": N_("Diseases of the digestive system"),
    "L00-L99": N_("Diseases of the skin and subcutaneous tissue"),
    "M00-M99": N_("Diseases of the musculoskeletal system"),
    "N00-N99": N_("Diseases of the genitourinary system"),
    "O00-O99": N_("Pregnancy, childbirth and the puerperium"),
    "P00-P96": N_("Certain conditions originating in the perinatal period"),
    "Q00-Q99": N_("Congenital malformations and chromosomal abnormalities"),
    "R00-R99": N_("Symptoms, signs and ill-defined conditions"),
    "V01-Y98": N_("External causes of morbidity and mortality"),
    "U00-U99": N_("Codes for special purposes"),
    NOT_STATED: N_("Underlying cause not stated"),
}
INDICATORS = (
    "crude_birth_rate",
    "crude_death_rate",
    "infant_mortality_rate",
    "neonatal_mortality_rate",
)


def _causes(result: stats.StatsResult) -> dict[str, Any]:
    """Deaths by ICD-10 chapter of the underlying cause, one column per way the cause was
    established (never added up silently: the total column says so), and the ill-defined share."""
    rows = [
        r
        for r in result.table("causes_by_chapter").rows
        if r["sex"] == TOTAL and r["broad_age_group"] == TOTAL
    ]
    by_chapter: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = by_chapter.setdefault(str(r["icd10_chapter"]), {})
        entry[str(r["established_by"])] = r["deaths"]
    chapters: list[dict[str, Any]] = [
        {
            "code": code,
            "title": gettext(CHAPTER_TITLES[code]) if code in CHAPTER_TITLES else code,
            "counts": counts,
        }
        for code, counts in by_chapter.items()
        if code != TOTAL and counts.get(TOTAL)
    ]
    chapters.sort(key=lambda c: -(c["counts"].get(TOTAL) or 0))
    return {
        "chapters": chapters,
        "total": by_chapter.get(TOTAL, {}),
        "ill_defined": result.table("ill_defined_causes").rows,
    }


def _rates(result: stats.StatsResult) -> list[dict[str, Any]]:
    """A row per area: the four rates with their numerators, and completeness."""
    out: dict[str, dict[str, Any]] = {}
    for r in result.table("rates").rows:
        entry = out.setdefault(
            str(r["area_code"]), {"area_code": r["area_code"], "area_name": r["area_name"]}
        )
        entry[str(r["indicator"])] = {
            "value": r["value"],
            "numerator": r["numerator"],
            "completeness_pct": r["completeness_pct"],
        }
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
    locale = current_locale()
    return [
        _svg(charts.completeness_by_area(coverage, "births", gettext, locale)),
        _svg(charts.completeness_by_area(coverage, "deaths", gettext, locale)),
        _svg(charts.registrations_by_timeliness(coverage, "births", gettext, locale)),
        _svg(charts.registrations_by_timeliness(coverage, "deaths", gettext, locale)),
        _svg(charts.births_and_deaths_by_month(monthly, gettext, locale)),
        _svg(charts.death_age_pyramid(deaths, gettext, locale)),
    ]


@bp.get("/statistics")
@auth.login_required
@unit_of_work
def statistics() -> Response:
    """The coverage table of a year, period and level in your area, with charts and downloads."""
    actor, session = auth.actor(), db_session()
    require_role(actor, stats.STATISTICIANS)
    values, errors, req = _args()
    result = causes = rates = None
    drawn: list[Markup] = []
    status = 422 if errors else 200
    if req is not None:
        try:
            result = stats.compute(session, actor, req)
            drawn = _charts(session, actor, result)
            causes = _causes(stats.compute(session, actor, replace(req, table="causes")))
            rates = _rates(stats.compute(session, actor, replace(req, table="rates")))
        except ValidationFailed as exc:
            errors, status, result = flatten_errors(exc.errors), exc.status_code, None
    levels = _levels(actor.area_path)
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
        causes=causes,
        rates=rates,
        indicators=INDICATORS,
        methods=ESTABLISHED_BY,
        tables=stats.TABLE_NAMES,
        downloads=DOWNLOADS,
        total=TOTAL,
    )


@bp.get("/statistics/<string:table>.<string:fmt>")
@auth.login_required
@unit_of_work
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
    return Response(
        body,
        content_type=formats.CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{table}-{req.year}.{fmt}"'},
    )
