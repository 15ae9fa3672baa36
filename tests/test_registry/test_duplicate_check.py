"""Warning before saving: the check route, the declaration form's warning and the clerk's answer,
and the registrar's review page that shows it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.models import (
    AuditEvent,
    DedupeKey,
    DuplicateCandidate,
    IdempotencyKey,
    Record,
    RecordVersion,
)
from tests.factories import ApiClient, birth, death
from tests.test_registry.test_web_support import Web, birth_form, death_form

STORED = (Record, RecordVersion, DedupeKey, DuplicateCandidate, IdempotencyKey)


def counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in STORED}


def audited(session: Session, action: str, record_id: str) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.record_id == record_id)
    return list(session.scalars(stmt))


# -- the API --------------------------------------------------------------------------------------


def test_the_check_returns_a_visible_candidate_and_stores_nothing(
    api: ApiClient, session: Session
) -> None:
    """It returns an in-area record in full with its evidence, audits that it was shown, and
    stores no record, version, key, suspected duplicate or idempotency key."""
    clerk = api.as_user("clerk")
    first = clerk.declare(body=birth(4))
    before = counts(session)
    response = clerk.post(
        "/api/v1/births/check",
        json=birth(4, child={"given_names": "Aminah"}),
        headers={"Idempotency-Key": "check-1"},
    )
    assert response.status_code == 200, response.json
    found = response.json["candidates"]
    assert [c["id"] for c in found] == [first["id"]]
    candidate = found[0]
    assert candidate["visible"] is True
    assert (candidate["given_names"], candidate["family_name"]) == ("Amina", "Otieno")
    assert candidate["date_of_birth"] == first["child"]["date_of_birth"]
    assert candidate["status"] == "declared" and candidate["completes"] is False
    assert candidate["probability"] >= 0.8
    levels = {e["field"]: e["level"] for e in candidate["evidence"]}
    assert levels["family_name"] == "exact" and levels["mother"] == "exact"
    assert levels["given_names"] != "exact"
    assert counts(session) == before
    assert len(audited(session, "duplicate_check", first["id"])) == 1


def test_a_retry_with_the_same_idempotency_key_checks_again(api: ApiClient) -> None:
    """Idempotency does not apply: the same key twice gives the register's answer of the moment."""
    clerk = api.as_user("clerk")
    body = birth(6, child={"given_names": "Zawadi", "family_name": "Kamau"})
    headers = {"Idempotency-Key": "same-key"}
    empty = clerk.post("/api/v1/births/check", json=body, headers=headers)
    assert empty.status_code == 200 and empty.json["candidates"] == []
    saved = clerk.declare(body=body)
    again = clerk.post("/api/v1/births/check", json=body, headers=headers)
    assert again.status_code == 200
    assert "Idempotent-Replayed" not in again.headers
    assert [c["id"] for c in again.json["candidates"]] == [saved["id"]]


def test_a_record_of_another_district_is_masked(api: ApiClient, session: Session) -> None:
    """A candidate outside the author's area shows its area and evidence levels only: no names,
    dates, id or weights, and nothing is audited as shown."""
    other = api.as_user("clerk.d21").declare(
        body=birth(4, place={"type": "health_facility", "facility_code": "F211"})
    )
    response = api.as_user("clerk").post("/api/v1/births/check", json=birth(4))
    assert response.status_code == 200, response.json
    (candidate,) = response.json["candidates"]
    assert candidate["visible"] is False
    assert candidate["area_code"] == "D21"
    assert candidate["registration_number"] is None
    hidden = ("given_names", "family_name", "date_of_birth", "event_date", "mother", "sex")
    assert candidate["masked"] is True and candidate["id"] is None
    assert not set(hidden) & set(candidate)
    assert "probability" not in candidate
    assert all(set(e) == {"field", "level"} for e in candidate["evidence"])
    text = response.get_data(as_text=True)
    assert other["id"] not in text and "Amina" not in text and "Grace" not in text
    assert audited(session, "duplicate_check", other["id"]) == []


def test_a_registered_record_of_another_district_shows_its_number(api: ApiClient) -> None:
    """The masked candidate keeps its registration number."""
    other = api.as_user("clerk.d21").declare(
        body=birth(4, place={"type": "health_facility", "facility_code": "F211"})
    )
    registered = api.as_user("registrar.d21").post(
        f"/api/v1/births/{other['id']}/register", json={}
    )
    assert registered.status_code == 200, registered.json
    response = api.as_user("clerk").post("/api/v1/births/check", json=birth(4))
    (candidate,) = response.json["candidates"]
    assert candidate["visible"] is False
    assert candidate["registration_number"] == registered.json["registration_number"]


def test_a_notification_is_offered_as_the_record_to_complete(api: ApiClient) -> None:
    """A facility notification of the same child comes back as one the declaration completes."""
    clerk = api.as_user("clerk")
    notified = clerk.declare(body=birth(3, notification=True))
    response = clerk.post("/api/v1/births/check", json=birth(3))
    (candidate,) = response.json["candidates"]
    assert candidate["id"] == notified["id"]
    assert candidate["status"] == "notified" and candidate["completes"] is True


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("births", birth(4, child={"sex": "unicorn"}), "child"),
        ("births", {"place": {"type": "home", "area_code": "D11"}}, "child"),
        ("births", birth(4, place={"type": "home", "area_code": "NOPE"}), "place"),
        ("deaths", death(4, date_of_death="not a date"), "date_of_death"),
    ],
)
def test_a_bad_body_is_refused_like_a_declaration(
    api: ApiClient, session: Session, kind: str, body: dict[str, Any], field: str
) -> None:
    """It answers 422 with the declaration's field messages, and stores nothing."""
    before = counts(session)
    response = api.as_user("clerk").post(f"/api/v1/{kind}/check", json=body)
    assert response.status_code == 422, response.json
    errors = response.json["errors"]
    assert field in errors.get("json", errors)  # schema errors come under "json", like a POST's
    declared = api.as_user("clerk").post(f"/api/v1/{kind}", json=body)
    assert declared.status_code == 422
    assert declared.json["errors"] == response.json["errors"]
    assert counts(session) == before


def test_the_check_is_in_the_openapi_document(client: FlaskClient) -> None:
    """Both routes are documented with their answer schema."""
    spec = client.get("/api/v1/openapi.json").json
    for kind in ("births", "deaths"):
        operation = spec["paths"][f"/api/v1/{kind}/check"]["post"]
        assert "200" in operation["responses"] and "422" in operation["responses"]
    assert "CheckCandidateOut" in spec["components"]["schemas"]


# -- the declaration form -------------------------------------------------------------------------

CHOICE = re.compile(r'name="duplicate_choice" value="([^"]+)"')


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def newest(session: Session) -> Record:
    session.expire_all()
    return session.scalars(select(Record).order_by(Record.created_at.desc()).limit(1)).one()


def warned(web: Web, session: Session, **fields: str) -> tuple[str, list[str]]:
    """Submit the form once: it must come back with the warning and store nothing."""
    before = counts(session)
    response = web.post("/births/new", birth_form(**fields))
    text = web.text(response)
    assert response.status_code == 200, text
    assert "Possible existing records" in text
    assert counts(session) == before
    return text, CHOICE.findall(text)


def test_the_form_warns_and_saves_a_different_child_with_the_answer(
    web: Web, session: Session
) -> None:
    """The first save shows the possible existing record instead of saving; the answer "a
    different child" saves the declaration with that answer, audited, and the pair still waits
    for a registrar."""
    web.as_user("clerk")
    first = web.post("/births/new", birth_form())
    assert first.status_code == 303
    first_id = first.headers["Location"].rsplit("/", 1)[1]
    text, choices = warned(web, session, **{"child.given_names": "Aminah"})
    assert choices == [f"same:{first_id}", "different", "unsure"]
    assert "Amina Otieno" in text and "Family name: the same (Otieno / Otieno)" not in text
    assert "Family name: the same — strong evidence for the same child" in text
    assert "this updates record" in text
    assert 'value="Aminah"' in text  # the clerk's values are kept
    form = birth_form(**{"child.given_names": "Aminah"})
    saved = web.post(
        "/births/new", form | {"duplicate_checked": "y", "duplicate_choice": "different"}
    )
    assert saved.status_code == 303, web.text(saved)
    record = newest(session)
    assert record.id != first_id
    assert (record.declarant_duplicate_choice, record.declarant_duplicate_record_id) == (
        "different",
        None,
    )
    (event,) = audited(session, "duplicate_choice", record.id)
    assert json.loads(event.details) == {"choice": "different", "record": None}
    pending = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.record_id == record.id)
    ).all()
    assert [(c.existing_id, c.status) for c in pending] == [(first_id, "open")]


def test_the_same_child_as_a_declared_record_is_pre_linked_for_the_registrar(
    web: Web, session: Session
) -> None:
    """ "The same child" as a declared record saves the declaration as a suspected duplicate of
    it, naming it; nothing is merged."""
    first = web.api.as_user("clerk").declare(body=birth(5))
    web.as_user("clerk")
    _text, choices = warned(web, session, **{"child.given_names": "Amina Joy"})
    assert choices[0] == f"same:{first['id']}"
    form = birth_form(**{"child.given_names": "Amina Joy"})
    saved = web.post(
        "/births/new", form | {"duplicate_checked": "y", "duplicate_choice": choices[0]}
    )
    assert saved.status_code == 303, web.text(saved)
    record = newest(session)
    assert record.status == "declared" and record.id != first["id"]
    assert record.declarant_duplicate_choice == "same"
    assert record.declarant_duplicate_record_id == first["id"]
    existing = session.get(Record, first["id"])
    assert existing is not None and existing.status == "declared"
    pair = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.record_id == record.id)
    ).one()
    assert (pair.existing_id, pair.status) == (first["id"], "open")


def test_the_same_child_as_a_notification_completes_it(web: Web, session: Session) -> None:
    """ "The same child" as a facility notification completes that notification: no new record."""
    notified = web.api.as_user("clerk").declare(body=birth(5, notification=True))
    web.as_user("clerk")
    text, choices = warned(web, session)
    assert "this completes notification" in text
    before = counts(session)["Record"]
    saved = web.post(
        "/births/new", birth_form() | {"duplicate_checked": "y", "duplicate_choice": choices[0]}
    )
    assert saved.status_code == 303, web.text(saved)
    assert saved.headers["Location"] == f"/births/{notified['id']}"
    assert counts(session)["Record"] == before
    record = session.get(Record, notified["id"])
    assert record is not None and record.status == "declared" and record.version == 2
    assert record.declarant_duplicate_choice == "same"


def test_saving_without_an_answer_or_with_a_record_not_found_is_refused(
    web: Web, session: Session
) -> None:
    """Once warned, the form needs an answer; a "same" naming a record the check does not find
    is refused; neither stores anything and the warning is shown again."""
    web.api.as_user("clerk").declare(body=birth(5))
    web.as_user("clerk")
    before = counts(session)
    for answer, message in (
        ({}, "Choose one of the answers."),
        ({"duplicate_choice": "same:" + "0" * 36}, "The record chosen is not among those found."),
    ):
        response = web.post("/births/new", birth_form() | {"duplicate_checked": "y"} | answer)
        assert response.status_code == 422
        text = web.text(response)
        assert message in text and "Possible existing records" in text
    assert counts(session) == before


def test_a_record_of_another_district_is_masked_on_the_form(web: Web, session: Session) -> None:
    """The form names the other district's record by its area only, with no way to pick it."""
    web.api.as_user("clerk.d21").declare(
        body=birth(5, place={"type": "health_facility", "facility_code": "F211"})
    )
    web.as_user("clerk")
    text, choices = warned(web, session)
    assert "A record in another area (Dunia District, D21)" in text
    assert choices == ["different", "unsure"]
    assert "Grace" not in text.split('id="possible-duplicates"')[1].split("</section>")[0]


def test_the_warning_is_in_french(web: Web, session: Session) -> None:
    """The warning and its evidence sentences are translated."""
    web.api.as_user("clerk").declare(body=birth(5))
    web.as_user("clerk")
    web.post("/language", {"lang": "fr"})
    response = web.post("/births/new", birth_form())
    text = web.text(response)
    assert "Enregistrements existants possibles" in text
    assert "Possible existing records" not in text


# -- the registrar's review page ------------------------------------------------------------------

REVIEW = re.compile(r'href="(/duplicates/[0-9a-f-]{36})"')
BUTTONS = re.compile(r'<button type="submit" name="decision" value="(\w+)"')


def journey_pair(web: Web) -> tuple[str, str]:
    """Achieng Joy Nyambura, then Achieng Joi: same mother, date of birth and facility."""
    clerk = web.api.as_user("clerk")
    first = clerk.declare(
        body=birth(
            4,
            child={"given_names": "Achieng Joy", "family_name": "Nyambura"},
            mother={"given_names": "Wanjiru", "family_name": "Nyambura", "national_id": "ID-4471"},
            father={"given_names": "Peter", "family_name": "Odhiambo"},
        )
    )
    second = clerk.declare(
        body=birth(
            4,
            child={"given_names": "Achieng Joi", "family_name": "Nyambura"},
            mother={"given_names": "Wanjiru", "family_name": "Nyambura"},
            father=None,
        )
    )
    return first["id"], second["id"]


def review_url(web: Web) -> str:
    found = REVIEW.search(web.text(web.get("/")))
    assert found, "no suspected duplicate in the registrar's queue"
    return found.group(1)


def test_the_review_shows_original_spelling_extra_fields_and_evidence(
    web: Web, session: Session
) -> None:
    """Values as written (not folded), father, facility, mother's date of birth and identity
    number, type of birth, one sentence of evidence per field, and both reads audited."""
    first, second = journey_pair(web)
    web.as_user("registrar")
    text = web.text(web.get(review_url(web)))
    assert "<td>Achieng Joi</td>" in text and "<td>Achieng Joy</td>" in text
    assert "achieng" not in text
    extra = dict(
        re.findall(r'<tr class="extra">\s*<th scope="row">([^<]+)</th>(.*?)</tr>', text, re.S)
    )
    assert "Amani District Hospital (F111)" in extra["Health facility"]
    assert "Peter Odhiambo" in extra["Father"]
    extra = {label.replace("&#39;", "'"): cells for label, cells in extra.items()}
    assert "1995-04-12" in extra["Mother's date of birth"], extra
    assert "ID-4471" in extra["Mother's identity number"]
    assert "Single birth" in extra["Type of birth"]
    sentences = re.findall(r'<p class="evidence">([^<]+)</p>', text)
    assert "Family name: the same (Nyambura / Nyambura) — strong evidence for the same child" in (
        sentences
    )
    assert any(
        s.startswith("Given names: ") and "(Achieng Joi / Achieng Joy)" in s for s in sentences
    )
    assert any(
        s.startswith("Mother: the same woman (Wanjiru Nyambura / Wanjiru Nyambura)")
        for s in sentences
    )
    for record_id in (first, second):
        reads = audited(session, "read", record_id)
        assert [json.loads(e.details) for e in reads] == [{"via": "review"}]


@pytest.mark.parametrize(
    ("probability", "first_button", "shown"),
    [(0.95, "duplicate", "95 %"), (0.9, "duplicate", "90 %"), (0.85, "not_duplicate", "85 %")],
)
def test_the_suggested_decision_follows_the_probability(
    web: Web, session: Session, probability: float, first_button: str, shown: str
) -> None:
    """At 90 % or more the first (primary) button is "duplicate"; below, "not a duplicate"."""
    _first, second = journey_pair(web)
    candidate = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.record_id == second)
    ).one()
    candidate.probability = probability  # the stored calibrated posterior the page reads
    session.commit()
    web.as_user("registrar")
    text = web.text(web.get(f"/duplicates/{candidate.id}"))
    assert f"<strong>{shown}</strong>" in text
    buttons = BUTTONS.findall(text)
    assert buttons[0] == first_button and sorted(buttons) == ["duplicate", "not_duplicate"]
    assert ("Suggested: duplicate" in text) is (first_button == "duplicate")


def test_the_declarants_answer_is_shown_on_the_review_and_record_pages(
    web: Web, session: Session
) -> None:
    """ "A different child" from the form is what the registrar reads beside the pair."""
    web.api.as_user("clerk").declare(body=birth(5))
    web.as_user("clerk")
    form = birth_form(**{"child.given_names": "Aminah"})
    saved = web.post(
        "/births/new", form | {"duplicate_checked": "y", "duplicate_choice": "different"}
    )
    assert saved.status_code == 303
    web.post("/logout")
    web.as_user("registrar")
    review = web.text(web.get(review_url(web)))
    assert "The declarant said: a different child." in review
    record = web.text(web.get(saved.headers["Location"]))
    assert 'id="declarant-said">The declarant said: a different child.' in record


def test_the_other_districts_side_is_masked_on_the_review(web: Web) -> None:
    """A registrar sees the other district's side without its values or extra facts."""
    web.api.as_user("clerk.d21").declare(
        body=birth(
            4,
            place={"type": "health_facility", "facility_code": "F211"},
            father={"given_names": "Joseph", "family_name": "Kamau"},
        )
    )
    web.api.as_user("clerk").declare(body=birth(4))
    web.as_user("registrar")
    text = web.text(web.get(review_url(web)))
    assert "Joseph" not in text and "Dunia Referral Hospital" not in text
    assert "<td>Amina</td>\n    <td>\u2013</td>" in text  # the masked side: a dash
    assert "Given names: the same — strong evidence for the same child" in text


def test_the_queue_shows_declarations_held_by_a_suspected_duplicate(web: Web) -> None:
    """The declared list marks the declaration a suspected duplicate holds, not the other."""
    first, second = journey_pair(web)
    web.as_user("clerk")
    section = web.text(web.get("/")).split('id="queue-declared"')[1].split("</section>")[0]
    held = [
        line for line in section.splitlines() if "suspected duplicate: awaits a decision" in line
    ]
    assert len(held) == 1 and second in held[0]
    assert first not in held[0]


def test_the_death_form_warns_about_the_same_person(web: Web, session: Session) -> None:
    """A death declared twice is warned about with the person's wording; the answer is saved
    and named in the record's audit trail."""
    first = web.api.as_user("clerk").declare("deaths", death(5))
    web.as_user("clerk")
    before = counts(session)
    response = web.post("/deaths/new", death_form(**{"deceased.given_names": "Jon"}))
    text = web.text(response)
    assert (
        response.status_code == 200 and "Is this the same person as one of these records?" in text
    )
    assert counts(session) == before
    assert CHOICE.findall(text) == [f"same:{first['id']}", "different", "unsure"]
    form = death_form(**{"deceased.given_names": "Jon"}) | {"duplicate_checked": "y"}
    saved = web.post("/deaths/new", form | {"duplicate_choice": "unsure"})
    assert saved.status_code == 303, web.text(saved)
    record = web.text(web.get(saved.headers["Location"]))
    assert "The declarant could not tell." in record
    assert "answer to possible existing records</td>" in record


def test_a_different_child_does_not_complete_the_notification_shown(
    web: Web, session: Session
) -> None:
    """A notification the clerk was shown and answered "a different child" is not completed
    by the declaration: it stays notified and the pair waits for a registrar."""
    notified = web.api.as_user("clerk").declare(body=birth(5, notification=True))
    web.as_user("clerk")
    _text, choices = warned(web, session)
    assert choices[0] == f"same:{notified['id']}"
    form = birth_form() | {"duplicate_checked": "y", "duplicate_choice": "different"}
    saved = web.post("/births/new", form)
    assert saved.status_code == 303, web.text(saved)
    record = newest(session)
    assert record.id != notified["id"] and record.notification_id is None
    notification = session.get(Record, notified["id"])
    assert notification is not None and notification.status == "notified"
    pair = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.record_id == record.id)
    ).one()
    assert (pair.existing_id, pair.status) == (notified["id"], "open")
