"""Expert sites for an orientation: the networks that fit, near the patient, with a way to reach them.

Pure functions over the RuleSet. Distances are great-circle distances between département
centroids: the département is all we ever know of where a patient lives, and all we know of
most sites' addresses.

Ranking, in order of what matters to the GP (issue #17):
1. sites of the reference networks that fit the suspected disease ("the right kind"), before any
   other site of the filière, which are listed apart and labelled as such;
2. only sites that take the patient's age band;
3. geography: the patient's own département first (never skipped), then, overseas, the
   territory's basin (Antilles-Guyane; océan Indien), then everything else;
4. where the outcome asks for a reference centre, its coordinating and constitutive sites
   before competence centres;
5. nearest first.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from orient.core.model import CHILD_BANDS, Centre, Filiere, Network
from orient.core.ruleset import RuleSet

EARTH_RADIUS_KM = 6371.0
# Beyond this, the GP is told the nearest fitting site is far and offered the filière's contact,
# teleconsultation and the regional platform (a day's return trip, roughly).
FAR_KM = 200.0
# Overseas territories are served first by sites of their own basin: the Antilles and
# Guyane share specialists, as do La Réunion and Mayotte (and the PCOM follow these basins).
OVERSEAS_BASINS = {"971": "antilles", "972": "antilles", "973": "antilles",
                   "974": "ocean-indien", "976": "ocean-indien"}
TYPE_RANK = {"crmr_coordonnateur": 0, "crmr_constitutif": 1, "crc": 2, "ccmr": 2, "non_precise": 3}
# The current labelling (BO santé 2023/24, 29 December 2023): a site last seen in an older
# source is shown with "à confirmer".
CURRENT_LABELLING_YEAR = 2023
ANY: Literal["any"] = "any"


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Route:
    """One way to reach a site: a phone number or a page, and whose it is."""

    label: str  # "Téléphone du centre", "Contact du réseau MOC", "Contact de la filière OSCAR"
    whose: Literal["site", "network", "filiere"]
    phone: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Suggestion:
    centre: Centre
    network: Network | None
    distance_km: float | None
    same_departement: bool
    fits: bool  # belongs to a network that fits the outcome (or the outcome takes any site)
    routes: tuple[Route, ...] = ()
    population: str = "non_precise"  # the site's, else its network's

    @property
    def distance_label(self) -> str | None:
        """"dans le département" rather than "environ 0 km": sites sit at département centroids."""
        if self.same_departement:
            return "dans le département"
        if self.distance_km is None:
            return None
        return f"environ {round(self.distance_km)} km"

    @property
    def address_line(self) -> str:
        """Hospital, service and city, as a letter is addressed: the city is not repeated when the
        hospital's name already says it ("Hospices Civils de Lyon", not "... de Lyon, Lyon")."""
        c = self.centre
        parts = [p for p in (c.hospital, c.service) if p]
        if not c.hospital or c.city.casefold() not in c.hospital.casefold():
            parts.append(c.city)
        return ", ".join(parts)

    @property
    def to_confirm(self) -> bool:
        """The site's label or details come from a source older than the current labelling, or
        the site has no contact of its own: the GP is asked to confirm with the filière."""
        seen = self.centre.seen_year
        return seen is None or seen < CURRENT_LABELLING_YEAR or not any(r.whose == "site" for r in self.routes)


@dataclass(frozen=True)
class Referral:
    """Where to send the patient: fitting sites first, other sites of the filière apart."""

    networks: tuple[Network, ...]  # the networks that fit; empty when any site fits
    fitting: tuple[Suggestion, ...]
    others: tuple[Suggestion, ...]
    # The nearest fitting site is over FAR_KM, on the mainland for an overseas patient, or
    # there is none for this age band: the GP is offered other ways in (filière, platform).
    far: bool
    overseas: bool
    nearest_km: float | None


class _Row(NamedTuple):
    centre: Centre
    departement: str
    network: str
    children: bool  # takes children (its own population, else its network's)
    adults: bool
    type_rank: int
    region: str | None
    basin: str | None  # overseas basin, None on the mainland


class Directory:
    """An index of sites by filière, built once per RuleSet."""

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset
        self.by_filiere: dict[str, list[Centre]] = {}
        for centre in ruleset.centres.values():
            self.by_filiere.setdefault(centre.filiere, []).append(centre)
        # A site whose own record does not say which ages it takes inherits its network's.
        self.population: dict[str, str] = {}
        for centre in ruleset.centres.values():
            network = ruleset.networks.get(centre.network)
            own = centre.population
            self.population[centre.id] = network.population if own == "non_precise" and network else own
        self.routes: dict[str, tuple[Route, ...]] = {
            c.id: contact_routes(c, ruleset.networks.get(c.network), ruleset.filieres.get(c.filiere))
            for c in ruleset.centres.values()}
        # Sites are located by their département's centroid, so distances only ever join two
        # of the 101 départements: a 101 x 101 table replaces per-site trigonometry.
        deps = list(ruleset.departements.values())
        self.km: dict[tuple[str, str], float] = {
            (a.code, b.code): distance_km(a.lat, a.lon, b.lat, b.lon) for a in deps for b in deps}
        self._km_from: dict[str, dict[str, float]] = {
            a.code: {b.code: self.km[(a.code, b.code)] for b in deps} for a in deps}
        # What ranking reads of each site, computed once (a referral is on every result page).
        regions = {d.code: d.region for d in deps}
        self._rows: dict[str, list[_Row]] = {
            filiere: [_Row(c, c.departement, c.network, self.fits_age(c, "enfant"), self.fits_age(c, "adulte"),
                           TYPE_RANK[c.site_type], regions.get(c.departement), OVERSEAS_BASINS.get(c.departement))
                      for c in centres]
            for filiere, centres in self.by_filiere.items()}

    def fits_age(self, centre: Centre, age_group: str | None) -> bool:
        if age_group is None:
            return True
        population = self.population[centre.id]
        if age_group in CHILD_BANDS:
            return population in ("pediatrique", "mixte", "non_precise")
        return population in ("adulte", "mixte", "non_precise")

    def sites(self, filiere: str | None = None, *, site_types: Iterable[str] = (), age_group: str | None = None,
              region: str | None = None, departement: str | None = None, network: str | None = None) -> list[Centre]:
        """Filter sites (the DAC directory view); sorted by type, then city."""
        pool = self.by_filiere.get(filiere, []) if filiere else list(self.ruleset.centres.values())
        types = set(site_types)
        deps = self.ruleset.departements
        out = [
            c for c in pool
            if (not types or c.site_type in types)
            and self.fits_age(c, age_group)
            and (network is None or c.network == network)
            and (departement is None or c.departement == departement)
            and (region is None or (c.departement in deps and deps[c.departement].region == region))
        ]
        return sorted(out, key=lambda c: (TYPE_RANK[c.site_type], c.city, c.id))

    def by_network(self, filiere: str) -> list[tuple[Network, list[Suggestion]]]:
        """A filière's networks, each with its sites (coordinating site first): the DAC view of
        who covers what."""
        networks = [n for n in self.ruleset.networks.values() if n.filiere == filiere]
        sites = self.sites(filiere)
        return [(n, [self.suggestion(c) for c in sites if c.network == n.id])
                for n in sorted(networks, key=lambda n: (n.acronym or n.name).lower())]

    def refer(self, filiere: str, networks: Literal["any"] | Iterable[str] = ANY, *, site_types: Iterable[str] = (),
              age_group: str | None = None, departement: str | None = None, limit: int = 5,
              others_limit: int = 3) -> Referral:
        """The sites to propose for a patient, fitting networks first (see the module docstring)."""
        named = () if networks == ANY else tuple(dict.fromkeys(networks))  # the author's order, once each
        wanted = frozenset(named) or None
        fit_networks = tuple(self.ruleset.networks[n] for n in named if n in self.ruleset.networks)
        types = frozenset(site_types)
        child = age_group in CHILD_BANDS if age_group else None
        dep = self.ruleset.departements.get(departement or "")
        here = dep.code if dep else None
        basin = OVERSEAS_BASINS.get(here or "")
        km = self._km_from.get(here or "", {})
        region = dep.region if dep else None
        # One pass over the filière's sites: a sort key per site that passes the age band, in the
        # fitting or the other list. Keys: geography tier, wanted type, distance, type, id.
        fitting: list[tuple[tuple, _Row]] = []
        others: list[tuple[tuple, _Row]] = []
        for row in self._rows.get(filiere, ()):
            if child is not None and not (row.children if child else row.adults):
                continue
            pref = 0 if not types or row.centre.site_type in types or row.type_rank == 3 else 1
            if here is None:
                key: tuple = (pref, row.type_rank, row.centre.city, row.centre.id)
            else:
                tier = 0 if row.departement == here else (1 if basin and row.basin == basin else 2)
                key = (tier, pref, km[row.departement], row.type_rank, row.centre.id)
            (fitting if wanted is None or row.network in wanted else others).append((key, row))
        if here is None:
            def national(items: list[tuple[tuple, _Row]], n: int, fits: bool) -> tuple[Suggestion, ...]:
                return tuple(self.suggestion(row.centre, None, False, fits) for _, row in heapq.nsmallest(n, items))
            return Referral(fit_networks, national(fitting, limit, True), national(others, others_limit, False),
                            not fitting, False, None)

        def ranked(items: list[tuple[tuple, _Row]], n: int, fits: bool) -> tuple[Suggestion, ...]:
            if basin is None:  # a mainland patient is not sent overseas while a mainland site fits
                items = [item for item in items if not item[1].basin] or items
            # A site in the patient's own département is never cut off by the limit.
            n = max(n, sum(1 for key, _ in items if key[0] == 0))
            best = heapq.nsmallest(n, items)
            # Nor is the nearest site of the patient's region, when there is one: a reference
            # centre farther away may rank first, but the regional door stays on the list.
            if not any(row.region == region for _, row in best):
                regional = [item for item in items if item[1].region == region]
                if regional:
                    best.append(min(regional, key=lambda item: item[0][2]))
            return tuple(self.suggestion(row.centre, key[2], key[0] == 0, fits) for key, row in best)

        near = ranked(fitting, limit, True)
        nearest = min((s.distance_km for s in near if s.distance_km is not None), default=None)
        in_basin = any(s.same_departement or (basin and OVERSEAS_BASINS.get(s.centre.departement) == basin)
                       for s in near)
        far = nearest is None or nearest > FAR_KM or (basin is not None and not in_basin)
        return Referral(fit_networks, near, ranked(others, others_limit, False), far, basin is not None, nearest)

    def suggest(self, filiere: str, *, site_types: Iterable[str] = (), age_group: str | None = None,
                departement: str | None = None, limit: int = 5) -> list[Suggestion]:
        """Any site of the filière, nearest first (a disease page with no network, the map)."""
        return list(self.refer(filiere, ANY, site_types=site_types, age_group=age_group,
                               departement=departement, limit=limit).fitting)

    def suggestion(self, centre: Centre, distance: float | None = None, same: bool = False,
                   fits: bool = True) -> Suggestion:
        return Suggestion(centre, self.ruleset.networks.get(centre.network), distance, same, fits,
                          self.routes[centre.id], self.population[centre.id])


def contact_routes(centre: Centre, network: Network | None, filiere: Filiere | None) -> tuple[Route, ...]:
    """How to reach a site: its own phone and page; what it lacks, its network's; and when
    neither has anything, the filière's contact page. Never empty when the filière is known."""
    routes: list[Route] = []
    if centre.phone:
        routes.append(Route("Téléphone du centre", "site", phone=centre.phone))
    own_url = centre.contact_url or centre.web
    if own_url:
        label = "Page de contact du centre" if centre.contact_url else "Page du centre"
        routes.append(Route(label, "site", url=own_url))
    if network is not None:
        name = network.acronym or network.name
        if not centre.phone and network.phone:
            routes.append(Route(f"Téléphone du réseau {name}", "network", phone=network.phone))
        net_url = network.contact_url or network.web
        if not own_url and net_url:
            routes.append(Route(f"Contact du réseau {name}", "network", url=net_url))
    if not routes and filiere is not None:
        routes.append(Route(f"Contact de la filière {filiere.acronym}", "filiere",
                            url=filiere.contact_url or filiere.website))
    return tuple(routes)


@lru_cache(maxsize=8)
def directory_for(ruleset: RuleSet) -> Directory:
    return Directory(ruleset)
