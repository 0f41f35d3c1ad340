"""/maladies in Chromium: axe-core on every page type of the disease entry, the combobox
driven by the keyboard (WAI-ARIA pattern), and the plain GET form without JavaScript."""

from __future__ import annotations

import re

import pytest
from browser_journey import assert_no_axe_violations, path_of
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PAGES = {
    "recherche-vide": ("/maladies", 200),
    "recherche-resultats": ("/maladies?q=marphan", 200),
    "recherche-sans-resultat": ("/maladies?q=zzzzqqqq", 200),
    "recherche-cle": ("/maladies?q=steinert", 200),
    "recherche-erreur": ("/maladies?q=%3Cscript%3E", 400),
    "maladie": ("/maladies/marfan", 200),
    "maladie-departement-age": ("/maladies/drepanocytose?dep=13&age=adulte", 200),
    "maladie-plusieurs-filieres": ("/maladies/takayasu?dep=nsp", 200),
    "maladie-filtre-invalide": ("/maladies/marfan?dep=99&age=x", 400),
    "maladie-inconnue": ("/maladies/inconnue", 404),
}


@pytest.mark.parametrize(("path", "status"), PAGES.values(), ids=PAGES.keys())
def test_disease_pages_have_no_axe_violation(page: Page, path, status):
    response = page.goto(path)
    assert response is not None and response.status == status
    assert_no_axe_violations(page, path)


def _combobox(page: Page):
    box = page.locator("#q")
    expect(box).to_have_attribute("role", "combobox")
    return box


def test_combobox_open_has_no_axe_violation(page: Page):
    page.goto("/maladies")
    box = _combobox(page)
    box.focus()
    page.keyboard.type("drepa")
    expect(page.locator("#q-suggestions [role=option]").first).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    assert_no_axe_violations(page, "combobox ouverte")


def test_combobox_keyboard(page: Page):
    page.goto("/maladies")
    box = _combobox(page)
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_attribute("aria-controls", "q-suggestions")
    expect(box).to_have_attribute("aria-autocomplete", "list")
    # Reach the field with Tab only (skip link, header links, then the field).
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "q":
            break
    else:
        pytest.fail("champ de recherche inatteignable au clavier")
    page.keyboard.type("drepano")
    options = page.locator("#q-suggestions [role=option]")
    expect(options.first).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#q-suggestions")).to_have_attribute("role", "listbox")
    count = options.count()
    assert 1 <= count <= 8
    assert not box.get_attribute("aria-activedescendant")

    page.keyboard.press("ArrowDown")
    first_id = options.nth(0).get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", first_id)
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    if count > 1:
        page.keyboard.press("ArrowDown")
        expect(box).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
        expect(options.nth(0)).to_have_attribute("aria-selected", "false")
        page.keyboard.press("ArrowUp")
        expect(box).to_have_attribute("aria-activedescendant", first_id)
    page.keyboard.press("ArrowUp")  # wraps to the last option
    expect(box).to_have_attribute("aria-activedescendant", options.nth(count - 1).get_attribute("id"))
    page.keyboard.press("ArrowDown")  # and back to the first
    expect(box).to_have_attribute("aria-activedescendant", first_id)

    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#q-suggestions")).to_be_hidden()
    assert not box.get_attribute("aria-activedescendant")
    expect(box).to_have_value("drepano")  # the first Escape only closes the list
    assert page.evaluate("() => document.activeElement.id") == "q"

    page.keyboard.press("ArrowDown")  # reopens on the first option
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(box).to_have_attribute("aria-activedescendant", first_id)
    label = options.nth(0).locator("span").first.inner_text()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page).startswith("/maladies/drepanocytose")
    expect(page.locator("h1")).to_have_text(label)


def test_enter_without_a_highlighted_option_submits_the_form(page: Page):
    page.goto("/maladies")
    box = _combobox(page)
    box.focus()
    page.keyboard.type("rendu osler")
    expect(page.locator("#q-suggestions [role=option]").first).to_be_visible()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/maladies"
    expect(page.locator("#resultats")).to_contain_text("rendu osler")
    expect(page.locator(".disease-results a").first).to_have_text("Maladie de Rendu-Osler")


def test_escape_on_a_closed_list_clears_the_field(page: Page):
    page.goto("/maladies")
    box = _combobox(page)
    box.focus()
    page.keyboard.type("lupus")
    expect(box).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(box).to_have_value("")
    expect(box).to_have_attribute("aria-expanded", "false")


def test_search_and_centres_without_javascript(new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.fill("#q-accueil", "mucovisidose")
    with page.expect_navigation():
        page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#q")).not_to_have_attribute("role", "combobox")
    link = page.locator(".disease-results a").first
    expect(link).to_have_text("Mucoviscidose")
    with page.expect_navigation():
        link.click()
    page.select_option("#dep", "13")
    page.select_option("#age", "enfant")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher les centres").click()
    assert re.search(r"dep=13", page.url) and re.search(r"age=enfant", page.url)
    expect(page.locator("#filiere-muco-cftr")).to_contain_text("MUCO-CFTR")
    expect(page.locator(".centres .centre").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("les plus proches des Bouches-du-Rhône (13)")
