"""A birth from declaration to correction, in headless Chromium against the served app."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD, days_ago

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
PAGE_BUDGET = 100_000  # bytes: a page with its assets, on a slow connection


class Shots:
    def __init__(self, folder: Path, backend: str) -> None:
        self.folder = folder
        self.backend = backend
        self.count = 0

    def __call__(self, page: Any, name: str) -> None:
        self.count += 1
        path = self.folder / f"{self.backend}-{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)


@pytest.fixture
def shots(artifacts: Path, backend: str) -> Shots:
    return Shots(artifacts, backend)


def new_page(browser: Any, viewport: dict[str, int]) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=viewport, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    # Script errors and CSP violations; a 4xx answer the test expects is not a problem.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    return context, page, problems


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()


def fill_birth(page: Any, given: str) -> None:
    page.fill("#f-child-given-names", given)
    page.fill("#f-child-family-name", "Otieno")
    page.select_option("#f-child-sex", "female")
    page.fill("#f-child-date-of-birth", days_ago(3).isoformat())
    page.select_option("#f-place-type", "health_facility")
    page.select_option("#f-attendant", "nurse_midwife")
    page.fill("#f-mother-given-names", "Grace")
    page.fill("#f-mother-family-name", "Otieno")
    page.fill("#f-mother-age-years", "29")


def test_a_birth_from_declaration_to_correction(
    browser: Any, live_server: str, shots: Shots
) -> None:
    base = live_server
    # A clerk declares a birth, picking the facility with the search-as-you-type picker.
    context, page, problems = new_page(browser, DESKTOP)
    page.goto(f"{base}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    shots(page, "login")
    sign_in(page, base, "clerk")
    shots(page, "clerk-queue")
    weight: list[int] = []
    page.on("response", lambda r: weight.append(len(r.body())) if r.ok else None)
    page.click("nav >> text=Declare a birth")
    page.wait_for_load_state("networkidle")
    assert sum(weight) < PAGE_BUDGET, f"the declaration page weighs {sum(weight)} bytes"
    fill_birth(page, "Amina")
    assert page.input_value("#f-place-facility-code") == "F111"  # the clerk's own facility
    page.fill("#f-place-facility-code", "")
    page.locator("#f-place-facility-code").press_sequentially("Amani", delay=30)
    page.locator("#f-place-facility-code-list option").first.wait_for(state="attached")
    offered = page.eval_on_selector_all(
        "#f-place-facility-code-list option", "options => options.map(o => o.value)"
    )
    assert "F111" in offered
    page.fill("#f-place-facility-code", "F111")
    shots(page, "clerk-declare-filled")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/births/[0-9a-f-]{36}$"))
    record_url = page.url
    assert page.inner_text("h1") == "Birth: Amina Otieno"
    shots(page, "clerk-record-declared")
    assert not problems, problems
    context.close()

    # A registrar of the district finds it in the queue, registers it and corrects the name.
    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "registrar")
    record_path = record_url.removeprefix(base)
    page.click(f"#queue-declared a[href='{record_path}']")
    page.wait_for_url(record_url)
    shots(page, "registrar-record-declared")
    page.click("text=Register this record")
    page.wait_for_load_state()
    assert re.search(r"Registered as O11-B\d{4}-\d{6}-[0-9A-Z]\.", page.inner_text("main"))
    shots(page, "registrar-record-registered")
    page.click("text=Correct this record")
    page.fill("#f-child-given-names", "Aminah")
    page.fill("#f-reason", "Spelling mistake at declaration")
    page.fill("#f-evidence", "Mother's national ID card")
    page.fill("#f-requested_by", "Grace Otieno (mother)")
    shots(page, "registrar-correction-form")
    page.click("text=Save the correction")
    page.wait_for_url(record_url)
    assert page.inner_text("h1") == "Birth: Aminah Otieno"
    history = page.inner_text("#h-history + ol")
    assert "Spelling mistake at declaration" in history
    assert "Amina" in history
    shots(page, "registrar-record-corrected")
    assert not problems, problems
    context.close()

    # A statistician signs in but cannot open records.
    context, page, _ = new_page(browser, DESKTOP)
    sign_in(page, base, "statistician")
    shots(page, "statistician-home")
    response = page.goto(record_url)
    assert response.status == 403
    assert "Aminah" not in page.content()
    shots(page, "statistician-record-403")
    context.close()

    # A registrar of another district gets the 403 page.
    context, page, _ = new_page(browser, DESKTOP)
    sign_in(page, base, "registrar.d21")
    response = page.goto(record_url)
    assert response.status == 403
    assert page.inner_text("h1") == "Not allowed"
    assert "Aminah" not in page.content()
    shots(page, "other-district-403")
    context.close()


def test_pages_fit_a_phone_and_speak_french(browser: Any, live_server: str, shots: Shots) -> None:
    base = live_server
    context, page, problems = new_page(browser, PHONE)
    sign_in(page, base, "clerk")
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)
    shots(page, "phone-queue")
    page.goto(f"{base}/births/new")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.is_visible("#f-child-sex-error")
    assert page.evaluate(fits)
    shots(page, "phone-declare-errors")
    fill_birth(page, "Zawadi")
    page.fill("#f-place-facility-code", "F111")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/births/[0-9a-f-]{36}$"))
    assert page.evaluate(fits)
    shots(page, "phone-record")
    page.click("header button[lang=fr]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Naissance : Zawadi Otieno" or "Zawadi" in page.inner_text("h1")
    assert page.get_attribute("html", "lang") == "fr"
    shots(page, "phone-record-fr")
    page.goto(f"{base}/search?kind=births&family_name=otieno")
    assert "trouvé" in page.inner_text("main")
    assert page.evaluate(fits)
    shots(page, "phone-search-fr")
    assert not problems, problems
    context.close()
