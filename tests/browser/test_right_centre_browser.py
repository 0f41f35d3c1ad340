"""The right centre in a real browser (issue #17): a child with fractures in the Rhône is
proposed a site of a constitutional bone disease network first — not the fibrous dysplasia
centre of Lyon, which sits in the patient's own département — and the letter is addressed to it."""

from __future__ import annotations

import re

import pytest
from browser_journey import RULES, assert_no_axe_violations, scenario_answers, walk_to_result
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

KEY = "fractures-enfant"
FITTING = ("oscar-moc", "oscar-cap")  # constitutional bone diseases; calcium and phosphate


def test_fracture_path_in_the_rhone_proposes_a_bone_disease_site_first_and_the_letter_is_addressed_to_it(page):
    scenario = next(s for s in RULES.scenarios[KEY] if RULES.keys[KEY].outcome(s.expect).networks != "any"
                    and RULES.keys[KEY].outcome(s.expect).action != "emergency")
    outcome = RULES.keys[KEY].outcome(scenario.expect)
    assert set(outcome.networks) <= set(FITTING)
    walk_to_result(page, KEY, scenario_answers(KEY, scenario.id), departement="69")
    cards = page.locator("section[aria-labelledby=centres] ol.centres:not(.centres-other) > li")
    expect(cards.first).to_be_visible()
    first = cards.first.inner_text()
    names = [RULES.networks[n].label for n in outcome.networks]
    assert any(name in first for name in names), first
    assert "dysplasie fibreuse" not in first.lower()
    # The fibrous dysplasia site of Lyon is still shown, apart, as another network's site.
    others = page.locator(".referral-others")
    expect(others).to_contain_text("Autres sites de la filière")
    expect(others).to_contain_text("dysplasie fibreuse")
    assert_no_axe_violations(page, "résultat fractures (Rhône)")

    hospital = first.splitlines()[0].split(" — ")[0].strip()
    page.goto(f"/cle/{KEY}/imprimer")
    letter = page.locator(".letter")
    expect(letter).to_contain_text(re.compile(r"À l'attention de\s*:\s*" + re.escape(hospital)))
    assert "dysplasie fibreuse" not in letter.inner_text().lower()
    assert_no_axe_violations(page, "impression fractures (Rhône)")
