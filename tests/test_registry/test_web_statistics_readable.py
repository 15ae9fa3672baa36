"""The statistics page a newcomer can read: causes of death and rates on the page, completeness
charts scaled to their values, and a demo country whose denominators match its volume."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from registry.cli import main
from registry.db import make_engine
from registry.domain import today
from registry.presentation import charts
from registry.services import stats
from registry.services.areas import load_denominators
from registry.services.stats.suppression import TOTAL
from tests.factories import birth, death
from tests.test_registry.test_web_support import Web


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def registered(web: Web, session: Session) -> int:
    """Two births and two deaths (one of an ill-defined cause) registered in D11 this year, and
    D11's denominators for this year; the year."""
    year = today().year
    load_denominators(
        session,
        io.StringIO(
            "area_code,year,population_male,population_female,crude_birth_rate,crude_death_rate\n"
            f"D11,{year},1000,1000,30,8\n"
        ),
    )
    session.commit()
    clerk, registrar = web.api.as_user("clerk"), web.api.as_user("registrar")
    unknown = {
        "part1": [{"text": "Unknown", "icd10": "R99"}],
        "underlying_icd10": "R99",
        "manner": "could_not_be_determined",
        "established_by": "verbal_autopsy",
    }
    bodies = (
        ("births", birth(2, child={"given_names": "Zawadi", "family_name": "Kamau"})),
        ("births", birth(1, child={"given_names": "Jabari", "sex": "male"})),
        ("deaths", death(2)),
        ("deaths", death(1, deceased={"given_names": "Otieno", "sex": "female"}, cause=unknown)),
    )
    for kind, body in bodies:
        record = clerk.declare(kind, body)
        done = registrar.post(f"/api/v1/{kind}/{record['id']}/register", json={})
        assert done.status_code == 200, done.json
    return year


def test_causes_of_death_and_rates_are_on_the_page(web: Web, session: Session) -> None:
    """The page shows deaths by ICD-10 chapter of the underlying cause, kept apart by how the
    cause was established, the share of ill-defined causes, and the four rates by area."""
    year = registered(web, session)
    web.as_user("statistician")
    text = web.text(web.get(f"/statistics?year={year}&period=month&level=district"))
    causes = text.split('id="causes"')[1].split("</table>")[0]
    respiratory = causes.split("Diseases of the respiratory system")[1].split("</tr>")[0]
    # medical certificate, verbal autopsy, lay report, unknown, total
    assert respiratory.count('<td class="n">') == 5
    assert [cell.split("<")[0] for cell in respiratory.split('<td class="n">')[1:]] == [
        "1",
        "0",
        "0",
        "0",
        "1",
    ]
    assert "Symptoms, signs and ill-defined conditions" in causes
    ill = text.split('id="ill-defined"')[1].split("</table>")[0]
    assert "Verbal autopsy" in ill and "100.0\u00a0%" in ill  # a no-break space before %
    rates = text.split('id="rates"')[1].split("</table>")[0]
    for name in ("Crude birth rate", "Crude death rate", "Infant mortality rate"):
        assert name in rates
    d11 = rates.split("Amani District")[1].split("</tr>")[0]
    assert "1.0 ‰" in d11  # 2 births in a population of 2,000
    for person in ("Zawadi", "Kamau", "Jabari", "Otieno"):
        assert person not in text
    french = web.text(
        web.get(f"/statistics?year={year}&level=district", headers={"Accept-Language": "fr"})
    )
    assert "Causes de décès" in french and "Taux brut de natalité" in french
    assert "Maladies de l&#39;appareil respiratoire" in french


def _texts(scene: charts.Scene) -> list[str]:
    return [s.text for s in scene.shapes if isinstance(s, charts.Text)]


def test_a_completeness_chart_of_small_values_is_scaled_to_them() -> None:
    """Values of a few tenths of a per cent get an axis of their size, their values written on
    the bars and a note that 90 % and 100 % lie above; large values keep the reference lines."""
    small = charts.completeness_scene("births", ["D11", "D12", "D13"], [0.1, 0.3, None], 2026)
    texts = _texts(small)
    assert "0.1%" in texts and "0.3%" in texts
    assert "0.5%" in texts and "100%" not in texts  # the axis ends at 0.5 %
    assert not [s for s in small.shapes if isinstance(s, charts.Line) and s.dash]
    assert any("90 and 100 per cent marks lie above it" in t for t in texts)
    bars = [s for s in small.shapes if isinstance(s, charts.Rect)]
    plot = charts.HEIGHT - charts.TOP - charts.BOTTOM
    assert bars[1].h == pytest.approx(plot * 0.3 / 0.5)
    assert bars[0].h > 0.15 * plot  # readable, not a hair on the floor of a 0-100 axis
    large = charts.completeness_scene("births", ["D11", "D12"], [75.0, 95.5], 2026)
    assert len([s for s in large.shapes if isinstance(s, charts.Line) and s.dash]) == 2
    assert "95.5%" in _texts(large)
    assert not any("lie above" in t for t in _texts(large))
    tiny = charts.completeness_scene("births", ["D11", "D12"], [0.0, 0.004], 2026)
    assert [s.h for s in tiny.shapes if isinstance(s, charts.Rect)][1] > 0
    svg = charts.to_svg(small)
    assert "0.3%</text>" in svg


def test_the_demo_country_has_completeness_of_a_plausible_size(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run`'s demo (300 births and 120 deaths over about three years) on its own
    denominators gives a completeness within one year of some 60-90 % for last year, not 0.1 %."""
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ARGON2_MEMORY_COST", "1024")
    result = CliRunner().invoke(main, ["demo", "--births", "300", "--deaths", "120"])
    assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    with Session(engine) as session:
        request = stats.StatsRequest("coverage", today().year - 1, "year", "district")
        coverage = stats.compute(session, stats.system_actor(), request)
        totals = {
            kind: next(
                r
                for r in coverage.table(f"coverage_{kind}").rows
                if r["area_code"] == TOTAL
                and r["period"] == TOTAL
                and r["sex"] == TOTAL
                and r["timeliness"] == TOTAL
            )
            for kind in ("births", "deaths")
        }
    engine.dispose()
    assert 50 <= totals["births"]["completeness_one_year_pct"] <= 95, totals
    assert 35 <= totals["deaths"]["completeness_one_year_pct"] <= 100, totals
    assert 90 <= totals["births"]["estimated"] <= 160
