"""Entry by a known or suspected disease name (/maladies): search, disease page, suggestions.

GET forms only: the search and the centre filters work without JavaScript and every page is
a shareable URL. ``static/combobox.js`` only adds suggestions as the GP types, from
``/maladies/suggestions``. Invalid input (too long, odd characters, unknown département or
age group) -> the page with a French message and status 400, never a 500.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from ..directory import ANY, directory_for
from ..model import AGE_BANDS
from ..orientation import NO_DEPARTEMENT, national_resources, regional_resources
from ..search import Hit, check_query, index_for
from ..search import search as run_search
from .forms import choice_pair, departement_choices

bp = Blueprint("diseases", __name__, url_prefix="/maladies")

RESULTS_LIMIT = 20
SUGGESTIONS_LIMIT = 8


def _ruleset():
    return current_app.extensions["orient"]


def hit_url(hit: Hit) -> str:
    if hit.entry.pnds:
        return url_for("diseases.detail", pnds_id=hit.entry.pnds)
    return url_for("wizard.intro", key_id=hit.entry.key)


def _acronyms(ruleset, filiere_ids) -> list[str]:
    return [ruleset.filieres[f].acronym for f in filiere_ids if f in ruleset.filieres]


@bp.get("")
def search():
    ruleset = _ruleset()
    checked = check_query(request.args.get("q"))
    hits = run_search(index_for(ruleset), checked.normalised, limit=RESULTS_LIMIT) if checked.normalised else []
    results = [(hit, hit_url(hit), _acronyms(ruleset, hit.filieres)) for hit in hits]
    status = 400 if checked.error else 200
    return render_template("diseases.html", query=checked, results=results,
                           keys=ruleset.keys, pnds_count=len(ruleset.pnds)), status


@bp.get("/suggestions")
def suggestions():
    """Up to 8 {label, url, hint} for the combobox; a short query is no error (still typing)."""
    ruleset = _ruleset()
    checked = check_query(request.args.get("q"))
    if checked.reason == "trop-court":  # still typing: nothing to suggest yet
        return jsonify({"suggestions": []})
    if checked.error:
        return jsonify({"suggestions": [], "message": checked.error}), 400
    hits = run_search(index_for(ruleset), checked.normalised, limit=SUGGESTIONS_LIMIT) if checked.normalised else []
    return jsonify({"suggestions": [
        {"label": hit.name, "url": hit_url(hit), "hint": " · ".join(_acronyms(ruleset, hit.filieres))}
        for hit in hits]})


@bp.get("/<pnds_id>")
def detail(pnds_id: str):
    ruleset = _ruleset()
    pnds = ruleset.pnds.get(pnds_id)
    if pnds is None:  # an old or mistyped link: back to the search form, in French
        return render_template("diseases.html", query=check_query(""), results=[], keys=ruleset.keys,
                               pnds_count=len(ruleset.pnds), missing=True), 404
    errors: dict[str, str] = {}
    dep_raw = request.args.get("dep", "")
    age_raw = request.args.get("age", "")
    if dep_raw and dep_raw != NO_DEPARTEMENT and dep_raw not in ruleset.departements:
        errors["dep"] = "Ce département n'est pas reconnu : choisissez-le dans la liste."
    if age_raw and age_raw not in AGE_BANDS:
        errors["age"] = "Cette tranche d'âge n'est pas reconnue : choisissez-la dans la liste."
    dep_code = dep_raw if dep_raw in ruleset.departements else None
    age = age_raw if age_raw in AGE_BANDS else None
    directory = directory_for(ruleset)
    # The networks that declare this PNDS are proposed first; without one, any site of the filière.
    covering = ruleset.networks_for_pnds.get(pnds.id, ())
    filieres = []
    for f in (ruleset.filieres[i] for i in pnds.filieres if i in ruleset.filieres):
        own = tuple(n.id for n in covering if n.filiere == f.id)
        filieres.append((f, directory.refer(f.id, own or ANY, age_group=age, departement=dep_code)))
    dep = ruleset.departements.get(dep_code or "")
    keys = [k for k in ruleset.keys.values() if any(pnds.id in o.pnds for o in k.outcomes)]
    orphanet = [(code, ruleset.orphanet_url(code)) for code in pnds.orpha]
    return render_template(
        "disease.html", pnds=pnds, filieres=filieres, keys=keys, orphanet=orphanet, errors=errors,
        departements=[choice_pair(c) for c in departement_choices(ruleset)], ages=AGE_BANDS,
        selected={"dep": dep_raw if dep_raw in ruleset.departements or dep_raw == NO_DEPARTEMENT else "",
                  "age": age or ""},
        scope=(f"les plus proches du département : {dep.name} ({dep.code})" if dep
               else "liste nationale (département non indiqué)"),
        age_label=AGE_BANDS.get(age or ""), regional=regional_resources(ruleset, dep_code),
        national=national_resources(ruleset), expert_centres_url=ruleset.url_patterns.orphanet_expert_centres,
    ), 400 if errors else 200
