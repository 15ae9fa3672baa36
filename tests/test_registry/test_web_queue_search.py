"""The pages registrars live in: the work queue (oldest first, waiting time, flags, names in
words, linked rejection reasons) and the registration number search (any capitals, a missing or
wrong check character, the number alone), on the page and in the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry.domain import EventType, check_character, today
from registry.models import Record, User
from registry.services import numbers, records
from registry.services.scoping import Actor
from tests.factories import SETTINGS, birth, unique
from tests.test_registry.test_web_support import Web


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def received(session: Session, record_id: str, days_ago: int) -> None:
    """Pretend the registry received the record ``days_ago`` days ago."""
    moment = datetime.now(UTC) - timedelta(days=days_ago, hours=1)
    session.execute(update(Record).where(Record.id == record_id).values(created_at=moment))
    session.commit()


def section(text: str, key: str) -> str:
    return text.split(f'id="queue-{key}"')[1].split("</section>")[0]


def register(web: Web, record_id: str, kind: str = "births") -> str:
    done = web.api.as_user("registrar").post(f"/api/v1/{kind}/{record_id}/register", json={})
    assert done.status_code == 200, done.json
    return str(done.json["registration_number"])


def in_d21() -> dict[str, Any]:
    body = unique()
    body["place"] = {"type": "health_facility", "facility_code": "F211"}
    body["mother"]["residence_area_code"] = "D21"
    return body


# -- the work queue -------------------------------------------------------------------------------


def test_the_queue_is_oldest_first_with_waiting_time_and_facility_names(
    web: Web, session: Session
) -> None:
    """It lists the oldest declaration first, says how long each has waited, and names the
    facility and area in words instead of their codes."""
    clerk = web.api.as_user("clerk")
    newest = clerk.declare(body=birth(child={"given_names": "Newest"}))
    oldest = clerk.declare(body=birth(child={"given_names": "Oldest"}))
    at_home = {"type": "home", "area_code": "D11", "facility_code": None}
    middle = clerk.declare(body=birth(place=at_home, child={"given_names": "Middle"}))
    received(session, oldest["id"], 10)
    received(session, middle["id"], 3)
    web.as_user("registrar")
    declared = section(web.text(web.get("/")), "declared")
    order = [declared.index(r["id"]) for r in (oldest, middle, newest)]
    assert order == sorted(order)
    assert "waiting 10 days" in declared and "waiting 3 days" in declared
    assert "received today" in declared
    assert "Amani District Hospital, Amani District" in declared
    assert "F111" not in declared and "· D11" not in declared


def test_the_queue_flags_a_delayed_registration_until_it_is_approved(
    web: Web, session: Session
) -> None:
    """A declaration beyond the late period is marked as needing a regional approval; once a
    registrar of region level approved it, the mark goes."""
    delayed = web.api.as_user("clerk").declare(
        body=birth(400, mother={"date_of_birth": "1990-01-01"}, child={"given_names": "Late"})
    )
    current = web.api.as_user("clerk").declare(body=unique())
    web.as_user("registrar")
    declared = section(web.text(web.get("/")), "declared")
    item = declared.split(delayed["id"])[1].split("</li>")[0]
    assert "needs the approval of a registrar of region level" in item
    other = declared.split(current["id"])[1].split("</li>")[0]
    assert "needs-approval" not in other
    url = f"/api/v1/births/{delayed['id']}/delayed-approval"
    assert web.api.as_user("registrar.r1").post(url, json={}).status_code == 200
    declared = section(web.text(web.get("/")), "declared")
    assert "needs-approval" not in declared


def test_a_rejection_reason_links_to_the_record_it_names(web: Web, session: Session) -> None:
    """A reason naming a registration number (in any capitals) or a record id links to that
    record; one naming a record outside the reader's area, or nothing, stays plain text."""
    clerk, registrar = web.api.as_user("clerk"), web.api.as_user("registrar")
    kept = clerk.declare(body=unique())
    number = register(web, kept["id"])
    pending = clerk.declare(body=unique())
    elsewhere = web.api.as_user("clerk.d21").declare(body=in_d21())
    reasons = {
        f"Duplicate of {number.lower()}: same child.": kept["id"],
        f"Same child as {pending['id']}": pending["id"],
        f"Same child as {elsewhere['id']}": None,
        "Mother's name is illegible": None,
    }
    rejected = {}
    for reason in reasons:
        record = clerk.declare(body=unique())
        done = registrar.post(f"/api/v1/births/{record['id']}/reject", json={"reason": reason})
        assert done.status_code == 200, done.json
        rejected[reason] = record["id"]
    web.as_user("clerk")
    queue = section(web.text(web.get("/")), "rejected")
    for reason, target in reasons.items():
        item = queue.split(rejected[reason])[1].split("</li>")[0]
        links = item.count('<a href="/births/')
        if target is None:
            assert links == 0, item
        else:
            assert f'<a href="/births/{target}">' in item
    first = queue.split(rejected[f"Duplicate of {number.lower()}: same child."])[1]
    assert f'<a href="/births/{kept["id"]}">{number.lower()}</a>: same child.' in first


def test_a_registrar_sees_the_corrections_waiting_for_approval(web: Web) -> None:
    """A registrar's queue counts the correction requests of the area waiting for a second
    registrar and links to them; a clerk's queue has no such section."""
    kept = web.api.as_user("clerk").declare(body=unique())
    register(web, kept["id"])
    asked = web.api.as_user("registrar").post(
        f"/api/v1/births/{kept['id']}/corrections",
        json={"changes": {"child": {"given_names": "Amani"}}, "reason": "typo", "evidence": "ID"},
    )
    assert asked.status_code == 201, asked.json
    web.as_user("registrar.r1")
    corrections = section(web.text(web.get("/")), "corrections")
    assert "1 correction waits for a second registrar" in corrections
    assert 'href="/corrections"' in corrections
    web.post("/logout")
    web.as_user("clerk")
    assert 'id="queue-corrections"' not in web.text(web.get("/"))


def test_the_queue_is_in_french(web: Web, session: Session) -> None:
    """The new words of the queue are translated."""
    record = web.api.as_user("clerk").declare(body=unique())
    received(session, record["id"], 2)
    web.as_user("registrar")
    text = web.text(web.get("/", headers={"Accept-Language": "fr"}))
    assert "en attente depuis 2 jours" in text
    assert "Les plus anciens d&#39;abord" in text or "Les plus anciens d'abord" in text
    assert "waiting" not in section(text, "declared").replace('class="waiting"', "")


# -- registration number search -------------------------------------------------------------------


def variants(number: str) -> list[str]:
    body = number.rsplit("-", 1)[0]
    wrong = next(c for c in "0123456789" if c != number[-1])
    seq = body.rsplit("-", 1)[1]
    return [number, number.lower(), body, body.lower(), f"{body}-{wrong}", seq, str(int(seq))]


def test_a_number_is_found_in_any_capitals_without_or_with_a_wrong_check_character(
    web: Web,
) -> None:
    """The page and the API find the registration however its number is typed."""
    kept = web.api.as_user("clerk").declare(body=unique())
    number = register(web, kept["id"])
    web.as_user("registrar")
    for typed in variants(number):
        page = web.text(web.get("/search", query_string={"registration_number": typed}))
        assert "1 record found" in page, typed
        assert kept["id"] in page
        found = web.api.as_user("registrar").get(
            "/api/v1/births", query_string={"registration_number": typed}
        )
        assert found.status_code == 200
        assert [i["id"] for i in found.json["items"]] == [kept["id"]], typed
    year = today().year
    for typed in (f"O12-B{year}-000001", f"O11-D{year}-000001", "99", "%", "O11-B_%", "a" * 64):
        page = web.get("/search", query_string={"registration_number": typed})
        assert page.status_code == 200 and "0 records found" in web.text(page), typed
    deaths = web.api.as_user("registrar").get(
        "/api/v1/deaths", query_string={"registration_number": number}
    )
    assert deaths.json["total"] == 0


def registrar_actor(session: Session, username: str) -> Actor:
    user = session.scalars(select(User).where(User.username == username)).one()
    return Actor.from_user(user)


@pytest.mark.parametrize("exact_limit", [numbers.MAX_EXACT, 0])
def test_the_number_alone_finds_every_registration_in_scope(
    web: Web, session: Session, monkeypatch: pytest.MonkeyPatch, exact_limit: int
) -> None:
    """``000001`` finds the first registration of every office and year that the reader may
    see, and no other (as exact numbers, or as a pattern when there would be too many)."""
    monkeypatch.setattr(numbers, "MAX_EXACT", exact_limit)
    clerk = web.api.as_user("clerk")
    this_year = clerk.declare(body=unique())
    register(web, this_year["id"])
    old_body = unique()
    old_body["child"]["date_of_birth"] = date(today().year - 1, 1, 5).isoformat()
    last_year = clerk.declare(body=old_body)
    registrar = registrar_actor(session, "registrar")
    records.register(
        session,
        SETTINGS,
        registrar,
        EventType.BIRTH,
        last_year["id"],
        registration_date=date(today().year - 1, 1, 20),
    )
    second = clerk.declare(body=unique())
    register(web, second["id"])
    elsewhere = web.api.as_user("clerk.d21").declare(body=in_d21())
    done = web.api.as_user("registrar.d21").post(
        f"/api/v1/births/{elsewhere['id']}/register", json={}
    )
    assert done.status_code == 200
    session.commit()
    numbers_seen = {
        session.get(Record, r["id"]).registration_number  # type: ignore[union-attr]
        for r in (this_year, last_year, second, elsewhere)
    }
    assert len(numbers_seen) == 4
    web.as_user("registrar")
    for typed in ("000001", "1", "000001-X"):
        page = web.text(web.get("/search", query_string={"registration_number": typed}))
        assert "2 records found" in page, typed
        assert this_year["id"] in page and last_year["id"] in page
        assert second["id"] not in page and elsewhere["id"] not in page
    found = web.api.as_user("registrar.d21").get(
        "/api/v1/births", query_string={"registration_number": "000001"}
    )
    assert [i["id"] for i in found.json["items"]] == [elsewhere["id"]]
    both = web.text(web.get("/search", query_string={"registration_number": "2"}))
    assert "1 record found" in both and second["id"] in both
    full = f"o11-b{today().year}-000001"
    one = web.text(web.get("/search", query_string={"registration_number": full}))
    assert "1 record found" in one and this_year["id"] in one


def test_a_number_in_another_format_is_read_with_that_format() -> None:
    """The typed text is read against the configured format, whatever its order of parts."""
    template = "{type}{year}/{office}/{seq:05d}"
    assert numbers.parse(template, "b2026/o11/00042-z") == numbers.Parts("o11", "B", 2026, 42)
    assert numbers.parse(template, "B2026/O11/00042") == numbers.Parts("O11", "B", 2026, 42)
    assert numbers.parse(template, "42") == numbers.Parts(seq=42)
    assert numbers.parse(template, "O11-B2026-000042-X") is None
    assert numbers.parse("{office}-{type}{year}-{seq:06d}", "O-1-B2026-000042") == (
        numbers.Parts("O-1", "B", 2026, 42)
    )
    body = "O11-B2026-000042"
    assert numbers.typed_spellings("o11-b2026-000042-q") >= {
        f"{body}-{check_character(body)}",
        "o11-b2026-000042-q",
    }
