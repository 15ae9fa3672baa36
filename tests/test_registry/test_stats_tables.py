"""The vital statistics tables, computed on a small hand-made register.

Every expected figure is worked out here from the register below, not copied from the output.
The register lives in 2024 (a leap year); today's date never matters because every
registration date is given and the cut-off is fixed.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.domain import EventType
from registry.errors import PermissionDenied, ValidationFailed
from registry.models import Area, Denominator, Record, User
from registry.schemas.records import BirthIn, DeathIn
from registry.services import records
from registry.services.scoping import Actor
from registry.services.stats import StatsRequest, StatsResult, compute, export
from tests import factories

YEAR = 2024
CUTOFF = date(2025, 12, 31)
DECLARER = {"D11": "registrar.r1", "D12": "registrar.r1", "D21": "registrar.d21"}


def actor(session: Session, username: str) -> Actor:
    user = session.scalars(select(User).where(User.username == username)).one()
    return Actor.from_user(user)


def birth_body(district: str, born: date, sex: str | None, **changes: Any) -> dict[str, Any]:
    body = factories.birth(None)
    body["child"]["date_of_birth"] = born.isoformat()
    body["child"]["sex"] = sex or "unknown"
    body["place"] = {"type": "home", "area_code": district}
    body["mother"]["residence_area_code"] = district
    return factories.merge(body, changes)


def death_body(district: str, died: date, sex: str | None, **changes: Any) -> dict[str, Any]:
    body = factories.death(None)
    body["date_of_death"] = died.isoformat()
    body["deceased"]["sex"] = sex or "unknown"
    body["deceased"]["residence_area_code"] = district
    body["place"] = {"type": "home", "area_code": district}
    return factories.merge(body, changes)


def add(
    session: Session,
    kind: EventType,
    body: dict[str, Any],
    registered_on: date | None,
    district: str,
) -> Record:
    """Declare through the real service and register on ``registered_on`` (None: leave it)."""
    schema = BirthIn() if kind is EventType.BIRTH else DeathIn()
    facts = schema.load(copy.deepcopy(body))
    who = actor(session, DECLARER[district])
    record = records.declare(session, who, kind, facts)
    if registered_on is not None:
        records.register(
            session,
            factories.SETTINGS,
            who,
            kind,
            record.id,
            reason="late declaration by the family",
            registration_date=registered_on,
        )
    return record


def denominators(session: Session, rows: dict[str, tuple[int, int, str, str]]) -> None:
    areas = {a.code: a for a in session.scalars(select(Area))}
    for code, (male, female, cbr, cdr) in rows.items():
        session.add(
            Denominator(
                area_id=areas[code].id,
                year=YEAR,
                population_male=male,
                population_female=female,
                crude_birth_rate=Decimal(cbr),
                crude_death_rate=Decimal(cdr),
            )
        )
    session.flush()


def run(session: Session, table: str, *, who: str = "statistician", **kwargs: Any) -> StatsResult:
    request = StatsRequest(table=table, year=YEAR, cutoff=CUTOFF, **kwargs)
    return compute(session, actor(session, who), request)


def find(rows: list[dict[str, Any]], **where: str) -> dict[str, Any]:
    matches = [r for r in rows if all(r[k] == v for k, v in where.items())]
    assert len(matches) == 1, (where, matches)
    return matches[0]


B, D = EventType.BIRTH, EventType.DEATH


@pytest.fixture
def register(session: Session) -> Session:
    """The hand-made register (see each test for the records it relies on)."""
    denominators(session, {"D11": (1000, 1200, "30", "10"), "D21": (500, 500, "20", "8")})
    # Births in D11 --------------------------------------------------------------------------
    # leap day, registered at day 30: current, male
    add(session, B, birth_body("D11", date(2024, 2, 29), "male"), date(2024, 3, 30), "D11")
    # day 31: late
    add(session, B, birth_body("D11", date(2024, 1, 10), "female"), date(2024, 2, 10), "D11")
    # day 365 (2024 has 366 days): late
    add(session, B, birth_body("D11", date(2024, 1, 5), "female"), date(2025, 1, 4), "D11")
    # day 366: delayed
    add(session, B, birth_body("D11", date(2024, 1, 5), "female"), date(2025, 1, 5), "D11")
    # unknown sex, current
    add(session, B, birth_body("D11", date(2024, 3, 1), None), date(2024, 3, 2), "D11")
    # another year of occurrence: never counted
    add(session, B, birth_body("D11", date(2023, 12, 31), "male"), date(2024, 1, 2), "D11")
    # declared, not registered: never counted
    add(session, B, birth_body("D11", date(2024, 6, 1), "male"), None, "D11")
    # registered after the cut-off: not counted
    add(session, B, birth_body("D11", date(2024, 12, 31), "male"), date(2026, 1, 5), "D11")
    # Births in D21 (D12 has none and no denominator) -----------------------------------------
    add(session, B, birth_body("D21", date(2024, 7, 15), "male"), date(2024, 7, 20), "D21")
    return session


def test_coverage_counts_bands_at_their_boundaries_by_month(register: Session) -> None:
    """Day 30 is current, day 31 late, day 365 late and day 366 delayed; months count by
    occurrence and February of a leap year has 29 days in the estimate."""
    rows = run(register, "coverage", period="month").table("coverage_births").rows
    feb_male = find(rows, area_code="D11", period="02", sex="male", timeliness="current")
    assert feb_male["registered"] == 1
    expected = 30 * 1000 / 1000 * 29 / 365
    assert feb_male["estimated"] == round(expected, 1)
    assert feb_male["completeness_pct"] == round(1 / expected * 100, 1)
    jan = {
        band: find(rows, area_code="D11", period="01", sex="female", timeliness=band)["registered"]
        for band in ("current", "late", "delayed", "total")
    }
    assert jan == {"current": 0, "late": 2, "delayed": 1, "total": 3}
    total = find(rows, area_code="D11", period="01", sex="female", timeliness="total")
    january_estimate = 30 * 1200 / 1000 * 31 / 365
    assert total["completeness_legal_pct"] == 0.0
    assert total["completeness_one_year_pct"] == round(2 / january_estimate * 100, 1)
    assert total["completeness_pct"] == round(3 / january_estimate * 100, 1)


def test_coverage_by_year_uses_366_days_and_counts_each_record_once(register: Session) -> None:
    rows = run(register, "coverage", period="year").table("coverage_births").rows
    d11 = find(rows, area_code="D11", period="year", sex="total", timeliness="total")
    # b1..b5 in D11: the 2023 birth, the unregistered one and the one after the cut-off are out
    assert d11["registered"] == 5
    estimate = 30 * 2200 / 1000 * 366 / 365
    assert d11["estimated"] == round(estimate, 1)
    assert d11["completeness_legal_pct"] == round(2 / estimate * 100, 1)  # b1, b5
    assert d11["completeness_one_year_pct"] == round(4 / estimate * 100, 1)  # + b2, b3
    unknown = find(rows, area_code="D11", period="year", sex="unknown", timeliness="current")
    assert unknown["registered"] == 1
    assert unknown["estimated"] is None and unknown["completeness_pct"] is None
    female = find(rows, area_code="D11", period="year", sex="female", timeliness="total")
    # a sex uses its own population with the full crude rate, never half of it
    assert female["estimated"] == round(30 * 1200 / 1000 * 366 / 365, 1)


def test_coverage_by_quarter(register: Session) -> None:
    rows = run(register, "coverage", period="quarter").table("coverage_births").rows
    q1 = find(rows, area_code="D11", period="Q1", sex="total", timeliness="total")
    assert q1["registered"] == 5
    assert q1["estimated"] == round(30 * 2200 / 1000 * (31 + 29 + 31) / 365, 1)
    q3 = find(rows, area_code="D21", period="Q3", sex="male", timeliness="current")
    assert q3["registered"] == 1
    assert q3["estimated"] == round(20 * 500 / 1000 * (31 + 31 + 30) / 365, 1)


def test_an_area_without_events_or_denominator_gets_zeros_and_empty_cells(
    register: Session,
) -> None:
    result = run(register, "coverage", period="year")
    rows = result.table("coverage_births").rows
    d12 = find(rows, area_code="D12", period="year", sex="total", timeliness="total")
    assert d12["registered"] == 0
    assert d12["estimated"] is None and d12["completeness_pct"] is None
    assert d12["completeness_legal_pct"] is None
    assert any("No denominator for D12" in note for note in result.notes)
    assert "D12: none" in result.denominator
    # DL has no row and R1 lacks D12, so the national total has no estimate either
    total = find(rows, area_code="total", period="year", sex="total", timeliness="total")
    assert total["registered"] == 6
    assert total["estimated"] is None


def test_region_denominator_is_the_sum_of_its_districts(register: Session) -> None:
    """R2's only district is D21: R2 gets D21's populations and rate."""
    rows = run(register, "coverage", period="year", level="region").table("coverage_births").rows
    r2 = find(rows, area_code="R2", period="year", sex="total", timeliness="total")
    assert r2["registered"] == 1
    assert r2["estimated"] == round(20 * 1000 / 1000 * 366 / 365, 1)
    r1 = find(rows, area_code="R1", period="year", sex="total", timeliness="total")
    assert r1["registered"] == 5 and r1["estimated"] is None


def test_an_area_own_row_wins_over_the_sum_and_rates_are_weighted(session: Session) -> None:
    from registry.services.stats.denominators import Denominators

    denominators(session, {"D11": (1000, 1000, "30", "10"), "D12": (500, 1500, "20", "6")})
    resolved = Denominators(session, YEAR).get("R1")
    assert resolved is not None
    assert (resolved.population_male, resolved.population_female) == (1500, 2500)
    assert resolved.crude_birth_rate == Decimal(30 * 2000 + 20 * 2000) / 4000
    assert resolved.estimated(B, "male", 365) == pytest.approx(25 * 1500 / 1000)
    denominators(session, {"R1": (10, 20, "40", "9")})
    own = Denominators(session, YEAR).get("R1")
    assert own is not None and own.population_total == 30 and own.source == "own row"


def test_statistics_are_for_statisticians_and_admins_only(register: Session) -> None:
    run(register, "coverage", who="admin")
    for who in ("clerk", "registrar"):
        with pytest.raises(PermissionDenied):
            run(register, "coverage", who=who)


def test_bad_requests_name_the_field(register: Session) -> None:
    for kwargs, field in (
        ({"period": "week"}, "period"),
        ({"level": "village"}, "level"),
        ({"threshold": 0}, "threshold"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            run(register, "coverage", **kwargs)
        assert caught.value.errors is not None and field in caught.value.errors


def test_export_writes_one_audit_event(register: Session) -> None:
    from registry.models import AuditEvent

    before = register.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    who = actor(register, "statistician")
    export(register, who, StatsRequest("births", YEAR, cutoff=CUTOFF), "csv")
    event = register.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert event.seq == (before or 0) + 1
    assert event.action == "export" and event.username == "statistician"
    assert '"format":"csv"' in event.details
