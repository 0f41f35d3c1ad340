"""The print view fits on one or two A4 pages (answers, orientation, contacts, letter)."""

from __future__ import annotations

import re

import pytest
from browser_journey import pick_scenarios, scenario_answers, walk_to_result

pytestmark = pytest.mark.browser

REFERRALS = [(k, s) for k, s, kind in pick_scenarios() if kind == "referral" and s]


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


@pytest.mark.parametrize("key_id, scenario_id", REFERRALS, ids=[k for k, _ in REFERRALS])
def test_print_view_fits_two_a4_pages(page, key_id, scenario_id):
    walk_to_result(page, key_id, scenario_answers(key_id, scenario_id), departement="13")
    page.goto(f"/cle/{key_id}/imprimer")
    page.emulate_media(media="print")
    pages = pdf_pages(page.pdf(format="A4"))
    assert 1 <= pages <= 2, f"{key_id} ({scenario_id}) : {pages} pages A4"
