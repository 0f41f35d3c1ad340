"""Search across every Orphanet name and the page per entity (/maladies/orpha/<code>).

Fixture app: the small web rules (tests/fixtures/base + web) with the fixture mapping and the
fixture nomenclature (tests/fixtures/orphanet/). Integration: the shipped rules with the
French data of ../shared/reference/orphanet/ (skipped only when absent): the five names the
issue lists find the right entity first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orient.core import ruleset as ruleset_module
from orient.services import nomenclature as nm
from orient.services.search import build_index, check_query, search

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "orphanet"
CSV_DIR = FIXTURES / "csv" / "fr-2024-01-15"
PACK_DIR = FIXTURES / "pack"
ROOT = Path(__file__).resolve().parent.parent



@pytest.fixture(scope="module")
def mapped_rules(web_rules_dir, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("orpha") / "rules"
    shutil.copytree(web_rules_dir, target)
    shutil.copy(FIXTURES / "rules" / "orphanet-filieres.yaml", target / "orphanet-filieres.yaml")
    return target


@pytest.fixture(scope="module")
def app_rules(mapped_rules):
    return mapped_rules


@pytest.fixture(scope="module")
def app_config():
    return {"ORPHANET_DIR": str(PACK_DIR)}


@pytest.fixture(scope="module")
def index(mapped_rules):
    nomenclature = nm.load_or_raise(CSV_DIR)
    return build_index(ruleset_module.load_or_raise(mapped_rules, nomenclature=nomenclature), nomenclature)


def _first(index, query):
    hits = search(index, check_query(query).normalised)
    assert hits, query
    return hits[0]


# --- the index on the fixtures ---------------------------------------------------------------------


def test_names_and_synonyms_are_searchable(index):
    hit = _first(index, "lambert duval")
    assert hit.entry.kind == "orpha" and hit.entry.orpha == (900111,) and hit.via_synonym
    assert _first(index, "Dysplasie de Carvalo").entry.orpha == (900112,)  # a typo


def test_categories_are_never_entries(index):
    assert not any(e.orpha and e.orpha[0] in (900100, 900120, 900200, 900300) for e in index.entries)
    assert all(hit.entry.orpha != (900120,) for hit in search(index, "atteinte osseuse alpha"))


def test_a_pnds_entity_is_one_entry_with_the_orphanet_names(index):
    hit = _first(index, "testard nivelle")
    assert hit.entry.kind == "pnds" and hit.entry.pnds == "pnds-test"
    assert not any(e.id == "orpha:1234" for e in index.entries)


def test_orphacode_queries(index):
    for query in ("ORPHA:900111", "orpha 900111", "900111", "ORPHAcode 900111"):
        hit = _first(index, query)
        assert hit.entry.orpha == (900111,) and hit.via_code and hit.replaced is None, query
    assert _first(index, "ORPHA:1234").entry.pnds == "pnds-test"


def test_an_obsolete_code_finds_its_replacement(index):
    hit = _first(index, "ORPHA:900190")
    assert hit.entry.orpha == (900111,) and hit.replaced == 900190 and hit.matched == "ORPHA:900190"


def test_unknown_or_retired_codes_find_nothing(index):
    assert search(index, "orpha 900191") == [] and search(index, "424242") == []


def test_exact_and_prefix_before_fuzzy_and_pnds_first_at_equal_score(index):
    hits = search(index, "maladie de lambert")
    assert hits[0].entry.orpha == (900111,)  # exact before the longer « ... type 1 » (prefix)
    assert hits[1].entry.orpha == (900113,)


# --- the web pages on the fixtures ------------------------------------------------------------------


def test_search_page_lists_orphanet_entities_with_the_suggested_filiere(client, text):
    response = client.get("/maladies?q=lambert")
    body = text(response)
    assert response.status_code == 200
    assert "Maladie de Lambert" in body and "Filière FIL-B" in body
    assert "filière suggérée d'après la classification d'Orphanet" in body
    assert 'href="/maladies/orpha/900111"' in response.get_data(as_text=True)
    assert "nomenclature Orphanet du 15/01/2024" in body and "© INSERM 1999" in body and "CC BY 4.0" in body


def test_the_empty_search_page_says_what_it_covers(client, text):
    body = text(client.get("/maladies"))
    assert "toutes les maladies rares de la nomenclature Orphanet (16 groupes, maladies et sous-types)" in body
    assert "ou son code ORPHA" in body


def test_search_by_code_on_the_page(client, text):
    body = text(client.get("/maladies?q=ORPHA%3A900190"))
    assert "Trouvé par le code ORPHA:900190, code obsolète remplacé par ORPHA:900111." in body


def test_entity_page_with_suggested_filiere_attribution_and_centres(client, text):
    response = client.get("/maladies/orpha/900111?dep=75&age=adulte")
    body = text(response)
    assert response.status_code == 200
    assert "Maladie de Lambert" in body and "ORPHA:900111" in body and "Syndrome de Lambert-Duval" in body
    assert "Filière suggérée d'après la classification d'Orphanet" in body
    assert "Orphanet classe cette maladie dans « Groupe des maladies de Lambert »" in body
    assert "Filière de santé maladies rares : FIL-B (suggérée)" in body
    assert "Centres experts suggérés (FIL-B)" in body and "Paris" in body
    assert "nomenclature Orphanet du 15/01/2024" in body and "© INSERM 1999" in body
    assert "classée par Orphanet dans « Groupe des maladies de Lambert »" in body
    assert 'href="https://www.orpha.net/' in response.get_data(as_text=True)


def test_entity_page_of_a_pnds_disease_shows_the_pnds_filiere(client, text):
    body = text(client.get("/maladies/orpha/123401"))
    assert "Filière du PNDS" in body and "PNDS de test" in body
    assert "Filière de santé maladies rares : FIL-A" in body and "(suggérée)" not in body


def test_entity_page_without_filiere(client, text):
    response = client.get("/maladies/orpha/900301")
    body = text(response)
    assert response.status_code == 200 and "Pas de filière de santé maladies rares" in body
    assert "Maladie infectieuse : infectiologie" in body and "Centres adaptés au patient" not in body


def test_an_obsolete_code_redirects(client, text):
    response = client.get("/maladies/orpha/900190?dep=75&x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/maladies/orpha/900111?ancien=900190&dep=75"
    body = text(client.get(response.headers["Location"]))
    assert "Le code ORPHA:900190 n'est plus en usage" in body


def test_unknown_and_retired_codes_are_a_french_404(client, text):
    for code in (900191, 424242, 900100):  # deprecated without replacement, unknown, a category
        response = client.get(f"/maladies/orpha/{code}")
        assert response.status_code == 404 and "Maladie introuvable" in text(response)


def test_bad_filters_on_an_entity_page_are_400_in_french(client, text):
    response = client.get("/maladies/orpha/900111?dep=99")
    assert response.status_code == 400 and "Ce département n'est pas reconnu" in text(response)


def test_suggestions_include_orphanet_entities(client):
    data = client.get("/maladies/suggestions?q=lambert").get_json()["suggestions"]
    assert {"label": "Maladie de Lambert", "url": "/maladies/orpha/900111", "hint": "FIL-B"} in data


# --- without a nomenclature -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bare_client(make_app, mapped_rules):
    return make_app(mapped_rules, WTF_CSRF_ENABLED=False).test_client()


def test_without_nomenclature_the_app_starts_and_says_so(bare_client, text):
    body = text(bare_client.get("/maladies?q=lambert"))
    assert "la recherche couvre seulement les maladies qui ont un protocole national (PNDS)" in body
    assert "Maladie de Lambert" not in body
    assert "La nomenclature Orphanet n'est pas configurée" in text(bare_client.get("/maladies/pnds-test"))
    response = bare_client.get("/maladies/orpha/900111")
    assert response.status_code == 404 and "nomenclature Orphanet, qui n'est pas configurée" in text(response)


def test_a_broken_nomenclature_refuses_to_start(make_app, mapped_rules, tmp_path):
    from orient.core.diagnostics import RuleSetError

    with pytest.raises(RuleSetError) as raised:
        make_app(mapped_rules, ORPHANET_DIR=str(tmp_path / "absent"))
    assert "ORPHANET_DOSSIER_INTROUVABLE" in raised.value.report()


def test_serve_refuses_a_broken_nomenclature_in_french(runner, mapped_rules, tmp_path):
    from orient.authoring.cli import main

    result = runner.invoke(main, ["serve", "--rules", str(mapped_rules), "--orphanet", str(tmp_path / "absent")])
    assert result.exit_code == 1
    assert "dossier de la nomenclature Orphanet introuvable" in result.output
    assert "1 erreur(s) dans la nomenclature Orphanet : l'application refuse de démarrer." in result.output
    assert "Traceback" not in result.output


# --- the French data (CI has it) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def french_index(ruleset, french_nomenclature):
    nomenclature = french_nomenclature
    return build_index(ruleset_module.load_or_raise(ROOT / "rules", nomenclature=nomenclature), nomenclature)


@pytest.mark.parametrize(("query", "code"), [
    ("gaucher", 355),               # the PNDS « Maladie de Gaucher », ORPHA:355
    ("silver russel", 813),         # typo
    ("rendu osler", 774),
    ("ORPHA:558", 558),             # Marfan, through its PNDS
    ("355", 355),
])
def test_french_names_find_the_right_entity_first(french_index, query, code):
    hit = search(french_index, check_query(query).normalised)[0]
    assert code in hit.entry.orpha, (hit.name, hit.entry.orpha)


def test_deficit_en_otc(french_index):
    """« déficit en OTC » is both a synonym of the PNDS « Déficits du cycle de l'urée » (which
    covers it, with no ORPHAcode) and of ORPHA:664 « Déficit en ornithine transcarbamylase »:
    at equal score the PNDS comes first, the Orphanet entity right after."""
    hits = search(french_index, check_query("deficit en OTC").normalised)
    assert hits[0].entry.pnds == "deficits-cycle-uree" and hits[0].matched == "déficit en OTC"
    assert hits[1].entry.orpha == (664,) and hits[1].name == "Déficit en ornithine transcarbamylase"


def test_french_obsolete_code_redirects(french_index):
    hit = search(french_index, "ORPHA:166068")[0]
    assert hit.entry.orpha == (166063,) and hit.replaced == 166068


def test_french_index_size(french_index):
    assert len(french_index) > 19_000  # the full nomenclature's names, plus the rules'
