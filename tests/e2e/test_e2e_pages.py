"""A birth from declaration to certificate and its verification, in headless Chromium."""

from __future__ import annotations

import re
import subprocess
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
    page.select_option("#f-child-type-of-birth", "single")
    page.select_option("#f-place-type", "health_facility")
    page.select_option("#f-attendant", "nurse_midwife")
    page.fill("#f-mother-given-names", "Grace")
    page.fill("#f-mother-family-name", "Otieno")
    page.fill("#f-mother-age-years", "29")


def qr_payload(pdf: Path) -> tuple[str, Path]:
    """The QR payload of a downloaded certificate, and the PNG it was read from."""
    import zxingcpp
    from PIL import Image

    target = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", pdf, target], check=True)
    png = target.with_suffix(".png")
    with Image.open(png) as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    payloads = [r.text for r in found if r.text.startswith("CRVS1:")]
    assert payloads, "no certificate QR code in the PDF"
    return payloads[0], png


def declare_birth(page: Any, base: str, given: str, answer: str | None = None) -> str:
    """Declare a birth; ``answer`` is the radio to pick when the form warns of a possible
    existing record (``different``, ``unsure``)."""
    page.goto(f"{base}/births/new")
    fill_birth(page, given)
    page.fill("#f-place-facility-code", "F111")
    page.click("main form button[type=submit]")
    if answer is not None:
        page.locator("#possible-duplicates").wait_for()
        page.check(f"#dup-{answer}")
        page.click("#save-with-answer")
    page.wait_for_url(re.compile(r".*/births/[0-9a-f-]{36}$"))
    return str(page.url)


def test_a_birth_from_declaration_to_certificate(
    browser: Any, live_server: str, shots: Shots, artifacts: Path
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
    # The same child declared a second time: the form warns first; saved as "cannot tell", it
    # is a suspected duplicate.
    second_url = declare_birth(page, base, "Amina", answer="unsure")
    assert page.is_visible("#open-duplicates")
    shots(page, "clerk-record-suspected-duplicate")
    assert not problems, problems
    context.close()

    # A registrar sees both in the queue and resolves the suspected duplicate.
    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "registrar")
    record_path = record_url.removeprefix(base)
    assert page.is_visible(f"#queue-declared a[href='{record_path}']")
    shots(page, "registrar-queue")
    page.click("#queue-duplicates a")
    page.wait_for_url(re.compile(r".*/duplicates/[0-9a-f-]{36}$"))
    assert "same" in page.inner_text("table.compare")
    shots(page, "registrar-duplicate-review")
    page.fill("#d-note", "Declared twice at the hospital; same mother and birth date")
    page.click("button[value=duplicate]")
    page.wait_for_url(record_url)
    assert "the newer declaration is rejected" in page.inner_text("main")
    page.goto(second_url)
    assert "Rejected" in page.inner_text(".summary")
    page.goto(record_url)
    # It registers the first, corrects the name, prints a certificate and checks its QR code.
    page.click("text=Register this record…")
    page.wait_for_url(f"{record_url}/register")
    assert "Register this record?" in page.inner_text("h1")  # a summary first
    assert "Amina" in page.inner_text("main")
    shots(page, "registrar-register-confirm")
    page.click("main form button:has-text('Register')")
    page.wait_for_url(record_url)
    assert re.search(r"Registered as O11-B\d{4}-\d{6}-[0-9A-Z]\.", page.inner_text("main"))
    shots(page, "registrar-record-registered")
    # Registrar A requests the correction; registrar B approves it (four eyes).
    page.click("text=Correct this record")
    page.fill("#f-child-given-names", "Aminah")
    page.fill("#f-reason", "Spelling mistake at declaration")
    page.fill("#f-evidence", "Mother's national ID card")
    page.fill("#f-requested_by", "Grace Otieno (mother)")
    shots(page, "registrar-correction-form")
    page.click("text=Save the correction")
    page.wait_for_url(record_url)
    assert page.inner_text("h1") == "Birth: Amina Otieno"  # not before the approval
    assert "awaits a second registrar's approval" in page.inner_text("#pending-corrections")
    page.goto(f"{base}/corrections")
    assert "You requested this correction" in page.inner_text("main")
    assert page.locator("text=Approve the correction").count() == 0
    assert not problems, problems
    context.close()
    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "registrar.r1")
    page.click("nav >> text=Corrections")
    assert "Spelling mistake at declaration" in page.inner_text("main")
    shots(page, "second-registrar-correction-queue")
    page.click("text=Approve the correction")
    page.wait_for_url(record_url)
    assert page.inner_text("h1") == "Birth: Aminah Otieno"
    history = page.inner_text("#h-history + ol")
    assert "Spelling mistake at declaration" in history
    assert "Amina" in history
    page.fill("#c-name", "Grace Otieno")
    page.fill("#c-relationship", "mother")
    page.fill("#c-id-document", "National ID 12345678")
    shots(page, "registrar-certificate-form")
    with page.expect_download() as download_info:
        page.click("text=Issue and download the certificate")
    download = download_info.value
    serial = download.suggested_filename.removesuffix(".pdf")
    assert re.fullmatch(r"[0-9A-Z-]+", serial), serial
    pdf = artifacts / f"{shots.backend}-certificate.pdf"
    download.save_as(pdf)
    payload, png = qr_payload(pdf)
    page.reload()
    ledger = page.inner_text("#h-certificates ~ .table-wrap")
    assert serial in ledger and "First certificate" in ledger
    shots(page, "registrar-record-certificate")
    assert not problems, problems
    context.close()

    # Anyone checks the certificate on /verify: the pasted payload, then the scanned QR code.
    context, page, problems = new_page(browser, PHONE)
    page.goto(f"{base}/login")
    page.click("text=Check whether a certificate is genuine")
    page.wait_for_url(f"{base}/verify")
    page.fill("#v-payload", payload)
    page.click("text=Check the text")
    page.wait_for_load_state()
    result = page.inner_text("#result")
    assert "Valid: this certificate is genuine" in result
    assert "Aminah Otieno" in result and serial in result
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shots(page, "verify-pasted")
    page.set_input_files("#v-image", str(png))
    page.click("text=Check the image")
    page.wait_for_load_state()
    assert "Valid: this certificate is genuine" in page.inner_text("#result")
    shots(page, "verify-uploaded")
    assert not problems, problems
    context.close()

    # A statistician lands on the statistics page, with charts and no names.
    context, page, problems = new_page(browser, DESKTOP)
    weight = []
    page.on("response", lambda r: weight.append(len(r.body())) if r.ok else None)
    sign_in(page, base, "statistician")
    assert page.url.startswith(f"{base}/statistics")
    assert page.locator("figure.chart svg").count() == 6
    assert "Amani District" in page.inner_text("#coverage-births")
    assert "Aminah" not in page.content()
    shots(page, "statistician-statistics")
    response = page.goto(record_url)
    assert response.status == 403
    assert "Aminah" not in page.content()
    assert not problems, problems
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


def test_a_delayed_registration_is_approved_at_region_level_then_registered(
    browser: Any, live_server: str, shots: Shots
) -> None:
    """A birth declared 400 days late waits for a regional registrar's approval; the district
    registrar then registers it with the reason, after the confirmation page."""
    base = live_server
    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "clerk")
    page.goto(f"{base}/births/new")
    fill_birth(page, "Baraka")
    page.fill("#f-child-date-of-birth", days_ago(400).isoformat())
    page.fill("#f-place-facility-code", "F111")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/births/[0-9a-f-]{36}$"))
    record_url = page.url
    context.close()

    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "registrar")
    page.goto(record_url)
    assert "needs approval by a registrar of region level" in page.inner_text("#delayed-approval")
    assert page.locator("text=Approve the delayed registration").count() == 0
    page.goto(f"{record_url}/register")
    assert "needs approval" in page.inner_text("#needs-approval")
    assert page.locator("main form button:has-text('Register')").count() == 0
    context.close()

    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "registrar.r1")
    page.goto(record_url)
    page.click("text=Approve the delayed registration")
    page.wait_for_url(record_url)
    assert "may now be registered" in page.inner_text("main")
    shots(page, "regional-registrar-delayed-approved")
    context.close()

    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "registrar")
    page.goto(record_url)
    page.click("text=Register this record…")
    page.wait_for_url(f"{record_url}/register")
    page.fill("#register-reason", "Found in the paper register of 2025")
    page.click("main form button:has-text('Register')")
    page.wait_for_url(record_url)
    assert re.search(r"Registered as O11-B\d{4}-\d{6}-[0-9A-Z]\.", page.inner_text("main"))
    assert not problems, problems
    context.close()
