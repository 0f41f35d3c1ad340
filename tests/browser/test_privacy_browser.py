"""A shared surgery computer, in real Chromium (issue 22, D4), on the fixture rules.

Closing the browser must forget the patient: a browser keeps persistent cookies across a
restart and drops session cookies, so "closing and reopening" is a new context that gets
back only the cookies that had an expiry. "Recommencer / effacer les réponses" on the check
and print pages empties everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from live import serving

from orient.web import create_app

BASE_RULES = Path(__file__).resolve().parents[1] / "fixtures" / "base"

pytestmark = pytest.mark.browser

KEY = "mini"


@pytest.fixture(scope="module")
def fixture_server():
    app = create_app({"SECRET_KEY": "test-privacy", "RULES_DIR": str(BASE_RULES)})  # CSRF on
    with serving(app) as url:
        yield url


def answer_to_check(page, base: str) -> None:
    page.goto(f"{base}/cle/{KEY}/q/age_group")
    for value in ("adulte", "non", "signe-a"):
        page.locator(f"input[name='answer'][value='{value}']").check()
        page.get_by_role("button", name="Continuer").click()
    assert page.url.endswith(f"/cle/{KEY}/departement")
    page.locator("select[name='answer']").select_option("69")
    page.get_by_role("button", name="Continuer").click()
    assert page.url.endswith(f"/cle/{KEY}/verifier")
    body = page.locator("main").inner_text()
    assert "Rhône" in body and "Signe A" in body


def assert_forgotten(page, base: str) -> None:
    page.goto(f"{base}/cle/{KEY}/verifier")
    assert page.url.endswith(f"/cle/{KEY}/q/age_group")  # sent back to the first question
    assert page.locator("input[name='answer']:checked").count() == 0
    page.goto(f"{base}/cle/{KEY}/departement")
    assert page.url.endswith(f"/cle/{KEY}/q/age_group")


def test_closing_the_browser_forgets_the_patient(browser, fixture_server):
    first = browser.new_context()
    page = first.new_page()
    answer_to_check(page, fixture_server)
    state = first.storage_state()
    orient = [c for c in state["cookies"] if c["name"] == "orient"]
    assert orient and orient[0]["expires"] == -1, orient  # a session cookie: no expiry
    first.close()
    # What a browser restores after a restart: persistent cookies only.
    kept = [c for c in state["cookies"] if c["expires"] != -1]
    reopened = browser.new_context(storage_state={"cookies": kept, "origins": []})
    try:
        assert_forgotten(reopened.new_page(), fixture_server)
    finally:
        reopened.close()


@pytest.mark.parametrize("page_name", ["verifier", "imprimer"])
def test_recommencer_on_the_check_and_print_pages(browser, fixture_server, page_name):
    context = browser.new_context()
    try:
        page = context.new_page()
        answer_to_check(page, fixture_server)
        page.goto(f"{fixture_server}/cle/{KEY}/{page_name}")
        button = page.get_by_role("button", name="Recommencer / effacer les réponses")
        assert button.is_visible()
        button.click()
        assert page.url == f"{fixture_server}/"
        assert not [c for c in context.cookies() if c["name"] == "orient"]
        page.goto(f"{fixture_server}/cle/{KEY}/{page_name}")  # the page just left: nothing of the patient
        assert "Rhône" not in page.locator("body").inner_text()
        assert_forgotten(page, fixture_server)
    finally:
        context.close()


def test_the_restart_control_is_not_printed(browser, fixture_server):
    context = browser.new_context()
    try:
        page = context.new_page()
        answer_to_check(page, fixture_server)
        page.goto(f"{fixture_server}/cle/{KEY}/imprimer")
        page.emulate_media(media="print")
        assert not page.get_by_role("button", name="Recommencer / effacer les réponses").is_visible()
    finally:
        context.close()
