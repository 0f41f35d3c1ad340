"""A map of France drawn server-side as SVG: no tiles, no network, printable.

Each département is a dot at its centroid (so the dots draw the shape of the country);
sites are coloured discs, sized by how many sites the département holds; the patient's
département is ringed. Overseas territories sit in insets, as on French official maps.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from xml.sax.saxutils import escape

from orient.core.model import Centre
from orient.core.ruleset import RuleSet

WIDTH, HEIGHT = 560, 600
LON0, LON1, LAT0, LAT1 = -5.4, 9.8, 41.2, 51.2
SCALE = 470 / ((LON1 - LON0) * math.cos(math.radians(46.5)))
INSETS = {"971": (0, "Guadeloupe"), "972": (1, "Martinique"), "973": (2, "Guyane"), "974": (3, "La Réunion"),
          "976": (4, "Mayotte")}
INSET_Y, INSET_W, INSET_H = 500, 104, 84


def _project(lat: float, lon: float) -> tuple[float, float]:
    x = 30 + (lon - LON0) * math.cos(math.radians(46.5)) * SCALE
    y = 10 + (LAT1 - lat) * SCALE
    return round(x, 1), round(y, 1)


def _position(ruleset: RuleSet, code: str) -> tuple[float, float] | None:
    dep = ruleset.departements.get(code)
    if dep is None:
        return None
    if code in INSETS:
        index, _ = INSETS[code]
        return 8 + index * (INSET_W + 6) + INSET_W / 2, INSET_Y + INSET_H / 2 + 6
    return _project(dep.lat, dep.lon)


def render(ruleset: RuleSet, sites: Iterable[Centre], *, title: str, patient_departement: str | None = None,
           element_id: str = "carte") -> str:
    counts = Counter(c.departement for c in sites)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="map" role="img" '
        f'aria-labelledby="{element_id}-titre {element_id}-desc" width="{WIDTH}" height="{HEIGHT}">',
        f'<title id="{element_id}-titre">{escape(title)}</title>',
        f'<desc id="{element_id}-desc">Carte schématique : chaque point gris est un département ; '
        f'chaque disque bleu marque des sites experts ({sum(counts.values())} au total, dans {len(counts)} '
        f'départements){"; le cercle orange marque le département du patient" if patient_departement else ""}. '
        'La liste textuelle équivalente suit la carte.</desc>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for index, name in INSETS.values():
        x = 8 + index * (INSET_W + 6)
        parts.append(f'<rect x="{x}" y="{INSET_Y}" width="{INSET_W}" height="{INSET_H}" fill="none" stroke="#6b6b6b"/>'
                     f'<text x="{x + 4}" y="{INSET_Y + 14}" font-size="12" fill="#1b1b1b">{escape(name)}</text>')
    for code in ruleset.departements:
        pos = _position(ruleset, code)
        if pos:
            parts.append(f'<circle cx="{pos[0]}" cy="{pos[1]}" r="3.2" fill="#9a9a9a"/>')
    for code, count in sorted(counts.items()):
        pos = _position(ruleset, code)
        if pos:
            radius = round(5 + 3 * math.sqrt(count), 1)
            name = ruleset.departements[code].name
            parts.append(f'<circle cx="{pos[0]}" cy="{pos[1]}" r="{radius}" fill="#0b5cad" fill-opacity="0.75" '
                         f'stroke="#083f78"><title>{escape(name)} ({code}) : {count} site(s)</title></circle>')
    if patient_departement:
        pos = _position(ruleset, patient_departement)
        if pos:
            parts.append(f'<circle cx="{pos[0]}" cy="{pos[1]}" r="13" fill="none" stroke="#a34700" stroke-width="4">'
                         f'<title>Département du patient</title></circle>')
    parts.append(f'<g font-size="13" fill="#1b1b1b"><circle cx="370" cy="{INSET_Y - 52}" r="7" fill="#0b5cad"/>'
                 f'<text x="384" y="{INSET_Y - 47}">sites experts</text>')
    if patient_departement:
        parts.append(f'<circle cx="370" cy="{INSET_Y - 28}" r="8" fill="none" stroke="#a34700" stroke-width="4"/>'
                     f'<text x="384" y="{INSET_Y - 23}">département du patient</text>')
    parts.append("</g></svg>")
    return "".join(parts)
