"""Entry by a known or suspected disease name (/maladies): search, disease pages, suggestions.

GET forms only: the search and the centre filters work without JavaScript and every page is
a shareable URL. ``static/combobox.js`` only adds suggestions as the GP types, from
``/maladies/suggestions``. Invalid input (too long, odd characters, unknown département or
age group) -> the page with a French message and status 400, never a 500.

Two kinds of disease page: ``/maladies/<pnds>`` for a disease with a PNDS, and, when the
operator configured an Orphanet nomenclature, ``/maladies/orpha/<code>`` for any active
Orphanet entity (an obsolete code redirects to its replacement), with the filière suggested
by orient's mapping (orient/core/orphanet.py). Without a nomenclature the pages say that the
search covers the PNDS diseases only.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from orient.core.model import AGE_BANDS
from orient.core.orphanet import catalogue_for
from orient.services.directory import ANY, directory_for
from orient.services.orientation import NO_DEPARTEMENT, centres_scope, national_resources, regional_resources
from orient.services.search import Hit, check_query, index_for
from orient.services.search import search as run_search
from orient.web.forms import choice_pair, departement_choices

bp = Blueprint("diseases", __name__, url_prefix="/maladies")

RESULTS_LIMIT = 20
SUGGESTIONS_LIMIT = 8


def _ruleset():
    return current_app.extensions["orient"]


def _nomenclature():
    return current_app.extensions.get("orient_orphanet")


def _index(ruleset):
    return index_for(ruleset, _nomenclature())


def hit_url(hit: Hit) -> str:
    if hit.entry.pnds:
        return url_for("diseases.detail", pnds_id=hit.entry.pnds)
    if hit.entry.kind == "orpha":
        return url_for("diseases.orpha", code=hit.entry.orpha[0])
    return url_for("wizard.intro", key_id=hit.entry.key)


def hit_filieres(ruleset, hit: Hit) -> tuple[str, ...]:
    """A hit's filières: its own, or for an Orphanet entity the suggested ones."""
    nomenclature = _nomenclature()
    if hit.entry.kind == "orpha" and nomenclature is not None:
        return catalogue_for(ruleset, nomenclature).suggest(hit.entry.orpha[0]).filieres
    return hit.filieres


def _acronyms(ruleset, filiere_ids) -> list[str]:
    return [ruleset.filieres[f].acronym for f in filiere_ids if f in ruleset.filieres]


def _search_page(ruleset, query, results, status=200, **extra):
    return render_template("diseases.html", query=query, results=results, keys=ruleset.keys,
                           pnds_count=len(ruleset.pnds), nomenclature=_nomenclature(), **extra), status


@bp.get("")
def search():
    ruleset = _ruleset()
    checked = check_query(request.args.get("q"))
    hits = run_search(_index(ruleset), checked.normalised, limit=RESULTS_LIMIT) if checked.normalised else []
    results = [(hit, hit_url(hit), _acronyms(ruleset, hit_filieres(ruleset, hit))) for hit in hits]
    return _search_page(ruleset, checked, results, 400 if checked.error else 200)


@bp.get("/suggestions")
def suggestions():
    """Up to 8 {label, url, hint} for the combobox; a short query is no error (still typing)."""
    ruleset = _ruleset()
    checked = check_query(request.args.get("q"))
    if checked.reason == "trop-court":  # still typing: nothing to suggest yet
        return jsonify({"suggestions": []})
    if checked.error:
        return jsonify({"suggestions": [], "message": checked.error}), 400
    hits = run_search(_index(ruleset), checked.normalised, limit=SUGGESTIONS_LIMIT) if checked.normalised else []
    return jsonify({"suggestions": [
        {"label": hit.name, "url": hit_url(hit), "hint": " · ".join(_acronyms(ruleset, hit_filieres(ruleset, hit)))}
        for hit in hits]})


def _filters(ruleset):
    """The page's département and age filters: (errors, département code, age band, context)."""
    errors: dict[str, str] = {}
    dep_raw = request.args.get("dep", "")
    age_raw = request.args.get("age", "")
    if dep_raw and dep_raw != NO_DEPARTEMENT and dep_raw not in ruleset.departements:
        errors["dep"] = "Ce département n'est pas reconnu : choisissez-le dans la liste."
    if age_raw and age_raw not in AGE_BANDS:
        errors["age"] = "Cette tranche d'âge n'est pas reconnue : choisissez-la dans la liste."
    dep_code = dep_raw if dep_raw in ruleset.departements else None
    age = age_raw if age_raw in AGE_BANDS else None
    dep = ruleset.departements.get(dep_code or "")
    context = dict(
        errors=errors, departements=[choice_pair(c) for c in departement_choices(ruleset)], ages=AGE_BANDS,
        selected={"dep": dep_raw if dep_raw in ruleset.departements or dep_raw == NO_DEPARTEMENT else "",
                  "age": age or ""},
        scope=centres_scope(dep), age_label=AGE_BANDS.get(age or ""),
        regional=regional_resources(ruleset, dep_code), national=national_resources(ruleset),
        expert_centres_url=ruleset.url_patterns.orphanet_expert_centres, nomenclature=_nomenclature())
    return errors, dep_code, age, context


def _referrals(ruleset, filiere_ids, networks, age, dep_code):
    """(filière, referral) for each filière: the named networks' sites first, else any site."""
    directory = directory_for(ruleset)
    out = []
    for f in (ruleset.filieres[i] for i in filiere_ids if i in ruleset.filieres):
        own = tuple(n for n in networks if n in ruleset.networks and ruleset.networks[n].filiere == f.id)
        out.append((f, directory.refer(f.id, own or ANY, age_group=age, departement=dep_code)))
    return out


@bp.get("/<pnds_id>")
def detail(pnds_id: str):
    ruleset = _ruleset()
    pnds = ruleset.pnds.get(pnds_id)
    if pnds is None:  # an old or mistyped link: back to the search form, in French
        return _search_page(ruleset, check_query(""), [], 404, missing=True)
    errors, dep_code, age, context = _filters(ruleset)
    # The networks that declare this PNDS are proposed first; without one, any site of the filière.
    covering = tuple(n.id for n in ruleset.networks_for_pnds.get(pnds.id, ()))
    keys = [k for k in ruleset.keys.values() if any(pnds.id in o.pnds for o in k.outcomes)]
    orphanet = [(code, ruleset.orphanet_url(code)) for code in pnds.orpha]
    return render_template(
        "disease.html", title=pnds.title, pnds=pnds, entity=None, suggestion=None,
        filieres=_referrals(ruleset, pnds.filieres, covering, age, dep_code), keys=keys, orphanet=orphanet,
        action=url_for("diseases.detail", pnds_id=pnds.id), **context), 400 if errors else 200


@bp.get("/orpha/<int:code>")
def orpha(code: int):
    """Any active Orphanet entity; an obsolete or deprecated code redirects to its replacement."""
    ruleset = _ruleset()
    nomenclature = _nomenclature()
    if nomenclature is None:
        return _search_page(ruleset, check_query(""), [], 404, missing=True, no_nomenclature=True)
    entity, replaced = nomenclature.resolve(code)
    if entity is None:
        return _search_page(ruleset, check_query(""), [], 404, missing=True)
    if replaced is not None:
        args = {"ancien": str(replaced), **{k: v for k, v in request.args.items() if k in ("dep", "age")}}
        return redirect(url_for("diseases.orpha", code=entity.code) + "?" + urlencode(args), 302)
    errors, dep_code, age, context = _filters(ruleset)
    catalogue = catalogue_for(ruleset, nomenclature)
    suggestion = catalogue.suggest(entity.code)
    old = request.args.get("ancien", "")
    old_code = int(old) if old.isdigit() and nomenclature.resolve(int(old))[0] is entity else None
    head = catalogue.preferred_head(entity.code)
    parents = next(iter(nomenclature.ancestors(entity.code, head)), (0, ()))[1]
    placed = [name for name in map(nomenclature.name_of, parents) if name]
    keys = [k for k in ruleset.keys.values() if any(p.id in o.pnds for o in k.outcomes for p in suggestion.pnds)]
    return render_template(
        "disease.html", title=entity.name, pnds=None, entity=entity, suggestion=suggestion,
        via_name=nomenclature.name_of(suggestion.via) if suggestion.via and suggestion.via != entity.code else None,
        head_name=nomenclature.name_of(head) if head else None, placed=placed, old_code=old_code,
        filieres=_referrals(ruleset, suggestion.filieres, suggestion.networks, age, dep_code), keys=keys,
        orphanet=[(entity.code, ruleset.orphanet_url(entity.code))],
        action=url_for("diseases.orpha", code=entity.code), **context), 400 if errors else 200
