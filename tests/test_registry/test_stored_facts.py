"""A version's stored facts are the declaration as the schema would dump it, made without it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from registry.domain import EventType
from registry.errors import ValidationFailed
from registry.schemas.records import BirthOut, DeathOut, schema_for
from registry.services import records
from tests.factories import birth, days_ago, death

BODIES: list[tuple[EventType, dict[str, Any]]] = [
    (EventType.BIRTH, birth()),
    (EventType.BIRTH, birth(notification=True, child={"given_names": None})),
    (
        EventType.BIRTH,
        birth(
            child={"given_names": "  Amina\u0301 ", "birth_weight_grams": "3100", "birth_order": 2},
            mother={"age_years": 30, "date_of_birth": None, "children_born_alive": 3},
            father=None,
            declared_at_device=f"{days_ago(1).isoformat()}T10:00:00+03:00",
        ),
    ),
    (EventType.DEATH, death()),
    (
        EventType.DEATH,
        death(
            deceased={"sex": "female", "date_of_birth": "1990-05-05", "occupation": "teacher"},
            cause={
                "part1": [{"text": "Haemorrhage"}, {"text": "Placenta praevia", "icd10": "O44.1"}],
                "part2": ["Anaemia"],
                "underlying_icd10": "O44.1",
                "pregnancy_status": "within_42_days",
            },
            mother_residence_area_code="D11",
        ),
    ),
    (EventType.DEATH, death(notification=True, cause=None, informant=None)),
]


@pytest.mark.parametrize(("event_type", "body"), BODIES)
def test_stored_facts_are_the_schema_dump(event_type: EventType, body: dict[str, Any]) -> None:
    """It stores what the declaration schema would dump, without the submission's parts."""
    schema = schema_for(event_type)
    loaded = schema.load(body)
    dumped = {k: v for k, v in schema.dump(loaded).items() if k not in records.NOT_FACTS}
    assert records.stored_facts(loaded) == dumped
    assert not set(records.NOT_FACTS) & set(records.stored_facts(loaded))


def test_a_correction_that_changes_nothing_is_refused() -> None:
    """It names the paths that change, and refuses a correction that changes none."""
    old = {"child": {"given_names": "Amina", "sex": "female"}, "attendant": None}
    new = {"child": {"given_names": "Aminah", "sex": "female"}, "attendant": "doctor"}
    assert records.ensure_changed(old, new) == ["attendant", "child.given_names"]
    with pytest.raises(ValidationFailed) as refused:
        records.ensure_changed(old, old)
    assert refused.value.errors == {"changes": [records.NO_CHANGES]}


@pytest.mark.parametrize(("event_type", "body"), BODIES)
def test_a_document_gives_stored_facts_back_as_the_nested_schemas_would(
    event_type: EventType, body: dict[str, Any]
) -> None:
    """The Out schemas pass stored parts through (``AsStored``): the same JSON as dumping each
    part through its nested schema, which the In schema does."""
    schema_in = schema_for(event_type)
    schema_out = BirthOut() if event_type is EventType.BIRTH else DeathOut()
    stored = records.stored_facts(schema_in.load(body))
    document = {"notification": False, "declared_at_device": None, **stored}
    through_nested = {k: v for k, v in schema_in.dump(document).items() if k in stored}
    passed = {k: v for k, v in schema_out.dump(document).items() if k in stored}
    assert json.dumps(passed, sort_keys=True) == json.dumps(through_nested, sort_keys=True)
    assert passed == stored
