"""The routes of /api/v1: each parses its input, asks the engine (through the consultation),
``compose``, the directory or the search, and answers with a model of ``models.py``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from pydantic import ValidationError

from orient.core.consultation import Consultation
from orient.core.diagnostics import suggest
from orient.core.model import AGE_BANDS, AGE_QUESTION_ID, SITE_TYPE_LABELS
from orient.core.model import Key as RulesKey
from orient.core.ruleset import RuleSet
from orient.exports import fhir
from orient.services.directory import directory_for
from orient.services.orientation import compose
from orient.services.search import check_query, index_for
from orient.services.search import search as run_search
from orient.web.api import errors
from orient.web.api.errors import PREFIX, ApiError, json_response
from orient.web.api.models import (
    DIRECTORY_FILTERS,
    Centre,
    Directory,
    DirectoryFilters,
    Evaluation,
    EvaluationContext,
    EvaluationRequest,
    Key,
    KeyList,
    KeySummary,
    Orientation,
    OrientationStep,
    Question,
    QuestionStep,
    SearchResult,
    SearchResults,
    path_of,
)

bp = Blueprint("api", __name__, url_prefix=PREFIX)
errors.install(bp)

SEARCH_LIMIT = 20
SEARCH_MAX_LIMIT = 50
FHIR_JSON = "application/fhir+json"


def _ruleset() -> RuleSet:
    return current_app.extensions["orient"]


# --- input ---------------------------------------------------------------------------------


def _key(key_id: str) -> RulesKey:
    ruleset = _ruleset()
    key = ruleset.keys.get(key_id)
    if key is None:
        hint = suggest(key_id, list(ruleset.keys))
        raise ApiError(404, "CLE_INCONNUE", f"Clé « {key_id[:80]} » inconnue."
                       + (f" Vouliez-vous dire « {hint} » ?" if hint else ""))
    return key


def _body() -> dict:
    if not request.is_json:
        raise ApiError(415, "TYPE_NON_PRIS_EN_CHARGE",
                       "Le corps de la requête doit être du JSON (Content-Type: application/json).")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # absurdly nested JSON: the parser gives up
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "REQUETE_INVALIDE", "Le corps de la requête doit être un objet JSON.")
    try:
        # JSON may spell a lone surrogate (\ud800) that no UTF-8 text can hold: refused here,
        # before it can reach a message, a log line or a response.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "REQUETE_INVALIDE", "Le corps de la requête contient un texte Unicode invalide "
                       "(caractère de substitution isolé).") from None
    return data


def read_evaluation(key: RulesKey, ruleset: RuleSet, data: Mapping[str, Any]):
    """The typed answers, age group and département of an evaluation request, or an ApiError."""
    try:
        body = EvaluationRequest.model_validate(data, context=EvaluationContext(key, ruleset))
    except ValidationError as exc:
        code, message, details = EvaluationRequest.refusal(exc)
        raise ApiError(400, code, message, **details) from None
    return body.typed_answers, body.age_group, body.departement


def _query_params(allowed: Sequence[str]) -> dict[str, str]:
    unknown = [name for name in request.args if name not in allowed]
    if unknown:
        raise ApiError(400, "REQUETE_INVALIDE", f"Paramètre inconnu : « {unknown[0][:80]} ». Paramètres permis : "
                       + ", ".join(allowed) + ".")
    repeated = [name for name in request.args if len(request.args.getlist(name)) > 1]
    if repeated:  # one value per parameter: never silently keep the first of several
        raise ApiError(400, "REQUETE_INVALIDE", f"Paramètre « {repeated[0]} » donné plusieurs fois : une seule "
                       "valeur est permise.", parameter=repeated[0])
    return {name: request.args.get(name, "") for name in allowed}


# --- routes --------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document() -> Response:
    from orient.web.api.openapi import build_document

    return json_response(build_document(_ruleset()))


@bp.get("/cles")
def keys() -> Response:
    ruleset = _ruleset()
    return json_response(KeyList(rules_version=ruleset.version, keys=[
        KeySummary.of(k, ruleset, url_for("api.key_detail", key_id=k.id)) for k in ruleset.keys.values()]))


@bp.get("/cles/<key_id>")
def key_detail(key_id: str) -> Response:
    key = _key(key_id)
    return json_response(Key.of(key, _ruleset(), url_for("api.key_detail", key_id=key.id)))


@bp.post("/cles/<key_id>/evaluer")
def evaluate(key_id: str) -> Response:
    ruleset = _ruleset()
    key = _key(key_id)
    c = Consultation(key, *read_evaluation(key, ruleset, _body()))
    path, dropped = path_of(c, ruleset), list(c.dropped)
    # The département is optional here (centres are then listed nationally): the API answers
    # with the orientation as soon as the key is decided.
    question = c.next_question
    if question is not None:
        step: QuestionStep | OrientationStep = QuestionStep(
            status="question", question=Question.of(question, ruleset), path=path, dropped=dropped)
    else:
        result = compose(ruleset, c.state, c.age_group, c.departement)
        step = OrientationStep(status="orientation", orientation=Orientation.of(result, c.age_group, c.departement),
                               path=path, dropped=dropped)
    return json_response(Evaluation(step))


def _fhir_base() -> str:
    """Canonical base of the FHIR URLs: configured (FHIR_CANONICAL_BASE, or the public
    address ORIENT_PUBLIC_URL), never taken from the request's Host header."""
    config = current_app.config
    if config.get("FHIR_CANONICAL_BASE"):
        return config["FHIR_CANONICAL_BASE"]
    if config.get("PUBLIC_URL"):
        return config["PUBLIC_URL"] + request.script_root + PREFIX + "/fhir"
    return fhir.DEFAULT_BASE


@bp.get("/cles/<key_id>/fhir")
def fhir_questionnaire(key_id: str) -> Response:
    key = _key(key_id)
    return json_response(fhir.questionnaire(key, _ruleset(), base=_fhir_base()), mimetype=FHIR_JSON)


@bp.post("/cles/<key_id>/fhir/reponse")
def fhir_response(key_id: str) -> Response:
    ruleset = _ruleset()
    key = _key(key_id)
    c = Consultation(key, *read_evaluation(key, ruleset, _body()))
    if c.age_group is None:  # a body field of its own, named as such
        raise ApiError(400, "PARCOURS_INCOMPLET", "Parcours inachevé : la tranche d'âge (« age_group ») manque.",
                       question=AGE_QUESTION_ID)
    if not c.decided:
        next_id = c.next_question.id if c.next_question else None
        raise ApiError(400, "PARCOURS_INCOMPLET",
                       f"Parcours inachevé : la question « {next_id} » attend une réponse.", question=next_id)
    resource = fhir.questionnaire_response(c, ruleset, authored=dt.datetime.now(dt.UTC), base=_fhir_base())
    return json_response(resource, mimetype=FHIR_JSON)


@bp.get("/annuaire")
def directory() -> Response:
    ruleset = _ruleset()
    params = _query_params(DIRECTORY_FILTERS)
    domains = {"filiere": ruleset.filieres, "region": ruleset.regions, "departement": ruleset.departements,
               "type": SITE_TYPE_LABELS, "age": AGE_BANDS}
    chosen: dict[str, str | None] = {}
    for name, allowed in domains.items():
        value = params[name]
        if value and value not in allowed:
            raise ApiError(400, "REQUETE_INVALIDE", f"Valeur inconnue pour « {name} » : « {value[:80]} ».",
                           parameter=name)
        chosen[name] = value or None
    directory = directory_for(ruleset)
    sites = directory.sites(
        chosen["filiere"], site_types=[chosen["type"]] if chosen["type"] else (), age_group=chosen["age"],
        region=chosen["region"], departement=chosen["departement"])
    return json_response(Directory(
        filters=DirectoryFilters.model_validate(chosen), count=len(sites), total=len(ruleset.centres),
        centres=[Centre.of(directory.suggestion(c)) for c in sites], rules_version=ruleset.version))


@bp.get("/maladies")
def diseases() -> Response:
    ruleset = _ruleset()
    params = _query_params(("q", "limit"))
    if "q" not in request.args:
        raise ApiError(400, "REQUETE_INVALIDE", "Paramètre « q » manquant : le nom (ou le début du nom) d'une maladie.",
                       parameter="q")
    limit = SEARCH_LIMIT
    if "limit" in request.args:  # given, even empty: an integer from 1 to 50
        value = params["limit"]
        # ASCII digits only (« ² » is a digit to str.isdigit, not to int), and short: int() refuses
        # more than 4,300 digits with an error of its own.
        if not (value.isascii() and value.isdigit() and len(value) <= 4 and 1 <= int(value) <= SEARCH_MAX_LIMIT):
            raise ApiError(400, "REQUETE_INVALIDE", f"« limit » doit être un entier de 1 à {SEARCH_MAX_LIMIT}.",
                           parameter="limit")
        limit = int(value)
    checked = check_query(params["q"])
    if checked.error or not checked.normalised:
        raise ApiError(400, "REQUETE_INVALIDE", checked.error or "Saisissez le nom d'une maladie.", parameter="q")
    hits = run_search(index_for(ruleset), checked.normalised, limit=limit)
    results = [SearchResult.of(hit, ruleset, url_for("diseases.detail", pnds_id=hit.entry.pnds) if hit.entry.pnds
                               else url_for("wizard.intro", key_id=hit.entry.key)) for hit in hits]
    return json_response(SearchResults(query=checked.text, count=len(results), results=results))
