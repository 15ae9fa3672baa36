"""Offline capture in headless Chromium: declarations saved without a connection, kept in the
browser's outbox and sent once when the connection returns."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select

from registry.models import Record
from tests.e2e.test_e2e_pages import DESKTOP, Shots, new_page, sign_in
from tests.e2e.test_e2e_pages import fill_birth as fill_pages_birth
from tests.factories import days_ago

WAIT_MS = 15_000
#: A clerk of Dunia (D21, facility F211): what these tests declare stays out of the Amani
#: registrar's queue, which the journey of test_e2e_pages walks through.
CLERK = "clerk.d21"


@pytest.fixture
def shots(artifacts: Path, backend: str) -> Shots:
    return Shots(artifacts, f"{backend}-offline")


@pytest.fixture(scope="module")
def db(live_database: str) -> Iterator[Engine]:
    engine = create_engine(live_database)
    yield engine
    engine.dispose()


def count_records(engine: Engine, status: str | None = None) -> int:
    stmt = select(func.count()).select_from(Record)
    if status:
        stmt = stmt.where(Record.status == status)
    with engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


def eventually(check: Callable[[], bool], what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def ready_offline(page: Any) -> None:
    """Wait until the service worker has cached the forms for this signed-in user."""
    page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=WAIT_MS)


def fill_birth(page: Any, given: str) -> None:
    """A birth unlike those of test_e2e_pages (another mother and day), so that none of ours
    is ever a suspected duplicate of theirs."""
    fill_pages_birth(page, given)
    page.fill("#f-child-family-name", "Wafula" if given else "")
    page.fill("#f-child-date-of-birth", days_ago(9).isoformat())
    page.fill("#f-mother-given-names", "Achieng")
    page.fill("#f-mother-family-name", "Wafula")


def fill_death(page: Any, given: str) -> None:
    page.fill("#f-deceased-given-names", given)
    page.fill("#f-deceased-family-name", "Mwangi")
    page.select_option("#f-deceased-sex", "male")
    page.fill("#f-deceased-age-years", "70")
    page.fill("#f-date-of-death", days_ago(2).isoformat())
    page.select_option("#f-place-type", "home")
    page.fill("#f-place-area-code", "D21")


def save_offline(page: Any) -> None:
    page.click("main form button[type=submit]")
    page.wait_for_selector("#outbox-notice.success", timeout=WAIT_MS)


def items(page: Any) -> dict[str, str]:
    """The outbox page's items: label -> status."""
    page.wait_for_selector("#outbox-items[data-count]", state="attached", timeout=WAIT_MS)
    found = page.eval_on_selector_all(
        "#outbox-items > li",
        "els => els.map(e => [e.querySelector('strong').textContent, e.dataset.status])",
    )
    return {label.split(": ", 1)[1]: status for label, status in found}


def sync_and_wait(page: Any) -> None:
    page.click("#outbox-sync")
    page.wait_for_selector("#outbox-status[data-outcome]", timeout=WAIT_MS)


def test_offline_declarations_are_sent_once(
    browser: Any, live_server: str, db: Engine, shots: Shots
) -> None:
    """It keeps three births and a death declared offline, opens the form again after an
    offline reload, sends them when back online (exactly four records, none twice even when an
    answer is lost), and shows a refused one with its messages until it is fixed and resent."""
    base = live_server
    before = count_records(db)
    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, CLERK)
    ready_offline(page)

    context.set_offline(True)
    page.goto(f"{base}/births/new")
    assert page.is_visible("#outbox-offline-hint")
    for given in ("Imani", "Baraka", "Neema"):
        fill_birth(page, given)
        save_offline(page)
    shots(page, "offline-birth-saved")
    # One the server will refuse: a facility code that does not exist.
    fill_birth(page, "Tumaini")
    page.fill("#f-place-facility-code", "F999")
    save_offline(page)
    page.reload()  # still offline: the form opens from the worker's cache
    assert page.is_visible("#f-child-given-names")
    page.goto(f"{base}/deaths/new")
    fill_death(page, "Juma")
    # Offline, the area picker offers the cached areas of the clerk's own area.
    page.fill("#f-place-area-code", "")
    page.locator("#f-place-area-code").press_sequentially("Du", delay=30)
    page.locator("#f-place-area-code-list option").first.wait_for(state="attached")
    offered = page.eval_on_selector_all(
        "#f-place-area-code-list option", "os => os.map(o => o.value)"
    )
    assert offered == ["D21"]
    page.fill("#f-place-area-code", "D21")
    save_offline(page)
    page.goto(f"{base}/outbox")
    assert set(items(page).values()) == {"pending"}
    assert len(items(page)) == 5
    assert count_records(db) == before
    # What the device keeps identifies nobody without the owner's key.
    kept = page.evaluate(
        """async (user) => {
            const db = await new Promise((ok, ko) => {
                const r = indexedDB.open("crvs-outbox-" + user);
                r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error);
            });
            const rows = await new Promise((ok) => {
                const r = db.transaction("items").objectStore("items").getAll();
                r.onsuccess = () => ok(r.result);
            });
            db.close();
            const text = new TextDecoder("latin1");
            return rows.map(row => JSON.stringify(row) + text.decode(row.sealed));
        }""",
        page.get_attribute("body", "data-outbox-user"),
    )
    assert len(kept) == 5
    assert not [row for row in kept if "Wafula" in row or "Achieng" in row or "F999" in row]

    # The answer to the first birth is lost on the way back: the server stored it.
    lost: list[str] = []

    def lose_answer(route: Any) -> None:
        if lost:
            route.continue_()
            return
        response = route.fetch()
        lost.append(response.headers.get("location", ""))
        route.abort("connectionreset")

    context.route(re.compile(r".*/api/v1/births$"), lose_answer)
    context.set_offline(False)
    page.wait_for_selector("#outbox-status[data-outcome]", timeout=WAIT_MS)
    assert lost, "the lost answer was not simulated"
    assert count_records(db) == before + 1
    context.unroute(re.compile(r".*/api/v1/births$"))
    sync_and_wait(page)
    eventually(lambda: set(items(page).values()) == {"sent", "refused"}, "the outbox to drain")
    assert count_records(db) == before + 4
    statuses = items(page)
    assert statuses["Tumaini Wafula"] == "refused"
    assert [s for s in statuses.values() if s == "sent"] == ["sent"] * 4
    refused = page.locator("li[data-status=refused]")
    assert "Unknown facility code." in refused.inner_text()
    shots(page, "outbox-sent-and-refused")

    # Replaying the sync creates nothing more.
    sync_and_wait(page)
    assert count_records(db) == before + 4

    # Each sent item links to its record, which shows both times.
    page.click("li[data-status=sent] a.record-link >> nth=0")
    page.wait_for_url(re.compile(r".*/(births|deaths)/[0-9a-f-]{36}$"))
    assert "declared offline at" in page.inner_text("#declared-offline")
    assert "received" in page.inner_text("#declared-offline")
    shots(page, "record-declared-offline")

    # The refused one is fixed in the form and sent again.
    page.goto(f"{base}/outbox")
    page.click("li[data-status=refused] a.fix")
    page.wait_for_selector("#outbox-errors")
    assert page.input_value("#f-child-given-names") == "Tumaini"
    assert "Unknown facility code." in page.inner_text("#outbox-errors")
    shots(page, "outbox-fix-refused")
    page.fill("#f-place-facility-code", "F211")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/outbox")
    eventually(lambda: items(page).get("Tumaini Wafula") == "sent", "the fixed item to be sent")
    assert count_records(db) == before + 5
    assert problems == []
    context.close()


def test_an_ended_session_keeps_the_outbox_for_its_owner(
    browser: Any, live_server: str, db: Engine, shots: Shots
) -> None:
    """It keeps items while the session has ended, never lists or sends them for another user
    of the same browser, asks before signing out with unsent items, and sends them once the
    owner signs in again."""
    base = live_server
    before = count_records(db)
    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, CLERK)
    clerk_id = page.get_attribute("body", "data-outbox-user")
    ready_offline(page)
    context.set_offline(True)
    page.goto(f"{base}/births/new")
    fill_birth(page, "Zawadi")
    save_offline(page)

    context.clear_cookies()  # the session ends while the device is offline
    context.set_offline(False)
    page.wait_for_selector("#outbox-notice:has-text('sign in again')", timeout=WAIT_MS)
    assert count_records(db) == before

    # Another user of the same browser sees an empty outbox, and sending sends nothing.
    sign_in(page, base, "registrar")
    registrar_id = page.get_attribute("body", "data-outbox-user")
    assert registrar_id and registrar_id != clerk_id
    ready_offline(page)  # the cached forms are now the registrar's, never the clerk's
    context.set_offline(True)
    page.goto(f"{base}/births/new")
    assert page.get_attribute("body", "data-outbox-user") == registrar_id
    context.set_offline(False)
    page.goto(f"{base}/outbox")
    assert items(page) == {}
    sync_and_wait(page)
    assert count_records(db) == before
    page.click("form.who button[type=submit]")  # nothing unsent: no question asked
    page.wait_for_url(re.compile(r".*/login"))

    # The owner signs in again: the item is sent.
    sign_in(page, base, CLERK)
    eventually(lambda: count_records(db) == before + 1, "the kept item to be sent")
    page.goto(f"{base}/outbox")  # may cut the answer short: the page's own sync replays it
    eventually(lambda: items(page) == {"Zawadi Wafula": "sent"}, "the item to show as sent")
    assert count_records(db) == before + 1
    ready_offline(page)  # the registrar's sign-out dropped the cached forms: cached again

    # Signing out with an unsent item asks first and keeps it.
    page.route("**/outbox/session", lambda route: route.abort())
    context.set_offline(True)
    page.goto(f"{base}/births/new")
    fill_birth(page, "Pendo")
    save_offline(page)
    context.set_offline(False)
    page.click("form.who button[type=submit]")
    page.wait_for_selector("dialog#outbox-leave[open]")
    shots(page, "sign-out-with-unsent")
    page.click("#outbox-stay")
    assert "/login" not in page.url
    page.click("form.who button[type=submit]")
    page.click("#outbox-leave-anyway")
    page.wait_for_url(re.compile(r".*/login"))
    page.unroute("**/outbox/session")
    sign_in(page, base, CLERK)
    eventually(lambda: count_records(db) == before + 2, "the item kept at sign-out to be sent")
    ready_offline(page)  # signing out dropped the cached pages; signing in caches them again

    # The same child declared twice offline: the second is sent and shown as a suspected
    # duplicate, with the candidate masked. And a facility's notification, without names.
    context.set_offline(True)
    for _ in range(2):
        page.goto(f"{base}/births/new")
        fill_birth(page, "Wanjiku")
        page.fill("#f-child-family-name", "Kamau")
        page.fill("#f-mother-given-names", "Njeri")
        page.fill("#f-mother-family-name", "Kamau")
        save_offline(page)
    page.goto(f"{base}/births/new")
    fill_birth(page, "")
    page.check("#f-notification")
    save_offline(page)
    notified = count_records(db, status="notified")
    page.goto(f"{base}/outbox")
    context.set_offline(False)
    eventually(lambda: count_records(db) == before + 5, "the three items to be sent")
    assert count_records(db, status="notified") == notified + 1
    page.goto(f"{base}/outbox")
    eventually(lambda: items(page).get("Wanjiku Kamau") is not None, "the items")
    flagged_items = page.locator("#outbox-items > li:has-text('Wanjiku')")
    assert flagged_items.count() == 2
    eventually(
        lambda: (
            sorted(flagged_items.evaluate_all("els => els.map(e => e.dataset.status)"))
            == ["duplicate", "sent"]
        ),
        "the second to show as a suspected duplicate",
    )
    flagged = page.inner_text("li[data-status=duplicate]:has-text('Wanjiku')")
    assert "W••• K•••" in flagged
    assert flagged.count("Wanjiku") == 1  # the item's own label; the candidate is masked
    shots(page, "outbox-duplicate")
    assert problems == []
    context.close()
