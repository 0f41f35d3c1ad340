"""The print view: the orientation (answers, what to do, contacts, why and sources) on one or two A4
pages, then the referral letter on a page of its own (issue #21), so that it can be handed over alone."""

from __future__ import annotations

import io
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
    from pypdf import PdfReader

    texts = [p.extract_text() or "" for p in PdfReader(io.BytesIO(page.pdf(format="A4"))).pages]
    letter = [i for i, t in enumerate(texts) if t.lstrip().startswith(("Courrier d'adressage", "Courrier d’adressage"))]
    assert len(letter) == 1, f"{key_id} ({scenario_id}) : le courrier ne commence pas une page"
    # The red-flag screener cites a source for every filière it can reach (about 40): its "why"
    # takes a third page. Every sign-based key keeps its orientation on two.
    most = 3 if key_id == "quand-penser-maladie-rare" else 2
    assert 1 <= letter[0] <= most, f"{key_id} ({scenario_id}) : orientation sur {letter[0]} pages A4"
    assert len(texts) - letter[0] == 1, f"{key_id} ({scenario_id}) : courrier sur {len(texts) - letter[0]} pages"
