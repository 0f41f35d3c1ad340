"""The directory (/annuaire) for DAC coordinators: who to call, for what, where.

GET forms only, so filters work without JavaScript and every view is a shareable URL.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from markupsafe import Markup

from orient.core.model import AGE_BANDS, SITE_TYPE_LABELS
from orient.services import orientation
from orient.services.directory import directory_for
from orient.services.orientation import national_resources, regional_resources
from orient.web import francemap

bp = Blueprint("directory", __name__, url_prefix="/annuaire")


def _ruleset():
    return current_app.extensions["orient"]


def _choice(name: str, allowed) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else None


@bp.get("/")
def index():
    ruleset = _ruleset()
    filiere = _choice("filiere", ruleset.filieres)
    region = _choice("region", ruleset.regions)
    departement = _choice("departement", ruleset.departements)
    site_type = _choice("type", SITE_TYPE_LABELS)
    age = _choice("age", AGE_BANDS)
    filtered = any((filiere, region, departement, site_type, age))
    directory = directory_for(ruleset)
    sites = [directory.suggestion(c) for c in directory.sites(
        filiere, site_types=[site_type] if site_type else (), age_group=age, region=region,
        departement=departement)] if filtered else []
    return render_template(
        "directory.html",
        filieres=ruleset.filieres_by_acronym,
        regions=sorted(ruleset.regions.values(), key=lambda r: r.name),
        departements=ruleset.departements_in_order,
        site_types=SITE_TYPE_LABELS, ages=AGE_BANDS,
        selected={"filiere": filiere, "region": region, "departement": departement, "type": site_type, "age": age},
        filtered=filtered, sites=sites, total=len(ruleset.centres), meta=ruleset.meta,
        networks=len(ruleset.networks),
        share=round(100 * len(ruleset.centres) / ruleset.meta.centres_total_estimate)
        if ruleset.meta.centres_total_estimate else None,
        coordinated=len({c.filiere for c in ruleset.centres.values() if c.site_type == "crmr_coordonnateur"}),
        national=national_resources(ruleset),
        rejected=bool(request.args) and not filtered and any(request.args.values()),
    )


@bp.get("/filiere/<filiere_id>")
def filiere(filiere_id: str):
    ruleset = _ruleset()
    item = ruleset.filieres.get(filiere_id)
    if item is None:
        abort(404)
    directory = directory_for(ruleset)
    sites = directory.sites(item.id)
    pnds = sorted((p for p in ruleset.pnds.values() if item.id in p.filieres), key=lambda p: p.title.lower())
    keys = [k for k in ruleset.keys.values() if item.id in k.filieres]
    svg = francemap.render(ruleset, sites, title=f"Sites experts de la filière {item.acronym}")
    # Said rather than left to be noticed: a coordinator looking for "the" reference site
    # must know when our list has none it could source.
    coordinating_known = any(c.site_type == "crmr_coordonnateur" for c in sites)
    return render_template("directory_filiere.html", f=item, sites=sites, pnds=pnds, keys=keys, map_svg=Markup(svg),
                           coordinating_known=coordinating_known, networks=directory.by_network(item.id))


@bp.get("/site/<centre_id>")
def site(centre_id: str):
    ruleset = _ruleset()
    centre = ruleset.centres.get(centre_id)
    if centre is None:
        abort(404)
    dep = ruleset.departements.get(centre.departement)
    region = ruleset.regions.get(dep.region) if dep else None
    return render_template("directory_site.html", c=centre, s=directory_for(ruleset).suggestion(centre),
                           f=ruleset.filieres.get(centre.filiere), dep=dep,
                           region=region, platforms=regional_resources(ruleset, centre.departement))


@bp.get("/plateformes")
def platforms():
    ruleset = _ruleset()
    by_region = []
    for region in sorted(ruleset.regions.values(), key=lambda r: (r.overseas, r.name)):
        by_region.append((region, orientation.platforms(ruleset, region.code)))
    return render_template("directory_platforms.html", by_region=by_region, national=national_resources(ruleset))


@bp.get("/carte.svg")
def map_svg():
    ruleset = _ruleset()
    filiere_id = _choice("filiere", ruleset.filieres)
    dep = _choice("departement", ruleset.departements)
    sites = directory_for(ruleset).sites(filiere_id)
    title = f"Sites experts de la filière {ruleset.filieres[filiere_id].acronym}" if filiere_id else "Sites experts"
    svg = francemap.render(ruleset, sites, title=title, patient_departement=dep)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})
