"""orient/coverage.py on the tiny base rule set, and ``orient coverage``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from orient import coverage
from orient.cli import main
from orient.ruleset import load_or_raise

TODAY = dt.date(2026, 11, 22)


def test_base_coverage_is_complete(base_ruleset):
    report = coverage.compute(base_ruleset, today=TODAY)
    # mini's outcomes go to fil-a (urgent) and fil-b (adresser): both reached.
    assert report.keys_by_filiere == {"fil-a": ("mini",), "fil-b": ("mini",)}
    assert report.unreached_filieres == ()
    assert report.outcomes_without_scenario == ()
    assert report.reviews_due == ()
    assert report.ok
    assert report.counts == {"keys": 1, "questions": 3, "outcomes": 3, "referring_outcomes": 2,
                             "scenarios": 3, "filieres": 2, "filieres_reached": 2, "centres": 4, "pnds": 1}
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
