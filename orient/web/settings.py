"""The app's settings, read from the environment (ORIENT_*): what a deployment may change."""

from __future__ import annotations

import os
from typing import Any

from orient.core.ruleset import default_rules_dir
from orient.web.cookie import DEFAULT_IDLE_TIMEOUT


def from_environment() -> dict[str, Any]:
    env = os.environ
    return dict(
        RULES_DIR=env.get("ORIENT_RULES") or str(default_rules_dir()),
        # An Orphanet nomenclature folder (official pack or CSV layout, README): search by any
        # rare-disease name. Without it, the search covers the PNDS diseases only.
        ORPHANET_DIR=env.get("ORIENT_ORPHANET") or None,
        SECRET_KEY=env.get("ORIENT_SECRET_KEY"),
        SESSION_COOKIE_NAME="orient",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=env.get("ORIENT_SECURE_COOKIES") == "1",
        # The session cookie is a browser-session cookie (no Expires), encrypted, and refused
        # after this many seconds without activity (cookie.py).
        SESSION_IDLE_TIMEOUT=int(float(env.get("ORIENT_IDLE_MINUTES") or DEFAULT_IDLE_TIMEOUT / 60) * 60),
        # Host names this server answers for (comma-separated in ORIENT_TRUSTED_HOSTS); any
        # other Host header is refused (400) before it can reach a URL.
        TRUSTED_HOSTS=[h.strip() for h in env["ORIENT_TRUSTED_HOSTS"].split(",") if h.strip()]
        if env.get("ORIENT_TRUSTED_HOSTS") else None,
        # The public address (https://orient.example.fr): absolute URLs (FHIR canonical URLs)
        # are built from it, never from the request's Host header.
        PUBLIC_URL=(env.get("ORIENT_PUBLIC_URL") or "").rstrip("/") or None,
        # How many reverse proxies in front set X-Forwarded-For / -Proto (nginx: 1). 0: none
        # is trusted, the headers are ignored.
        PROXY_COUNT=int(env.get("ORIENT_PROXIES") or 0),
        MAX_CONTENT_LENGTH=16 * 1024,
        WTF_CSRF_TIME_LIMIT=2 * 3600,
        WTF_CSRF_SSL_STRICT=False,  # same-origin is enforced by SameSite and the CSP form-action
        TEMPLATES_AUTO_RELOAD=False,
    )
