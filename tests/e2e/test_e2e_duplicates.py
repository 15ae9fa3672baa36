"""Journey 1 of issue 12 in headless Chromium: one child, one registration.

A clerk declares Achieng Joy Nyambura, then Achieng Joi (same mother, date of birth, facility):
the form warns before saving and the clerk answers "a different child". The registrar reviews
the pair field by field, with the evidence in words, and decides "duplicate". The clerk's
"Fix and resubmit" of the rejected record, unchanged, is refused: it never becomes registrable
without a decision, and the register never gives it a second number.
"""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.test_e2e_pages import DESKTOP, PHONE, Shots, new_page, shots, sign_in
from tests.factories import days_ago

__all__ = ["shots"]  # the fixture, shared with the pages journey

RECORD_URL = re.compile(r".*/births/[0-9a-f-]{36}$")


def fill(page: Any, given: str, family: str = "Nyambura") -> None:
    born = days_ago(3).isoformat()
    page.fill("#f-child-given-names", given)
    page.fill("#f-child-family-name", family)
    page.select_option("#f-child-sex", "female")
    page.select_option("#f-child-type-of-birth", "single")
    page.fill("#f-child-date-of-birth", born)
    page.select_option("#f-place-type", "health_facility")
    page.fill("#f-place-facility-code", "F111")
    page.fill("#f-mother-given-names", "Wanjiru")
    page.fill("#f-mother-family-name", "Nyambura")
    page.fill("#f-mother-date-of-birth", "1996-02-20")


def sign_out(page: Any) -> None:
    page.click("form.who button[type=submit]")
    page.wait_for_url(re.compile(r".*/login$"))


def test_a_duplicate_decision_binds_through_resubmission(
    browser: Any, live_server: str, shots: Shots
) -> None:
    """The form warns before saving; a decided duplicate stays rejected when resubmitted
    unchanged, and is never registered."""
    base = live_server
    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "clerk")

    # The first declaration has nothing like it: it is saved at once.
    page.goto(f"{base}/births/new")
    fill(page, "Achieng Joy")
    page.click("main form button[type=submit] >> nth=-1")
    page.wait_for_url(RECORD_URL)
    first_url = page.url

    # The second is held back: the form shows the existing record and asks.
    page.goto(f"{base}/births/new")
    fill(page, "Achieng Joi")
    page.click("main form button[type=submit] >> nth=-1")
    warning = page.locator("#possible-duplicates")
    warning.wait_for()
    assert page.evaluate("document.activeElement.id") == "possible-duplicates"
    assert "Achieng Joy Nyambura" in warning.inner_text()
    assert page.input_value("#f-child-given-names") == "Achieng Joi"  # nothing typed is lost
    shots(page, "clerk-warned-before-saving")
    # Without an answer the script stops the save and says why (the server would too).
    page.click("#save-with-answer")
    assert warning.locator("p.error").inner_text() == "Choose one of the answers."
    assert "/births/new" in page.url
    page.check("#dup-different")
    page.click("#save-with-answer")
    page.wait_for_url(RECORD_URL)
    second_url = page.url
    assert second_url != first_url
    assert "The declarant said: a different child." in page.inner_text("#declarant-said")
    shots(page, "clerk-saved-as-a-different-child")
    sign_out(page)

    # The registrar reviews the pair from the work queue and decides.
    sign_in(page, base, "registrar")
    held = page.locator("#queue-declared li", has=page.locator(".duplicate-pending"))
    assert held.count() == 1 and "Achieng Joi" in held.inner_text()
    page.click("#queue-duplicates a")
    page.wait_for_url(re.compile(r".*/duplicates/[0-9a-f-]{36}$"))
    table = page.inner_text("table.compare")
    assert "Achieng Joi" in table and "Achieng Joy" in table  # as written
    assert "Amani District Hospital (F111)" in table and "1996-02-20" in table
    sentences = page.locator("p.evidence").all_inner_texts()
    assert "Family name: the same (Nyambura / Nyambura) — strong evidence for the same child" in (
        sentences
    )
    assert any(s.startswith("Mother: the same woman") for s in sentences)
    assert "The declarant said: a different child." in page.inner_text("#declarant-said")
    assert page.locator(".buttons button").first.get_attribute("value") == "duplicate"
    shots(page, "registrar-review")
    page.fill("#d-note", "Same mother, date and facility; one child.")
    page.click("button[value=duplicate]")
    page.wait_for_url(first_url)
    sign_out(page)

    # The clerk opens the rejected record and resubmits it unchanged: refused, still rejected.
    sign_in(page, base, "clerk")
    page.click("#queue-rejected a")
    page.wait_for_url(second_url)
    assert "Duplicate of" in page.inner_text("dl.summary")
    page.click("text=Fix and resubmit")
    page.wait_for_url(re.compile(r".*/edit$"))
    page.click("main form button[type=submit] >> nth=-1")
    page.wait_for_load_state()
    assert "decided to be a duplicate" in page.inner_text("main")
    shots(page, "clerk-resubmission-refused")
    page.goto(second_url)
    summary = page.inner_text("dl.summary")
    assert "Rejected" in summary and "Registration number" not in summary
    sign_out(page)

    # The registrar cannot register it: the page offers no registration and the register
    # holds no number for it.
    sign_in(page, base, "registrar")
    page.goto(second_url)
    assert page.locator(f"form[action='{second_url.removeprefix(base)}/register']").count() == 0
    page.goto(f"{base}/search?kind=births&family_name=Nyambura&status=registered")
    assert "Achieng" not in page.inner_text("main")
    assert problems == []
    context.close()


def test_the_warning_speaks_french_on_a_phone(browser: Any, live_server: str, shots: Shots) -> None:
    """The warning and its evidence sentences are in French and fit a 360 px screen."""
    base = live_server
    context, page, problems = new_page(browser, PHONE)
    sign_in(page, base, "clerk")
    page.click("header button[lang=fr]")
    for _ in range(2):  # the second declaration of the same child is warned about
        page.goto(f"{base}/births/new")
        fill(page, "Nekesa", "Adhiambo")
        page.click("main form button[type=submit] >> nth=-1")
        page.wait_for_load_state()
    warning = page.locator("#possible-duplicates")
    text = warning.inner_text()
    assert "Enregistrements existants possibles" in text
    assert "Nom de famille : " in text
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the warning is {width}px wide"
    shots(page, "phone-warning-fr")
    assert problems == []
    context.close()
