"""Keys as FHIR R4 SDC Questionnaires, finished paths as QuestionnaireResponses.

Pure functions over the frozen model (no Flask): ``questionnaire(key)`` and
``questionnaire_response(consultation, ...)`` return plain JSON-ready dicts, which the API serves,
``orient export-fhir`` writes, and the tests validate against the FHIR resource model.

The mapping:

- ``linkId`` is the question id; the built-in age question is ``age_group`` and the
  patient's département (asked by the wizard once the outcome is known) is the last item,
  ``departement_patient``. Both contain ``_``, which rule ids cannot: no clash is possible.
- ``yes_no`` -> ``choice`` with the answer options oui / non / nsp; ``single`` -> ``choice``;
  ``multiple`` -> ``choice`` with ``repeats`` and one more option, ``_aucun`` (« Aucun de ces
  choix », marked ``optionExclusive``), because ticking nothing is an answer in orient, and
  a QuestionnaireResponse item without an answer would read as "not answered";
  ``number`` -> ``integer`` or ``decimal`` with the ``minValue`` / ``maxValue`` and
  ``questionnaire-unit`` extensions; ``departement`` -> ``choice`` over the départements
  (``answerOption`` when the rule set is given, else an ``answerValueSet``).
- A question's hint is a child ``display`` item with the ``help`` item control.
- ``ask_when`` -> ``enableWhen`` when FHIR can say it: one answer test (``is``, ``in``,
  ``includes``, ``includes_any``, numeric bounds), or one ``all`` / ``any`` of such tests
  (``enableBehavior`` all / any). FHIR's ``=`` on a repeating item is true when any of its
  answers matches, which is exactly ``includes``. Anything else (``not``, ``at_least``, an
  ``all`` inside an ``any``...) -> the SDC ``enableWhenExpression`` extension, a FHIRPath
  expression that says the same thing (a test on a hidden, hence unanswered, question is
  false, as in the engine).

Limitation, stated in every Questionnaire's description: a static form shows every question
whose ``ask_when`` holds, while orient's engine asks only the questions that can still
change the outcome and stops as soon as it is decided. A form filled in full is therefore
longer than the wizard's path; the answers off the path are harmless (the engine drops
them), and the outcome is the same.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from orient.core import engine
from orient.core.consultation import Consultation
from orient.core.model import (
    AGE_QUESTION_ID,
    FHIR_NONE_CODE,
    FHIR_NONE_LABEL,
    NO_DEPARTEMENT,
    NUMERIC_OPERATORS,
    UNKNOWN,
    UNKNOWN_NUMBER_EXTENSION,
    AnswerCondition,
    Condition,
    DepartementQuestion,
    EnableWhen,
    Key,
    Question,
)
from orient.core.model import (
    EXT_MAX_VALUE as EXT_MAX_VALUE,
)
from orient.core.model import (
    EXT_MIN_VALUE as EXT_MIN_VALUE,
)
from orient.core.model import (
    EXT_OPTION_EXCLUSIVE as EXT_OPTION_EXCLUSIVE,
)
from orient.core.model import (
    EXT_UNIT as EXT_UNIT,
)

# The canonical base of orient's own URLs (Questionnaire.url, code systems, extensions).
# ".invalid" (RFC 2606) marks the placeholder: deployments pass their public address
# (`orient export-fhir --base`, or FHIR_CANONICAL_BASE in the app's configuration).
DEFAULT_BASE = "https://orient.invalid/fhir"

SDC_QUESTIONNAIRE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
SDC_RESPONSE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaireresponse"
EXT_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
EXT_ENABLE_WHEN_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"

DEPARTEMENT_ITEM = "departement_patient"
# Each question kind writes its own answer format (``Question.fhir_item``, ``fhir_answer``...);
# the constants it shares with this module live beside it in orient.core.model.
NONE_CODE = FHIR_NONE_CODE
NONE_LABEL = FHIR_NONE_LABEL

LIMITATION = (
    "Formulaire statique : il affiche toutes les questions dont la condition d'affichage est "
    "remplie, alors que l'assistant orient ne pose que les questions qui peuvent encore changer "
    "l'orientation et s'arrête dès qu'elle est décidée. Les réponses hors parcours sont sans effet "
    "sur l'orientation."
)

_NUMERIC_OPERATORS = NUMERIC_OPERATORS


class ResponseError(ValueError):
    """A QuestionnaireResponse that cannot be read back into answers."""


# --- canonical URLs ------------------------------------------------------------------------


def questionnaire_url(key: Key, base: str = DEFAULT_BASE) -> str:
    return f"{base.rstrip('/')}/Questionnaire/{key.id}"


def code_system(key: Key, question: Question, base: str = DEFAULT_BASE) -> str:
    """The code system of a question's answer codes."""
    return question.fhir_code_system(base.rstrip("/"), key.id)


def outcome_extension_url(base: str = DEFAULT_BASE) -> str:
    return f"{base.rstrip('/')}/StructureDefinition/orientation"


def _name(key: Key) -> str:
    """A computer-friendly name (FHIR invariant que-0): 'raynaud' -> 'OrientRaynaud'."""
    return "Orient" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", key.id) if part)


def _departement_question() -> Question:
    return DepartementQuestion.model_construct(
        id=DEPARTEMENT_ITEM, kind="departement", text="Dans quel département vit le patient ?",
        hint="Facultatif : sert à proposer les centres experts les plus proches. Le département suffit ; "
             "aucune adresse.",
        ask_when=None)


# --- Questionnaire -------------------------------------------------------------------------


def _departements(ruleset) -> list[tuple[str, str]] | None:
    return None if ruleset is None else [(d.code, d.label) for d in ruleset.departements_in_order]


def _names(ruleset) -> Mapping[str, str] | None:
    return ruleset.departement_names if ruleset is not None else None


def _leaf_enable_when(key: Key, leaf: AnswerCondition, base: str) -> tuple[list[dict], str | None] | None:
    """enableWhen entries for one answer test, and the behaviour they need (None: one entry)."""
    question = key.question(leaf.answer)
    if question is None:
        return None
    return question.fhir_enable_when(leaf, code_system(key, question, base))


def enable_when(key: Key, condition: Condition, base: str = DEFAULT_BASE) -> EnableWhen | None:
    """FHIR enableWhen entries and enableBehavior for a condition, or None when FHIR's closed
    set of operators cannot express it (not, at_least, nested mixes)."""
    return condition.enable_when(lambda leaf: _leaf_enable_when(key, leaf, base))


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fhirpath(key: Key, condition: Condition) -> str:
    """A FHIRPath boolean for a condition (SDC enableWhenExpression): true when the engine finds
    the condition *true*. The engine's logic has three values: an unknown answer ("nsp", a
    number left unknown) makes a test neither true nor false, so ``not`` is written with the
    "certainly false" form of its operand rather than FHIRPath's two-valued not().
    Each test is wrapped in ``exists()``/``empty()`` so that a hidden item gives a boolean."""
    return condition.fhirpath(True, _leaf_fhirpath)


def _leaf_fhirpath(condition: AnswerCondition, truth: bool) -> str:
    """FHIRPath for "the engine finds this answer test ``truth``". False is not the negation
    of true: a hidden item's tests are false, an unknown answer's are neither."""
    answers = _answers_path(condition)
    if truth:
        return f"{answers}.where({_match(condition)}).exists()"
    if condition.is_numeric:
        item = f"%resource.repeat(item).where(linkId={_quote(condition.answer)})"
        return (f"({answers}.where({_match(condition)}).empty() and "
                f"{item}.extension.where(url = {_quote(UNKNOWN_NUMBER_EXTENSION['url'])}).empty())")
    codes = (*condition.values, UNKNOWN)
    return f"{answers}.where(code in ({' | '.join(_quote(c) for c in codes)})).empty()"


def _answers_path(condition: AnswerCondition) -> str:
    return f"%resource.repeat(item).where(linkId={_quote(condition.answer)}).answer.value"


def _match(condition: AnswerCondition) -> str:
    if condition.is_numeric:
        return " and ".join(f"$this {op} {_number_literal(getattr(condition, attr))}"
                            for attr, op in _NUMERIC_OPERATORS if getattr(condition, attr) is not None)
    codes = condition.values
    if len(codes) == 1:
        return f"code = {_quote(codes[0])}"
    return f"code in ({' | '.join(_quote(c) for c in codes)})"


def _number_literal(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _item(key: Key, question: Question, ruleset=None, base: str = DEFAULT_BASE) -> dict:
    system = code_system(key, question, base)
    answer_format, extensions = question.fhir_item(system, _departements(ruleset), base.rstrip("/"))
    item: dict[str, Any] = {"linkId": question.id, "text": question.text, **answer_format}
    if question.id == DEPARTEMENT_ITEM and "answerOption" in item:
        item["answerOption"].append({"valueCoding": question.fhir_coding(system, NO_DEPARTEMENT)})
    if question.id == AGE_QUESTION_ID:
        item["required"] = True
    if question.ask_when is not None:
        translated = enable_when(key, question.ask_when, base)
        if translated is not None:
            entries, behaviour = translated
            item["enableWhen"] = entries
            if behaviour is not None:
                item["enableBehavior"] = behaviour
        else:
            extensions.append({"url": EXT_ENABLE_WHEN_EXPRESSION, "valueExpression": {
                "language": "text/fhirpath", "expression": fhirpath(key, question.ask_when)}})
    if extensions:
        item["extension"] = extensions
    if question.hint or question.hint_items:
        # The hint's list of signs (hint_items) follows its sentence, one bullet a line.
        help_text = "\n".join(([question.hint] if question.hint else []) + [f"• {i}" for i in question.hint_items])
        item["item"] = [{
            "linkId": f"{question.id}.aide",
            "type": "display",
            "text": help_text,
            "extension": [{"url": EXT_ITEM_CONTROL, "valueCodeableConcept": {
                "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help", "display": "Help-Button"}]}}],
        }]
    return item


def _description(key: Key) -> str:
    lines = [key.summary, "", f"Rédaction : {key.authored_by}",
             f"Relu le {key.reviewed_on.isoformat()} ; "
             f"prochaine relecture au plus tard le {key.review_due.isoformat()}."]
    if key.sources:
        lines += ["", "Sources :"] + [f"- {s.title} ({s.year or 's. d.'}) : {s.url}" for s in key.sources]
    lines += ["", LIMITATION]
    return "\n".join(lines)


def questionnaire(key: Key, ruleset=None, base: str = DEFAULT_BASE) -> dict:
    """The key as an SDC Questionnaire (a JSON-ready dict). ``ruleset`` (optional) supplies
    the version, the publisher and the list of départements."""
    items = [_item(key, q, ruleset, base) for q in key.consultation_questions]
    items.append(_item(key, _departement_question(), ruleset, base))
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": key.id[:64],
        "meta": {"profile": [SDC_QUESTIONNAIRE]},
        "language": "fr-FR",
        "url": questionnaire_url(key, base),
        "name": _name(key),
        "title": key.title,
        "status": "active",
        "date": key.reviewed_on.isoformat(),
        "description": _description(key),
        "approvalDate": key.reviewed_on.isoformat(),
        "lastReviewDate": key.reviewed_on.isoformat(),
        "subjectType": ["Patient"],
        "item": items,
    }
    if ruleset is not None:
        resource["version"] = ruleset.version
        resource["publisher"] = ruleset.meta.editor
    return resource


# --- QuestionnaireResponse -----------------------------------------------------------------


def _answer(key: Key, question: Question, value: engine.Value, ruleset=None, base: str = DEFAULT_BASE) -> dict:
    """A QuestionnaireResponse item for one typed answer."""
    return {"linkId": question.id, "text": question.text,
            **question.fhir_answer(value, code_system(key, question, base), _names(ruleset))}


def answer_items(key: Key, answers: Mapping[str, engine.Value], ruleset=None, base: str = DEFAULT_BASE) -> list[dict]:
    """QuestionnaireResponse items for typed answers, in the Questionnaire's order."""
    return [_answer(key, q, answers[q.id], ruleset, base) for q in key.consultation_questions if q.id in answers]


def questionnaire_response(consultation: Consultation, ruleset=None, *, authored: dt.datetime | None = None,
                           base: str = DEFAULT_BASE) -> dict:
    """A consultation as a QuestionnaireResponse: ``completed`` when the outcome is decided (it
    is then named in an orient extension), ``in-progress`` otherwise. Only the answers on
    the path are included (hidden items keep no answer), with the age group and the
    département, which the wizard always asks."""
    key = consultation.key
    items = answer_items(key, consultation.all_answers, ruleset, base)
    departement = consultation.departement
    outcome = consultation.outcome
    if departement:
        items.append(_answer(key, _departement_question(), departement, ruleset, base))
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "meta": {"profile": [SDC_RESPONSE]},
        "language": "fr-FR",
        "questionnaire": questionnaire_url(key, base),
        "status": "completed" if outcome is not None else "in-progress",
    }
    if authored is not None:
        resource["authored"] = authored.isoformat(timespec="seconds")
    if outcome is not None:
        resource["extension"] = [{"url": outcome_extension_url(base), "valueCoding": {
            "system": f"{base.rstrip('/')}/CodeSystem/{key.id}/issues",
            "code": outcome.id, "display": outcome.title}}]
    resource["item"] = items
    return resource


def answers_from_response(key: Key, response: Mapping[str, Any]) -> tuple[dict[str, object], str | None]:
    """Read a QuestionnaireResponse back: (raw answers by question id, including
    ``age_group``, ready for ``engine.normalise``; the patient's département or None)."""
    if response.get("resourceType") != "QuestionnaireResponse":
        raise ResponseError("Ce n'est pas une QuestionnaireResponse.")
    answers: dict[str, object] = {}
    departement = None
    for item in response.get("item") or ():
        link = item.get("linkId")
        values = []
        for answer in item.get("answer") or ():
            if "valueCoding" in answer:
                values.append(answer["valueCoding"].get("code"))
            elif "valueInteger" in answer or "valueDecimal" in answer:
                values.append(answer.get("valueInteger", answer.get("valueDecimal")))
            else:
                raise ResponseError(f"Type de réponse non pris en charge pour « {link} ».")
        if UNKNOWN_NUMBER_EXTENSION in (item.get("extension") or ()) and not values:
            values.append(UNKNOWN)
        if link == DEPARTEMENT_ITEM:
            departement = values[0] if values else None
            continue
        question = key.question(str(link))
        if question is None:
            raise ResponseError(f"Question inconnue : « {link} ».")
        try:
            answers[question.id] = question.fhir_read(values)
        except ValueError:
            raise ResponseError(f"Une seule réponse attendue pour « {link} ».") from None
    return answers, departement


__all__ = [
    "DEFAULT_BASE",
    "DEPARTEMENT_ITEM",
    "NONE_CODE",
    "ResponseError",
    "answer_items",
    "answers_from_response",
    "enable_when",
    "fhirpath",
    "questionnaire",
    "questionnaire_response",
    "questionnaire_url",
]
