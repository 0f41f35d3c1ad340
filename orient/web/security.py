"""Security of every response: the secret key, the encrypted session cookie, CSRF, proxies,
and the security headers.

Each is a library's own mechanism configured here (Flask's session interface, Flask-WTF's
CSRFProtect, werkzeug's ProxyFix and ``Headers``), so that what protects the visitor
is read in one module.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from orient.web.cookie import EncryptedSessionInterface

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


def init_app(app: Flask) -> None:
    _require_secret_key(app)
    app.session_interface = EncryptedSessionInterface()
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
    csrf.init_app(app)

    wanted = SECURITY_HEADERS + ((HSTS,) if app.config["SESSION_COOKIE_SECURE"] else ())
    defaults = tuple((name.lower(), name, value) for name, value in wanted)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # Only where a view has not set its own. One pass over the few headers already there:
        # ``Headers.setdefault`` finds a missing name by raising and catching werkzeug's
        # BadRequestKeyError, seven times per response: measured at about a sixth of a wizard
        # request and a quarter of /sante (bench/README.md, #15).
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # noqa: SIM118 (Headers iterates pairs)
        headers.extend([(name, value) for lower, name, value in defaults if lower not in present])
        if "cache-control" not in present and request.endpoint != "static":
            headers.add("Cache-Control", "no-store")
        if "location" in present:
            _relative_location(response)
        return response


def _require_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("GENERATE_SECRET_KEY"):
        # `orient serve` is one process: a per-process key is safe (sessions end with it).
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    raise MissingSecretKey(
        "ORIENT_SECRET_KEY n'est pas défini : en production, fixez une clé secrète commune "
        "à tous les workers (par exemple : export ORIENT_SECRET_KEY=$(python -c "
        "'import secrets; print(secrets.token_hex(32))'))")


def _relative_location(response: Response) -> None:
    """An absolute redirect to this very host (werkzeug's slash and merge redirects build
    them from the Host header) becomes a relative one: the Host header never reaches a
    Location. A redirect elsewhere (none today) is left alone."""
    location = response.headers.get("Location", "")
    if "//" not in location:
        return
    parts = urlsplit(location)
    if parts.scheme in ("http", "https") and parts.netloc == request.host:
        path = "/" + parts.path.lstrip("/")  # never "//x": that would be another host
        response.headers["Location"] = urlunsplit(("", "", path, parts.query, parts.fragment))
