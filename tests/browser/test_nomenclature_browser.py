"""A disease found only in the Orphanet nomenclature, in Chromium: search, its page with the
suggested filière, the Orphanet attribution and release date, the centres for a département
and an age band; axe-core finds no violation on any of these pages.

Two live servers: the small fixture rules with the fixture nomenclature (always), and the
shipped rules with the French data of ../shared/reference/orphanet/ (skipped only when
absent; CI has it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser_journey import assert_no_axe_violations, path_of
from live import serving
from playwright.sync_api import Page, expect

from orient.web import create_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def _reference() -> Path | None:
    env = os.environ.get("ORIENT_TEST_ORPHANET")
    folder = Path(env) if env else ROOT.parent / "shared" / "reference" / "orphanet"
    return folder if folder.is_dir() else None


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory):
    rules = tmp_path_factory.mktemp("orpha-browser") / "rules"
    shutil.copytree(FIXTURES / "base", rules)
    shutil.copytree(FIXTURES / "web", rules, dirs_exist_ok=True)
    shutil.copy(FIXTURES / "orphanet" / "rules" / "orphanet-filieres.yaml", rules / "orphanet-filieres.yaml")
    app = create_app({"SECRET_KEY": "test", "RULES_DIR": str(rules),
                      "ORPHANET_DIR": str(FIXTURES / "orphanet" / "pack"), "SEND_FILE_MAX_AGE_DEFAULT": 3600})
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def french_server():
    reference = _reference()
    if reference is None:
        pytest.skip("données Orphanet de référence absentes (../shared/reference/orphanet/ ou $ORIENT_TEST_ORPHANET)")
    app = create_app({"SECRET_KEY": "test", "RULES_DIR": str(ROOT / "rules"),
                      "ORPHANET_DIR": str(reference / "fr-2023-06-22"), "SEND_FILE_MAX_AGE_DEFAULT": 3600})
    with serving(app) as url:
        yield url


CASES = {
    # server, typed name, result link, expected page title, filière, département, age, release
    "fixtures": ("fixture_server", "lambert duval", "Maladie de Lambert", "FIL-B", "75", "adulte", "15/01/2024"),
    "francais": ("french_server", "ornithine transcarbamylase", "Déficit en ornithine transcarbamylase", "G2M", "13",
                 "enfant", "22/06/2023"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_nomenclature_only_disease_leads_to_its_page_and_centres(request, page: Page, case):
    server, typed, name, acronym, dep, age, release = case
    base = request.getfixturevalue(server)
    page.goto(f"{base}/maladies")
    page.locator("#q").fill(typed)
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#resultats")).to_contain_text("résultat")
    assert_no_axe_violations(page, "résultats avec la nomenclature Orphanet")
    page.get_by_role("link", name=name, exact=True).first.click()
    assert path_of(page).startswith("/maladies/orpha/")
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("#filiere-suggeree")).to_have_text("Filière suggérée d'après la classification d'Orphanet")
    attribution = page.locator(".orphanet-attribution")
    expect(attribution).to_contain_text(f"nomenclature Orphanet du {release}")
    expect(attribution).to_contain_text("© INSERM 1999")
    expect(attribution).to_contain_text("CC BY 4.0")
    assert_no_axe_violations(page, f"page Orphanet de « {name} »")
    page.locator("#dep").select_option(dep)
    page.locator("#age").select_option(age)
    page.get_by_role("button", name="Afficher les centres").click()
    expect(page.get_by_role("heading", name=f"Centres experts suggérés ({acronym})")).to_be_visible()
    expect(page.locator("ol.centres li").first).to_be_visible()
    assert f"dep={dep}" in page.url and f"age={age}" in page.url
    assert_no_axe_violations(page, f"centres pour « {name} »")


def test_an_obsolete_code_redirects_in_the_browser(page: Page, fixture_server):
    page.goto(f"{fixture_server}/maladies?q=ORPHA%3A900190")
    page.get_by_role("link", name="Maladie de Lambert", exact=True).click()
    page.goto(f"{fixture_server}/maladies/orpha/900190")
    assert path_of(page) == "/maladies/orpha/900111"
    expect(page.locator("#code-remplace")).to_contain_text("ORPHA:900190")
    assert_no_axe_violations(page, "code obsolète redirigé")


def test_a_disease_without_filiere_has_no_violation(page: Page, fixture_server):
    page.goto(f"{fixture_server}/maladies/orpha/900301")
    expect(page.locator("#filiere-suggeree")).to_have_text("Pas de filière de santé maladies rares")
    assert_no_axe_violations(page, "maladie sans filière")
