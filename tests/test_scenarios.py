"""Every fictional case of rules/scenarios runs through the engine (one test id per case),
and ``orient scenarios`` runs the same cases from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from orient.authoring.cli import main
from orient.core.ruleset import load
from orient.services.scenarios import run_all, run_scenario

ROOT = Path(__file__).resolve().parent.parent

SCENARIO_FILES = sorted((ROOT / "rules" / "scenarios").glob("*.yaml"))


def scenario_cases() -> list:
    """(key id, scenario id) read straight from the YAML, so ids exist at collection time."""
    cases = []
    for path in SCENARIO_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for scenario in data.get("scenarios", []):
            cases.append(pytest.param(data["key"], scenario["id"], id=scenario["id"]))
    # The shared age-band red flags: each of their cases runs on every key of its age band.
    layer = yaml.safe_load((ROOT / "rules" / "alertes-age.yaml").read_text(encoding="utf-8"))
    for path in sorted((ROOT / "rules" / "keys").glob("*.yaml")):
        key = yaml.safe_load(path.read_text(encoding="utf-8"))
        for scenario in layer.get("scenarios", []):
            if scenario["answers"]["age_group"] in key["ages"]:
                case_id = f"{scenario['id']}--{key['id']}"
                cases.append(pytest.param(key["id"], case_id, id=case_id))
    return cases


CASES = scenario_cases()


def test_there_are_scenarios():
    assert len(CASES) >= 10


@pytest.mark.parametrize("key_id,scenario_id", CASES)
def test_scenario(ruleset, key_id, scenario_id):
    key = ruleset.keys[key_id]
    scenario = next(s for s in ruleset.scenarios[key_id] if s.id == scenario_id)
    result = run_scenario(ruleset, key, scenario)
    assert result.passed, f"{scenario_id}: {result.problem}"
    assert result.outcome_id == scenario.expect


def test_run_all_matches_yaml(ruleset):
    results = run_all(ruleset)
    assert sorted(r.scenario.id for r in results) == sorted(c.values[1] for c in CASES)


def test_cli_scenarios_pass_on_shipped_rules(rules_dir):
    result = CliRunner().invoke(main, ["scenarios", str(rules_dir)])
    assert result.exit_code == 0, result.output
    assert f"{len(CASES)} réussi(s), 0 en échec." in result.output


FAILING = """\
key: mini
scenarios:
  - id: mini-attendu-faux
    title: Cas qui échoue
    presentation: Le signe A mène à « adresser », pas à la surveillance.
    answers: {age_group: adulte, alerte: non, signes: [signe-a]}
    expect: surveiller
  - id: mini-trop-de-questions
    title: Trop de questions
    presentation: Trois questions là où une seule est permise.
    answers: {age_group: adulte, alerte: non, signes: [signe-b], dep: "69"}
    expect: adresser
    max_questions: 1
  - id: mini-inacheve
    title: Parcours inachevé
    presentation: Il manque une réponse.
    answers: {alerte: non}
    expect: surveiller
"""


def test_failing_scenarios(make_rules):
    rules = make_rules({"scenarios/echecs.yaml": FAILING})
    ruleset, diags = load(rules)
    assert ruleset is not None, [d.format() for d in diags]
    by_id = {r.scenario.id: r for r in run_all(ruleset)}
    assert by_id["mini-urgent"].passed
    assert by_id["mini-attendu-faux"].problem == "issue « adresser » au lieu de « surveiller »"
    assert by_id["mini-trop-de-questions"].problem == "3 questions posées, au plus 1 attendues"
    assert "il manque la réponse à « signes »" in by_id["mini-inacheve"].problem


def test_cli_scenarios_exit_1_on_failure(make_rules):
    rules = make_rules({"scenarios/echecs.yaml": FAILING})
    result = CliRunner().invoke(main, ["scenarios", str(rules)])
    assert result.exit_code == 1
    assert "ÉCHEC" in result.output
    assert "3 réussi(s), 3 en échec." in result.output


def test_cli_scenarios_exit_1_when_rules_refused(make_rules):
    rules = make_rules({"keys/mini.yaml": "id: mini\n"})
    result = CliRunner().invoke(main, ["scenarios", str(rules)])
    assert result.exit_code == 1
    assert "règles refusées" in result.output
