"""The Flask application: thin views over the engine, stateless across workers.

``create_app`` loads and checks the rules once and keeps the frozen RuleSet in
``app.extensions["orient"]``; it raises RuleSetError (so ``orient serve`` refuses to start)
rather than serve a partial rule set. Answers live only in the session cookie (encrypted,
forgotten when the browser closes or after an idle timeout: cookie.py).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from ..model import POPULATION_LABELS, SITE_TYPE_LABELS
from ..orientation import french_date
from .forms import choice_pair
from .cookie import DEFAULT_IDLE_TIMEOUT, EncryptedSessionInterface
from ..resources import resource_dir
from ..ruleset import default_rules_dir, load_or_raise

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


HSTS = ("Strict-Transport-Security", "max-age=31536000")  # only with ORIENT_SECURE_COOKIES=1 (HTTPS)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "geolocation=(), camera=(), microphone=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


class MissingSecretKey(RuntimeError):
    pass


def create_app(config: dict[str, Any] | None = None) -> Flask:
    # The top-level folders of a checkout, or their copies inside an installed wheel (resources.py).
    app = Flask("orient", template_folder=resource_dir("templates"), static_folder=resource_dir("static"))
    app.config.update(
        RULES_DIR=os.environ.get("ORIENT_RULES") or str(default_rules_dir()),
        SECRET_KEY=os.environ.get("ORIENT_SECRET_KEY"),
        SESSION_COOKIE_NAME="orient",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("ORIENT_SECURE_COOKIES") == "1",
        # The session cookie is a browser-session cookie (no Expires), encrypted, and refused
        # after this many seconds without activity (cookie.py).
        SESSION_IDLE_TIMEOUT=int(float(os.environ.get("ORIENT_IDLE_MINUTES") or DEFAULT_IDLE_TIMEOUT / 60) * 60),
        # Host names this server answers for (comma-separated in ORIENT_TRUSTED_HOSTS); any
        # other Host header is refused (400) before it can reach a URL.
        TRUSTED_HOSTS=[h.strip() for h in os.environ["ORIENT_TRUSTED_HOSTS"].split(",") if h.strip()]
        if os.environ.get("ORIENT_TRUSTED_HOSTS") else None,
        # The public address (https://orient.example.fr): absolute URLs (FHIR canonical URLs)
        # are built from it, never from the request's Host header.
        PUBLIC_URL=(os.environ.get("ORIENT_PUBLIC_URL") or "").rstrip("/") or None,
        # How many reverse proxies in front set X-Forwarded-For / -Proto (nginx: 1). 0: none
        # is trusted, the headers are ignored.
        PROXY_COUNT=int(os.environ.get("ORIENT_PROXIES") or 0),
        MAX_CONTENT_LENGTH=16 * 1024,
        WTF_CSRF_TIME_LIMIT=2 * 3600,
        WTF_CSRF_SSL_STRICT=False,  # same-origin is enforced by SameSite and the CSP form-action
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        if app.config.get("GENERATE_SECRET_KEY"):
            # `orient serve` is one process: a per-process key is safe (sessions end with it).
            app.config["SECRET_KEY"] = secrets.token_hex(32)
        else:
            raise MissingSecretKey(
                "ORIENT_SECRET_KEY n'est pas défini : en production, fixez une clé secrète commune "
                "à tous les workers (par exemple : export ORIENT_SECRET_KEY=$(python -c "
                "'import secrets; print(secrets.token_hex(32))'))")
    app.session_interface = EncryptedSessionInterface()
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
    app.extensions["orient"] = load_or_raise(app.config["RULES_DIR"])
    csrf.init_app(app)
    app.jinja_env.autoescape = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from . import api, directory_views, diseases, operations, pagecache, pages, training, wizard

    pagecache.install(app)

    app.register_blueprint(pages.bp)
    app.register_blueprint(wizard.bp)
    app.register_blueprint(directory_views.bp)
    app.register_blueprint(operations.bp)
    operations.install_access_log(app)
    app.register_blueprint(training.bp)
    app.register_blueprint(diseases.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # read-only, stateless JSON: no session, no cookie to protect
    app.jinja_env.globals["url_rules"] = frozenset(app.view_functions)

    app.jinja_env.filters["date_fr"] = french_date
    app.jinja_env.filters["choice_pair"] = choice_pair
    app.jinja_env.globals.update(site_type_labels=SITE_TYPE_LABELS, population_labels=POPULATION_LABELS)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        ruleset = app.extensions["orient"]
        return {"rules_version": ruleset.version, "today": french_date(dt.date.today())}

    security_headers = SECURITY_HEADERS + ((HSTS,) if app.config["SESSION_COOKIE_SECURE"] else ())

    @app.after_request
    def _security_headers(response):
        # Only where a view has not set its own. werkzeug's Headers.setdefault finds a name
        # missing by raising and catching an exception inside, which is the usual case here:
        # seven times per response. One pass over the few headers already there instead.
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        for name, value in security_headers:
            if name.lower() not in present:
                headers.add(name, value)
        if "cache-control" not in present and request.endpoint != "static":
            headers.add("Cache-Control", "no-store")
        if "location" in present:
            _relative_location(response)
        return response

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
        titles = {
            400: ("Demande invalide", "La demande n'a pas pu être comprise."),
            404: ("Page introuvable", "Cette page n'existe pas, ou plus."),
            405: ("Méthode non permise", "Cette adresse ne s'utilise pas ainsi."),
            413: ("Envoi trop volumineux", "Les données envoyées dépassent la taille permise."),
        }
        title, message = titles.get(error.code or 400, ("Erreur", "Une erreur est survenue."))
        return render_template("error.html", title=title, message=message, resume=None), error.code

    @app.errorhandler(Exception)
    def _server_error(error: Exception):
        app.logger.exception("erreur inattendue")
        return render_template("error.html", title="Erreur inattendue",
                               message="Une erreur inattendue est survenue ; vos réponses sont conservées.",
                               resume=None), 500

    return app


def _relative_location(response) -> None:
    """An absolute redirect to this very host (werkzeug's slash and merge redirects build
    them from the Host header) becomes a relative one: the Host header never reaches a
    Location. A redirect elsewhere (none today) is left alone."""
    location = response.headers.get("Location", "")
    if "//" not in location:
        return
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(location)
    if parts.scheme in ("http", "https") and parts.netloc == request.host:
        path = "/" + parts.path.lstrip("/")  # never "//x": that would be another host
        response.headers["Location"] = urlunsplit(("", "", path, parts.query, parts.fragment))
