"""The journey's state in the session cookie (encrypted, browser-session, idle timeout: see
cookie.py): ids and typed values, nothing else.

Layout (kept tiny, well under 2 KB): ``k`` the key being answered, ``a`` its answers by
question id, ``age`` the age band and ``dep`` the département, both shared across keys so
that they are asked once. Stored answers are re-validated against the current rules on
every read: an answer the rules no longer accept is dropped, the others are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import session

from .. import engine
from ..model import AGE_BANDS, AGE_QUESTION_ID, Key
from ..orientation import NO_DEPARTEMENT
from ..ruleset import RuleSet


@dataclass(frozen=True)
class Journey:
    key: Key
    answers: dict[str, engine.Value]
    age_group: str | None
    departement: str | None

    def state(self, since: engine.State | None = None) -> engine.State:
        """Where the journey stands; ``since``, its state before the last answer, saves
        walking the path again (engine.walk)."""
        answers = dict(self.answers)
        if self.age_group:
            answers[AGE_QUESTION_ID] = self.age_group
        return engine.walk(self.key, answers, since)


def _session():
    # The session object itself: each use of Flask's `session` proxy looks it up again, and
    # a wizard request reads it a dozen times.
    return session._get_current_object()  # type: ignore[attr-defined]


def read(ruleset: RuleSet, key: Key) -> Journey:
    session = _session()
    raw = session.get("a") if session.get("k") == key.id else None
    answers: dict[str, engine.Value] = {}
    if isinstance(raw, dict):
        for qid, value in raw.items():
            question = key.question(qid) if isinstance(qid, str) else None
            if question is None or qid == AGE_QUESTION_ID:
                continue
            try:
                answers[qid] = engine.normalise(question, value, ruleset.departements)
            except engine.InvalidAnswer:
                continue
    # The cookie is signed but its shape is still checked: never trust a type.
    age = session.get("age")
    dep = session.get("dep")
    if not isinstance(age, str):
        age = None
    if not isinstance(dep, str):
        dep = None
    return Journey(
        key, answers,
        age if age in AGE_BANDS else None,
        dep if dep == NO_DEPARTEMENT or dep in ruleset.departements else None,
    )


def store_answer(journey: Journey, question_id: str, value: engine.Value) -> Journey:
    """Record a validated answer in the session; return the journey as it now stands."""
    session = _session()
    if question_id == AGE_QUESTION_ID:
        session["age"] = value
        return replace(journey, age_group=value)
    answers = {**journey.answers, question_id: value}
    session["k"] = journey.key.id
    # Written from the answers just re-validated by `read`: one the rules no longer accept
    # is not carried forward.
    session["a"] = {qid: engine.to_storable(v) for qid, v in answers.items()}
    return replace(journey, answers=answers)


def prune(key: Key, state: engine.State) -> None:
    """Forget answers that fell off the path (hidden items keep no answer)."""
    session = _session()
    stored = session.get("a")
    if session.get("k") == key.id and isinstance(stored, dict):
        kept = {q: v for q, v in stored.items() if q in state.answers}
        if kept != stored:
            session["a"] = kept


def store_departement(value: str) -> None:
    session["dep"] = value


def restart() -> None:
    session.clear()
