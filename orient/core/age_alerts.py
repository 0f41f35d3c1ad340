"""The shared layer of age-band red flags, and the age bands each question is written for.

A key as its author wrote it is *composed* once at load into the key the engine walks:
1. the red-flag questions and outcomes of the age-band layer (``rules/alertes-age.yaml``)
   that concern one of the key's age bands go first, each restricted to those bands, so that
   every key for newborns, infants and children checks the same red flags first, written once;
2. a question's ``ages`` becomes part of its ``ask_when``: outside its bands it is not asked
   and tests on it are false, exactly like any hidden question.
Everything downstream (engine, checks, graph, FHIR, the wizard) sees only composed keys, so
none of them needs to know about layers or age restrictions.
"""

from __future__ import annotations

from typing import cast

from orient.core.model import (
    AGE_BANDS,
    AGE_QUESTION_ID,
    AgeAlertLayer,
    AgeBand,
    AllCondition,
    AnswerCondition,
    Condition,
    Key,
    Outcome,
    Question,
    Scenario,
    iter_leaves,
)

LAYER_ID = "alertes-age"
# A shared case run on a key is named "<case>--<key>"; keep "--" out of a key's own scenario ids.
SHARED_CASE_SEPARATOR = "--"


def shared_case(scenario_id: str) -> str | None:
    """The layer's own case id behind a per-key copy, or None for a key's own scenario."""
    base, sep, _ = scenario_id.partition(SHARED_CASE_SEPARATOR)
    return base if sep else None


def _age_leaf(bands: tuple[str, ...]) -> AnswerCondition:
    return AnswerCondition.model_validate({"answer": AGE_QUESTION_ID, "in": list(bands)})


def _restrict(cond: Condition | None, bands: tuple[str, ...], key_ages: tuple[str, ...]) -> Condition | None:
    """``cond`` and "the patient is in one of ``bands``" (nothing added when every band of the
    key is allowed)."""
    allowed = tuple(b for b in AGE_BANDS if b in bands and b in key_ages)
    if not bands or set(key_ages) <= set(allowed):
        return cond
    leaf = _age_leaf(allowed)
    return leaf if cond is None else AllCondition(all=(leaf, cond))


def _fold_ages(question: Question, key_ages: tuple[str, ...]) -> Question:
    ask_when = _restrict(question.ask_when, question.ages, key_ages)
    return question if ask_when is question.ask_when else _copy(question, ask_when=ask_when)


def layer_applies(item_ages: tuple[str, ...], key_ages: tuple[str, ...]) -> bool:
    return bool(set(item_ages) & set(key_ages))


def compose(key: Key, layer: AgeAlertLayer | None) -> Key:
    """The key the engine walks: the layer's red flags for its bands first, ages folded in."""
    questions: list[Question] = []
    outcomes: list[Outcome] = []
    if layer is not None:
        for question in layer.questions:
            if layer_applies(question.ages, key.ages):
                questions.append(_fold_ages(question, key.ages))
        asked = {q.id for q in questions}
        for outcome in layer.outcomes:
            leaves = _questions_of(outcome.when)
            if leaves and leaves <= asked:
                outcomes.append(outcome)
    if not questions and not any(q.ages for q in key.questions):
        return key
    questions.extend(_fold_ages(q, key.ages) for q in key.questions)
    outcomes.extend(key.outcomes)
    return _copy(key, questions=tuple(questions), outcomes=tuple(outcomes))


def _copy(model, **update):
    """``model_copy`` without the lookups cached on the original (``cached_property`` values
    live in the instance dict, which pydantic copies along with the fields)."""
    copied = model.model_copy(update=update)
    for name in [n for n in vars(copied) if n not in type(model).model_fields]:
        del copied.__dict__[name]
    return copied


def _questions_of(cond: Condition | None) -> set[str]:
    return {leaf.answer for leaf in iter_leaves(cond)} - {AGE_QUESTION_ID} if cond is not None else set()


def as_key(layer: AgeAlertLayer) -> Key:
    """The layer seen as a key of its own (with a silent default), so that the key checks
    (references, reachability, emergencies, red flags, age-band text) apply to it unchanged."""
    bands = tuple(cast(AgeBand, b) for b in AGE_BANDS if any(b in q.ages for q in layer.questions))
    default = Outcome(id="aucune-alerte-age", default=True, action="monitor", urgency="surveillance",
                      title="Aucun signe d'alerte de l'âge", rationale="Suite du parcours de la clé.",
                      reevaluate_if="Apparition d'un signe d'alerte.")
    return Key(id=LAYER_ID, title="Signes d'alerte selon l'âge", system="general", ages=bands or ("nourrisson",),
               summary="Signes d'alerte communs à toutes les clés d'une tranche d'âge.",
               authored_by=layer.authored_by, reviewed_on=layer.reviewed_on, review_due=layer.review_due,
               sources=layer.sources, questions=layer.questions, outcomes=(*layer.outcomes, default))


def scenarios_for(key: Key, layer: AgeAlertLayer | None) -> tuple[Scenario, ...]:
    """The layer's scenarios that concern ``key`` (its age band is one of the key's), each
    renamed ``<scenario>--<key>`` so that every (scenario, key) pair has its own id."""
    if layer is None:
        return ()
    out = []
    for scenario in layer.scenarios:
        band = scenario.answers.get(AGE_QUESTION_ID)
        if band in key.ages:
            out.append(scenario.model_copy(update={"id": f"{scenario.id}{SHARED_CASE_SEPARATOR}{key.id}"}))
    return tuple(out)
