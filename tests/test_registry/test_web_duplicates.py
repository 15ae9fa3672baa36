"""Suspected duplicates through the pages: the queue, the side-by-side review, the decision."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import AuditEvent, DuplicateCandidate, Record
from registry.web import evidence
from tests.factories import birth
from tests.test_registry.test_web_support import Web

REVIEW = re.compile(r'href="(/duplicates/[0-9a-f-]{36})"')


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def _pair(web: Web, **child: str) -> tuple[str, str]:
    clerk = web.api.as_user("clerk")
    first = clerk.declare(body=birth(4))
    second = clerk.declare(body=birth(4, child=child) if child else birth(4))
    return first["id"], second["id"]


def test_the_queue_lists_open_suspected_duplicates_of_the_area(web: Web) -> None:
    _first, second = _pair(web, given_names="Aminah")
    web.as_user("registrar")
    text = web.text(web.get("/"))
    section = text.split('id="queue-duplicates"')[1].split("</section>")[0]
    assert "Aminah Otieno may be Amina Otieno" in section
    assert REVIEW.search(section)
    # The record page says it waits and links to the review.
    record = web.text(web.get(f"/births/{second}"))
    assert 'id="open-duplicates"' in record
    assert "Decide on a suspected duplicate" in record
    # A clerk sees the notice but not the link; a registrar elsewhere sees nothing.
    web.get("/logout")
    web.post("/logout")
    web.as_user("clerk")
    clerk_page = web.text(web.get(f"/births/{second}"))
    assert 'id="open-duplicates"' in clerk_page
    assert "Decide on a suspected duplicate" not in clerk_page
    web.post("/logout")
    web.as_user("registrar.d21")
    other = web.text(web.get("/")).split('id="queue-duplicates"')[1].split("</section>")[0]
    assert "Aminah" not in other


def test_the_review_shows_both_records_field_by_field_in_words(web: Web) -> None:
    _pair(web, given_names="Aminah")
    web.as_user("registrar")
    url = REVIEW.search(web.text(web.get("/")))
    assert url
    page = web.get(url.group(1))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = web.text(page)
    assert "Newer declaration" in text and "Existing record" in text
    rows = re.findall(r'<tr class="agree-(\w+)">\s*<th scope="row">([^<]+)</th>', text)
    assert rows, text
    by_label = {label: css for css, label in rows}
    assert by_label["Family name"] == "same"
    assert by_label["Given names"] in ("close", "far")
    assert by_label["Date of birth"] == "same"
    # Words, not only colour.
    assert re.search(r'<span class="agree">(same|close|sounds alike)</span>', text)
    assert re.search(r"\d+ %</strong>", text)
    assert 'value="duplicate"' in text and 'value="not_duplicate"' in text


def test_deciding_duplicate_rejects_the_newer_and_is_audited(web: Web, session: Session) -> None:
    first, second = _pair(web)
    web.as_user("registrar")
    candidate = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.record_id == second)
    ).one()
    response = web.post(
        f"/duplicates/{candidate.id}/decision",
        {"decision": "duplicate", "note": "Same clinic card number"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/births/{first}"
    session.expire_all()
    newer = session.get(Record, second)
    assert newer is not None and newer.status == "rejected"
    assert newer.duplicate_of_id == first
    action = session.scalars(
        select(AuditEvent.action).where(AuditEvent.record_id == second).order_by(AuditEvent.seq)
    ).all()[-1]
    assert action == "duplicate_decision:duplicate"
    # Deciding again is refused on the page, with the review shown again.
    again = web.post(f"/duplicates/{candidate.id}/decision", {"decision": "not_duplicate"})
    assert again.status_code == 409
    assert "already decided" in web.text(again)


def test_not_a_duplicate_lets_the_newer_one_be_registered(web: Web, session: Session) -> None:
    _first, second = _pair(web)
    web.as_user("registrar")
    blocked = web.post(f"/births/{second}/register", {})
    assert blocked.status_code == 409
    assert "awaits a registrar" in web.text(blocked)
    candidate = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.record_id == second)
    ).one()
    bad = web.post(f"/duplicates/{candidate.id}/decision", {"decision": "maybe"})
    assert bad.status_code == 422
    assert "Choose one of the two decisions." in web.text(bad)
    done = web.post(f"/duplicates/{candidate.id}/decision", {"decision": "not_duplicate"})
    assert done.status_code == 303
    assert done.headers["Location"] == f"/births/{second}"
    assert web.post(f"/births/{second}/register", {}).status_code == 303


def test_other_districts_and_clerks_cannot_review(web: Web, session: Session) -> None:
    _first, second = _pair(web)
    candidate = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.record_id == second)
    ).one()
    web.as_user("registrar.d21")
    assert web.get(f"/duplicates/{candidate.id}").status_code == 403
    refused = web.post(f"/duplicates/{candidate.id}/decision", {"decision": "duplicate"})
    assert refused.status_code == 403
    web.post("/logout")
    web.as_user("clerk")
    assert web.get(f"/duplicates/{candidate.id}").status_code == 403
    session.expire_all()
    assert session.get(DuplicateCandidate, candidate.id).status == "open"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("probability", "shown"),
    [
        (0.99995, "> 99 %"),
        (1.0, "100 %"),
        (0.904, "90 %"),
        (0.8999, "89 %"),
        (0.001, "< 1 %"),
        (0.0, "0 %"),
    ],
)
def test_a_posterior_is_never_shown_as_certain(probability: float, shown: str) -> None:
    """It shows a posterior near 1 as "> 99 %" and near 0 as "< 1 %", never as certain."""
    assert evidence.percent(probability) == shown


def test_a_decision_form_is_checked_by_the_api_schema_and_stores_nothing(
    web: Web, session: Session
) -> None:
    """The page loads the decision with the API's DecisionIn: a missing decision and a note
    over 2000 characters are both named on the page, and the pair stays open."""
    _first, second = _pair(web)
    web.as_user("registrar")
    candidate = session.scalars(
        select(DuplicateCandidate).where(DuplicateCandidate.record_id == second)
    ).one()
    bad = web.post(f"/duplicates/{candidate.id}/decision", {"note": "n" * 2001})
    assert bad.status_code == 422
    assert "Choose one of the two decisions." in web.text(bad)
    assert "Longer than maximum length 2000." in web.text(bad)
    session.expire_all()
    assert session.get(DuplicateCandidate, candidate.id).status == "open"  # type: ignore[union-attr]
