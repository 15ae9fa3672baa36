"""``crvs stats``: tables in every format, the report, and one-line errors; plus the writers."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.orm import Session

from registry.cli.stats import stats
from registry.db import make_engine
from registry.presentation import charts, formats
from registry.services.stats.model import StatsRequest, StatsResult, Table
from tests.conftest import FreshDatabases
from tests.test_registry.test_stats_tables import B, D, add, birth_body, death_body, denominators


@pytest.fixture(scope="module")
def db_url(backend: str, fresh_databases: FreshDatabases) -> str:
    """A migrated database with a few 2024 births and deaths, committed."""
    url = fresh_databases.create(backend)
    engine = make_engine(url)
    with Session(engine) as session:
        denominators(session, {"D11": (1000, 1200, "30", "10")})
        for month, sex in ((1, "male"), (1, "female"), (2, "female"), (11, "male")):
            born = date(2024, month, 3)
            add(session, B, birth_body("D11", born, sex), date(2024, month, 20), "D11")
        body = death_body("D11", date(2024, 11, 5), "male")
        add(session, D, body, date(2024, 11, 6), "D11")
        session.commit()
    engine.dispose()
    return url


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CRVS_ENV", "testing")
    return db_url


def crvs_stats(*args: str) -> Result:
    return CliRunner().invoke(stats, list(args))


YEAR = ["--year", "2024", "--cutoff", "2025-12-31"]


def test_coverage_csv_is_tidy(env: str, tmp_path: Path) -> None:
    out = tmp_path / "coverage.csv"
    result = crvs_stats(
        "coverage", *YEAR, "--period", "quarter", "--format", "csv", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    q1 = [
        r
        for r in rows
        if r["table"] == "coverage_births" and r["area_code"] == "D11" and r["period"] == "Q1"
        and r["sex"] == "total" and r["timeliness"] == "total"
    ]  # fmt: skip
    assert len(q1) == 1 and q1[0]["registered"] == "3"
    assert q1[0]["estimated"] == str(round(30 * 2200 / 1000 * 91 / 365, 1))
    text = out.read_text()
    assert "Otieno" not in text and "2024-01-03" not in text  # no names, no exact dates


@pytest.mark.parametrize("table", ["births", "deaths", "causes", "rates"])
def test_every_table_writes_json_and_xlsx(env: str, tmp_path: Path, table: str) -> None:
    out = tmp_path / f"{table}.json"
    assert crvs_stats(table, *YEAR, "--format", "json", "--out", str(out)).exit_code == 0
    document = json.loads(out.read_text())
    assert document["cutoff"] == "2025-12-31" and document["tables"]
    assert all(t["notes"] is not None for t in document["tables"])
    book_path = tmp_path / f"{table}.xlsx"
    result = crvs_stats(table, *YEAR, "--format", "xlsx", "--out", str(book_path))
    assert result.exit_code == 0, result.output
    book = load_workbook(book_path)
    assert set(book.sheetnames) == {"notes", *(t["name"][:31] for t in document["tables"])}


def test_dhis2_data_value_set(env: str, tmp_path: Path) -> None:
    out = tmp_path / "dhis2.json"
    result = crvs_stats("coverage", *YEAR, "--format", "dhis2", "--out", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["dataSet"] == "CRVS_VITAL_STATS"
    values = {
        (v["dataElement"], v["period"], v["orgUnit"], v["categoryOptionCombo"]): v["value"]
        for v in document["dataValues"]
    }
    assert values[("CRVS_BIRTHS_REGISTERED", "202401", "OU_D11", "CRVS_F_CURRENT")] == "1"
    assert values[("CRVS_BIRTHS_REGISTERED", "202411", "OU_D11", "CRVS_M_CURRENT")] == "1"
    assert values[("CRVS_DEATHS_REGISTERED", "202411", "OU_D11", "CRVS_M_CURRENT")] == "1"
    assert all(v["orgUnit"].startswith("OU_D") for v in document["dataValues"])
    quarter = tmp_path / "q.json"
    crvs_stats("coverage", *YEAR, "--period", "quarter", "--format", "dhis2", "--out", str(quarter))
    periods = {v["period"] for v in json.loads(quarter.read_text())["dataValues"]}
    assert periods <= {"2024Q1", "2024Q2", "2024Q3", "2024Q4"} and "2024Q4" in periods


def test_report_is_a_pdf(env: str, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = crvs_stats("report", *YEAR, "--out", str(out))
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Vital statistics report 2024" in text and "Completeness" in text


@pytest.mark.parametrize(
    "args",
    [
        ["coverage", "--year", "abc", "--out", "x.csv"],
        ["coverage", "--out", "x.csv"],
        ["coverage", "--year", "2024", "--format", "pdf", "--out", "x"],
        ["coverage", "--year", "2024", "--period", "week", "--out", "x"],
        ["coverage", "--year", "2024", "--level", "village", "--out", "x.csv"],
        ["coverage", "--year", "2024"],
        ["coverage", "--year", "2024", "--bogus"],
        ["marriages", "--year", "2024"],
        [
            "coverage",
            "--year",
            "2024",
            "--format",
            "dhis2",
            "--mapping",
            "/nonexistent.json",
            "--out",
            "x",
        ],
    ],
)
def test_bad_arguments_exit_1_with_one_line(
    env: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = crvs_stats(*args)
    assert result.exit_code == 1, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


# -- writers and charts (no database) -------------------------------------------------------------


def _result(rows: list[dict[str, object]], columns: list[str] | None = None) -> StatsResult:
    table = Table("births_by_place_sex", "t", ["area_code", "area_name", "sex"], ["births"], rows)
    if columns is not None:
        table.dimensions = columns
    return StatsResult(StatsRequest("births", 2024), "DL", date(2025, 1, 1), [table])


def test_formula_cells_are_neutralised_in_csv_and_xlsx() -> None:
    rows: list[dict[str, object]] = [
        {"area_code": code, "area_name": code, "sex": "male", "births": 7}
        for code in ("=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "D11")
    ]
    text = formats.to_csv(_result(rows))
    names = [r["area_name"] for r in csv.DictReader(io.StringIO(text))]
    assert names == ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "D11"]
    book = load_workbook(io.BytesIO(formats.to_xlsx(_result(rows))))
    sheet = book["births_by_place_sex"]
    assert [sheet.cell(row=i, column=2).value for i in range(2, 7)] == names


def test_columns_outside_the_allowlist_never_leave() -> None:
    result = _result([{"given_names": "Amina", "births": 1}], columns=["given_names"])
    for write in (formats.to_csv, formats.to_xlsx, formats.to_json):
        with pytest.raises(formats.UnsafeColumn):
            write(result)


def test_charts_are_plain_svg() -> None:
    scenes = [
        charts.bar_chart(
            "Completeness <&>", ["D11", "D12"], [95.0, None], unit="%", reference=(90,)
        ),
        charts.stacked_bar_chart(
            "Timeliness", ["01", "02"], {"current": [3, 4], "late": [1, None]}
        ),
        charts.line_chart(
            "By month", ["01", "02", "03"], {"births": [1, 2, 3], "deaths": [0, 1, 0]}
        ),
        charts.pyramid("Pyramid", ["<24 h", "1-4", "80+"], [1, 2, 3], [0, 1, None]),
    ]
    for scene in scenes:
        svg = charts.to_svg(scene)
        root = ElementTree.fromstring(svg)  # noqa: S314  (our own output)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "<script" not in svg and "http://" not in svg.replace(
            "http://www.w3.org/2000/svg", ""
        )
    assert "Completeness &lt;&amp;&gt;" in charts.to_svg(scenes[0])


def test_a_chart_writes_figures_and_age_groups_in_its_language() -> None:
    """The pyramid's infant groups go through the caller's translation, and every figure a chart
    writes follows its locale (a French page must not show "0.5%" or "days not stated")."""
    rows = [
        {"age_group": group, "sex": sex, "deaths": deaths}
        for group, sex, deaths in (
            ("under 1, days not stated", "male", 1200),
            ("7-27 d", "female", 2),
        )
    ]
    table = Table("deaths_by_age_sex", "Deaths", ["age_group", "sex"], ["deaths"], rows)
    result = StatsResult(StatsRequest("deaths", 2024), "DL", date(2025, 1, 1), [table])
    french = {"under 1, days not stated": "moins d\u20191 an", "7-27 d": "7-27 j"}
    svg = charts.to_svg(charts.pyramid_scene(result, lambda t: french.get(t, t), "fr"))
    assert "moins d\u20191 an" in svg and "7-27 j" in svg and "days not stated" not in svg
    assert "1\u202f200" in svg  # the male group's figure, with the French thousands space
    bars = charts.bar_chart("Completeness", ["D11"], [0.5], unit="%", locale="fr")
    assert "0,5\u00a0%" in charts.to_svg(bars) and "0.5%" not in charts.to_svg(bars)
