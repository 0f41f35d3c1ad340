"""The rule set the app serves: loaded once at start, swapped whole on a reload.

``create_app`` raises RuleSetError (so ``orient serve`` refuses to start) rather than serve a
partial rule set; a reload that finds errors keeps the last good set in service.
"""

from __future__ import annotations

import gc
import logging

from flask import Flask

from orient.core.diagnostics import Diagnostic
from orient.core.ruleset import load, load_or_raise
from orient.services.nomenclature import load_or_raise as load_nomenclature
from orient.services.search import index_for

log = logging.getLogger("orient")


def init_app(app: Flask) -> None:
    # The Orphanet nomenclature, if configured, is read once (a broken one: RuleSetError, so
    # that the app refuses to start with every problem listed); the rules are checked against it.
    nomenclature = load_nomenclature(app.config.get("ORPHANET_DIR"))
    app.extensions["orient_orphanet"] = nomenclature
    app.extensions["orient"] = load_or_raise(app.config["RULES_DIR"], nomenclature=nomenclature)
    index_for(app.extensions["orient"], nomenclature)  # the name index, built before a server forks


def reload_rules(app: Flask) -> tuple[bool, list[Diagnostic]]:
    """Load the rules again; swap them in only if they have no error.

    On failure the last good rule set keeps serving and every diagnostic is logged.
    """
    ruleset, diagnostics = load(app.config["RULES_DIR"], nomenclature=app.extensions.get("orient_orphanet"))
    if ruleset is None:
        for d in diagnostics:
            if d.is_error:
                log.error("rechargement refusé : %s", d.format())
        log.error("règles invalides : le jeu de règles précédent (%s) reste en service",
                  app.extensions["orient"].version)
        return False, diagnostics
    index_for(ruleset, app.extensions.get("orient_orphanet"))  # built before the swap, not by a request
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
