"""FHIR R4 SDC export: every shipped key's Questionnaire and sample QuestionnaireResponses
validate against the FHIR resource model (fhir.resources, R4B classes: the Questionnaire
resources are unchanged from R4), enableWhen / enableWhenExpression mean what ask_when
means, and responses read back to the same orientation."""

from __future__ import annotations

import json
import operator
import random
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhirpathpy import evaluate as fhirpath_evaluate
from fhirpathpy.models import models as fhirpath_models

from orient.authoring.cli import main
from orient.core import engine
from orient.core.consultation import Consultation
from orient.core.model import AGE_QUESTION_ID
from orient.core.ruleset import load_or_raise
from orient.exports import fhir

# Codes of the FHIR R4 required bindings, which fhir.resources does not check.
ITEM_TYPES = {"group", "display", "boolean", "decimal", "integer", "date", "dateTime", "time", "string", "text",
              "url", "choice", "open-choice", "attachment", "reference", "quantity"}
OPERATORS = {"exists", "=", "!=", ">", "<", ">=", "<="}
COMPARE = {"=": operator.eq, ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}

# A tiny key exercising what the shipped keys do not: numbers (integer and decimal, with
# bounds and units), a département question, not / at_least / nested conditions.
NUMBER_KEY = """\
id: nombre
title: Clé de test avec des nombres
system: general
ages: [nourrisson, enfant, adulte]
summary: Une clé de test avec un âge en mois, un poids et des conditions composées.
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
  - id: poids
    kind: number
    text: Quel poids ?
    hint: En kilogrammes, avec une décimale si besoin.
    unit: kg
    min: 0.5
    max: 150
    ask_when: {answer: age-mois, ge: 1, lt: 24}
  - id: signes
    kind: multiple
    text: Quels signes ?
    options:
      - {id: a, label: Signe A}
      - {id: b, label: Signe B}
      - {id: c, label: Signe C}
  - id: precision
    kind: yes_no
    text: Les signes sont-ils confirmés ?
    ask_when:
      at_least: 2
      of:
        - {answer: signes, includes: a}
        - {answer: signes, includes: b}
        - {answer: signes, includes: c}
  - id: autre
    kind: single
    text: Autre élément ?
    options: [{id: x, label: Élément X}, {id: y, label: Élément Y}, {id: nsp, label: Je ne sais pas}]
    ask_when: {not: {answer: precision, is: oui}}
  - id: lieu
    kind: departement
    text: Où le patient a-t-il vécu enfant ?
    ask_when:
      any:
        - {answer: autre, is: x}
        - all:
            - {answer: signes, includes: a}
            - {answer: age-mois, gt: 12}
  - id: mixte
    kind: yes_no
    text: Un signe A ou B avec un poids faible ?
    ask_when:
      all:
        - {answer: signes, includes_any: [a, b]}
        - {answer: poids, le: 4.5}
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
  - id: leger
    when: {any: [{answer: poids, lt: 3}, {answer: mixte, is: oui}]}
    action: refer
    urgency: rapide
    title: Poids faible
    rationale: Un poids faible.
    filiere: fil-b
    networks: any
    centre_types: [ccmr]
  - id: confirme
    when: {all: [{answer: precision, is: oui}, {answer: lieu, in: ["69", "92"]}]}
    action: refer
    urgency: rapide
    title: Signes confirmés
    rationale: Des signes confirmés.
    filiere: fil-b
    networks: any
    centre_types: [ccmr]
  - id: autre-x
    when: {any: [{answer: autre, is: x}, {answer: lieu, is: "75"}]}
    action: test_then_refer
    urgency: programme
    title: Élément X
    rationale: Un élément X.
    tests: [Un examen de test]
    refer_if: Si l'examen est anormal.
    filiere: fil-a
    networks: any
    centre_types: [crmr_coordonnateur]
  - id: surveiller
    default: true
    action: monitor
    urgency: surveillance
    title: Surveillance
    rationale: Rien de particulier.
    reevaluate_if: Si un signe apparaît.
"""


@pytest.fixture()
def number_rules(make_rules):
    """The tiny base rule set of tests/fixtures/base/ plus the key above."""
    return load_or_raise(make_rules({"keys/nombre.yaml": NUMBER_KEY}))


def _items(resource: dict):
    for item in resource.get("item", ()):
        yield item
        yield from _items(item)


def check_questionnaire(resource: dict) -> Questionnaire:
    """Validate with fhir.resources, then what it leaves out: required bindings and the
    Questionnaire invariants orient relies on."""
    model = Questionnaire.model_validate(resource)
    link_ids = [item["linkId"] for item in _items(resource)]
    assert len(link_ids) == len(set(link_ids)), "que-2: linkIds must be unique"
    assert resource["status"] in {"draft", "active", "retired", "unknown"}
    seen: set[str] = set()
    for item in _items(resource):
        assert item["type"] in ITEM_TYPES
        if item["type"] == "display":
            assert "answerOption" not in item and "required" not in item and "repeats" not in item  # que-9, que-6
        if "answerOption" in item:
            assert item["type"] in {"choice", "open-choice"}  # que-5
            codes = [o["valueCoding"]["code"] for o in item["answerOption"]]
            assert len(codes) == len(set(codes))
        entries = item.get("enableWhen", [])
        if len(entries) > 1:
            assert item["enableBehavior"] in {"all", "any"}  # que-12
        for entry in entries:
            assert entry["operator"] in OPERATORS
            assert entry["question"] in seen, "enableWhen refers to an earlier item"
        expressions = [e for e in item.get("extension", []) if e["url"] == fhir.EXT_ENABLE_WHEN_EXPRESSION]
        assert not (expressions and entries), "enableWhen and enableWhenExpression are exclusive"
        seen.add(item["linkId"])
    return model


def check_response(resource: dict, questionnaire: dict) -> QuestionnaireResponse:
    model = QuestionnaireResponse.model_validate(resource)
    assert resource["status"] in {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
    assert resource["questionnaire"] == questionnaire["url"]
    options = {item["linkId"]: item for item in _items(questionnaire)}
    for item in resource["item"]:
        declared = options[item["linkId"]]
        assert item["answer"], "an item in a response carries its answer"
        if declared["type"] == "choice":
            codes = {o["valueCoding"]["code"] for o in declared["answerOption"]}
            assert {a["valueCoding"]["code"] for a in item["answer"]} <= codes
        if not declared.get("repeats"):
            assert len(item["answer"]) == 1
    return model


# --- Questionnaire ---------------------------------------------------------------------------


def test_every_shipped_key_is_a_valid_sdc_questionnaire(ruleset):
    assert ruleset.keys
    for key in ruleset.keys.values():
        resource = fhir.questionnaire(key, ruleset)
        check_questionnaire(resource)
        assert resource["url"] == fhir.questionnaire_url(key)
        assert resource["version"] == ruleset.version
        assert fhir.LIMITATION in resource["description"]
        link_ids = [i["linkId"] for i in resource["item"]]
        assert link_ids == [AGE_QUESTION_ID, *(q.id for q in key.questions), fhir.DEPARTEMENT_ITEM]


def test_question_kinds_map_to_item_types(ruleset):
    key = ruleset.keys["raynaud"]
    items = {i["linkId"]: i for i in fhir.questionnaire(key, ruleset)["item"]}
    yes_no = items["necrose"]
    assert yes_no["type"] == "choice" and "repeats" not in yes_no
    assert [o["valueCoding"]["code"] for o in yes_no["answerOption"]] == ["oui", "non", "nsp"]
    multiple = items["signes-associes"]
    assert multiple["type"] == "choice" and multiple["repeats"] is True
    none, unknown = multiple["answerOption"][-2:]
    assert none["valueCoding"]["code"] == fhir.NONE_CODE
    assert none["extension"] == [{"url": fhir.EXT_OPTION_EXCLUSIVE, "valueBoolean": True}]
    assert unknown["valueCoding"]["code"] == "nsp" and "extension" not in unknown  # combinable with signs
    single = items["bilan-fait"]
    assert [o["valueCoding"]["code"] for o in single["answerOption"]][-1] == "nsp"
    assert items[AGE_QUESTION_ID]["required"] is True
    hint = yes_no["item"][0]
    assert hint["type"] == "display" and hint["text"] == key.question("necrose").hint
    departements = items[fhir.DEPARTEMENT_ITEM]["answerOption"]
    assert len(departements) == len(ruleset.departements) + 1 and departements[-1]["valueCoding"]["code"] == "nsp"


def test_numbers_departements_and_conditions(number_rules):
    key = number_rules.keys["nombre"]
    resource = fhir.questionnaire(key, number_rules)
    check_questionnaire(resource)
    items = {i["linkId"]: i for i in resource["item"]}
    age = items["age-mois"]
    assert age["type"] == "integer"
    assert {"url": fhir.EXT_MIN_VALUE, "valueInteger": 0} in age["extension"]
    assert {"url": fhir.EXT_MAX_VALUE, "valueInteger": 240} in age["extension"]
    assert {"url": fhir.EXT_UNIT, "valueCoding": {"display": "mois"}} in age["extension"]
    poids = items["poids"]
    assert poids["type"] == "decimal"
    assert {"url": fhir.EXT_MIN_VALUE, "valueDecimal": 0.5} in poids["extension"]
    assert poids["enableWhen"] == [{"question": "age-mois", "operator": "<", "answerInteger": 24},
                                   {"question": "age-mois", "operator": ">=", "answerInteger": 1}]
    assert poids["enableBehavior"] == "all"
    mixte = items["mixte"]  # all(includes_any of 2, le) cannot be flattened: an expression
    assert "enableWhen" not in mixte
    lieu = items["lieu"]
    assert [o["valueCoding"]["code"] for o in lieu["answerOption"]] == ["69", "75", "92"]
    for qid in ("precision", "autre", "lieu", "mixte"):  # at_least, not, nested any/all
        expressions = [e for e in items[qid]["extension"] if e["url"] == fhir.EXT_ENABLE_WHEN_EXPRESSION]
        assert len(expressions) == 1 and expressions[0]["valueExpression"]["language"] == "text/fhirpath"


def test_without_a_ruleset_departements_use_a_value_set(number_rules):
    items = {i["linkId"]: i for i in fhir.questionnaire(number_rules.keys["nombre"])["item"]}
    assert items["lieu"]["answerValueSet"].endswith("/ValueSet/departements")
    assert "answerOption" not in items[fhir.DEPARTEMENT_ITEM]


# --- enableWhen means ask_when ---------------------------------------------------------------


def _enabled(item: dict, answers: dict, response: dict) -> bool:
    """How a FHIR form filler decides whether an item is shown."""
    for ext in item.get("extension", ()):
        if ext["url"] == fhir.EXT_ENABLE_WHEN_EXPRESSION:
            result = fhirpath_evaluate(response, ext["valueExpression"]["expression"], {"resource": response},
                                       fhirpath_models["r4"])
            return result == [True]
    entries = item.get("enableWhen")
    if not entries:
        return True
    results = []
    for entry in entries:
        given = answers.get(entry["question"], [])
        if "answerCoding" in entry:
            results.append(any(a.get("valueCoding", {}).get("code") == entry["answerCoding"]["code"] for a in given))
        else:
            target = entry.get("answerInteger", entry.get("answerDecimal"))
            compare = COMPARE[entry["operator"]]
            # A number answered "valeur inconnue" carries a data-absent coding: no comparison holds.
            results.append(any(compare(a.get("valueInteger", a.get("valueDecimal")), target) for a in given
                               if "valueInteger" in a or "valueDecimal" in a))
    return all(results) if item.get("enableBehavior", "all") == "all" else any(results)


def _random_value(rng: random.Random, key, question, departements):
    if question.kind == "departement":
        return rng.choice(sorted(departements))
    values = engine.domain(key, question)
    if question.kind == "multiple":
        return frozenset(rng.sample(question.choice_ids, rng.randint(0, len(question.choice_ids))))
    return rng.choice(values)


def _keys_with_conditions(ruleset, number_rules):
    return [(ruleset, k) for k in ruleset.keys.values() if any(q.ask_when for q in k.questions)] + [
        (number_rules, number_rules.keys["nombre"])]


def test_enable_conditions_agree_with_the_engine(ruleset, number_rules):
    rng = random.Random(20261122)
    for rules, key in _keys_with_conditions(ruleset, number_rules):
        resource = fhir.questionnaire(key, rules)
        items = {i["linkId"]: i for i in resource["item"]}
        ck = engine.compile_key(key)
        for _ in range(60):
            typed: dict = {}
            for question in ck.questions:  # answer every shown question, in order
                response = {"resourceType": "QuestionnaireResponse", "status": "in-progress",
                            "item": fhir.answer_items(key, typed, rules)}
                by_link = {i["linkId"]: i.get("answer", []) for i in response["item"]}
                shown = _enabled(items[question.id], by_link, response)
                asked = engine._Evaluator(ck, typed).askable(question.id)
                assert shown == (asked is True), (key.id, question.id, dict(typed))
                if shown:
                    typed[question.id] = _random_value(rng, key, question, rules.departements)


# --- QuestionnaireResponse -------------------------------------------------------------------


def _scenario_states(rules):
    for key_id, scenarios in sorted(rules.scenarios.items()):
        key = rules.keys[key_id]
        for scenario in scenarios:
            typed = {q: engine.normalise(key.question(q), list(v) if isinstance(v, tuple) else v, rules.departements)
                     for q, v in scenario.answers.items()}
            yield key, scenario, engine.walk(key, typed)


def test_scenario_responses_validate_and_read_back_to_the_same_outcome(ruleset, number_rules):
    count = 0
    for rules in (ruleset, number_rules):
        for key, scenario, state in _scenario_states(rules):
            questionnaire = fhir.questionnaire(key, rules)
            age = scenario.answers["age_group"]
            response = fhir.questionnaire_response(Consultation.of(key, state.answers).answer(AGE_QUESTION_ID, age)
                                                   .locate("69"), rules)
            check_response(response, questionnaire)
            assert response["status"] == "completed"
            assert response["extension"][0]["valueCoding"]["code"] == scenario.expect
            raw, departement = fhir.answers_from_response(key, json.loads(json.dumps(response)))
            assert departement == "69" and raw[AGE_QUESTION_ID] == age
            typed = {q: engine.normalise(key.question(q), v, rules.departements) for q, v in raw.items()}
            again = engine.walk(key, typed)
            assert again.outcome is not None and again.outcome.id == scenario.expect, scenario.id
            count += 1
    assert count > 20


def test_number_and_empty_multiple_answers(number_rules):
    key = number_rules.keys["nombre"]
    state = engine.walk(key, {"age_group": "nourrisson", "age-mois": 6.0, "poids": 4.0,
                              "signes": frozenset(), "autre": "y"})
    assert state.finished and state.outcome.id == "surveiller"
    response = fhir.questionnaire_response(
        Consultation(key, {q: v for q, v in state.answers.items() if q != "age_group"}, "nourrisson", "nsp"), number_rules)
    check_response(response, fhir.questionnaire(key, number_rules))
    items = {i["linkId"]: i["answer"] for i in response["item"]}
    assert items["age-mois"] == [{"valueInteger": 6}]
    assert items["poids"] == [{"valueDecimal": 4.0}]
    assert items["signes"][0]["valueCoding"]["code"] == fhir.NONE_CODE
    assert items[fhir.DEPARTEMENT_ITEM][0]["valueCoding"]["code"] == "nsp"
    raw, departement = fhir.answers_from_response(key, response)
    assert raw["signes"] == [] and departement == "nsp"


def test_unfinished_path_is_in_progress_without_outcome(ruleset):
    key = ruleset.keys["raynaud"]
    state = engine.walk(key, {"age_group": "adulte", "necrose": "non"})
    response = fhir.questionnaire_response(Consultation.of(key, state.answers), ruleset)
    check_response(response, fhir.questionnaire(key, ruleset))
    assert response["status"] == "in-progress" and "extension" not in response


def test_reading_back_rejects_foreign_responses(ruleset):
    key = ruleset.keys["raynaud"]
    with pytest.raises(fhir.ResponseError):
        fhir.answers_from_response(key, {"resourceType": "Patient"})
    with pytest.raises(fhir.ResponseError):
        fhir.answers_from_response(key, {"resourceType": "QuestionnaireResponse",
                                         "item": [{"linkId": "inconnue", "answer": [{"valueCoding": {"code": "oui"}}]}]})


# --- API and command line, on the small fixture rules (conftest ``web_rules_dir``) ---------------


@pytest.fixture(scope="module")
def app_config():
    return {"FHIR_CANONICAL_BASE": "https://orient.test/fhir"}


@pytest.fixture(scope="module")
def web_ruleset(app):
    return app.extensions["orient"]


def test_api_serves_the_questionnaire(client):
    response = client.get("/api/v1/cles/mini/fhir")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    resource = response.get_json(force=True)
    check_questionnaire(resource)
    assert resource["url"] == "https://orient.test/fhir/Questionnaire/mini"


def test_api_builds_a_response_for_a_finished_path(client):
    # The key "autre" has no département question of its own: the referral asks the patient's.
    body = {"age_group": "adulte", "answers": {"signe": "oui"}, "departement": "69"}
    response = client.post("/api/v1/cles/autre/fhir/reponse", json=body)
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    resource = response.get_json(force=True)
    questionnaire = client.get("/api/v1/cles/autre/fhir").get_json(force=True)
    check_response(resource, questionnaire)
    assert resource["status"] == "completed" and resource["authored"]
    unfinished = client.post("/api/v1/cles/autre/fhir/reponse", json={"age_group": "adulte"})
    assert unfinished.status_code == 400
    assert unfinished.get_json()["error"] == {"code": "PARCOURS_INCOMPLET", "question": "signe",
                                              "message": unfinished.get_json()["error"]["message"]}
    no_age = client.post("/api/v1/cles/autre/fhir/reponse", json={})
    assert no_age.get_json()["error"]["code"] == "PARCOURS_INCOMPLET"


def test_cli_exports_a_questionnaire(web_rules_dir, runner, tmp_path: Path):
    result = runner.invoke(main, ["export-fhir", "mini", "--rules", str(web_rules_dir)])
    assert result.exit_code == 0, result.output
    check_questionnaire(json.loads(result.stdout))
    target = tmp_path / "mini.json"
    result = runner.invoke(main, ["export-fhir", "mini", "--rules", str(web_rules_dir), "-o", str(target),
                                  "--base", "https://orient.test/fhir"])
    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["url"] == "https://orient.test/fhir/Questionnaire/mini"


def test_cli_exports_a_response(web_rules_dir, web_ruleset, runner):
    answers = "age_group=adulte; alerte=non; signes=signe-a,signe-b; departement=69"
    result = runner.invoke(main, ["export-fhir", "mini", "--rules", str(web_rules_dir), "--reponse", answers])
    assert result.exit_code == 0, result.output
    resource = json.loads(result.stdout)
    check_response(resource, fhir.questionnaire(web_ruleset.keys["mini"], web_ruleset))
    assert resource["extension"][0]["valueCoding"]["code"] == "adresser"
    items = {i["linkId"]: i for i in resource["item"]}
    assert [a["valueCoding"]["code"] for a in items["signes"]["answer"]] == ["signe-a", "signe-b"]
    assert items[fhir.DEPARTEMENT_ITEM]["answer"][0]["valueCoding"]["code"] == "69"


@pytest.mark.parametrize("args, message", [
    (["min"], "Vouliez-vous dire « mini »"),
    (["mini", "--reponse", "age_group=adulte;alerte=non"], "Parcours inachevé"),
    (["mini", "--reponse", "alerte=oui"], "age_group"),
    (["mini", "--reponse", "age_group=adulte;alerte=peut-etre"], "alerte"),
    (["mini", "--reponse", "age_group=adulte;inconnue=oui"], "inconnue"),
    (["mini", "--reponse", "age_group"], "question=valeur"),
])
def test_cli_errors_are_french_and_exit_non_zero(web_rules_dir, runner, args, message):
    result = runner.invoke(main, ["export-fhir", *args, "--rules", str(web_rules_dir)])
    assert result.exit_code != 0
    assert message in result.output
