"""Orientation links: a consultation written as ids only, and read back strictly (pure: no Flask).

``age_group:enfant;nombre-fractures:trois-plus;signes-associes:scleres-bleues+surdite;departement:69``

The link holds question and option ids, numbers and a département code — never free text, never
anything about the patient beyond what the consultation itself asks — so it can be printed as a QR
code on a letter, shared with a colleague or replayed by a trainer, and nothing is stored on the
server. It is replayed with the rules in force: an id that no longer exists is refused with a
French message rather than guessed.
"""

from __future__ import annotations

import re

from orient.core import engine
from orient.core.model import DEPARTEMENT_QUESTION, Key, Question
from orient.core.ruleset import RuleSet

MAX_REPLAY = 2000  # characters of ``r``: far more than any key needs
DEPARTEMENT_SEGMENT = DEPARTEMENT_QUESTION.id
_SEGMENT = re.compile(r"^([a-z0-9][a-z0-9_-]*):([A-Za-z0-9+ .,-]*)$")


def encode_replay(answers: dict[str, engine.Value], order: tuple[str, ...]) -> str:
    """``age_group:adulte;necrose:non;signes-associes:doigts-boudines+dyspnee``."""
    parts = []
    for qid in order:
        value = engine.to_storable(answers[qid])
        text = "+".join(value) if isinstance(value, list) else str(value)
        parts.append(f"{qid}:{text}")
    return ";".join(parts)


class ReplayError(ValueError):
    pass


def decode_replay(ruleset: RuleSet, key: Key, raw: str) -> dict[str, engine.Value]:
    """Strictly parse ``r``: known question ids, option ids, bounded numbers; no duplicates."""
    if len(raw) > MAX_REPLAY:
        raise ReplayError("Le lien de parcours est trop long.")
    answers: dict[str, engine.Value] = {}
    for segment in filter(None, raw.split(";")):
        match = _SEGMENT.match(segment.strip())
        if match is None:
            raise ReplayError("Le lien de parcours est mal formé : chaque réponse s'écrit "
                              "« identifiant:valeur », séparées par « ; ».")
        qid, text = match.groups()
        question = DEPARTEMENT_QUESTION if qid == DEPARTEMENT_SEGMENT else key.question(qid)
        if question is None:
            raise ReplayError(f"La question « {qid} » n'existe pas dans la clé « {key.title} ».")
        if qid in answers:
            raise ReplayError(f"La question « {qid} » apparaît deux fois dans le lien.")
        answers[qid] = _value(ruleset, question, text)
    return answers


def _value(ruleset: RuleSet, question: Question, text: str) -> engine.Value:
    try:
        raw = question.link_value(text)
    except ValueError as exc:
        raise ReplayError(str(exc)) from None
    try:
        return engine.normalise(question, raw, ruleset.departements)
    except engine.InvalidAnswer as exc:
        raise ReplayError(f"Réponse refusée pour « {question.id} » : {exc.message}") from None


def encode_consultation(answers: dict[str, engine.Value], path: tuple[str, ...], departement: str | None) -> str:
    """A whole consultation: the path's answers, then the département when one was given."""
    encoded = encode_replay(answers, path)
    return encoded + (f";{DEPARTEMENT_SEGMENT}:{departement}" if departement else "")


def split_departement(answers: dict[str, engine.Value]) -> tuple[dict[str, engine.Value], str | None]:
    """The key's answers and the département read from a link (``None`` when the link has none)."""
    rest = dict(answers)
    departement = rest.pop(DEPARTEMENT_SEGMENT, None)
    return rest, None if departement is None else str(departement)
