"""The statistics page: coverage table, inline SVG charts, CSV/XLSX downloads, no names."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import AuditEvent
from tests.factories import birth, death
from tests.test_registry.test_web_support import Web


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def registered(web: Web) -> None:
    clerk, registrar = web.api.as_user("clerk"), web.api.as_user("registrar")
    for kind, body in (
        ("births", birth(4, child={"given_names": "Zawadi", "family_name": "Kamau"})),
        ("births", birth(40, child={"given_names": "Jabari", "sex": "male"})),
        ("deaths", death(6)),
    ):
        record = clerk.declare(kind, body)
        done = registrar.post(f"/api/v1/{kind}/{record['id']}/register", json={})
        assert done.status_code == 200, done.json


def test_a_statistician_lands_on_the_statistics_page(web: Web) -> None:
    registered(web)
    web.as_user("statistician")
    home = web.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/statistics"
    page = web.get("/statistics?year=2026&period=month&level=district")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = web.text(page)
    assert 'id="coverage-births"' in text
    row = text.split('id="coverage-births"')[1].split("</table>")[0]
    assert "Amani District" in row and "D11" in row
    assert "All areas" in row
    # Six charts drawn on the server, as inline SVG with titles for screen readers.
    assert text.count("<svg ") == 6
    assert 'role="img"' in text and "<title>Deaths by age and sex, 2026</title>" in text
    assert "<script" not in text.split("<main")[1]
    # No person's name anywhere.
    for name in ("Zawadi", "Kamau", "Jabari", "Otieno", "Mwangi", "Grace"):
        assert name not in text
    assert len(page.data) < 100_000


def test_statistics_by_quarter_and_region_and_bad_input(web: Web) -> None:
    registered(web)
    web.as_user("statistician")
    page = web.get("/statistics?year=2026&period=quarter&level=region")
    assert page.status_code == 200
    assert "Northern Region" in web.text(page)
    bad = web.get("/statistics?year=20x6&period=week&level=district")
    assert bad.status_code == 422
    text = web.text(bad)
    assert "Must be between 1900 and 2200." in text and "Must be one of" in text
    nowhere = web.get("/statistics?year=2026&period=year&level=village")
    assert nowhere.status_code == 422
    assert "No &#39;village&#39; areas in your area" in web.text(nowhere)


def test_downloads_are_csv_and_xlsx_without_names_and_audited(web: Web, session: Session) -> None:
    registered(web)
    web.as_user("statistician")
    text = web.text(web.get("/statistics?year=2026"))
    assert "/statistics/coverage.csv?year=2026" in text
    response = web.get("/statistics/coverage.csv?year=2026&period=month&level=district")
    assert response.status_code == 200
    assert response.content_type.startswith("text/csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="coverage-2026.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and "registered" in rows[0]
    assert not {"given_names", "family_name", "name", "date_of_birth"} & set(rows[0])
    xlsx = web.get("/statistics/deaths.xlsx?year=2026")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    exports = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert {json.loads(e.details)["format"] for e in exports} >= {"csv", "xlsx"}
    assert web.get("/statistics/people.csv?year=2026").status_code == 404
    assert web.get("/statistics/coverage.json?year=2026").status_code == 404


def test_admins_may_open_statistics_clerks_and_registrars_may_not(web: Web) -> None:
    web.as_user("admin")
    assert web.get("/statistics?year=2026").status_code == 200
    web.post("/logout")
    for user in ("clerk", "registrar"):
        web.as_user(user)
        assert web.get("/statistics?year=2026").status_code == 403
        assert web.get("/statistics/coverage.csv?year=2026").status_code == 403
        web.post("/logout")


def test_a_french_page_draws_french_charts(web: Web) -> None:
    registered(web)
    web.as_user("statistician")
    page = web.get(
        "/statistics?year=2026&period=month&level=district", headers={"Accept-Language": "fr"}
    )
    assert page.status_code == 200
    text = web.text(page)
    assert text.count("<svg ") == 6
    assert "<title>Décès par âge et sexe, 2026</title>" in text
    assert "Exhaustivité de l&#x27;enregistrement des naissances dans l&#x27;année" in text
    assert "dans les délais" in text and "hommes (max" in text
    for english in ("Deaths by age and sex", "Completeness of birth", "by timeliness", "female"):
        assert english not in text
