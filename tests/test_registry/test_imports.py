"""Legacy imports and batch re-scans from the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.cli import main
from registry.db import make_engine
from registry.models import DuplicateCandidate, Record
from tests.factories import days_ago

HEADER = (
    "child.given_names,child.family_name,child.sex,child.date_of_birth,place.type,"
    "place.facility_code,place.area_code,mother.given_names,mother.family_name,"
    "mother.date_of_birth,date_of_registration\n"
)


def crvs(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with Session(engine) as session:
        records = session.scalar(select(func.count()).select_from(Record)) or 0
        flagged = session.scalar(select(func.count()).select_from(DuplicateCandidate)) or 0
    engine.dispose()
    return records, flagged


def row(given: str, family: str, born: str, registered: str = "", mother: str = "Grace") -> str:
    return (
        f"{given},{family},female,{born},health_facility,F111,,{mother},{family},1990-03-01,"
        f"{registered}\n"
    )


def test_a_legacy_register_is_imported_registered_and_deduplicated(
    db_url: str, tmp_path: Path
) -> None:
    assert crvs("demo").exit_code == 0
    born = days_ago(800).isoformat()
    registered = days_ago(790).isoformat()
    path = tmp_path / "births.csv"
    path.write_text(
        HEADER
        + row("Amina", "Otieno", born, registered)
        + row("Zawadi", "Kamau", days_ago(500).isoformat(), days_ago(100).isoformat())
        + row("Aminah", "Otieno", born, registered)  # the same child, written twice
        + row("Neema", "Barasa", days_ago(30).isoformat()),
        encoding="utf-8",
    )
    result = crvs("import", "births", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    assert "imported 4 births: 2 registered, 2 declared (1 await a duplicate decision)" in (
        result.output
    )
    assert counts(db_url) == (4, 1)


def test_a_bad_row_stops_the_whole_import_and_names_each_line(db_url: str, tmp_path: Path) -> None:
    assert crvs("demo").exit_code == 0
    path = tmp_path / "births.csv"
    path.write_text(
        HEADER
        + row("Amina", "Otieno", days_ago(10).isoformat())
        + row("Bad", "Date", "2026-02-30")
        + row("Unknown", "Facility", days_ago(10).isoformat()).replace("F111", "F999")
        + row("Late", "Registration", days_ago(10).isoformat(), "not-a-date"),
        encoding="utf-8",
    )
    result = crvs("import", "births", str(path))
    assert result.exit_code == 1
    assert "line 3: child.date_of_birth" in result.stderr
    assert "line 4: place.facility_code" in result.stderr
    assert "line 5: date_of_registration" in result.stderr
    assert "nothing was imported" in result.stderr
    assert counts(db_url)[0] == 0


def test_a_missing_column_is_one_line(db_url: str, tmp_path: Path) -> None:
    assert crvs("demo").exit_code == 0
    path = tmp_path / "deaths.csv"
    path.write_text("deceased.given_names\nJohn\n", encoding="utf-8")
    result = crvs("import", "deaths", str(path))
    assert result.exit_code == 1
    assert "missing column(s)" in result.stderr


def test_scan_finds_duplicates_in_records_loaded_without_matching(db_url: str) -> None:
    assert crvs("demo", "--births", "40").exit_code == 0
    before = counts(db_url)
    result = crvs("dedupe", "scan", "--area", "R1")
    assert result.exit_code == 0, result.stderr
    assert "scanned" in result.output
    assert counts(db_url)[0] == before[0]
    assert crvs("dedupe", "scan", "--area", "NOPE").exit_code == 1
