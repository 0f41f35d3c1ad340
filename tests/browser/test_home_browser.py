"""The home page's sign filter as a GP uses it on a phone: typing narrows the keys at once (the
filter reads each sign's title, summary and group), and the page stays light with every key."""

from __future__ import annotations

import pytest
from browser_journey import RULES
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_typing_filters_the_signs_by_title_summary_and_group(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    signs = len(RULES.keys) - 1  # the red-flag screener has its own door, not a sign
    items = page.locator("#key-groups [data-filter-item]")
    assert items.count() == signs
    page.fill("#filtre", "fracture")
    shown = page.locator("#key-groups [data-filter-item]:visible")
    assert 1 <= shown.count() < signs
    expect(shown.first).to_contain_text("ractures")
    expect(page.locator("[role=status]").first).to_contain_text("affiché")
    # A word found only in a group heading ("Peau") keeps that group's signs.
    page.fill("#filtre", "peau")
    expect(page.locator(".key-group:visible h3").first).to_have_text("Peau")
    page.fill("#filtre", "")
    assert page.locator("#key-groups [data-filter-item]:visible").count() == signs
