"""Presenter mode on a projector, the decision map on paper, and three small layout fixes, in
Chromium (issue #21, items 4 to 6).

- Presenter (/formation/cas/…) at 1366×768 and 1280×720: after each "Étape suivante" (click,
  ArrowRight, PageDown) the whole current step (question or result, and its controls) is on
  screen; ArrowLeft and PageUp go back; "Révéler le pourquoi" lands on the why; urgency labels
  are 24 px or more.
- Decision map: no text line leaves its box (text bbox against the box's rect), on screen and
  in print; the page prints on ONE landscape A4 page.
- Département article: "Sites les plus proches du Rhône (69)".
- Directory results at 320 and 390 px: no sideways scroll.
- Disease search: the suggestion list closes when the search button is hovered or focused.
- axe-core (WCAG 2.1 A/AA): no violation on the pages touched.
"""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from browser_journey import RULES, assert_no_axe_violations
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SIZES = {"1366x768": (1366, 768), "1280x720": (1280, 720)}
CASE = "fractures-troisieme-fracture-scleres"  # six steps, a long safeguarding question
assert any(s.id == CASE for s in RULES.scenarios["fractures-enfant"])


def steps_of(page: Page) -> tuple[int, int]:
    """(current step, total) read from the page."""
    number, total = re.search(r"Étape (\d+) sur (\d+)", page.locator(".step-count").inner_text()).groups()
    return int(number), int(total)


def assert_step_on_screen(page: Page, height: int, where: str) -> None:
    box = page.locator("#etape-courante").bounding_box()
    assert box is not None, where
    top, bottom = box["y"], box["y"] + box["height"]
    assert top >= 0 and bottom <= height, (
        f"{where}: l'étape en cours occupe y={top:.0f} à {bottom:.0f}, l'écran fait {height} px de haut")
    # The controls are part of the step: "next" (or, at the end, "previous") is on screen too.
    control = page.locator(".step-nav a[rel=next], .step-nav a[rel=prev]").first
    control_box = control.bounding_box()
    assert control_box and control_box["y"] + control_box["height"] <= height, where


@pytest.fixture(params=SIZES.values(), ids=SIZES.keys())
def screen(request, new_context):
    width, height = request.param
    page = new_context(viewport={"width": width, "height": height}).new_page()
    return page, height


def test_each_next_click_puts_the_whole_step_on_screen(screen):
    page, height = screen
    page.goto(f"/formation/cas/{CASE}")
    number, total = steps_of(page)
    assert number == 1 and total >= 5
    assert_step_on_screen(page, height, "étape 1")
    for expected in range(2, total + 1):
        page.locator(".step-nav a[rel=next]").click()
        page.wait_for_url(re.compile(rf"etape={expected}#etape-courante$"))
        assert steps_of(page)[0] == expected
        assert_step_on_screen(page, height, f"étape {expected} (clic)")
    expect(page.locator(".step-nav a[rel=next]")).to_have_count(0)  # the orientation ends it


def test_clicker_keys_move_between_steps(screen):
    page, height = screen
    page.goto(f"/formation/cas/{CASE}")
    _, total = steps_of(page)
    for expected in range(2, total + 1):  # ArrowRight, then PageDown (what clickers send), in turn
        key = "ArrowRight" if expected % 2 == 0 else "PageDown"
        with page.expect_navigation():
            page.keyboard.press(key)
        assert steps_of(page)[0] == expected, key
        assert_step_on_screen(page, height, f"étape {expected} ({key})")
    with page.expect_navigation():
        page.keyboard.press("ArrowLeft")
    assert steps_of(page)[0] == total - 1
    with page.expect_navigation():
        page.keyboard.press("PageUp")
    assert steps_of(page)[0] == total - 2
    assert_step_on_screen(page, height, "retour par PageUp")
    url = page.url
    page.keyboard.press("Alt+ArrowRight")  # a modifier: the browser's own shortcut, not ours
    page.keyboard.press("Shift+ArrowRight")
    page.wait_for_timeout(300)
    assert page.url == url


def test_reveal_lands_on_the_why_and_next_keeps_it(screen):
    page, height = screen
    page.goto(f"/formation/cas/{CASE}?etape=3#etape-courante")
    page.get_by_role("link", name="Révéler le pourquoi").click()
    page.wait_for_url(re.compile(r"pourquoi=1#pourquoi$"))
    heading = page.get_by_role("heading", name="Le pourquoi")
    box = heading.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= height
    # The why holds its own way on: straight to the next step, the why still shown.
    page.get_by_role("link", name="Continuer vers l'étape 4").click()
    page.wait_for_url(re.compile(r"etape=4&pourquoi=1#etape-courante$"))
    assert_step_on_screen(page, height, "étape 4 après le pourquoi")


def test_urgency_labels_are_large_enough_to_project(page: Page):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/formation/cas/{CASE}?etape=99&pourquoi=1")
    sizes = page.eval_on_selector_all(
        ".tag, .urgency-tier", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert sizes and min(sizes) >= 24, sizes


def test_keys_typed_in_a_field_do_not_change_step(page: Page):
    """A field on the page (here the browser's own find-in-page is out of reach, so a search
    field added by the test) keeps its arrow keys: the presenter ignores keys typed in forms."""
    page.goto(f"/formation/cas/{CASE}?etape=2")
    page.evaluate("""() => { const i = document.createElement('input'); i.id = 'essai';
                             i.setAttribute('aria-label', 'essai'); document.querySelector('main').prepend(i); }""")
    page.locator("#essai").fill("abc")
    page.locator("#essai").press("ArrowRight")
    page.locator("#essai").press("PageDown")
    page.wait_for_timeout(300)
    assert steps_of(page)[0] == 2


# --- decision map ------------------------------------------------------------------------------

OVERFLOW = """sel => {
  const out = [];
  for (const g of document.querySelectorAll(sel)) {
    const r = g.querySelector('rect').getBBox();
    for (const t of g.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.width === 0) continue;
      if (b.x < r.x || b.x + b.width > r.x + r.width || b.y < r.y || b.y + b.height > r.y + r.height)
        out.push(`${g.dataset.outcome || g.dataset.question}: « ${t.textContent} » dépasse de `
                 + `${Math.max(b.x + b.width - r.x - r.width, r.x - b.x, b.y + b.height - r.y - r.height).toFixed(1)}`);
    }
  }
  return out;
}"""
BOXES = "svg g.outcome, svg g.question"


@pytest.mark.parametrize("key_id", sorted(RULES.keys))
def test_decision_map_text_stays_in_its_boxes_and_prints_on_one_landscape_page(page: Page, key_id):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/formation/cle/{key_id}/carte")
    assert page.locator(f".map-screen {BOXES}").count() > 0
    assert page.evaluate(OVERFLOW, f".map-screen {BOXES}") == []
    page.emulate_media(media="print")
    assert page.locator(f".map-print {BOXES}").count() > 0
    assert page.evaluate(OVERFLOW, f".map-print {BOXES}") == []
    pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4", landscape=True)))
    assert len(pdf.pages) == 1, f"{key_id}: {len(pdf.pages)} pages"
    assert "Carte de décision" in pdf.pages[0].extract_text()  # the page's title, on the same page


def test_decision_map_page_has_no_axe_violations(page: Page):
    page.goto("/formation/cle/fractures-enfant/carte")
    assert_no_axe_violations(page, "carte de décision")


# --- département articles, directory table, disease search ---------------------------------------


def test_departement_is_written_with_its_article(page: Page):
    page.goto("/maladies/duchenne?dep=69&age=enfant")
    expect(page.locator("main")).to_contain_text("Sites les plus proches du Rhône (69)")
    page.goto("/maladies/duchenne?dep=13&age=enfant")
    expect(page.locator("main")).to_contain_text("les plus proches des Bouches-du-Rhône (13)")
    assert "de Rhône" not in page.locator("main").inner_text()


@pytest.mark.parametrize("width", [320, 390])
def test_directory_results_do_not_scroll_sideways(new_context, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    for url in ("/annuaire/?filiere=filnemus&departement=69", "/annuaire/?filiere=filnemus",
                "/annuaire/?region=84"):
        page.goto(url)
        assert page.locator("table.stack-table tbody tr").count() > 0, url
        scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{url} à {width} px : la page fait {scroll} px de large"
        # Each stacked cell still says which column it is.
        label = page.locator("table.stack-table tbody td[data-label='Contact']").first
        assert "Contact" in label.evaluate("e => getComputedStyle(e, '::before').content")
    assert_no_axe_violations(page, f"annuaire à {width} px")


def test_suggestions_close_when_the_search_button_is_reached(page: Page):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/maladies")
    field = page.locator("#q")
    suggestions = page.locator("#q-suggestions")
    button = page.get_by_role("button", name="Rechercher")
    field.press_sequentially("marfan", delay=30)
    expect(suggestions).to_be_visible()
    button.hover()  # reachable: the list does not cover it
    expect(suggestions).to_be_hidden()
    field.press_sequentially("s", delay=30)
    field.press("Backspace")
    expect(suggestions).to_be_visible()
    field.press("Tab")
    expect(suggestions).to_be_hidden()
    expect(button).to_be_focused()
    button.click()
    page.wait_for_url(re.compile(r"/maladies\?q=marfan"))
    assert_no_axe_violations(page, "recherche de maladie")


@pytest.mark.parametrize("width", [320, 1366])
def test_suggestions_never_cover_the_search_button(new_context, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto("/maladies")
    page.locator("#q").press_sequentially("marfan", delay=30)
    expect(page.locator("#q-suggestions")).to_be_visible()
    button = page.get_by_role("button", name="Rechercher").bounding_box()
    listbox = page.locator("#q-suggestions").bounding_box()
    assert button and listbox
    overlap = not (button["x"] >= listbox["x"] + listbox["width"] or listbox["x"] >= button["x"] + button["width"]
                   or button["y"] >= listbox["y"] + listbox["height"] or listbox["y"] >= button["y"] + button["height"])
    assert not overlap, (button, listbox)


# --- accessibility of the presenter --------------------------------------------------------------

PRESENTER = {
    "etape-1": f"/formation/cas/{CASE}",
    "etape-3-pourquoi": f"/formation/cas/{CASE}?etape=3&pourquoi=1#pourquoi",
    "orientation-pourquoi": f"/formation/cas/{CASE}?etape=99&pourquoi=1",
}


@pytest.mark.parametrize("url", PRESENTER.values(), ids=PRESENTER.keys())
def test_presenter_pages_have_no_axe_violations(page: Page, url: str):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(url)
    assert_no_axe_violations(page, url)
