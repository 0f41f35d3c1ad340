"""Expert sites for an orientation: filter by filière, site type and age group, rank by distance.

Pure functions over the RuleSet. Distances are great-circle distances from the patient's
département centroid: the département is all we ever know of where a patient lives.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from .model import CHILD_BANDS, Centre
from .ruleset import RuleSet

EARTH_RADIUS_KM = 6371.0
# Overseas territories are served first by sites of their own basin: the Antilles and
# Guyane share specialists, as do La Réunion and Mayotte (and the PCOM follow these basins).
OVERSEAS_BASINS = {"971": "antilles", "972": "antilles", "973": "antilles", "974": "ocean-indien", "976": "ocean-indien"}
TYPE_RANK = {"crmr_coordonnateur": 0, "crmr_constitutif": 1, "crc": 2, "ccmr": 2, "non_precise": 3}


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Suggestion:
    centre: Centre
    distance_km: float | None
    same_territory: bool


class Directory:
    """An index of sites by filière, built once per RuleSet."""

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset
        self.by_filiere: dict[str, list[Centre]] = {}
        for centre in ruleset.centres.values():
            self.by_filiere.setdefault(centre.filiere, []).append(centre)
        # Sites are located by their département's centroid, so distances only ever join two
        # of the 101 départements: a 101 x 101 table replaces per-site trigonometry.
        deps = list(ruleset.departements.values())
        self.km: dict[tuple[str, str], float] = {
            (a.code, b.code): distance_km(a.lat, a.lon, b.lat, b.lon) for a in deps for b in deps}

    def sites(self, filiere: str | None = None, *, site_types: Iterable[str] = (), age_group: str | None = None,
              region: str | None = None, departement: str | None = None) -> list[Centre]:
        """Filter sites (the DAC directory view); sorted by type, then city."""
        pool = self.by_filiere.get(filiere, []) if filiere else list(self.ruleset.centres.values())
        types = set(site_types)
        deps = self.ruleset.departements
        out = [
            c for c in pool
            if (not types or c.site_type in types)
            and (age_group is None or _fits_age(c, age_group))
            and (departement is None or c.departement == departement)
            and (region is None or (c.departement in deps and deps[c.departement].region == region))
        ]
        return sorted(out, key=lambda c: (TYPE_RANK[c.site_type], c.city, c.id))

    def suggest(self, filiere: str, *, site_types: Iterable[str] = (), age_group: str | None = None,
                departement: str | None = None, limit: int = 5) -> list[Suggestion]:
        """Sites for a patient, nearest first; never empty when the filière has any site."""
        pool = self.by_filiere.get(filiere, [])
        if not pool:
            return []
        types = set(site_types) | {"non_precise"} if site_types else set()
        candidates = [c for c in pool if (not types or c.site_type in types)]
        if age_group:
            fitting = [c for c in candidates if _fits_age(c, age_group)]
            candidates = fitting or candidates
        if not candidates:  # fall back to the coordinating site(s), then to any site
            candidates = [c for c in pool if c.site_type == "crmr_coordonnateur"] or pool
        dep = self.ruleset.departements.get(departement or "")
        if dep is None:
            ranked = sorted(candidates, key=lambda c: (TYPE_RANK[c.site_type], c.city, c.id))
            return [Suggestion(c, None, False) for c in ranked[:limit]]
        basin = OVERSEAS_BASINS.get(dep.code)
        km = self.km
        here = dep.code
        scored = []
        for c in candidates:
            distance = km.get((here, c.departement), 0.0)
            tier = 0 if c.departement == here else (1 if basin and OVERSEAS_BASINS.get(c.departement) == basin else 2)
            scored.append((tier, round(distance), TYPE_RANK[c.site_type], c.id, distance, c))
        best = heapq.nsmallest(limit, scored, key=lambda item: item[:4])
        return [Suggestion(c, distance, c.departement == here) for *_, distance, c in best]


def _fits_age(centre: Centre, age_group: str) -> bool:
    return centre.serves_children if age_group in CHILD_BANDS else centre.serves_adults


@lru_cache(maxsize=8)
def directory_for(ruleset: RuleSet) -> Directory:
    return Directory(ruleset)
