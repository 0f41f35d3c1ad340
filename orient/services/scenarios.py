"""Run the fictional cases of rules/scenarios through the engine.

The same function serves the pytest cases (one test id per scenario), ``orient scenarios``
and the trainer's case library, so a case that passes in CI behaves the same on a projector.
"""

from __future__ import annotations

from dataclasses import dataclass

from orient.core import engine
from orient.core.model import Key, Scenario
from orient.core.ruleset import RuleSet


@dataclass(frozen=True)
class ScenarioResult:
    key_id: str
    scenario: Scenario
    outcome_id: str | None
    asked: int
    problem: str | None  # None when the scenario passes

    @property
    def passed(self) -> bool:
        return self.problem is None


def typed_answers(ruleset: RuleSet, key: Key, raw: dict) -> dict[str, engine.Value]:
    answers: dict[str, engine.Value] = {}
    for qid, value in raw.items():
        question = key.question(qid)
        if question is None:
            raise engine.InvalidAnswer(qid, f"question « {qid} » inconnue")
        answers[qid] = engine.normalise(question, list(value) if isinstance(value, tuple) else value,
                                        ruleset.departements)
    return answers


def run_scenario(ruleset: RuleSet, key: Key, scenario: Scenario) -> ScenarioResult:
    try:
        answers = typed_answers(ruleset, key, scenario.answers)
    except engine.InvalidAnswer as exc:
        return ScenarioResult(key.id, scenario, None, 0, exc.message)
    state = engine.walk(key, answers)
    asked = len([q for q in state.path if q != "age_group"])
    if state.outcome is None:
        missing = state.next_question.id if state.next_question else "?"
        return ScenarioResult(key.id, scenario, None, asked,
                              f"parcours inachevé : il manque la réponse à « {missing} »")
    if state.outcome.id != scenario.expect:
        return ScenarioResult(key.id, scenario, state.outcome.id, asked,
                              f"issue « {state.outcome.id} » au lieu de « {scenario.expect} »")
    if scenario.max_questions is not None and asked > scenario.max_questions:
        return ScenarioResult(key.id, scenario, state.outcome.id, asked,
                              f"{asked} questions posées, au plus {scenario.max_questions} attendues")
    return ScenarioResult(key.id, scenario, state.outcome.id, asked, None)


def run_all(ruleset: RuleSet) -> list[ScenarioResult]:
    results: list[ScenarioResult] = []
    for key_id, scenarios in sorted(ruleset.scenarios.items()):
        key = ruleset.keys[key_id]
        results.extend(run_scenario(ruleset, key, s) for s in scenarios)
    return results
