"""Declaring, queueing, registering, rejecting, correcting and searching through the pages."""

from __future__ import annotations

import re
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import AuditEvent, Record
from tests.factories import birth, days_ago
from tests.test_registry.test_web_support import Web, birth_form, death_form

RECORD_URL = re.compile(r"^/(births|deaths)/([0-9a-f-]{36})$")


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def declare(web: Web, kind: str = "births", form: dict[str, str] | None = None) -> str:
    form = form if form is not None else (birth_form() if kind == "births" else death_form())
    response = web.post(f"/{kind}/new", form)
    assert response.status_code == 303, web.text(response)
    location = response.headers["Location"]
    assert RECORD_URL.match(location)
    return location


def test_clerk_declares_a_birth(web: Web, session: Session) -> None:
    """The form is validated by the API schema and saved by the records service."""
    web.as_user("clerk")
    url = declare(web)
    record = session.get(Record, url.rsplit("/", 1)[1])
    assert record is not None
    assert record.status == "declared"
    page = web.get(url)
    text = web.text(page)
    assert page.status_code == 200
    assert "Birth: Amina Otieno" in text
    assert "The record is saved." in text
    assert "Amani District Hospital" not in text  # codes are shown, nothing invented
    assert "F111" in text
    assert "Nurse or midwife" in text
    assert page.headers["Cache-Control"] == "no-store"
    # Reading the page is audited, and the audit trail is on the page.
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.record_id == record.id)
    ).all()
    assert actions[:2] == ["declare", "read"]
    assert "Declared" in text.split('id="h-audit"')[1]
    assert "Opened the record" in web.text(web.get(url)).split('id="h-audit"')[1]


def test_repeated_openings_show_as_one_line_of_the_audit_trail(web: Web, session: Session) -> None:
    """Each opening is audited (all kept in the table); the page folds a person's run of reads."""
    web.as_user("clerk")
    url = declare(web)
    for _ in range(4):
        web.get(url)
    text = web.text(web.get(url))
    trail = text.split('id="h-audit"')[1]
    record_id = url.rsplit("/", 1)[1]
    reads = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.record_id == record_id, AuditEvent.action == "read"
        )
    ).all()
    assert len(reads) >= 5  # every opening is in the audit table
    rows = trail.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows == 2  # declared, then one line for the run of openings
    # The page lists what was committed before it: four openings, not the one being shown.
    assert "Opened the record (4 times)" in trail
    web.as_user("registrar")
    web.get(url)
    trail = web.text(web.get(url)).split('id="h-audit"')[1]
    assert trail.split("<tbody>")[1].split("</tbody>")[0].count("<tr>") == 3  # another person


def test_a_facility_clerk_starts_from_their_facility(web: Web) -> None:
    web.as_user("clerk")
    text = web.text(web.get("/births/new"))
    assert re.search(r'name="place.facility_code"[^>]* value="F111"', text)
    assert '<option value="health_facility" selected>' in text


def test_clerk_declares_a_death_with_its_cause(web: Web, session: Session) -> None:
    web.as_user("clerk")
    form = death_form(
        **{
            "cause.part1.1.text": "Sepsis",
            "cause.part1.1.icd10": "A41.9",
            "cause.part2": "Diabetes\n\nHypertension",
        }
    )
    url = declare(web, "deaths", form)
    record = session.get(Record, url.rsplit("/", 1)[1])
    assert record is not None
    facts = record.versions[0].facts
    assert [line["text"] for line in facts["cause"]["part1"]] == ["Pneumonia", "Sepsis"]
    assert facts["cause"]["part2"] == ["Diabetes", "Hypertension"]
    assert "father" not in facts


def test_errors_are_shown_next_to_their_fields_and_values_are_kept(web: Web) -> None:
    """A failed declaration renders the form again: 422, messages by field, values kept."""
    web.as_user("clerk")
    form = birth_form(
        **{
            "child.given_names": "",
            "child.date_of_birth": "2999-01-01",
            "child.birth_weight_grams": "heavy",
            "mother.family_name": "Wanjiru",
        }
    )
    response = web.post("/births/new", form)
    assert response.status_code == 422
    text = web.text(response)
    assert re.search(r'id="f-child-date-of-birth-error">Must not be in the future', text)
    assert re.search(r'id="f-child-birth-weight-grams-error">Not a valid integer', text)
    assert 'value="Wanjiru"' in text
    assert 'value="heavy"' in text
    assert 'aria-invalid="true"' in text
    assert 'id="error-summary"' in text
    assert 'href="#f-child-date-of-birth"' in text


def test_cross_field_and_service_errors_reach_their_fields(web: Web) -> None:
    """Schema rules (required names) and service checks (unknown codes) land on fields."""
    web.as_user("clerk")
    response = web.post("/births/new", birth_form(**{"child.given_names": ""}))
    assert response.status_code == 422
    assert re.search(
        r'id="f-child-given-names-error">Missing data for required field', web.text(response)
    )
    response = web.post("/births/new", birth_form(**{"place.facility_code": "NOPE"}))
    assert response.status_code == 422
    text = web.text(response)
    assert re.search(r'id="f-place-facility-code-error">Unknown facility code', text)
    assert 'value="NOPE"' in text


def test_death_cause_line_errors_land_on_the_line(web: Web) -> None:
    web.as_user("clerk")
    form = death_form(**{"cause.part1.0.icd10": "pneumonia", "cause.part1.1.icd10": "A41.9"})
    response = web.post("/deaths/new", form)
    assert response.status_code == 422
    text = web.text(response)
    assert re.search(r'id="f-cause-part1-0-icd10-error">Not an ICD-10 code', text)
    assert re.search(r'id="f-cause-part1-1-text-error">Missing data for required field', text)


def test_errors_are_translated(web: Web) -> None:
    web.as_user("clerk")
    web.post("/language", {"lang": "fr"})
    response = web.post("/births/new", birth_form(**{"child.date_of_birth": "2999-01-01"}))
    assert "Ne doit pas être dans le futur." in web.text(response)
    assert "Déclarer une naissance" in web.text(response)


def test_declaring_outside_ones_area_is_refused_on_the_form(web: Web) -> None:
    web.as_user("clerk.d21")
    response = web.post("/births/new", birth_form())
    assert response.status_code == 403
    assert "This is outside your area." in web.text(response)
    assert 'value="Amina"' in web.text(response)


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("clerk", True),
        ("registrar", True),
        ("registrar.r1", True),
        ("registrar.d21", False),
        ("clerk.d21", False),
    ],
)
def test_the_queue_shows_only_the_users_area(
    web: Web, client: FlaskClient, username: str, sees: bool
) -> None:
    """A declaration in D11 is queued for D11 and its region, not for D21."""
    clerk = web.api.as_user("clerk")
    declared = clerk.declare(body=birth(child={"given_names": "Zawadi"}))
    clerk.declare(body=birth(child={"given_names": "Baraka"}, notification=True))
    web.as_user(username)
    text = web.text(web.get("/"))
    assert ("Zawadi" in text) is sees
    assert ("Baraka" in text) is sees
    assert "Suspected duplicates" in text
    duplicates = text.split('id="queue-duplicates"')[1].split("</section>")[0]
    assert "Nothing here." in duplicates  # detection is on; nothing is suspected here
    if sees:
        section = text.split('id="queue-declared"')[1].split("</section>")[0]
        assert f"/births/{declared['id']}" in section


def test_registrar_registers_rejects_and_clerk_resubmits(web: Web) -> None:
    web.as_user("clerk")
    first = declare(web)
    second = declare(web, form=birth_form(**{"child.given_names": "Neema"}))
    web.post("/logout")
    web.as_user("registrar")
    response = web.post(f"{first}/register", {"reason": ""})
    assert response.status_code == 303
    page = web.text(web.get(first))
    assert re.search(r"Registered as O11-B\d{4}-\d{6}-[0-9A-Z]\.", page)
    assert "Correct this record" in page
    # Registering twice is a conflict shown on the page, not a crash.
    again = web.post(f"{first}/register", {})
    assert again.status_code == 409
    # A rejection needs its reason.
    refused = web.post(f"{second}/reject", {"reason": "  "})
    assert refused.status_code == 422
    assert re.search(r'id="reject-reason-error">Missing data', web.text(refused))
    assert web.post(f"{second}/reject", {"reason": "Mother's name unreadable"}).status_code == 303
    web.post("/logout")
    web.as_user("clerk")
    queue = web.text(web.get("/"))
    rejected = queue.split('id="queue-rejected"')[1].split("</section>")[0]
    assert second in rejected
    page = web.text(web.get(second))
    assert "Mother&#39;s name unreadable" in page
    assert "Fix and resubmit" in page
    assert "Register this record" not in page
    edit = web.get(f"{second}/edit")
    assert 'value="Neema"' in web.text(edit)
    fixed = web.post(f"{second}/edit", birth_form(**{"child.given_names": "Neema Grace"}))
    assert fixed.status_code == 303
    assert "Declared" in web.text(web.get(second))


def test_registrar_corrects_a_name_with_a_reason(web: Web, session: Session) -> None:
    """A correction is a new version; the old name stays readable in the history."""
    web.as_user("clerk")
    url = declare(web)
    web.post("/logout")
    web.as_user("registrar")
    web.post(f"{url}/register", {})
    form = web.text(web.get(f"{url}/correct"))
    assert 'value="Amina"' in form
    missing = web.post(f"{url}/correct", birth_form(**{"child.given_names": "Aminah"}))
    assert missing.status_code == 422
    text = web.text(missing)
    assert re.search(r'id="f-reason-error">Missing data', text)
    assert 'value="Aminah"' in text
    unchanged = web.post(
        f"{url}/correct", birth_form(reason="typo", evidence="ID card", requested_by="Mother")
    )
    assert unchanged.status_code == 422
    assert "The changes leave the record as it is." in web.text(unchanged)
    done = web.post(
        f"{url}/correct",
        birth_form(
            **{"child.given_names": "Aminah"},
            reason="Spelling mistake at declaration",
            evidence="Mother's national ID card",
            requested_by="Grace Otieno (mother)",
        ),
    )
    assert done.status_code == 303, web.text(done)
    asked = web.text(web.get(url))
    assert "Birth: Amina Otieno" in asked  # not applied before a second registrar approves
    assert "1 correction of this record awaits a second registrar" in asked
    web.post("/logout")
    web.as_user("registrar.r1")
    queue = web.text(web.get("/corrections"))
    assert "Spelling mistake at declaration" in queue
    request_id = re.search(r'action="/corrections/([0-9a-f-]+)/approve"', queue)
    assert request_id is not None
    approved = web.post(f"/corrections/{request_id[1]}/approve", {})
    assert approved.status_code == 303
    page = web.text(web.get(url))
    assert "Birth: Aminah Otieno" in page
    assert "Spelling mistake at declaration" in page
    assert "Grace Otieno (mother)" in page
    history = page.split('id="h-history"')[1]
    assert "<td>Amina</td><td>Aminah</td>" in history
    record = session.get(Record, url.rsplit("/", 1)[1])
    assert record is not None
    assert record.version == 2


def test_clerks_cannot_register_or_correct(web: Web) -> None:
    web.as_user("clerk")
    url = declare(web)
    assert web.post(f"{url}/register", {}).status_code == 403
    assert web.get(f"{url}/correct").status_code == 403


def test_a_registrar_of_another_district_gets_a_403_page(web: Web) -> None:
    record = web.api.as_user("clerk").declare()
    web.as_user("registrar.d21")
    for url in (
        f"/births/{record['id']}",
        f"/births/{record['id']}/edit",
        f"/births/{record['id']}/correct",
    ):
        page = web.get(url)
        assert page.status_code == 403, url
        assert "Not allowed" in web.text(page)
        assert "Amina" not in web.text(page)
    assert web.post(f"/births/{record['id']}/register", {}).status_code == 403


def test_unknown_and_mistyped_records_are_404(web: Web) -> None:
    record = web.api.as_user("clerk").declare()
    web.as_user("registrar")
    assert web.get(f"/births/{uuid.uuid4()}").status_code == 404
    assert web.get(f"/deaths/{record['id']}").status_code == 404
    assert web.get("/births/12345").status_code == 404


def test_search_by_name_number_dates_and_area(web: Web) -> None:
    clerk = web.api.as_user("clerk")
    found = clerk.declare(body=birth(10, child={"family_name": "Kamau"}))
    clerk.declare(body=birth(200, child={"family_name": "Achieng"}))
    registrar = web.api.as_user("registrar")
    registered = registrar.post(f"/api/v1/births/{found['id']}/register", json={}).json
    web.as_user("registrar")
    by_name = web.text(web.get("/search?kind=births&family_name=kam"))
    assert "1 record found" in by_name
    assert found["id"] in by_name
    number = registered["registration_number"]
    by_number = web.text(web.get(f"/search?kind=births&registration_number={number}"))
    assert found["id"] in by_number
    dates = f"date_from={days_ago(30).isoformat()}&date_to={days_ago(0).isoformat()}"
    by_dates = web.text(web.get(f"/search?kind=births&{dates}"))
    assert "Kamau" in by_dates
    assert "Achieng" not in by_dates
    assert "Kamau" in web.text(web.get("/search?kind=births&area=D11"))
    bad = web.get("/search?kind=births&date_from=2026-02-31")
    assert bad.status_code == 422
    assert re.search(r'id="s-date_from-error">Not a valid date', web.text(bad))
    outside = web.get("/search?kind=births&area=D21")
    assert outside.status_code == 403
    assert re.search(r'id="s-area-error">This area is outside yours', web.text(outside))


def test_search_stays_inside_the_users_area(web: Web) -> None:
    web.api.as_user("clerk").declare(body=birth(child={"family_name": "Kamau"}))
    web.as_user("registrar.d21")
    assert "0 records found" in web.text(web.get("/search?kind=births&family_name=Kamau"))


def test_a_death_round_trips_through_the_amendment_form(web: Web, session: Session) -> None:
    """The edit form shows every stored fact, and posting it back changes nothing else."""
    web.as_user("clerk")
    form = death_form(**{"cause.part2": "Diabetes\nHypertension"})
    url = declare(web, "deaths", form)
    edit = web.get(f"{url}/edit")
    text = web.text(edit)
    assert re.search(r'name="cause.part1.0.icd10"[^>]* value="J18.9"', text)
    assert ">Diabetes\nHypertension</textarea>" in text
    page = web.text(web.get(url))
    assert "Medical certificate" in page
    assert "Line a: condition" in page
    values = dict(re.findall(r'name="([a-z_.0-9]+)"[^>]* value="([^"]*)"', text))
    values |= {"cause.part2": "Diabetes\nHypertension"}
    selected = r'<select id="[^"]+" name="([a-z_.0-9]+)"[^>]*>(?:(?!</select>).)*?'
    selected += r'<option value="([^"]+)" selected'
    values |= dict(re.findall(selected, text, re.S))
    values.pop("csrf_token", None)
    assert web.post(f"{url}/edit", values).status_code == 303
    record = session.get(Record, url.rsplit("/", 1)[1])
    assert record is not None
    session.refresh(record)
    assert record.version == 2
    assert record.versions[1].facts == record.versions[0].facts


def test_a_nul_character_in_a_form_gets_a_message_page(web: Web, session: Session) -> None:
    web.as_user("clerk")
    before = len(session.scalars(select(Record.id)).all())
    response = web.post("/births/new", birth_form(**{"child.given_names": "Am\x00ina"}))
    assert response.status_code == 422
    assert "NUL" in web.text(response) and "<html" in web.text(response).lower()
    assert len(session.scalars(select(Record.id)).all()) == before
