"""WTForms forms built from the rules' question kinds.

WTForms parses and validates; the engine's ``normalise`` has the last word on what an
answer means, so a form, a scenario and the API accept exactly the same values.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from wtforms import BooleanField, Form, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from .. import engine
from ..model import NONE_OF_THESE, NONE_OF_THESE_LABEL, UNKNOWN, UNKNOWN_LABELS, Question
from ..orientation import NO_DEPARTEMENT
from ..ruleset import RuleSet


class _EngineCheck:
    """Validator: the engine must accept the answer; its typed value is kept on the form."""

    def __init__(self, question: Question, departements):
        self.question = question
        self.departements = departements

    def __call__(self, form, field):
        raw = field.data
        if self.question.kind == "multiple" and not raw:
            # Nothing ticked is not "none": the GP may not have looked. Ask them to say which.
            raise ValidationError("Cochez les signes présents, ou « Aucun de ces signes », ou « Je ne sais pas, "
                                  "ou pas recherché ».")
        if self.question.kind in ("yes_no", "single") and not raw:
            raise ValidationError("Choisissez une réponse.")
        if self.question.kind == "number":
            unknown = bool(getattr(form, "unknown", None) and form.unknown.data)
            given = raw is not None and str(raw).strip() != ""
            if unknown and given:
                raise ValidationError("Indiquez une valeur, ou cochez « valeur inconnue », mais pas les deux.")
            if unknown:
                form.value = UNKNOWN
                return
            if not given:
                raise ValidationError("Indiquez une valeur, ou cochez « valeur inconnue ».")
        if self.question.kind == "departement" and raw == NO_DEPARTEMENT:
            form.value = NO_DEPARTEMENT
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
    if data is not None and question.kind in ("multiple", "number"):
        answer = data.get("answer")
        if question.kind == "multiple" and answer == []:
            kwargs["data"] = {"answer": [NONE_OF_THESE]}  # "none of these" was ticked
        elif question.kind == "number" and answer == UNKNOWN:
            kwargs["data"] = {"answer": None, "unknown": True}
    by_question = _classes.setdefault(ruleset, {})
    entry = by_question.get(id(question))
    if entry is None:
        entry = by_question[id(question)] = (question, _form_class(question, ruleset))
    return entry[1](**kwargs)


def _form_class(question: Question, ruleset: RuleSet) -> type[AnswerForm]:
    check = _EngineCheck(question, ruleset.departements)
    if question.kind in ("yes_no", "single"):
        choices = [(o.id, o.label) for o in question.options] if question.kind == "single" else [
            (c, engine.describe(question, c)) for c in question.choice_ids]
        field = _LenientRadio(choices=_choices(choices), validators=[check])
    elif question.kind == "multiple":
        # "None of these" and "not looked for" close every list: a blank page is never "none".
        field = _LenientMulti(choices=_choices([*((o.id, o.label) for o in question.options),
                                                (NONE_OF_THESE, NONE_OF_THESE_LABEL),
                                                (UNKNOWN, UNKNOWN_LABELS["multiple"])]), validators=[check])
    elif question.kind == "number":
        field = StringField(validators=[check])
        unknown = BooleanField(UNKNOWN_LABELS["number"])
    else:
        field = _LenientSelect(choices=departement_choices(ruleset), validators=[check])

    class Form(AnswerForm):
        pass

    if question.kind == "number":
        Form.unknown = unknown  # declared before ``answer``: WTForms validates fields in order
    Form.answer = field
    return Form
