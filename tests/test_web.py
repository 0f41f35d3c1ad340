"""The wizard through Flask's test client: routes, journeys, bad input, security."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask

from orient import engine
from orient.diagnostics import RuleSetError
from orient.ruleset import load_or_raise
from orient.web import MissingSecretKey, create_app

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app({"SECRET_KEY": "test", "TESTING": True, "WTF_CSRF_ENABLED": False, "RULES_DIR": str(RULES)})


@pytest.fixture(scope="module")
def csrf_app() -> Flask:
    return create_app({"SECRET_KEY": "test", "TESTING": True, "RULES_DIR": str(RULES)})


@pytest.fixture()
def client(app):
    return app.test_client()


def text(response) -> str:
    plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return html.unescape(plain)


def answer(client, key: str, question: str, value, **kwargs):
    # A multiple-choice page sends "aucun" for "none of these": a blank page is refused.
    data = {"answer": ["aucun"] if value == [] else value}
    data.update(kwargs)
    return client.post(f"/cle/{key}/q/{question}", data=data)


def follow_scenario(client, ruleset, key_id: str, answers: dict, departement: str = "13"):
    """Answer whatever the wizard asks, from a scenario's answers, until the orientation."""
    url = f"/cle/{key_id}/suite"
    for _ in range(40):
        response = client.get(url)
        if response.status_code == 303:
            url = response.headers["Location"]
            continue
        assert response.status_code == 200, (url, response.status_code)
        if url.endswith("/orientation"):
            return response
        if url.endswith("/verifier"):
            url = f"/cle/{key_id}/orientation"
            continue
        if url.endswith("/departement"):
            posted = client.post(url, data={"answer": departement})
        else:
            qid = url.rsplit("/", 1)[1]
            value = answers[qid]
            if isinstance(value, tuple):
                value = list(value) or ["aucun"]  # "none of these" is ticked, never a blank page
            posted = client.post(url, data={"answer": value})
        assert posted.status_code == 303, (url, text(posted)[:400])
        url = posted.headers["Location"]
    raise AssertionError("journey did not end")


# --- pages -------------------------------------------------------------------------------------


def test_home_has_three_doors_and_the_keys(client, app):
    response = client.get("/")
    assert response.status_code == 200
    body = text(response)
    assert "Par un signe d'appel" in body and "Quand penser à une maladie rare" in body
    assert "Par une maladie connue ou suspectée" in body
    assert "pas un diagnostic" in body
    for key in app.extensions["orient"].keys.values():
        if key.id != "quand-penser-maladie-rare":
            assert f'href="/cle/{key.id}"' in response.get_data(as_text=True)


def test_home_filter_without_javascript(client):
    body = client.get("/?filtre=raynaud").get_data(as_text=True)
    assert 'href="/cle/raynaud"' in body
    assert 'href="/cle/fractures-enfant"' not in body
    assert "Aucun signe ne correspond" in client.get("/?filtre=zzzzqq").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/aucune-cle", "/accessibilite", "/a-propos", "/cle/raynaud"])
def test_fixed_pages_are_french(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_no_key_page_lists_resources_and_filieres(client, app):
    body = text(client.get("/aucune-cle"))
    assert "Maladies Rares Info Services" in body
    assert body.count("—") >= len(app.extensions["orient"].filieres)


# --- journeys ------------------------------------------------------------------------------------


def test_referral_journey_asks_departement_then_check_page(client):
    assert answer(client, "raynaud", "age_group", "adulte").headers["Location"] == "/cle/raynaud/q/necrose"
    assert answer(client, "raynaud", "necrose", "non").headers["Location"] == "/cle/raynaud/q/crise-renale"
    assert answer(client, "raynaud", "crise-renale", "non").headers["Location"] == "/cle/raynaud/q/signes-associes"
    response = answer(client, "raynaud", "signes-associes", ["doigts-boudines"])
    assert response.headers["Location"] == "/cle/raynaud/departement"
    response = client.post("/cle/raynaud/departement", data={"answer": "13"})
    assert response.headers["Location"] == "/cle/raynaud/verifier"
    check = text(client.get("/cle/raynaud/verifier"))
    assert "Vérifier mes réponses" in check and "Modifier" in check and "13 – Bouches-du-Rhône" in check
    result = text(client.get("/cle/raynaud/orientation"))
    assert "Orientation proposée" in result
    assert "ne pose aucun diagnostic" in result
    assert "Rapide" in result and "FAI²R" in result
    assert "Où adresser : centres experts" in result
    assert "Pourquoi cette orientation ?" in result
    assert "Doigts gonflés, « boudinés »" in result  # the answer that led there
    assert "Relue le 22 novembre 2026" in result


def test_emergency_goes_straight_to_result_with_samu(client):
    answer(client, "raynaud", "age_group", "adulte")
    # No département, no check page: an emergency goes to emergency care, not to a centre.
    assert answer(client, "raynaud", "necrose", "oui").headers["Location"] == "/cle/raynaud/orientation"
    body = text(client.get("/cle/raynaud/orientation"))
    assert "Urgence" in body and "SAMU – centre 15" in body
    assert "Où adresser : centres experts" not in body


def test_monitor_outcome_does_not_ask_departement(client):
    for qid, value in [("age_group", "adulte"), ("necrose", "non"), ("crise-renale", "non"),
                       ("signes-associes", []), ("bilan-fait", "normal"), ("debut-tardif", "non")]:
        answer(client, "raynaud", qid, value)
    response = answer(client, "raynaud", "atypique", [])
    assert response.headers["Location"] == "/cle/raynaud/verifier"
    body = text(client.get("/cle/raynaud/orientation"))
    assert "Pas d'argument pour une maladie rare" in body
    assert "Où adresser : centres experts" not in body


def test_every_scenario_reaches_its_outcome_in_the_wizard(app):
    ruleset = app.extensions["orient"]
    for key_id, scenarios in ruleset.scenarios.items():
        for scenario in scenarios:
            client = app.test_client()
            answers = dict(scenario.answers)
            answer(client, key_id, "age_group", answers.pop("age_group"))
            result = follow_scenario(client, ruleset, key_id, answers)
            expected = ruleset.keys[key_id].outcome(scenario.expect)
            assert expected.title in result.get_data(as_text=True).replace("&#39;", "'"), scenario.id


def test_age_is_asked_once_across_keys(client):
    answer(client, "raynaud", "age_group", "adulte")
    assert client.get("/cle/fractures-enfant/suite").headers["Location"] != "/cle/fractures-enfant/q/age_group"


def test_back_link_and_changing_an_earlier_answer_drops_later_ones(client):
    answer(client, "raynaud", "age_group", "adulte")
    answer(client, "raynaud", "necrose", "non")
    answer(client, "raynaud", "crise-renale", "non")
    page = client.get("/cle/raynaud/q/crise-renale").get_data(as_text=True)
    assert 'href="/cle/raynaud/q/necrose"' in page  # the back link
    assert 'value="non" checked' in page  # refresh keeps the answer
    answer(client, "raynaud", "necrose", "oui")  # now an emergency: later answers fall off
    with client.session_transaction() as session:
        assert session["a"] == {"necrose": "oui"}


def test_modify_from_check_page_returns_to_it(client):
    for qid, value in [("age_group", "adulte"), ("necrose", "non"), ("crise-renale", "non"),
                       ("signes-associes", []), ("bilan-fait", "normal"), ("debut-tardif", "non"), ("atypique", [])]:
        answer(client, "raynaud", qid, value)
    response = client.post("/cle/raynaud/q/debut-tardif?retour=verifier", data={"answer": "non"})
    assert response.headers["Location"] == "/cle/raynaud/verifier"


def test_question_not_yet_reached_redirects_to_current_step(client):
    answer(client, "raynaud", "age_group", "adulte")
    response = client.get("/cle/raynaud/q/atypique")
    assert response.status_code == 303 and response.headers["Location"] == "/cle/raynaud/suite"


def test_result_before_the_end_redirects(client):
    assert client.get("/cle/raynaud/orientation").status_code == 303
    assert client.get("/cle/raynaud/verifier").status_code == 303


def test_print_view_has_letter_with_blank_identity(client):
    answer(client, "raynaud", "age_group", "adulte")
    answer(client, "raynaud", "necrose", "oui")
    client.post("/cle/raynaud/departement", data={"answer": "75"})
    body = text(client.get("/cle/raynaud/imprimer"))
    assert "Projet de courrier d'adressage" in body
    assert "Patient(e) : ____" in body
    assert "Paris (75)" in body


def test_restart_clears_everything(client):
    answer(client, "raynaud", "age_group", "adulte")
    assert client.post("/recommencer").headers["Location"] == "/"
    with client.session_transaction() as session:
        assert "age" not in session


# --- statelessness ------------------------------------------------------------------------------


def test_cookie_stays_small_on_the_longest_journey(app):
    ruleset = app.extensions["orient"]
    longest = max((s for ss in ruleset.scenarios.values() for s in ss), key=lambda s: len(s.answers))
    key_id = next(k for k, ss in ruleset.scenarios.items() if longest in ss)
    client = app.test_client()
    answers = dict(longest.answers)
    answer(client, key_id, "age_group", answers.pop("age_group"))
    follow_scenario(client, ruleset, key_id, answers)
    cookie = client.get_cookie("orient")
    assert cookie is not None and len(cookie.value) < 2048


def test_any_worker_serves_any_step(app):
    """Two app instances with the same secret (two workers) share nothing but the cookie."""
    other = create_app({"SECRET_KEY": "test", "TESTING": True, "WTF_CSRF_ENABLED": False, "RULES_DIR": str(RULES)})
    first = app.test_client()
    answer(first, "raynaud", "age_group", "adulte")
    answer(first, "raynaud", "necrose", "oui")
    second = other.test_client()
    second.set_cookie("orient", first.get_cookie("orient").value)
    assert second.get("/cle/raynaud/suite").headers["Location"] == "/cle/raynaud/orientation"


# --- bad input ----------------------------------------------------------------------------------


def test_unknown_option_is_a_french_400_and_keeps_answers(client):
    answer(client, "raynaud", "age_group", "adulte")
    response = answer(client, "raynaud", "necrose", "peut-etre")
    assert response.status_code == 400
    body = text(response)
    assert "Il y a un problème" in body and "ne fait pas partie des choix proposés" in body
    with client.session_transaction() as session:
        assert session["age"] == "adulte"


def test_empty_answer_shows_linked_error_summary(client):
    answer(client, "raynaud", "age_group", "adulte")
    response = client.post("/cle/raynaud/q/necrose", data={})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#answer-0"' in page and 'id="answer-0"' in page
    assert "Choisissez une réponse." in page


def test_answer_to_question_off_the_path_is_rejected(client):
    answer(client, "raynaud", "age_group", "adulte")
    response = answer(client, "raynaud", "atypique", ["pouces"])
    assert response.status_code == 400
    assert "Question hors parcours" in text(response)
    assert 'href="/cle/raynaud/suite"' in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/cle/inconnue", "/cle/inconnue/q/x", "/cle/raynaud/q/inconnue", "/nulle-part"])
def test_unknown_key_or_question_is_a_french_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page introuvable" in text(response)


def test_missing_csrf_token_is_a_french_400_and_keeps_answers(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/cle/raynaud/q/age_group").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/cle/raynaud/q/age_group", data={"answer": "adulte", "csrf_token": token}).status_code == 303
    response = client.post("/cle/raynaud/q/necrose", data={"answer": "non"})
    assert response.status_code == 400
    assert "Formulaire expiré ou invalide" in text(response)
    assert "Reprendre" in text(response)
    wrong = client.post("/cle/raynaud/q/necrose", data={"answer": "non", "csrf_token": "faux"})
    assert wrong.status_code == 400
    with client.session_transaction() as session:
        assert session["age"] == "adulte"


def test_forged_session_cookie_is_a_french_400_then_resume_works(client):
    client.set_cookie("orient", "eyJhZ2UiOiJhZHVsdGUifQ.forged.signature")
    response = client.get("/cle/raynaud/q/necrose")
    assert response.status_code == 400
    assert "Session expirée ou invalide" in text(response)
    assert client.get("/cle/raynaud/suite").headers["Location"] == "/cle/raynaud/q/age_group"


def test_stale_answers_in_cookie_are_dropped_not_fatal(client):
    with client.session_transaction() as session:
        session.update({"k": "raynaud", "a": {"necrose": "inconnu", "crise-renale": "non", "inconnue": "x"}, "age": "adulte"})
    assert client.get("/cle/raynaud/suite").headers["Location"] == "/cle/raynaud/q/necrose"


def test_oversized_body_is_413_in_french(client):
    response = client.post("/cle/raynaud/q/age_group", data={"answer": "x" * 40_000})
    assert response.status_code == 413
    assert "Envoi trop volumineux" in text(response)


def test_out_of_range_departement_is_rejected(client):
    answer(client, "raynaud", "age_group", "adulte")
    answer(client, "raynaud", "necrose", "oui")
    response = client.post("/cle/raynaud/departement", data={"answer": "99"})
    assert response.status_code == 400 and "Département inconnu." in text(response)


def test_method_not_allowed_is_french(client):
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
    ("/", "GET", 200), ("/cle/raynaud/suite", "GET", 303), ("/nulle-part", "GET", 404),
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


def test_session_cookie_flags(client):
    response = answer(client, "raynaud", "age_group", "adulte")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_anywhere(client):
    for url in ["/", "/cle/raynaud", "/cle/raynaud/q/age_group", "/aucune-cle"]:
        assert not re.search(r"<script(?![^>]*\bsrc=)", client.get(url).get_data(as_text=True)), url


def test_no_field_asks_for_personal_data(app):
    """Every question page of every key only has the answer field (and the CSRF token)."""
    client = app.test_client()
    names = set()
    for key in app.extensions["orient"].keys.values():
        for question in key.questions:
            with client.session_transaction() as session:
                session.clear()
            page = client.get(f"/cle/{key.id}/q/{question.id}").get_data(as_text=True)
            names |= set(re.findall(r'name="([^"]+)"', page))
    assert names <= {"answer", "csrf_token", "description", "viewport", "q", "filtre"}, names


def test_answers_are_autoescaped(app):
    with app.test_request_context():
        from flask import render_template_string

        assert "<b>" not in render_template_string("{{ v }}", v="<b>x</b>")


# --- start-up -------------------------------------------------------------------------------------


def test_app_refuses_to_start_on_broken_rules(tmp_path):
    broken = tmp_path / "rules"
    shutil.copytree(RULES, broken)
    (broken / "keys" / "raynaud.yaml").write_text("id: raynaud\nquestions: [\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        create_app({"SECRET_KEY": "x", "RULES_DIR": str(broken)})
    assert "YAML_SYNTAXE" in info.value.report()


def test_app_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("ORIENT_SECRET_KEY", raising=False)
    with pytest.raises(MissingSecretKey, match="ORIENT_SECRET_KEY"):
        create_app({"RULES_DIR": str(RULES)})


def test_web_layer_uses_the_engine_normaliser():
    ruleset = load_or_raise(RULES)
    question = ruleset.keys["raynaud"].question("necrose")
    with pytest.raises(engine.InvalidAnswer):
        engine.normalise(question, "peut-etre")
