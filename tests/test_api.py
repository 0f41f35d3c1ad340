"""The open JSON API (/api/v1): shapes, same answers as the wizard, JSON errors, OpenAPI in
sync with the routes, and a bounded schemathesis run (zero server errors)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from orient.core import engine
from orient.services.directory import directory_for
from orient.services.orientation import compose
from orient.web import create_app

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


# Built at import: schemathesis's eager loader needs it to generate the test cases (its lazy
# ``from_fixture`` loader does not work with pytest 9). CSRF is left on: the API blueprint
# must be exempt by itself.
API_APP = create_app({"SECRET_KEY": "test", "TESTING": True, "RULES_DIR": str(RULES)})


@pytest.fixture(scope="module")
def app() -> Flask:
    """Served by the conftest ``client``. These tests read the shipped rules/ (Raynaud's key,
    every shipped scenario, the directory and disease search) like the schemathesis run."""
    return API_APP


@pytest.fixture(scope="module")
def rs(app):
    return app.extensions["orient"]


def evaluate(client, key_id: str, body):
    return client.post(f"/api/v1/cles/{key_id}/evaluer", json=body)


def error_code(response) -> str:
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    return response.get_json()["error"]["code"]


def scenario_cases(ruleset):
    return [(key_id, s) for key_id, scenarios in sorted(ruleset.scenarios.items()) for s in scenarios]


def _api_answers(answers: dict) -> dict:
    return {q: list(v) if isinstance(v, tuple) else v for q, v in answers.items()}


# --- keys ------------------------------------------------------------------------------------


def test_list_keys_gives_ids_titles_systems_ages_and_filieres(client, rs):
    response = client.get("/api/v1/cles")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert data["rules_version"] == rs.version
    assert [k["id"] for k in data["keys"]] == list(rs.keys)
    raynaud = next(k for k in data["keys"] if k["id"] == "raynaud")
    assert raynaud["title"] == "Phénomène de Raynaud"
    assert raynaud["system"] == "vasculaire" and raynaud["ages"] == list(rs.keys["raynaud"].ages)
    assert {"id": "fai2r"}.items() <= raynaud["filieres"][0].items()
    assert raynaud["url"] == "/api/v1/cles/raynaud"


def test_accents_are_sent_as_utf8_not_escaped(client):
    assert "Phénomène" in client.get("/api/v1/cles/raynaud").get_data(as_text=True)


def test_key_detail_gives_questions_as_data(client, rs):
    data = client.get("/api/v1/cles/raynaud").get_json()
    key = rs.keys["raynaud"]
    assert [q["id"] for q in data["questions"]] == ["age_group", *(q.id for q in key.questions)]
    by_id = {q["id"]: q for q in data["questions"]}
    assert [o["id"] for o in by_id["necrose"]["options"]] == ["oui", "non", "nsp"]
    assert by_id["signes-associes"]["kind"] == "multiple"
    assert "peau-epaissie" in [o["id"] for o in by_id["signes-associes"]["options"]]
    assert data["reviewed_on"] == key.reviewed_on.isoformat() and data["review_due"] == key.review_due.isoformat()
    assert data["sources"][0]["url"].startswith("https://")
    ischemie = next(o for o in data["outcomes"] if o["id"] == "ischemie-digitale")
    assert ischemie == {
        "id": "ischemie-digitale", "title": key.outcome("ischemie-digitale").title, "action": "emergency",
        "urgency": "urgence", "filiere": "fai2r", "default": False, "when": {"answer": "necrose", "is": "oui"}}
    assert data["outcomes"][-1]["default"] is True


def test_ask_when_is_exported_as_structured_data(client, rs):
    key_id, question = next((k.id, q) for k in rs.keys.values() for q in k.questions if q.ask_when is not None)
    data = client.get(f"/api/v1/cles/{key_id}").get_json()
    exported = next(q for q in data["questions"] if q["id"] == question.id)
    assert exported["ask_when"] == question.ask_when.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_unknown_key_is_a_json_404_with_a_suggestion(client):
    response = client.get("/api/v1/cles/raynau")
    assert response.status_code == 404 and error_code(response) == "CLE_INCONNUE"
    assert "raynaud" in response.get_json()["error"]["message"]
    for url in ("/api/v1/cles/nope/fhir",):
        assert client.get(url).status_code == 404
    assert error_code(evaluate(client, "nope", {})) == "CLE_INCONNUE"


# --- evaluation of the shipped keys and scenarios (rules/) --------------------------------------


def test_next_question_then_orientation(client):
    data = evaluate(client, "raynaud", {"age_group": "adulte"}).get_json()
    assert data["status"] == "question" and data["question"]["id"] == "necrose"
    assert data["path"] == [{"question": "age_group", "text": "Quel âge a le patient ?", "value": "adulte",
                             "answer": "Adulte (18 ans et plus)"}]
    data = evaluate(client, "raynaud", {"age_group": "adulte", "answers": {"necrose": "oui"},
                                        "departement": "13"}).get_json()
    assert data["status"] == "orientation"
    o = data["orientation"]
    assert o["outcome"]["id"] == "ischemie-digitale" and o["outcome"]["urgency"] == "urgence"
    assert o["outcome"]["do_now"] and o["outcome"]["tests"]
    assert o["filiere"]["id"] == "fai2r"  # shown as what comes next
    # An emergency goes to emergency care: a route, no expert centre.
    assert o["centres"] == [] and o["outcome"]["emergency_route"]
    assert all(r["kind"] == "urgence" for r in o["outcome"]["emergency_route"])
    necrose = next(a for a in o["answers"] if a["question"] == "necrose")
    assert o["explanation"]["because"] == [{"question": "necrose", "text": necrose["text"], "answer": "Oui"}]
    assert o["departement"] == "13" and "Bouches-du-Rhône" in o["departement_label"]
    assert o["emergency_resource"] is not None
    assert o["pnds"][0]["id"] == "sclerodermie-systemique"
    assert data["path"][-1]["question"] == "necrose"


def test_ruled_out_outcomes_carry_ids_and_described_answers(client):
    body = {"age_group": "adulte", "answers": {"necrose": "non", "crise-renale": "non", "signes-associes": [],
                                               "bilan-fait": "nsp", "debut-tardif": "oui"}}
    o = evaluate(client, "raynaud", body).get_json()["orientation"]
    ruled = {r["outcome"]: r for r in o["explanation"]["ruled_out"]}
    assert "ischemie-digitale" in ruled
    assert ruled["ischemie-digitale"]["because"] == [
        {"question": "necrose", "text": ruled["ischemie-digitale"]["because"][0]["text"], "answer": "Non"}]
    assert o["departement"] is None and "nationale" in o["centres_scope"]


def test_every_scenario_gives_the_same_orientation_as_the_engine(client, rs):
    cases = scenario_cases(rs)
    assert cases
    for key_id, scenario in cases:
        response = evaluate(client, key_id, {"answers": _api_answers(scenario.answers), "departement": "69"})
        assert response.status_code == 200, (scenario.id, response.get_data(as_text=True)[:300])
        data = response.get_json()
        assert data["status"] == "orientation", scenario.id
        assert data["orientation"]["outcome"]["id"] == scenario.expect, scenario.id
        # Same composition as the result page.
        key = rs.keys[key_id]
        typed = {q: engine.normalise(key.question(q), list(v) if isinstance(v, tuple) else v, rs.departements)
                 for q, v in scenario.answers.items()}
        expected = compose(rs, engine.walk(key, typed), scenario.answers.get("age_group"), "69")
        assert [c["id"] for c in data["orientation"]["centres"]] == [s.centre.id for s in expected.centres]
        assert data["orientation"]["rules_version"] == rs.version


# --- evaluation behaviour, on the small fixture rules (conftest ``web_rules_dir``: key mini) --------


@pytest.fixture(scope="module")
def web_client(make_app, web_rules_dir):
    return make_app(web_rules_dir).test_client()  # CSRF on: the API blueprint must be exempt by itself


def test_age_group_is_asked_first(web_client):
    data = evaluate(web_client, "mini", {}).get_json()
    assert data["status"] == "question" and data["question"]["id"] == "age_group"
    assert [o["id"] for o in data["question"]["options"]][-1] == "adulte"


def test_age_group_may_also_travel_in_answers(web_client):
    a = evaluate(web_client, "mini", {"answers": {"age_group": "adulte", "alerte": "oui"}}).get_json()
    assert a["status"] == "orientation"
    conflict = evaluate(web_client, "mini", {"age_group": "enfant", "answers": {"age_group": "adulte"}})
    assert conflict.status_code == 400 and error_code(conflict) == "REQUETE_INVALIDE"


def test_answers_off_the_path_are_reported_as_dropped(web_client):
    data = evaluate(web_client, "mini", {"age_group": "adulte", "answers": {
        "alerte": "oui", "signes": ["signe-b"], "dep": "69"}}).get_json()
    assert data["status"] == "orientation"
    assert sorted(data["dropped"]) == ["dep", "signes"]


@pytest.mark.parametrize("body, code, question", [
    ({"age_group": "adulte", "answers": {"alerte": "peut-etre"}}, "REPONSE_INVALIDE", "alerte"),
    ({"age_group": "adulte", "answers": {"signes": ["inconnu"]}}, "REPONSE_INVALIDE", "signes"),
    ({"age_group": "adulte", "answers": {"alerte": True}}, "REPONSE_INVALIDE", "alerte"),
    ({"age_group": "adulte", "answers": {"alerte": {"x": 1}}}, "REPONSE_INVALIDE", "alerte"),
    ({"age_group": "adulte", "answers": {"alerrte": "oui"}}, "QUESTION_INCONNUE", "alerrte"),
    ({"age_group": "vieillard"}, "REPONSE_INVALIDE", "age_group"),
    ({"age_group": "adulte", "departement": "99"}, "REPONSE_INVALIDE", "departement"),
    ({"age_group": "adulte", "departement": 75}, "REPONSE_INVALIDE", "departement"),
    ({"age_group": "adulte", "reponses": {}}, "REQUETE_INVALIDE", None),
    ({"age_group": "adulte", "answers": ["alerte"]}, "REQUETE_INVALIDE", None),
])
def test_invalid_evaluations_are_400_with_stable_codes(web_client, body, code, question):
    response = evaluate(web_client, "mini", body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert error.get("question") == question


@pytest.mark.parametrize("body, code, question, starts", [
    # An unknown field comes first, even beside two different age groups.
    ({"x": 1, "age_group": "enfant", "answers": {"age_group": "adulte"}}, "REQUETE_INVALIDE", None, "Champ inconnu"),
    ({"answers": [], "age_group": "vieillard"}, "REQUETE_INVALIDE", None, "« answers »"),
    ({"age_group": "vieillard", "departement": "99"}, "REPONSE_INVALIDE", "age_group", "Tranche d'âge"),
    ({"age_group": "adulte", "departement": "99", "answers": {"alerrte": "oui"}}, "REPONSE_INVALIDE", "departement",
     "Département inconnu"),
    # Answers one by one, in the order sent: the first faulty one is named, whatever its fault.
    ({"answers": {"alerrte": "oui", "alerte": True}}, "QUESTION_INCONNUE", "alerrte", "Question « alerrte »"),
    ({"answers": {"alerte": True, "alerrte": "oui"}}, "REPONSE_INVALIDE", "alerte", "Réponse illisible"),
    ({"answers": {"alerte": "peut-etre", "alerrte": "oui"}}, "REPONSE_INVALIDE", "alerte", ""),
])
def test_the_first_refusal_a_client_should_fix_is_the_one_answered(web_client, body, code, question, starts):
    # Sent as written (the test client's json= would sort the keys, and the order is the point).
    response = web_client.post("/api/v1/cles/mini/evaluer", data=json.dumps(body), content_type="application/json")
    error = response.get_json()["error"]
    assert (error["code"], error.get("question")) == (code, question)
    assert error["message"].startswith(starts)


def test_unknown_question_suggests_the_close_one(web_client):
    error = evaluate(web_client, "mini", {"answers": {"alerrte": "oui"}}).get_json()["error"]
    assert "alerte" in error["message"]


def test_malformed_bodies_are_json_errors_not_500(web_client):
    client = web_client
    url = "/api/v1/cles/mini/evaluer"
    cases = [
        (client.post(url, data="{pas du json", content_type="application/json"), 400, "REQUETE_INVALIDE"),
        (client.post(url, json=[1, 2]), 400, "REQUETE_INVALIDE"),
        (client.post(url, data="[" * 7000 + "]" * 7000, content_type="application/json"), 400, "REQUETE_INVALIDE"),
        (client.post(url, data="age_group=adulte"), 415, "TYPE_NON_PRIS_EN_CHARGE"),
        (client.post(url), 415, "TYPE_NON_PRIS_EN_CHARGE"),
        (client.post(url, data="x" * 20_000, content_type="application/json"), 413, "REQUETE_TROP_VOLUMINEUSE"),
    ]
    for response, status, code in cases:
        assert (response.status_code, error_code(response)) == (status, code)


NUMBER_KEY = """\
id: nombre
title: Clé de test avec un nombre
system: general
ages: [nourrisson, enfant]
summary: Une clé de test qui demande un âge en mois.
authored_by: Équipe de test
reviewed_on: 2026-01-01
review_due: 2099-01-01
sources:
  - {title: Source de test, url: "https://example.org/source", year: 2024}
questions:
  - id: age-mois
    kind: number
    text: Quel âge en mois ?
    unit: mois
    min: 0
    max: 240
    integer: true
outcomes:
  - id: tres-jeune
    when: {answer: age-mois, lt: 1}
    action: emergency
    urgency: urgence
    title: Très jeune
    rationale: Moins d'un mois.
    filiere: fil-a
    emergency_route: [samu]
    red_flag: {check: Vérifier l'âge sur le carnet., if_unchecked: Avis le jour même.}
  - id: surveiller
    default: true
    action: monitor
    urgency: surveillance
    title: Surveillance
    rationale: Rien de particulier.
    reevaluate_if: Si un signe apparaît.
"""


@pytest.mark.parametrize("raw, ok", [
    ("0", True), ("\"0\"", True), ("3", True), ("2.5", False), ("-1", False), ("241", False), ("9" * 400, False),
    ("1e400", False), ("NaN", False), ("Infinity", False), ("\"douze\"", False), ("[]", False), ("null", False),
])
def test_number_answers_are_checked_and_never_crash(make_rules, make_app, raw, ok):
    app = make_app(make_rules({"keys/nombre.yaml": NUMBER_KEY}))
    body = '{"age_group": "enfant", "departement": "75", "answers": {"age-mois": ' + raw + "}}"
    response = app.test_client().post("/api/v1/cles/nombre/evaluer", data=body, content_type="application/json")
    if ok:
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["status"] == "orientation"
    else:
        assert response.status_code == 400 and error_code(response) == "REPONSE_INVALIDE"
        assert response.get_json()["error"]["question"] == "age-mois"


def test_routing_errors_under_the_api_are_json(client):
    missing = client.get("/api/v1/inexistant")
    assert missing.status_code == 404 and error_code(missing) == "NON_TROUVE"
    wrong = client.get("/api/v1/cles/raynaud/evaluer")
    assert wrong.status_code == 405 and error_code(wrong) == "METHODE_NON_PERMISE"
    assert "POST" in wrong.headers["Allow"]
    assert client.delete("/api/v1/cles").status_code == 405
    # The rest of the site keeps its HTML error pages.
    page = client.get("/inexistant")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_api_sets_no_cookie_and_no_cors_header(client):
    client.set_cookie("orient", "quelque-chose")
    responses = [
        client.get("/api/v1/cles"),
        client.get("/api/v1/cles/raynaud"),
        evaluate(client, "raynaud", {"age_group": "adulte", "answers": {"necrose": "oui"}}),
        evaluate(client, "raynaud", {"age_group": "x"}),
        client.get("/api/v1/inexistant"),
        client.options("/api/v1/cles", headers={"Origin": "https://ailleurs.example"}),
        client.get("/api/v1/cles/raynaud/fhir"),
    ]
    for response in responses:
        assert "Set-Cookie" not in response.headers
        assert not [h for h in response.headers.keys() if h.lower().startswith("access-control-")]  # noqa: SIM118
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_nothing_about_the_patient_is_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    body = {"age_group": "nourrisson", "answers": {"necrose": "oui"}, "departement": "2A"}
    evaluate(client, "raynaud", body)
    evaluate(client, "raynaud", {"age_group": "nourrisson", "answers": {"necrose": "zzz-secret"}})
    logged = " ".join(r.getMessage() for r in caplog.records)
    for secret in ("nourrisson", "2A", "zzz-secret", "necrose"):
        assert secret not in logged


# --- directory and diseases ------------------------------------------------------------------


def test_directory_filters_like_the_directory_pages(client, rs):
    filiere = next(iter(rs.filieres))
    data = client.get(f"/api/v1/annuaire?filiere={filiere}&age=enfant").get_json()
    expected = directory_for(rs).sites(filiere, age_group="enfant")
    assert [c["id"] for c in data["centres"]] == [c.id for c in expected]
    assert data["count"] == len(expected) and data["total"] == len(rs.centres)
    assert data["filters"]["filiere"] == filiere and data["filters"]["age"] == "enfant"
    everything = client.get("/api/v1/annuaire").get_json()
    assert everything["count"] == len(rs.centres)
    centre = everything["centres"][0]
    assert {"id", "name", "city", "departement", "type", "population", "phone", "distance_km"} <= set(centre)


@pytest.mark.parametrize("query", ["filiere=zz", "region=99", "departement=20", "type=chu", "age=vieux",
                                   "filère=fai2r", "filiere=fai2r&filiere=fai2r", "age=&age=adulte"])
def test_directory_rejects_unknown_values_and_parameters(client, query):
    response = client.get(f"/api/v1/annuaire?{query}")
    assert response.status_code == 400 and error_code(response) == "REQUETE_INVALIDE"


def test_disease_search(client):
    data = client.get("/api/v1/maladies?q=marphan").get_json()
    assert data["results"][0]["pnds"]["id"] == "marfan"
    assert data["results"][0]["page"] == "/maladies/marfan"
    assert client.get("/api/v1/maladies?q=marfan&limit=1").get_json()["count"] == 1


@pytest.mark.parametrize("query", ["", "q=", "q=a", "q=" + "x" * 101, "q=%3Cscript%3E", "q=marfan&limit=0",
                                   "q=marfan&limit=x", "q=marfan&page=2", "q=marfan&limit=",
                                   "q=marfan&limit=%C2%B2", "q=marfan&limit=" + "9" * 5000, "q=marfan&limit=5&limit=6", "q=marfan&q=steinert"])
def test_disease_search_errors(client, query):
    response = client.get(f"/api/v1/maladies?{query}")
    assert response.status_code == 400 and error_code(response) == "REQUETE_INVALIDE"


# --- OpenAPI ---------------------------------------------------------------------------------


def _flask_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_openapi_documents_exactly_the_api_routes(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, item in doc["paths"].items() for method in item}
    routed = {(_flask_to_openapi(rule.rule), method) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1") for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed, "no /api/v1 route registered"
    assert routed - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "documented paths that do not exist"


def test_openapi_schemas_are_the_models_with_the_served_rules_enumerations(web_client):
    """The components are generated from the models the views validate and serialise with; the
    départements, filières and regions are the served rule set's (here the small fixture rules)."""
    from orient.web.api import models

    rs = web_client.application.extensions["orient"]
    schemas = web_client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for model in (*models.REQUESTS, *models.RESPONSES):
        assert model.__name__ in schemas
    deps = [d.code for d in rs.departements_in_order]
    assert schemas["EvaluationRequest"]["properties"]["departement"]["anyOf"][0]["enum"] == [*deps, "nsp"]
    filters = schemas["DirectoryFilters"]["properties"]
    assert filters["filiere"]["anyOf"][0]["enum"] == sorted(rs.filieres)
    assert filters["departement"]["anyOf"][0]["enum"] == deps
    assert "x-orient-enum" not in str(schemas)


def test_openapi_document_is_valid_openapi_3_1(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(doc)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(item) for item in doc["paths"].values())


# --- schemathesis ------------------------------------------------------------------------------


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", API_APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
def test_api_never_answers_with_a_server_error(case):
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
