"""One consultation, as a GP goes through it: the steps, their order, where it stands.

Pure (no Flask): the wizard, the API, the trainer pages, the CLI and the FHIR export all ask
this object, none re-derives the order. The order is:

1. the age band (asked first for every key: it governs the rules and the choice of adult or
   paediatric sites, and the age-band red flags hang on it);
2. the key's questions, as the engine walks them (``engine.walk``);
3. the département, only when the outcome refers the patient (an emergency goes to emergency
   care, a reassuring outcome needs no centre);
4. the check page, where every answer can be changed;
5. the orientation (an emergency goes straight there: no département, no check page).

Modelled on alphagov forms-runner's ``Flow::Journey``: the steps are computed from the
answers each time, so a changed answer that takes the path elsewhere drops what fell off it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from orient.core import engine, thresholds
from orient.core.model import AGE_QUESTION, AGE_QUESTION_ID, DEPARTEMENT_QUESTION, Key, Question

StepKind = Literal["intro", "question", "departement", "check", "result"]


@dataclass(frozen=True)
class AnsweredQuestion:
    """One answer as the GP reads it back: the question's text and the answer in words."""

    question_id: str
    text: str
    answer: str
    # The reference values behind the answer, for the patient's age band (orient.core.thresholds):
    # printed with it, so that the letter says what "élevé" was compared with.
    reference: tuple[str, ...] = ()


def describe_answers(key: Key, answers: Mapping[str, engine.Value], ids: Iterable[str],
                     departement_names: Mapping[str, str],
                     age_group: str | None = None) -> tuple[AnsweredQuestion, ...]:
    """The answers to ``ids`` (those given), in words, in that order; the reference values behind
    them for ``age_group`` (else the age band among the answers: the engine keeps it only when a
    condition of the key names it)."""
    out = []
    age = age_group or answers.get(AGE_QUESTION_ID)
    age_group = age if isinstance(age, str) else None
    for qid in ids:
        question = key.question(qid)
        if question is not None and qid in answers:
            out.append(AnsweredQuestion(qid, question.text, engine.describe(question, answers[qid], departement_names),
                                        thresholds.for_answer(question, answers[qid], age_group)))
    return tuple(out)


@dataclass(frozen=True)
class Step:
    kind: StepKind
    question: Question | None = None  # for "question" steps, the age band's included

    @property
    def question_id(self) -> str | None:
        return self.question.id if self.question is not None else None


INTRO = Step("intro")
DEPARTEMENT = Step("departement", DEPARTEMENT_QUESTION)
CHECK = Step("check")
RESULT = Step("result")


@dataclass(frozen=True)
class Consultation:
    """Where one consultation stands: the key, its answers, the age band and the département."""

    key: Key
    answers: Mapping[str, engine.Value]  # the key's own answers (never the age band)
    age_group: str | None = None
    departement: str | None = None  # a code, "nsp" (not given) or None (not asked yet)
    # The engine state this one was derived from, before the last answer: saves walking the
    # path again (see engine.walk). Bookkeeping only.
    since: engine.State | None = None

    @classmethod
    def of(cls, key: Key, answers: Mapping[str, engine.Value]) -> Consultation:
        """From one mapping that may hold the age band under its question id (API bodies,
        replay links, scenarios, FHIR responses)."""
        own = {q: v for q, v in answers.items() if q != AGE_QUESTION_ID}
        age = answers.get(AGE_QUESTION_ID)
        return cls(key, own, str(age) if age is not None else None)

    @cached_property
    def state(self) -> engine.State:
        answers = dict(self.answers)
        if self.age_group is not None:
            answers[AGE_QUESTION_ID] = self.age_group
        return engine.walk(self.key, answers, self.since)

    # --- the path ---------------------------------------------------------------------------

    # The path starts with the age band: before it is known, nothing is on the path and
    # nothing is dropped (the key's answers wait for it).

    @property
    def path(self) -> tuple[str, ...]:
        """The questions answered on the path, in order, the age band first."""
        if self.age_group is None:
            return ()
        return (AGE_QUESTION_ID,) + tuple(q for q in self.state.path if q != AGE_QUESTION_ID)

    @property
    def all_answers(self) -> dict[str, engine.Value]:
        """The answers kept on the path, the age band included (as replay links write them)."""
        if self.age_group is None:
            return {}
        kept = {q: self.state.answers[q] for q in self.state.path if q != AGE_QUESTION_ID}
        return {AGE_QUESTION_ID: self.age_group, **kept}

    def rows(self, departement_names: Mapping[str, str]) -> tuple[AnsweredQuestion, ...]:
        """The path read back (check page, API, trainer): the age band first."""
        return describe_answers(self.key, self.all_answers, self.path, departement_names)

    @property
    def dropped(self) -> tuple[str, ...]:
        """Answers given that fell off the path (a changed answer took it elsewhere)."""
        if self.age_group is None:
            return ()
        return tuple(q for q in self.state.dropped if q != AGE_QUESTION_ID)

    @property
    def outcome(self):
        return self.state.outcome if self.age_group is not None else None

    @property
    def decided(self) -> bool:
        """The key's questions are done: an outcome is reached (with the age band known)."""
        return self.outcome is not None

    @property
    def asks_departement(self) -> bool:
        """Only a referral needs the département (to propose centres near the patient)."""
        outcome = self.outcome
        return outcome is not None and outcome.action not in ("monitor", "emergency")

    # --- steps ------------------------------------------------------------------------------

    @property
    def next_step(self) -> Step:
        if self.age_group is None:
            return Step("question", AGE_QUESTION)
        if self.state.next_question is not None:
            return Step("question", self.state.next_question)
        outcome = self.state.outcome
        if outcome is not None and outcome.action == "emergency":
            return RESULT  # emergency care at once: no département, no check page
        if self.asks_departement and self.departement is None:
            return DEPARTEMENT
        return CHECK

    @property
    def next_question(self) -> Question | None:
        step = self.next_step
        return step.question if step.kind == "question" else None

    def can_visit(self, step: Step) -> bool:
        """A question is open when it is on the path or next (the age band always); the
        département, the check page and the result once the key is decided."""
        if step.kind == "intro":
            return True
        if step.kind == "question":
            qid = step.question_id
            if qid == AGE_QUESTION_ID:
                return True
            return self.age_group is not None and (
                qid in self.state.path or (self.state.next_question is not None and self.state.next_question.id == qid))
        return self.decided  # the département, the check page, the result

    def previous(self, step: Step) -> Step:
        """Where "Retour" goes from ``step``."""
        if step.kind == "question" and step.question_id == AGE_QUESTION_ID:
            return INTRO
        path = self.path
        if step.kind == "question":
            qid = step.question_id
            index = path.index(qid) if qid in path else len(path)
        else:
            index = len(path)
        if index == 0:
            return INTRO
        return Step("question", self.key.question(path[index - 1]))

    def position(self, step: Step) -> tuple[int, int] | None:
        """(n, of) for the progress line of a question page; None off the key's questions."""
        if step.kind != "question":
            return None
        total = len(self.key.questions) + 1
        qid = step.question_id
        path = self.path
        if qid == AGE_QUESTION_ID:
            return 1, total
        others = [q for q in path if q != AGE_QUESTION_ID]
        return (others.index(qid) + 2 if qid in others else len(others) + 2), total

    # --- new answers ------------------------------------------------------------------------

    def answer(self, question_id: str, value: engine.Value) -> Consultation:
        """The consultation with one more (or one changed) answer."""
        since = self.state
        if question_id == AGE_QUESTION_ID:
            return replace(self, age_group=str(value), since=None)
        return replace(self, answers={**self.answers, question_id: value}, since=since)

    def locate(self, departement: str | None) -> Consultation:
        return replace(self, departement=departement, since=self.state)

    @property
    def kept_answers(self) -> dict[str, engine.Value]:
        """The key's answers still on the path (what the session keeps)."""
        return {q: v for q, v in self.answers.items() if q in self.state.answers}
