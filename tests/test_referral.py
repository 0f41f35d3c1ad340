"""The right centre (issue #17): fitting networks first, age band, same département, overseas
basins, the far-away notice, contact routes and the letter's addressee.

Built on a small fixture directory written here (one filière, two networks, sites in Paris,
Lyon, Marseille, Bordeaux and Martinique), never on the shipped content: these tests say how
ranking behaves, whatever the directory holds tomorrow.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orient.core import engine
from orient.core.ruleset import load_or_raise
from orient.services.directory import FAR_KM, Directory, contact_routes
from orient.services.orientation import compose

TERRITORIES = """\
sources: [https://www.insee.fr/fr/information/7766585]
regions:
  - {code: "11", name: Île-de-France, overseas: false}
  - {code: "84", name: Auvergne-Rhône-Alpes, overseas: false}
  - {code: "93", name: Provence-Alpes-Côte d'Azur, overseas: false}
  - {code: "75", name: Nouvelle-Aquitaine, overseas: false}
  - {code: "01", name: Guadeloupe, overseas: true}
  - {code: "02", name: Martinique, overseas: true}
  - {code: "04", name: La Réunion, overseas: true}
departements:
  - {code: "75", name: Paris, region: "11", lat: 48.8566, lon: 2.3522}
  - {code: "92", name: Hauts-de-Seine, region: "11", lat: 48.8400, lon: 2.2400}
  - {code: "69", name: Rhône, region: "84", lat: 45.8700, lon: 4.6400}
  - {code: "13", name: Bouches-du-Rhône, region: "93", lat: 43.5400, lon: 5.0900}
  - {code: "33", name: Gironde, region: "75", lat: 44.8300, lon: -0.5700}
  - {code: "971", name: Guadeloupe, region: "01", lat: 16.2500, lon: -61.5800}
  - {code: "972", name: Martinique, region: "02", lat: 14.6400, lon: -61.0200}
  - {code: "974", name: La Réunion, region: "04", lat: -21.1300, lon: 55.5300}
"""

CENTRES = """\
networks:
  - id: fil-a-ref
    filiere: fil-a
    name: Centre de référence des maladies A
    acronym: MA
    scope: Les maladies A.
    population: mixte
    contact_url: https://fil-a.example.org/ma/contact
    source: https://fil-a.example.org/ma
  - id: fil-a-adultes
    filiere: fil-a
    name: Centre de référence des maladies A de l'adulte
    scope: Les maladies A, chez l'adulte seulement.
    population: adulte
    web: https://fil-a.example.org/adultes
    source: https://fil-a.example.org/adultes
  - id: fil-a-autre
    filiere: fil-a
    name: Centre de référence d'autres maladies
    scope: Les autres maladies de la filière.
    source: https://fil-a.example.org/autre
centres:
  - {id: a-paris-ccmr, filiere: fil-a, network: fil-a-ref, site_type: ccmr, city: Paris, departement: "75",
     phone: "01 00 00 00 00", source: "https://fil-a.example.org/ma", seen_year: 2024}
  - {id: a-lyon-coord, filiere: fil-a, network: fil-a-ref, site_type: crmr_coordonnateur, city: Lyon,
     departement: "69", web: "https://chu.example.org/ma", source: "https://fil-a.example.org/ma", seen_year: 2024}
  - {id: a-marseille-const, filiere: fil-a, network: fil-a-ref, site_type: crmr_constitutif, city: Marseille,
     departement: "13", population: pediatrique, source: "https://fil-a.example.org/ma", seen_year: 2017}
  - {id: a-fdf-ccmr, filiere: fil-a, network: fil-a-ref, site_type: ccmr, city: Fort-de-France,
     departement: "972", source: "https://fil-a.example.org/ma", seen_year: 2024}
  - {id: ad-boulogne-coord, filiere: fil-a, network: fil-a-adultes, site_type: crmr_coordonnateur, city: Boulogne,
     departement: "92", source: "https://fil-a.example.org/adultes", seen_year: 2024}
  - {id: o-bordeaux-coord, filiere: fil-a, network: fil-a-autre, site_type: crmr_coordonnateur, city: Bordeaux,
     departement: "33", source: "https://fil-a.example.org/autre"}
  - {id: o-lyon-ccmr, filiere: fil-a, network: fil-a-autre, site_type: ccmr, city: Lyon, departement: "69",
     source: "https://fil-a.example.org/autre"}
"""

REFERENCE = ("crmr_coordonnateur", "crmr_constitutif")
BASE = Path(__file__).resolve().parent / "fixtures" / "base"


def build_rules(target: Path, files: dict[str, str]) -> Path:
    """tests/fixtures/base/ with some files replaced (module-scoped: make_rules is per test)."""
    shutil.copytree(BASE, target)
    for name, text in files.items():
        (target / name).write_text(text, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    rules = build_rules(tmp_path_factory.mktemp("referral") / "rules",
                        {"territories.yaml": TERRITORIES, "centres/fil-a.yaml": CENTRES})
    return Directory(load_or_raise(rules))


def ids(suggestions) -> list[str]:
    return [s.centre.id for s in suggestions]


def test_a_fitting_network_ranks_before_a_nearer_site_of_another_network(directory):
    referral = directory.refer("fil-a", ["fil-a-ref"], departement="33")
    assert "o-bordeaux-coord" not in ids(referral.fitting)
    assert referral.fitting and all(s.fits for s in referral.fitting)
    # The site in the patient's own département is listed, apart and labelled as not fitting.
    assert ids(referral.others)[0] == "o-bordeaux-coord" and not referral.others[0].fits
    assert [n.id for n in referral.networks] == ["fil-a-ref"]


def test_any_network_means_every_site_fits_and_none_is_set_apart(directory):
    referral = directory.refer("fil-a", "any", departement="33")
    assert ids(referral.fitting)[0] == "o-bordeaux-coord"
    assert referral.others == () and referral.networks == ()


def test_a_site_in_the_patients_departement_comes_first_even_if_it_is_only_a_competence_centre(directory):
    referral = directory.refer("fil-a", ["fil-a-ref"], site_types=REFERENCE, departement="75")
    assert ids(referral.fitting)[:2] == ["a-paris-ccmr", "a-lyon-coord"]
    assert referral.fitting[0].distance_label == "dans le département"


def test_reference_sites_before_competence_centres_when_the_outcome_asks_for_a_reference_centre(directory):
    # From the Hauts-de-Seine, Paris (a competence centre) is nearer than Lyon (the coordinating site).
    asked = directory.refer("fil-a", ["fil-a-ref"], site_types=REFERENCE, age_group="adulte", departement="92")
    assert ids(asked.fitting)[0] == "a-lyon-coord"
    plain = directory.refer("fil-a", ["fil-a-ref"], age_group="adulte", departement="92")
    assert ids(plain.fitting)[0] == "a-paris-ccmr"


def test_age_band_is_respected(directory):
    child = directory.refer("fil-a", ["fil-a-ref"], age_group="enfant", departement="13")
    assert ids(child.fitting)[0] == "a-marseille-const"
    adult = directory.refer("fil-a", ["fil-a-ref"], age_group="adulte", departement="13")
    assert "a-marseille-const" not in ids(adult.fitting)
    # A site that does not say which ages it takes inherits its network's population.
    assert adult.fitting[0].population == "mixte"


def test_overseas_patient_gets_the_basin_before_the_mainland(directory):
    referral = directory.refer("fil-a", ["fil-a-ref"], departement="971")
    assert ids(referral.fitting)[0] == "a-fdf-ccmr"
    assert referral.overseas and not referral.far  # Martinique is within the Antilles basin, < 200 km


def test_overseas_patient_with_only_mainland_sites_is_told_so(directory):
    referral = directory.refer("fil-a", ["fil-a-ref"], departement="974")
    assert referral.overseas and referral.far
    assert all(s.centre.departement != "974" for s in referral.fitting)


def test_far_notice_over_200_km(directory):
    far = directory.refer("fil-a", ["fil-a-ref"], departement="33")
    assert far.far and far.nearest_km > FAR_KM
    near = directory.refer("fil-a", ["fil-a-ref"], departement="69")
    assert not near.far and near.nearest_km == 0


def test_no_site_for_the_age_band_leaves_the_network_named_and_nothing_to_address_to(directory):
    # fil-a-adultes takes adults only; its site says nothing of ages and inherits that.
    child = directory.refer("fil-a", ["fil-a-adultes"], age_group="enfant", departement="92")
    assert child.fitting == () and child.far
    assert [n.id for n in child.networks] == ["fil-a-adultes"]
    assert all(not s.fits for s in child.others)  # other sites of the filière, apart
    adult = directory.refer("fil-a", ["fil-a-adultes"], age_group="adulte", departement="92")
    assert ids(adult.fitting) == ["ad-boulogne-coord"] and not adult.far

def test_every_site_has_a_contact_route_its_own_its_networks_or_the_filieres(directory):
    rs = directory.ruleset
    routes = {c.id: directory.routes[c.id] for c in rs.centres.values()}
    assert all(routes.values())
    assert routes["a-paris-ccmr"][0].phone == "01 00 00 00 00" and routes["a-paris-ccmr"][0].whose == "site"
    # No phone or page of its own: its network's contact page.
    assert [(r.whose, r.url) for r in routes["a-marseille-const"]] == [("network", "https://fil-a.example.org/ma/contact")]
    # Neither the site nor its network has one: the filière's.
    assert [r.whose for r in routes["o-lyon-ccmr"]] == ["filiere"]
    assert contact_routes(rs.centres["o-lyon-ccmr"], None, None) == ()


def test_old_or_unreachable_sites_are_to_confirm_in_plain_words(directory):
    referral = directory.refer("fil-a", ["fil-a-ref"], age_group="enfant", departement="13")
    by_id = {s.centre.id: s for s in referral.fitting}
    assert by_id["a-marseille-const"].to_confirm  # seen in 2017, no contact of its own
    assert not by_id["a-lyon-coord"].to_confirm


def test_the_letter_is_addressed_to_the_first_fitting_site_never_to_another_network(tmp_path):
    # The base key refers "signe B" patients to fil-b's network; add a fil-b site of another network
    # in the patient's own département.
    extra = """\
networks:
  - {id: fil-b-ref, filiere: fil-b, name: Centre de référence B de test, scope: Maladies B., source: "https://fil-b.example.org/centres"}
  - {id: fil-b-autre, filiere: fil-b, name: Autre réseau B, scope: Autres maladies B., source: "https://fil-b.example.org/autre"}
centres:
  - {id: fil-b-paris, filiere: fil-b, network: fil-b-ref, site_type: crmr_coordonnateur, city: Paris, departement: "75",
     population: mixte, source: "https://fil-b.example.org/centres"}
  - {id: fil-b-lyon-autre, filiere: fil-b, network: fil-b-autre, site_type: ccmr, city: Lyon, departement: "69",
     source: "https://fil-b.example.org/autre"}
"""
    rs = load_or_raise(build_rules(tmp_path / "rules", {"centres/fil-b.yaml": extra}))
    key = rs.keys["mini"]
    state = engine.walk(key, {"age_group": "adulte", "alerte": "non", "signes": frozenset({"signe-b"}), "dep": "69"})
    o = compose(rs, state, "adulte", "69")
    assert o.outcome.id == "adresser"
    assert o.addressee is not None and o.addressee.centre.id == "fil-b-paris"
    assert [s.centre.id for s in o.other_centres] == ["fil-b-lyon-autre"]
    assert not o.far or o.centres[0].distance_km > FAR_KM


# --- the shipped directory ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_or_raise(Path(__file__).resolve().parent.parent / "rules")


def _referring(rs):
    return [(k, o) for k in rs.keys.values() for o in k.outcomes
            if o.filiere and o.action not in ("monitor", "emergency")]


def test_every_referring_outcome_of_the_shipped_rules_resolves_to_a_fitting_site(shipped):
    directory = Directory(shipped)
    missing = [(k.id, o.id) for k, o in _referring(shipped)
               if not directory.refer(o.filiere, o.networks or "any", site_types=o.centre_types).fitting]
    assert missing == []


def test_a_fitting_site_in_the_patients_region_is_always_proposed(shipped):
    """Whatever the ranking puts first, a fitting site of the patient's region is on the list when
    the directory has one (the exceptions, outcomes with no fitting site for an age band, are
    listed by ``orient coverage``)."""
    directory = Directory(shipped)
    deps = shipped.departements
    failures = []
    for key, outcome in _referring(shipped):
        for code, dep in deps.items():
            referral = directory.refer(outcome.filiere, outcome.networks or "any", site_types=outcome.centre_types,
                                       departement=code)
            everyone = directory.refer(outcome.filiere, outcome.networks or "any", limit=10_000).fitting
            in_region = [s for s in everyone if deps[s.centre.departement].region == dep.region]
            if in_region and not any(deps[s.centre.departement].region == dep.region for s in referral.fitting):
                failures.append((key.id, outcome.id, code))
    assert failures == []


def test_every_shipped_site_can_be_reached(shipped):
    directory = Directory(shipped)
    unreachable = [c.id for c in shipped.centres.values() if not directory.routes[c.id]]
    assert unreachable == []
    # ... and every route is a phone number or a web address.
    assert all(r.phone or (r.url or "").startswith("https://") or (r.url or "").startswith("http://")
               for routes in directory.routes.values() for r in routes)


def test_every_network_named_by_an_outcome_has_its_coordinating_site(shipped):
    coordinated = {c.network for c in shipped.centres.values() if c.site_type == "crmr_coordonnateur"}
    named = {n for _, o in _referring(shipped) if o.networks != "any" for n in o.networks}
    assert named and named <= coordinated


def test_no_site_or_network_is_sourced_from_a_document_mirror(shipped):
    from orient.core.model import mirror_host

    links = [(c.id, u) for c in shipped.centres.values() for u in (c.source, c.web, c.contact_url) if u]
    links += [(n.id, u) for n in shipped.networks.values() for u in (n.source, n.web, n.contact_url) if u]
    assert [(i, u) for i, u in links if mirror_host(u)] == []


@pytest.mark.parametrize("departement", ["971", "972", "973", "974", "976"])
def test_an_overseas_patients_result_always_shows_the_local_pcom(shipped, departement):
    key, outcome = next((k, o) for k, o in _referring(shipped))
    scenario = next(s for s in shipped.scenarios[key.id] if s.expect == outcome.id)
    answers = {q: (frozenset(v) if isinstance(v, (list, tuple)) else v) for q, v in scenario.answers.items()}
    typed = {q: engine.normalise(key.question(q), list(v) if isinstance(v, frozenset) else v, shipped.departements)
             for q, v in answers.items()}
    result = compose(shipped, engine.walk(key, typed), typed.get("age_group"), departement)
    assert any(r.kind == "pcom" for r in result.regional), departement
