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

from . import engine
from .consultation import Consultation
from .model import (
    AGE_QUESTION_ID,
    UNKNOWN,
    YES_NO,
    AnswerCondition,
    Condition,
    EnableWhen,
    Key,
    Question,
)
from .orientation import NO_DEPARTEMENT

# The canonical base of orient's own URLs (Questionnaire.url, code systems, extensions).
# ".invalid" (RFC 2606) marks the placeholder: deployments pass their public address
# (`orient export-fhir --base`, or FHIR_CANONICAL_BASE in the app's configuration).
DEFAULT_BASE = "https://orient.invalid/fhir"

SDC_QUESTIONNAIRE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
SDC_RESPONSE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaireresponse"
EXT_MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
EXT_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
EXT_OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
EXT_ENABLE_WHEN_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"

DEPARTEMENT_ITEM = "departement_patient"
NONE_CODE = "_aucun"
NONE_LABEL = "Aucun de ces choix"

LIMITATION = (
    "Formulaire statique : il affiche toutes les questions dont la condition d'affichage est "
    "remplie, alors que l'assistant orient ne pose que les questions qui peuvent encore changer "
    "l'orientation et s'arrête dès qu'elle est décidée. Les réponses hors parcours sont sans effet "
    "sur l'orientation."
)

_NUMERIC_OPERATORS = (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="))


class ResponseError(ValueError):
    """A QuestionnaireResponse that cannot be read back into answers."""


# --- canonical URLs ------------------------------------------------------------------------


def questionnaire_url(key: Key, base: str = DEFAULT_BASE) -> str:
    return f"{base.rstrip('/')}/Questionnaire/{key.id}"


def code_system(key: Key, question: Question, base: str = DEFAULT_BASE) -> str:
    """The code system of a question's answer codes."""
    base = base.rstrip("/")
    if question.kind == "yes_no":
        return f"{base}/CodeSystem/oui-non-nsp"
    if question.id == AGE_QUESTION_ID:
        return f"{base}/CodeSystem/tranche-age"
    if question.kind == "departement":
        return f"{base}/CodeSystem/departement"
    return f"{base}/CodeSystem/{key.id}/{question.id}"


def outcome_extension_url(base: str = DEFAULT_BASE) -> str:
    return f"{base.rstrip('/')}/StructureDefinition/orientation"


def _name(key: Key) -> str:
    """A computer-friendly name (FHIR invariant que-0): 'raynaud' -> 'OrientRaynaud'."""
    return "Orient" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", key.id) if part)


def _departement_question() -> Question:
    return Question.model_construct(
        id=DEPARTEMENT_ITEM, kind="departement", text="Dans quel département vit le patient ?",
        hint="Facultatif : sert à proposer les centres experts les plus proches. Le département suffit ; "
             "aucune adresse.",
        options=(), ask_when=None, unit=None, min=None, max=None, integer=False)


# --- Questionnaire -------------------------------------------------------------------------


def _codings(key: Key, question: Question, ruleset=None, base: str = DEFAULT_BASE) -> list[dict] | None:
    """(system, code, display) of every answer a choice item offers; None when unlisted."""
    system = code_system(key, question, base)
    if question.kind == "yes_no":
        return [{"system": system, "code": code, "display": label} for code, label in YES_NO.items()]
    if question.kind in ("single", "multiple"):
        return [{"system": system, "code": o.id, "display": o.label} for o in question.options]
    if question.kind == "departement":
        if ruleset is None:
            return None
        return [{"system": system, "code": d.code, "display": d.label} for d in ruleset.departements_in_order]
    return None


def _coding(key: Key, question: Question, code: str, ruleset=None, base: str = DEFAULT_BASE) -> dict:
    system = code_system(key, question, base)
    if question.kind == "multiple" and code == NONE_CODE:
        return {"system": system, "code": NONE_CODE, "display": NONE_LABEL}
    if question.kind == "departement" and code == NO_DEPARTEMENT:
        return {"system": system, "code": NO_DEPARTEMENT, "display": "Non indiqué"}
    names = ruleset.departement_names if ruleset is not None else None
    return {"system": system, "code": code, "display": engine.describe(question, code if question.kind != "multiple"
                                                                       else frozenset({code}), names)}


# A number left unknown ("valeur inconnue"): HL7's data-absent-reason, not a made-up value.
UNKNOWN_NUMBER_EXTENSION = {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                            "valueCode": "asked-unknown"}


def _number_value(question: Question, number: float) -> tuple[str, int | float]:
    if question.integer and float(number).is_integer():
        return "Integer", int(number)
    return "Decimal", number if not float(number).is_integer() else float(number)


def _leaf_enable_when(key: Key, leaf: AnswerCondition, base: str) -> tuple[list[dict], str | None] | None:
    """enableWhen entries for one answer test, and the behaviour they need (None: one entry)."""
    question = key.question(leaf.answer)
    if question is None:
        return None
    if leaf.is_numeric:
        if question.kind != "number":
            return None
        items: list[dict[str, Any]] = []
        for attr, operator in _NUMERIC_OPERATORS:
            bound = getattr(leaf, attr)
            if bound is None:
                continue
            if question.integer and not float(bound).is_integer():
                return None  # an integer item compares with integers only
            kind, value = _number_value(question, bound)
            items.append({"question": question.id, "operator": operator, f"answer{kind}": value})
        return items, ("all" if len(items) > 1 else None)
    if question.kind == "number":
        return None
    system = code_system(key, question, base)
    items = [{"question": question.id, "operator": "=", "answerCoding": {"system": system, "code": str(code)}}
             for code in leaf.values]
    if leaf.includes is not None or leaf.is_ is not None:
        return items, None
    return items, ("any" if len(items) > 1 else None)


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
    item: dict[str, Any] = {"linkId": question.id, "text": question.text}
    extensions: list[dict] = []
    if question.kind in ("yes_no", "single", "multiple", "departement"):
        item["type"] = "choice"
        codings = _codings(key, question, ruleset, base)
        if codings is None:
            item["answerValueSet"] = f"{base.rstrip('/')}/ValueSet/departements"
        else:
            options: list[dict[str, Any]] = [{"valueCoding": c} for c in codings]
            if question.kind == "multiple":
                options.append({"valueCoding": _coding(key, question, NONE_CODE, ruleset, base),
                                "extension": [{"url": EXT_OPTION_EXCLUSIVE, "valueBoolean": True}]})
                # "Not looked for": ticked with or without signs, it leaves the others unknown.
                options.append({"valueCoding": _coding(key, question, UNKNOWN, ruleset, base)})
            if question.id == DEPARTEMENT_ITEM:
                options.append({"valueCoding": _coding(key, question, NO_DEPARTEMENT, ruleset, base)})
            item["answerOption"] = options
        if question.kind == "multiple":
            item["repeats"] = True
    else:  # number
        item["type"] = "integer" if question.integer else "decimal"
        for url, bound in ((EXT_MIN_VALUE, question.min), (EXT_MAX_VALUE, question.max)):
            if bound is not None:
                kind, value = _number_value(question, bound)
                extensions.append({"url": url, f"value{kind}": value})
        if question.unit:
            extensions.append({"url": EXT_UNIT, "valueCoding": {"display": question.unit}})
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


def _answers(key: Key, question: Question, value: engine.Value, ruleset=None, base: str = DEFAULT_BASE) -> list[dict]:
    if question.kind == "number":
        kind, number = _number_value(question, float(value))  # type: ignore[arg-type]
        return [{f"value{kind}": number}]
    if question.kind == "multiple":
        assert isinstance(value, frozenset)  # a checklist's answer (engine.normalise)
        chosen = [o.id for o in question.options if o.id in value] + (
            [UNKNOWN] if UNKNOWN in value else []) or [NONE_CODE]
        return [{"valueCoding": _coding(key, question, code, ruleset, base)} for code in chosen]
    return [{"valueCoding": _coding(key, question, str(value), ruleset, base)}]


def answer_items(key: Key, answers: Mapping[str, engine.Value], ruleset=None, base: str = DEFAULT_BASE) -> list[dict]:
    """QuestionnaireResponse items for typed answers, in the Questionnaire's order."""
    items = []
    for q in key.consultation_questions:
        if q.id not in answers:
            continue
        if q.kind == "number" and answers[q.id] == UNKNOWN:
            # "Valeur inconnue": no value, and HL7's data-absent-reason says why (a number item
            # cannot hold a code, and a made-up value would be worse).
            items.append({"linkId": q.id, "text": q.text, "extension": [UNKNOWN_NUMBER_EXTENSION]})
        else:
            items.append({"linkId": q.id, "text": q.text, "answer": _answers(key, q, answers[q.id], ruleset, base)})
    return items


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
        dep_question = _departement_question()
        items.append({"linkId": DEPARTEMENT_ITEM, "text": dep_question.text,
                      "answer": _answers(key, dep_question, departement, ruleset, base)})
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
        if question.kind == "multiple":
            answers[question.id] = [v for v in values if v != NONE_CODE]
        elif len(values) == 1:
            answers[question.id] = values[0]
        else:
            raise ResponseError(f"Une seule réponse attendue pour « {link} ».")
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
