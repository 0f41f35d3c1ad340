"""A result a GP can act on, a letter they can sign (issue #21), in a real browser.

- On a phone (390×844) and a laptop (1366×768), the letter action and the first fitting centre
  are within the first two screens of the result.
- The letter, printed to PDF by Chromium, starts on its own page, never says a test was done
  that the GP did not report, and carries a QR code that a real decoder (ZXing) reads back to
  the orientation link — which reopens the same orientation.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from browser_journey import RULES, assert_no_axe_violations, scenario_answers, walk_to_result
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

KEY = "fractures-enfant"


def _referral_scenario():
    """A referring fracture scenario with a network to fit (the Rhône case of #17)."""
    return next(s for s in RULES.scenarios[KEY] if RULES.keys[KEY].outcome(s.expect).networks != "any"
                and RULES.keys[KEY].outcome(s.expect).action != "emergency")


def _bottom(page: Page, selector: str) -> float:
    box = page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.bottom + window.scrollY; }")
    return float(box)


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_letter_action_and_first_fitting_centre_are_within_two_screens(page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    scenario = _referral_scenario()
    walk_to_result(page, KEY, scenario_answers(KEY, scenario.id), departement="69")
    two_screens = 2 * height
    letter = _bottom(page, "a.button[href$='/imprimer']")
    centre = _bottom(page, "section[aria-labelledby=centres] ol.centres:not(.centres-other) > li .centre-name")
    assert letter <= two_screens, f"courrier à y={letter:.0f} (> {two_screens})"
    assert centre <= two_screens, f"premier centre adapté à y={centre:.0f} (> {two_screens})"
    assert_no_axe_violations(page, f"résultat à {width}×{height}")


def _decode_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "aucun QR code lisible sur le rendu du courrier"
    return found[0].text


def test_letter_pdf_starts_on_its_own_page_claims_no_test_and_its_qr_code_reopens_the_orientation(page):
    from pypdf import PdfReader

    scenario = _referral_scenario()
    walk_to_result(page, KEY, scenario_answers(KEY, scenario.id), departement="69")
    title = page.locator("h2.outcome-title").inner_text()
    link = page.locator("#lien-orientation").input_value()

    page.goto(f"/cle/{KEY}/imprimer")
    expect(page.locator(".letter")).to_contain_text("Cher confrère, chère consœur")
    assert_no_axe_violations(page, "impression et courrier")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    pages = [re.sub(r"\s+", " ", p.extract_text() or "") for p in pdf.pages]
    starts = [i for i, text in enumerate(pages) if "Courrier d'adressage" in text or "Courrier d’adressage" in text]
    assert starts, "le courrier est absent du PDF"
    first = pages[starts[0]].strip()
    assert first.startswith(("Courrier d'adressage", "Courrier d’adressage")), first[:200]
    assert starts[0] > 0, "le courrier doit commencer sur sa propre page"
    whole = " ".join(pages)
    assert "déjà réalisés" not in whole
    assert "Examens déjà faits" not in whole  # no test result was reported on this path
    assert "Cher(e)" not in whole and "ce(tte)" not in whole

    assert page.locator(".letter-link").inner_text().strip() == link
    # The QR code, as printed (print media, at a printer's resolution: 4 device pixels per CSS
    # pixel, about 380 dpi), decodes to the link shown on the result page.
    base = page.url.split("/cle/")[0]
    printer = page.context.browser.new_context(base_url=base, device_scale_factor=4,
                                               storage_state=page.context.storage_state())
    try:
        paper = printer.new_page()
        paper.emulate_media(media="print")
        paper.goto(f"/cle/{KEY}/imprimer")
        decoded = _decode_qr(paper.locator(".letter-qr svg").screenshot(scale="device"))
    finally:
        printer.close()
    assert decoded == link

    # Opened from another browser (no session), the link shows the same orientation; "Reprendre"
    # loads it into the wizard.
    context = page.context.browser.new_context(base_url=base)
    try:
        other = context.new_page()
        parts = urlsplit(decoded)
        other.goto(parts.path + "?" + parts.query)
        expect(other.locator("h1")).to_have_text("Orientation partagée")
        expect(other.locator("h2.outcome-title")).to_have_text(title)
        assert_no_axe_violations(other, "orientation partagée")
        with other.expect_navigation():
            other.get_by_role("button", name=re.compile("Reprendre dans l'assistant")).click()
        assert urlsplit(other.url).path == f"/cle/{KEY}/orientation"
        expect(other.locator("h2.outcome-title")).to_have_text(title)
    finally:
        context.close()


def test_download_pdf_opens_the_print_dialog_on_the_print_view(page):
    """With JavaScript, "Télécharger en PDF" lands on the print view and opens the browser's
    print dialog (its "Enregistrer au format PDF" is the download); the call is recorded here."""
    page.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    scenario = _referral_scenario()
    walk_to_result(page, KEY, scenario_answers(KEY, scenario.id), departement="69")
    with page.expect_navigation():
        page.get_by_role("link", name="Télécharger en PDF").click()
    assert urlsplit(page.url).path == f"/cle/{KEY}/imprimer"
    page.wait_for_function("() => window.__printed === 1")
