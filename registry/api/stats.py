"""Vital statistics tables for statisticians and administrators, inside their area subtree."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.common import current_actor, unit_of_work
from registry.errors import NotFound
from registry.extensions import db_session
from registry.presentation import formats
from registry.schemas.stats import StatsOut, StatsQuery
from registry.services import stats

blp = Blueprint(
    "stats",
    __name__,
    url_prefix="/api/v1/stats",
    description="Vital statistics: coverage, births, deaths, causes and rates (no names)",
)


@blp.route("/<string:table>")
class StatsTable(MethodView):
    @unit_of_work
    @blp.arguments(StatsQuery(), location="query")
    @blp.response(200, StatsOut)
    @blp.alt_response(200, description="CSV or XLSX download with format=csv|xlsx")
    def get(self, query: dict[str, Any], table: str) -> Any:
        """One table (coverage, births, deaths, causes, rates) for a year of occurrence."""
        if table not in stats.TABLE_NAMES:
            raise NotFound(f"No table {table!r}; use one of: {', '.join(stats.TABLE_NAMES)}.")
        request = stats.StatsRequest(
            table=table,
            year=query["year"],
            period=query["period"],
            level=query["level"],
            public=query["public"],
            threshold=current_app.config.get("STATS_SUPPRESSION_THRESHOLD", 5),
            cutoff=query.get("cutoff"),
        )
        fmt = query["format"]
        result = stats.export(db_session(), current_actor(), request, fmt)
        if fmt == "json":
            return formats.to_json(result)
        suffix = "-public" if request.public else ""
        return Response(
            formats.render(result, fmt),
            content_type=formats.CONTENT_TYPES[fmt],
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{table}-{request.year}{suffix}.{fmt}"'
                )
            },
        )
