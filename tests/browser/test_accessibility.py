"""axe-core (WCAG 2.1 A and AA) on every page a GP meets, in Chromium: zero violations."""

from __future__ import annotations

import re

import pytest
from browser_journey import (
    RULES,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    axe_violations,
    scenario_answers,
    scenario_of_kind,
    submit,
    walk_to_result,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# A key whose scenarios include every kind of outcome, to reuse one journey per page type.
KEY = "raynaud" if "raynaud" in RULES.keys else sorted(RULES.keys)[0]

FIXED_PAGES = {
    "accueil": "/",
    "accueil-filtre-vide": "/?filtre=zzzzzz",
    "accueil-filtre": "/?filtre=peau",
    "aucune-cle": "/aucune-cle",
    "accessibilite": "/accessibilite",
    "a-propos": "/a-propos",
    "introduction-cle": f"/cle/{KEY}",
    "404": "/cette-page-n-existe-pas",
    "404-cle": "/cle/cle-inconnue",
}


def audit_all(page: Page, pages: list[tuple[str, callable]]) -> None:
    """Run axe after each step; report every page's violations together."""
    failures = []
    for label, step in pages:
        step()
        violations = axe_violations(page)
        if violations:
            failures.append(f"{label} ({page.url}) :")
            for v in violations:
                targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])]
                failures.append(f"  - {v['id']} [{v.get('impact')}] {v['help']} -> {targets[:8]}")
    if failures:
        pytest.fail("violations axe WCAG 2.1 A/AA :\n" + "\n".join(failures), pytrace=False)


@pytest.mark.parametrize("path", FIXED_PAGES.values(), ids=FIXED_PAGES.keys())
def test_fixed_page(page, path):
    response = page.goto(path)
    assert response is not None
    if path.startswith("/cette") or "inconnue" in path:
        assert response.status == 404
        expect(page.locator("h1")).to_have_text("Page introuvable")
    else:
        assert response.ok, response.status
    assert_no_axe_violations(page, path)
    assert_no_horizontal_scroll(page, path)


def test_question_pages_with_and_without_error(page):
    page.goto(f"/cle/{KEY}/suite")
    assert_no_axe_violations(page, "question (âge)")
    submit(page)  # nothing chosen
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Erreur"))
    assert_no_axe_violations(page, "question (âge) en erreur")
    # Every other question kind the key asks, with its error state.
    key_id, scenario_id = scenario_of_kind("not-suggestive", KEY)
    answers = scenario_answers(key_id, scenario_id)
    seen_kinds: set[str] = set()
    walk_to_result(page, key_id, answers, until="verifier")
    for question_id in [q for q in answers if q != "age_group"]:
        question = RULES.keys[key_id].question(question_id)
        if question.kind in seen_kinds or question.kind == "multiple":  # a multiple accepts nothing
            continue
        seen_kinds.add(question.kind)
        page.goto(f"/cle/{key_id}/q/{question_id}")
        page.evaluate("() => document.querySelectorAll('input[name=answer]').forEach(i => i.checked = false)")
        submit(page)
        expect(page.locator(".error-summary")).to_be_visible()
        assert_no_axe_violations(page, f"question {question_id} ({question.kind}) en erreur")


def test_departement_check_result_and_print_pages(page):
    key_id, scenario_id = scenario_of_kind("referral", KEY)
    answers = scenario_answers(key_id, scenario_id)
    walk_to_result(page, key_id, answers, until="departement")
    steps = [
        ("département", lambda: None),
        ("département en erreur", lambda: (submit(page), expect(page.locator(".error-summary")).to_be_visible())),
        ("vérification", lambda: walk_to_result(page, key_id, answers, "13", start=None, until="verifier")),
        ("orientation (adresser)", lambda: walk_to_result(page, key_id, answers, "13", start=None)),
        ("version imprimable", lambda: page.goto(f"/cle/{key_id}/imprimer")),
    ]
    audit_all(page, steps)
    assert_no_horizontal_scroll(page, "version imprimable (adresser, 13)")


@pytest.mark.parametrize("kind", ["urgent", "not-suggestive"])
def test_other_result_pages(page, kind):
    key_id, scenario_id = scenario_of_kind(kind, KEY)
    walk_to_result(page, key_id, scenario_answers(key_id, scenario_id), "nsp")
    audit_all(page, [(f"orientation ({kind})", lambda: None),
                     (f"version imprimable ({kind})", lambda: page.goto(f"/cle/{key_id}/imprimer"))])


def test_axe_reports_a_known_violation(page):
    """Guard against a silently green sweep: axe must see an image without text alternative."""
    page.goto("/a-propos")
    page.evaluate("() => { const i = document.createElement('img'); i.src = 'data:,'; "
                  "i.id = 'axe-temoin'; document.querySelector('main').append(i); }")
    violations = axe_violations(page)
    assert any(v["id"] == "image-alt" and any("#axe-temoin" in t for n in v["nodes"] for t in n["target"])
               for v in violations), violations
