"""``crvs dedupe train`` and ``crvs dedupe models``: weights learnt from the register itself."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

import dedupe
from registry.cli import main
from registry.domain import EventType
from registry.errors import Conflict
from registry.models import AuditEvent, DuplicateCandidate, MatchModel
from registry.services import dedupe_scan, duplicates, match_models
from tests.test_registry.test_dedupe_scan import child, declare, small_register


@pytest.fixture(autouse=True)
def _no_cached_model() -> Iterator[None]:
    match_models.forget()
    yield
    match_models.forget()


def train(session: Session, minimum: int = 10) -> MatchModel:
    return match_models.train(
        session,
        None,
        EventType.BIRTH,
        duplicates.SETTINGS[EventType.BIRTH],
        dedupe_scan.current_records(session, EventType.BIRTH),
        min_records=minimum,
    )


def test_training_refuses_a_register_below_the_minimum(session: Session) -> None:
    """It stores nothing and says that the hand-set weights stay."""
    small_register(session)
    with pytest.raises(Conflict) as refused:
        train(session, minimum=1000)
    assert refused.value.message == (
        "the hand-set weights stay: the register has 38 records, training needs 1000"
    )
    assert session.scalars(select(MatchModel)).all() == []
    assert duplicates.model(EventType.BIRTH, session) is duplicates.hand_set(EventType.BIRTH)


def test_each_training_is_a_new_active_version_and_is_audited(session: Session) -> None:
    """It numbers versions per event type, keeps one active, and audits who, what and how much."""
    small_register(session)
    first, second = train(session), train(session)
    assert (first.version, second.version) == (1, 2)
    session.refresh(first)
    assert (first.active, second.active) == (False, True)
    assert second.n_records == 38
    learnt = dedupe.Model.from_dict(json.loads(second.model))
    assert learnt.source == second.source
    # Learnt from the register: the hand-set weights were not copied into the model.
    assert learnt.params != duplicates.hand_set(EventType.BIRTH).params
    session.commit()
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "match_model_trained")
    ).all()
    details = [json.loads(e.details) for e in events]
    assert [d["version"] for d in details] == [1, 2]
    assert details[1] == {
        "event_type": "birth",
        "version": 2,
        "n_records": 38,
        "source": second.source,
    }
    assert [m.version for m in match_models.versions(session, EventType.BIRTH)] == [2, 1]


@pytest.mark.parametrize("cached", [True, False])
def test_after_training_a_declaration_is_weighed_with_the_stored_model(
    session: Session, cached: bool
) -> None:
    """It scores the next declaration with the active stored model, whether the process has it
    cached (it trained) or reads it from the database (another worker)."""
    small_register(session)
    first = declare(session, child("Wanjiku", "Njoroge", 45, "Lucy"))
    stored = train(session)
    if not cached:
        match_models.forget()
    again = declare(session, child("Wanjiku", "Njoroge", 45, "Lucy"))
    candidate = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.record_id == again.id)
    ).one()
    assert candidate.existing_id == first.id
    learnt = dedupe.Model.from_dict(json.loads(stored.model))
    a, b = (
        dedupe.Record(r.id, duplicates.person_values("birth", EventType.BIRTH, r.versions[-1], c))
        for r, c in ((again, "D11"), (first, "D11"))
    )
    expected = dedupe.score_pair(a, b, learnt)
    hand_set = dedupe.score_pair(a, b, duplicates.hand_set(EventType.BIRTH))
    assert candidate.match_weight == pytest.approx(expected.match_weight)
    assert candidate.match_weight != pytest.approx(hand_set.match_weight)
    weights = {e["field"]: e["weight"] for e in candidate.explanation if "field" in e}
    assert weights["given_names"] == pytest.approx(learnt.params[0].weights[0], abs=1e-3)


def test_the_scan_uses_the_stored_model_too(session: Session) -> None:
    """It weighs pairs found in batch with the same active model as the look-up."""
    small_register(session)
    first = declare(session, child("Wanjiku", "Njoroge", 45, "Lucy"))
    again = declare(session, child("Wanjiku", "Njoroge", 45, "Lucy"))
    stored = train(session)
    match_models.forget()
    session.execute(DuplicateCandidate.__table__.delete())
    dedupe_scan.scan(session, EventType.BIRTH)
    candidate = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.record_id == again.id)
    ).one()
    assert candidate.existing_id == first.id
    learnt = dedupe.Model.from_dict(json.loads(stored.model))
    weights = {e["field"]: e["weight"] for e in candidate.explanation if "field" in e}
    assert weights["given_names"] == pytest.approx(learnt.params[0].weights[0], abs=1e-3)


# -- the command line ----------------------------------------------------------------------------


def crvs(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_train_below_the_minimum_exits_1_with_one_line(db_url: str) -> None:
    """It refuses with exit code 1 and one line naming both counts; nothing is stored."""
    assert crvs("demo", "--births", "30").exit_code == 0
    result = crvs("dedupe", "train", "--min-records", "5000")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: the hand-set weights stay: the register has ")
    assert lines[0].endswith("records, training needs 5000")
    assert crvs("dedupe", "models").stdout == "no trained model: the hand-set weights apply\n"


def test_train_uses_the_configured_minimum(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --min-records it applies DEDUPE_TRAIN_MIN_RECORDS."""
    monkeypatch.setenv("DEDUPE_TRAIN_MIN_RECORDS", "20000")
    assert crvs("demo", "--births", "30").exit_code == 0
    result = crvs("dedupe", "train")
    assert result.exit_code == 1
    assert "training needs 20000" in result.stderr


def test_train_then_models_lists_the_active_version(db_url: str) -> None:
    """It prints a one-line summary, and `models` lists each version with the active one marked."""
    assert crvs("demo", "--births", "40").exit_code == 0
    first = crvs("dedupe", "train", "--min-records", "10")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("trained births model version 1 on ")
    assert first.stdout.endswith("; it is now the active model\n")
    assert crvs("dedupe", "train", "--min-records", "10").exit_code == 0
    listed = crvs("dedupe", "models").stdout.splitlines()
    assert len(listed) == 2
    assert listed[0].split()[:3] == ["birth", "v2", "active"]
    assert listed[1].split()[:2] == ["birth", "v1"]
    assert "active" not in listed[1]
    assert crvs("dedupe", "models", "--event-type", "deaths").stdout.startswith("no trained")
