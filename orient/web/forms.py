"""WTForms forms built from the rules' question kinds.

WTForms parses and validates; the engine's ``normalise`` has the last word on what an
answer means, so a form, a scenario and the API accept exactly the same values.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from wtforms import BooleanField, Field, Form, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from orient.core import engine
from orient.core.model import (
    NONE_OF_THESE,
    UNKNOWN,
    UNKNOWN_LABELS,
    DepartementQuestion,
    MultipleQuestion,
    NumberQuestion,
    Question,
    SingleQuestion,
    YesNoQuestion,
)
from orient.core.ruleset import RuleSet
from orient.services.orientation import NO_DEPARTEMENT


class _EngineCheck:
    """Validator: the engine must accept the answer; its typed value is kept on the form."""

    def __init__(self, question: Question, departements):
        self.question = question
        self.departements = departements

    def __call__(self, form, field):
        raw = field.data
        if _KINDS[type(self.question)].settle(form, raw):
            return
        try:
            form.value = engine.normalise(self.question, raw, self.departements)
        except engine.InvalidAnswer as exc:
            raise ValidationError(exc.message) from None


class AnswerForm(Form):
    """A plain WTForms form: Flask-WTF's CSRFProtect (web/security.py) checks the token of
    every POST before any view runs, and the templates write the token themselves, so
    FlaskForm would only add a CSRF field built, bound and skipped again on every answer, and
    a second look at the request to find the form data the view passes in anyway."""

    # The engine's typed answer, set by the validator (_EngineCheck) once the form validates.
    value: engine.Value | None = None

    @property
    def typed_answer(self) -> engine.Value:
        """The typed answer of a validated form."""
        if self.value is None:
            raise RuntimeError("the form has not been validated")
        return self.value


class _LenientRadio(RadioField):
    """A radio field whose unknown value is reported by the engine check, in French."""

    def pre_validate(self, form):
        pass


class _LenientMulti(SelectMultipleField):
    def pre_validate(self, form):
        pass


class _LenientSelect(SelectField):
    def pre_validate(self, form):
        pass


def choice_pair(choice) -> tuple[str, str]:
    """(value, label) of a WTForms choice, for the templates' macros."""
    return (choice.value, choice.label) if isinstance(choice, SelectChoice) else (choice[0], choice[1])


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def departement_choices(ruleset: RuleSet) -> list[SelectChoice]:
    return _choices([("", "Choisir un département")] + [(d.code, d.label) for d in ruleset.departements_in_order] + [
        (NO_DEPARTEMENT, "Je préfère ne pas l'indiquer")])


# Form classes by rule set, then by question. Building a WTForms class (and binding its fields
# on first use) costs more than validating an answer (bench/README.md, #15), and a question's
# form depends only on the rules: each class is built once per question and rule set, and
# dropped with its rule set. The entry keeps its question alive, so the id cannot be reused
# while the entry exists. No lock: two threads racing only build the same class twice.
_classes: WeakKeyDictionary[RuleSet, dict[int, tuple[Question, type[AnswerForm]]]] = WeakKeyDictionary()


def build_form(question: Question, ruleset: RuleSet, **kwargs) -> AnswerForm:
    """The form for ``question``: ``formdata=request.form`` to validate a POST, ``data=`` to
    show a stored answer."""
    data = kwargs.get("data")
    if data is not None:
        kwargs["data"] = _KINDS[type(question)].shown(data)
    by_question = _classes.setdefault(ruleset, {})
    entry = by_question.get(id(question))
    if entry is None:
        entry = by_question[id(question)] = (question, _form_class(question, ruleset))
    return entry[1](**kwargs)


def _form_class(question: Question, ruleset: RuleSet) -> type[AnswerForm]:
    class Form(AnswerForm):
        pass

    # Fields in order (a number's « valeur inconnue » box before ``answer``: WTForms validates
    # fields in order).
    for name, field in _KINDS[type(question)].fields(question, ruleset, _EngineCheck(question, ruleset.departements)):
        setattr(Form, name, field)
    return Form


# --- the one per-kind table of the web forms ---------------------------------------------
# What a form adds to a question kind (the model knows its answers, not WTForms): its
# fields, what a blank or special submission means, and how a stored answer is shown.


class _FormKind:
    """A kind whose form is one field, blank being an error with ``blank`` as its message."""

    blank: str | None = "Choisissez une réponse."

    def fields(self, question: Question, ruleset: RuleSet, check: _EngineCheck) -> list[tuple[str, Field]]:
        return [("answer", _LenientRadio(choices=_choices(question.form_choices), validators=[check]))]

    def settle(self, form, raw) -> bool:
        """Handle a submission the engine does not see (True: ``form.value`` is set)."""
        if self.blank is not None and not raw:
            raise ValidationError(self.blank)
        return False

    def shown(self, data: dict) -> dict:
        """The form data showing a stored answer."""
        return data


class _MultipleForm(_FormKind):
    # Nothing ticked is not "none": the GP may not have looked. Ask them to say which.
    blank = ("Cochez les signes présents, ou « Aucun de ces signes », ou « Je ne sais pas, "
             "ou pas recherché ».")

    def fields(self, question: Question, ruleset: RuleSet, check: _EngineCheck) -> list[tuple[str, Field]]:
        # "None of these" and "not looked for" close every list: a blank page is never "none".
        return [("answer", _LenientMulti(choices=_choices(question.form_choices), validators=[check]))]

    def shown(self, data: dict) -> dict:
        return {"answer": [NONE_OF_THESE]} if data.get("answer") == [] else data  # "none of these" was ticked


class _NumberForm(_FormKind):
    blank = None

    def fields(self, question: Question, ruleset: RuleSet, check: _EngineCheck) -> list[tuple[str, Field]]:
        return [("unknown", BooleanField(UNKNOWN_LABELS["number"])), ("answer", StringField(validators=[check]))]

    def settle(self, form, raw) -> bool:
        unknown = bool(getattr(form, "unknown", None) and form.unknown.data)
        given = raw is not None and str(raw).strip() != ""
        if unknown and given:
            raise ValidationError("Indiquez une valeur, ou cochez « valeur inconnue », mais pas les deux.")
        if unknown:
            form.value = UNKNOWN
            return True
        if not given:
            raise ValidationError("Indiquez une valeur, ou cochez « valeur inconnue ».")
        return False

    def shown(self, data: dict) -> dict:
        return {"answer": None, "unknown": True} if data.get("answer") == UNKNOWN else data


class _DepartementForm(_FormKind):
    blank = None

    def fields(self, question: Question, ruleset: RuleSet, check: _EngineCheck) -> list[tuple[str, Field]]:
        return [("answer", _LenientSelect(choices=departement_choices(ruleset), validators=[check]))]

    def settle(self, form, raw) -> bool:
        if raw == NO_DEPARTEMENT:
            form.value = NO_DEPARTEMENT
            return True
        return False


_KINDS: dict[type[Question], _FormKind] = {
    YesNoQuestion: _FormKind(), SingleQuestion: _FormKind(), MultipleQuestion: _MultipleForm(),
    NumberQuestion: _NumberForm(), DepartementQuestion: _DepartementForm(),
}
