"""GET /api/v1/stats/{table}: statisticians and administrators, inside their area subtree."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.api import stats as stats_api
from registry.models import AuditEvent
from registry.services import users
from tests import factories
from tests.factories import ApiClient
from tests.test_registry.test_stats_tables import find, register  # noqa: F401  (fixture)

URL = "/api/v1/stats/coverage?year=2024&cutoff=2025-12-31&period=year"


@pytest.fixture
def stats_app(app: Flask) -> Iterator[Flask]:
    """The app with the stats blueprint, until the lead registers it in registry.api."""
    if "stats" not in app.blueprints:
        app.register_blueprint(stats_api.blp)
    yield app


@pytest.fixture
def client_api(stats_app: Flask, api: ApiClient) -> ApiClient:
    return api


def test_statistician_gets_the_coverage_table_as_json(
    client_api: ApiClient,
    register: Session,  # noqa: F811
) -> None:
    response = client_api.as_user("statistician").get(URL)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["cutoff"] == "2025-12-31" and body["year"] == 2024
    assert "D12: none" in body["denominator"]
    births = next(t for t in body["tables"] if t["name"] == "coverage_births")
    row = find(births["rows"], area_code="D11", period="year", sex="total", timeliness="total")
    assert row["registered"] == 5
    assert "given_names" not in births["columns"]


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("clerk", 403), ("registrar", 403), ("statistician", 200), ("admin", 200)],
)
def test_only_statisticians_and_admins(
    client_api: ApiClient, stats_app: Flask, who: str | None, status: int
) -> None:
    client = client_api.as_user(who) if who else stats_app.test_client()
    response = client.get(URL)
    assert response.status_code == status
    if status != 200:
        assert response.json is not None and response.json["code"] == status


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=abc", "year"),
        ("year=2024&period=week", "period"),
        ("year=2024&format=pdf", "format"),
        ("period=year", "year"),
        ("year=2024&level=village", "level"),
    ],
)
def test_bad_arguments_are_422_with_field_messages(
    client_api: ApiClient, query: str, field: str
) -> None:
    response = client_api.as_user("statistician").get(f"/api/v1/stats/births?{query}")
    assert response.status_code == 422, response.json
    assert field in str(response.json["errors"])


def test_unknown_table_is_404(client_api: ApiClient) -> None:
    response = client_api.as_user("statistician").get("/api/v1/stats/marriages?year=2024")
    assert response.status_code == 404


def test_csv_and_xlsx_downloads(client_api: ApiClient, register: Session) -> None:  # noqa: F811
    who = client_api.as_user("admin")
    csv = who.get(URL + "&format=csv")
    assert csv.status_code == 200
    assert csv.content_type.startswith("text/csv")
    assert "attachment" in csv.headers["Content-Disposition"]
    header = csv.get_data(as_text=True).splitlines()[0].split(",")
    assert header[:6] == ["table", "area_code", "area_name", "period", "sex", "timeliness"]
    assert {"registered", "estimated", "completeness_pct"} <= set(header)
    xlsx = who.get(URL + "&format=xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.get_data()))
    assert {"notes", "coverage_births", "coverage_deaths"} <= set(book.sheetnames)


def test_public_variant_hides_small_counts(
    client_api: ApiClient,
    register: Session,  # noqa: F811
) -> None:
    body = client_api.as_user("statistician").get(URL + "&public=true").json
    assert body["suppression"]["applied"] is True
    for table in body["tables"]:
        for row in table["rows"]:
            assert row["registered"] is None or not 0 < row["registered"] < 5


def test_a_regional_statistician_sees_only_the_region(
    client_api: ApiClient,
    register: Session,  # noqa: F811
) -> None:
    users.create_user(
        register,
        factories.SETTINGS,
        username="stat.r2",
        password=factories.PASSWORD,
        role="statistician",
        area_code="R2",
        facility_code=None,
        full_name="Stat R2",
    )
    who = client_api.as_user("stat.r2")
    body = who.get(URL).json
    births = next(t for t in body["tables"] if t["name"] == "coverage_births")
    assert {r["area_code"] for r in births["rows"]} == {"D21", "total"}
    total = find(births["rows"], area_code="total", period="year", sex="total", timeliness="total")
    assert total["registered"] == 1  # D11's births are outside R2
    assert who.get(URL + "&level=country").status_code == 422


def test_every_export_is_audited(client_api: ApiClient, session: Session) -> None:
    client_api.as_user("statistician").get(URL + "&format=csv")
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert event.action == "export" and event.username == "statistician"
    assert '"format":"csv"' in event.details and '"table":"coverage"' in event.details
