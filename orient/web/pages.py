"""Pages around the wizard: the home page with its three doors, and the fixed pages."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from orient.core.model import SYSTEM_LABELS
from orient.services.orientation import national_resources, platforms
from orient.services.search import normalise_text

bp = Blueprint("pages", __name__)

SCREENER_KEY = "quand-penser-maladie-rare"


def _ruleset():
    return current_app.extensions["orient"]


@bp.get("/")
def home():
    ruleset = _ruleset()
    query = request.args.get("filtre", "")[:80]
    needle = normalise_text(query)
    groups: dict[str, list] = {}
    for key in ruleset.keys.values():
        if key.id == SCREENER_KEY:
            continue
        haystack = normalise_text(f"{key.title} {key.summary} {SYSTEM_LABELS[key.system]}")
        if needle and needle not in haystack:
            continue
        groups.setdefault(key.system, []).append(key)
    ordered = [(SYSTEM_LABELS[s], groups[s]) for s in SYSTEM_LABELS if s in groups]
    return render_template("home.html", groups=ordered, query=query, screener=ruleset.keys.get(SCREENER_KEY),
                           key_count=len(ruleset.keys))


@bp.get("/aucune-cle")
def no_key():
    ruleset = _ruleset()
    regional = sorted(platforms(ruleset), key=lambda r: r.name)
    region_names = {code: region.name for code, region in ruleset.regions.items()}
    filieres = ruleset.filieres_by_acronym
    return render_template("no_key.html", national=national_resources(ruleset), regional=regional,
                           region_names=region_names, filieres=filieres, screener=ruleset.keys.get(SCREENER_KEY))


@bp.get("/accessibilite")
def accessibility():
    return render_template("accessibility.html")


@bp.get("/a-propos")
def about():
    ruleset = _ruleset()
    return render_template("about.html", meta=ruleset.meta, centres=len(ruleset.centres),
                           networks=len(ruleset.networks), keys=len(ruleset.keys), pnds=len(ruleset.pnds))
