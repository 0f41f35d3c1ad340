"""The API's error protocol: every error under /api/v1 is JSON with a stable code and a French
message, ``{"error": {"code": "CLE_INCONNUE", "message": "..."}}`` (the ``Error`` model), with
status 400, 404, 405, 413 or 415, never an HTML page.

Routing errors (unknown path, wrong method) happen before any blueprint is known, so they are
answered by an app-wide ``before_request`` hook limited to /api/v1 paths; errors inside the
views by the blueprint's error handlers (``install``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from orient.web.api.models import Error

PREFIX = "/api/v1"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **details: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def json_response(data: Any, status: int = 200, mimetype: str = "application/json",
                  headers: dict[str, str] | None = None) -> Response:
    """``data`` (a model, dumped in its fields' order, or plain JSON data) as compact UTF-8 JSON."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    try:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate somewhere: \uXXXX escapes are still valid JSON
        body = json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return current_app.response_class(body, status=status, mimetype=mimetype, headers=headers)


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   **details: Any) -> Response:
    error = Error.model_validate({"error": {"code": code, "message": message, **details}})
    return json_response(error.model_dump(mode="json", exclude_unset=True), status, headers=headers)


HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("REQUETE_INVALIDE", "La requête n'a pas pu être comprise."),
    404: ("NON_TROUVE", "Cette adresse n'existe pas dans l'API."),
    405: ("METHODE_NON_PERMISE", "Cette adresse ne s'utilise pas avec cette méthode HTTP."),
    413: ("REQUETE_TROP_VOLUMINEUSE", "Les données envoyées dépassent la taille permise."),
    415: ("TYPE_NON_PRIS_EN_CHARGE", "Le corps de la requête doit être du JSON (Content-Type: application/json)."),
}


def http_error(error: HTTPException) -> Response:
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


def install(bp: Blueprint) -> None:
    """The error handlers of the API's blueprint, and the hook for its routing errors."""

    @bp.before_app_request
    def _api_routing_errors():
        """Unknown /api/v1 path or wrong method: JSON, not the site's HTML error page."""
        error = request.routing_exception
        if error is None or isinstance(error, RequestRedirect) or not _is_api_path(request.path):
            return None
        if isinstance(error, HTTPException):
            return http_error(error)
        return None

    @bp.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error.status, error.code, error.message, **error.details)

    @bp.errorhandler(HTTPException)
    def _api_http_error(error: HTTPException):
        return http_error(error)

    @bp.errorhandler(Exception)
    def _api_unexpected(error: Exception):  # a bug: traceback logged (one JSON line), never the request body
        current_app.logger.exception("erreur inattendue dans l'API")
        return error_response(500, "ERREUR_INTERNE", "Une erreur inattendue est survenue.")
