"""Safe under uncertainty, in a real browser: "je ne sais pas" shows the "à vérifier" block on
the result, the print view and the letter; an emergency shows its route and no centre list;
the pages stay free of axe violations."""

from __future__ import annotations

import re

import pytest
from browser_journey import RULES, assert_no_axe_violations, path_of, submit
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def answer_unknown_until_result(page: Page, key_id: str, band: str) -> None:
    """Answer the age band, then "je ne sais pas" to every question the wizard asks."""
    page.goto(f"/cle/{key_id}/suite")
    prefix = f"/cle/{key_id}"
    for _ in range(40):
        path = path_of(page)
        if path == f"{prefix}/orientation":
            return
        match = re.fullmatch(re.escape(prefix) + r"/q/([^/]+)", path)
        if match and match.group(1) == "age_group":
            page.locator(f"input[name='answer'][value='{band}']").check()
        elif match:
            question = RULES.keys[key_id].question(match.group(1))
            if question.kind == "number":
                page.locator("#unknown-0").check()
            else:  # yes/no, single (its declared "nsp" option), multiple (the built-in box)
                page.locator("input[name='answer'][value='nsp']").check()
        elif path == f"{prefix}/departement":
            page.locator("select[name='answer']").select_option("nsp")
        elif path == f"{prefix}/verifier":
            page.get_by_role("link", name="Voir l'orientation").click()
            continue
        else:
            pytest.fail(f"page inattendue {page.url}", pytrace=False)
        submit(page)
    pytest.fail("pas d'orientation après 40 pages", pytrace=False)


def test_unknown_red_flags_are_shown_on_result_print_and_letter(page: Page):
    answer_unknown_until_result(page, "hypotonie-nourrisson", "nourrisson")
    block = page.locator("section.unchecked").first
    expect(block).to_be_visible()
    expect(page.locator("#a-verifier")).to_contain_text("À vérifier aujourd'hui")
    expect(block).to_contain_text("Vérifier maintenant")
    expect(block).to_contain_text("Si ce n'est pas possible")
    # Right after the urgency banner (issue #21's order), before the orientation and its centres.
    order = page.evaluate("""() => [...document.querySelectorAll('#a-verifier, .urgency, h2.outcome-title, #centres')]
                                   .map(e => e.id || e.className.split(' ')[0])""")
    assert order[:3] == ["urgency", "a-verifier", "outcome-title"], order
    assert_no_axe_violations(page, "résultat avec signes à vérifier")
    page.goto("/cle/hypotonie-nourrisson/imprimer")
    expect(page.locator("#a-verifier")).to_be_visible()
    expect(page.locator("section.letter")).to_contain_text("Non vérifié à ce jour")
    assert_no_axe_violations(page, "impression avec signes à vérifier")


def test_an_emergency_shows_where_to_go_and_no_centre(page: Page):
    page.goto("/cle/raynaud/suite")
    page.locator("input[name='answer'][value='adulte']").check()
    submit(page)
    page.locator("input[name='answer'][value='oui']").check()
    submit(page)
    assert path_of(page) == "/cle/raynaud/orientation"  # no département, no check page
    expect(page.get_by_role("heading", name="Où adresser aujourd'hui")).to_be_visible()
    route = page.locator(".emergency-route")
    expect(route).to_contain_text("Service d'urgences le plus proche")
    expect(route).not_to_contain_text("Urgences pédiatriques")  # an adult: the route fits the age
    expect(page.locator("#maintenant")).to_be_visible()
    expect(page.get_by_text("SAMU – centre 15").first).to_be_visible()
    expect(page.locator("#centres")).to_have_count(0)
    assert_no_axe_violations(page, "résultat d'urgence")


def test_multiple_choice_offers_none_and_unknown_and_refuses_a_blank_page(page: Page):
    page.goto("/cle/raynaud/suite")
    page.locator("input[name='answer'][value='adulte']").check()
    submit(page)
    key = RULES.keys["raynaud"]
    # Walk with "non" until the first multiple-choice question.
    for _ in range(10):
        qid = path_of(page).rsplit("/", 1)[1]
        if key.question(qid).kind == "multiple":
            break
        page.locator("input[name='answer'][value='non'], input[name='answer'][value='nsp']").first.check()
        submit(page)
    expect(page.get_by_label("Aucun de ces signes (tous recherchés et absents)")).to_be_visible()
    expect(page.get_by_label("Je ne sais pas, ou pas recherché")).to_be_visible()
    assert_no_axe_violations(page, "question à choix multiples")
    submit(page)  # nothing ticked
    expect(page.locator(".error-summary")).to_contain_text("Cochez les signes présents")
