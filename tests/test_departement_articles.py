"""Département names with their article, as data (issue #21, item 4): "les plus proches du
Rhône", never "de Rhône". About the shipped territories: the module serves rules/ (``app_rules``)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orient.core.model import DE_FORMS, Departement
from orient.services.orientation import centres_scope

# Facts of French usage (INSEE's name types), one of each kind.
EXPECTED = {
    "69": "du Rhône", "13": "des Bouches-du-Rhône", "80": "de la Somme", "01": "de l'Ain",
    "28": "d'Eure-et-Loir", "75": "de Paris", "974": "de La Réunion", "976": "de Mayotte",
    "971": "de la Guadeloupe", "2A": "de la Corse-du-Sud", "90": "du Territoire de Belfort",
    "95": "du Val-d'Oise", "54": "de Meurthe-et-Moselle", "92": "des Hauts-de-Seine",
}


@pytest.fixture(scope="module")
def app_rules(rules_dir):
    return rules_dir


def test_every_shipped_departement_has_its_article(ruleset):
    assert len(ruleset.departements) == 101
    missing = [d.code for d in ruleset.departements.values() if d.de is None]
    assert missing == []
    for code, de in EXPECTED.items():
        assert ruleset.departements[code].de == de, code
    for d in ruleset.departements.values():  # checked at load: an article, then the very name
        assert any(d.de == form + d.name for form in DE_FORMS), d.code


def test_an_article_that_does_not_name_the_departement_is_refused():
    base = {"code": "69", "name": "Rhône", "region": "84", "lat": 45.8, "lon": 4.6}
    assert Departement(**base, de="du Rhône").of == "du Rhône"
    for wrong in ("Rhône", "du Rhone", "le Rhône", "du Rhône (69)", "du  Rhône"):
        with pytest.raises(ValidationError):
            Departement(**base, de=wrong)
    # Rules without the article still read correctly, if less naturally.
    assert Departement(**base).of == "du département : Rhône"


def test_centres_scope_reads_after_sites(ruleset):
    assert centres_scope(ruleset.departements["69"]) == "les plus proches du Rhône (69)"
    assert centres_scope(ruleset.departements["13"]) == "les plus proches des Bouches-du-Rhône (13)"
    assert "liste nationale" in centres_scope(None) and "Sites " + centres_scope(None) != "Sites liste nationale"


def test_every_departement_is_written_with_its_article_on_the_disease_page(client, ruleset, text):
    for d in ruleset.departements.values():
        body = text(client.get(f"/maladies/duchenne?dep={d.code}&age=enfant"))
        assert f"Sites les plus proches {d.de} ({d.code})" in body, d.code
        if not d.de.startswith("de ") and not d.de.startswith("d'"):
            assert f"de {d.name}" not in body, d.code
    national = text(client.get("/maladies/duchenne?dep=nsp&age=enfant"))
    assert "Sites liste nationale" not in national and "Sites de la liste nationale" in national
