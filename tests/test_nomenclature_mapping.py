"""orient's own Orphanet -> filière mapping (rules/orphanet-filieres.yaml, orient/core/orphanet.py):
its checks, the precedence PNDS > disease > group > head, `orient check` and `orient coverage`.

Fixture rules: tests/fixtures/base/ with tests/fixtures/orphanet/rules/orphanet-filieres.yaml;
fixture nomenclature: tests/fixtures/orphanet/. Integration on the shipped mapping and the
French data of ../shared/reference/orphanet/ (skipped only when absent).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orient.authoring.cli import main
from orient.core import orphanet
from orient.core import ruleset as ruleset_module
from orient.services import nomenclature as nm

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "orphanet"
CSV_DIR = FIXTURES / "csv" / "fr-2024-01-15"
MAPPING = (FIXTURES / "rules" / "orphanet-filieres.yaml").read_text(encoding="utf-8")
ROOT = Path(__file__).resolve().parent.parent



@pytest.fixture(scope="module")
def nomenclature():
    return nm.load_or_raise(CSV_DIR)


@pytest.fixture
def rules(make_rules):
    return make_rules({"orphanet-filieres.yaml": MAPPING})


@pytest.fixture
def catalogue(rules, nomenclature):
    loaded = ruleset_module.load_or_raise(rules, nomenclature=nomenclature)
    return orphanet.Catalogue(loaded, nomenclature)


def _codes(diags):
    return [d.code for d in diags]


# --- precedence -----------------------------------------------------------------------------------


def test_pnds_comes_first(catalogue):
    s = catalogue.suggest(1234)
    assert s.basis == "pnds" and s.filieres == ("fil-a",) and [p.id for p in s.pnds] == ["pnds-test"]
    sub = catalogue.suggest(123401)  # a subtype of the PNDS disease
    assert sub.basis == "pnds" and [p.id for p in sub.pnds] == ["pnds-test"]


def test_a_disease_decision_beats_its_head(catalogue):
    s = catalogue.suggest(900401)
    assert (s.basis, s.filieres, s.via) == ("maladie", ("fil-a",), 900401)


def test_the_nearest_group_beats_the_head(catalogue):
    s = catalogue.suggest(900111)
    assert (s.basis, s.filieres, s.via) == ("groupe", ("fil-b",), 900110)
    assert s.decision.reason.startswith("Ce groupe")
    assert catalogue.suggest(900113).filieres == ("fil-b",)  # the subtype, two levels below


def test_the_head_of_the_preferential_classification(catalogue):
    s = catalogue.suggest(900202)  # in alpha and beta, linearised to alpha
    assert (s.basis, s.filieres, s.via) == ("tete", ("fil-a",), 900100)
    beta = catalogue.suggest(900201)
    assert beta.filieres == ("fil-b",) and beta.networks == ("fil-b-ref",)


def test_explicit_no_filiere(catalogue):
    s = catalogue.suggest(900301)
    assert s.filieres == () and s.no_filiere == "infection" and s.decided
    assert "infectiologie" in s.no_filiere_label


def test_without_the_pnds_step(catalogue):
    assert catalogue.suggest(1234, use_pnds=False).basis == "tete"


def test_mapping_report_on_the_fixtures(rules, nomenclature):
    loaded = ruleset_module.load_or_raise(rules, nomenclature=nomenclature)
    report = orphanet.mapping_report(loaded, nomenclature)
    assert report.disorders == 15 and report.decided == 15 and report.no_filiere == 1
    assert report.by_filiere["fil-b"] == 6  # 900111, 900112, 900113 (group) and 900201, 900203, 900204 (head)
    assert [(a.pnds, a.code, a.agrees) for a in report.agreement] == [("pnds-test", 1234, True)]
    text = orphanet.render_report(report, {"fil-a": "FIL-A", "fil-b": "FIL-B"})
    assert "15 maladies et sous-types actifs" in text and "décidés : 100.0 %" in text


# --- checks ---------------------------------------------------------------------------------------


def test_the_fixture_mapping_is_clean(rules, nomenclature):
    loaded, diags = ruleset_module.load(rules, nomenclature=nomenclature)
    assert loaded is not None and [d.format() for d in diags if "orphanet" in d.file] == []


def test_conflicting_decisions_for_one_code(make_rules):
    text = MAPPING.replace("diseases:\n", "diseases:\n  - orpha: 900110\n    name: Groupe des maladies de Lambert\n"
                                          "    filieres: [fil-a]\n    reason: Essai.\n")
    loaded, diags = ruleset_module.load(make_rules({"orphanet-filieres.yaml": text}))
    assert loaded is None
    conflict = next(d for d in diags if d.code == "ORPHA_CONFLIT")
    assert conflict.file.endswith("orphanet-filieres.yaml") and conflict.line == 26
    assert "ORPHA:900110 est décidé deux fois avec des filières différentes (déjà en groups[0], ligne 21)" in conflict.message


def test_same_decision_twice_is_a_warning(make_rules):
    text = MAPPING.replace("diseases:\n", "diseases:\n  - orpha: 900110\n    name: Groupe des maladies de Lambert\n"
                                          "    filieres: [fil-b]\n    reason: Essai.\n")
    loaded, diags = ruleset_module.load(make_rules({"orphanet-filieres.yaml": text}))
    assert loaded is not None and "ORPHA_DOUBLON" in _codes(diags)


@pytest.mark.parametrize(("old", "new", "code"), [
    ("    filieres: [fil-a]\n    reason: Tête de la classification alpha", "    filieres: [fil-z]\n    reason: Tête de la classification alpha",
     "FILIERE_INCONNUE"),
    ("    no_filiere: infection\n", "    no_filiere: infection\n    filieres: [fil-a]\n", "ORPHA_DECISION_INVALIDE"),
    ("    source: https://example.org/prevost\n", "", "ORPHA_SANS_RAISON"),
    ("    networks: [fil-b-ref]\n", "    networks: [fil-a-ref]\n", "RESEAU_HORS_FILIERE"),
])
def test_rule_errors(make_rules, old, new, code):
    assert old in MAPPING
    loaded, diags = ruleset_module.load(make_rules({"orphanet-filieres.yaml": MAPPING.replace(old, new, 1)}))
    assert loaded is None and code in _codes(diags), [d.format() for d in diags]


def test_an_unknown_network_is_a_warning(make_rules):
    """A reduced rule set (without that filière's centres file) still loads: the decision keeps
    its filière, only the network's sites-first order is lost."""
    loaded, diags = ruleset_module.load(make_rules({"orphanet-filieres.yaml": MAPPING.replace(
        "    networks: [fil-b-ref]\n", "    networks: [fil-b-reff]\n")}))
    d = next(d for d in diags if d.code == "RESEAU_INCONNU")
    assert loaded is not None and d.severity == "avertissement" and d.suggestion == "fil-b-ref"


def test_schema_errors_are_positioned_in_french(make_rules):
    loaded, diags = ruleset_module.load(make_rules({"orphanet-filieres.yaml": MAPPING.replace(
        "    no_filiere: infection", "    no_filiere: infectieux")}))
    d = next(d for d in diags if d.code == "VALEUR_INVALIDE")
    assert loaded is None and d.line == 18 and "valeurs possibles" in d.message


def test_codes_checked_against_the_nomenclature(make_rules, nomenclature):
    text = MAPPING.replace("  - orpha: 900401\n    name: Maladie de Prévost\n",
                           "  - orpha: 900401\n    name: Maladie de Prevots\n") + (
        "  - orpha: 900190\n    name: Maladie de Lambert-Moreau\n    filieres: [fil-a]\n    reason: Ancien code.\n"
        "  - orpha: 777777\n    name: Inconnue\n    filieres: [fil-a]\n    reason: Code faux.\n"
        "  - orpha: 900100\n    name: Maladie rare du système alpha\n    filieres: [fil-a]\n    reason: Tête.\n")
    loaded, diags = ruleset_module.load(make_rules({"orphanet-filieres.yaml": text}), nomenclature=nomenclature)
    assert loaded is not None  # warnings: a newer release must not stop the service
    by_code = {d.code: d for d in diags}
    assert "remplacé par ORPHA:900111 « Maladie de Lambert »" in by_code["ORPHA_OBSOLETE"].message
    assert by_code["ORPHA_OBSOLETE"].suggestion == "900111"
    assert "ORPHA:777777 est inconnu de la nomenclature Orphanet (15/01/2024)" in by_code["ORPHA_INCONNU"].message
    assert "code erroné ?" in by_code["ORPHA_NOM_DIFFERENT"].message
    assert "ORPHA_TETE_HORS_HEADS" in by_code and "ORPHA_CONFLIT" not in by_code


def test_without_a_nomenclature_codes_are_not_checked(make_rules):
    text = MAPPING + "  - orpha: 777777\n    name: Inconnue\n    filieres: [fil-a]\n    reason: Code faux.\n"
    loaded, diags = ruleset_module.load(make_rules({"orphanet-filieres.yaml": text}))
    assert loaded is not None and "ORPHA_INCONNU" not in _codes(diags)


# --- command line ---------------------------------------------------------------------------------


def test_cli_check_with_orphanet(runner, rules):
    result = runner.invoke(main, ["check", str(rules), "--orphanet", str(CSV_DIR)])
    assert result.exit_code == 0, result.output
    assert "Règles valides" in result.output


def test_cli_check_reports_a_broken_nomenclature(runner, rules, tmp_path):
    result = runner.invoke(main, ["check", str(rules), "--orphanet", str(tmp_path / "absent")])
    assert result.exit_code == 1
    assert "ORPHANET_DOSSIER_INTROUVABLE" in result.output and "nomenclature Orphanet refusée" in result.output
    assert "Traceback" not in result.output


def test_cli_check_takes_the_environment(runner, rules, monkeypatch):
    monkeypatch.setenv("ORIENT_ORPHANET", str(CSV_DIR))
    text = (rules / "orphanet-filieres.yaml").read_text(encoding="utf-8") + (
        "  - orpha: 777777\n    name: Inconnue\n    filieres: [fil-a]\n    reason: Code faux.\n")
    (rules / "orphanet-filieres.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["check", str(rules)])
    assert "avertissement ORPHA_INCONNU ORPHA:777777" in result.output


def test_cli_coverage_with_orphanet(runner, rules):
    result = runner.invoke(main, ["coverage", "--rules", str(rules), "--orphanet", str(CSV_DIR)])
    assert "Nomenclature Orphanet (15/01/2024) : 15 maladies et sous-types actifs." in result.output
    assert "Par classification de rattachement" in result.output
    data = json.loads(runner.invoke(main, ["coverage", "--rules", str(rules), "--orphanet", str(CSV_DIR),
                                           "--json"]).output)
    assert data["orphanet"]["disorders"] == 15 and data["orphanet"]["pnds_agreement"] == 1.0


# --- the shipped mapping on the French data (CI has it) ------------------------------------------


@pytest.fixture(scope="module")
def french(french_nomenclature):
    return french_nomenclature


@pytest.fixture(scope="module")
def shipped_report(french, rules_dir):
    loaded, diags = ruleset_module.load(rules_dir, nomenclature=french)
    assert loaded is not None
    problems = [d.format() for d in diags if "orphanet" in d.file]
    assert problems == [], problems  # every code known, active, named as in the nomenclature
    return orphanet.mapping_report(loaded, french)


def test_at_least_85_percent_of_disorders_are_decided(shipped_report):
    assert shipped_report.disorders == 7325
    assert shipped_report.decided_share >= 0.85, shipped_report.decided_share


def test_agreement_with_the_pnds_filieres(shipped_report):
    assert len(shipped_report.agreement) >= 80
    assert shipped_report.agreement_share >= 0.95, [
        (a.pnds, a.code, a.mapped.filieres) for a in shipped_report.agreement if not a.agrees]


def test_rare_cancers_infections_and_toxic_causes_have_an_explicit_no_filiere(french, ruleset):
    catalogue = orphanet.Catalogue(ruleset, french)
    assert catalogue.suggest(2912).no_filiere == "infection"        # Poliomyélite
    assert catalogue.suggest(790).no_filiere == "cancer-rare"       # Rétinoblastome
    assert catalogue.suggest(247165).no_filiere == "toxique"        # Intoxication infantile au mercure
    assert catalogue.suggest(558).filieres == ("fava-multi",)       # Marfan: its PNDS
    assert catalogue.suggest(664).filieres == ("g2m",)              # OTC deficiency: inborn errors of metabolism


def test_muscular_dystrophies_under_an_intellectual_disability_group_keep_filnemus(french, ruleset):
    """Orphanet also files Duchenne, Emery-Dreifuss and Steinert under syndromic intellectual
    disability, nearer than the neuromuscular group: the mapping still gives FILNEMUS."""
    catalogue = orphanet.Catalogue(ruleset, french)
    for code in (98896, 261, 589830):  # Duchenne, Emery-Dreifuss, Steinert de l'adulte (a subtype)
        assert "filnemus" in catalogue.suggest(code, use_pnds=False).filieres, code
