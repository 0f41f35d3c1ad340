"""Running the service: health check and structured access log (rules reload: rules.py).

The access log records method, path (never the query string), status, size and duration:
answers travel in POST bodies and the session cookie, and replay links carry answers in
the query string, so none of them ever reaches a log line.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Blueprint, Flask, current_app, g, jsonify, request

from orient.web.rules import reload_rules  # noqa: F401  (orient serve and gunicorn's reload hook import it from here)

bp = Blueprint("operations", __name__)
access_log = logging.getLogger("orient.access")


@bp.get("/sante")
def health():
    ruleset = current_app.extensions["orient"]
    return jsonify(statut="ok", version=ruleset.version, cles=len(ruleset.keys), sites=len(ruleset.centres))


def init_app(app: Flask) -> None:
    """The access log: one line per request."""

    @app.before_request
    def _start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def _log(response):
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(AccessLine(
                methode=request.method,
                chemin=request.path,
                statut=response.status_code,
                octets=response.calculate_content_length(),
                ms=round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
            ))
        return response


class AccessLine(dict):
    """An access-log record's fields: the JSON formatter (orient.wsgi) merges them into its
    one-line record; any other handler prints them as one JSON object."""

    def __str__(self) -> str:
        return json.dumps(self, ensure_ascii=False)
