"""Directory: proximity ranking, territories, the CSV importer, and the /annuaire pages."""

from __future__ import annotations

import html
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from orient.authoring.cli import main
from orient.authoring.importer import ImportReport, import_centres, parse_rows
from orient.core.ruleset import load, load_or_raise
from orient.services.directory import Directory, directory_for, distance_km
from orient.services.territory import departement_from_postcode

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rules(ruleset):
    """The shipped rules/ (conftest ``ruleset``), for the tests about the shipped directory."""
    return ruleset


# --- proximity ------------------------------------------------------------------------------------


def test_distance_is_great_circle():
    assert distance_km(48.8566, 2.3522, 43.2965, 5.3698) == pytest.approx(661, abs=5)  # Paris–Marseille
    assert distance_km(45.0, 3.0, 45.0, 3.0) == 0


@pytest.mark.parametrize("filiere", ["filnemus", "fimatho", "marih", "neurosphinx"])
def test_patient_in_13_gets_marseille_sites_first(rules, filiere):
    suggestions = directory_for(rules).suggest(filiere, departement="13")
    assert suggestions[0].centre.departement == "13"
    assert suggestions[0].same_departement
    distances = [s.distance_km for s in suggestions]
    assert distances == sorted(distances)


@pytest.mark.parametrize("filiere", ["fimarad", "tetecou", "cardiogen", "mcgre"])
def test_patient_in_972_gets_antilles_sites_first(rules, filiere):
    suggestion = directory_for(rules).suggest(filiere, departement="972")[0]
    assert suggestion.centre.departement in {"971", "972", "973"}


def test_antilles_basin_before_metropole_even_when_not_same_departement(rules):
    # MCGRE has a Guadeloupe site: a Martinique patient is sent there before Paris.
    suggestions = directory_for(rules).suggest("mcgre", departement="972")
    assert suggestions[0].centre.departement in {"971", "973"} or suggestions[0].centre.departement == "972"


def test_child_gets_paediatric_capable_sites(rules):
    suggestions = directory_for(rules).suggest("respifil", age_group="enfant", departement="69")
    assert suggestions and all(s.centre.population in ("pediatrique", "mixte", "non_precise") for s in suggestions)
    adults = directory_for(rules).suggest("respifil", age_group="adulte", departement="69")
    assert all(s.centre.population != "pediatrique" for s in adults)


def test_when_no_site_takes_the_age_band_none_is_proposed_and_the_gp_is_told(rules):
    # Adult-only networks (ALS centres) are not proposed for a newborn; the result says no
    # fitting site is listed and offers the filière's contact instead (far notice).
    referral = directory_for(rules).refer("filslan", age_group="nouveau-ne", departement="976")
    assert all(s.population != "adulte" for s in referral.fitting)
    assert referral.far


def test_no_departement_gives_national_list_coordinating_first(rules):
    suggestions = directory_for(rules).suggest("oscar")
    assert suggestions[0].distance_km is None
    assert suggestions[0].centre.site_type == "crmr_coordonnateur"


def test_site_filters_for_the_dac_view(rules):
    d = Directory(rules)
    paca = d.sites(region="93")
    assert paca and all(rules.departements[c.departement].region == "93" for c in paca)
    assert all(c.site_type == "ccmr" for c in d.sites("tetecou", site_types=["ccmr"]))


@pytest.mark.parametrize("postcode, expected", [
    ("13001", "13"), ("75015", "75"), ("01000", "01"), ("20000", "2A"), ("20090", "2A"), ("20200", "2B"),
    ("20600", "2B"), ("97200", "972"), ("97100", "971"), ("97133", "971"), ("97300", "973"), ("97400", "974"),
    ("97600", "976"), ("98000", None), ("97500", None), ("1300", None), ("abcde", None), (" 13 001 ", "13"),
])
def test_postcode_to_departement(postcode, expected):
    assert departement_from_postcode(postcode) == expected


def test_territories_are_complete(rules):
    assert len(rules.departements) == 101 and len(rules.regions) == 18
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= set(rules.departements)


# --- importer -------------------------------------------------------------------------------------

# The importer runs on the small fixture rule set (filières fil-a and fil-b; Paris, Hauts-de-Seine,
# Rhône), not on the shipped directory: its tests must not move when the content does.
FIXTURE = ROOT / "tests" / "fixtures" / "base"
# Networks are given as official lists print them (by name) or by id.
GOOD = """filiere,network,site_type,hospital,city,departement,postcode,population,phone,web,source,seen_year
fil-a,Centre de référence de test,ccmr,CHU de Test,Testville,,69003,mixte,04 00 00 00 00,,https://fil-a.example.org/exemple-officiel,2025
fil-b,fil-b-ref,ccmr,CHU de Test B,Boulogne,92,,mixte,,,https://fil-b.example.org/liste,2025
"""

BAD = """filiere,network,site_type,hospital,city,departement,postcode,population,phone,web,source,seen_year
inconnue,fil-a-ref,ccmr,CHU,Ville,69,,mixte,,,https://a.fr/x,2025
fil-a,fil-a-ref,centre_magique,CHU,Ville,69,,mixte,,,https://a.fr/x,2025
fil-a,fil-a-ref,ccmr,CHU,Ville,,99999,mixte,,,https://a.fr/x,2025
fil-a,fil-a-ref,ccmr,CHU,Ville,69,,mixte,,,pas-une-url,2025
fil-a,fil-a-ref,ccmr,CHU,Ville,,,mixte,,,https://a.fr/x,2025
fil-a,Réseau inventé,ccmr,CHU,Ville,69,,mixte,,,https://a.fr/x,2025
"""


@pytest.fixture(scope="module")
def fixture_rules():
    return load_or_raise(FIXTURE)


def _rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(FIXTURE, target)
    return target


def test_import_good_csv_adds_sites_and_the_rules_still_load(tmp_path, runner):
    rules_dir = _rules_copy(tmp_path)
    csv_file = tmp_path / "officiel.csv"
    csv_file.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(main, ["import-centres", str(csv_file), "--rules", str(rules_dir)])
    assert result.exit_code == 0, result.output
    assert "2 site(s) ajouté(s)" in result.output
    ruleset, diags = load(rules_dir)
    assert ruleset is not None, [d.format() for d in diags if d.is_error]
    added = [c for c in ruleset.centres.values() if c.city == "Testville"]
    assert added and added[0].departement == "69" and added[0].network == "fil-a-ref"
    assert ruleset.networks.keys() == load_or_raise(FIXTURE).networks.keys()  # networks kept on rewrite
    # Importing the same file again updates, never duplicates.
    again = runner.invoke(main, ["import-centres", str(csv_file), "--rules", str(rules_dir)])
    assert "0 site(s) ajouté(s), 2 mis à jour" in again.output
    reloaded = load_or_raise(rules_dir)
    assert len([c for c in reloaded.centres.values() if c.city == "Testville"]) == 1


def test_import_bad_rows_are_reported_with_line_numbers(tmp_path, fixture_rules):
    report = ImportReport()
    assert parse_rows(BAD, fixture_rules, report) == []
    lines = dict(report.rejected)
    assert set(lines) == {2, 3, 4, 5, 6, 7}
    assert "réseau « Réseau inventé » inconnu" in lines[7]
    assert "filière « inconnue » inconnue" in lines[2]
    assert "type de site invalide" in lines[3]
    assert "code postal « 99999 » non reconnu" in lines[4]
    assert "source invalide" in lines[5]
    assert "département ou code postal manquant" in lines[6]


def test_import_bad_csv_exits_1_and_writes_nothing(tmp_path, runner):
    rules_dir = _rules_copy(tmp_path)
    before = {p.name: p.read_bytes() for p in (rules_dir / "centres").iterdir()}
    csv_file = tmp_path / "mauvais.csv"
    csv_file.write_text(BAD, encoding="utf-8")
    result = runner.invoke(main, ["import-centres", str(csv_file), "--rules", str(rules_dir)])
    assert result.exit_code == 1
    assert "mauvais.csv:3: ligne rejetée" in result.output
    assert {p.name: p.read_bytes() for p in (rules_dir / "centres").iterdir()} == before


def test_import_missing_columns_rejected(tmp_path, fixture_rules):
    report = ImportReport()
    parse_rows("nom,ville\nA,B\n", fixture_rules, report)
    assert report.rejected[0][0] == 1 and "colonnes obligatoires absentes" in report.rejected[0][1]


def test_import_writes_atomically_no_temp_files_left(tmp_path):
    rules_dir = _rules_copy(tmp_path)
    csv_file = tmp_path / "officiel.csv"
    csv_file.write_text(GOOD, encoding="utf-8")
    report = import_centres(csv_file, rules_dir, load_or_raise(rules_dir))
    assert report.written
    assert not list((rules_dir / "centres").glob(".*.tmp"))
    assert report.written[0].read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")


def test_semicolon_csv_is_accepted(fixture_rules):
    report = ImportReport()
    rows = parse_rows(GOOD.replace(",", ";"), fixture_rules, report)
    assert len(rows) == 2, report.rejected


# --- pages, on the small fixture rules (conftest ``client``) ------------------------------------------


@pytest.fixture(scope="module")
def web_rules(app):
    return app.extensions["orient"]


def test_directory_home_states_coverage_honestly(client, web_rules):
    body = client.get("/annuaire/").get_data(as_text=True)
    assert f"{len(web_rules.centres)} sites" in body
    assert "Maladies Rares Info Services" in body


def test_directory_bad_filter_is_ignored_with_a_message(client):
    response = client.get("/annuaire/?filiere=%3Cscript%3E")
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True)


def _says_when_no_coordinating_site_is_sourced(client, rules) -> None:
    without = {c.filiere for c in rules.centres.values()}
    without -= {c.filiere for c in rules.centres.values() if c.site_type == "crmr_coordonnateur"}
    for filiere_id in rules.filieres:
        body = html.unescape(client.get(f"/annuaire/filiere/{filiere_id}").get_data(as_text=True))
        assert ("Aucun site coordonnateur" in body) == (filiere_id in without), filiere_id
    index = html.unescape(client.get("/annuaire/").get_data(as_text=True))
    assert f"un site coordonnateur vérifié pour {len(rules.filieres) - len(without)} filières sur {len(rules.filieres)}" in index


def test_filiere_page_says_when_no_coordinating_site_is_sourced(client, web_rules):
    _says_when_no_coordinating_site_is_sourced(client, web_rules)


def test_site_page_and_404(client, web_rules):
    centre = next(iter(web_rules.centres.values()))
    assert client.get(f"/annuaire/site/{centre.id}").status_code == 200
    assert client.get("/annuaire/site/inconnu").status_code == 404
    assert client.get("/annuaire/filiere/inconnue").status_code == 404


def test_platforms_page_lists_every_region(client, web_rules):
    body = html.unescape(client.get("/annuaire/plateformes").get_data(as_text=True))
    for region in web_rules.regions.values():
        assert region.name in body


# --- pages: the shipped directory (rules/) -----------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_client(make_app, rules_dir):
    return make_app(rules_dir).test_client()


def test_shipped_directory_home_states_the_estimated_total(shipped_client, rules):
    body = shipped_client.get("/annuaire/").get_data(as_text=True)
    assert f"{len(rules.centres)} sites" in body and "2300" in body  # meta.yaml: centres_total_estimate


def test_shipped_filiere_pages_say_when_no_coordinating_site_is_sourced(shipped_client, rules):
    # The fixture rules have a coordinating site in each filière: the "none" branch is checked here.
    _says_when_no_coordinating_site_is_sourced(shipped_client, rules)


def test_shipped_directory_filters_without_javascript(shipped_client):
    body = shipped_client.get("/annuaire/?filiere=oscar&type=crmr_coordonnateur").get_data(as_text=True)
    assert "Hôpital Necker-Enfants malades" in body
    assert "site trouvé" in body or "sites trouvés" in body


def test_shipped_filiere_page_has_map_sites_and_pnds(shipped_client):
    body = shipped_client.get("/annuaire/filiere/oscar").get_data(as_text=True)
    assert "<svg" in body and "Ostéogenèse imparfaite" in body and "Liste des sites" in body


def test_shipped_platforms_page_lists_every_region(shipped_client, rules):
    body = html.unescape(shipped_client.get("/annuaire/plateformes").get_data(as_text=True))
    for region in rules.regions.values():
        assert region.name in body


def test_a_patient_in_normandy_is_pointed_to_the_normandy_platform(rules):
    from orient.services.orientation import regional_resources

    for dep in ("14", "76"):  # Calvados (Caen), Seine-Maritime (Rouen)
        assert [r.id for r in regional_resources(rules, dep)] == ["pemr-normandie"]
    assert regional_resources(rules, "31") == ()  # Occitanie: none sourced yet, MRIS is shown instead


def test_map_svg_is_valid_xml_and_marks_the_patient(shipped_client):
    response = shipped_client.get("/annuaire/carte.svg?filiere=respifil&departement=972")
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag.endswith("svg")
    assert b"patient" in response.data
