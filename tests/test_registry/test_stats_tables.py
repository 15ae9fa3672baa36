"""The vital statistics tables, computed on a small hand-made register.

Every expected figure is worked out here from the register below, not copied from the output.
The register lives in 2024 (a leap year); today's date never matters because every
registration date is given and the cut-off is fixed.
"""

from __future__ import annotations

import copy
import itertools
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from registry.domain import EventType
from registry.errors import PermissionDenied, ValidationFailed
from registry.models import Area, Denominator, Record, User
from registry.schemas.records import BirthIn, DeathIn
from registry.services import duplicates, records
from registry.services.scoping import Actor
from registry.services.stats import StatsRequest, StatsResult, compute, export
from tests import factories

YEAR = 2024
CUTOFF = date(2025, 12, 31)
DECLARER = {"D11": "registrar.r1", "D12": "registrar.r1", "D21": "registrar.d21"}


def actor(session: Session, username: str) -> Actor:
    user = session.scalars(select(User).where(User.username == username)).one()
    return Actor.from_user(user)


GIVEN = [
    "Amina", "Baraka", "Chausiku", "Daudi", "Eshe", "Faraji", "Gathoni", "Hamisi", "Imani",
    "Jabari", "Kesi", "Lulu", "Mosi", "Neema", "Omari", "Pendo", "Rehema", "Sefu", "Tumaini",
    "Upendo", "Wanjiru", "Zuri", "Akinyi", "Bahati", "Chege", "Dalila", "Enzi", "Fumo",
]  # fmt: skip
FAMILY = [
    "Otieno", "Mwangi", "Kamau", "Njoroge", "Ochieng", "Wambui", "Kiptoo", "Achieng", "Mutua",
    "Chebet", "Nyambura", "Odhiambo", "Kariuki", "Wekesa", "Jeptoo", "Muthoni", "Barasa",
    "Korir", "Adongo", "Gitau", "Langat", "Awuor", "Maina", "Cherono", "Oduya", "Simiyu",
    "Rotich", "Wafula",
]  # fmt: skip
_serial = itertools.count()


def _names() -> tuple[str, str, str, str]:
    """Distinct names for every record, so duplicate detection never holds one back."""
    n = next(_serial)
    return (
        GIVEN[n % len(GIVEN)],
        FAMILY[(n * 7) % len(FAMILY)],
        GIVEN[(n * 5 + 3) % len(GIVEN)],
        FAMILY[(n * 11 + 5) % len(FAMILY)],
    )


def birth_body(district: str, born: date, sex: str | None, **changes: Any) -> dict[str, Any]:
    body = factories.birth(None)
    child, family, mother, mother_family = _names()
    body["child"]["given_names"], body["child"]["family_name"] = child, family
    body["mother"]["given_names"], body["mother"]["family_name"] = mother, mother_family
    body["mother"]["date_of_birth"] = (
        f"{1980 + next(_serial) % 15}-0{1 + next(_serial) % 9}-1{next(_serial) % 9}"
    )
    body["father"] = None
    body["child"]["date_of_birth"] = born.isoformat()
    body["child"]["sex"] = sex or "unknown"
    body["place"] = {"type": "home", "area_code": district}
    body["mother"]["residence_area_code"] = district
    return factories.merge(body, changes)


def death_body(district: str, died: date, sex: str | None, **changes: Any) -> dict[str, Any]:
    body = factories.death(None)
    given, family, _, _ = _names()
    body["deceased"]["given_names"], body["deceased"]["family_name"] = given, family
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
    # Look-alike test records may be flagged as suspected duplicates: decide as a registrar would.
    for candidate in duplicates.for_record(session, record.id):
        if candidate.status == "open":
            duplicates.decide(session, who, candidate.id, "not_duplicate", "different events")
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

    def exports() -> list[AuditEvent]:
        register.commit()  # events join the chain when the transaction commits
        stmt = select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.seq)
        return list(register.scalars(stmt))

    before = len(exports())
    who = actor(register, "statistician")
    export(register, who, StatsRequest("births", YEAR, cutoff=CUTOFF), "csv")
    events = exports()
    assert len(events) == before + 1
    event = events[-1]
    assert event.username == "statistician" and event.role == "statistician"
    assert '"format":"csv"' in event.details


def _mother(age: int | None, residence: str = "D11") -> dict[str, Any]:
    return {"date_of_birth": None, "age_years": age, "residence_area_code": residence}


@pytest.fixture
def vital(session: Session) -> Session:
    """Five births and eight deaths in D11, each registered the day after the event."""
    denominators(session, {"D11": (1000, 1200, "30", "10")})
    births = [
        # sex, mother age, weight, type, place, attendant, month
        ("male", 14, 1499, "single", {"type": "home", "area_code": "D11"}, "traditional_birth_attendant", 1),  # noqa: E501
        ("female", 15, 1500, "twin", {"type": "home", "area_code": "D11"}, "none", 2),
        ("female", 49, 2499, "twin", {"type": "health_facility", "facility_code": "F111"}, "doctor", 3),  # noqa: E501
        ("male", 50, 2500, "single", {"type": "health_facility", "facility_code": "F111"}, "nurse_midwife", 4),  # noqa: E501
        ("male", None, None, "single", {"type": "other", "area_code": "D11"}, None, 5),
    ]  # fmt: skip
    for i, (sex, age, weight, kind, place, attendant, month) in enumerate(births):
        born = date(YEAR, month, 10)
        body = birth_body("D11", born, sex)
        body["child"]["birth_weight_grams"] = weight
        body["child"]["type_of_birth"] = kind
        body["place"] = place
        body["attendant"] = attendant
        body["mother"] = body["mother"] | _mother(age, "D12" if i == 4 else "D11")
        add(session, B, body, date(YEAR, month, 11), "D11")
    died = date(YEAR, 5, 10)
    deaths: list[tuple[str | None, str | None, int | None, dict[str, Any] | None, str]] = [
        # sex, date of birth, age in years, cause, residence
        ("male", "2024-05-10", None, None, "D11"),  # <24 h
        ("female", "2024-05-04", None, None, "D11"),  # 1-6 d
        ("male", "2024-05-03", None, None, "D12"),  # 7-27 d
        ("male", "2024-04-12", None, None, "D11"),  # 28 d-11 m
        ("female", None, 0, None, "D11"),  # under 1, days not stated
        ("male", "2020-01-01", None, {"underlying_icd10": "R54"}, "D11"),  # 1-4, ill-defined
        (
            "female",
            "1940-01-01",
            None,
            {"underlying_icd10": "R99", "established_by": "verbal_autopsy"},
            "D11",
        ),  # 80+
        (
            None,
            None,
            None,
            {"underlying_icd10": None, "established_by": "unknown"},
            "",
        ),  # not stated
    ]
    for sex, born_on, age, cause, residence in deaths:
        body = death_body("D11", died, sex)
        body["deceased"]["date_of_birth"] = born_on
        body["deceased"]["age_years"] = age
        body["deceased"]["residence_area_code"] = residence or None
        if cause is not None:
            body["cause"] = body["cause"] | cause
        add(session, D, body, date(YEAR, 5, 11), "D11")
    return session


def test_births_tables(vital: Session) -> None:
    result = run(vital, "births")
    by_age = result.table("births_by_mother_age_type").rows
    assert find(by_age, mother_age_group="<15", type_of_birth="single")["births"] == 1
    assert find(by_age, mother_age_group="15-19", type_of_birth="twin")["births"] == 1
    assert find(by_age, mother_age_group="45-49", type_of_birth="twin")["births"] == 1
    assert find(by_age, mother_age_group="50+", type_of_birth="total")["births"] == 1
    assert find(by_age, mother_age_group="not stated", type_of_birth="single")["births"] == 1
    assert find(by_age, mother_age_group="total", type_of_birth="twin")["births"] == 2
    weights = {r["birth_weight_group"]: r["births"] for r in result.table("births_by_weight").rows}
    assert weights == {"<1500": 1, "1500-2499": 2, ">=2500": 1, "not stated": 1, "total": 5}
    months = {r["month"]: r["births"] for r in result.table("births_by_month").rows}
    assert [months[f"{m:02d}"] for m in range(1, 13)] == [1, 1, 1, 1, 1] + [0] * 7
    place = result.table("births_by_place_type_attendant").rows
    assert find(place, place_type="home", attendant="traditional_birth_attendant")["births"] == 1
    assert find(place, place_type="health_facility", attendant="total")["births"] == 2
    assert find(place, place_type="other", attendant="not stated")["births"] == 1
    by_area = result.table("births_by_place_sex").rows
    assert find(by_area, area_code="D11", sex="male")["births"] == 3
    assert find(by_area, area_code="D21", sex="total")["births"] == 0
    residence = result.table("births_by_mother_residence").rows
    assert find(residence, residence_area_code="D12")["births"] == 1
    assert find(residence, residence_area_code="D11")["births"] == 4
    ratio = find(result.table("sex_ratio_at_birth").rows, area_code="D11")
    assert ratio["sex_ratio"] == round(3 / 2 * 100, 1)
    assert ratio["outside_expected_range"] is True
    assert find(result.table("sex_ratio_at_birth").rows, area_code="D12")["sex_ratio"] is None


def test_deaths_by_age_split_infants_by_days(vital: Session) -> None:
    result = run(vital, "deaths")
    ages = result.table("deaths_by_age_sex").rows
    expected = {
        ("<24 h", "male"): 1,
        ("1-6 d", "female"): 1,
        ("7-27 d", "male"): 1,
        ("28 d-11 m", "male"): 1,
        ("under 1, days not stated", "female"): 1,
        ("1-4", "male"): 1,
        ("80+", "female"): 1,
        ("not stated", "unknown"): 1,
    }
    for row in ages:
        if "total" not in (row["age_group"], row["sex"]):
            assert row["deaths"] == expected.get((row["age_group"], row["sex"]), 0), row
    assert find(ages, age_group="total", sex="total")["deaths"] == 8
    residence = result.table("deaths_by_residence_sex").rows
    assert find(residence, residence_area_code="D12", sex="male")["deaths"] == 1
    assert find(residence, residence_area_code="not stated", sex="total")["deaths"] == 1
    assert find(residence, residence_area_code="D11", sex="total")["deaths"] == 6
    methods = result.table("deaths_by_cause_established").rows
    assert find(methods, established_by="medical_certificate", sex="total")["deaths"] == 6
    assert find(methods, established_by="verbal_autopsy", sex="female")["deaths"] == 1
    assert find(methods, established_by="unknown", sex="unknown")["deaths"] == 1


def test_causes_keep_verbal_autopsy_apart_and_measure_ill_defined(vital: Session) -> None:
    result = run(vital, "causes")
    rows = result.table("causes_by_chapter").rows
    pneumonia = {"icd10_chapter": "J00-J99", "established_by": "medical_certificate"}
    assert find(rows, **pneumonia, sex="male", broad_age_group="0-4")["deaths"] == 3
    assert find(rows, **pneumonia, sex="female", broad_age_group="0-4")["deaths"] == 2
    va = {"icd10_chapter": "R00-R99", "established_by": "verbal_autopsy"}
    assert find(rows, **va, sex="female", broad_age_group="70+")["deaths"] == 1
    assert find(rows, **va | {"established_by": "medical_certificate"}, sex="male",
                broad_age_group="0-4")["deaths"] == 1  # fmt: skip
    share = {r["established_by"]: r for r in result.table("ill_defined_causes").rows}
    assert share["medical_certificate"]["with_cause"] == 6
    assert share["medical_certificate"]["ill_defined_pct"] == round(1 / 6 * 100, 1)
    assert share["verbal_autopsy"]["ill_defined_pct"] == 100.0
    assert share["unknown"]["with_cause"] == 0 and share["unknown"]["ill_defined_pct"] is None
    assert share["total"]["ill_defined_pct"] == round(2 / 7 * 100, 1)


def test_coverage_reads_births_and_deaths_in_one_query_and_keeps_them_apart(
    vital: Session, connection: Connection
) -> None:
    counts: list[str] = []

    def catch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "count(*)" in statement:
            counts.append(statement)

    event.listen(connection, "before_cursor_execute", catch)
    try:
        result = run(vital, "coverage", period="month")
    finally:
        event.remove(connection, "before_cursor_execute", catch)
    assert len(counts) == 1

    def registered(table: str, period: str, sex: str = "total", band: str = "total") -> int:
        rows = result.table(table).rows
        return find(rows, area_code="D11", period=period, sex=sex, timeliness=band)["registered"]

    assert registered("coverage_births", "total") == 5
    assert registered("coverage_births", "05") == 1
    assert registered("coverage_deaths", "04") == 0
    may = {sex: registered("coverage_deaths", "05", sex, "current") for sex in ("male", "female")}
    assert may == {"male": 4, "female": 3}
    assert registered("coverage_deaths", "05", "unknown") == 1
    assert registered("coverage_deaths", "total") == 8


def test_rates_with_completeness(vital: Session) -> None:
    rows = run(vital, "rates").table("rates").rows
    population = 2200
    assert find(rows, area_code="D11", indicator="crude_birth_rate")["value"] == round(
        5 / population * 1000, 2
    )
    cdr = find(rows, area_code="D11", indicator="crude_death_rate")
    assert cdr["value"] == round(8 / population * 1000, 2)
    assert cdr["completeness_pct"] == round(8 / (10 * population / 1000 * 366 / 365) * 100, 1)
    imr = find(rows, area_code="D11", indicator="infant_mortality_rate")
    assert (imr["numerator"], imr["denominator"], imr["value"]) == (5, 5, 1000.0)
    nmr = find(rows, area_code="D11", indicator="neonatal_mortality_rate")
    assert (nmr["numerator"], nmr["value"]) == (3, 600.0)
    cbr = find(rows, area_code="D11", indicator="crude_birth_rate")
    assert cbr["completeness_pct"] == round(5 / (30 * population / 1000 * 366 / 365) * 100, 1)
    assert find(rows, area_code="D12", indicator="crude_birth_rate")["value"] is None
