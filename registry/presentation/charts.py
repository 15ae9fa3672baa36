"""Charts drawn on the server: pure functions from tables to SVG strings (no JavaScript).

Each chart is first laid out as a small list of shapes (``Scene``), which ``to_svg`` writes as
SVG text for web pages and ``report`` draws with reportlab for the PDF, so both show the same
picture. Text is escaped; nothing is fetched.

Every word a chart shows is marked with ``N_`` (pybabel extracts it) and drawn through the
``tr`` function the caller passes: the web pages pass the request's gettext, so a French page
gets French charts; the default leaves the English text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from babel import Locale
from babel.numbers import format_decimal

from registry.services.stats.model import StatsResult
from registry.services.stats.suppression import TOTAL

Translate = Callable[[str], str]


def N_(text: str) -> str:
    """Mark chart text for extraction; it is translated by the ``tr`` of the call that draws."""
    return text


def _english(text: str) -> str:
    return text


TITLES = {
    "completeness births": N_("Completeness of birth registration within one year, {year} (%)"),
    "completeness deaths": N_("Completeness of death registration within one year, {year} (%)"),
    "timeliness births": N_("Registered births by timeliness and period of occurrence, {year}"),
    "timeliness deaths": N_("Registered deaths by timeliness and period of occurrence, {year}"),
    "monthly": N_("Births and deaths by month of occurrence, {year}"),
    "pyramid": N_("Deaths by age and sex, {year}"),
}
WORDS = {
    "current": N_("current"),
    "late": N_("late"),
    "delayed": N_("delayed"),
    "births": N_("births"),
    "deaths": N_("deaths"),
    "male": N_("male"),
    "female": N_("female"),
    "male max": N_("male (max {top})"),
    "scaled": N_(
        "axis scaled to the values (up to {top}): the 90 and 100 per cent marks lie above it"
    ),
}

#: The infant age groups of ``stats.query.INFANT_GROUPS``, as a chart writes them.
AGE_GROUPS = {
    "1-6 d": N_("1-6 d"),
    "7-27 d": N_("7-27 d"),
    "28 d-11 m": N_("28 d-11 m"),
    "under 1, days not stated": N_("under 1, days not stated"),
}

PALETTE = ("#1b6ca8", "#f0a202", "#c0392b", "#7f8c8d", "#27ae60", "#8e44ad")
WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 64


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str = ""


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 1.0
    dash: bool = False


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float = 10
    anchor: str = "start"  # start, middle, end
    rotate: float = 0


@dataclass
class Scene:
    title: str
    width: float = WIDTH
    height: float = HEIGHT
    shapes: list[Rect | Line | Text] = field(default_factory=list)
    locale: str = "en"

    def figure(self, value: float, unit: str = "") -> str:
        """A value as a label in the scene's locale: three significant figures at most
        (``0.125``, ``87.5``, ``1,250``; in French ``0,125``, ``87,5``, ``1 250``)."""
        rounded = round(value) if abs(value) >= 1000 else float(f"{value:.3g}")
        text = format_decimal(rounded, format="#,##0.###", locale=self.locale)
        if unit == "%":  # spaced as the locale writes per cent ("0,5 %" in French)
            pattern = Locale.parse(self.locale).percent_formats[None].pattern
            return text + ("\u00a0%" if any(c in pattern for c in " \u00a0\u202f") else "%")
        return text + unit


def to_svg(scene: Scene) -> str:
    """The scene as a standalone SVG document (y grows downwards, as in SVG)."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {scene.width:g} {scene.height:g}" '
        f'width="{scene.width:g}" height="{scene.height:g}" role="img" '
        f'aria-label="{escape(scene.title)}" font-family="sans-serif">',
        f"<title>{escape(scene.title)}</title>",
    ]
    for shape in scene.shapes:
        if isinstance(shape, Rect):
            tip = f"<title>{escape(shape.title)}</title>" if shape.title else ""
            parts.append(
                f'<rect x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.w:.1f}" '
                f'height="{shape.h:.1f}" fill="{shape.fill}">{tip}</rect>'
            )
        elif isinstance(shape, Line):
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in shape.points)
            dash = ' stroke-dasharray="4 3"' if shape.dash else ""
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{shape.stroke}" '
                f'stroke-width="{shape.width:g}"{dash}/>'
            )
        else:
            rotate = (
                f' transform="rotate({shape.rotate:g} {shape.x:.1f} {shape.y:.1f})"'
                if shape.rotate
                else ""
            )
            parts.append(
                f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" font-size="{shape.size:g}" '
                f'text-anchor="{shape.anchor}"{rotate}>{escape(shape.text)}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts)


def _nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1.0
    base = 10.0 ** math.floor(math.log10(value))
    return next(float(step * base) for step in (1, 2, 2.5, 5, 10) if step * base >= value)


def _frame(scene: Scene, top: float, x_labels: Sequence[str], unit: str = "") -> None:
    """Axes, horizontal grid lines with values, and the x labels under each slot."""
    plot_w = scene.width - LEFT - RIGHT
    plot_h = scene.height - TOP - BOTTOM
    scene.shapes.append(Text(scene.width / 2, 20, scene.title, 13, "middle"))
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        scene.shapes.append(Line(((LEFT, y), (LEFT + plot_w, y)), "#dddddd"))
        scene.shapes.append(Text(LEFT - 4, y + 3, scene.figure(value, unit), 9, "end"))
    slot = plot_w / max(len(x_labels), 1)
    for i, label in enumerate(x_labels):
        x = LEFT + slot * (i + 0.5)
        rotate = -40 if len(x_labels) > 8 or max(map(len, x_labels)) > 6 else 0
        scene.shapes.append(
            Text(x, TOP + plot_h + 14, label, 9, "end" if rotate else "middle", rotate)
        )


def _legend(scene: Scene, names: Sequence[str]) -> None:
    x = LEFT
    for i, name in enumerate(names):
        scene.shapes.append(Rect(x, scene.height - 14, 10, 10, PALETTE[i % len(PALETTE)]))
        scene.shapes.append(Text(x + 14, scene.height - 5, name, 9))
        x += 14 + 7 * len(name) + 16


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    unit: str = "",
    reference: Sequence[float] = (),
    beyond: str = "",
    locale: str = "en",
) -> Scene:
    """Vertical bars with their values written above them; None draws no bar (an empty cell).

    The axis is scaled to the values, so small values stay readable; dashed lines mark the
    ``reference`` values that fall on it, and ``beyond`` (formatted with ``top``) is written
    at the foot when some do not.
    """
    scene = Scene(title, locale=locale)
    shown = [v for v in values if v is not None]
    top = _nice_max(max([*shown, 0]))
    _frame(scene, top, labels, unit)
    plot_w, plot_h = scene.width - LEFT - RIGHT, scene.height - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    labels_: list[Text] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            continue
        h = plot_h * value / top
        if value > 0:
            h = max(h, 1.0)  # a value above zero is never an invisible bar
        x = LEFT + slot * i + slot * 0.15
        shown_value = scene.figure(value, unit)
        scene.shapes.append(
            Rect(x, TOP + plot_h - h, slot * 0.7, h, PALETTE[0], f"{label}: {shown_value}")
        )
        labels_.append(Text(x + slot * 0.35, TOP + plot_h - h - 3, shown_value, 9, "middle"))
    for ref in reference:
        if ref > top:
            continue
        y = TOP + plot_h - plot_h * ref / top
        scene.shapes.append(Line(((LEFT, y), (LEFT + plot_w, y)), PALETTE[2], 1, dash=True))
    scene.shapes.extend(labels_)  # the values are written over the reference lines
    if beyond and any(ref > top for ref in reference):
        note = beyond.format(top=scene.figure(top, unit))
        scene.shapes.append(Text(LEFT, scene.height - 5, note, 9))
    return scene


def stacked_bar_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[int | None]],
    locale: str = "en",
) -> Scene:
    """Bars stacked from the bottom in the order of ``series`` (None counts as 0)."""
    scene = Scene(title, locale=locale)
    totals = [sum(s[i] or 0 for s in series.values()) for i in range(len(labels))]
    top = _nice_max(max([*totals, 0]))
    _frame(scene, top, labels)
    plot_w, plot_h = scene.width - LEFT - RIGHT, scene.height - TOP - BOTTOM - 12
    slot = plot_w / max(len(labels), 1)
    for i, label in enumerate(labels):
        base = TOP + plot_h + 12
        for k, (name, values) in enumerate(series.items()):
            h = (plot_h + 12) * (values[i] or 0) / top
            if h <= 0:
                continue
            base -= h
            scene.shapes.append(
                Rect(LEFT + slot * i + slot * 0.15, base, slot * 0.7, h,
                     PALETTE[k % len(PALETTE)], f"{label} {name}: {scene.figure(values[i] or 0)}")
            )  # fmt: skip
    _legend(scene, list(series))
    return scene


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[int | None]],
    locale: str = "en",
) -> Scene:
    """One line per series over the labels; a None breaks nothing, it is drawn as 0."""
    scene = Scene(title, locale=locale)
    top = _nice_max(max([v or 0 for s in series.values() for v in s] + [0]))
    _frame(scene, top, labels)
    plot_w, plot_h = scene.width - LEFT - RIGHT, scene.height - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    for k, values in enumerate(series.values()):
        points = tuple(
            (LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * (v or 0) / top)
            for i, v in enumerate(values)
        )
        scene.shapes.append(Line(points, PALETTE[k % len(PALETTE)], 2))
    _legend(scene, list(series))
    return scene


def pyramid(
    title: str,
    groups: Sequence[str],
    male: Sequence[int | None],
    female: Sequence[int | None],
    tr: Translate = _english,
    locale: str = "en",
) -> Scene:
    """An age pyramid: youngest group at the bottom, males to the left, females to the right."""
    scene = Scene(title, height=max(HEIGHT, 40 + 14 * len(groups) + 30), locale=locale)
    scene.shapes.append(Text(scene.width / 2, 20, title, 13, "middle"))
    centre = scene.width / 2
    half = (scene.width - 2 * 90) / 2
    top = _nice_max(max([v or 0 for v in (*male, *female)] + [0]))
    row_h = 14
    base = 40 + row_h * len(groups)
    male_word, female_word = tr(WORDS["male"]), tr(WORDS["female"])
    for i, group in enumerate(groups):
        y = base - row_h * (i + 1)
        m, f = male[i] or 0, female[i] or 0
        wm, wf = half * m / top, half * f / top
        scene.shapes.append(
            Rect(
                centre - 30 - wm,
                y + 1,
                wm,
                row_h - 2,
                PALETTE[0],
                f"{group} {male_word}: {scene.figure(m)}",
            )
        )
        scene.shapes.append(
            Rect(
                centre + 30,
                y + 1,
                wf,
                row_h - 2,
                PALETTE[1],
                f"{group} {female_word}: {scene.figure(f)}",
            )
        )
        scene.shapes.append(Text(centre, y + row_h - 3, group, 8, "middle"))
    male_max = tr(WORDS["male max"]).format(top=scene.figure(top))
    scene.shapes.append(Text(centre - 30, base + 16, male_max, 9, "end"))
    scene.shapes.append(Text(centre + 30, base + 16, female_word, 9))
    return scene


# -- charts of the standard tables ----------------------------------------------------------------


def _rows(result: StatsResult, table: str) -> list[dict[str, object]]:
    return result.table(table).rows


def completeness_by_area(
    coverage: StatsResult, kind: str = "births", tr: Translate = _english, locale: str = "en"
) -> str:
    """Bars: completeness within one year for each area (the year), with 90 % and 100 % lines."""
    rows = [
        r
        for r in _rows(coverage, f"coverage_{kind}")
        if r["period"] == TOTAL and r["sex"] == TOTAL and r["timeliness"] == TOTAL
    ]
    labels = [str(r["area_code"]) for r in rows]
    values = [r["completeness_one_year_pct"] for r in rows]
    return to_svg(completeness_scene(kind, labels, values, coverage.request.year, tr, locale))


def completeness_scene(
    kind: str,
    labels: list[str],
    values: list[object],
    year: int,
    tr: Translate = _english,
    locale: str = "en",
) -> Scene:
    return bar_chart(
        tr(TITLES[f"completeness {kind}"]).format(year=year),
        labels,
        [float(v) if isinstance(v, int | float) else None for v in values],
        unit="%",
        reference=(90, 100),
        beyond=tr(WORDS["scaled"]),
        locale=locale,
    )


def timeliness_scene(
    coverage: StatsResult, kind: str = "births", tr: Translate = _english, locale: str = "en"
) -> Scene:
    rows = [
        r
        for r in _rows(coverage, f"coverage_{kind}")
        if r["area_code"] == TOTAL and r["sex"] == TOTAL and r["period"] != TOTAL
    ]
    periods = list(dict.fromkeys(str(r["period"]) for r in rows))
    series: dict[str, list[int | None]] = {}
    for band in ("current", "late", "delayed"):
        by_period = {str(r["period"]): r["registered"] for r in rows if r["timeliness"] == band}
        series[tr(WORDS[band])] = [_int(by_period.get(p)) for p in periods]
    return stacked_bar_chart(
        tr(TITLES[f"timeliness {kind}"]).format(year=coverage.request.year),
        periods,
        series,
        locale,
    )


def registrations_by_timeliness(
    coverage: StatsResult, kind: str = "births", tr: Translate = _english, locale: str = "en"
) -> str:
    """Stacked bars: current, late and delayed registrations per period of occurrence."""
    return to_svg(timeliness_scene(coverage, kind, tr, locale))


def monthly_scene(coverage: StatsResult, tr: Translate = _english, locale: str = "en") -> Scene:
    series: dict[str, list[int | None]] = {}
    months = [f"{m:02d}" for m in range(1, 13)]
    for kind in ("births", "deaths"):
        rows = {
            str(r["period"]): r["registered"]
            for r in _rows(coverage, f"coverage_{kind}")
            if r["area_code"] == TOTAL and r["sex"] == TOTAL and r["timeliness"] == TOTAL
        }
        series[tr(WORDS[kind])] = [_int(rows.get(m)) for m in months]
    title = tr(TITLES["monthly"]).format(year=coverage.request.year)
    return line_chart(title, months, series, locale)


def births_and_deaths_by_month(
    coverage: StatsResult, tr: Translate = _english, locale: str = "en"
) -> str:
    """Lines: registered births and deaths per month (from a monthly coverage result)."""
    return to_svg(monthly_scene(coverage, tr, locale))


def pyramid_scene(deaths: StatsResult, tr: Translate = _english, locale: str = "en") -> Scene:
    rows = _rows(deaths, "deaths_by_age_sex")
    groups = [
        g
        for g in dict.fromkeys(str(r["age_group"]) for r in rows)
        if g not in (TOTAL, "not stated")
    ]
    by = {(str(r["age_group"]), str(r["sex"])): _int(r["deaths"]) for r in rows}
    return pyramid(
        tr(TITLES["pyramid"]).format(year=deaths.request.year),
        [tr(AGE_GROUPS[g]) if g in AGE_GROUPS else g for g in groups],
        [by.get((g, "male")) for g in groups],
        [by.get((g, "female")) for g in groups],
        tr,
        locale,
    )


def death_age_pyramid(deaths: StatsResult, tr: Translate = _english, locale: str = "en") -> str:
    """The age pyramid of deaths (infant groups at the bottom)."""
    return to_svg(pyramid_scene(deaths, tr, locale))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
