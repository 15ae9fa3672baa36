"""Stored idempotency responses expire and are purged without a cron; a missing certificate
font is told to the client in one sentence and to the log in detail."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from registry.models import IdempotencyKey, User
from registry.services import idempotency
from tests import factories
from tests.factories import ApiClient
from tests.test_registry.test_certificates_api import COLLECTOR, registered

TTL = factories.SETTINGS.idempotency_ttl_seconds


def _age(session: Session, seconds: int) -> None:
    session.execute(
        update(IdempotencyKey).values(created_at=datetime.now(UTC) - timedelta(seconds=seconds))
    )
    session.commit()


def test_a_replay_within_the_time_to_live_returns_the_first_response(
    api: ApiClient, session: Session
) -> None:
    """It replays the stored response while the key is younger than IDEMPOTENCY_TTL_SECONDS."""
    clerk = api.as_user("clerk")
    headers = {"Idempotency-Key": "ttl-1"}
    body = factories.unique()
    first = clerk.post("/api/v1/births", json=body, headers=headers)
    _age(session, TTL - 60)
    again = clerk.post("/api/v1/births", json=body, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["id"] == first.json["id"]


def test_a_replay_after_expiry_is_a_new_request(api: ApiClient, session: Session) -> None:
    """It treats a key older than the time to live as unused: the request runs again (a new
    record) and the key now holds the new response."""
    clerk = api.as_user("clerk")
    headers = {"Idempotency-Key": "ttl-2"}
    body = factories.unique()
    first = clerk.post("/api/v1/births", json=body, headers=headers)
    replay = clerk.post("/api/v1/births", json=body, headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json["id"] == first.json["id"]
    _age(session, TTL + 1)
    late = clerk.post("/api/v1/births", json=body, headers=headers)
    assert late.status_code == 201
    assert "Idempotent-Replayed" not in late.headers
    assert late.json["id"] != first.json["id"]
    stored = session.scalars(select(IdempotencyKey).where(IdempotencyKey.key == "ttl-2")).one()
    assert stored.location and late.json["id"] in stored.location


def test_expired_responses_are_purged_by_the_write_path(
    api: ApiClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It deletes expired rows (in bounded batches) when a response is stored and a purge is
    due, and keeps the young ones; no purge runs again before PURGE_EVERY_SECONDS."""
    clerk = api.as_user("clerk")
    for n in range(3):
        clerk.post("/api/v1/births", json=factories.unique(), headers={"Idempotency-Key": f"o{n}"})
    _age(session, TTL + 60)
    monkeypatch.setattr(idempotency, "_next_purge", 0.0)  # a purge is due in this process
    clerk.post("/api/v1/births", json=factories.unique(), headers={"Idempotency-Key": "young"})
    keys = set(session.scalars(select(IdempotencyKey.key)))
    assert keys == {"young"}
    _age(session, TTL + 60)  # expired again, but the next purge is minutes away
    clerk.post("/api/v1/births", json=factories.unique(), headers={"Idempotency-Key": "next"})
    assert set(session.scalars(select(IdempotencyKey.key))) == {"young", "next"}


def test_purge_is_bounded(api: ApiClient, session: Session) -> None:
    """It deletes at most the batch size at a time."""
    clerk = api.as_user("clerk")
    for n in range(3):
        clerk.post("/api/v1/births", json=factories.unique(), headers={"Idempotency-Key": f"b{n}"})
    _age(session, TTL + 60)
    assert idempotency.purge_expired(session, TTL, batch=2) == 2
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
    assert idempotency.purge_expired(session, TTL, batch=2) == 1
    user = session.scalars(select(User).where(User.username == "clerk")).one()
    assert idempotency.find(session, user.id, "b0", TTL) is None


# -- a missing font -------------------------------------------------------------------------------


def test_a_missing_font_is_one_sentence_for_the_client_and_detail_for_the_log(
    app: Flask, api: ApiClient, signing: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """It answers 503 without any server path, and logs the font file and Debian package."""
    record_id = registered(api)
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    app.extensions["crvs.settings"] = replace(
        app.extensions["crvs.settings"], cert_font_dirs=(str(empty),)
    )
    caplog.set_level(logging.INFO)
    response = api.as_user("registrar").post(
        f"/api/v1/births/{record_id}/certificates", json={"collector": COLLECTOR}
    )
    assert response.status_code == 503
    message = response.json["message"]
    assert "/" not in message and "fonts-noto" not in message
    assert message.count(".") == 1  # one sentence
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert str(empty) in logged and "fonts-noto-core" in logged
    assert not any(r.exc_info for r in caplog.records)
