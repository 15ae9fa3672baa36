"""The vital statistics report: a PDF with the main tables and the charts (reportlab).

The charts are the same scenes as the SVG charts of ``charts``, drawn with reportlab graphics,
so the web page and the report show the same pictures. Only aggregate tables go in; every
value comes from the ``StatsResult`` objects the caller computed (and audited).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.graphics.shapes import Drawing, Group, PolyLine, String
from reportlab.graphics.shapes import Rect as RLRect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from registry.presentation import charts
from registry.services.stats.model import StatsResult
from registry.services.stats.suppression import TOTAL

ANCHORS = {"start": "start", "middle": "middle", "end": "end"}


def drawing(scene: charts.Scene, width: float = 170 * mm) -> Drawing:
    """A reportlab drawing of a chart scene, scaled to ``width``."""
    scale = width / scene.width
    group = Group()
    height = scene.height

    def flip(y: float) -> float:
        return height - y

    for shape in scene.shapes:
        if isinstance(shape, charts.Rect):
            group.add(
                RLRect(
                    shape.x,
                    flip(shape.y + shape.h),
                    shape.w,
                    shape.h,
                    fillColor=colors.HexColor(shape.fill),
                    strokeColor=None,
                )
            )
        elif isinstance(shape, charts.Line):
            points = [c for x, y in shape.points for c in (x, flip(y))]
            group.add(
                PolyLine(
                    points,
                    strokeColor=colors.HexColor(shape.stroke),
                    strokeWidth=shape.width,
                    strokeDashArray=[4, 3] if shape.dash else None,
                )
            )
        else:
            text = String(0, 0, shape.text, fontSize=shape.size, textAnchor=ANCHORS[shape.anchor])
            holder = Group(text)
            holder.translate(shape.x, flip(shape.y))
            if shape.rotate:
                holder.rotate(-shape.rotate)
            group.add(holder)
    group.scale(scale, scale)
    result = Drawing(scene.width * scale, scene.height * scale)
    result.add(group)
    return result


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    data = [list(header)] + [[_fmt(v) for v in row] for row in rows]
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
            ]
        )
    )
    return table


def build_report(results: Mapping[str, StatsResult]) -> bytes:
    """The PDF of the report from the results of ``coverage`` (by month), ``births``,
    ``deaths``, ``causes`` and ``rates`` for one year."""
    styles = getSampleStyleSheet()
    coverage = results["coverage"]
    year = coverage.request.year
    story: list[Flowable] = [
        Paragraph(f"Vital statistics report {year}", styles["Title"]),
        Paragraph(
            f"Area: {coverage.scope_area_code}; tables by {coverage.request.level}. "
            f"Registration cut-off date: {coverage.cutoff.isoformat()}.",
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
    ]
    for note in [*coverage.notes, coverage.denominator]:
        story.append(Paragraph(_escape(note), styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph("Completeness of registration", styles["Heading2"]))
    for kind in ("births", "deaths"):
        rows = [
            r
            for r in coverage.table(f"coverage_{kind}").rows
            if r["period"] == TOTAL and r["sex"] == TOTAL and r["timeliness"] == TOTAL
        ]
        story.append(
            drawing(
                charts.completeness_scene(
                    kind,
                    [str(r["area_code"]) for r in rows],
                    [r["completeness_one_year_pct"] for r in rows],
                    year,
                )
            )
        )
        story.append(
            _table(
                ["Area", "Registered", "Estimated", "Within legal period %", "Within one year %"],
                [
                    [
                        r["area_name"],
                        r["registered"],
                        r["estimated"],
                        r["completeness_legal_pct"],
                        r["completeness_one_year_pct"],
                    ]
                    for r in rows
                ],
            )
        )
        story.append(Spacer(1, 4 * mm))
    story.append(PageBreak())
    story.append(Paragraph("Timeliness and seasonality", styles["Heading2"]))
    story.append(drawing(charts.timeliness_scene(coverage, "births")))
    story.append(drawing(charts.timeliness_scene(coverage, "deaths")))
    if coverage.request.period == "month":
        story.append(drawing(charts.monthly_scene(coverage)))
    story.append(PageBreak())
    story.append(Paragraph("Rates", styles["Heading2"]))
    rates = results["rates"].table("rates")
    story.append(
        _table(
            ["Area", "Indicator", "Numerator", "Denominator", "Rate", "Completeness %"],
            [
                [
                    r["area_code"],
                    str(r["indicator"]).replace("_", " "),
                    r["numerator"],
                    r["denominator"],
                    r["value"],
                    r["completeness_pct"],
                ]
                for r in rates.rows
            ],
        )
    )
    births = results["births"]
    story.append(Paragraph("Births", styles["Heading2"]))
    ratio = births.table("sex_ratio_at_birth")
    story.append(
        _table(
            ["Area", "Male", "Female", "Sex ratio", "Outside 103-107"],
            [
                [
                    r["area_code"],
                    r["male"],
                    r["female"],
                    r["sex_ratio"],
                    r["outside_expected_range"],
                ]
                for r in ratio.rows
            ],
        )
    )
    story.append(Spacer(1, 3 * mm))
    weight = births.table("births_by_weight")
    story.append(
        _table(
            ["Birth weight (g)", "Births"],
            [[r["birth_weight_group"], r["births"]] for r in weight.rows],
        )
    )
    story.append(PageBreak())
    deaths = results["deaths"]
    story.append(Paragraph("Deaths", styles["Heading2"]))
    story.append(drawing(charts.pyramid_scene(deaths)))
    share = results["causes"].table("ill_defined_causes")
    story.append(
        Paragraph(
            "Ill-defined causes (R00-R99) by how the cause was established", styles["Heading3"]
        )
    )
    story.append(
        _table(
            ["Established by", "With a cause", "Ill-defined", "Ill-defined %"],
            [
                [r["established_by"], r["with_cause"], r["ill_defined"], r["ill_defined_pct"]]
                for r in share.rows
            ],
        )
    )
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"Vital statistics report {year}",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
    )
    document.build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
