"""Four eyes: corrections approved by a second registrar, delayed registrations approved by a
registrar of a higher area level, and the confirmation page before registering."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import AuditEvent
from tests.factories import ApiClient, birth, death
from tests.test_registry.test_web_support import Web

NAME_FIX = {
    "changes": {"child": {"given_names": "Aminah"}},
    "reason": "spelling at declaration",
    "evidence": "clinic card 44/2026",
    "requested_by": "Grace Otieno (mother)",
}


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def registered(api: ApiClient, kind: str = "births", body: dict[str, Any] | None = None) -> str:
    record = api.as_user("clerk").declare(kind, body)
    done = api.as_user("registrar").post(f"/api/v1/{kind}/{record['id']}/register", json={})
    assert done.status_code == 200, done.json
    return str(record["id"])


def actions(session: Session, record_id: str) -> list[str]:
    stmt = select(AuditEvent.action).where(AuditEvent.record_id == record_id)
    return list(session.scalars(stmt.order_by(AuditEvent.seq)))


def test_a_requested_correction_waits_and_its_requester_cannot_approve_it(
    api: ApiClient, session: Session
) -> None:
    """It keeps a correction pending (the record unchanged) until a second registrar approves;
    the requester gets a 403 that says why; the approval makes the new version with the
    reason, the evidence, who asked and who approved."""
    rid = registered(api)
    registrar, regional = api.as_user("registrar"), api.as_user("registrar.r1")
    asked = registrar.post(f"/api/v1/births/{rid}/corrections", json=NAME_FIX)
    assert asked.status_code == 201, asked.json
    assert asked.json["status"] == "pending"
    assert asked.headers["Location"].endswith(f"/api/v1/corrections/{asked.json['id']}")
    assert registrar.get(f"/api/v1/births/{rid}").json["child"]["given_names"] == "Amina"
    own = registrar.post(f"/api/v1/corrections/{asked.json['id']}/approve")
    assert own.status_code == 403
    assert "second registrar" in own.json["message"]
    approved = regional.post(f"/api/v1/corrections/{asked.json['id']}/approve")
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    assert approved.json["decided_by"] == "registrar.r1"
    assert approved.json["version"] == 2
    latest = registrar.get(f"/api/v1/births/{rid}/history").json["versions"][-1]
    assert latest["facts"]["child"]["given_names"] == "Aminah"
    assert (latest["reason"], latest["evidence"]) == (NAME_FIX["reason"], NAME_FIX["evidence"])
    assert latest["requested_by"] == "Grace Otieno (mother)"
    assert latest["approved_by"] == "registrar.r1"
    again = regional.post(f"/api/v1/corrections/{asked.json['id']}/approve")
    assert again.status_code == 409
    done = [a for a in actions(session, rid) if "correct" in a]
    assert done == ["request_correction", "correct", "approve_correction"]


def test_a_rejected_correction_leaves_the_record_and_is_audited(
    api: ApiClient, session: Session
) -> None:
    """It rejects a correction with the reason, keeps the record's version, and audits it."""
    rid = registered(api)
    asked = api.as_user("registrar").post(f"/api/v1/births/{rid}/corrections", json=NAME_FIX)
    regional = api.as_user("registrar.r1")
    url = f"/api/v1/corrections/{asked.json['id']}/reject"
    assert regional.post(url, json={}).status_code == 422
    refused = regional.post(url, json={"reason": "the card shows Amina"})
    assert refused.status_code == 200, refused.json
    assert (refused.json["status"], refused.json["rejection_reason"]) == (
        "rejected",
        "the card shows Amina",
    )
    assert regional.get(f"/api/v1/births/{rid}").json["version"] == 1
    assert "reject_correction" in actions(session, rid)
    assert regional.post(f"/api/v1/corrections/{asked.json['id']}/approve").status_code == 409


def test_the_pending_queue_is_scoped_to_the_registrars_area(api: ApiClient) -> None:
    """It lists pending corrections of the registrar's area only, and refuses clerks."""
    rid = registered(api)
    asked = api.as_user("registrar").post(f"/api/v1/births/{rid}/corrections", json=NAME_FIX)
    mine = api.as_user("registrar.r1").get("/api/v1/corrections?status=pending").json
    assert [item["id"] for item in mine["items"]] == [asked.json["id"]]
    assert mine["items"][0]["changes"] == NAME_FIX["changes"]
    other = api.as_user("registrar.d21").get("/api/v1/corrections?status=pending").json
    assert other["items"] == [] and other["total"] == 0
    assert api.as_user("clerk").get("/api/v1/corrections").status_code == 403
    api.as_user("registrar.r1").post(f"/api/v1/corrections/{asked.json['id']}/approve")
    after = api.as_user("registrar.r1").get("/api/v1/corrections?status=pending").json
    assert after["total"] == 0
    bad = api.as_user("registrar").get("/api/v1/corrections?status=maybe")
    assert bad.status_code == 422


def test_a_correction_is_checked_when_requested(api: ApiClient) -> None:
    """It refuses a request whose changes are invalid or change nothing, with field messages,
    and stores no request."""
    rid = registered(api)
    registrar = api.as_user("registrar")
    bad = registrar.post(
        f"/api/v1/births/{rid}/corrections",
        json={"changes": {"child": {"sex": "robot"}}, "reason": "x", "evidence": "y"},
    )
    assert bad.status_code == 422
    assert bad.json["errors"]["changes"]["child"]["sex"]
    same = registrar.post(
        f"/api/v1/births/{rid}/corrections",
        json={"changes": {"child": {"given_names": "Amina"}}, "reason": "x", "evidence": "y"},
    )
    assert same.status_code == 422
    assert registrar.get("/api/v1/corrections").json["total"] == 0


def test_a_request_on_a_record_changed_meanwhile_is_a_conflict(api: ApiClient) -> None:
    """It refuses to apply a request whose record got another version since it was asked."""
    rid = registered(api)
    registrar = api.as_user("registrar")
    first = registrar.post(f"/api/v1/births/{rid}/corrections", json=NAME_FIX)
    other = dict(NAME_FIX, changes={"attendant": "doctor"})
    second = registrar.post(f"/api/v1/births/{rid}/corrections", json=other)
    regional = api.as_user("registrar.r1")
    assert regional.post(f"/api/v1/corrections/{first.json['id']}/approve").status_code == 200
    late = regional.post(f"/api/v1/corrections/{second.json['id']}/approve")
    assert late.status_code == 409
    assert "changed meanwhile" in late.json["message"]


def test_self_approval_when_configured(api: ApiClient, app: Flask) -> None:
    """With CORRECTION_APPROVAL = self, the requester may approve their own correction."""
    app.extensions["crvs.settings"] = replace(
        app.extensions["crvs.settings"], correction_approval="self"
    )
    rid = registered(api)
    registrar = api.as_user("registrar")
    asked = registrar.post(f"/api/v1/births/{rid}/corrections", json=NAME_FIX)
    assert registrar.post(f"/api/v1/corrections/{asked.json['id']}/approve").status_code == 200


# -- delayed registrations -----------------------------------------------------------------------

DELAYED = {
    "births": lambda: birth(400, mother={"date_of_birth": "1990-01-01"}),
    "deaths": lambda: death(400),
}


@pytest.mark.parametrize("kind", ["births", "deaths"])
def test_a_delayed_registration_needs_a_regional_approval(
    api: ApiClient, session: Session, kind: str
) -> None:
    """It refuses to register a delayed record before a registrar of region level approved it
    (409 naming the level); the district registrar cannot approve (403); the regional one can,
    and then the district registrar registers it."""
    record = api.as_user("clerk").declare(kind, DELAYED[kind]())
    registrar, regional = api.as_user("registrar"), api.as_user("registrar.r1")
    url = f"/api/v1/{kind}/{record['id']}"
    held = registrar.post(f"{url}/register", json={"reason": "found in the paper register"})
    assert held.status_code == 409
    assert "needs approval by a registrar of region level" in held.json["message"]
    assert registrar.post(f"{url}/delayed-approval", json={}).status_code == 403
    approved = regional.post(f"{url}/delayed-approval", json={"note": "register seen"})
    assert approved.status_code == 200, approved.json
    done = registrar.post(f"{url}/register", json={"reason": "found in the paper register"})
    assert done.status_code == 200, done.json
    assert done.json["timeliness"] == "delayed"
    assert "approve_delayed" in actions(session, record["id"])


def test_an_amendment_after_the_approval_needs_a_new_one(api: ApiClient) -> None:
    """It ties the approval to the version approved: an amended declaration is approved again;
    a registration that is not delayed needs no approval (409 on asking)."""
    record = api.as_user("clerk").declare("births", DELAYED["births"]())
    url = f"/api/v1/births/{record['id']}"
    regional = api.as_user("registrar.r1")
    assert regional.post(f"{url}/delayed-approval", json={}).status_code == 200
    amended = DELAYED["births"]()
    amended["attendant"] = "doctor"
    assert api.as_user("clerk").put(url, json=amended).status_code == 200
    held = regional.post(f"{url}/register", json={"reason": "paper register"})
    assert held.status_code == 409
    current = api.as_user("clerk").declare("births", birth(3))
    early = regional.post(f"/api/v1/births/{current['id']}/delayed-approval", json={})
    assert early.status_code == 409


def test_the_approval_level_comes_from_configuration(api: ApiClient, app: Flask) -> None:
    """With DELAYED_APPROVAL_LEVEL = country, a regional registrar may no longer approve."""
    app.extensions["crvs.settings"] = replace(
        app.extensions["crvs.settings"], delayed_approval_level="country"
    )
    record = api.as_user("clerk").declare("births", DELAYED["births"]())
    url = f"/api/v1/births/{record['id']}"
    refused = api.as_user("registrar.r1").post(f"{url}/delayed-approval", json={})
    assert refused.status_code == 403
    assert "country level" in refused.json["message"]


# -- the pages -----------------------------------------------------------------------------------


def test_registering_on_the_page_asks_for_confirmation(web: Web) -> None:
    """It shows a summary and a "Register" button before registering; the record page's button
    leads there and does not register by itself."""
    record = web.api.as_user("clerk").declare()
    web.as_user("registrar")
    url = f"/births/{record['id']}"
    page = web.text(web.get(url))
    assert f'<a class="button" href="{url}/register">' in page
    confirm = web.text(web.get(f"{url}/register"))
    assert "Register this record?" in confirm
    assert "Amina" in confirm and "Otieno" in confirm
    assert "Declared" in web.text(web.get(url))  # looking at the summary registered nothing
    done = web.post(f"{url}/register", {})
    assert done.status_code == 303
    assert "Registered" in web.text(web.get(url))


def test_the_correction_queue_page_approves_and_rejects(web: Web) -> None:
    """It lists pending corrections with their changes, hides "Approve" from the requester,
    approves as the second registrar and rejects with a reason."""
    rid = registered(web.api)
    for fix in (NAME_FIX, dict(NAME_FIX, changes={"attendant": "doctor"})):
        web.api.as_user("registrar").post(f"/api/v1/births/{rid}/corrections", json=fix)
    web.as_user("registrar")
    own = web.text(web.get("/corrections"))
    assert "You requested this correction" in own
    assert "/approve" not in own
    web.post("/logout")
    web.as_user("registrar.r1")
    queue = web.text(web.get("/corrections"))
    ids = re.findall(r'action="/corrections/([0-9a-f-]+)/approve"', queue)
    assert len(ids) == 2
    assert "spelling at declaration" in queue and "Aminah" in queue
    empty = web.post(f"/corrections/{ids[1]}/reject", {"reason": " "})
    assert empty.status_code == 422
    assert "Give the reason for rejecting" in web.text(empty)
    assert web.post(f"/corrections/{ids[1]}/reject", {"reason": "no card"}).status_code == 303
    assert web.post(f"/corrections/{ids[0]}/approve", {}).status_code == 303
    assert "Birth: Aminah Otieno" in web.text(web.get(f"/births/{rid}"))
    assert "No correction waits for approval." in web.text(web.get("/corrections"))


def test_the_record_page_offers_the_delayed_approval_to_the_right_registrar(web: Web) -> None:
    """It tells everyone a delayed registration awaits approval, shows the approval button to
    a regional registrar only, and the confirmation page refuses to register before it."""
    record = web.api.as_user("clerk").declare("births", DELAYED["births"]())
    url = f"/births/{record['id']}"
    web.as_user("registrar")
    page = web.text(web.get(url))
    assert "needs approval by a registrar of region level" in page
    assert "Approve the delayed registration" not in page
    assert 'action="' + url + '/register"' not in web.text(web.get(f"{url}/register"))
    web.post("/logout")
    web.as_user("registrar.r1")
    assert "Approve the delayed registration" in web.text(web.get(url))
    assert web.post(f"{url}/approve-delayed", {}).status_code == 303
    confirm = web.text(web.get(f"{url}/register"))
    assert "Reason for the delayed registration" in confirm
    done = web.post(f"{url}/register", {"reason": "paper register"})
    assert done.status_code == 303
    assert "Registered" in web.text(web.get(url))
