"""axe-core (WCAG 2.1 A/AA), and no sideways scrolling at 360 px, on every other HTML page of the app: each GET route without
parameters, each parameterised route outside the wizard with a sample value from the rules
(/annuaire, /maladies, /formation and whatever comes next), and a few filtered views.

The list is built from the app's url_map when the tests are collected, and kept to the URLs
that answer HTML (the Flask test client asks first), so a new page is audited without
editing this file."""

from __future__ import annotations

import warnings

import pytest
from browser_journey import ROOT, RULES, assert_no_axe_violations, assert_no_horizontal_scroll
from werkzeug.routing import BuildError

pytestmark = pytest.mark.browser

WIZARD_OR_FIXED = ("wizard.", "static")  # audited through journeys in test_accessibility.py
FIXED = {"/", "/aucune-cle", "/accessibilite", "/a-propos"}


def _first(mapping):
    return sorted(mapping)[0] if mapping else None


def _samples() -> dict[str, str | None]:
    first_key = _first(RULES.keys)
    first_scenario = RULES.scenarios[first_key][0].id if first_key in RULES.scenarios else None
    urgent_key = next((k for k in sorted(RULES.keys) if k in RULES.scenarios), first_key)
    return {"key_id": urgent_key, "scenario_id": first_scenario, "filiere_id": _first(RULES.filieres),
            "centre_id": _first(RULES.centres), "pnds_id": _first(RULES.pnds),
            "code": next((c for p in RULES.pnds.values() for c in p.orpha), 558)}  # /maladies/orpha/<code>


# Filtered views that links do not reach (GET forms): endpoint -> extra query arguments.
VARIANTS = {
    "directory.index": [{"departement": "13", "filiere": _first(RULES.filieres)}, {"region": "zz"}],
    "diseases.search": [{"q": (next(iter(RULES.pnds.values())).title.split() or ["x"])[0]}, {"q": "zzzzqqq"}],
    "diseases.detail": [{"dep": "13", "age": "adulte"}, {"dep": "zz"}],
    "training.library": [{"urgence": "urgence"}],
    "training.case": [{"etape": 2, "pourquoi": 1}, {"etape": 999}],
}


def _collect() -> list[tuple[str, str]]:
    from orient.web import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app({"SECRET_KEY": "collect", "RULES_DIR": str(ROOT / "rules")})
    samples = _samples()
    urls: list[tuple[str, str]] = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint.startswith(WIZARD_OR_FIXED):
                continue
            if any(samples.get(a) is None for a in rule.arguments):
                urls.append((rule.endpoint, f"SANS-EXEMPLE:{rule.rule}"))
                continue
            args = {a: samples[a] for a in rule.arguments}
            for extra in [{}] + VARIANTS.get(rule.endpoint, []):
                try:
                    urls.append((rule.endpoint, url_for(rule.endpoint, **args, **extra)))
                except BuildError:
                    continue
    client = app.test_client()
    pages = []
    for endpoint, url in urls:
        if url in FIXED:
            continue
        if url.startswith("SANS-EXEMPLE:"):
            pages.append((endpoint, url))
            continue
        response = client.get(url)
        if response.mimetype == "text/html":
            pages.append((endpoint, url))
    return pages


PAGES = _collect()


@pytest.mark.parametrize(("endpoint", "url"), PAGES, ids=[u for _, u in PAGES])
def test_section_page(page, endpoint, url):
    if url.startswith("SANS-EXEMPLE:"):
        pytest.fail(f"{endpoint} : aucun exemple d'argument pour {url[13:]} ; "
                    "ajoutez-en un dans _samples() de ce fichier", pytrace=False)
    response = page.goto(url)
    assert response is not None and response.status < 500, (url, response and response.status)
    assert_no_axe_violations(page, f"{endpoint} {url}")
    assert_no_horizontal_scroll(page, f"{endpoint} {url}")


def test_sections_are_swept():
    endpoints = {e for e, _ in PAGES}
    assert endpoints, "aucune page hors parcours trouvée"
