"""Concurrent writers on PostgreSQL: gap-free numbers, single records under retries, one chain."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from registry import create_app
from registry.db import make_engine, make_sessionmaker
from registry.domain import EventType
from registry.extensions import database
from registry.models import Record, RegistrationCounter, User
from registry.schemas.records import BirthIn
from registry.services import audit, records, users
from registry.services.scoping import Actor
from tests import factories
from tests.conftest import POSTGRES_URL, FreshDatabases, config_for

WRITERS = 16

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="concurrency tests need PostgreSQL (set CRVS_TEST_POSTGRES_URL)"
)


@pytest.fixture
def pg_url(fresh_databases: FreshDatabases) -> str:
    return fresh_databases.create("postgresql")


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url, pool_size=WRITERS + 4, max_overflow=0)
    yield engine
    engine.dispose()


def actor(session: Session, username: str) -> Actor:
    return Actor.from_user(session.scalars(select(User).where(User.username == username)).one())


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)

    def start(i: int) -> Any:
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def test_concurrent_registrations_get_unique_gap_free_numbers(pg_engine: Engine) -> None:
    maker = make_sessionmaker(pg_engine)
    with maker() as session:
        clerk = actor(session, "clerk")
        ids = [
            records.declare(session, clerk, EventType.BIRTH, BirthIn().load(factories.unique())).id
            for _ in range(WRITERS + 4)
        ]
        session.commit()

    def register(i: int) -> str:
        with maker() as session:
            record = records.register(
                session, factories.SETTINGS, actor(session, "registrar"), EventType.BIRTH, ids[i]
            )
            session.commit()
            assert record.registration_number is not None
            return record.registration_number

    numbers = run_together(WRITERS + 4, register)
    seqs = sorted(int(n.split("-")[2]) for n in numbers)
    assert seqs == list(range(1, WRITERS + 5))
    assert len(set(numbers)) == len(numbers)
    with maker() as session:
        counter = session.scalars(select(RegistrationCounter)).one()
        assert counter.last_value == WRITERS + 4
        assert audit.verify(session).ok  # the audit chain did not fork under load


def test_concurrent_replays_of_one_idempotency_key_make_one_record(
    pg_url: str, pg_engine: Engine
) -> None:
    app = create_app(config_for(pg_url))
    with make_sessionmaker(pg_engine)() as session:
        clerk = session.scalars(select(User).where(User.username == "clerk")).one()
        token, _ = users.issue_token(session, factories.SETTINGS, clerk)
        session.commit()
    body = factories.birth()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "one-retry-storm"}

    def post(_: int) -> tuple[int, str]:
        response = app.test_client().post("/api/v1/births", json=body, headers=headers)
        return response.status_code, response.json["id"]

    try:
        results = run_together(10, post)
    finally:
        database(app).engine.dispose()
    assert {status for status, _ in results} == {201}
    assert len({record_id for _, record_id in results}) == 1
    with make_sessionmaker(pg_engine)() as session:
        assert session.scalar(select(func.count()).select_from(Record)) == 1


def _tokens(pg_engine: Engine, *usernames: str) -> dict[str, str]:
    with make_sessionmaker(pg_engine)() as session:
        found = {}
        for name in usernames:
            user = session.scalars(select(User).where(User.username == name)).one()
            found[name], _ = users.issue_token(session, factories.SETTINGS, user)
        session.commit()
    return found


def test_retries_of_one_register_with_an_idempotency_key_all_get_the_answer(
    pg_url: str, pg_engine: Engine
) -> None:
    """It answers every concurrent retry of a registration carrying one Idempotency-Key with
    the same replayed registration, never a 409 or a 404."""
    app = create_app(config_for(pg_url))
    tokens = _tokens(pg_engine, "clerk", "registrar")
    client = app.test_client()
    declared = client.post(
        "/api/v1/births",
        json=factories.birth(),
        headers={"Authorization": f"Bearer {tokens['clerk']}"},
    )
    assert declared.status_code == 201
    url = f"/api/v1/births/{declared.json['id']}/register"
    headers = {"Authorization": f"Bearer {tokens['registrar']}", "Idempotency-Key": "reg-1"}

    def post(_: int) -> tuple[int, str | None]:
        response = app.test_client().post(url, json={}, headers=headers)
        return response.status_code, response.json.get("registration_number")

    try:
        results = run_together(8, post)
    finally:
        database(app).engine.dispose()
    assert {status for status, _ in results} == {200}, results
    assert len({number for _, number in results}) == 1


def test_concurrent_amendments_and_corrections_lose_with_a_409_not_a_404(
    pg_url: str, pg_engine: Engine
) -> None:
    """It tells the losers of concurrent amendments of one declaration, and of concurrent
    approvals of corrections of one record, that the record changed meanwhile (409)."""
    app = create_app(config_for(pg_url))
    tokens = _tokens(pg_engine, "clerk", "registrar", "registrar.r1")
    client = app.test_client()
    clerk = {"Authorization": f"Bearer {tokens['clerk']}"}
    declared = client.post("/api/v1/births", json=factories.birth(), headers=clerk)
    url = f"/api/v1/births/{declared.json['id']}"

    def amend(i: int) -> int:
        body = factories.birth(attendant="doctor" if i % 2 else "nurse_midwife")
        return app.test_client().put(url, json=body, headers=clerk).status_code

    registrar = {"Authorization": f"Bearer {tokens['registrar']}"}
    regional = {"Authorization": f"Bearer {tokens['registrar.r1']}"}
    try:
        amended = run_together(8, amend)
        assert set(amended) <= {200, 409}, amended
        assert 200 in amended
        assert client.post(f"{url}/register", json={}, headers=registrar).status_code == 200
        asked = [
            client.post(
                f"{url}/corrections",
                json={"changes": {"child": {"birth_weight_grams": grams}}, "reason": "r",
                      "evidence": "e"},
                headers=registrar,
            ).json["id"]
            for grams in (3001, 3002, 3003, 3004)
        ]  # fmt: skip

        def approve(i: int) -> int:
            path = f"/api/v1/corrections/{asked[i]}/approve"
            return app.test_client().post(path, headers=regional).status_code

        approved = run_together(len(asked), approve)
    finally:
        database(app).engine.dispose()
    assert sorted(approved) == [200, 409, 409, 409], approved
