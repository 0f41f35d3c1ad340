"""The OpenAPI 3.1 description of /api/v1, built from the loaded rules.

Hand-written (the API is small), with two things taken from elsewhere so they cannot
drift: the ``Condition`` and ``Source`` schemas come from the pydantic model, and the
enumerations (key ids, filières, regions, départements, site types, age groups) come
from the RuleSet being served. ``tests/test_api.py`` checks that every /api/v1 route is
documented and every documented path exists, and runs schemathesis against it.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from .model import (
    AGE_BANDS,
    AGE_QUESTION_ID,
    POPULATION_LABELS,
    SITE_TYPE_LABELS,
    SYSTEM_LABELS,
    Action,
    Condition,
    QuestionKind,
    ResourceKind,
    Source,
    Urgency,
)
from .ruleset import RuleSet

REF = "#/components/schemas/{model}"
ERROR_CODES = (
    "CLE_INCONNUE", "QUESTION_INCONNUE", "REPONSE_INVALIDE", "REQUETE_INVALIDE", "PARCOURS_INCOMPLET",
    "NON_TROUVE", "METHODE_NON_PERMISE", "REQUETE_TROP_VOLUMINEUSE", "TYPE_NON_PRIS_EN_CHARGE",
)


def _literal_values(literal) -> list[str]:
    return list(literal.__args__)


def _ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _string(**extra) -> dict:
    return {"type": "string", **extra}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


def _object(properties: dict[str, Any], required: list[str] | None = None, **extra) -> dict:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, **extra}


def _model_schemas() -> dict[str, Any]:
    """Condition (and its parts) and Source, as pydantic generates them."""
    out: dict[str, Any] = {}
    for name, adapter in (("Condition", TypeAdapter(Condition)), ("Source", TypeAdapter(Source))):
        schema = adapter.json_schema(ref_template=REF, mode="serialization")
        out.update(schema.pop("$defs", {}))
        out.setdefault(name, schema)
    return out


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

    answer_value = {"oneOf": [_string(), {"type": "number"}, _array(_string())]}
    schemas: dict[str, Any] = {
        **_model_schemas(),
        "Error": _object({"error": _object({
            "code": _string(enum=list(ERROR_CODES)),
            "message": _string(description="Message en français."),
            "question": _string(description="La question en cause, le cas échéant."),
            "parameter": _string(description="Le paramètre en cause, le cas échéant."),
        }, required=["code", "message"])}),
        "FiliereRef": _object({"id": _string(), "acronym": _string(), "name": _string()}),
        "KeySummary": _object({
            "id": _string(), "title": _string(), "summary": _string(),
            "system": _string(enum=list(SYSTEM_LABELS)), "system_label": _string(),
            "ages": _array(_string(enum=list(AGE_BANDS))),
            "filieres": _array(_ref("FiliereRef")), "url": _string()}),
        "KeyList": _object({"rules_version": _string(), "keys": _array(_ref("KeySummary"))}),
        "Option": _object({"id": _string(), "label": _string(), "hint": _nullable(_string())}),
        "Question": _object({
            "id": _string(), "kind": _string(enum=_literal_values(QuestionKind)), "text": _string(),
            "hint": _nullable(_string()), "hint_items": _array(_string()), "options": _array(_ref("Option")),
            "unit": _nullable(_string()), "min": _nullable({"type": "number"}), "max": _nullable({"type": "number"}),
            "integer": {"type": "boolean"}, "ask_when": _nullable(_ref("Condition"))},
            description="Une question. « ask_when » : condition d'affichage, en données (jamais en code)."),
        "OutcomeSummary": _object({
            "id": _string(), "title": _string(), "action": _string(enum=_literal_values(Action)),
            "urgency": _string(enum=_literal_values(Urgency)), "filiere": _nullable(_string()),
            "default": {"type": "boolean"}, "when": _nullable(_ref("Condition"))}),
        "Key": {"allOf": [_ref("KeySummary"), _object({
            "authored_by": _string(), "reviewed_on": _string(format="date"), "review_due": _string(format="date"),
            "sources": _array(_ref("Source")), "questions": _array(_ref("Question")),
            "outcomes": _array(_ref("OutcomeSummary")), "rules_version": _string()})]},
        "EvaluationRequest": _object({
            "answers": {"type": ["object", "null"], "additionalProperties": answer_value,
                        "description": "Réponses par identifiant de question : « oui »/« non »/« nsp », un "
                                       "identifiant d'option (« nsp » : je ne sais pas), une liste d'options (choix "
                                       "multiple : [] ou [\"aucun\"] = aucun de ces signes ; « nsp » dans la liste = "
                                       "les signes non cités n'ont pas été recherchés), un nombre ou « nsp », un "
                                       "code de département. null : aucune réponse."},
            "age_group": _nullable(_string(enum=list(AGE_BANDS))),
            "departement": _nullable(_string(enum=[*deps, "nsp"])),
        }, required=[], additionalProperties=False),
        # The FHIR export needs a finished journey: the age group at least, never null.
        "FhirResponseRequest": _object({
            "answers": {"type": ["object", "null"], "additionalProperties": answer_value,
                        "description": "Comme pour « evaluer »."},
            "age_group": _string(enum=list(AGE_BANDS)),
            "departement": _nullable(_string(enum=[*deps, "nsp"])),
        }, required=["age_group"], additionalProperties=False),
        "PathStep": _object({"question": _string(), "text": _string(), "value": answer_value, "answer": _string()}),
        "AnsweredQuestion": _object({"question": _string(), "text": _string(), "answer": _string()}),
        "Centre": _object({
            "id": _string(), "name": _string(),
            "network": _nullable(_object({"id": _string(), "name": _string(), "acronym": _nullable(_string()),
                                          "scope": _string()})),
            "hospital": _nullable(_string()), "service": _nullable(_string()), "city": _string(),
            "departement": _string(), "filiere": _string(), "type": _string(enum=list(SITE_TYPE_LABELS)),
            "type_label": _string(), "population": _string(enum=list(POPULATION_LABELS)),
            "population_label": _string(), "phone": _nullable(_string()), "web": _nullable(_string()),
            "contact": _array(_object({"label": _string(), "whose": _string(enum=["site", "network", "filiere"]),
                                       "phone": _nullable(_string()), "url": _nullable(_string())})),
            "to_confirm": {"type": "boolean", "description": "Vrai quand la source du site précède la labellisation "
                           "de 2023 ou que le site n'a pas de contact propre : à confirmer avant d'adresser."},
            "fits": {"type": "boolean", "description": "Le site appartient à un réseau adapté à l'orientation."},
            "source": _string(), "seen_year": _nullable({"type": "integer"}),
            "distance_km": _nullable({"type": "number"}), "distance_label": _nullable(_string())}),
        "Network": _object({
            "id": _string(), "filiere": _string(), "name": _string(), "acronym": _nullable(_string()),
            "scope": _string(), "pnds": _array(_string()), "population": _string(enum=list(POPULATION_LABELS)),
            "web": _nullable(_string()), "contact_url": _nullable(_string()), "phone": _nullable(_string()),
            "source": _string(), "label_period": _nullable(_string())}),
        "Link": _object({"label": _string(), "url": _string()}),
        "PndsRef": _object({"id": _string(), "title": _string(), "url": _string(),
                            "year": _nullable({"type": "integer"})}),
        "Resource": _object({"id": _string(), "kind": _string(enum=_literal_values(ResourceKind)),
                             "name": _string(), "description": _string(), "url": _nullable(_string()),
                             "phone": _nullable(_string())}),
        "OpenFlag": _object({"outcome": _string(), "title": _string(),
                             "urgency": _string(enum=_literal_values(Urgency)),
                             "red_flag": {"type": "boolean"}, "signs": _array(_string()),
                             "check": _nullable(_string()), "if_unchecked": _nullable(_string())}),
        "Orientation": _object({
            "key": _object({"id": _string(), "title": _string()}),
            "outcome": _object({
                "id": _string(), "title": _string(), "action": _string(enum=_literal_values(Action)),
                "action_label": _string(), "urgency": _string(enum=_literal_values(Urgency)),
                "urgency_label": _string(), "rationale": _string(), "tests": _array(_string()),
                "do_now": _array(_string()), "refer_if": _nullable(_string()),
                "reevaluate_if": _nullable(_string()), "safeguarding": _nullable(_string()),
                "emergency_route": _array(_ref("Resource")), "orphanet_urgences": _nullable(_string())}),
            "filiere": _nullable(_object({
                "id": _string(), "acronym": _string(), "name": _string(), "scope": _string(), "website": _string(),
                "contact_url": _nullable(_string()), "ern": _array(_string())})),
            "networks": _array(_ref("Network")),
            "centres": _array(_ref("Centre")),
            "other_centres": _array(_ref("Centre")),
            "centres_scope": _string(),
            "far": {"type": "boolean", "description": "Vrai quand le site adapté le plus proche est à plus de 200 km, "
                    "hors du territoire pour un patient d'outre-mer, ou absent de l'annuaire."},
            "pnds": _array(_ref("PndsRef")),
            "orphanet": _array(_ref("Link")),
            "regional_resources": _array(_ref("Resource")),
            "national_resources": _array(_ref("Resource")),
            "emergency_resource": _nullable(_ref("Resource")),
            "reassurance_withheld": {"type": "boolean", "description": "Vrai quand l'issue retenue rassure alors que "
                                     "des réponses « je ne sais pas » laissent des pistes ouvertes : ne pas rassurer."},
            "result_urgency": _string(enum=_literal_values(Urgency)),
            "result_urgency_label": _string(),
            "unchecked": _array(_ref("OpenFlag")),
            "answers": _array(_ref("AnsweredQuestion")),
            "explanation": _object({
                "because": _array(_ref("AnsweredQuestion")),
                "ruled_out": _array(_object({"outcome": _string(), "title": _string(),
                                             "because": _array(_ref("AnsweredQuestion"))}))}),
            "sources": _array(_ref("Source")),
            "authored_by": _string(),
            "reviewed_on": _string(format="date"),
            "review_due": _string(format="date"),
            "age_group": _nullable(_string(enum=list(AGE_BANDS))),
            "age_label": _nullable(_string()),
            "departement": _nullable(_string()),
            "departement_label": _nullable(_string()),
            "rules_version": _string(),
        }),
        "Evaluation": {"oneOf": [
            _object({"status": {"const": "question"}, "question": _ref("Question"),
                     "path": _array(_ref("PathStep")), "dropped": _array(_string())}),
            _object({"status": {"const": "orientation"}, "orientation": _ref("Orientation"),
                     "path": _array(_ref("PathStep")), "dropped": _array(_string())}),
        ], "description": "La prochaine question, ou l'orientation. « dropped » : réponses envoyées mais hors "
                          "du parcours (ignorées)."},
        "Directory": _object({
            "filters": _object({name: _nullable(_string())
                                for name in ("filiere", "region", "departement", "type", "age")}),
            "count": {"type": "integer"}, "total": {"type": "integer"}, "centres": _array(_ref("Centre")),
            "rules_version": _string()}),
        "SearchResults": _object({"query": _string(), "count": {"type": "integer"}, "results": _array(_object({
            "id": _string(), "kind": _string(enum=["pnds", "mention", "cle"]), "name": _string(),
            "matched": _string(), "score": {"type": "number"}, "filieres": _array(_ref("FiliereRef")),
            "pnds": _nullable(_ref("PndsRef")), "orphanet": _array(_ref("Link")), "key": _nullable(_string()),
            "page": _string()}))}),
        "FhirQuestionnaire": _object({"resourceType": {"const": "Questionnaire"}, "url": _string(),
                                      "item": _array({"type": "object"})}, required=["resourceType", "url", "item"],
                                     description="Questionnaire FHIR R4 (profil SDC)."),
        "FhirQuestionnaireResponse": _object({"resourceType": {"const": "QuestionnaireResponse"},
                                              "status": _string(enum=["completed"]), "questionnaire": _string(),
                                              "item": _array({"type": "object"})},
                                             required=["resourceType", "status", "questionnaire", "item"],
                                             description="QuestionnaireResponse FHIR R4 d'un parcours terminé."),
        "OpenApi": {"type": "object", "required": ["openapi", "paths"]},
    }
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
                # No `pattern`: the rule (orient/search.py check_query) counts the letters and digits left
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
        "components": {"schemas": schemas},
    }
