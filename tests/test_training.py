"""Trainer mode (/formation) through Flask's test client: case library and its filters, the
presenter walking a case step by step, the "pourquoi" toggle, replay links (valid, tampered),
and the decision map pages.

The case library, the presenter and the maps are about the shipped scenarios and keys: they run
on rules/ (``app_rules`` below). The replay-link checks run on the small fixture rules.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orient.core.model import AGE_QUESTION, URGENCY_LABELS


@pytest.fixture(scope="module")
def app_rules(rules_dir):
    """The case library is the shipped scenarios and the decision maps the shipped keys: the
    trainer is tested on rules/ (the conftest ``app``/``client`` serve it here)."""
    return rules_dir


@pytest.fixture(scope="module")
def app(csrf_app):
    return csrf_app  # CSRF on, as in production: the trainer only reads (GET) and must not need it


@pytest.fixture(scope="module")
def rules(app):
    return app.extensions["orient"]


def hrefs(response) -> list[str]:
    """The page's link targets, without their fragment (the presenter's links land on
    #etape-courante or #pourquoi: same page, scrolled)."""
    return [html.unescape(h).split("#", 1)[0] or h
            for h in re.findall(r'href="([^"]+)"', response.get_data(as_text=True))]


def all_cases(rules):
    """The library's cases: every key's own, and each shared age-band case once (with the first
    key, by title, of its band), not once per key."""
    cases, shared = [], set()
    for key in rules.keys.values():  # sorted by title, as the library
        for s in rules.scenarios.get(key.id, ()):
            if "--" in s.id:
                base = s.id.split("--", 1)[0]
                if base in shared:
                    continue
                shared.add(base)
            cases.append((key.id, s))
    return sorted(cases, key=lambda c: c[0])


def total_steps(client, scenario_id: str, text) -> int:  # text: the conftest fixture
    match = re.search(r"Étape 1 sur (\d+)", text(client.get(f"/formation/cas/{scenario_id}")))
    assert match, scenario_id
    return int(match.group(1))


# --- library ---------------------------------------------------------------------------------------


def test_nav_links_to_the_library(client):
    assert "/formation/" in hrefs(client.get("/"))


def test_library_lists_every_case_with_key_and_expected_outcome(client, rules, text):
    response = client.get("/formation/")
    assert response.status_code == 200
    body = text(response)
    cases = all_cases(rules)
    assert f"{len(cases)} cas sur {len(cases)}" in body
    links = hrefs(response)
    for key_id, scenario in cases:
        key = rules.keys[key_id]
        assert f"/formation/cas/{scenario.id}" in links
        assert html.unescape(scenario.title) in body
        assert key.title in body
        assert key.outcome(scenario.expect).title in body
    for label in URGENCY_LABELS.values():
        assert label in body
    for key_id in rules.keys:  # every key's map is reachable from the library
        assert f"/formation/cle/{key_id}/carte" in links


def test_library_filter_form_is_a_plain_get_form(client):
    page = client.get("/formation/").get_data(as_text=True)
    form = re.search(r"<form[^>]*>", page).group(0)
    assert 'method="get"' in form and 'action="/formation/"' in form
    assert '<select id="filiere" name="filiere">' in page and '<select id="urgence" name="urgence">' in page
    assert '<label for="filiere">' in page and '<label for="urgence">' in page


def test_library_filter_by_urgency(client, rules):
    response = client.get("/formation/?urgence=urgence")
    links = set(hrefs(response))
    for _, scenario in all_cases(rules):
        outcome = rules.keys[_].outcome(scenario.expect)
        assert (f"/formation/cas/{scenario.id}" in links) == (outcome.urgency == "urgence"), scenario.id
    assert '<option value="urgence" selected>' in response.get_data(as_text=True)


def test_library_filter_by_filiere_and_urgency(client, rules, text):
    response = client.get("/formation/?filiere=fai2r&urgence=rapide")
    links = set(hrefs(response))
    expected = {s.id for k, s in all_cases(rules)
                if "fai2r" in rules.keys[k].filieres and rules.keys[k].outcome(s.expect).urgency == "rapide"}
    assert expected, "the shipped rules have rapid FAI2R cases"
    shown = {h.rsplit("/", 1)[1] for h in links if h.startswith("/formation/cas/")}
    assert shown == expected
    body = response.get_data(as_text=True)
    assert '<option value="fai2r" selected>' in body
    assert f"{len(expected)} cas sur" in text(response)
    assert "Afficher tous les cas" in text(response)


def test_library_ignores_unknown_filter_values(client, rules, text):
    response = client.get("/formation/?filiere=<script>&urgence=demain")
    assert response.status_code == 200
    total = len(all_cases(rules))
    assert f"{total} cas sur {total}" in text(response)
    assert "<script>" not in response.get_data(as_text=True).split("<main", 1)[1]


# --- presenter ---------------------------------------------------------------------------------------

CASE = "raynaud-doigts-boudines"  # age, necrose, crise-renale, signes-associes -> connectivite


def test_first_step_shows_the_presentation_and_the_age_question(client, rules, text):
    scenario = next(s for s in rules.scenarios["raynaud"] if s.id == CASE)
    response = client.get(f"/formation/cas/{CASE}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<body class="presenter">' in page
    body = text(response)
    assert scenario.title in body and " ".join(scenario.presentation.split()) in body
    assert "Étape 1 sur 5" in body
    assert AGE_QUESTION.text in body and "Questions déjà posées" not in body
    links = hrefs(response)
    assert f"/formation/cas/{CASE}?etape=2" in links
    assert "Étape précédente" not in body


def test_each_step_shows_the_answers_so_far_and_the_next_question(client, rules, text):
    key = rules.keys["raynaud"]
    body = text(client.get(f"/formation/cas/{CASE}?etape=3"))
    asked = body.split("Questions déjà posées", 1)[1].split("Question en cours", 1)[0]
    assert "Adulte (18 ans et plus)" in asked
    assert key.question("necrose").text in asked and "Non" in asked
    current = body.split("Question en cours", 1)[1]
    assert current.startswith(" : " + key.question("crise-renale").text)
    assert "Je ne sais pas" in current
    links = hrefs(client.get(f"/formation/cas/{CASE}?etape=3"))
    assert f"/formation/cas/{CASE}?etape=2" in links and f"/formation/cas/{CASE}?etape=4" in links
    assert f"/formation/cas/{CASE}" in links  # Recommencer


def test_last_step_shows_the_orientation_from_the_engine(client, rules, text):
    response = client.get(f"/formation/cas/{CASE}?etape=5")
    body = text(response)
    outcome = rules.keys["raynaud"].outcome("connectivite-probable")
    assert "Étape 5 sur 5" in body and "Orientation proposée" in body
    assert outcome.title in body and URGENCY_LABELS[outcome.urgency] in body
    assert "liste nationale" in body  # département "nsp": no distance ranking
    assert "Étape suivante" not in body and "Écart : ce cas attendait" not in body
    assert f"/formation/cas/{CASE}?etape=4" in hrefs(response)


@pytest.mark.parametrize("etape, shown", [("0", 1), ("-3", 1), ("99", 5), ("abc", 1), ("2.5", 1)])
def test_out_of_range_steps_are_clamped(client, etape, shown, text):
    response = client.get(f"/formation/cas/{CASE}?etape={etape}")
    assert response.status_code == 200
    assert f"Étape {shown} sur 5" in text(response)


def test_unknown_case_is_a_404(client, text):
    response = client.get("/formation/cas/pas-un-cas")
    assert response.status_code == 404
    assert "Page introuvable" in text(response)


def test_presenter_writes_nothing(client):
    for url in (f"/formation/cas/{CASE}?etape=3&pourquoi=1", f"/formation/cas/{CASE}?etape=5",
                "/formation/parcours/raynaud?r=age_group:adulte", "/formation/"):
        response = client.get(url)
        assert "Set-Cookie" not in response.headers, url


def test_pourquoi_toggle_is_a_link_that_keeps_the_step(client, text):
    hidden = client.get(f"/formation/cas/{CASE}?etape=3")
    assert "Révéler le pourquoi" in text(hidden) and "Le pourquoi" not in text(hidden)
    assert f"/formation/cas/{CASE}?etape=3&pourquoi=1" in hrefs(hidden)

    shown = client.get(f"/formation/cas/{CASE}?etape=3&pourquoi=1")
    body = text(shown)
    assert "Masquer le pourquoi" in body and "Le pourquoi" in body
    links = hrefs(shown)
    assert f"/formation/cas/{CASE}?etape=3" in links  # hide again
    assert f"/formation/cas/{CASE}?etape=4&pourquoi=1" in links  # navigation keeps it open
    why = body.split("Le pourquoi", 1)[1]
    # necrose = non ruled out the digital ischaemia; the current question tests the renal crisis.
    assert "Ischémie digitale — avis spécialisé le jour même" in why
    assert "Elle a écarté" in why
    assert "sert à trancher : Suspicion de crise rénale sclérodermique" in why


def test_pourquoi_on_the_last_step_uses_the_engine_explanation(client, rules, text):
    body = text(client.get(f"/formation/cas/{CASE}?etape=5&pourquoi=1"))
    why = body.split("Le pourquoi", 1)[1]
    key = rules.keys["raynaud"]
    assert "Elle a décidé l'orientation" in why
    assert "Réponses qui ont conduit à cette orientation" in why
    assert key.question("signes-associes").text in why
    assert "Orientations écartées avant celle-ci" in why
    assert key.outcome("ischemie-digitale").title in why
    assert key.outcome("crise-renale-sclerodermique").title in why


def test_every_case_walks_to_its_expected_outcome_and_replays(client, rules, text):
    for key_id, scenario in all_cases(rules):
        key = rules.keys[key_id]
        total = total_steps(client, scenario.id, text)
        last = client.get(f"/formation/cas/{scenario.id}?etape={total}&pourquoi=1")
        assert last.status_code == 200, scenario.id
        body = text(last)
        assert key.outcome(scenario.expect).title in body and "Écart : ce cas attendait" not in body, scenario.id
        replay = next(h for h in hrefs(last) if h.startswith(f"/formation/parcours/{key_id}?r="))
        replayed = client.get(replay)
        assert replayed.status_code == 200, (scenario.id, replay)
        assert key.outcome(scenario.expect).title in text(replayed), scenario.id


# --- replay links --------------------------------------------------------------------------------------

REPLAY = "/formation/parcours/raynaud?r="


def test_case_page_links_its_readable_replay_url(client):
    links = hrefs(client.get(f"/formation/cas/{CASE}"))
    assert (REPLAY + "age_group:adulte;necrose:non;crise-renale:non;"
            "signes-associes:doigts-boudines+reflux-dysphagie") in links


# --- replay links, on the small fixture rules (conftest ``web_rules_dir``: key mini) -------------------

MINI_REPLAY = "/formation/parcours/mini?r="


@pytest.fixture(scope="module")
def web_client(make_app, web_rules_dir):
    return make_app(web_rules_dir).test_client()


@pytest.fixture(scope="module")
def mini(web_client):
    return web_client.application.extensions["orient"].keys["mini"]


@pytest.mark.parametrize("encoded", [
    "age_group:adulte;alerte:non;signes:signe-a+signe-b",
    quote("age_group:adulte;alerte:non;signes:signe-a+signe-b", safe=""),
    "age_group:adulte;alerte:non;signes:signe-a%20signe-b;",
])
def test_valid_replay_shows_the_path_and_the_orientation(web_client, mini, encoded, text):
    response = web_client.get(MINI_REPLAY + encoded)
    assert response.status_code == 200
    body = text(response)
    path = body.split("Réponses du parcours", 1)[1].split("Orientation proposée", 1)[0]
    assert AGE_QUESTION.text in path and mini.question("alerte").text in path
    assert "Signe A ; Signe B" in path
    assert mini.outcome("adresser").title in body
    assert "Pourquoi cette orientation" in body


def test_unfinished_replay_shows_the_next_question(web_client, mini, text):
    body = text(web_client.get(MINI_REPLAY + "age_group:adulte;alerte:non"))
    assert "Prochaine question : " + mini.question("signes").text in body
    assert "Orientation proposée" not in body
    empty = text(web_client.get("/formation/parcours/mini"))
    assert "Aucune réponse" in empty and "Prochaine question : " + AGE_QUESTION.text in empty


def test_an_early_emergency_needs_no_more_answers(web_client, mini, text):
    body = text(web_client.get(MINI_REPLAY + "age_group:adulte;alerte:oui"))
    assert mini.outcome("urgent").title in body


@pytest.mark.parametrize("encoded, message", [
    ("age_group:adulte;inconnue:oui", "La question « inconnue » n'existe pas"),
    ("age_group:centenaire", "Réponse refusée pour « age_group »"),
    ("alerte:peut-etre", "Réponse refusée pour « alerte »"),
    ("alerte:Oui", "n'est pas un identifiant"),
    ("alerte:non;alerte:oui", "apparaît deux fois"),
    ("alerte", "mal formé"),
    ("alerte:non:oui", "mal formé"),
    ("alerte:non;signes:signe-a+inconnu", "Réponse refusée pour « signes »"),
    ("alerte:42", "Réponse refusée pour « alerte »"),
    ("age_group:adulte;alerte:oui;signes:signe-a", "hors du parcours"),
    ("M.%20Dupont%20né%20le%2012/03/1961", "mal formé"),
    ("alerte:<script>alert(1)</script>", "mal formé"),
    ("alerte:non;" * 400, "trop long"),
])
def test_tampered_replay_is_a_french_400(web_client, encoded, message, text):
    response = web_client.get(MINI_REPLAY + encoded)
    assert response.status_code == 400
    body = text(response)
    assert "Lien de parcours invalide" in body and message in body
    assert "<script>alert" not in response.get_data(as_text=True)


def test_replay_of_an_unknown_key_is_a_404(web_client):
    assert web_client.get("/formation/parcours/pas-une-cle?r=age_group:adulte").status_code == 404


NUMBER_KEY = """\
id: nombre
title: Clé avec un nombre
system: general
ages: [nourrisson, enfant]
summary: Une clé avec une question numérique bornée.
authored_by: Équipe de test
reviewed_on: 2026-01-01
review_due: 2099-01-01
sources:
  - title: Source de test
    url: https://example.org/source
    year: 2024
questions:
  - id: age-mois
    kind: number
    text: Âge en mois ?
    unit: mois
    min: 0
    max: 216
    integer: true
outcomes:
  - id: petit
    when: {answer: age-mois, lt: 24}
    action: refer
    urgency: rapide
    title: Moins de deux ans
    rationale: Avant deux ans, on adresse.
    filiere: fil-a
    networks: any
    centre_types: [crmr_coordonnateur]
  - id: grand
    default: true
    action: monitor
    urgency: surveillance
    title: Deux ans ou plus
    rationale: Après deux ans, on surveille.
    reevaluate_if: Apparition d'un signe d'alerte.
"""
NUMBER_SCENARIOS = """\
key: nombre
scenarios:
  - id: nombre-petit
    title: Nourrisson de 10 mois
    presentation: Un nourrisson fictif.
    answers: {age_group: nourrisson, age-mois: 10}
    expect: petit
  - id: nombre-grand
    title: Enfant de 5 ans
    presentation: Un enfant fictif.
    answers: {age_group: enfant, age-mois: 60}
    expect: grand
"""


@pytest.fixture()
def number_client(make_rules, make_app):
    rules_dir = make_rules({"keys/nombre.yaml": NUMBER_KEY, "scenarios/nombre.yaml": NUMBER_SCENARIOS})
    return make_app(rules_dir).test_client()


def test_numbers_are_accepted_only_for_number_questions_within_bounds(number_client, text):
    ok = number_client.get("/formation/parcours/nombre?r=age_group:nourrisson;age-mois:10")
    assert ok.status_code == 200 and "Moins de deux ans" in text(ok) and "10 mois" in text(ok)
    assert number_client.get("/formation/parcours/nombre?r=age-mois:60").status_code == 200
    for bad, message in (("age-mois:300", "comprise entre 0 et 216"), ("age-mois:-1", "comprise entre"),
                         ("age-mois:1.5", "entier"), ("age-mois:dix", "doit être un nombre"),
                         ("age-mois:1e3", "doit être un nombre"), ("age-mois:inf", "doit être un nombre"), ("age_group:10", "Réponse refusée")):
        response = number_client.get(f"/formation/parcours/nombre?r={bad}")
        assert response.status_code == 400, bad
        assert message in text(response), bad
    empty = number_client.get("/formation/?urgence=programme")  # no case expects a "programmé" outcome
    assert "0 cas sur 5" in text(empty) and "Aucun cas ne correspond" in text(empty)
    links = hrefs(number_client.get("/formation/cas/nombre-petit"))
    assert "/formation/parcours/nombre?r=age_group:nourrisson;age-mois:10" in links


# --- decision map --------------------------------------------------------------------------------------


def test_map_page_embeds_an_accessible_svg_and_its_text_version(client, rules, text):
    response = client.get("/formation/cle/raynaud/carte")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "carte-raynaud-titre"
    assert root.find("{http://www.w3.org/2000/svg}title").get("id") == "carte-raynaud-titre"
    assert "<?xml" not in page
    body = text(response)
    alternative = body.split("La carte en texte", 1)[1]
    key = rules.keys["raynaud"]
    for question in key.questions:
        assert question.text in alternative
    for outcome in key.outcomes:
        assert outcome.title in alternative
    assert "au moins 2 parmi" in alternative
    assert "/formation/cle/raynaud/carte.svg" in hrefs(response)


def test_map_svg_is_served_as_svg(client):
    response = client.get("/formation/cle/raynaud/carte.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    root = ET.fromstring(response.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")


@pytest.mark.parametrize("url", ["/formation/cle/pas-une-cle/carte", "/formation/cle/pas-une-cle/carte.svg"])
def test_map_of_an_unknown_key_is_a_404(client, url):
    assert client.get(url).status_code == 404


def test_every_key_has_a_map_page(client, rules):
    for key_id in rules.keys:
        assert client.get(f"/formation/cle/{key_id}/carte").status_code == 200, key_id


def test_training_pages_load_nothing_remote(client):
    for url in ("/formation/", f"/formation/cas/{CASE}?etape=5&pourquoi=1", "/formation/cle/raynaud/carte",
                "/formation/cle/raynaud/carte.svg", REPLAY + "age_group:adulte;necrose:oui"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//(?!www\.w3\.org)[^"]*\.(css|js|woff2?|ttf)', page), url
        assert "@import" not in page and "fonts.googleapis" not in page


# --- never a 500 -----------------------------------------------------------------------------------------

TOKENS = st.sampled_from(["age_group", "adulte", "necrose", "crise-renale", "signes-associes", "oui", "non",
                          "nsp", "doigts-boudines", "dyspnee", ":", ";", "+", " ", ",", "1.5", "2A", "é", "%"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.text(max_size=60), st.lists(TOKENS, max_size=14).map("".join)))
def test_any_replay_string_is_200_or_400(client, raw):
    response = client.get(REPLAY + quote(raw, safe=""))
    assert response.status_code in (200, 400), raw
