"""The typed, frozen model of orient's rules.

One pydantic class per thing a rule author writes. They do three jobs at once, which is
why pydantic was chosen over hand-written dataclasses: validate the YAML (types, required
fields, unknown fields), build immutable objects once at load, and generate the JSON Schema
that editors use (``orient schema``). Anything a schema cannot say (references, graph
properties, review dates) lives in :mod:`orient.core.checks`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from abc import abstractmethod
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self, TypeVar, cast
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    model_validator,
)
from pydantic_core import PydanticCustomError


class Frozen(BaseModel):
    """Base of every rule object: immutable, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Département codes: "01".."95", "2A", "2B", "971".."976".
DepartementCode = Annotated[str, StringConstraints(pattern=r"^(\d{2}|2[AB]|97\d)$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{2}$")]


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    # A host ending in a dot ("has-sante.fr.") resolves, but is not the name the publisher gives.
    if (parts.scheme not in ("http", "https") or not parts.netloc or " " in value or "." not in parts.netloc
            or (parts.hostname or "").endswith(".")):
        raise PydanticCustomError("url_invalide", "URL mal formée : « {url} »", {"url": value})
    return value


Url = Annotated[str, AfterValidator(_check_url)]

AgeBand = Literal["nouveau-ne", "nourrisson", "enfant", "adolescent", "adulte"]
AGE_BANDS: dict[str, str] = {
    "nouveau-ne": "Nouveau-né (moins de 28 jours)",
    "nourrisson": "Nourrisson (28 jours à 2 ans)",
    "enfant": "Enfant (2 à 11 ans)",
    "adolescent": "Adolescent (12 à 17 ans)",
    "adulte": "Adulte (18 ans et plus)",
}
CHILD_BANDS = frozenset({"nouveau-ne", "nourrisson", "enfant", "adolescent"})

System = Literal[
    "general", "neurologie", "muscle", "developpement", "os", "peau", "vasculaire", "coeur",
    "poumon", "sang", "immunite", "rein", "foie-digestif", "endocrinien-metabolisme", "sens",
    "tete-cou", "neonatal", "rachis-pelvis",
]
SYSTEM_LABELS: dict[str, str] = {
    "general": "Signes généraux",
    "neurologie": "Neurologie",
    "muscle": "Muscles et motricité",
    "developpement": "Développement et malformations",
    "os": "Os et squelette",
    "peau": "Peau",
    "vasculaire": "Vaisseaux",
    "coeur": "Cœur",
    "poumon": "Poumons et respiration",
    "sang": "Sang et hémostase",
    "immunite": "Immunité, fièvre, inflammation",
    "rein": "Reins et voies urinaires",
    "foie-digestif": "Foie et tube digestif",
    "endocrinien-metabolisme": "Croissance, hormones, métabolisme",
    "sens": "Vue et audition",
    "tete-cou": "Tête, face, cou et dents",
    "neonatal": "Nouveau-né",
    "rachis-pelvis": "Rachis, pelvis et sphincters",
}

SiteType = Literal["crmr_coordonnateur", "crmr_constitutif", "ccmr", "crc", "non_precise"]
SITE_TYPE_LABELS: dict[str, str] = {
    "crmr_coordonnateur": "Centre de référence — site coordonnateur",
    "crmr_constitutif": "Centre de référence — site constitutif",
    "ccmr": "Centre de compétence",
    "crc": "Centre de ressources et de compétences",
    "non_precise": "Site expert (type non précisé)",
}
Population = Literal["adulte", "pediatrique", "mixte", "non_precise"]
POPULATION_LABELS: dict[str, str] = {
    "adulte": "adultes",
    "pediatrique": "enfants",
    "mixte": "enfants et adultes",
    "non_precise": "âge des patients non précisé",
}

Action = Literal["emergency", "refer", "test_then_refer", "monitor"]
ACTION_LABELS: dict[str, str] = {
    "emergency": "Urgence : prise en charge le jour même",
    "refer": "Adresser à un centre expert",
    "test_then_refer": "Faire les examens de première intention, puis adresser si anormal",
    "monitor": "Suivi par le médecin traitant, réévaluer si besoin",
}
Urgency = Literal["urgence", "rapide", "programme", "surveillance"]
URGENCY_LABELS: dict[str, str] = {
    "urgence": "Urgence — le jour même",
    "rapide": "Rapide — dans les jours ou semaines qui viennent",
    "programme": "Programmé — examens puis consultation",
    "surveillance": "Surveillance — pas d'orientation immédiate",
}

QuestionKind = Literal["yes_no", "single", "multiple", "number", "departement"]
# "Je ne sais pas / non recherché / non dosé": an answer in its own right, distinct from "not
# yet asked". On a condition that does not name it, it leaves the condition undetermined, never
# false (see engine), so an unknown can never rule out a red flag. A yes/no question always
# offers it; a single-choice question must declare an option with this id (orient check); a
# multiple-choice or number question gets it from the form.
UNKNOWN = "nsp"
# A multiple-choice answer of "aucun de ces signes" is the empty set; the form's box for it
# carries this value so that a blank submission (nothing looked at) is never read as "none".
NONE_OF_THESE = "aucun"
YES_NO: dict[str, str] = {"oui": "Oui", "non": "Non", UNKNOWN: "Je ne sais pas"}
UNKNOWN_LABELS: dict[str, str] = {
    "multiple": "Je ne sais pas, ou pas recherché",
    "number": "Valeur inconnue (pas dosée, pas mesurée)",
}
NONE_OF_THESE_LABEL = "Aucun de ces signes (tous recherchés et absents)"
AGE_QUESTION_ID = "age_group"


# --- Conditions -------------------------------------------------------------------------
# Structured data, never expressions. A leaf tests one answer; composites combine leaves.
#
# Each class carries what its type means: its children, its three-valued logic, its French
# wording, its FHIR form. A caller (engine, checks, graph, fhir) passes in only what a leaf
# needs from outside (how to read an answer, how to name a question, FHIR's syntax for one
# test), so no caller dispatches on the type of a condition.

# A compiled test: a closure from an evaluation context to True, False or None
# (undetermined). The context (the engine's evaluator) is read only by the leaf tests the
# caller supplies; the composites just combine their children's results.
Verdict = bool | None
Test = Callable[[Any], Verdict]
# FHIR enableWhen entries and enableBehavior ("all", "any", or None for a single entry).
EnableWhen = tuple[list[dict], str | None]
T = TypeVar("T")


class ConditionBase(Frozen):
    """What every condition can do; each of the five classes below fills it in.

    Not a field type: rule files name a condition through the ``Condition`` union."""

    # The YAML key that says which condition this is: the union's discriminator tag.
    TAG: ClassVar[str]

    @property
    def children(self) -> tuple[Condition, ...]:
        """The conditions this one combines, in order (none for a leaf)."""
        return ()

    def located_children(self) -> Iterator[tuple[tuple[str | int, ...], Condition]]:
        """Each child with the steps that lead to it in the YAML (the authors' spelling)."""
        for i, child in enumerate(self.children):
            yield (self.TAG, i), child

    def leaves(self) -> Iterator[AnswerCondition]:
        """Every answer test inside, depth first."""
        for child in self.children:
            yield from child.leaves()

    def located_leaves(self, path: tuple = ()) -> Iterator[tuple[AnswerCondition, tuple]]:
        """Every answer test with its path in the YAML, ``path`` being this condition's."""
        for steps, child in self.located_children():
            yield from child.located_leaves(path + steps)

    # -- three-valued logic --

    @abstractmethod
    def compile(self, leaf: Callable[[AnswerCondition], Test], child: Callable[[Condition], Test]) -> Test:
        """A closure computing this condition in three-valued logic: ``leaf`` compiles an
        answer test, ``child`` a sub-condition (so the caller can also index every node)."""
        ...  # each condition class fills it in

    def open_leaves(self, evaluate: Callable[[Condition], Verdict]) -> Iterator[AnswerCondition]:
        """The answer tests that could still settle this condition, if it is undetermined:
        those reached through undetermined children only (a determined child is settled
        for good, three-valued logic being monotone)."""
        for child in self.children:
            if evaluate(child) is None:
                yield from child.open_leaves(evaluate)

    def open_questions(self, evaluate: Callable[[Condition], Verdict], answered: Container[str],
                       out: set[str]) -> None:
        """The questions of ``open_leaves`` not in ``answered``, added to ``out``: what the
        walk may ask next. The walk's hot path, hence no generator. An open test on an
        unanswered question is on one that may still be asked (a skipped one's is false)."""
        for child in self.children:
            if evaluate(child) is None:
                child.open_questions(evaluate, answered, out)

    @abstractmethod
    def witnesses(self, truth: bool, evaluate: Callable[[Condition], Verdict]) -> Iterator[AnswerCondition]:
        """The answer tests that make this condition evaluate to ``truth`` (its explanation):
        every child that must have that value, or the first one when one is enough."""
        ...  # each condition class fills it in

    # -- French (graph, explanations) --

    @property
    def heading(self) -> str:
        """The French heading of a composite above its sub-clauses; an answer test is a leaf and
        has none (composites override this)."""
        return ""

    def outline(self, leaf: Callable[[AnswerCondition], T], group: Callable[[str, tuple[T, ...]], T]) -> T:
        """The condition as a French outline: ``leaf`` words an answer test, ``group`` puts a
        heading (« toutes ces conditions : »...) above the outlines of the children."""
        return group(self.heading, tuple(child.outline(leaf, group) for child in self.children))

    @abstractmethod
    def inline(self, leaf: Callable[[AnswerCondition], str], top: bool = False) -> str:
        """The condition on one French line, ``leaf`` wording each answer test; ``top``: not
        nested in another condition (no brackets needed)."""
        ...  # each condition class fills it in

    # -- FHIR --

    def enable_when(self, leaf: Callable[[AnswerCondition], EnableWhen | None],
                    nested: bool = False) -> EnableWhen | None:
        """FHIR enableWhen entries and enableBehavior, or None when FHIR's closed set of
        operators cannot say it: FHIR has one answer test, or one all / any of answer tests
        (``leaf`` translates an answer test), and nothing else (not, at_least, nesting)."""
        return None

    @abstractmethod
    def fhirpath(self, truth: bool, leaf: Callable[[AnswerCondition, bool], str]) -> str:
        """A FHIRPath boolean for "the engine finds this condition ``truth``", ``leaf``
        writing it for an answer test. False is not the negation of true: an unknown answer
        makes a test neither, so ``not`` asks for the "certainly false" form of its operand
        rather than FHIRPath's two-valued not()."""
        ...  # each condition class fills it in


class AnswerCondition(ConditionBase):
    """A test on one answer: equality, membership, inclusion, or numeric bounds."""

    TAG: ClassVar[str] = "answer"

    answer: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    is_: str | None = Field(default=None, alias="is")
    in_: tuple[str, ...] | None = Field(default=None, alias="in", min_length=1)
    includes: str | None = None
    includes_any: tuple[str, ...] | None = Field(default=None, min_length=1)
    lt: float | None = None
    le: float | None = None
    gt: float | None = None
    ge: float | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> AnswerCondition:
        families = [
            self.is_ is not None,
            self.in_ is not None,
            self.includes is not None,
            self.includes_any is not None,
            any(b is not None for b in (self.lt, self.le, self.gt, self.ge)),
        ]
        if sum(families) != 1:
            raise PydanticCustomError(
                "operateur_condition",
                "une condition sur une réponse prend exactement un opérateur : "
                "is, in, includes, includes_any, ou des bornes lt/le/gt/ge",
            )
        return self

    @property
    def values(self) -> tuple[str, ...]:
        """The option ids or codes this leaf names (for reference checks)."""
        if self.is_ is not None:
            return (self.is_,)
        if self.includes is not None:
            return (self.includes,)
        return self.in_ or self.includes_any or ()

    @property
    def is_numeric(self) -> bool:
        return any(b is not None for b in (self.lt, self.le, self.gt, self.ge))

    @cached_property
    def test_value(self) -> Callable[[Any], Verdict]:
        """The test on one answer value, specialised to this leaf's operator (built once per
        frozen leaf: a walk runs it at every step). None (undetermined) when the answer is
        unknown and the test does not name the unknown answer itself: "je ne sais pas" is
        neither yes nor no, and boxes left unticked beside "non recherché" are unknown."""
        if self.is_ is not None:
            expected = self.is_
            return lambda value: True if value == expected else (None if value == UNKNOWN else False)
        if self.in_ is not None:
            allowed = frozenset(self.in_)

            def test_in(value: Any) -> Verdict:
                if isinstance(value, frozenset):
                    return False
                return True if value in allowed else (None if value == UNKNOWN else False)

            return test_in
        if self.includes is not None or self.includes_any is not None:
            members = frozenset((self.includes,) if self.includes is not None else self.includes_any or ())

            def test_includes(value: Any) -> Verdict:
                if not isinstance(value, frozenset):
                    return False
                if not value.isdisjoint(members):
                    return True
                return None if UNKNOWN in value else False

            return test_includes
        lt, le, gt, ge = self.lt, self.le, self.gt, self.ge

        def test_bounds(value: Any) -> Verdict:
            if value == UNKNOWN:
                return None
            if not isinstance(value, (int, float)):
                return False
            return ((lt is None or value < lt) and (le is None or value <= le)
                    and (gt is None or value > gt) and (ge is None or value >= ge))

        return test_bounds

    def leaves(self) -> Iterator[AnswerCondition]:
        yield self

    def located_leaves(self, path: tuple = ()) -> Iterator[tuple[AnswerCondition, tuple]]:
        yield self, path

    def compile(self, leaf: Callable[[AnswerCondition], Test], child: Callable[[Condition], Test]) -> Test:
        return leaf(self)

    def open_leaves(self, evaluate: Callable[[Condition], Verdict]) -> Iterator[AnswerCondition]:
        yield self

    def open_questions(self, evaluate: Callable[[Condition], Verdict], answered: Container[str],
                       out: set[str]) -> None:
        if self.answer not in answered:
            out.add(self.answer)

    def witnesses(self, truth: bool, evaluate: Callable[[Condition], Verdict]) -> Iterator[AnswerCondition]:
        yield self

    def outline(self, leaf: Callable[[AnswerCondition], T], group: Callable[[str, tuple[T, ...]], T]) -> T:
        return leaf(self)

    def inline(self, leaf: Callable[[AnswerCondition], str], top: bool = False) -> str:
        return leaf(self)

    def enable_when(self, leaf: Callable[[AnswerCondition], EnableWhen | None],
                    nested: bool = False) -> EnableWhen | None:
        return leaf(self)

    def fhirpath(self, truth: bool, leaf: Callable[[AnswerCondition, bool], str]) -> str:
        return leaf(self, truth)


class _Junction(ConditionBase):
    """``all`` and ``any``: one logic, with true and false swapped."""

    # True for ``all``: one false child makes it false. For ``any``, one true child true.
    CONJUNCTIVE: ClassVar[bool]
    HEADING: ClassVar[str]
    JOINER: ClassVar[str]

    def compile(self, leaf: Callable[[AnswerCondition], Test], child: Callable[[Condition], Test]) -> Test:
        return _short_circuit(tuple(child(c) for c in self.children), decisive=not self.CONJUNCTIVE)

    def witnesses(self, truth: bool, evaluate: Callable[[Condition], Verdict]) -> Iterator[AnswerCondition]:
        if truth == self.CONJUNCTIVE:  # all true, or any false: every child counts
            for child in self.children:
                yield from child.witnesses(truth, evaluate)
        else:  # all false, or any true: one witness is enough
            for child in self.children:
                if evaluate(child) is truth:
                    yield from child.witnesses(truth, evaluate)
                    return

    @property
    def heading(self) -> str:
        return self.HEADING

    def inline(self, leaf: Callable[[AnswerCondition], str], top: bool = False) -> str:
        children = self.children
        text = self.JOINER.join(child.inline(leaf) for child in children)
        return text if top or len(children) == 1 else f"({text})"

    def enable_when(self, leaf: Callable[[AnswerCondition], EnableWhen | None],
                    nested: bool = False) -> EnableWhen | None:
        if nested:
            return None
        wanted = self.TAG  # FHIR's enableBehavior has the same two words
        items: list[dict] = []
        for child in self.children:
            translated = child.enable_when(leaf, nested=True)
            if translated is None:
                return None
            sub, behaviour = translated
            if len(sub) > 1 and behaviour != wanted:
                return None
            items.extend(sub)
        return items, (wanted if len(items) > 1 else None)

    def fhirpath(self, truth: bool, leaf: Callable[[AnswerCondition, bool], str]) -> str:
        conjunction = truth == self.CONJUNCTIVE  # all true, or any false
        return "(" + (" and " if conjunction else " or ").join(c.fhirpath(truth, leaf) for c in self.children) + ")"


class AllCondition(_Junction):
    TAG: ClassVar[str] = "all"
    CONJUNCTIVE: ClassVar[bool] = True
    HEADING: ClassVar[str] = "toutes ces conditions :"
    JOINER: ClassVar[str] = " ET "

    all: tuple[Condition, ...] = Field(min_length=1)

    @property
    def children(self) -> tuple[Condition, ...]:
        return self.all


class AnyCondition(_Junction):
    TAG: ClassVar[str] = "any"
    CONJUNCTIVE: ClassVar[bool] = False
    HEADING: ClassVar[str] = "l'une de ces conditions :"
    JOINER: ClassVar[str] = " OU "

    any: tuple[Condition, ...] = Field(min_length=1)

    @property
    def children(self) -> tuple[Condition, ...]:
        return self.any


class NotCondition(ConditionBase):
    TAG: ClassVar[str] = "not"

    not_: Condition = Field(alias="not")

    @property
    def children(self) -> tuple[Condition, ...]:
        return (self.not_,)

    def located_children(self) -> Iterator[tuple[tuple[str | int, ...], Condition]]:
        yield ("not",), self.not_

    def compile(self, leaf: Callable[[AnswerCondition], Test], child: Callable[[Condition], Test]) -> Test:
        inner = child(self.not_)

        def test(context: Any) -> Verdict:
            r = inner(context)
            return None if r is None else not r

        return test

    def witnesses(self, truth: bool, evaluate: Callable[[Condition], Verdict]) -> Iterator[AnswerCondition]:
        yield from self.not_.witnesses(not truth, evaluate)

    @property
    def heading(self) -> str:
        return "pas ceci :"

    def inline(self, leaf: Callable[[AnswerCondition], str], top: bool = False) -> str:
        return f"NON ({self.not_.inline(leaf, top=True)})"

    def fhirpath(self, truth: bool, leaf: Callable[[AnswerCondition, bool], str]) -> str:
        return self.not_.fhirpath(not truth, leaf)


class AtLeastCondition(ConditionBase):
    TAG: ClassVar[str] = "at_least"

    at_least: int = Field(ge=1)
    of: tuple[Condition, ...] = Field(min_length=1)

    @property
    def children(self) -> tuple[Condition, ...]:
        return self.of

    def located_children(self) -> Iterator[tuple[tuple[str | int, ...], Condition]]:
        for i, child in enumerate(self.of):
            yield ("of", i), child

    def compile(self, leaf: Callable[[AnswerCondition], Test], child: Callable[[Condition], Test]) -> Test:
        children, needed = tuple(child(c) for c in self.of), self.at_least

        def test(context: Any) -> Verdict:
            true = unknown = 0
            for c in children:
                r = c(context)
                if r is True:
                    true += 1
                elif r is None:
                    unknown += 1
            if true >= needed:
                return True
            if true + unknown < needed:
                return False
            return None

        return test

    def witnesses(self, truth: bool, evaluate: Callable[[Condition], Verdict]) -> Iterator[AnswerCondition]:
        for child in self.of:
            if evaluate(child) is truth:
                yield from child.witnesses(truth, evaluate)

    @property
    def heading(self) -> str:
        return f"au moins {self.at_least} parmi :"

    def inline(self, leaf: Callable[[AnswerCondition], str], top: bool = False) -> str:
        return f"au moins {self.at_least} parmi (" + " ; ".join(c.inline(leaf) for c in self.of) + ")"

    def fhirpath(self, truth: bool, leaf: Callable[[AnswerCondition, bool], str]) -> str:
        if truth:  # at least N certainly true
            counted = " + ".join(f"iif({c.fhirpath(True, leaf)}, 1, 0)" for c in self.of)
            return f"(({counted}) >= {self.at_least})"
        possible = " + ".join(f"iif({c.fhirpath(False, leaf)}, 0, 1)" for c in self.of)
        return f"(({possible}) < {self.at_least})"  # fewer than N can still be true


def _short_circuit(children: tuple[Test, ...], decisive: bool) -> Test:
    """``all`` (decisive False) or ``any`` (decisive True) in three-valued logic: the first
    child with the decisive value settles it; otherwise undetermined if any child is."""

    def test(context: Any) -> Verdict:
        result: Verdict = not decisive
        for child in children:
            r = child(context)
            if r is decisive:
                return decisive
            if r is None:
                result = None
        return result

    return test


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, ConditionBase):
        return value.TAG
    if isinstance(value, dict):
        for tag in ("answer", "all", "any", "not", "at_least"):
            if tag in value:
                return tag
    return None


Condition = Annotated[
    Annotated[AnswerCondition, Tag("answer")]
    | Annotated[AllCondition, Tag("all")]
    | Annotated[AnyCondition, Tag("any")]
    | Annotated[NotCondition, Tag("not")]
    | Annotated[AtLeastCondition, Tag("at_least")],
    Discriminator(
        _condition_tag,
        custom_error_type="condition_inconnue",
        custom_error_message="condition non reconnue : attendu answer, all, any, not ou at_least",
    ),
]


def iter_leaves(condition: Condition) -> Iterator[AnswerCondition]:
    """Every AnswerCondition inside a condition, depth first."""
    return condition.leaves()


# --- Keys ---------------------------------------------------------------------------------


class Source(Frozen):
    title: Text
    url: Url
    # null when the page gives no date: better no year than a guessed one (shown as "s. d.").
    year: int | None = Field(ge=1900, le=2100)


# --- Reference values ---------------------------------------------------------------------
# A question (or one of its options) that asks the GP to judge a result ("QTc long", "CPK
# élevées") carries the figures to compare against, as data: the measure, the comparator, the
# value and its unit, the population it applies to and its source. The page shows the figure
# for the patient's age band (orient.core.thresholds renders it); orient check refuses a figure
# without unit or population, or for an age band the question is never asked in.

ThresholdComparator = Literal["lt", "le", "gt", "ge"]
COMPARATOR_SIGNS: dict[str, str] = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
Sex = Literal["femme", "homme"]


class ThresholdPopulation(Frozen):
    """Whom a figure applies to: age bands (required), sex where the source gives different
    figures, a narrower age or context within the bands, ethnicity where the source adjusts."""

    ages: tuple[AgeBand, ...] = ()
    sex: Sex | None = None
    # Within the bands, where the source is finer than them: "avant 72 heures de vie".
    detail: Text | None = None
    # Where the source adjusts for it, in words: "d'ascendance africaine".
    ethnicity: Text | None = None


class Threshold(Frozen):
    measure: Text
    comparator: ThresholdComparator
    value: float
    unit: Text | None = None  # required (orient check: SEUIL_SANS_UNITE), optional for the schema
    # The rule as the laboratory states it, when the figure is its usual translation:
    # "1,5 × la limite supérieure de la normale" (the figure is then shown as "soit environ …").
    relative: Text | None = None
    # The same figure in another unit, as written: "0,50 g/L".
    also: Text | None = None
    # What crossing it means, when the question does not say: "valeur limite, à recontrôler".
    meaning: Text | None = None
    population: ThresholdPopulation | None = None  # required (orient check: SEUIL_SANS_POPULATION)
    # A URL among the key's sources, or a source of its own.
    source: Url | Source

    @property
    def source_url(self) -> str:
        return self.source if isinstance(self.source, str) else self.source.url


class Option(Frozen):
    id: Id
    label: Text
    hint: Text | None = None
    thresholds: tuple[Threshold, ...] = ()
    # What the referral letter says when this option is chosen: a clinical statement in the GP's
    # voice ("Trois fractures ou plus."), not the question and its answer.
    letter: Text | None = None


class InvalidAnswer(ValueError):
    """An answer that does not fit its question (unknown option, out of bounds...)."""

    def __init__(self, question_id: str, message: str):
        super().__init__(message)
        self.question_id = question_id
        self.message = message


# A typed answer: an option id or code, a number, or the set of ticked options.
Value = str | float | frozenset

# FHIR pieces a question kind writes itself (orient.exports.fhir assembles the resources).
FHIR_NONE_CODE = "_aucun"
FHIR_NONE_LABEL = "Aucun de ces choix"
EXT_MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
EXT_OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
# A number left unknown ("valeur inconnue"): HL7's data-absent-reason, not a made-up value.
UNKNOWN_NUMBER_EXTENSION = {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                            "valueCode": "asked-unknown"}
NUMERIC_OPERATORS = (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="))
# The patient's département left unsaid (« je préfère ne pas l'indiquer »).
NO_DEPARTEMENT = "nsp"

# What an orientation link may hold for one answer (orient.services.replay).
_CHOICE_VALUE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NUMBER_VALUE = re.compile(r"^-?\d{1,9}([.,]\d{1,6})?$")
_DEPARTEMENT_VALUE = re.compile(r"^(\d{2}|2[AB]|97\d|nsp)$")


def format_number(number: float | None) -> str:
    """A bound or an answer in French: no decimals when whole, a decimal comma otherwise."""
    if number is None:
        return "?"
    return str(int(number)) if float(number).is_integer() else str(number).replace(".", ",")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


# Letter statements for one answer: (sentences, topics left unchecked).
Statements = tuple[tuple[str, ...], tuple[str, ...]]


class Question(Frozen):
    """What every question can do; each kind below fills it in (its normalisation, wording,
    letter statement, FHIR form, link codec, the operators its conditions may use).

    Not a field type: rule files name a question through ``AnyQuestion``, a union
    discriminated on ``kind``; ``Question.model_validate`` reads one the same way."""

    # The condition operators that make sense on this kind (orient check).
    OPERATORS: ClassVar[tuple[str, ...]]
    # Option ids the kind adds itself, which a rule file may not declare.
    RESERVED_OPTIONS: ClassVar[frozenset[str]] = frozenset()
    # How the loader reports a pydantic error on a kind's own fields, by (error type, field):
    # (orient check's code, French message, the field the diagnostic points at). The codes
    # predate the kinds being classes, when orient check found these mistakes itself.
    FIELD_ERRORS: ClassVar[dict[tuple[str, str | None], tuple[str, str, str]]] = {
        ("extra_forbidden", "options"): ("OPTIONS_INUTILES", "une question « {kind} » ne prend pas d'options",
                                         "options"),
    }

    id: Id
    kind: QuestionKind
    text: Text
    hint: Text | None = None
    # A question that lists signs reads as a 60-word heading; the list goes here instead, shown
    # as bullets under the hint (same aria-describedby), and ``text`` stays a short question.
    hint_items: tuple[Text, ...] = ()
    ask_when: Condition | None = None
    # The age bands this question is written for; outside them it is not asked (as if its
    # ask_when were false). Empty: every band of the key.
    ages: tuple[AgeBand, ...] = ()
    # Reference values to compare a result against, shown for the patient's age band.
    thresholds: tuple[Threshold, ...] = ()
    # The referral letter speaks in clinical statements built from the answers (``letter_statement``):
    # yes_no questions say what "oui" and "non" mean; a multiple-choice question what "none of
    # these" means (each option carries its own ``letter``); a number question a sentence with
    # ``{valeur}``; ``letter_topic`` names, as a short noun phrase, what is still unchecked when the
    # answer is "je ne sais pas". ``letter_section: examens`` puts the statements under the tests
    # already done, so that a letter never claims a test the GP did not report.
    letter_topic: Text | None = None
    letter_section: Literal["signes", "examens"] = "signes"

    if TYPE_CHECKING:  # every kind answers these; the kinds that have them declare them as fields
        @property
        def options(self) -> tuple[Option, ...]: ...
        @property
        def unit(self) -> str | None: ...
        @property
        def min(self) -> float | None: ...
        @property
        def max(self) -> float | None: ...
        @property
        def integer(self) -> bool: ...

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """On ``Question`` itself, the class that ``kind`` names (as in a rule file)."""
        if cls is Question:
            return cast(Self, _QUESTION_ADAPTER.validate_python(obj, *args, **kwargs))
        return super().model_validate(obj, *args, **kwargs)

    def option(self, option_id: str) -> Option | None:
        return self._options_by_id.get(option_id)

    # Lookups on the request path (every stored answer is re-validated on every page): built
    # once per frozen object. cached_property writes to the instance dict, which a frozen
    # pydantic model allows, and is neither a field nor part of equality or dumps.
    @cached_property
    def _options_by_id(self) -> dict[str, Option]:
        return {o.id: o for o in self.options}

    @cached_property
    def choice_ids(self) -> tuple[str, ...]:
        """The closed set of values for choice-like kinds (yes_no, single, multiple)."""
        return tuple(o.id for o in self.options)

    @property
    def offers_unknown(self) -> bool:
        """Whether the GP can answer "je ne sais pas" (every question must, the age aside)."""
        return True

    # -- answers --

    @abstractmethod
    def normalise(self, raw: object, departements: Iterable[str] | None = None) -> Value:
        """A raw answer (form, cookie, scenario, link, API) as its typed value, or InvalidAnswer."""
        ...  # each kind fills it in

    def describe(self, value: Value, departement_names: Mapping[str, str] | None = None) -> str:
        """A French rendering of an answer, for the check page and the "why" trail."""
        return str(value)

    def value_label(self, value: str) -> str:
        """How a condition's value reads (the decision map): an option's label, or the value."""
        option = self.option(value)
        return option.label if option is not None else value


    @property
    def form_choices(self) -> tuple[tuple[str, str], ...]:
        """(value, label) of each answer a form offers, in order (choice kinds)."""
        return tuple((o.id, o.label) for o in self.options)

    def offered_answers(self, departements: Sequence[tuple[str, str]]) -> tuple[tuple[str, str, str | None], ...]:
        """(id, label, hint) of each answer a client of the API is offered, in order: the
        declared options (none for a number); ``departements``, (code, label) in order, serve
        the département question."""
        return tuple((o.id, o.label, o.hint) for o in self.options)

    @property
    @abstractmethod
    def answers_summary(self) -> str:
        """The answers offered, on one French line (the decision map)."""
        ...  # each kind fills it in

    def raw_from_text(self, text: str, separators: str = ",") -> object:
        """A typed-in answer (command line, link) as a raw answer for ``normalise``."""
        return text

    def link_value(self, text: str) -> object:
        """The raw answer an orientation link holds, or ValueError with the French reason."""
        if not _CHOICE_VALUE.match(text):
            raise ValueError(f"La réponse à « {self.id} » n'est pas un identifiant de réponse.")
        return text

    # -- referral letter --

    def _fallback(self, value: Value) -> str:
        return f"{self.text.rstrip(' ?')} : {self.describe(value)}."

    @property
    def _topic(self) -> str:
        return self.letter_topic or self.text.rstrip(" ?")

    def letter_statement(self, value: Value) -> Statements:
        """(statements, unchecked topics) the referral letter makes for one answer."""
        return (), ()

    def missing_letter_statements(self) -> tuple[str, ...]:
        """Which answers would fall back to "question : réponse" (for orient check)."""
        return ()

    # -- orient check --

    def known_values(self, departements: Collection[str]) -> Collection[str] | None:
        """The values a condition may name (None: not checkable here)."""
        return self.choice_ids

    def unknown_value(self, value: str) -> tuple[str, str]:
        """(code, message) for a condition naming a value this question does not offer."""
        return "OPTION_INCONNUE", f"option « {value} » inconnue pour la question « {self.id} »"

    def redundant_options(self, signature: Callable[[Value], tuple]) -> Iterator[tuple[int, Option, str]]:
        """Options that count exactly as another answer for every condition (``signature``:
        the results of the key's tests on an answer): index, option, what it counts as."""
        return iter(())

    # -- the explorer (engine.explore) --

    def representatives(self, leaves: Sequence[AnswerCondition], unknown: bool) -> list[Value]:
        """One answer per distinct behaviour of the tests ``leaves`` make on this question,
        with the unknown answers when ``unknown``: the answers the explorer tries. Here every
        choice, the unknown last."""
        return [c for c in sorted(self.choice_ids, key=lambda c: c == UNKNOWN) if c != UNKNOWN or unknown]

    # -- FHIR --

    def fhir_code_system(self, base: str, key_id: str) -> str:
        """The code system of this question's answer codes (``base`` without a final /)."""
        return f"{base}/CodeSystem/{key_id}/{self.id}"

    def fhir_codings(self, system: str, departements: Sequence[tuple[str, str]] | None) -> list[dict] | None:
        """(system, code, display) of every answer a choice item offers; None when unlisted."""
        return [{"system": system, "code": o.id, "display": o.label} for o in self.options]

    def fhir_coding(self, system: str, code: str, departement_names: Mapping[str, str] | None = None) -> dict:
        return {"system": system, "code": code, "display": self.describe(code, departement_names)}

    def fhir_item(self, system: str, departements: Sequence[tuple[str, str]] | None,
                  base: str) -> tuple[dict[str, Any], list[dict]]:
        """The item's answer format: its fields after linkId and text, and its extensions."""
        codings = self.fhir_codings(system, departements)
        if codings is None:
            return {"type": "choice", "answerValueSet": f"{base}/ValueSet/departements"}, []
        return {"type": "choice", "answerOption": [{"valueCoding": c} for c in codings]}, []

    def fhir_answer(self, value: Value, system: str, departement_names: Mapping[str, str] | None = None
                    ) -> dict[str, Any]:
        """A QuestionnaireResponse item's answer part (``answer``, or an extension saying why none)."""
        return {"answer": [{"valueCoding": self.fhir_coding(system, str(value), departement_names)}]}

    def fhir_enable_when(self, leaf: AnswerCondition, system: str) -> EnableWhen | None:
        """enableWhen entries for an answer test on this question, and the behaviour they need
        (None: one entry); None when FHIR cannot say it."""
        if leaf.is_numeric:
            return None
        items = [{"question": self.id, "operator": "=", "answerCoding": {"system": system, "code": str(code)}}
                 for code in leaf.values]
        if leaf.includes is not None or leaf.is_ is not None:
            return items, None
        return items, ("any" if len(items) > 1 else None)

    def fhir_read(self, values: list) -> object:
        """The raw answer in a QuestionnaireResponse item's values, or ValueError."""
        if len(values) != 1:
            raise ValueError("une seule réponse attendue")
        return values[0]


class _NotNumber:
    """The number fields, read on the kinds that have none."""

    unit: ClassVar[None] = None
    min: ClassVar[None] = None
    max: ClassVar[None] = None
    integer: ClassVar[bool] = False


class _NoOptions:
    options: ClassVar[tuple[Option, ...]] = ()


class YesNoQuestion(_NotNumber, _NoOptions, Question):
    OPERATORS: ClassVar[tuple[str, ...]] = ("is", "in")

    kind: Literal["yes_no"]
    letter_yes: Text | None = None
    letter_no: Text | None = None

    @cached_property
    def choice_ids(self) -> tuple[str, ...]:
        return tuple(YES_NO)

    def normalise(self, raw: object, departements: Iterable[str] | None = None) -> Value:
        if not isinstance(raw, str) or raw not in self.choice_ids:
            raise InvalidAnswer(self.id, "Cette réponse ne fait pas partie des choix proposés.")
        return raw

    def describe(self, value: Value, departement_names: Mapping[str, str] | None = None) -> str:
        return YES_NO.get(str(value), str(value))

    def value_label(self, value: str) -> str:
        return YES_NO.get(value, value)

    @property
    def form_choices(self) -> tuple[tuple[str, str], ...]:
        return tuple((c, self.describe(c)) for c in self.choice_ids)

    def offered_answers(self, departements: Sequence[tuple[str, str]]) -> tuple[tuple[str, str, str | None], ...]:
        return tuple((code, label, None) for code, label in YES_NO.items())


    @property
    def answers_summary(self) -> str:
        return " · ".join(YES_NO.values())

    def letter_statement(self, value: Value) -> Statements:
        if value == UNKNOWN:
            return (), (self._topic,)
        text = self.letter_yes if value == "oui" else self.letter_no
        return ((_sentence(text),) if text else (self._fallback(value),)), ()

    def missing_letter_statements(self) -> tuple[str, ...]:
        return tuple(label for label, text in (("oui", self.letter_yes), ("non", self.letter_no)) if not text)

    def fhir_code_system(self, base: str, key_id: str) -> str:
        return f"{base}/CodeSystem/oui-non-nsp"

    def fhir_codings(self, system: str, departements: Sequence[tuple[str, str]] | None) -> list[dict] | None:
        return [{"system": system, "code": code, "display": label} for code, label in YES_NO.items()]


class _ChoiceQuestion(_NotNumber, Question):
    """``single`` and ``multiple``: answers among the declared options."""

    FIELD_ERRORS: ClassVar[dict[tuple[str, str | None], tuple[str, str, str]]] = {
        (error, "options"): ("OPTIONS_MANQUANTES", "une question « {kind} » demande au moins deux options", "kind")
        for error in ("missing", "too_short")
    }

    options: tuple[Option, ...] = Field(min_length=2)

    @property
    def answers_summary(self) -> str:
        return " · ".join(o.label for o in self.options)


class SingleQuestion(_ChoiceQuestion):
    OPERATORS: ClassVar[tuple[str, ...]] = ("is", "in")

    kind: Literal["single"]

    @property
    def offers_unknown(self) -> bool:
        return UNKNOWN in self.choice_ids

    def normalise(self, raw: object, departements: Iterable[str] | None = None) -> Value:
        if not isinstance(raw, str) or raw not in self.choice_ids:
            raise InvalidAnswer(self.id, "Cette réponse ne fait pas partie des choix proposés.")
        return raw

    def describe(self, value: Value, departement_names: Mapping[str, str] | None = None) -> str:
        option = self.option(str(value))
        return option.label if option else str(value)


    def letter_statement(self, value: Value) -> Statements:
        if value == UNKNOWN:
            return (), (self._topic,)
        option = self.option(str(value))
        if option is not None and option.letter:
            return (_sentence(option.letter),), ()
        return (self._fallback(value),), ()

    def missing_letter_statements(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options if o.id != UNKNOWN and not o.letter)

    def redundant_options(self, signature: Callable[[Value], tuple]) -> Iterator[tuple[int, Option, str]]:
        seen: dict[tuple, str] = {}
        for j, option in enumerate(self.options):
            if option.id == UNKNOWN:
                continue
            sig = signature(option.id)
            if sig in seen:
                yield j, option, f"l'option « {seen[sig]} »"
            seen.setdefault(sig, option.id)

    def fhir_code_system(self, base: str, key_id: str) -> str:
        if self.id == AGE_QUESTION_ID:
            return f"{base}/CodeSystem/tranche-age"
        return super().fhir_code_system(base, key_id)


class MultipleQuestion(_ChoiceQuestion):
    OPERATORS: ClassVar[tuple[str, ...]] = ("includes", "includes_any")
    # "Aucun de ces signes" and "je ne sais pas" close every list (the form adds them).
    RESERVED_OPTIONS: ClassVar[frozenset[str]] = frozenset({UNKNOWN, NONE_OF_THESE})

    kind: Literal["multiple"]
    letter_none: Text | None = None

    def representatives(self, leaves: Sequence[AnswerCondition], unknown: bool) -> list[Value]:
        """A checklist test asks only whether a ticked box is among its options (and whether
        "non recherché" is ticked), so boxes named by exactly the same tests behave alike: this
        combines classes of boxes, one box per class (its first), not the boxes themselves
        (2^classes instead of 2^boxes). The answers kept are those the plain enumeration by size
        then order would keep: the smallest box of each class, first found first; known answers
        first, "non recherché" variants after (the explorer stops once everything is reached,
        which known answers mostly do)."""
        tests = [leaf.test_value for leaf in leaves]
        relevant = sorted({v for leaf in leaves for v in leaf.values} & set(self.choice_ids))
        classes: dict[tuple[bool, ...], int] = {}
        for position, option in enumerate(relevant):
            classes.setdefault(tuple(option in leaf.values for leaf in leaves), position)
        firsts = sorted(classes.values())
        best: dict[tuple, tuple[tuple, frozenset]] = {}
        for rank, ticked_unknown in enumerate(((), (UNKNOWN,)) if unknown else ((),)):
            for size in range(len(firsts) + 1):
                for combo in itertools.combinations(firsts, size):
                    value = frozenset((*(relevant[i] for i in combo), *ticked_unknown))
                    signature = tuple(test(value) for test in tests)
                    order = (rank, size, combo)
                    if signature not in best or order < best[signature][0]:
                        best[signature] = (order, value)
        return [value for _, value in sorted(best.values(), key=lambda kept: kept[0])]

    def normalise(self, raw: object, departements: Iterable[str] | None = None) -> Value:
        if raw == UNKNOWN:
            return frozenset((UNKNOWN,))
        if isinstance(raw, str):
            raw = [raw] if raw else []
        if not isinstance(raw, (list, tuple, set, frozenset)) or not all(isinstance(v, str) for v in raw):
            raise InvalidAnswer(self.id, "Réponse à choix multiples illisible.")
        ticked = set(raw)
        if NONE_OF_THESE in ticked:
            if len(ticked) > 1:
                raise InvalidAnswer(self.id, "« Aucun de ces signes » ne peut pas être coché avec un signe "
                                             "ou avec « je ne sais pas ».")
            return frozenset()
        if ticked - set(self.choice_ids) - {UNKNOWN}:
            raise InvalidAnswer(self.id, "Une des réponses cochées ne fait pas partie des choix proposés.")
        return frozenset(ticked)

    def describe(self, value: Value, departement_names: Mapping[str, str] | None = None) -> str:
        assert isinstance(value, frozenset)  # a checklist's answer (normalise)
        labels = [o.label for o in self.options if o.id in value]
        if UNKNOWN in value:
            if not labels:
                return "Je ne sais pas, ou pas recherché"
            return " ; ".join(labels + ["les autres signes non recherchés"])
        return " ; ".join(labels) if labels else "Aucun de ces signes"


    def raw_from_text(self, text: str, separators: str = ",") -> object:
        return [v for v in re.split(f"[{re.escape(separators)}]", text) if v]

    def link_value(self, text: str) -> object:
        raw = self.raw_from_text(text, "+ ")
        if not all(_CHOICE_VALUE.match(v) for v in raw):  # type: ignore[attr-defined]
            raise ValueError(f"La réponse à « {self.id} » n'est pas une liste d'identifiants.")
        return raw

    @property
    def answers_summary(self) -> str:
        return "Plusieurs réponses possibles : " + super().answers_summary

    @property
    def form_choices(self) -> tuple[tuple[str, str], ...]:
        # "None of these" and "not looked for" close every list: a blank page is never "none".
        return (*super().form_choices, (NONE_OF_THESE, NONE_OF_THESE_LABEL), (UNKNOWN, UNKNOWN_LABELS["multiple"]))

    def letter_statement(self, value: Value) -> Statements:
        assert isinstance(value, frozenset)  # a checklist's answer (normalise)
        chosen = [o for o in self.options if o.id in value]
        out: list[str] = []
        for option in chosen:
            if option.letter:
                out.append(_sentence(option.letter))
            else:
                out.append(f"{self.text.rstrip(' ?')} : {option.label}.")
        unchecked = (self._topic,) if UNKNOWN in value else ()
        if not chosen and not unchecked:  # "aucun de ces signes" (normalised to the empty set)
            out.append(_sentence(self.letter_none) if self.letter_none else self._fallback(value))
        return tuple(out), unchecked

    def missing_letter_statements(self) -> tuple[str, ...]:
        missing = [o.id for o in self.options if o.id != UNKNOWN and not o.letter]
        if not self.letter_none:
            missing.append(NONE_OF_THESE)
        return tuple(missing)

    def redundant_options(self, signature: Callable[[Value], tuple]) -> Iterator[tuple[int, Option, str]]:
        none = signature(frozenset())
        for j, option in enumerate(self.options):
            if option.id != UNKNOWN and signature(frozenset((option.id,))) == none:
                yield j, option, "une case non cochée"

    def fhir_coding(self, system: str, code: str, departement_names: Mapping[str, str] | None = None) -> dict:
        if code == FHIR_NONE_CODE:
            return {"system": system, "code": FHIR_NONE_CODE, "display": FHIR_NONE_LABEL}
        return {"system": system, "code": code, "display": self.describe(frozenset({code}), departement_names)}

    def fhir_item(self, system: str, departements: Sequence[tuple[str, str]] | None,
                  base: str) -> tuple[dict[str, Any], list[dict]]:
        fields, extensions = super().fhir_item(system, departements, base)
        fields["answerOption"].append({"valueCoding": self.fhir_coding(system, FHIR_NONE_CODE),
                                       "extension": [{"url": EXT_OPTION_EXCLUSIVE, "valueBoolean": True}]})
        # "Not looked for": ticked with or without signs, it leaves the others unknown.
        fields["answerOption"].append({"valueCoding": self.fhir_coding(system, UNKNOWN)})
        fields["repeats"] = True
        return fields, extensions

    def fhir_answer(self, value: Value, system: str, departement_names: Mapping[str, str] | None = None
                    ) -> dict[str, Any]:
        assert isinstance(value, frozenset)  # a checklist's answer (normalise)
        chosen = [o.id for o in self.options if o.id in value] + (
            [UNKNOWN] if UNKNOWN in value else []) or [FHIR_NONE_CODE]
        return {"answer": [{"valueCoding": self.fhir_coding(system, code, departement_names)} for code in chosen]}

    def fhir_read(self, values: list) -> object:
        return [v for v in values if v != FHIR_NONE_CODE]


class NumberQuestion(_NoOptions, Question):
    OPERATORS: ClassVar[tuple[str, ...]] = ("numeric",)

    FIELD_ERRORS: ClassVar[dict[tuple[str, str | None], tuple[str, str, str]]] = {
        **Question.FIELD_ERRORS,
        **{("missing", name): ("BORNES_MANQUANTES", "une question numérique demande min, max et unit", "kind")
           for name in ("min", "max", "unit")},
        ("bornes_ordre", None): ("BORNES_MANQUANTES", "min doit être inférieur à max", "min"),
    }

    kind: Literal["number"]
    unit: Text
    min: float
    max: float
    integer: bool = False
    letter: Text | None = None

    @model_validator(mode="after")
    def _ordered_bounds(self) -> NumberQuestion:
        if self.min >= self.max:
            raise PydanticCustomError("bornes_ordre", "min doit être inférieur à max")
        return self

    def representatives(self, leaves: Sequence[AnswerCondition], unknown: bool) -> list[Value]:
        """Each bound a test names, a step either side, and the question's own bounds."""
        step = 1.0 if self.integer else 0.5
        points = {self.min, self.max}
        for leaf in leaves:
            for bound in (leaf.lt, leaf.le, leaf.gt, leaf.ge):
                if bound is not None:
                    points |= {bound - step, bound, bound + step}
        lo = self.min if self.min is not None else -math.inf
        hi = self.max if self.max is not None else math.inf
        numbers: list[Value] = [*(sorted(float(p) for p in points if p is not None and lo <= p <= hi) or [0.0])]
        return numbers + [UNKNOWN] if unknown else numbers

    def normalise(self, raw: object, departements: Iterable[str] | None = None) -> Value:
        if raw == UNKNOWN:
            return UNKNOWN
        if isinstance(raw, bool):
            raise InvalidAnswer(self.id, "Un nombre est attendu.")
        if isinstance(raw, str):
            raw = raw.strip().replace(",", ".")
        try:
            number = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidAnswer(self.id, "Un nombre est attendu.") from None
        if not math.isfinite(number):
            raise InvalidAnswer(self.id, "Un nombre est attendu.")
        if self.integer and not number.is_integer():
            raise InvalidAnswer(self.id, "Un nombre entier est attendu.")
        if number < self.min or number > self.max:
            raise InvalidAnswer(self.id, f"La valeur doit être comprise entre {format_number(self.min)} "
                                         f"et {format_number(self.max)} {self.unit or ''}".rstrip() + ".")
        return number

    def describe(self, value: Value, departement_names: Mapping[str, str] | None = None) -> str:
        if value == UNKNOWN:
            return "Valeur inconnue"
        return f"{format_number(float(value))} {self.unit or ''}".strip()  # type: ignore[arg-type]

    def value_label(self, value: str) -> str:
        return value


    def link_value(self, text: str) -> object:
        if text != UNKNOWN and not _NUMBER_VALUE.match(text):
            raise ValueError(f"La réponse à « {self.id} » doit être un nombre.")
        return text

    @property
    def answers_summary(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"Un nombre de {format_number(self.min)} à {format_number(self.max)}{unit}"

    def letter_statement(self, value: Value) -> Statements:
        if value == UNKNOWN:
            return (), (self._topic,)
        if self.letter:
            return (_sentence(self.letter.replace("{valeur}", self.describe(value))),), ()
        return (self._fallback(value),), ()

    def missing_letter_statements(self) -> tuple[str, ...]:
        return () if self.letter else ("valeur",)

    def fhir_number(self, number: float) -> tuple[str, int | float]:
        """The value[x] suffix and value of a number (a bound or an answer)."""
        if self.integer and float(number).is_integer():
            return "Integer", int(number)
        return "Decimal", number if not float(number).is_integer() else float(number)

    def fhir_codings(self, system: str, departements: Sequence[tuple[str, str]] | None) -> list[dict] | None:
        return None

    def fhir_item(self, system: str, departements: Sequence[tuple[str, str]] | None,
                  base: str) -> tuple[dict[str, Any], list[dict]]:
        extensions: list[dict] = []
        for url, bound in ((EXT_MIN_VALUE, self.min), (EXT_MAX_VALUE, self.max)):
            kind, value = self.fhir_number(bound)
            extensions.append({"url": url, f"value{kind}": value})
        if self.unit:
            extensions.append({"url": EXT_UNIT, "valueCoding": {"display": self.unit}})
        return {"type": "integer" if self.integer else "decimal"}, extensions

    def fhir_answer(self, value: Value, system: str, departement_names: Mapping[str, str] | None = None
                    ) -> dict[str, Any]:
        if value == UNKNOWN:
            # "Valeur inconnue": no value, and HL7's data-absent-reason says why (a number item
            # cannot hold a code, and a made-up value would be worse).
            return {"extension": [UNKNOWN_NUMBER_EXTENSION]}
        kind, number = self.fhir_number(float(value))  # type: ignore[arg-type]
        return {"answer": [{f"value{kind}": number}]}

    def fhir_enable_when(self, leaf: AnswerCondition, system: str) -> EnableWhen | None:
        if not leaf.is_numeric:
            return None
        items: list[dict[str, Any]] = []
        for attr, operator in NUMERIC_OPERATORS:
            bound = getattr(leaf, attr)
            if bound is None:
                continue
            if self.integer and not float(bound).is_integer():
                return None  # an integer item compares with integers only
            kind, value = self.fhir_number(bound)
            items.append({"question": self.id, "operator": operator, f"answer{kind}": value})
        return items, ("all" if len(items) > 1 else None)


class DepartementQuestion(_NotNumber, _NoOptions, Question):
    OPERATORS: ClassVar[tuple[str, ...]] = ("is", "in")

    kind: Literal["departement"]

    def offered_answers(self, departements: Sequence[tuple[str, str]]) -> tuple[tuple[str, str, str | None], ...]:
        return tuple((code, label, None) for code, label in departements)

    def representatives(self, leaves: Sequence[AnswerCondition], unknown: bool) -> list[Value]:
        """Every code a test names, plus one that none names."""
        return [*sorted({v for leaf in leaves for v in leaf.values}), "__autre__"]

    def normalise(self, raw: object, departements: Iterable[str] | None = None) -> Value:
        if not isinstance(raw, str) or (departements is not None and raw not in set(departements)):
            raise InvalidAnswer(self.id, "Département inconnu.")
        return raw

    def describe(self, value: Value, departement_names: Mapping[str, str] | None = None) -> str:
        name = (departement_names or {}).get(str(value))
        return f"{value} – {name}" if name else str(value)

    def link_value(self, text: str) -> object:
        if not _DEPARTEMENT_VALUE.match(text):
            raise ValueError(f"La réponse à « {self.id} » n'est pas un identifiant de réponse.")
        return text

    @property
    def answers_summary(self) -> str:
        return "Un département"

    def known_values(self, departements: Collection[str]) -> Collection[str] | None:
        return departements or None

    def unknown_value(self, value: str) -> tuple[str, str]:
        return "TERRITOIRE_INCONNU", f"département « {value} » inconnu"

    def fhir_code_system(self, base: str, key_id: str) -> str:
        return f"{base}/CodeSystem/departement"

    def fhir_codings(self, system: str, departements: Sequence[tuple[str, str]] | None) -> list[dict] | None:
        if departements is None:
            return None
        return [{"system": system, "code": code, "display": label} for code, label in departements]

    def fhir_coding(self, system: str, code: str, departement_names: Mapping[str, str] | None = None) -> dict:
        if code == NO_DEPARTEMENT:
            return {"system": system, "code": NO_DEPARTEMENT, "display": "Non indiqué"}
        return super().fhir_coding(system, code, departement_names)


QUESTION_KINDS: dict[str, type[Question]] = {
    "yes_no": YesNoQuestion, "single": SingleQuestion, "multiple": MultipleQuestion, "number": NumberQuestion,
    "departement": DepartementQuestion,
}

# The question a rule file declares, by its ``kind``.
AnyQuestion = Annotated[
    YesNoQuestion | SingleQuestion | MultipleQuestion | NumberQuestion | DepartementQuestion,
    Field(discriminator="kind"),
]
_QUESTION_ADAPTER: TypeAdapter[Question] = TypeAdapter(AnyQuestion)


# Built in code (model_construct): its id is reserved and deliberately outside ID_PATTERN,
# so no rule file can declare a question that clashes with it.
AGE_QUESTION = SingleQuestion.model_construct(
    id=AGE_QUESTION_ID,
    ask_when=None,
    kind="single",
    text="Quel âge a le patient ?",
    hint="La tranche d'âge suffit : elle sert aux règles et au choix d'un centre adulte ou pédiatrique.",
    options=tuple(Option(id=k, label=v) for k, v in AGE_BANDS.items()),
)

# Asked by the wizard after an outcome that refers, never by a key: built once, like the age
# question, so its form class is built once too.
DEPARTEMENT_QUESTION = DepartementQuestion.model_construct(
    id="departement", kind="departement", text="Dans quel département vit le patient ?",
    hint="Pour proposer les centres experts les plus proches. Le département suffit ; aucune adresse.",
    ask_when=None)


class RedFlag(Frozen):
    """What a safety-critical outcome asks of the GP when an unknown answer left it open:
    the result never reassures then; it says what to check today and how, and what to do
    if that cannot be checked."""

    check: Text
    if_unchecked: Text


class Outcome(Frozen):
    """One possible end of a key. An emergency names where to go now (``emergency_route``),
    never expert centres; its filière, if any, is shown as what comes next."""

    id: Id
    when: Condition | None = None
    default: bool = False
    action: Action
    urgency: Urgency
    title: Text
    rationale: Text
    filiere: Id | None = None
    centre_types: tuple[SiteType, ...] = ()
    do_now: tuple[Text, ...] = ()
    tests: tuple[Text, ...] = ()
    refer_if: Text | None = None
    reevaluate_if: Text | None = None
    safeguarding: Text | None = None
    pnds: tuple[Id, ...] = ()
    orpha: tuple[int, ...] = ()
    # The reference networks (CRMR) that fit what the outcome suspects: their sites are proposed
    # first. "any" says, explicitly, that any site of the filière fits (orient check refuses a
    # referring outcome that says neither).
    networks: Literal["any"] | tuple[Id, ...] = ()
    centres: tuple[Id, ...] = ()
    # Safety-critical: required on every same-day outcome (orient check).
    red_flag: RedFlag | None = None
    # Where an emergency goes (ids of resources of kind "urgence": SAMU, urgences, UAPED...),
    # required on every emergency; an emergency lists no expert centre.
    emergency_route: tuple[Id, ...] = ()
    # The Orphanet Urgences sheet for the suspected disease, where one exists.
    orphanet_urgences: Url | None = None


class Key(Frozen):
    id: Id
    title: Text
    system: System
    ages: tuple[AgeBand, ...] = Field(min_length=1)
    summary: Text
    authored_by: Text
    reviewed_on: dt.date
    review_due: dt.date
    sources: tuple[Source, ...] = ()
    questions: tuple[AnyQuestion, ...] = Field(min_length=1)
    outcomes: tuple[Outcome, ...] = Field(min_length=1)

    def question(self, question_id: str) -> Question | None:
        if question_id == AGE_QUESTION_ID:
            return AGE_QUESTION
        return self._questions_by_id.get(question_id)

    @cached_property
    def consultation_questions(self) -> tuple[Question, ...]:
        """Every question a consultation of this key may ask, in order: the age band first
        (asked for every key), then the key's own."""
        return (AGE_QUESTION, *self.questions)

    @cached_property
    def _questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def outcome(self, outcome_id: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.id == outcome_id), None)

    @property
    def filieres(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for outcome in self.outcomes:
            if outcome.filiere:
                seen[outcome.filiere] = None
        return tuple(seen)


# --- Scenarios ----------------------------------------------------------------------------

AnswerValue = str | float | tuple[str, ...]


class Scenario(Frozen):
    id: Id
    title: Text
    presentation: Text
    answers: dict[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")], AnswerValue]
    expect: Id
    max_questions: int | None = Field(default=None, ge=1)


class ScenarioFile(Frozen):
    key: Id
    scenarios: tuple[Scenario, ...] = Field(min_length=1)


class AgeAlertLayer(Frozen):
    """Red flags of an age band (newborn, infant, child), written once and asked first by
    every key that covers the band, instead of each key re-deciding them. The loader puts
    these questions and outcomes in front of each such key, restricted to the bands they are
    written for; the layer's scenarios run against every key that covers their age band."""

    authored_by: Text
    reviewed_on: dt.date
    review_due: dt.date
    sources: tuple[Source, ...] = Field(min_length=1)
    questions: tuple[AnyQuestion, ...] = Field(min_length=1)
    outcomes: tuple[Outcome, ...] = Field(min_length=1)
    scenarios: tuple[Scenario, ...] = ()


# --- Reference data -----------------------------------------------------------------------


class Filiere(Frozen):
    id: Id
    acronym: Text
    name: Text
    scope: Text
    website: Url
    contact_url: Url | None = None
    ern: tuple[Text, ...] = ()
    sources: tuple[Url, ...] = Field(min_length=1)


class FiliereFile(Frozen):
    filieres: tuple[Filiere, ...] = Field(min_length=1)


LabelPeriod = Annotated[str, StringConstraints(pattern=r"^(19|20)\d\d-(19|20)\d\d$")]


class Network(Frozen):
    """A reference network (CRMR): one coordinating site, constitutive sites and competence
    centres, with a scope. The unit a GP is referred to: the right network matters more than
    the nearest site of the filière."""

    id: Id
    filiere: Id
    name: Text
    acronym: Text | None = None
    # The diseases or groups it covers, in words; PNDS ids and ORPHA codes where sourced.
    scope: Text
    pnds: tuple[Id, ...] = ()
    orpha: tuple[int, ...] = ()
    population: Population = "non_precise"
    web: Url | None = None
    contact_url: Url | None = None
    phone: Text | None = None
    source: Url
    label_period: LabelPeriod | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


class Centre(Frozen):
    id: Id
    filiere: Id
    network: Id
    site_type: SiteType
    hospital: Text | None = None
    # The department or unit that sees the patients ("service de rhumatologie"), where sourced.
    service: Text | None = None
    city: Text
    departement: DepartementCode
    population: Population = "non_precise"
    phone: Text | None = None
    web: Url | None = None
    contact_url: Url | None = None
    source: Url
    seen_year: int | None = Field(default=None, ge=1990, le=2100)
    # Internal data note for editors (never shown to users as such).
    note: Text | None = None

    @property
    def serves_children(self) -> bool:
        return self.population in ("pediatrique", "mixte", "non_precise")

    @property
    def serves_adults(self) -> bool:
        return self.population in ("adulte", "mixte", "non_precise")


class CentreFile(Frozen):
    """One filière's directory: its reference networks, then their sites."""

    networks: tuple[Network, ...] = ()
    centres: tuple[Centre, ...] = Field(min_length=1)


# Document-sharing sites and proxies: they copy documents without publishing them, so a link
# through them is not a source a physician can sign (the page may change or vanish). The list is
# rules data (rules/mirrors.yaml, loaded as MirrorFile); this default serves a rule set without it.
MIRROR_HOSTS = ("scribd.com", "pdfslide", "studylib", "vdocuments", "fdocuments", "readkong", "pdfprof", "doczz",
                "coek.info", "123dok", "slideplayer", "dokumen.tips", "docplayer", "documents.pub", "yumpu",
                "calameo", "fr.slideshare", "pdf4pro", "silo.tips", "zdocs", "dochub", "kipdf", "docslib",
                # SEO proxies that serve someone else's page under their own name
                "prideseotools", "onehourindexing", "webcache.googleusercontent")

MirrorKind = Literal["partage", "proxy"]


class Mirror(Frozen):
    """A document-sharing site ("partage": scribd, studylib...) or a proxy serving someone else's
    page ("proxy"): ``match`` is a host or a part of one (``studylib`` covers studylibfr.com)."""

    match: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$", max_length=80)]
    kind: MirrorKind
    note: Text | None = None


class MirrorFile(Frozen):
    mirrors: tuple[Mirror, ...] = Field(min_length=1)

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(m.match for m in self.mirrors)


def mirror_host(url: str, hosts: tuple[str, ...] = MIRROR_HOSTS) -> str | None:
    """The mirror or proxy a URL goes through, if any: its host, or a mirror carried in its path or
    query (a proxy serving a scribd copy: only full host names, such as scribd.com, are looked for
    there, so that a word in a path is never taken for a host)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    rest = f"{parts.path}?{parts.query}".lower()
    return next((host for marker in hosts if marker in host or ("." in marker and marker in rest)), None)


class Pnds(Frozen):
    id: Id
    title: Text
    synonyms: tuple[Text, ...] = ()
    filieres: tuple[Id, ...] = Field(min_length=1)
    year: int | None = Field(default=None, ge=1990, le=2100)
    url: Url
    source: Url
    orpha: tuple[int, ...] = ()
    # Set when no canonical copy (HAS, filière, centre) of the document could be sourced: ``url`` is then
    # the filière's or HAS's PNDS page, and this says so in the author's words; shown beside the link so
    # that a GP knows the page is a way in, not the protocol itself.
    fallback: Text | None = None
    # Why no sign leads to this protocol (a GP meets it only by its name: the disease search,
    # the directory): every PNDS of the catalogue is either cited by an outcome or says here
    # why not (``orient check``: PNDS_INACCESSIBLE), so that a gap is a decision, not an oversight.
    search_only: Text | None = None

    @cached_property
    def host(self) -> str:
        """Who serves the document (``has-sante.fr``, a filière's site, or a third party's copy):
        shown beside each link, so that a GP sees where it leads before following it."""
        host = urlsplit(self.url).hostname or ""
        return host[4:] if host.startswith("www.") else host


class PndsFile(Frozen):
    pnds: tuple[Pnds, ...] = Field(min_length=1)


ResourceKind = Literal["national", "pemr", "pcom", "dac", "erhr", "association", "orphanet", "urgence"]


class Resource(Frozen):
    id: Id
    kind: ResourceKind
    name: Text
    description: Text
    # A place of care that needs no page ("the nearest emergency department") has neither url
    # nor source; anything shown as a site or a number has its source (orient check).
    url: Url | None = None
    phone: Text | None = None
    regions: tuple[RegionCode, ...] = ()
    source: Url | None = None
    # The age bands a place of care serves (paediatric emergencies, UAPED); empty: everyone.
    ages: tuple[AgeBand, ...] = ()

    def serves(self, age_group: str | None) -> bool:
        return not self.ages or age_group is None or age_group in self.ages


class UrlPatterns(Frozen):
    orphanet_disease: Text
    orphanet_expert_centres: Url
    orphanet_urgences: Url | None = None


class ResourceFile(Frozen):
    url_patterns: UrlPatterns
    resources: tuple[Resource, ...] = Field(min_length=1)


class Region(Frozen):
    code: RegionCode
    name: Text
    overseas: bool


# How French writes "of <département>": the INSEE name type (TNCC) gives the article.
DE_FORMS = ("du ", "de la ", "de l'", "des ", "d'", "de ")


class Departement(Frozen):
    code: DepartementCode
    name: Text
    # The name after "de", with its article, as French usage has it: "du Rhône", "des
    # Bouches-du-Rhône", "de la Somme", "de l'Ain", "d'Eure-et-Loir", "de Paris", "de La Réunion".
    # Without it, orient writes "du département : <name>" rather than a wrong article.
    de: Text | None = None
    region: RegionCode
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _de_names_the_departement(self) -> Departement:
        if self.de is not None and self.de not in {form + self.name for form in DE_FORMS}:
            raise ValueError(f"« de » doit être le nom du département précédé de du, de la, de l', des, d' "
                             f"ou de (« du Rhône ») : « {self.de} » ne se termine pas par « {self.name} »")
        return self

    @property
    def of(self) -> str:
        """« du Rhône » (or « du département : Rhône » when the rules do not give the article)."""
        return self.de or f"du département : {self.name}"

    @property
    def label(self) -> str:
        """« 69 – Rhône », as every list of départements shows it."""
        return f"{self.code} – {self.name}"

    @property
    def order(self) -> tuple[bool, str]:
        """Mainland codes (01…95, 2A, 2B) first, then overseas (971…976)."""
        return len(self.code) > 2, self.code


class TerritoryFile(Frozen):
    regions: tuple[Region, ...] = Field(min_length=1)
    departements: tuple[Departement, ...] = Field(min_length=1)
    sources: tuple[Url, ...] = Field(min_length=1)
    centroid_note: Text | None = None
    article_note: Text | None = None
    unsourced_centroids: tuple[DepartementCode, ...] = ()


class Meta(Frozen):
    version: Text
    published_on: dt.date
    editor: Text
    centres_total_estimate: int | None = Field(default=None, ge=1)
    centres_total_source: Url | None = None


# rules/orphanet-filieres.yaml: which filière(s) cover which Orphanet classification heads,
# groups and single diseases (orient's own reviewed decisions; orient/core/orphanet.py applies them).
NoFiliere = Literal["cancer-rare", "infection", "toxique", "transplantation", "hors-filiere"]


class OrphanetDecision(Frozen):
    orpha: int = Field(ge=1)
    name: Text                                  # the entity's French name, as the author read it
    filieres: tuple[Id, ...] = ()
    networks: tuple[Id, ...] = ()               # reference networks that fit, when one does
    no_filiere: NoFiliere | None = None         # an explicit "no filière", with its reason
    reason: Text | None = None                  # the author's words
    source: Url | None = None


class OrphanetMapping(Frozen):
    reviewed_on: dt.date
    review_due: dt.date
    authors: tuple[Text, ...] = Field(min_length=1)
    heads: tuple[OrphanetDecision, ...] = Field(min_length=1)
    groups: tuple[OrphanetDecision, ...] = ()
    diseases: tuple[OrphanetDecision, ...] = ()


# Which top-level model reads which file, and the schema file each one gets.
FILE_MODELS: dict[str, tuple[type[Frozen], str]] = {
    "key": (Key, "key.schema.json"),
    "age_alerts": (AgeAlertLayer, "alertes-age.schema.json"),
    "scenarios": (ScenarioFile, "scenarios.schema.json"),
    "filieres": (FiliereFile, "filieres.schema.json"),
    "centres": (CentreFile, "centres.schema.json"),
    "pnds": (PndsFile, "pnds.schema.json"),
    "resources": (ResourceFile, "resources.schema.json"),
    "territories": (TerritoryFile, "territories.schema.json"),
    "meta": (Meta, "meta.schema.json"),
    "orphanet_filieres": (OrphanetMapping, "orphanet-filieres.schema.json"),
    "mirrors": (MirrorFile, "mirrors.schema.json"),
}

SLUG_RE = re.compile(ID_PATTERN)
