"""Legacy imports and batch re-scans from the command line."""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.cli import main
from registry.db import make_engine
from registry.domain import EventType, Status
from registry.models import AuditEvent, DuplicateCandidate, Record, User
from registry.schemas.records import BirthIn, load_declaration, load_legacy
from registry.services import audit, imports, records, users
from registry.services.scoping import Actor
from registry.services.settings import RegistrySettings
from tests.factories import birth, days_ago

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


def test_rejects_keeps_the_good_rows_and_writes_the_refused_ones(
    db_url: str, tmp_path: Path
) -> None:
    """With --rejects FILE it imports the good rows (an unnamed registered child among them)
    and writes each refused row with its line number and reasons; without it, nothing."""
    assert crvs("demo").exit_code == 0
    before, _ = counts(db_url)
    path = tmp_path / "births.csv"
    born, registered = days_ago(800).isoformat(), days_ago(790).isoformat()
    future = days_ago(-30).isoformat()
    path.write_text(
        HEADER
        + row("Xolani", "Zungu", born, registered)
        + row("", "Qwabe", born, registered)  # registered before being named
        + row("", "Nameless", days_ago(20).isoformat())  # a declaration needs the name
        + row("Future", "Child", future, "")
        + f"Young,Mother,female,{born},health_facility,F111,,Thandi,Mother,"
        f"{days_ago(800 + 9 * 366).isoformat()},{registered}\n",
        encoding="utf-8",
    )
    strict = crvs("import", "births", str(path))
    assert strict.exit_code == 1
    assert counts(db_url)[0] == before
    rejects = tmp_path / "rejects.csv"
    result = crvs("import", "--rejects", str(rejects), "births", str(path))
    assert result.exit_code == 0, result.output
    assert "imported 2 births" in result.output
    assert counts(db_url)[0] == before + 2
    lines = rejects.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("line,reasons,child.given_names")
    assert [line.split(",")[0] for line in lines[1:]] == ["4", "5", "6"]
    assert "child.given_names: Missing data" in lines[1]
    assert "Must not be in the future" in lines[2]
    assert "The mother would be 9 at the birth" in lines[3]


def test_an_imported_unnamed_child_is_named_by_correction(db_url: str, tmp_path: Path) -> None:
    """It keeps an imported registered child without given names, and a correction names it."""
    assert crvs("demo").exit_code == 0
    path = tmp_path / "births.csv"
    born, registered = days_ago(700).isoformat(), days_ago(690).isoformat()
    path.write_text(HEADER + row("", "Qwabe", born, registered), encoding="utf-8")
    assert crvs("import", "births", str(path)).exit_code == 0
    engine = make_engine(db_url)
    with Session(engine) as session:
        record = session.scalars(
            select(Record).where(Record.status == "registered").order_by(Record.created_at.desc())
        ).first()
        assert record is not None
        facts = records.current_version(session, record).facts
        assert not facts["child"].get("given_names")
        registrar = session.scalars(select(User).where(User.role == "registrar")).first()
        assert registrar is not None
        actor = Actor.from_user(registrar)
        done = records.correct(
            session,
            RegistrySettings(),
            actor,
            EventType.BIRTH,
            record.id,
            changes={"child": {"given_names": "Sipho", "type_of_birth": "single"}},
            reason="named after registration",
            evidence="parents' declaration of the name",
            load=load_declaration,
        )
        assert records.current_version(session, done).given_names == "Sipho"
        session.rollback()
    engine.dispose()


# -- the batch path ------------------------------------------------------------------------------

SYLLABLES = ["ka", "lo", "mi", "su", "te", "ra", "wi", "no", "ze", "bu"]


def made_up(i: int, salt: int) -> str:
    """A distinct made-up name for each ``i`` (three syllables), another spelling per salt."""
    parts = [SYLLABLES[(i // 100 + salt) % 10], SYLLABLES[(i // 10 + 3 * salt) % 10]]
    return "".join([*parts, SYLLABLES[(i + 7 * salt) % 10]]).title()


def stored(url: str) -> tuple[list[Record], list[DuplicateCandidate], list[AuditEvent]]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = (
            list(session.scalars(select(Record).order_by(Record.created_at))),
            list(session.scalars(select(DuplicateCandidate))),
            list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq))),
        )
        session.expunge_all()
    engine.dispose()
    return found


def seq(number: str | None) -> int:
    assert number is not None
    return int(number.split("-")[2])


def test_a_batch_numbers_gap_free_in_file_order_and_keeps_the_audit_chain(
    db_url: str, tmp_path: Path
) -> None:
    """Thirty registered rows of one office and year take the numbers 1-30 in the order of the
    file, a second import continues at 31, and the audit chain (with each version's content
    hash in its declaration's event) verifies."""
    assert crvs("demo").exit_code == 0
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    lines = [
        row(made_up(i, 1), made_up(i, 2), f"2024-0{1 + i % 6}-{10 + i % 18}", "2024-08-01")
        for i in range(35)
    ]
    first.write_text(HEADER + "".join(lines[:30]), encoding="utf-8")
    second.write_text(HEADER + "".join(lines[30:]), encoding="utf-8")
    result = crvs("import", "births", str(first))
    assert result.exit_code == 0, result.output + result.stderr
    assert "imported 30 births: 30 registered, 0 declared" in result.output
    assert crvs("import", "births", str(second)).exit_code == 0
    kept, pairs, events = stored(db_url)
    assert pairs == []
    assert [seq(r.registration_number) for r in kept] == list(range(1, 36))
    assert {r.registration_number.split("-")[0] for r in kept if r.registration_number} == {"O11"}
    declared = [e for e in events if e.action == "declare"]
    assert sorted(e.record_id for e in declared) == sorted(r.id for r in kept)
    assert all('"content":{"1":' in e.details for e in declared)
    assert len([e for e in events if e.action == "register"]) == 35
    verified = crvs("audit", "verify")
    assert verified.exit_code == 0, verified.output + verified.stderr


def test_a_batch_flags_an_in_file_pair_and_a_registered_record_but_not_twins(
    db_url: str, tmp_path: Path
) -> None:
    """The later row of a child written twice in the file, and a row of a child the register
    holds already, wait declared for a registrar's decision, each paired with the older record
    and audited; twins (same mother, birth date and family name, other given names) are both
    registered."""
    assert crvs("demo").exit_code == 0
    born, registered = "2023-05-14", "2023-06-01"
    earlier = tmp_path / "earlier.csv"
    earlier.write_text(HEADER + row("Halima", "Mwangi", born, registered), encoding="utf-8")
    assert crvs("import", "births", str(earlier)).exit_code == 0
    path = tmp_path / "births.csv"
    path.write_text(
        HEADER
        + row("Amina", "Otieno", "2022-02-03", "2022-03-01", mother="Zawadi")
        + row("Wanjiru", "Kariuki", "2021-07-09", "2021-08-01", mother="Njeri")  # twins
        + row("Akinyi", "Kariuki", "2021-07-09", "2021-08-01", mother="Njeri")
        + row("Aminah", "Otieno", "2022-02-03", "2022-03-02", mother="Zawadi")  # written twice
        + row("Halima", "Mwangi", born, registered),  # registered already
        encoding="utf-8",
    )
    result = crvs("import", "births", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    assert "imported 5 births: 3 registered, 2 declared (2 await a duplicate decision)" in (
        result.output
    )
    kept, pairs, events = stored(db_url)
    by_name = {}
    engine = make_engine(db_url)
    with Session(engine) as session:
        for record in kept:
            by_name.setdefault(records.current_version(session, record).given_names, []).append(
                record
            )
    engine.dispose()
    assert [r.status for r in by_name["Wanjiru"] + by_name["Akinyi"]] == ["registered"] * 2
    assert [r.status for r in by_name["Amina"]] == ["registered"]
    assert [r.status for r in by_name["Aminah"]] == ["declared"]
    halima_then, halima_now = by_name["Halima"]
    assert (halima_then.status, halima_now.status) == ("registered", "declared")
    assert {(p.record_id, p.existing_id, p.status) for p in pairs} == {
        (by_name["Aminah"][0].id, by_name["Amina"][0].id, "open"),
        (halima_now.id, halima_then.id, "open"),
    }
    assert all(p.probability >= 0.8 and p.explanation for p in pairs)
    suspected = {(e.record_id, e.details) for e in events if e.action == "duplicate_suspected"}
    assert {record_id for record_id, _ in suspected} == {by_name["Aminah"][0].id, halima_now.id}
    assert crvs("audit", "verify").exit_code == 0


FAST = RegistrySettings(argon2_time_cost=1, argon2_memory_cost=1024)


def test_a_row_like_a_notification_completes_it_on_the_per_row_path(session: Session) -> None:
    """A row sharing a block with a facility notification is declared one by one, as the API
    would: it completes the notification (bound to it, decided) and is registered."""
    actor = users.system_actor(session, FAST)
    body = birth(
        None,
        child={"given_names": "Rehema", "family_name": "Achieng", "date_of_birth": "2025-03-04"},
        mother={"given_names": "Esther", "family_name": "Achieng", "date_of_birth": "1995-04-12"},
        notification=True,
    )
    notified = records.declare(session, actor, EventType.BIRTH, BirthIn().load(body))
    others = "".join(
        row(made_up(i, 4), made_up(i, 5), f"2025-0{1 + i % 6}-0{1 + i % 9}", "2025-09-01")
        for i in range(3)
    )
    csv = HEADER + row("Rehema", "Achieng", "2025-03-04", "2025-04-01", "Esther") + others
    summary = imports.import_records(
        session, FAST, EventType.BIRTH, io.StringIO(csv), load=load_legacy
    )
    assert (summary.registered, summary.declared, summary.flagged) == (4, 0, 0)
    session.refresh(notified)
    assert notified.status == Status.REJECTED
    declaration = session.get(Record, notified.duplicate_of_id)
    assert declaration is not None
    assert declaration.status == Status.REGISTERED
    assert declaration.notification_id == notified.id
    assert [seq(r.registration_number) for r in registered_in(session, 2025)] == [1, 2, 3, 4]
    assert audit.verify(session).ok


def registered_in(session: Session, year: int) -> list[Record]:
    stmt = select(Record).where(Record.registration_number.contains(f"-B{year}-"))
    return sorted(session.scalars(stmt), key=lambda r: seq(r.registration_number))


def test_an_imported_death_is_linked_to_the_birth_record_of_the_same_person(
    session: Session,
) -> None:
    """A death row is linked to the register's birth record of the same person (audited), as a
    declared death is; a death of someone else is not."""
    actor = users.system_actor(session, FAST)
    body = birth(
        None,
        child={"given_names": "Juma", "family_name": "Mwangi", "date_of_birth": "1950-01-01"},
        mother={"given_names": "Wairimu", "family_name": "Mwangi", "date_of_birth": "1925-06-01"},
    )
    born = records.declare(session, actor, EventType.BIRTH, BirthIn().load(body))
    csv = (
        "deceased.given_names,deceased.family_name,deceased.sex,deceased.date_of_birth,"
        "date_of_death,place.type,place.area_code,date_of_registration\n"
        "Juma,Mwangi,male,1950-01-01,2025-11-10,home,D11,2025-11-20\n"
        "Otieno,Barasa,male,1961-02-03,2025-11-12,home,D11,2025-11-20\n"
    )
    summary = imports.import_records(
        session, FAST, EventType.DEATH, io.StringIO(csv), load=load_legacy
    )
    assert (summary.registered, summary.declared, len(summary.rejected)) == (2, 0, 0)
    deaths = session.scalars(select(Record).where(Record.event_type == "death")).all()
    linked = {records.current_version(session, d).given_names: d.birth_record_id for d in deaths}
    assert linked == {"Juma": born.id, "Otieno": None}
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "linked_birth")).all()
    assert [e.details for e in events] == [f'{{"birth":"{born.id}"}}']
    assert audit.verify(session).ok
