"""The records head keeps the current version's event date and sex, which statistics count.

Every way a version is added (declaration, amendment, correction) moves the copy with it, and
migration 0005 fills the copy for records that existed before it.
"""

from __future__ import annotations

import copy
from datetime import date

from alembic import command
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from registry.db import make_engine
from registry.migrations import alembic_config
from registry.models import Record
from registry.schemas.records import BirthIn, load_declaration
from registry.services import records
from tests import factories
from tests.conftest import FreshDatabases
from tests.test_registry.test_stats_tables import B, actor, add, birth_body, find, run


def assert_head_matches_current(session: Session, record: Record) -> None:
    version = records.current_version(session, record)
    assert (record.event_date, record.sex) == (version.event_date, version.sex)


def test_declaration_amendment_and_correction_move_the_head_copy(session: Session) -> None:
    body = birth_body("D11", date(2024, 3, 3), "female")
    record = add(session, B, body, None, "D11")
    assert (record.event_date, record.sex) == (date(2024, 3, 3), "female")
    assert_head_matches_current(session, record)

    amended = copy.deepcopy(body)
    amended["child"]["date_of_birth"] = "2024-03-02"
    amended["child"]["sex"] = "male"
    who = actor(session, "registrar.r1")
    records.update_declaration(session, who, B, record.id, BirthIn().load(amended))
    assert (record.version, record.event_date, record.sex) == (2, date(2024, 3, 2), "male")
    assert_head_matches_current(session, record)

    records.register(
        session, factories.SETTINGS, who, B, record.id, registration_date=date(2024, 3, 10)
    )
    rows = run(session, "coverage", period="month").table("coverage_births").rows
    assert (
        find(rows, area_code="D11", period="03", sex="male", timeliness="current")["registered"]
        == 1
    )

    records.correct(
        session,
        factories.SETTINGS,
        who,
        B,
        record.id,
        changes={"child": {"sex": "female", "date_of_birth": "2024-02-20"}},
        reason="clerical error",
        evidence="hospital notification",
        load=load_declaration,
    )
    assert (record.version, record.event_date, record.sex) == (3, date(2024, 2, 20), "female")
    assert_head_matches_current(session, record)
    rows = run(session, "coverage", period="month").table("coverage_births").rows
    assert (
        find(rows, area_code="D11", period="03", sex="male", timeliness="total")["registered"] == 0
    )
    # 2024-02-20 to 2024-03-10 is 19 days: still current.
    assert (
        find(rows, area_code="D11", period="02", sex="female", timeliness="current")["registered"]
        == 1
    )


def test_migration_fills_the_copy_from_the_current_version(
    backend: str, fresh_databases: FreshDatabases
) -> None:
    url = fresh_databases.create(backend)
    engine = make_engine(url)
    with Session(engine) as session:
        body = birth_body("D11", date(2024, 5, 6), "female")
        record = add(session, B, body, None, "D11")
        amended = copy.deepcopy(body)
        amended["child"]["date_of_birth"] = "2024-05-07"
        amended["child"]["sex"] = "male"
        who = actor(session, "registrar.r1")
        records.update_declaration(session, who, B, record.id, BirthIn().load(amended))
        session.commit()
        record_id = record.id
    # Back to 0004 (on SQLite the downgrade copies the table, so without foreign key checks)
    # and up again: the copy is refilled from version 2.
    plain = create_engine(url)
    with plain.begin() as conn:
        command.downgrade(alembic_config(url, conn), "0004")
    with plain.begin() as conn:
        command.upgrade(alembic_config(url, conn), "head")
    plain.dispose()
    with Session(engine) as session:
        head = session.scalars(select(Record).where(Record.id == record_id)).one()
        assert (head.version, head.event_date, head.sex) == (2, date(2024, 5, 7), "male")
    engine.dispose()
