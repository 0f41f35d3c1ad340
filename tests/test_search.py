"""Entry by a disease name: the pure index (typos, accents, word order, odd input) and the
/maladies pages through Flask's test client. No timing here: see bench/search.py."""

from __future__ import annotations

import html

import pytest

from orient.services.search import (
    MAX_QUERY_LENGTH,
    build_index,
    check_query,
    cited_names,
    index_for,
    normalise_text,
    phonetic,
    search,
)
from orient.services.typography import french

# What a GP may type -> the filière expected among the first three hits. Built from the
# shipped rules/pnds.yaml (titles, synonyms) and the eponyms the keys cite.
QUERIES = [
    # misspellings
    ("marphan", "fava-multi"),
    ("mucovisidose", "muco-cftr"),
    ("drepanocitose", "mcgre"),
    ("wilebrand", "mhemo"),
    ("hemofilie", "mhemo"),
    ("duchene", "filnemus"),
    ("angelmann", "anddi-rares"),
    ("fabri", "g2m"),
    ("ostogenese imparfaite", "oscar"),
    ("talassemie", "mcgre"),
    ("sarcoidoze", "respifil"),
    ("miasthenie", "filnemus"),
    ("neurofibromatose", "fimarad"),
    ("acondroplasie", "oscar"),
    ("sclerodermi", "fai2r"),
    ("behcet", "fai2r"),
    ("huntingthon", "brain-team"),
    ("cystinose", "orkid"),
    ("glanzman", "mhemo"),
    ("phenylcetonurie", "g2m"),
    # accents and case folded
    ("sclerodermie", "fai2r"),
    ("drepanocytose", "mcgre"),
    ("hemophilie", "mhemo"),
    ("SJOGREN", "fai2r"),
    ("Sjögren", "fai2r"),
    ("maladie de gaucher", "g2m"),
    ("pemphigoide bulleuse", "fimarad"),
    ("ichtyose", "fimarad"),
    ("histiocytose langerhansienne", "marih"),
    ("hepatite auto immune", "filfoie"),
    ("cholangite sclerosante", "filfoie"),
    ("amyotrophie spinale", "filnemus"),
    # hyphens, apostrophes and word order
    ("rendu osler", "fava-multi"),
    ("osler rendu", "fava-multi"),
    ("Rendu-Osler", "fava-multi"),
    ("prader willi", "defiscience"),
    ("willi prader", "defiscience"),
    ("ehlers danlos", "oscar"),
    ("williams beuren", "anddi-rares"),
    ("charcot marie tooth", "filnemus"),
    ("x fragile", "defiscience"),
    ("fragile x", "defiscience"),
    ("l'x fragile", "defiscience"),
    ("gilles de la tourette", "brain-team"),
    ("laterale amyotrophique sclerose", "filslan"),
    ("systemique lupus", "fai2r"),
    # synonyms, acronyms, eponyms
    ("lupus", "fai2r"),
    ("HHT", "fava-multi"),
    ("SLA", "filslan"),
    ("maladie de charcot", "filslan"),
    ("mucoviscidose", "muco-cftr"),
    ("fibrose kystique", "muco-cftr"),
    ("anemie falciforme", "mcgre"),
    ("maladie de horton", "fai2r"),
    ("wegener", "fai2r"),
    ("recklinghausen", "fimarad"),
    ("syndrome de down", "anddi-rares"),
    ("trisomie 21", "anddi-rares"),
    ("maladie des os de verre", "oscar"),
    ("enfants papillons", "fimarad"),
    ("maladie de steinert", "filnemus"),   # no PNDS: cited by the key faiblesse-musculaire-cpk
    ("steinert", "filnemus"),
    ("syndrome d'alagille", "filfoie"),     # no PNDS: cited by the key ictere-nourrisson
    ("alport", "orkid"),
    ("dravet", "defiscience"),
    ("noonan", "anddi-rares"),
    ("turner", "firendo"),
    ("narcolepsie", "brain-team"),
]


@pytest.fixture(scope="module")
def index(ruleset):
    return index_for(ruleset)


def test_the_table_is_large_enough():
    assert len(QUERIES) >= 40
    assert len({q for q, _ in QUERIES}) == len(QUERIES)


@pytest.mark.parametrize(("query", "filiere"), QUERIES, ids=[q for q, _ in QUERIES])
def test_query_finds_the_filiere_in_the_top_three(index, ruleset, query, filiere):
    assert filiere in ruleset.filieres, f"filière inconnue dans la table : {filiere}"
    hits = search(index, query, limit=10)
    top = [f for hit in hits[:3] for f in hit.filieres]
    assert filiere in top, [(h.name, h.filieres, h.score) for h in hits[:5]]


@pytest.mark.parametrize(("query", "pnds"), [
    ("marphan", "marfan"), ("rendu osler", "rendu-osler"), ("mucovisidose", "mucoviscidose"),
    ("hemophilie", "hemophilie"), ("sclerodermie", "sclerodermie-systemique"), ("lupus", "lupus-systemique"),
    ("neurofibromatose", "neurofibromatose-1"), ("ataxie de friedreich", "ataxie-friedreich"),
])
def test_the_expected_pnds_comes_first(index, query, pnds):
    assert search(index, query)[0].pnds == pnds


def test_hits_are_deduplicated_per_pnds(index):
    # « drépanocytose » is a synonym of two PNDS (adult, child) and part of their titles.
    hits = search(index, "drepanocytose")
    ids = [h.entry.id for h in hits]
    assert len(ids) == len(set(ids))
    assert {"drepanocytose", "drepanocytose-enfant"} <= {h.pnds for h in hits[:2]}


def test_a_hit_carries_name_match_filieres_pnds_and_orpha(index):
    hit = search(index, "HHT")[0]
    assert hit.name == "Maladie de Rendu-Osler"
    assert hit.matched == "HHT" and hit.via_synonym
    assert hit.filieres == ("fava-multi",) and hit.pnds == "rendu-osler" and hit.orpha == (774,)


def test_exact_name_ranks_above_fuzzy_neighbours(index):
    hits = search(index, "amylose AL")
    assert hits[0].pnds == "amylose-al"


def test_steinert_is_a_name_cited_by_a_key_without_pnds(index):
    hit = search(index, "maladie de Steinert")[0]
    assert hit.entry.kind == "mention" and hit.pnds is None
    assert hit.entry.key == "faiblesse-musculaire-cpk" and hit.filieres == ("filnemus",)


def test_names_a_pnds_carries_are_not_duplicated_as_mentions(index):
    mentions = {normalise_text(e.name) for e in index.entries if e.kind == "mention"}
    assert "maladie de rendu osler" not in mentions and "syndrome de marfan" not in mentions
    assert "maladie de niemann pick" not in mentions  # a PNDS title begins with it


def test_key_titles_are_entries_but_pnds_comes_first(index):
    hits = search(index, "phenomene de raynaud")
    assert hits[0].entry.kind == "cle" and hits[0].entry.key == "raynaud"


def test_cited_names_extraction():
    text = ("les myopathies rares (dystrophies musculaires, maladie de Steinert, myosites) ; "
            "syndromes d'Ehlers-Danlos ; un syndrome de Jervell et Lange-Nielsen, la maladie de l'enfant")
    assert cited_names(text) == ["Maladie de Steinert", "Syndrome d'Ehlers-Danlos",
                                 "Syndrome de Jervell et Lange-Nielsen"]


def test_phonetic_fold():
    assert phonetic("marphan") == phonetic("marfan")
    assert phonetic("mucovisidose") == phonetic("mucoviscidose")
    assert phonetic("wilebrand") == phonetic("willebrand")


def test_index_is_built_once_per_ruleset(ruleset):
    assert index_for(ruleset) is index_for(ruleset)


def test_index_on_the_tiny_fixture_rules(base_ruleset):
    index = build_index(base_ruleset)
    assert len(index) >= len(base_ruleset.pnds)
    for p in base_ruleset.pnds.values():
        assert search(index, p.title)[0].pnds == p.id


# --- odd input: the pure functions never raise ------------------------------------------------

ODD = ["", "   ", "<script>alert(1)</script>", "%00", "\x00", "🧬🧬", "—", "...", "-'", "'; DROP TABLE pnds; --",
       "a" * 10_000, "é" * 101, "\u202e", "\n\t", "{{ 7*7 }}"]


@pytest.mark.parametrize("query", ODD, ids=[repr(q[:12]) for q in ODD])
def test_search_never_raises(index, query):
    hits = search(index, query)
    assert isinstance(hits, list) and len(hits) <= 10


@pytest.mark.parametrize(("query", "reason"), [
    ("a" * 10_000, "trop-long"), ("a" * (MAX_QUERY_LENGTH + 1), "trop-long"), ("<script>", "caracteres"),
    ("%00", "caracteres"), ("\x00", "caracteres"), ("🧬", "caracteres"), ("marfan 😀", "caracteres"),
    ("{{ 7*7 }}", "caracteres"), ("...", "trop-court"), ("-'", "trop-court"), ("a", "trop-court"),
])
def test_check_query_explains_in_french(query, reason):
    checked = check_query(query)
    assert checked.reason == reason and checked.error and checked.normalised == ""


@pytest.mark.parametrize("query", ["Rendu-Osler", "l'X fragile", "dup7q11.23", "SHU (atypique)", "Sjögren",
                                   "a" * MAX_QUERY_LENGTH, "ma", "CDG 1b"])
def test_check_query_accepts_disease_names(query):
    checked = check_query(query)
    assert checked.error is None and checked.normalised


def test_empty_query_is_an_invitation_not_an_error():
    checked = check_query("  ")
    assert checked.empty and checked.error is None


# --- web ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_rules(rules_dir):
    """The /maladies pages are tested on the shipped rules/: they search the shipped PNDS
    names (the conftest ``app``/``client`` serve them here, CSRF on as in production)."""
    return rules_dir


@pytest.fixture(scope="module")
def app(csrf_app):
    return csrf_app


def test_search_page_invites_when_empty(client, text):
    response = client.get("/maladies")
    assert response.status_code == 200
    body = text(response)
    assert "Par une maladie connue ou suspectée" in body and "Saisissez un nom de maladie pour commencer" in body
    assert "ne pose aucun diagnostic" in body
    page = response.get_data(as_text=True)
    assert 'combobox.js' in page and 'data-combobox="/maladies/suggestions"' in page
    assert "<script>" not in page  # no inline script under the strict CSP


def test_nav_and_home_door_link_to_the_search(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/maladies"' in home and 'action="/maladies"' in home


def test_search_results_show_the_filiere(client, text):
    response = client.get("/maladies?q=marphan")
    assert response.status_code == 200
    body = text(response)
    assert "Syndrome de Marfan et apparentés" in body and "FAVA-Multi" in body
    assert "Trouvé sous le nom « Marfan »" in body
    assert 'href="/maladies/marfan"' in response.get_data(as_text=True)


def test_a_name_without_pnds_leads_to_its_key(client, text):
    response = client.get("/maladies?q=maladie+de+steinert")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Maladie de Steinert" in text(response)
    assert 'href="/cle/faiblesse-musculaire-cpk"' in page and "FILNEMUS" in page


def test_no_result_is_said_in_french(client, text):
    response = client.get("/maladies?q=zzzzqqqq")
    assert response.status_code == 200
    assert "Aucun résultat pour « zzzzqqqq »" in text(response)


@pytest.mark.parametrize(("query", "message"), [
    ("a" * 10_000, "trop longue"), ("<script>alert(1)</script>", "caractères non pris en charge"),
    ("%00", "caractères non pris en charge"), ("\x00", "caractères non pris en charge"),
    ("🧬", "caractères non pris en charge"), ("...", "au moins deux lettres"), ("!!!", "caractères non pris en charge"),
])
def test_bad_queries_get_a_clear_message_and_400(client, query, message, text):
    response = client.get("/maladies", query_string={"q": query})
    assert response.status_code == 400
    body = text(response)
    assert "Il y a un problème" in body and message in body
    assert "<script>alert" not in response.get_data(as_text=True)


def test_raw_percent_encoded_nul_is_handled(client):
    assert client.get("/maladies?q=%00").status_code == 400
    assert client.get("/maladies?q=%ff%fe").status_code in (200, 400)


def test_detail_page_with_departement_and_age(client, ruleset, text):
    response = client.get("/maladies/marfan?dep=13&age=adulte")
    assert response.status_code == 200
    body = text(response)
    assert "Syndrome de Marfan et apparentés" in body and "(2018)" in body
    assert "Filière de santé maladies rares : FAVA-Multi" in body
    assert "aide à l'orientation, ne pose aucun diagnostic" in body.lower()
    assert "Fiche Orphanet ORPHA:558" in body and ruleset.orphanet_url(558) in response.get_data(as_text=True)
    assert "les plus proches des Bouches-du-Rhône (13)" in body
    assert "Maladies Rares Info Services" in body
    page = response.get_data(as_text=True)
    assert '<option value="13" selected>' in page and '<option value="adulte" selected>' in page
    # the regional platform of Provence-Alpes-Côte d'Azur
    regional = [r for r in ruleset.resources.values() if r.kind == "pemr" and "93" in r.regions]
    assert regional and all(r.name in body for r in regional)
    # the key that orients on the same PNDS
    assert 'href="/cle/grande-taille-hyperlaxite-aorte"' in page


def test_detail_page_ranks_centres_nearest_first(client, ruleset, text):
    from orient.services.directory import directory_for

    response = client.get("/maladies/drepanocytose?dep=13&age=adulte")
    assert response.status_code == 200
    expected = directory_for(ruleset).suggest("mcgre", age_group="adulte", departement="13")
    assert expected
    body = text(response)
    assert expected[0].centre.city in body


def test_detail_page_without_departement_is_national(client, text):
    response = client.get("/maladies/rendu-osler?dep=nsp")
    assert response.status_code == 200
    assert "liste nationale (département non indiqué)" in text(response)


def test_detail_page_with_several_filieres(client, text):
    body = text(client.get("/maladies/takayasu"))
    assert "Filière de santé maladies rares : FAI²R" in body and "Filière de santé maladies rares : FAVA-Multi" in body


@pytest.mark.parametrize("args", ["dep=99", "age=vieux", "dep=%3Cscript%3E&age=adulte"])
def test_detail_page_with_tampered_filters_is_400_in_french(client, args, text):
    response = client.get(f"/maladies/marfan?{args}")
    assert response.status_code == 400
    body = text(response)
    assert "Il y a un problème" in body and "n'est pas reconnu" in body
    assert "Syndrome de Marfan" in body


def test_unknown_disease_is_a_french_404(client, text):
    response = client.get("/maladies/pas-une-maladie")
    assert response.status_code == 404
    body = text(response)
    assert "Maladie introuvable" in body and 'name="q"' in response.get_data(as_text=True)


def test_suggestions_json(client):
    response = client.get("/maladies/suggestions?q=drepa")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()["suggestions"]
    assert 1 <= len(data) <= 8
    assert data[0] == {"label": "Syndromes drépanocytaires majeurs de l'adulte", "url": "/maladies/drepanocytose",
                       "hint": "MCGRE"}


def test_suggestions_are_at_most_eight(client):
    assert len(client.get("/maladies/suggestions?q=syndrome").get_json()["suggestions"]) == 8


@pytest.mark.parametrize("query", ["", "a", "..."])
def test_suggestions_for_a_short_query_are_empty(client, query):
    response = client.get("/maladies/suggestions", query_string={"q": query})
    assert response.status_code == 200 and response.get_json() == {"suggestions": []}


@pytest.mark.parametrize("query", ["a" * 10_000, "<script>", "🧬"])
def test_suggestions_for_bad_queries_are_400_json(client, query):
    response = client.get("/maladies/suggestions", query_string={"q": query})
    assert response.status_code == 400
    data = response.get_json()
    assert data["suggestions"] == [] and data["message"]


def test_security_headers_on_the_new_pages(client):
    for url in ("/maladies?q=lupus", "/maladies/lupus-systemique", "/maladies/suggestions?q=lupus"):
        response = client.get(url)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_each_pnds_link_says_who_serves_the_document(client, ruleset):
    # The publisher's copy, or a way in (the HAS or filière PNDS page) that says it is one: a GP
    # sees which before following it.
    fallback = next(p for p in ruleset.pnds.values() if p.fallback)
    for pnds_id in ("htap", "acromegalie", fallback.id):
        pnds = ruleset.pnds[pnds_id]
        page = html.unescape(client.get(f"/maladies/{pnds_id}").get_data(as_text=True))
        assert f'href="{pnds.url}"' in page and f"sur {pnds.host}" in page
        if pnds.fallback:
            assert french(pnds.fallback) in page
    assert ruleset.pnds["htap"].host == "has-sante.fr"
    assert ruleset.pnds["htap"].url.startswith("https://www.has-sante.fr/")
