"""The audit chain as an anchor (SEQ:HASH) and over record content (each version's hash)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from registry.models import AuditEvent, AuditHead, RecordVersion
from registry.services import audit
from tests import factories
from tests.factories import ApiClient
from tests.test_registry.test_cli import crvs


def _declare(api: ApiClient, n: int = 3) -> list[str]:
    clerk = api.as_user("clerk")
    return [clerk.declare(body=factories.unique())["id"] for _ in range(n)]


def _event(session: Session, record_id: str, action: str) -> AuditEvent:
    stmt = select(AuditEvent).where(AuditEvent.record_id == record_id, AuditEvent.action == action)
    return session.scalars(stmt).one()


# -- the anchor -----------------------------------------------------------------------------------


def test_an_anchor_keeps_passing_however_many_events_follow(
    api: ApiClient, session: Session
) -> None:
    """It accepts an anchor taken earlier after reads, declarations and registrations."""
    ids = _declare(api)
    kept = audit.anchor(session)
    registrar = api.as_user("registrar")
    for record_id in ids:
        assert registrar.get(f"/api/v1/births/{record_id}").status_code == 200
        registered = registrar.post(f"/api/v1/births/{record_id}/register", json={})
        assert registered.status_code == 200, registered.json
    assert audit.head(session)[0] >= int(kept.split(":")[0]) + 6  # 3 reads, 3 registrations
    result = audit.verify(session, expect_head=kept)
    assert result.ok, result.problem


def test_an_anchor_no_longer_on_the_chain_fails_at_its_sequence(
    api: ApiClient, session: Session
) -> None:
    """It fails naming the anchor's event when that event was rewritten and the whole chain
    re-sealed after it (internally consistent, but not through the anchor)."""
    _declare(api)
    kept = audit.anchor(session)
    seq = int(kept.split(":")[0])
    _declare(api, 2)
    events = list(
        session.scalars(select(AuditEvent).where(AuditEvent.seq >= seq).order_by(AuditEvent.seq))
    )
    prev = events[0].prev_hash
    for event in events:  # rewrite from the anchor on and re-seal every later link
        values = {"prev_hash": prev}
        if event.seq == seq:
            values["reason"] = "forged"
        session.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(**values))
        session.expire_all()
        forged = session.get(AuditEvent, event.id)
        assert forged is not None
        prev = audit.event_hash(forged)
        session.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(hash=prev))
    session.execute(update(AuditHead).values(hash=prev))
    session.expire_all()
    assert audit.verify(session).ok  # consistent in itself ...
    result = audit.verify(session, expect_head=kept)
    assert not result.ok  # ... but not through the anchor
    assert result.broken_seq == seq
    assert f"event {seq}" in (result.problem or "")


def test_an_anchor_beyond_the_chain_fails(api: ApiClient, session: Session) -> None:
    """It fails when the anchor's event no longer exists (the newest events were cut and the
    head moved back)."""
    ids = _declare(api)
    api.as_user("registrar").get(f"/api/v1/births/{ids[0]}")  # the newest event: a read
    seq, digest = audit.head(session)
    last = session.scalars(select(AuditEvent).where(AuditEvent.seq == seq)).one()
    session.execute(delete(AuditEvent).where(AuditEvent.seq == seq))
    session.execute(update(AuditHead).values(seq=seq - 1, hash=last.prev_hash))
    session.expire_all()
    assert audit.verify(session).ok
    result = audit.verify(session, expect_head=f"{seq}:{digest}")
    assert not result.ok
    assert result.broken_seq == seq


def test_parse_anchor_reads_both_forms() -> None:
    """It reads SEQ:HASH and a bare hash, and refuses a sequence that is not a number."""
    assert audit.parse_anchor(" 12:ABC\n") == (12, "abc")
    assert audit.parse_anchor("abc") == (None, "abc")
    with pytest.raises(ValueError, match="SEQ:HASH"):
        audit.parse_anchor("x:abc")


# -- content -------------------------------------------------------------------------------------


def test_each_new_version_is_sealed_with_its_content_hash(api: ApiClient, session: Session) -> None:
    """It writes the version's content hash into the event that created it (declare, correct)."""
    (record_id,) = _declare(api, 1)
    registrar = api.as_user("registrar")
    assert registrar.post(f"/api/v1/births/{record_id}/register", json={}).status_code == 200
    approved = api.correct(
        "births",
        record_id,
        {"changes": {"attendant": "doctor"}, "reason": "wrong box", "evidence": "chart"},
    )
    assert approved.status_code == 200, approved.json
    declared = json.loads(_event(session, record_id, "declare").details)
    corrected = json.loads(_event(session, record_id, "correct").details)
    assert set(declared["content"]) == {"1"}
    assert set(corrected["content"]) == {"2"}
    assert "content" not in json.loads(_event(session, record_id, "register").details)
    version = session.scalars(
        select(RecordVersion).where(
            RecordVersion.record_id == record_id, RecordVersion.version == 2
        )
    ).one()
    row = session.execute(
        select(RecordVersion.__table__).where(RecordVersion.__table__.c.id == version.id)
    ).one()
    assert audit.content_hash(dict(row._mapping)) == corrected["content"]["2"]
    assert audit.verify(session).ok


def test_a_tampered_version_is_caught(api: ApiClient, session: Session) -> None:
    """It catches UPDATE record_versions SET given_names='Tampered', naming the sealing event."""
    ids = _declare(api)
    target = ids[1]
    assert audit.verify(session).ok
    session.execute(
        update(RecordVersion)
        .where(RecordVersion.record_id == target)
        .values(given_names="Tampered")
    )
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert result.broken_seq == _event(session, target, "declare").seq
    assert "altered" in (result.problem or "")


def test_a_tampered_fact_in_the_document_is_caught(api: ApiClient, session: Session) -> None:
    """It catches a change inside the JSON document of facts, not only the typed columns."""
    (record_id,) = _declare(api, 1)
    version = session.scalars(
        select(RecordVersion).where(RecordVersion.record_id == record_id)
    ).one()
    facts = dict(version.facts)
    facts["attendant"] = "none"
    session.execute(update(RecordVersion).where(RecordVersion.id == version.id).values(facts=facts))
    session.expire_all()
    assert not audit.verify(session).ok


def test_a_deleted_version_is_caught(api: ApiClient, session: Session) -> None:
    """It reports the event whose sealed version is gone."""
    (record_id,) = _declare(api, 1)
    session.execute(delete(RecordVersion).where(RecordVersion.record_id == record_id))
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert "missing" in (result.problem or "")


def test_a_version_added_behind_the_registrys_back_is_caught(
    api: ApiClient, session: Session
) -> None:
    """It reports a version row that no event sealed, inserted after sealing began (a forged
    newer version a certificate would print)."""
    (record_id,) = _declare(api, 1)
    version = session.scalars(
        select(RecordVersion).where(RecordVersion.record_id == record_id)
    ).one()
    row = dict(session.execute(
        select(RecordVersion.__table__).where(RecordVersion.__table__.c.id == version.id)
    ).one()._mapping)  # fmt: skip
    row.pop("id")
    session.execute(
        insert(RecordVersion.__table__).values(**row | {"version": 2, "given_names": "Forged"})
    )
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert "sealed by no audit event" in (result.problem or "")


def test_the_first_broken_link_is_reported(api: ApiClient, session: Session) -> None:
    """It reports the lower of a tampered version and a later edited event."""
    ids = _declare(api)
    session.execute(
        update(RecordVersion).where(RecordVersion.record_id == ids[0]).values(family_name="X")
    )
    later = _event(session, ids[2], "declare")
    session.execute(update(AuditEvent).where(AuditEvent.id == later.id).values(username="mallory"))
    session.expire_all()
    result = audit.verify(session)
    assert result.broken_seq == _event(session, ids[0], "declare").seq


def test_events_without_content_hashes_still_verify(api: ApiClient, session: Session) -> None:
    """It verifies a chain written before content hashes existed (events re-sealed without
    them, as the old code wrote them)."""
    _declare(api)
    prev = audit.GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all():
        details = json.loads(event.details)
        details.pop("content", None)
        event.details = json.dumps(details, sort_keys=True, separators=(",", ":"))
        event.prev_hash = prev
        event.hash = prev = audit.event_hash(event)
    session.execute(update(AuditHead).values(hash=prev))
    session.flush()
    session.expire_all()
    assert not any('"content"' in d for d in session.scalars(select(AuditEvent.details)))
    assert audit.verify(session).ok


# -- the command line -----------------------------------------------------------------------------


def test_the_cli_anchor_and_tampered_content(db_url: str) -> None:
    """It prints SEQ:HASH, verifies against it after more events, and exits 1 with one line
    naming the event when a version was tampered."""
    from registry.db import make_engine

    assert crvs("demo", "--births", "3", "--deaths", "0").exit_code == 0
    kept = crvs("audit", "head").output.strip()
    assert kept.count(":") == 1
    assert crvs("demo", "--births", "2", "--deaths", "0").exit_code == 0
    ok = crvs("audit", "verify", "--expect-head", kept)
    assert ok.exit_code == 0, ok.output
    engine = make_engine(db_url)
    with Session(engine) as session:
        first = session.scalars(select(RecordVersion).order_by(RecordVersion.id)).first()
        assert first is not None
        session.execute(
            update(RecordVersion).where(RecordVersion.id == first.id).values(given_names="Tampered")
        )
        session.commit()
    engine.dispose()
    broken = crvs("audit", "verify", "--expect-head", kept)
    assert broken.exit_code == 1
    assert len(broken.stderr.strip().splitlines()) == 1
    assert "altered" in broken.stderr
    bad = crvs("audit", "verify", "--expect-head", "x:y")
    assert bad.exit_code == 1
    assert "SEQ:HASH" in bad.stderr
