"""The consultation wizard: one question per page, then an orientation.

Every GET renders from the session; every POST validates, stores an id-keyed answer and
redirects (never renders the next page from a POST), so Back, refresh and any worker work.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from markupsafe import Markup

from .. import engine, francemap
from ..model import AGE_BANDS, AGE_QUESTION, AGE_QUESTION_ID, DEPARTEMENT_QUESTION, Key, Question
from ..orientation import NO_DEPARTEMENT, AnsweredQuestion, answered, compose
from . import journey as journeys
from .forms import build_form, departement_choices
from .pagecache import render_page

bp = Blueprint("wizard", __name__)


def _ruleset():
    return current_app.extensions["orient"]


def _key(key_id: str) -> Key:
    key = _ruleset().keys.get(key_id)
    if key is None:
        abort(404)
    return key


@bp.before_request
def _rejected_session():
    if getattr(session, "rejected", False):
        session.clear()
        return render_template(
            "error.html", title="Session expirée ou invalide",
            message="Les réponses enregistrées dans votre navigateur n'ont pas pu être relues : elles "
                    "ont expiré ou ont été modifiées. Par sécurité, elles sont effacées ; vous pouvez reprendre.",
            resume=request.path if request.method == "GET" else url_for("pages.home")), 400
    return None


def next_url(journey: journeys.Journey, state: engine.State) -> str:
    key = journey.key
    if journey.age_group is None:
        return url_for("wizard.question", key_id=key.id, question_id=AGE_QUESTION_ID)
    if state.next_question is not None:
        return url_for("wizard.question", key_id=key.id, question_id=state.next_question.id)
    outcome = state.outcome
    # An emergency goes to emergency care, not to a centre: no département to ask, no page to
    # check, the result at once.
    if outcome is not None and outcome.action == "emergency":
        return url_for("wizard.orientation", key_id=key.id)
    if outcome is not None and outcome.action != "monitor" and journey.departement is None:
        return url_for("wizard.departement", key_id=key.id)
    return url_for("wizard.check", key_id=key.id)


def _on_path(state: engine.State, question_id: str) -> bool:
    return (question_id == AGE_QUESTION_ID or question_id in state.path
            or (state.next_question is not None and state.next_question.id == question_id))


def _previous_url(key: Key, state: engine.State, question_id: str) -> str:
    if question_id == AGE_QUESTION_ID:
        return url_for("wizard.intro", key_id=key.id)
    path = [q for q in state.path if q != AGE_QUESTION_ID]
    index = path.index(question_id) if question_id in path else len(path)
    if index == 0:
        return url_for("wizard.question", key_id=key.id, question_id=AGE_QUESTION_ID)
    return url_for("wizard.question", key_id=key.id, question_id=path[index - 1])


@bp.get("/cle/<key_id>")
def intro(key_id: str):
    key = _key(key_id)
    j = journeys.read(_ruleset(), key)
    return render_template("key.html", key=key, started=bool(j.answers), ruleset=_ruleset())


@bp.get("/cle/<key_id>/suite")
def resume(key_id: str):
    key = _key(key_id)
    j = journeys.read(_ruleset(), key)
    return redirect(next_url(j, j.state()), 303)


def _stored_value(j: journeys.Journey, question: Question):
    if question.id == AGE_QUESTION_ID:
        return j.age_group
    value = j.answers.get(question.id)
    return engine.to_storable(value) if value is not None else None


@bp.route("/cle/<key_id>/q/<question_id>", methods=["GET", "POST"])
def question(key_id: str, question_id: str):
    ruleset = _ruleset()
    key = _key(key_id)
    question = key.question(question_id)
    if question is None:
        abort(404)
    j = journeys.read(ruleset, key)
    state = j.state()
    on_path = _on_path(state, question_id) and (question_id == AGE_QUESTION_ID or j.age_group is not None)
    if request.method == "POST":
        if not on_path:
            return render_template(
                "error.html", title="Question hors parcours",
                message="Cette question ne fait pas (ou plus) partie du parcours, peut-être parce qu'une "
                        "réponse précédente a changé. Vos autres réponses sont conservées.",
                resume=url_for("wizard.resume", key_id=key.id)), 400
        form = build_form(question, ruleset, formdata=request.form)
        if form.validate():
            j = journeys.store_answer(j, question.id, form.value)
            state = j.state(since=state)
            journeys.prune(key, state)
            if request.args.get("retour") == "verifier" and state.finished:
                return redirect(url_for("wizard.check", key_id=key.id), 303)
            return redirect(next_url(j, state), 303)
        return _render_question(key, question, state, form), 400
    if not on_path:
        return redirect(url_for("wizard.resume", key_id=key.id), 303)
    stored = _stored_value(j, question)
    retour = request.args.get("retour") == "verifier"
    # Everything the page shows: the question, where it sits on the path, the answer given.
    page_key = ("question", key.id, question.id, state.path, _hashable(stored), retour)
    return render_page(page_key, "question.html", lambda: _question_context(
        key, question, state, build_form(question, ruleset, data={"answer": stored} if stored is not None else None),
        retour))


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _question_context(key: Key, question: Question, state: engine.State, form, retour: bool) -> dict:
    path = [q for q in state.path if q != AGE_QUESTION_ID]
    position = 1 if question.id == AGE_QUESTION_ID else (path.index(question.id) + 2 if question.id in path else len(path) + 2)
    return dict(
        key=key, question=question, form=form,
        is_age=question is AGE_QUESTION or question.id == AGE_QUESTION_ID,
        position=position, total=len(key.questions) + 1,
        back_url=_previous_url(key, state, question.id),
        retour=retour,
    )


def _render_question(key: Key, question: Question, state: engine.State, form):
    retour = request.args.get("retour") == "verifier"
    return render_template("question.html", **_question_context(key, question, state, form, retour))


@bp.route("/cle/<key_id>/departement", methods=["GET", "POST"])
def departement(key_id: str):
    ruleset = _ruleset()
    key = _key(key_id)
    j = journeys.read(ruleset, key)
    state = j.state()
    if not state.finished:
        return redirect(next_url(j, state), 303)
    question = DEPARTEMENT_QUESTION
    if request.method == "POST":
        form = build_form(question, ruleset, formdata=request.form)
        if form.validate():
            journeys.store_departement(form.value)
            if request.args.get("retour") == "verifier":
                return redirect(url_for("wizard.check", key_id=key.id), 303)
            return redirect(next_url(journeys.read(ruleset, key), state), 303)
        return render_template("question.html", key=key, question=question, form=form, is_age=False,
                               position=None, total=None, back_url=url_for("wizard.check", key_id=key.id),
                               retour=False), 400
    form = build_form(question, ruleset, data={"answer": j.departement} if j.departement else None)
    path = [q for q in state.path if q != AGE_QUESTION_ID]
    back = (url_for("wizard.question", key_id=key.id, question_id=path[-1]) if path
            else url_for("wizard.question", key_id=key.id, question_id=AGE_QUESTION_ID))
    return render_template("question.html", key=key, question=question, form=form, is_age=False,
                           position=None, total=None, back_url=back, retour=False)


@bp.get("/cle/<key_id>/verifier")
def check(key_id: str):
    ruleset = _ruleset()
    key = _key(key_id)
    j = journeys.read(ruleset, key)
    state = j.state()
    if not state.finished or j.age_group is None:
        return redirect(next_url(j, state), 303)
    age_row = AnsweredQuestion(AGE_QUESTION_ID, AGE_QUESTION.text, AGE_BANDS[j.age_group])
    rows = (age_row,) + answered(state, ruleset, [q for q in state.path if q != AGE_QUESTION_ID])
    dep_label = None
    if state.outcome is not None and state.outcome.action != "monitor":
        dep = ruleset.departements.get(j.departement or "")
        dep_label = f"{dep.code} – {dep.name}" if dep else ("Non indiqué" if j.departement == NO_DEPARTEMENT else None)
    return render_template("check.html", key=key, rows=rows, departement=dep_label)


def _finished_journey(key_id: str):
    """The journey if it has reached an outcome, else a redirect to where it stands."""
    key = _key(key_id)
    j = journeys.read(_ruleset(), key)
    state = j.state()
    if not state.finished or j.age_group is None:
        return None, None, redirect(next_url(j, state), 303)
    return j, state, None


def _orientation_key(page: str, j: journeys.Journey, state: engine.State) -> tuple:
    # The orientation is a function of the answers on the path, the age band (never on the
    # path: it is asked once for all keys, yet it picks paediatric or adult sites) and the
    # département: that is the whole key of the page.
    return (page, j.key.id, tuple((q, state.answers[q]) for q in state.path), j.age_group, j.departement)


@bp.get("/cle/<key_id>/orientation")
def orientation(key_id: str):
    j, state, redirect_response = _finished_journey(key_id)
    if redirect_response is not None:
        return redirect_response

    def context() -> dict:
        ruleset = _ruleset()
        result = compose(ruleset, state, j.age_group, j.departement)
        map_svg = None
        if result.centres:
            map_svg = Markup(francemap.render(ruleset, [s.centre for s in result.centres],
                                              title="Centres suggérés et département du patient",
                                              patient_departement=j.departement))
        return dict(o=result, key=result.key, map_svg=map_svg)

    return render_page(_orientation_key("orientation", j, state), "result.html", context)


@bp.get("/cle/<key_id>/imprimer")
def printable(key_id: str):
    j, state, redirect_response = _finished_journey(key_id)
    if redirect_response is not None:
        return redirect_response

    def context() -> dict:
        result = compose(_ruleset(), state, j.age_group, j.departement)
        return dict(o=result, key=result.key)

    # The printed summary is dated: a page rendered yesterday must not be served today.
    return render_page(_orientation_key("print", j, state) + (dt.date.today(),), "print.html", context)


@bp.post("/recommencer")
def restart():
    journeys.restart()
    return redirect(url_for("pages.home"), 303)


__all__ = ["bp", "departement_choices"]
