"""orient/authoring/coverage.py on the tiny base rule set, and ``orient coverage``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from orient.authoring import coverage
from orient.authoring.cli import main
from orient.core import checks
from orient.core import ruleset as ruleset_module
from orient.core.ruleset import load_or_raise

TODAY = dt.date(2026, 11, 22)
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_base_coverage_is_complete(base_ruleset):
    report = coverage.compute(base_ruleset, today=TODAY)
    # mini's outcomes go to fil-a (urgent) and fil-b (adresser): both reached.
    assert report.keys_by_filiere == {"fil-a": ("mini",), "fil-b": ("mini",)}
    assert report.unreached_filieres == ()
    assert report.outcomes_without_scenario == ()
    assert report.reviews_due == ()
    assert report.ok
    assert report.counts == {"keys": 1, "questions": 3, "outcomes": 3, "referring_outcomes": 2,
                             "scenarios": 3, "filieres": 2, "filieres_reached": 2, "centres": 4, "pnds": 1,
                             "pnds_reached": 1, "pnds_search_only": 0, "keys_for_adults": 1,
                             "outcome_bands": 6, "outcome_bands_with_scenario": 3,
                             "key_bands": 2, "key_bands_with_scenario": 2}
    assert report.key_bands_without_scenario == ()
    # mini serves two bands; its three scenarios each reach one outcome in one band
    assert len(report.bands_without_scenario) == 3
    assert {b for _, _, b in report.bands_without_scenario} <= set(base_ruleset.keys["mini"].ages)
    assert report.centres_by_filiere == {"fil-a": 2, "fil-b": 2}


SECOND_KEY = """\
id: seconde
title: Seconde clé
system: peau
ages: [adulte]
summary: Une seconde clé.
authored_by: Tests
reviewed_on: 2026-01-01
review_due: {due}
sources:
  - {{title: Source, url: "https://example.org", year: 2024}}
questions:
  - {{id: q, kind: yes_no, text: Question ?}}
outcomes:
  - id: vers-a
    when: {{answer: q, is: oui}}
    action: refer
    urgency: rapide
    title: Vers A
    rationale: Parce que.
    filiere: fil-a
    networks: any
    centre_types: [ccmr]
  - id: rien
    default: true
    action: monitor
    urgency: surveillance
    title: Rien
    rationale: Rien.
    reevaluate_if: Si besoin.
"""

THIRD_FILIERE = """\
  - id: fil-c
    acronym: FIL-C
    name: Filière de test C
    scope: Sans clé.
    website: https://fil-c.example.org
    sources: [https://fil-c.example.org]
"""


def gappy_rules(make_rules):
    filieres = (Path(__file__).resolve().parent / "fixtures" / "base" / "filieres.yaml").read_text(encoding="utf-8") + THIRD_FILIERE
    return make_rules({"keys/seconde.yaml": SECOND_KEY.format(due="2027-01-10"), "filieres.yaml": filieres})


def test_gaps_are_reported(make_rules):
    ruleset = load_or_raise(gappy_rules(make_rules), today=TODAY)
    report = coverage.compute(ruleset, today=TODAY)
    assert report.keys_by_filiere == {"fil-a": ("mini", "seconde"), "fil-b": ("mini",), "fil-c": ()}
    assert report.unreached_filieres == ("fil-c",)
    assert report.outcomes_without_scenario == (coverage.UntestedOutcome("seconde", "vers-a", "refer"),)
    assert report.reviews_due == (coverage.ReviewDue("seconde", dt.date(2027, 1, 10), 49),)
    assert not report.reviews_due[0].overdue
    assert not report.ok
    assert report.counts["filieres_reached"] == 2


def test_overdue_review_and_window(make_rules):
    ruleset = load_or_raise(gappy_rules(make_rules), today=TODAY)
    later = coverage.compute(ruleset, today=dt.date(2027, 2, 1))
    assert later.reviews_due[0].days_left == -22 and later.reviews_due[0].overdue
    narrow = coverage.compute(ruleset, today=TODAY, window_days=30)
    assert narrow.reviews_due == ()


def test_as_dict_is_json(make_rules):
    ruleset = load_or_raise(gappy_rules(make_rules), today=TODAY)
    data = coverage.compute(ruleset, today=TODAY).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["ok"] is False
    assert data["unreached_filieres"] == ["fil-c"]
    assert data["outcomes_without_scenario"] == [{"key": "seconde", "outcome": "vers-a", "action": "refer"}]
    assert data["reviews_due"] == [{"key": "seconde", "review_due": "2027-01-10", "days_left": 49, "overdue": False}]
    assert data["keys_by_filiere"]["fil-c"] == []


def test_render_text_in_french(make_rules):
    ruleset = load_or_raise(gappy_rules(make_rules), today=TODAY)
    text = coverage.render_text(coverage.compute(ruleset, today=TODAY))
    assert "Couverture des règles test-1" in text and "au 22/11/2026" in text
    assert "Filières qu'aucune clé n'atteint (1) : FIL-C" in text
    assert "seconde → vers-a (refer)" in text
    assert "seconde : 10/01/2027 (dans 49 jour(s))" in text
    assert text.rstrip().endswith("Couverture insuffisante : voir ci-dessus.")
    ok_text = coverage.render_text(coverage.compute(load_or_raise(make_rules(), today=TODAY), today=TODAY))
    assert ok_text.rstrip().endswith("Couverture suffisante.")


def test_cli_coverage(make_rules, runner):
    result = runner.invoke(main, ["coverage", "--rules", str(make_rules())])
    assert result.exit_code == 0, result.output
    assert "Toutes les filières sont atteintes" in result.output
    result = runner.invoke(main, ["coverage", "--rules", str(gappy_rules(make_rules)), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["unreached_filieres"] == ["fil-c"]


SEARCH_ONLY_PNDS = """
  - id: pnds-recherche
    title: PNDS atteint par la recherche
    filieres: [fil-a]
    year: 2024
    url: https://www.has-sante.fr/pnds-recherche.pdf
    source: https://www.has-sante.fr/pnds
    search_only: découvert par le dépistage néonatal, pas par un signe
"""
FORGOTTEN_PNDS = """
  - id: pnds-oublie
    title: PNDS oublié
    filieres: [fil-a]
    year: 2024
    url: https://www.has-sante.fr/pnds-oublie.pdf
    source: https://www.has-sante.fr/pnds
"""


def with_pnds(*entries: str) -> str:
    """The base fixture's pnds.yaml with more entries."""
    return (FIXTURES / "base" / "pnds.yaml").read_text(encoding="utf-8") + "".join(entries)


def test_pnds_no_outcome_cites_are_listed_with_or_without_a_reason(make_rules, monkeypatch):
    monkeypatch.setattr(checks, "PNDS_REACH_SEVERITY", "avertissement")  # an error otherwise: load refuses
    ruleset, _ = ruleset_module.load(make_rules({"pnds.yaml": with_pnds(SEARCH_ONLY_PNDS, FORGOTTEN_PNDS)}))
    report = coverage.compute(ruleset, today=TODAY)
    assert report.pnds_search_only == (("pnds-recherche", "découvert par le dépistage néonatal, pas par un signe"),)
    assert report.pnds_unreached == ("pnds-oublie",) and not report.ok
    assert (report.counts["pnds_reached"], report.counts["pnds_search_only"]) == (1, 1)
    text = coverage.render_text(report)
    assert "PNDS atteints depuis un signe : 1 sur 3 ; par la seule recherche (raison dans pnds.yaml) : 1 ; sans accès : 1." in text
    assert "  pnds-recherche : découvert par le dépistage néonatal" in text
    assert "sans raison donnée (1) : pnds-oublie" in text


def test_an_age_band_the_outcome_cannot_serve_needs_no_site(ruleset):
    """Shipped content: suspected AL amyloidosis is an adult-only branch of a key that also
    serves children; no site for children is missing for it (the age alone rules it out)."""
    report = coverage.directory_report(ruleset)
    assert not [m for m in report.no_fitting_site if m[:2] == ("cardiomyopathie-amylose", "amylose-al-suspectee")]
    key = ruleset.keys["cardiomyopathie-amylose"]
    assert {"enfant", "adulte"} <= set(key.ages)


def test_a_pnds_no_outcome_cites_and_no_reason_given_is_refused(make_rules):
    ruleset, diags = ruleset_module.load(make_rules({"pnds.yaml": with_pnds(FORGOTTEN_PNDS)}))
    [diag] = [d for d in diags if d.code == "PNDS_INACCESSIBLE"]
    assert diag.is_error and ruleset is None and "pnds-oublie" in diag.message
