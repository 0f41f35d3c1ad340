"""The consultation's state in the session cookie (encrypted, browser-session, idle timeout: see
cookie.py): ids and typed values, nothing else.

Layout (kept tiny, well under 2 KB): ``k`` the key being answered, ``a`` its answers by
question id, ``age`` the age band and ``dep`` the département, both shared across keys so
that they are asked once. Stored answers are re-validated against the current rules on
every read: an answer the rules no longer accept is dropped, the others are kept.
"""

from __future__ import annotations

from typing import cast

from flask import session
from flask.sessions import SessionMixin
from werkzeug.local import LocalProxy

from orient.core import engine
from orient.core.consultation import Consultation
from orient.core.model import AGE_BANDS, AGE_QUESTION_ID, Key
from orient.core.ruleset import RuleSet
from orient.services.orientation import NO_DEPARTEMENT


def _session() -> SessionMixin:
    """The request's session object itself. Flask's ``session`` is a werkzeug LocalProxy that
    looks the session up again through the request context on every use, and a wizard request
    uses it about ten times; ``_get_current_object`` (LocalProxy's documented accessor) binds
    it once. Measured with callgrind (bench/README.md, #15): without it a POST costs +8 % and a
    cached question page +17 % instructions."""
    return cast(LocalProxy, session)._get_current_object()


def read(ruleset: RuleSet, key: Key) -> Consultation:
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
    return Consultation(
        key, answers,
        age if age in AGE_BANDS else None,
        dep if dep == NO_DEPARTEMENT or dep in ruleset.departements else None,
    )


def store_answer(consultation: Consultation, question_id: str, value: engine.Value) -> Consultation:
    """Record a validated answer in the session; return the consultation as it now stands,
    with the answers that fell off the path forgotten (hidden items keep no answer)."""
    session = _session()
    consultation = consultation.answer(question_id, value)
    if question_id == AGE_QUESTION_ID:
        session["age"] = value
    else:
        session["k"] = consultation.key.id
    if session.get("k") == consultation.key.id:
        # Written from the answers just re-validated by `read`: one the rules no longer accept,
        # or that fell off the path, is not carried forward.
        kept = {qid: engine.to_storable(v) for qid, v in consultation.kept_answers.items()}
        if session.get("a") != kept:
            session["a"] = kept
    return consultation


def store_departement(value: str) -> None:
    session["dep"] = value


def restart() -> None:
    session.clear()


def load(consultation: Consultation) -> None:
    """Replace the session's consultation with ``consultation`` (an orientation link taken up
    in the wizard): the key, its answers, the age band and the département."""
    session = _session()
    session["k"] = consultation.key.id
    session["a"] = {qid: engine.to_storable(v) for qid, v in consultation.kept_answers.items()}
    if consultation.age_group is not None:
        session["age"] = consultation.age_group
    if consultation.departement is not None:
        session["dep"] = consultation.departement
