"""The wizard through Flask's test client: routes, journeys, bad input, security.

Behaviour checks run on the small fixture rules (conftest ``web_rules_dir``: keys ``mini`` and
``autre``); the last section, about the shipped content, runs on rules/.
"""

from __future__ import annotations

import re
import shutil

import pytest

from orient.core import engine
from orient.core.diagnostics import RuleSetError
from orient.core.ruleset import load_or_raise
from orient.services.typography import french
from orient.web import MissingSecretKey, create_app

# --- pages -------------------------------------------------------------------------------------


def test_home_has_three_doors_and_the_keys(client, app, text):
    response = client.get("/")
    assert response.status_code == 200
    body = text(response)
    assert "Par un signe d'appel" in body and "Quand penser à une maladie rare" in body
    assert "Par une maladie connue ou suspectée" in body
    assert "pas un diagnostic" in body
    for key in app.extensions["orient"].keys.values():
        assert f'href="/cle/{key.id}"' in response.get_data(as_text=True)


def test_home_filter_without_javascript(client):
    body = client.get("/?filtre=minimal").get_data(as_text=True)
    assert 'href="/cle/mini"' in body
    assert 'href="/cle/autre"' not in body
    assert "Aucun signe ne correspond" in client.get("/?filtre=zzzzqq").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/aucune-cle", "/accessibilite", "/a-propos", "/cle/mini"])
def test_fixed_pages_are_french(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_no_key_page_lists_resources_and_filieres(client, app, text):
    body = text(client.get("/aucune-cle"))
    assert "Maladies Rares Info Services" in body
    assert body.count("—") >= len(app.extensions["orient"].filieres)


# --- journeys ------------------------------------------------------------------------------------


def test_referral_journey_asks_departement_then_check_page(client, answer, text):
    assert answer(client, "mini", "age_group", "adulte").headers["Location"] == "/cle/mini/q/alerte"
    assert answer(client, "mini", "alerte", "non").headers["Location"] == "/cle/mini/q/signes"
    response = answer(client, "mini", "signes", ["signe-a"])
    assert response.headers["Location"] == "/cle/mini/departement"
    response = client.post("/cle/mini/departement", data={"answer": "69"})
    assert response.headers["Location"] == "/cle/mini/verifier"
    check = text(client.get("/cle/mini/verifier"))
    assert "Vérifier mes réponses" in check and "Modifier" in check and "69 – Rhône" in check
    result = text(client.get("/cle/mini/orientation"))
    assert "Orientation proposée" in result
    assert "ne pose aucun diagnostic" in result
    assert "Rapide" in result and "FIL-B" in result
    assert "Où adresser : centres experts" in result
    assert "Pourquoi cette orientation ?" in result
    assert "Quels signes associés ? — Signe A" in result  # the answer that led there
    assert "Relue le 1er janvier 2026" in result


def test_emergency_goes_straight_to_result_with_samu(client, answer, text):
    answer(client, "mini", "age_group", "adulte")
    # No département, no check page: an emergency goes to emergency care, not to a centre.
    assert answer(client, "mini", "alerte", "oui").headers["Location"] == "/cle/mini/orientation"
    body = text(client.get("/cle/mini/orientation"))
    assert "Urgence" in body and "SAMU – centre 15" in body
    assert "Où adresser : centres experts" not in body


def test_monitor_outcome_does_not_ask_departement(client, answer, text):
    for qid, value in [("age_group", "adulte"), ("alerte", "non")]:
        answer(client, "mini", qid, value)
    response = answer(client, "mini", "signes", [])
    assert response.headers["Location"] == "/cle/mini/verifier"
    body = text(client.get("/cle/mini/orientation"))
    assert "Orientation : Surveillance" in body and "Rien n'oriente vers une maladie rare." in body
    assert "Où adresser : centres experts" not in body


def test_every_fixture_scenario_reaches_its_outcome_in_the_wizard(app, answer, follow_scenario):
    ruleset = app.extensions["orient"]
    assert sum(len(s) for s in ruleset.scenarios.values()) >= 5
    for key_id, scenarios in ruleset.scenarios.items():
        for scenario in scenarios:
            client = app.test_client()
            answers = dict(scenario.answers)
            answer(client, key_id, "age_group", answers.pop("age_group"))
            result = follow_scenario(client, key_id, answers)
            expected = ruleset.keys[key_id].outcome(scenario.expect)
            assert french(expected.title) in result.get_data(as_text=True).replace("&#39;", "'"), scenario.id


def test_age_is_asked_once_across_keys(client, answer):
    answer(client, "mini", "age_group", "adulte")
    assert client.get("/cle/autre/suite").headers["Location"] != "/cle/autre/q/age_group"


def test_back_link_and_changing_an_earlier_answer_drops_later_ones(client, answer):
    answer(client, "mini", "age_group", "adulte")
    answer(client, "mini", "alerte", "non")
    answer(client, "mini", "signes", ["signe-b"])
    page = client.get("/cle/mini/q/signes").get_data(as_text=True)
    assert 'href="/cle/mini/q/alerte"' in page  # the back link
    assert 'value="signe-b" checked' in page  # refresh keeps the answer
    assert 'value="non" checked' in client.get("/cle/mini/q/alerte").get_data(as_text=True)
    answer(client, "mini", "alerte", "oui")  # now an emergency: later answers fall off
    with client.session_transaction() as session:
        assert session["a"] == {"alerte": "oui"}


def test_modify_from_check_page_returns_to_it(client, answer):
    for qid, value in [("age_group", "adulte"), ("alerte", "non"), ("signes", [])]:
        answer(client, "mini", qid, value)
    response = client.post("/cle/mini/q/alerte?retour=verifier", data={"answer": "non"})
    assert response.headers["Location"] == "/cle/mini/verifier"


def test_question_not_yet_reached_redirects_to_current_step(client, answer):
    answer(client, "mini", "age_group", "adulte")
    response = client.get("/cle/mini/q/signes")
    assert response.status_code == 303 and response.headers["Location"] == "/cle/mini/suite"


def test_result_before_the_end_redirects(client):
    assert client.get("/cle/mini/orientation").status_code == 303
    assert client.get("/cle/mini/verifier").status_code == 303


def test_print_view_has_letter_with_blank_identity(client, answer, text):
    answer(client, "mini", "age_group", "adulte")
    answer(client, "mini", "alerte", "oui")
    client.post("/cle/mini/departement", data={"answer": "75"})
    body = text(client.get("/cle/mini/imprimer"))
    assert "Courrier d'adressage" in body
    assert "Patient : ____" in body and "Date de naissance : ____" in body
    assert "Cher confrère, chère consœur" in body
    assert "Paris (75)" in body


def test_restart_clears_everything(client, answer):
    answer(client, "mini", "age_group", "adulte")
    assert client.post("/recommencer").headers["Location"] == "/"
    with client.session_transaction() as session:
        assert "age" not in session


# --- statelessness ------------------------------------------------------------------------------


def test_any_worker_serves_any_step(app, make_app, app_rules, answer):
    """Two app instances with the same secret (two workers) share nothing but the cookie."""
    other = make_app(app_rules, WTF_CSRF_ENABLED=False)
    first = app.test_client()
    answer(first, "mini", "age_group", "adulte")
    answer(first, "mini", "alerte", "oui")
    second = other.test_client()
    second.set_cookie("orient", first.get_cookie("orient").value)
    assert second.get("/cle/mini/suite").headers["Location"] == "/cle/mini/orientation"


# --- bad input ----------------------------------------------------------------------------------


def test_unknown_option_is_a_french_400_and_keeps_answers(client, answer, text):
    answer(client, "mini", "age_group", "adulte")
    response = answer(client, "mini", "alerte", "peut-etre")
    assert response.status_code == 400
    body = text(response)
    assert "Il y a un problème" in body and "ne fait pas partie des choix proposés" in body
    with client.session_transaction() as session:
        assert session["age"] == "adulte"


def test_empty_answer_shows_linked_error_summary(client, answer):
    answer(client, "mini", "age_group", "adulte")
    response = client.post("/cle/mini/q/alerte", data={})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#answer-0"' in page and 'id="answer-0"' in page
    assert "Choisissez une réponse." in page


def test_answer_to_question_off_the_path_is_rejected(client, answer, text):
    answer(client, "mini", "age_group", "adulte")
    response = answer(client, "mini", "signes", ["signe-a"])
    assert response.status_code == 400
    assert "Question hors parcours" in text(response)
    assert 'href="/cle/mini/suite"' in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/cle/inconnue", "/cle/inconnue/q/x", "/cle/mini/q/inconnue", "/nulle-part"])
def test_unknown_key_or_question_is_a_french_404(client, text, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page introuvable" in text(response)


def test_missing_csrf_token_is_a_french_400_and_keeps_answers(csrf_app, text):
    client = csrf_app.test_client()
    page = client.get("/cle/mini/q/age_group").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/cle/mini/q/age_group", data={"answer": "adulte", "csrf_token": token}).status_code == 303
    response = client.post("/cle/mini/q/alerte", data={"answer": "non"})
    assert response.status_code == 400
    assert "Formulaire expiré ou invalide" in text(response)
    assert "Reprendre" in text(response)
    wrong = client.post("/cle/mini/q/alerte", data={"answer": "non", "csrf_token": "faux"})
    assert wrong.status_code == 400
    with client.session_transaction() as session:
        assert session["age"] == "adulte"


def test_forged_session_cookie_is_a_french_400_then_resume_works(client, text):
    client.set_cookie("orient", "eyJhZ2UiOiJhZHVsdGUifQ.forged.signature")
    response = client.get("/cle/mini/q/alerte")
    assert response.status_code == 400
    assert "Session expirée ou invalide" in text(response)
    assert client.get("/cle/mini/suite").headers["Location"] == "/cle/mini/q/age_group"


def test_stale_answers_in_cookie_are_dropped_not_fatal(client):
    with client.session_transaction() as session:
        session.update({"k": "mini", "a": {"alerte": "inconnu", "signes": ["signe-a"], "inconnue": "x"}, "age": "adulte"})
    assert client.get("/cle/mini/suite").headers["Location"] == "/cle/mini/q/alerte"


def test_oversized_body_is_413_in_french(client, text):
    response = client.post("/cle/mini/q/age_group", data={"answer": "x" * 40_000})
    assert response.status_code == 413
    assert "Envoi trop volumineux" in text(response)


def test_out_of_range_departement_is_rejected(client, answer, text):
    answer(client, "mini", "age_group", "adulte")
    answer(client, "mini", "alerte", "oui")
    response = client.post("/cle/mini/departement", data={"answer": "99"})
    assert response.status_code == 400 and "Département inconnu." in text(response)


def test_method_not_allowed_is_french(client, text):
    assert "Méthode non permise" in text(client.put("/"))


# --- security -----------------------------------------------------------------------------------


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url, method, status", [
    ("/", "GET", 200), ("/cle/mini/suite", "GET", 303), ("/nulle-part", "GET", 404),
    ("/recommencer", "GET", 405), ("/sante", "GET", 200), ("/api/v1/cles", "GET", 200),
    ("/static/orient.css", "GET", 200), ("/annuaire/carte.svg", "GET", 200),
])
def test_every_response_carries_each_security_header_once(client, url, method, status):
    response = client.open(url, method=method)
    assert response.status_code == status
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
                 "Permissions-Policy", "Cross-Origin-Opener-Policy"):
        assert len(response.headers.getlist(name)) == 1, name
    cache = response.headers.getlist("Cache-Control")
    if url.startswith("/static/"):
        assert "no-store" not in " ".join(cache)  # static files stay cacheable
    elif url.endswith(".svg"):
        assert cache == ["public, max-age=3600"]  # a view's own choice is kept, not doubled
    else:
        assert cache == ["no-store"]


def test_session_cookie_flags(client, answer):
    response = answer(client, "mini", "age_group", "adulte")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_anywhere(client):
    for url in ["/", "/cle/mini", "/cle/mini/q/age_group", "/aucune-cle"]:
        assert not re.search(r"<script(?![^>]*\bsrc=)", client.get(url).get_data(as_text=True)), url


def test_answers_are_autoescaped(app):
    with app.test_request_context():
        from flask import render_template_string

        assert "<b>" not in render_template_string("{{ v }}", v="<b>x</b>")


# --- start-up -------------------------------------------------------------------------------------


def test_app_refuses_to_start_on_broken_rules(tmp_path, web_rules_dir):
    broken = tmp_path / "rules"
    shutil.copytree(web_rules_dir, broken)
    (broken / "keys" / "mini.yaml").write_text("id: mini\nquestions: [\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        create_app({"SECRET_KEY": "x", "RULES_DIR": str(broken)})
    assert "YAML_SYNTAXE" in info.value.report()


def test_app_refuses_to_start_without_secret_key(monkeypatch, web_rules_dir):
    monkeypatch.delenv("ORIENT_SECRET_KEY", raising=False)
    with pytest.raises(MissingSecretKey, match="ORIENT_SECRET_KEY"):
        create_app({"RULES_DIR": str(web_rules_dir)})


def test_web_layer_uses_the_engine_normaliser(web_rules_dir):
    ruleset = load_or_raise(web_rules_dir)
    question = ruleset.keys["mini"].question("alerte")
    with pytest.raises(engine.InvalidAnswer):
        engine.normalise(question, "peut-etre")


# --- the shipped content (rules/) through the wizard ------------------------------------------------


@pytest.fixture(scope="module")
def shipped_app(make_app, rules_dir):
    return make_app(rules_dir, WTF_CSRF_ENABLED=False)


def test_every_shipped_scenario_reaches_its_outcome_in_the_wizard(shipped_app, answer, follow_scenario):
    ruleset = shipped_app.extensions["orient"]
    for key_id, scenarios in ruleset.scenarios.items():
        for scenario in scenarios:
            client = shipped_app.test_client()
            answers = dict(scenario.answers)
            answer(client, key_id, "age_group", answers.pop("age_group"))
            result = follow_scenario(client, key_id, answers, departement="13")
            expected = ruleset.keys[key_id].outcome(scenario.expect)
            assert french(expected.title) in result.get_data(as_text=True).replace("&#39;", "'"), scenario.id


def test_cookie_stays_small_on_the_longest_shipped_journey(shipped_app, answer, follow_scenario):
    ruleset = shipped_app.extensions["orient"]
    longest = max((s for ss in ruleset.scenarios.values() for s in ss), key=lambda s: len(s.answers))
    key_id = next(k for k, ss in ruleset.scenarios.items() if longest in ss)
    client = shipped_app.test_client()
    answers = dict(longest.answers)
    answer(client, key_id, "age_group", answers.pop("age_group"))
    follow_scenario(client, key_id, answers, departement="13")
    cookie = client.get_cookie("orient")
    assert cookie is not None and len(cookie.value) < 2048


def test_no_field_of_a_shipped_key_asks_for_personal_data(shipped_app):
    """Every question page of every key only has the answer field (and the CSRF token)."""
    client = shipped_app.test_client()
    names = set()
    for key in shipped_app.extensions["orient"].keys.values():
        for question in key.questions:
            with client.session_transaction() as session:
                session.clear()
            page = client.get(f"/cle/{key.id}/q/{question.id}").get_data(as_text=True)
            names |= set(re.findall(r'name="([^"]+)"', page))
    assert names <= {"answer", "csrf_token", "description", "viewport", "q", "filtre"}, names
