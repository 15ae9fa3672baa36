"""The crvs command line on a fresh database: loads, users, demo, audit, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from registry.cli import main
from registry.db import make_engine
from registry.models import Area, AuditEvent, Denominator, Facility, Record, User


def crvs(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def count(url: str, model: type) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        n = session.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return n


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_reference_data_loads_from_csv(db_url: str, tmp_path: Path) -> None:
    areas = write(
        tmp_path,
        "areas.csv",
        "code,name,level,parent_code\nD1,District,district,C\nC,Country,country,\n",
    )
    result = crvs("areas", "load", areas)
    assert result.exit_code == 0, result.output
    assert "loaded 2 areas" in result.output
    facilities = write(
        tmp_path, "f.csv", "code,name,kind,area_code\nH1,Hospital,health_facility,D1\n"
    )
    assert crvs("facilities", "load", facilities).exit_code == 0
    denominators = write(
        tmp_path,
        "d.csv",
        "area_code,year,population_male,population_female,crude_birth_rate,crude_death_rate\n"
        "D1,2026,100,110,30.5,8\n",
    )
    assert crvs("denominators", "load", denominators).exit_code == 0
    assert (count(db_url, Area), count(db_url, Facility), count(db_url, Denominator)) == (
        1 + 1,
        1,
        1,
    )


def test_bad_rows_are_reported_with_line_numbers_and_nothing_is_stored(
    db_url: str, tmp_path: Path
) -> None:
    areas = write(
        tmp_path,
        "areas.csv",
        "code,name,level,parent_code\nC,Country,country,\nD 1,Bad code,district,C\n"
        "D2,,district,C\nD3,Orphan,district,NOPE\n",
    )
    result = crvs("areas", "load", areas)
    assert result.exit_code == 1
    assert "line 3:" in result.stderr
    assert "line 4: name is empty" in result.stderr
    assert "line 5: parent_code NOPE" in result.stderr
    assert result.stderr.strip().endswith("nothing was imported")
    assert count(db_url, Area) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,name\nX,Y\n", "missing column(s): level, parent_code"),
        ("code,name,level,parent_code\nA,B,c,,extra\n", "too many values"),
    ],
)
def test_malformed_files_exit_1(db_url: str, tmp_path: Path, text: str, message: str) -> None:
    result = crvs("areas", "load", write(tmp_path, "a.csv", text))
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_users_are_created_with_a_password_from_stdin(db_url: str) -> None:
    assert crvs("demo").exit_code == 0
    result = crvs(
        "users", "create", "amina", "--role", "registrar", "--area", "D11",
        "--password-stdin", stdin="a-long-enough-password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    short = crvs(
        "users", "create", "baraka", "--role", "clerk", "--area", "D11", "--password-stdin",
        stdin="short\n",
    )  # fmt: skip
    assert short.exit_code == 1
    assert "password" in short.stderr
    unknown = crvs(
        "users", "create", "c", "--role", "clerk", "--area", "ZZ", "--password-stdin",
        stdin="a-long-enough-password\n",
    )  # fmt: skip
    assert unknown.exit_code == 1
    assert "Unknown area" in unknown.stderr
    assert crvs("users", "create", "d", "--role", "clerk", "--area", "D11").exit_code == 1


def test_demo_loads_a_country_and_synthetic_records(db_url: str) -> None:
    result = crvs("demo", "--births", "30", "--deaths", "12")
    assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Record)) == 42
        districts = session.scalar(
            select(func.count()).select_from(Area).where(Area.level == "district")
        )
        assert districts == 6
        assert session.scalar(select(func.count()).select_from(Facility)) >= 12
        years = set(session.scalars(select(Denominator.year)))
        assert len(years) == 3
        assert session.scalar(select(func.count()).select_from(User)) >= 5
    engine.dispose()
    again = crvs("demo", "--if-empty")
    assert again.exit_code == 0
    assert "already loaded" in again.output


def test_audit_verify_and_head_on_the_command_line(db_url: str) -> None:
    assert crvs("demo", "--births", "3").exit_code == 0
    head = crvs("audit", "head")
    assert head.exit_code == 0
    digest = head.output.split()[0]
    ok = crvs("audit", "verify", "--expect-head", digest)
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    engine = make_engine(db_url)
    with Session(engine) as session:
        session.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(action="forged"))
        session.commit()
    engine.dispose()
    broken = crvs("audit", "verify")
    assert broken.exit_code == 1
    assert "event 4" in broken.stderr
    other = crvs("audit", "verify", "--expect-head", "0" * 64)
    assert other.exit_code == 1


def test_an_unmigrated_database_gives_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    result = crvs("audit", "verify")
    assert result.exit_code == 1
    assert "crvs db upgrade" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_console_script_runs_migrations_as_a_real_process(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "CRVS_ENV": "testing", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "registry.cli", "db", "upgrade"],
        env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "database at head" in done.stdout
