"""The referral letter's clinical content, built from the answers (pure: no Flask).

A GP does not write "Combien de fractures l'enfant a-t-il eues au total ? — Trois ou plus" to a
colleague; they write "Trois fractures ou plus." The rules carry, per option (and per yes/no
answer), the statement the letter makes (``letter``, ``letter_yes``, ``letter_no``...). This
module turns the consultation's answers into three lists:

- ``signs``: what the GP observed or reported;
- ``done_tests``: results the GP reported (questions marked ``letter_section: examens``) — and
  only those: a letter never says a test was done because the outcome recommends it;
- ``unchecked``: what "je ne sais pas" left open, named, so the colleague sees it.

A question without a statement falls back to "question : réponse" (``orient check`` warns,
``LETTRE_SANS_PHRASE``), so a new key is never blocked by its letter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from orient.core import engine
from orient.core.model import AGE_QUESTION_ID, Key, Question

# How the letter introduces the patient: age band only (no identity is ever entered).
PATIENT_PHRASES: dict[str, str] = {
    "nouveau-ne": "un nouveau-né (moins de 28 jours)",
    "nourrisson": "un nourrisson (de 28 jours à 2 ans)",
    "enfant": "un enfant de 2 à 11 ans",
    "adolescent": "un adolescent ou une adolescente de 12 à 17 ans",
    "adulte": "un patient ou une patiente adulte",
}


@dataclass(frozen=True)
class LetterContent:
    signs: tuple[str, ...]
    done_tests: tuple[str, ...]
    unchecked: tuple[str, ...]


def statements(question: Question, value: engine.Value) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(statements, unchecked topics) for one answer (each kind words its own:
    ``Question.letter_statement``)."""
    return question.letter_statement(value)


def letter_content(key: Key, answers: Mapping[str, engine.Value], path: Iterable[str]) -> LetterContent:
    """The letter's statements for the answers on ``path``, in the order they were asked. The age
    band is said in the letter's opening sentence, the département nowhere (it chose the centre)."""
    signs: list[str] = []
    done: list[str] = []
    unchecked: list[str] = []
    for qid in path:
        if qid == AGE_QUESTION_ID or qid not in answers:
            continue
        question = key.question(qid)
        if question is None:
            continue
        said, open_ = question.letter_statement(answers[qid])  # a département says nothing
        (done if question.letter_section == "examens" else signs).extend(said)
        unchecked.extend(open_)
    return LetterContent(tuple(signs), tuple(done), tuple(unchecked))


def missing_statements(question: Question) -> tuple[str, ...]:
    """Which answers of ``question`` would fall back to "question : réponse" (for orient check)."""
    return question.missing_letter_statements()
