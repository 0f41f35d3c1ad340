"""The OpenAPI 3.1 description of /api/v1, built from the loaded rules.

The component schemas are generated from the request and response models (``models.py``),
the models the views validate and serialise with, so the document says what the API does.
What is written here is what JSON Schema leaves to OpenAPI: the paths and their operations,
parameters, examples and error answers, and the enumerations that come from the RuleSet
being served (key ids, filières, regions, départements: written into the schemas the models
mark with ``RulesEnum``). ``tests/test_api.py`` checks that every /api/v1 route is documented
and every documented path exists, and runs schemathesis against it.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from pydantic_core import core_schema

from orient.core.model import AGE_BANDS, AGE_QUESTION_ID, SITE_TYPE_LABELS
from orient.core.ruleset import RuleSet
from orient.services.orientation import NO_DEPARTEMENT
from orient.web.api.models import REQUESTS, RESPONSES, RulesEnum

REF = "#/components/schemas/{model}"


class _Schemas(GenerateJsonSchema):
    """pydantic's generator without the titles it derives from Python names ("Rules Version"):
    a component is named by its key, a property by its name."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def model_schema(self, schema: core_schema.ModelSchema) -> dict[str, Any]:
        generated = super().model_schema(schema)
        generated.pop("title", None)
        return generated


def _rules_enums(ruleset: RuleSet) -> dict[str, list[str]]:
    """The values of each ``RulesEnum`` of the models, from the served rule set."""
    departements = [d.code for d in ruleset.departements_in_order]
    return {"filieres": sorted(ruleset.filieres), "regions": sorted(ruleset.regions), "departements": departements,
            "departement_answers": [*departements, NO_DEPARTEMENT]}


def _fill_enums(node: Any, values: dict[str, list[str]]) -> None:
    if isinstance(node, dict):
        name = node.pop(RulesEnum.MARK, None)
        if name is not None:
            node["enum"] = values[name]
        for child in node.values():
            _fill_enums(child, values)
    elif isinstance(node, list):
        for child in node:
            _fill_enums(child, values)


@cache
def _generated() -> dict[str, Any]:
    # The same for every rule set (the enumerations are marks until filled in), and slow to
    # generate (~0.1 s): once per process.
    models: list[tuple[Any, JsonSchemaMode]] = [(m, "validation") for m in REQUESTS]
    models += [(m, "serialization") for m in RESPONSES]
    _, generated = models_json_schema(models, ref_template=REF, schema_generator=_Schemas)
    return dict(sorted(generated.get("$defs", {}).items()))


def component_schemas(ruleset: RuleSet) -> dict[str, Any]:
    """Every model's schema and those it refers to, by name (the ``components.schemas``), with
    the rule set's enumerations."""
    schemas = copy.deepcopy(_generated())
    _fill_enums(schemas, _rules_enums(ruleset))
    return schemas


def _ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def _string(**extra) -> dict:
    return {"type": "string", **extra}


def _error_response(description: str, codes: tuple[str, ...]) -> dict:
    """An error answer: the ``Error`` body, its ``code`` limited to what this answer can carry
    (schemathesis checks every error body it receives against it)."""
    schema = {"allOf": [_ref("Error"), {"type": "object", "properties": {
        "error": {"type": "object", "properties": {"code": _string(enum=list(codes))}}}}]}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# A request can be well formed for this document and still be refused: the rules below depend on
# the loaded rules or on the answers together, which JSON Schema cannot say (issue 22, D11).
_BODY_400 = ("Réponses refusées. QUESTION_INCONNUE : une question qui n'est pas dans cette clé (les "
             "identifiants permis dépendent de la clé : voir « lireCle ») ; REPONSE_INVALIDE : une valeur "
             "que la question n'accepte pas (option inconnue, nombre hors bornes...) ; REQUETE_INVALIDE : "
             "corps illisible, champ inconnu, deux tranches d'âge différentes.")
ERRORS = {
    "400-evaluer": _error_response(_BODY_400, ("REQUETE_INVALIDE", "REPONSE_INVALIDE", "QUESTION_INCONNUE")),
    "400-fhir": _error_response(
        _BODY_400 + " PARCOURS_INCOMPLET : le parcours n'est pas terminé (une question attend encore une "
        "réponse, nommée dans « question ») : une QuestionnaireResponse ne décrit qu'un parcours terminé.",
        ("REQUETE_INVALIDE", "REPONSE_INVALIDE", "QUESTION_INCONNUE", "PARCOURS_INCOMPLET")),
    "400-annuaire": _error_response("Paramètre inconnu ou valeur inconnue (REQUETE_INVALIDE).", ("REQUETE_INVALIDE",)),
    "400-maladies": _error_response(
        "Recherche refusée (REQUETE_INVALIDE, « parameter » : « q » ou « limit ») : « q » manquant, plus de 100 "
        "caractères, caractères non pris en charge, ou moins de deux lettres ou chiffres une fois les accents et "
        "la ponctuation retirés (« é » compte pour « e », « æ » pour « ae », « α » pour rien) ; « limit » hors de 1 "
        "à 50 ; paramètre inconnu.", ("REQUETE_INVALIDE",)),
    "404": _error_response("Clé inconnue (CLE_INCONNUE), ou adresse inconnue (NON_TROUVE).",
                           ("CLE_INCONNUE", "NON_TROUVE")),
    "413": _error_response("Corps trop volumineux (REQUETE_TROP_VOLUMINEUSE, 16 Kio au plus).",
                           ("REQUETE_TROP_VOLUMINEUSE",)),
    "415": _error_response("Corps qui n'est pas du JSON (TYPE_NON_PRIS_EN_CHARGE).", ("TYPE_NON_PRIS_EN_CHARGE",)),
}


def _ok(schema_name: str, description: str, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": _ref(schema_name)}}}


def _example_journey(ruleset: RuleSet, deps: list[str]) -> tuple[str, dict] | None:
    """(key id, request body) of a finished journey, taken from the rules' own scenarios
    (replayed by `orient scenarios` and the tests), so the documented example stays valid
    whatever the rules: schemathesis sends it in its examples phase, the one request of its
    run that reaches a finished journey (a QuestionnaireResponse) on ``reponseFhir``."""
    for key_id, scenarios in sorted(ruleset.scenarios.items()):
        for scenario in scenarios:
            age = scenario.answers.get(AGE_QUESTION_ID)
            if key_id in ruleset.keys and isinstance(age, str):
                answers = {q: list(v) if isinstance(v, tuple) else v
                           for q, v in scenario.answers.items() if q != AGE_QUESTION_ID}
                return key_id, {"age_group": age, "answers": answers, "departement": deps[0] if deps else None}
    return None


def build_document(ruleset: RuleSet) -> dict[str, Any]:
    key_ids = list(ruleset.keys)
    deps = [d.code for d in ruleset.departements_in_order]
    example = _example_journey(ruleset, deps)
    key_param = {"name": "key_id", "in": "path", "required": True,
                 "description": "Identifiant de la clé (signe d'appel).",
                 "schema": _string(enum=key_ids), **({"example": example[0]} if example else {})}

    def query(name: str, description: str, values: list[str] | None = None, required: bool = False, **schema) -> dict:
        return {"name": name, "in": "query", "required": required, "description": description,
                "schema": _string(**({"enum": values} if values is not None else {}), **schema)}

    def filter_query(name: str, description: str, values: list[str]) -> dict:
        # An empty value is "no filter", as the directory's HTML form sends it (« Toutes »).
        return query(name, description + " Vide : pas de filtre.", ["", *values])

    body_example = {"example": example[1]} if example else {}
    json_body = {"required": True,
                 "content": {"application/json": {"schema": _ref("EvaluationRequest"), **body_example}}}
    paths = {
        "/api/v1/openapi.json": {"get": {
            "operationId": "openapi", "summary": "Ce document (OpenAPI 3.1).", "tags": ["méta"],
            "responses": {"200": _ok("OpenApi", "Le document OpenAPI.")}}},
        "/api/v1/cles": {"get": {
            "operationId": "listerCles", "summary": "Les clés (signes d'appel) : id, titre, système, âges, filières.",
            "tags": ["clés"], "responses": {"200": _ok("KeyList", "Les clés.")}}},
        "/api/v1/cles/{key_id}": {"get": {
            "operationId": "lireCle", "tags": ["clés"], "parameters": [key_param],
            "summary": "Une clé : questions (types, options, bornes, conditions), issues, sources, relectures.",
            "responses": {"200": _ok("Key", "La clé."), "404": ERRORS["404"]}}},
        "/api/v1/cles/{key_id}/evaluer": {"post": {
            "operationId": "evaluer", "tags": ["clés"], "parameters": [key_param], "requestBody": json_body,
            "summary": "Recalcule le parcours : prochaine question, ou orientation (même moteur que l'assistant).",
            "description": "Rien n'est conservé ni journalisé. La tranche d'âge est demandée en premier.",
            "responses": {"200": _ok("Evaluation", "Question suivante ou orientation."),
                          "400": ERRORS["400-evaluer"], **{code: ERRORS[code] for code in ("404", "413", "415")}}}},
        "/api/v1/cles/{key_id}/fhir": {"get": {
            "operationId": "questionnaireFhir", "tags": ["FHIR"], "parameters": [key_param],
            "summary": "La clé en Questionnaire FHIR R4 (SDC).",
            "responses": {"200": _ok("FhirQuestionnaire", "Le Questionnaire.", "application/fhir+json"),
                          "404": ERRORS["404"]}}},
        "/api/v1/cles/{key_id}/fhir/reponse": {"post": {
            "operationId": "reponseFhir", "tags": ["FHIR"], "parameters": [key_param],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("FhirResponseRequest"), **body_example}}},
            "summary": "Un parcours terminé en QuestionnaireResponse FHIR R4 (mêmes entrées que « evaluer »).",
            "responses": {"200": _ok("FhirQuestionnaireResponse", "La QuestionnaireResponse.", "application/fhir+json"),
                          "400": ERRORS["400-fhir"], **{code: ERRORS[code] for code in ("404", "413", "415")}}}},
        "/api/v1/annuaire": {"get": {
            "operationId": "annuaire", "tags": ["annuaire"],
            "summary": "Sites experts filtrés par filière, région, département, type de site, âge.",
            "parameters": [
                filter_query("filiere", "Identifiant de filière.", sorted(ruleset.filieres)),
                filter_query("region", "Code de région.", sorted(ruleset.regions)),
                filter_query("departement", "Code de département.", deps),
                filter_query("type", "Type de site.", list(SITE_TYPE_LABELS)),
                filter_query("age", "Tranche d'âge du patient.", list(AGE_BANDS)),
            ],
            "responses": {"200": _ok("Directory", "Les sites."), "400": ERRORS["400-annuaire"]}}},
        "/api/v1/maladies": {"get": {
            "operationId": "maladies", "tags": ["maladies"],
            "summary": "Recherche d'une maladie par son nom (tolérante aux fautes).",
            "parameters": [
                # No `pattern`: the rule (orient/services/search.py check_query) counts the letters and digits left
                # after Unicode NFKD folding (« é » -> e, « æ » -> ae, « ½ » -> 1 2, « α » -> nothing) among
                # the characters Python's \w allows; a regular expression saying exactly that needs about
                # 900 Unicode ranges (~13 KB, tied to Python's Unicode tables, and ECMA-262's \w differs).
                # Said in words here; the 400 is documented and accepted by schemathesis.toml.
                query("q", "Nom ou début du nom de la maladie : 100 caractères au plus (lettres, chiffres, espaces, "
                      "- ' ’ . , ( ) / + : ;), dont au moins deux lettres ou chiffres une fois accents et "
                      "ponctuation retirés (« é » compte pour « e », « æ » pour « ae ») ; sinon 400.", required=True,
                      minLength=1, maxLength=100),
                {"name": "limit", "in": "query", "required": False, "description": "Nombre de résultats (1 à 50).",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 50}},
            ],
            "responses": {"200": _ok("SearchResults", "Les maladies trouvées."), "400": ERRORS["400-maladies"]}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "orient — API ouverte",
            "version": "1",
            "description": "Orientation des patients suspects de maladie rare vers les filières et centres experts "
                           f"français. Règles : version {ruleset.version}. Lecture seule, sans état, sans cookie ; "
                           "aucune donnée de patient n'est conservée. Erreurs : JSON "
                           "{\"error\": {\"code\", \"message\"}}, codes stables, messages en français.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": component_schemas(ruleset)},
    }
