"""An administrator creates an account and resets its password; the user must choose a new
password at the next sign-in before any other page opens (headless Chromium)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_e2e_pages import DESKTOP, Shots, new_page, sign_in

FIRST_PASSWORD = "first-long-password-7"
CHOSEN_PASSWORD = "chosen-by-the-clerk-42"


@pytest.fixture
def shots(artifacts: Path, backend: str) -> Shots:
    return Shots(artifacts, f"{backend}-users")


def sign_in_with(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_an_admin_creates_a_user_and_resets_the_password(
    browser: Any, live_server: str, shots: Shots
) -> None:
    base = live_server
    context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "admin")
    page.click("nav >> text=Users")
    page.wait_for_url(f"{base}/admin/users")
    page.click("text=Create a user")
    page.fill("#f-username", "e2e.clerk")
    page.fill("#f-full_name", "Esther Clerk")
    page.select_option("#f-role", "clerk")
    page.fill("#f-area", "D11")
    page.fill("#f-facility", "F111")
    page.fill("#f-password", FIRST_PASSWORD)
    page.click("main form button:has-text('Create the user')")
    page.wait_for_url(f"{base}/admin/users/e2e.clerk")
    assert "The account e2e.clerk is created." in page.inner_text("main")
    shots(page, "admin-user-created")
    context.close()

    # The new clerk signs in with the first password and is at work.
    context, clerk, clerk_problems = new_page(browser, DESKTOP)
    sign_in_with(clerk, base, "e2e.clerk", FIRST_PASSWORD)
    assert clerk.url == f"{base}/"

    # The administrator resets the password: a temporary one is shown once.
    admin_context, page, problems = new_page(browser, DESKTOP)
    sign_in(page, base, "admin")
    page.goto(f"{base}/admin/users?q=e2e")
    page.click("text=e2e.clerk")
    page.click("main form button:has-text('Reset the password')")
    temporary = page.inner_text("#temporary-password").strip()
    assert len(temporary) >= 16
    shots(page, "admin-password-reset")
    admin_context.close()

    # The clerk's open session ended at once.
    clerk.goto(f"{base}/search")
    assert "/login" in clerk.url
    context.close()

    # Signing in with the temporary password leads to the change-password form only.
    context, clerk, clerk_problems = new_page(browser, DESKTOP)
    sign_in_with(clerk, base, "e2e.clerk", temporary)
    clerk.wait_for_url(f"{base}/password")
    assert "Your password was reset" in clerk.inner_text("main")
    clerk.goto(f"{base}/births/new")
    assert clerk.url == f"{base}/password"
    clerk.fill("#f-current_password", temporary)
    clerk.fill("#f-password", CHOSEN_PASSWORD)
    clerk.fill("#f-confirm", CHOSEN_PASSWORD)
    shots(clerk, "clerk-forced-change")
    clerk.click("main form button:has-text('Change the password')")
    clerk.wait_for_url(f"{base}/")
    assert "Your password is changed." in clerk.inner_text("main")
    clerk.goto(f"{base}/births/new")
    assert clerk.url == f"{base}/births/new"
    context.close()

    # The chosen password opens the pages; the temporary one no longer does.
    context, clerk, clerk_problems = new_page(browser, DESKTOP)
    sign_in_with(clerk, base, "e2e.clerk", temporary)
    assert "/login" in clerk.url and re.search("Wrong username or password", clerk.content())
    sign_in_with(clerk, base, "e2e.clerk", CHOSEN_PASSWORD)
    assert clerk.url == f"{base}/"
    assert not problems and not clerk_problems, (problems, clerk_problems)
    context.close()
