"""The open JSON API (/api/v1): keys, evaluation, directory, disease search, FHIR export.

Read-only and stateless: no session, no cookie, no CSRF token (the blueprint is exempted
in ``create_app``), no CORS header. Answers travel in the POST body and are never stored
or logged (the access log records the path only). The same engine, ``compose``, directory
and search as the web pages, so the API and the wizard always give the same orientation.

Every error under /api/v1 is JSON with a stable code and a French message:
``{"error": {"code": "CLE_INCONNUE", "message": "..."}}`` with status 400, 404, 405, 413 or
415, never an HTML page. Routing errors (unknown path, wrong method) happen before any
blueprint is known, so they are answered by an app-wide ``before_request`` hook limited
to /api/v1 paths; errors inside the views by the blueprint's error handlers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from .. import engine, fhir
from ..consultation import Consultation
from ..diagnostics import suggest
from ..directory import Suggestion, directory_for
from ..model import (
    ACTION_LABELS,
    AGE_BANDS,
    AGE_QUESTION_ID,
    POPULATION_LABELS,
    SITE_TYPE_LABELS,
    SYSTEM_LABELS,
    URGENCY_LABELS,
    YES_NO,
    Key,
    Network,
    Outcome,
    Question,
    Resource,
)
from ..orientation import NO_DEPARTEMENT, Orientation, compose
from ..ruleset import RuleSet
from ..search import check_query, index_for
from ..search import search as run_search

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)

SEARCH_LIMIT = 20
SEARCH_MAX_LIMIT = 50
EVALUATION_FIELDS = ("answers", "age_group", "departement")
FHIR_JSON = "application/fhir+json"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **details: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def _ruleset() -> RuleSet:
    return current_app.extensions["orient"]


def _json(data: Any, status: int = 200, mimetype: str = "application/json", headers=None) -> Response:
    try:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate somewhere: \uXXXX escapes are still valid JSON
        body = json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return current_app.response_class(body, status=status, mimetype=mimetype, headers=headers)


def error_response(status: int, code: str, message: str, headers=None, **details: Any) -> Response:
    return _json({"error": {"code": code, "message": message, **details}}, status, headers=headers)


# --- errors --------------------------------------------------------------------------------

HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("REQUETE_INVALIDE", "La requête n'a pas pu être comprise."),
    404: ("NON_TROUVE", "Cette adresse n'existe pas dans l'API."),
    405: ("METHODE_NON_PERMISE", "Cette adresse ne s'utilise pas avec cette méthode HTTP."),
    413: ("REQUETE_TROP_VOLUMINEUSE", "Les données envoyées dépassent la taille permise."),
    415: ("TYPE_NON_PRIS_EN_CHARGE", "Le corps de la requête doit être du JSON (Content-Type: application/json)."),
}


def _http_error(error: HTTPException) -> Response:
    status = error.code or 400
    if status >= 500:  # a fault of ours (e.g. an error inside an error handler), never the client's
        return error_response(500, "ERREUR_INTERNE", "Une erreur inattendue est survenue.")
    code, message = HTTP_ERRORS.get(status, ("REQUETE_INVALIDE", "La requête n'a pas pu être traitée."))
    headers = None
    if status == 405 and getattr(error, "valid_methods", None):
        headers = {"Allow": ", ".join(sorted(error.valid_methods))}  # type: ignore[attr-defined]
    return error_response(status if status in HTTP_ERRORS else 400, code, message, headers=headers)


def _is_api_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


@bp.before_app_request
def _api_routing_errors():
    """Unknown /api/v1 path or wrong method: JSON, not the site's HTML error page."""
    error = request.routing_exception
    if error is None or isinstance(error, RequestRedirect) or not _is_api_path(request.path):
        return None
    if isinstance(error, HTTPException):
        return _http_error(error)
    return None


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, **error.details)


@bp.errorhandler(HTTPException)
def _api_http_error(error: HTTPException):
    return _http_error(error)


@bp.errorhandler(Exception)
def _api_unexpected(error: Exception):  # a bug: traceback logged (one JSON line), never the request body
    current_app.logger.exception("erreur inattendue dans l'API")
    return error_response(500, "ERREUR_INTERNE", "Une erreur inattendue est survenue.")


# --- serialisers ---------------------------------------------------------------------------


def _condition(condition) -> Any:
    return None if condition is None else condition.model_dump(mode="json", by_alias=True, exclude_none=True)


def question_json(question: Question, ruleset: RuleSet) -> dict:
    if question.kind == "yes_no":
        options = [{"id": code, "label": label, "hint": None} for code, label in YES_NO.items()]
    elif question.kind == "departement":
        options = [{"id": d.code, "label": d.label, "hint": None} for d in ruleset.departements_in_order]
    else:
        options = [{"id": o.id, "label": o.label, "hint": o.hint} for o in question.options]
    return {
        "id": question.id,
        "kind": question.kind,
        "text": question.text,
        "hint": question.hint,
        "hint_items": list(question.hint_items),
        "options": options,
        "unit": question.unit,
        "min": question.min,
        "max": question.max,
        "integer": question.integer,
        "ask_when": _condition(question.ask_when),
    }


def _filieres(ruleset: RuleSet, ids) -> list[dict]:
    return [{"id": f.id, "acronym": f.acronym, "name": f.name} for f in (ruleset.filieres.get(i) for i in ids) if f]


def _sources(key: Key) -> list[dict]:
    return [{"title": s.title, "url": s.url, "year": s.year} for s in key.sources]


def key_summary(key: Key, ruleset: RuleSet) -> dict:
    return {
        "id": key.id,
        "title": key.title,
        "summary": key.summary,
        "system": key.system,
        "system_label": SYSTEM_LABELS[key.system],
        "ages": list(key.ages),
        "filieres": _filieres(ruleset, key.filieres),
        "url": url_for("api.key_detail", key_id=key.id),
    }


def outcome_summary(outcome: Outcome) -> dict:
    return {
        "id": outcome.id,
        "title": outcome.title,
        "action": outcome.action,
        "urgency": outcome.urgency,
        "filiere": outcome.filiere,
        "default": outcome.when is None,
        "when": _condition(outcome.when),
    }


def centre_json(s: Suggestion) -> dict:
    centre, network = s.centre, s.network
    return {
        "id": centre.id,
        "name": network.label if network else centre.network,
        "network": None if network is None else {
            "id": network.id, "name": network.name, "acronym": network.acronym, "scope": network.scope},
        "hospital": centre.hospital,
        "service": centre.service,
        "city": centre.city,
        "departement": centre.departement,
        "filiere": centre.filiere,
        "type": centre.site_type,
        "type_label": SITE_TYPE_LABELS[centre.site_type],
        "population": s.population,
        "population_label": POPULATION_LABELS[s.population],
        "phone": centre.phone,
        "web": centre.web,
        "contact": [{"label": r.label, "whose": r.whose, "phone": r.phone, "url": r.url} for r in s.routes],
        "to_confirm": s.to_confirm,
        "fits": s.fits,
        "source": centre.source,
        "seen_year": centre.seen_year,
        "distance_km": None if s.distance_km is None else round(s.distance_km, 1),
        "distance_label": s.distance_label,
    }


def network_json(network: Network) -> dict:
    return {"id": network.id, "filiere": network.filiere, "name": network.name, "acronym": network.acronym,
            "scope": network.scope, "pnds": list(network.pnds), "population": network.population,
            "web": network.web, "contact_url": network.contact_url, "phone": network.phone,
            "source": network.source, "label_period": network.label_period}


def resource_json(resource: Resource) -> dict:
    return {"id": resource.id, "kind": resource.kind, "name": resource.name, "description": resource.description,
            "url": resource.url, "phone": resource.phone}


def _answered(items) -> list[dict]:
    return [{"question": a.question_id, "text": a.text, "answer": a.answer} for a in items]


def orientation_json(o: Orientation, ruleset: RuleSet, age_group: str | None, departement: str | None) -> dict:
    outcome = o.outcome

    filiere = o.filiere
    return {
        "key": {"id": o.key.id, "title": o.key.title},
        "outcome": {
            "id": outcome.id,
            "title": outcome.title,
            "action": outcome.action,
            "action_label": ACTION_LABELS[outcome.action],
            "urgency": outcome.urgency,
            "urgency_label": URGENCY_LABELS[outcome.urgency],
            "emergency_route": [resource_json(r) for r in o.emergency_route],
            "orphanet_urgences": outcome.orphanet_urgences,
            "rationale": outcome.rationale,
            "tests": list(outcome.tests),
            "do_now": list(outcome.do_now),
            "refer_if": outcome.refer_if,
            "reevaluate_if": outcome.reevaluate_if,
            "safeguarding": outcome.safeguarding,
        },
        "filiere": None if filiere is None else {
            "id": filiere.id, "acronym": filiere.acronym, "name": filiere.name, "scope": filiere.scope,
            "website": filiere.website, "contact_url": filiere.contact_url, "ern": list(filiere.ern)},
        "networks": [network_json(n) for n in o.networks],
        "centres": [centre_json(s) for s in o.centres],
        "other_centres": [centre_json(s) for s in o.other_centres],
        "centres_scope": o.centres_scope,
        "far": o.far,
        "pnds": [{"id": p.id, "title": p.title, "url": p.url, "year": p.year} for p in o.pnds],
        "orphanet": [{"label": link.label, "url": link.url} for link in o.orphanet],
        "regional_resources": [resource_json(r) for r in o.regional],
        "national_resources": [resource_json(r) for r in o.resources],
        "emergency_resource": resource_json(o.emergency_resource) if o.emergency_resource else None,
        # What "je ne sais pas" left open: red flags to check today come first. When the decided
        # outcome is reassuring and anything is open, it must not be read as reassurance.
        "reassurance_withheld": o.reassurance_withheld,
        "result_urgency": o.urgency,
        "result_urgency_label": o.urgency_label,
        "unchecked": [{"outcome": f.outcome.id, "title": f.outcome.title, "urgency": f.outcome.urgency,
                       "red_flag": f.check is not None, "signs": list(f.signs), "check": f.check,
                       "if_unchecked": f.if_unchecked} for f in o.unchecked],
        "answers": _answered(o.answers),
        "explanation": {
            "because": _answered(o.why.because),
            "ruled_out": [{"outcome": out.id, "title": out.title, "because": _answered(reasons)}
                          for out, reasons in o.why.ruled_out],
        },
        "sources": [{"title": s.title, "url": s.url, "year": s.year} for s in o.why.sources],
        "authored_by": o.key.authored_by,
        "reviewed_on": o.key.reviewed_on.isoformat(),
        "review_due": o.key.review_due.isoformat(),
        "age_group": age_group,
        "age_label": o.age_label,
        "departement": departement,
        "departement_label": o.departement_label,
        "rules_version": o.rules_version,
    }


# --- input ---------------------------------------------------------------------------------


def _key(key_id: str) -> Key:
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


def _invalid(question_id: str, message: str) -> ApiError:
    return ApiError(400, "REPONSE_INVALIDE", message, question=question_id)


def _checked_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _fits_float(number: int) -> bool:
    try:
        float(number)
    except OverflowError:  # a JSON integer of hundreds of digits
        return False
    return True


def read_evaluation(key: Key, ruleset: RuleSet, data: Mapping[str, Any]):
    """The typed answers, age group and département of an evaluation request, or an ApiError."""
    unknown = [name for name in data if name not in EVALUATION_FIELDS]
    if unknown:
        raise ApiError(400, "REQUETE_INVALIDE", f"Champ inconnu : « {str(unknown[0])[:80]} ». Champs permis : "
                       + ", ".join(EVALUATION_FIELDS) + ".")
    raw_answers = data.get("answers", {})
    if raw_answers is None:
        raw_answers = {}
    if not isinstance(raw_answers, dict):
        raise ApiError(400, "REQUETE_INVALIDE", "« answers » doit être un objet : identifiant de question -> réponse.")
    age_group = data.get("age_group")
    if AGE_QUESTION_ID in raw_answers:
        if age_group is not None and raw_answers[AGE_QUESTION_ID] != age_group:
            raise ApiError(400, "REQUETE_INVALIDE",
                           "Deux tranches d'âge différentes : dans « age_group » et dans « answers ».")
        age_group = raw_answers[AGE_QUESTION_ID]
    if age_group is not None and (not isinstance(age_group, str) or age_group not in AGE_BANDS):
        raise _invalid(AGE_QUESTION_ID, "Tranche d'âge inconnue. Valeurs permises : " + ", ".join(AGE_BANDS) + ".")
    departement = data.get("departement")
    if departement is not None and (not isinstance(departement, str)
                                    or (departement != NO_DEPARTEMENT and departement not in ruleset.departements)):
        raise _invalid("departement", "Département inconnu : indiquez un code (« 13 », « 2A », « 974 ») ou « nsp ».")
    answers: dict[str, engine.Value] = {}
    for qid, raw in raw_answers.items():
        if qid == AGE_QUESTION_ID:
            continue
        question = key.question(qid)
        if question is None:
            hint = suggest(qid, [q.id for q in key.questions])
            raise ApiError(400, "QUESTION_INCONNUE", f"Question « {str(qid)[:80]} » inconnue dans cette clé."
                           + (f" Vouliez-vous dire « {hint} » ?" if hint else ""), question=str(qid)[:80])
        if not (_checked_scalar(raw) or (isinstance(raw, list) and all(isinstance(v, str) for v in raw))):
            raise _invalid(qid, "Réponse illisible : une chaîne, un nombre ou une liste de chaînes est attendu.")
        if isinstance(raw, int) and not _fits_float(raw):
            raise _invalid(qid, "Nombre hors des bornes permises.")
        try:
            answers[qid] = engine.normalise(question, raw, ruleset.departements)
        except engine.InvalidAnswer as exc:
            raise _invalid(qid, exc.message) from None
    return answers, age_group, departement


def _path(c: Consultation, ruleset: RuleSet) -> list[dict]:
    values = c.all_answers
    return [{"question": row.question_id, "text": row.text, "value": engine.to_storable(values[row.question_id]),
             "answer": row.answer} for row in c.rows(ruleset.departement_names)]


# --- routes --------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document():
    from ..openapi import build_document

    return _json(build_document(_ruleset()))


@bp.get("/cles")
def keys():
    ruleset = _ruleset()
    return _json({"rules_version": ruleset.version,
                  "keys": [key_summary(k, ruleset) for k in ruleset.keys.values()]})


@bp.get("/cles/<key_id>")
def key_detail(key_id: str):
    ruleset = _ruleset()
    key = _key(key_id)
    return _json({
        **key_summary(key, ruleset),
        "authored_by": key.authored_by,
        "reviewed_on": key.reviewed_on.isoformat(),
        "review_due": key.review_due.isoformat(),
        "sources": _sources(key),
        "questions": [question_json(q, ruleset) for q in key.consultation_questions],
        "outcomes": [outcome_summary(o) for o in key.outcomes],
        "rules_version": ruleset.version,
    })


@bp.post("/cles/<key_id>/evaluer")
def evaluate(key_id: str):
    ruleset = _ruleset()
    key = _key(key_id)
    c = Consultation(key, *read_evaluation(key, ruleset, _body()))
    # The département is optional here (centres are then listed nationally): the API answers
    # with the orientation as soon as the key is decided.
    question = c.next_question
    if question is not None:
        return _json({"status": "question", "question": question_json(question, ruleset),
                      "path": _path(c, ruleset), "dropped": list(c.dropped)})
    result = compose(ruleset, c.state, c.age_group, c.departement)
    return _json({"status": "orientation",
                  "orientation": orientation_json(result, ruleset, c.age_group, c.departement),
                  "path": _path(c, ruleset), "dropped": list(c.dropped)})


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
def fhir_questionnaire(key_id: str):
    key = _key(key_id)
    return _json(fhir.questionnaire(key, _ruleset(), base=_fhir_base()), mimetype=FHIR_JSON)


@bp.post("/cles/<key_id>/fhir/reponse")
def fhir_response(key_id: str):
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
    return _json(resource, mimetype=FHIR_JSON)


DIRECTORY_PARAMS = ("filiere", "region", "departement", "type", "age")


def _query_params(allowed) -> dict[str, str]:
    unknown = [name for name in request.args if name not in allowed]
    if unknown:
        raise ApiError(400, "REQUETE_INVALIDE", f"Paramètre inconnu : « {unknown[0][:80]} ». Paramètres permis : "
                       + ", ".join(allowed) + ".")
    repeated = [name for name in request.args if len(request.args.getlist(name)) > 1]
    if repeated:  # one value per parameter: never silently keep the first of several
        raise ApiError(400, "REQUETE_INVALIDE", f"Paramètre « {repeated[0]} » donné plusieurs fois : une seule "
                       "valeur est permise.", parameter=repeated[0])
    return {name: request.args.get(name, "") for name in allowed}


@bp.get("/annuaire")
def directory():
    ruleset = _ruleset()
    params = _query_params(DIRECTORY_PARAMS)
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
    return _json({"filters": chosen, "count": len(sites), "total": len(ruleset.centres),
                  "centres": [centre_json(directory.suggestion(c)) for c in sites], "rules_version": ruleset.version})


@bp.get("/maladies")
def diseases():
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
    results = []
    for hit in hits:
        entry = hit.entry
        pnds = ruleset.pnds.get(entry.pnds or "")
        results.append({
            "id": entry.id,
            "kind": entry.kind,
            "name": entry.name,
            "matched": hit.matched,
            "score": hit.score,
            "filieres": _filieres(ruleset, entry.filieres),
            "pnds": None if pnds is None else {"id": pnds.id, "title": pnds.title, "url": pnds.url, "year": pnds.year},
            "orphanet": [{"label": f"Fiche Orphanet ORPHA:{code}", "url": ruleset.orphanet_url(code)}
                         for code in entry.orpha],
            "key": entry.key,
            "page": (url_for("diseases.detail", pnds_id=entry.pnds) if entry.pnds
                     else url_for("wizard.intro", key_id=entry.key)),
        })
    return _json({"query": checked.text, "count": len(results), "results": results})
