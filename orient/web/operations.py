"""Running the service: health check, structured access log, rules reload.

The access log records method, path (never the query string), status, size and duration:
answers travel in POST bodies and the session cookie, and replay links carry answers in
the query string, so none of them ever reaches a log line.
"""

from __future__ import annotations

import gc
import json
import logging
import time

from flask import Blueprint, Flask, current_app, g, jsonify, request

from ..diagnostics import Diagnostic
from ..ruleset import load

bp = Blueprint("operations", __name__)
access_log = logging.getLogger("orient.access")
log = logging.getLogger("orient")


@bp.get("/sante")
def health():
    ruleset = current_app.extensions["orient"]
    return jsonify(statut="ok", version=ruleset.version, cles=len(ruleset.keys), sites=len(ruleset.centres))


def install_access_log(app: Flask) -> None:
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


def reload_rules(app: Flask) -> tuple[bool, list[Diagnostic]]:
    """Load the rules again; swap them in only if they have no error.

    On failure the last good rule set keeps serving and every diagnostic is logged.
    """
    ruleset, diagnostics = load(app.config["RULES_DIR"])
    if ruleset is None:
        for d in diagnostics:
            if d.is_error:
                log.error("rechargement refusé : %s", d.format())
        log.error("règles invalides : le jeu de règles précédent (%s) reste en service",
                  app.extensions["orient"].version)
        return False, diagnostics
    app.extensions["orient"] = ruleset  # one reference swap: requests see old or new, never a mix
    log.info("règles rechargées : version %s", ruleset.version)
    app.extensions["orient_pages"].clear()  # would be emptied on the next request anyway; frees it now
    if gc.get_freeze_count():
        # The server froze the heap after the first load (orient.wsgi): let the old rules be
        # collected, then freeze the new ones in their turn. A rule set still held by a
        # request in flight stays frozen: one reload's worth of memory at most.
        gc.unfreeze()
        gc.collect()
        gc.freeze()
    return True, diagnostics
