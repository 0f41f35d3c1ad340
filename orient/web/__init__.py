"""The Flask application: thin views over the engine, stateless across workers.

``create_app`` loads and checks the rules once and keeps the frozen RuleSet in
``app.extensions["orient"]``; it raises RuleSetError (so ``orient serve`` refuses to start)
rather than serve a partial rule set. Answers live only in the signed session cookie.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from typing import Any

from flask import Flask, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from ..model import POPULATION_LABELS, SITE_TYPE_LABELS
from ..orientation import french_date
from .forms import choice_pair
from .signing import SHA1, KeptSignerSerializer
from ..ruleset import default_rules_dir, load_or_raise

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


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


class _PlainJSON:
    """The session holds only ids and JSON values (see journey.py): plain JSON is enough, and
    skips the tag walk that Flask's default serializer does over every value, both ways."""

    @staticmethod
    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True)

    @staticmethod
    def loads(value: str | bytes) -> Any:
        return json.loads(value)


class FlaggingSessionInterface(SecureCookieSessionInterface):
    """Like Flask's signed cookie session, but remembers when a cookie was sent and rejected
    (forged, or signed with an old key), so the wizard can say so instead of silently
    starting over."""

    serializer = _PlainJSON()  # type: ignore[assignment]

    digest_method = staticmethod(SHA1)  # same SHA-1 as Flask's, computed by OpenSSL (signing.py)

    # Flask builds a new signing serializer (and re-checks its text mode) on every open and
    # every save; one per secret key is enough, and it is thread-safe (its caches only ever
    # gain entries that are pure functions of the key).
    def get_signing_serializer(self, app):  # type: ignore[override]
        fallbacks = tuple(app.config.get("SECRET_KEY_FALLBACKS") or ())
        cache_key = (app.secret_key, fallbacks)
        cached = getattr(self, "_serializer", None)
        if cached is None or cached[0] != cache_key:
            if not app.secret_key:
                return None
            serializer = KeptSignerSerializer(
                [*fallbacks, app.secret_key], salt=self.salt, serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
                compress=False)
            cached = (cache_key, serializer)
            self._serializer = cached
        return cached[1]

    def open_session(self, app, request):  # type: ignore[override]
        session = super().open_session(app, request)
        cookie = request.cookies.get(self.get_cookie_name(app))
        if session is not None and cookie and not session:
            session.rejected = True  # type: ignore[attr-defined]
        return session


def create_app(config: dict[str, Any] | None = None) -> Flask:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    app = Flask("orient", template_folder=os.path.join(root, "templates"),
                static_folder=os.path.join(root, "static"))
    app.config.update(
        RULES_DIR=os.environ.get("ORIENT_RULES") or str(default_rules_dir()),
        SECRET_KEY=os.environ.get("ORIENT_SECRET_KEY"),
        SESSION_COOKIE_NAME="orient",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("ORIENT_SECURE_COOKIES") == "1",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=2),
        # Re-signing an unchanged cookie on every GET costs CPU and buys nothing: the cookie
        # is re-issued whenever an answer changes.
        SESSION_REFRESH_EACH_REQUEST=False,
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
    app.session_interface = FlaggingSessionInterface()
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

    @app.after_request
    def _security_headers(response):
        # Only where a view has not set its own. werkzeug's Headers.setdefault finds a name
        # missing by raising and catching an exception inside, which is the usual case here:
        # seven times per response. One pass over the few headers already there instead.
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if "cache-control" not in present and request.endpoint != "static":
            headers.add("Cache-Control", "no-store")
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
