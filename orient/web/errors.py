"""Error pages: every error a visitor can meet is a French page (or, for an unknown host, a
French line of text), never a stack trace."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

TITLES = {
    400: ("Demande invalide", "La demande n'a pas pu être comprise."),
    404: ("Page introuvable", "Cette page n'existe pas, ou plus."),
    405: ("Méthode non permise", "Cette adresse ne s'utilise pas ainsi."),
    413: ("Envoi trop volumineux", "Les données envoyées dépassent la taille permise."),
}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return render_template(
            "error.html", title="Formulaire expiré ou invalide",
            message="Ce formulaire a expiré ou n'a pas pu être vérifié (session trop ancienne, "
                    "cookie refusé, ou page ouverte depuis trop longtemps). Vos réponses déjà "
                    "enregistrées sont conservées.",
            resume=request.path), 400

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if isinstance(error, SecurityError):
            # A Host header outside TRUSTED_HOSTS: no URL can be built for it, so no page.
            return app.response_class("Hôte non autorisé.\n", status=400, mimetype="text/plain")
        title, message = TITLES.get(error.code or 400, ("Erreur", "Une erreur est survenue."))
        return render_template("error.html", title=title, message=message, resume=None), error.code

    @app.errorhandler(Exception)
    def _server_error(error: Exception):
        app.logger.exception("erreur inattendue")
        return render_template("error.html", title="Erreur inattendue",
                               message="Une erreur inattendue est survenue ; vos réponses sont conservées.",
                               resume=None), 500
