"""The consultation wizard: one question per page, then an orientation.

Every GET renders from the session; every POST validates, stores an id-keyed answer and
redirects (never renders the next page from a POST), so Back, refresh and any worker work.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from markupsafe import Markup

from orient.core import engine, thresholds
from orient.core.consultation import CHECK, DEPARTEMENT, RESULT, Consultation, Step
from orient.core.letter import PATIENT_PHRASES, letter_content
from orient.core.model import AGE_QUESTION_ID, DEPARTEMENT_QUESTION, Key, Question
from orient.services.orientation import NO_DEPARTEMENT, compose
from orient.web import francemap, share
from orient.web import journey as journeys
from orient.web.forms import build_form, departement_choices
from orient.web.pagecache import render_page

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


def url_of(key: Key, step: Step) -> str:
    """The page of a consultation step."""
    if step.kind == "question":
        return url_for("wizard.question", key_id=key.id, question_id=step.question_id)
    endpoint = {"intro": "wizard.intro", "departement": "wizard.departement", "check": "wizard.check",
                "result": "wizard.orientation"}[step.kind]
    return url_for(endpoint, key_id=key.id)


def next_url(c: Consultation) -> str:
    return url_of(c.key, c.next_step)


@bp.get("/cle/<key_id>")
def intro(key_id: str):
    key = _key(key_id)
    c = journeys.read(_ruleset(), key)
    return render_template("key.html", key=key, started=bool(c.answers), ruleset=_ruleset())


@bp.get("/cle/<key_id>/suite")
def resume(key_id: str):
    return redirect(next_url(journeys.read(_ruleset(), _key(key_id))), 303)


def _stored_value(c: Consultation, question: Question):
    if question.id == AGE_QUESTION_ID:
        return c.age_group
    value = c.answers.get(question.id)
    return engine.to_storable(value) if value is not None else None


@bp.route("/cle/<key_id>/q/<question_id>", methods=["GET", "POST"])
def question(key_id: str, question_id: str):
    ruleset = _ruleset()
    key = _key(key_id)
    question = key.question(question_id)
    if question is None:
        abort(404)
    c = journeys.read(ruleset, key)
    step = Step("question", question)
    on_path = c.can_visit(step)
    if request.method == "POST":
        if not on_path:
            return render_template(
                "error.html", title="Question hors parcours",
                message="Cette question ne fait pas (ou plus) partie du parcours, peut-être parce qu'une "
                        "réponse précédente a changé. Vos autres réponses sont conservées.",
                resume=url_for("wizard.resume", key_id=key.id)), 400
        form = build_form(question, ruleset, formdata=request.form)
        if form.validate():
            c = journeys.store_answer(c, question.id, form.typed_answer)
            if request.args.get("retour") == "verifier" and c.decided:
                return redirect(url_of(key, CHECK), 303)
            return redirect(next_url(c), 303)
        return _render_question(c, step, form), 400
    if not on_path:
        return redirect(url_for("wizard.resume", key_id=key.id), 303)
    stored = _stored_value(c, question)
    retour = request.args.get("retour") == "verifier"
    # Everything the page shows: the question, where it sits on the path, the answer given.
    # The age band picks the reference values shown (orient.core.thresholds).
    page_key = ("question", key.id, question.id, c.path, _hashable(stored), retour, c.age_group)
    return render_page(page_key, "question.html", lambda: _question_context(
        c, step, build_form(question, ruleset, data={"answer": stored} if stored is not None else None), retour))


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _question_context(c: Consultation, step: Step, form, retour: bool) -> dict:
    position, total = c.position(step) or (None, None)
    return dict(
        key=c.key, question=step.question, form=form,
        is_age=step.question_id == AGE_QUESTION_ID,
        position=position, total=total,
        back_url=url_of(c.key, c.previous(step)),
        retour=retour,
        reference=thresholds.for_question(step.question, c.age_group) if step.question else (),
        option_reference=thresholds.for_options(step.question, c.age_group) if step.question else {},
    )


def _render_question(c: Consultation, step: Step, form):
    retour = request.args.get("retour") == "verifier"
    return render_template("question.html", **_question_context(c, step, form, retour))


@bp.route("/cle/<key_id>/departement", methods=["GET", "POST"])
def departement(key_id: str):
    ruleset = _ruleset()
    key = _key(key_id)
    c = journeys.read(ruleset, key)
    if not c.can_visit(DEPARTEMENT):
        return redirect(next_url(c), 303)
    question = DEPARTEMENT_QUESTION
    if request.method == "POST":
        form = build_form(question, ruleset, formdata=request.form)
        if form.validate():
            departement = str(form.typed_answer)  # a code, or "nsp"
            journeys.store_departement(departement)
            if request.args.get("retour") == "verifier":
                return redirect(url_of(key, CHECK), 303)
            return redirect(next_url(c.locate(departement)), 303)
        return render_template("question.html", key=key, question=question, form=form, is_age=False,
                               position=None, total=None, back_url=url_of(key, CHECK), retour=False), 400
    form = build_form(question, ruleset, data={"answer": c.departement} if c.departement else None)
    return render_template("question.html", key=key, question=question, form=form, is_age=False,
                           position=None, total=None, back_url=url_of(key, c.previous(DEPARTEMENT)), retour=False)


@bp.get("/cle/<key_id>/verifier")
def check(key_id: str):
    ruleset = _ruleset()
    key = _key(key_id)
    c = journeys.read(ruleset, key)
    if not c.can_visit(CHECK):
        return redirect(next_url(c), 303)
    rows = c.rows(ruleset.departement_names)
    dep_label = None
    if c.outcome is not None and c.outcome.action != "monitor":
        dep = ruleset.departements.get(c.departement or "")
        dep_label = dep.label if dep else ("Non indiqué" if c.departement == NO_DEPARTEMENT else None)
    return render_template("check.html", key=key, rows=rows, departement=dep_label)


def _decided(key_id: str):
    """The consultation if it has reached an outcome, else a redirect to where it stands."""
    c = journeys.read(_ruleset(), _key(key_id))
    if not c.can_visit(RESULT):
        return None, redirect(next_url(c), 303)
    return c, None


def _orientation_key(page: str, c: Consultation) -> tuple:
    # The orientation is a function of the answers on the path, the age band (never on the
    # path: it is asked once for all keys, yet it picks paediatric or adult sites) and the
    # département: that is the whole key of the page.
    state = c.state
    return (page, c.key.id, tuple((q, state.answers[q]) for q in state.path), c.age_group, c.departement)


@bp.get("/cle/<key_id>/orientation")
def orientation(key_id: str):
    c, redirect_response = _decided(key_id)
    if redirect_response is not None:
        return redirect_response

    def context() -> dict:
        ruleset = _ruleset()
        result = compose(ruleset, c.state, c.age_group, c.departement)
        map_svg = None
        if result.centres:
            map_svg = Markup(francemap.render(ruleset, [s.centre for s in result.centres],
                                              title="Centres suggérés et département du patient",
                                              patient_departement=c.departement))
        return dict(o=result, key=result.key, map_svg=map_svg, share_link=share.absolute(share.link_path(c)))

    return render_page(_orientation_key("orientation", c) + _host(), "result.html", context)


@bp.get("/cle/<key_id>/imprimer")
def printable(key_id: str):
    c, redirect_response = _decided(key_id)
    if redirect_response is not None:
        return redirect_response

    def context() -> dict:
        ruleset = _ruleset()
        result = compose(ruleset, c.state, c.age_group, c.departement)
        link = share.absolute(share.link_path(c))
        return dict(o=result, key=result.key, share_link=link, qr=share.qr_svg(link),
                    answers=[a for a in result.answers if a.question_id != AGE_QUESTION_ID],
                    letter=letter_content(result.key, c.state.answers, c.state.path),
                    patient=PATIENT_PHRASES.get(c.age_group or "", "un patient ou une patiente"))

    # The printed summary is dated: a page rendered yesterday must not be served today.
    return render_page(_orientation_key("print", c) + _host() + (dt.date.today(),), "print.html", context)


def _host() -> tuple:
    """The orientation link printed and shown is absolute: without a configured public address it
    takes the (vetted) request host, which then belongs to the cached page's key."""
    return () if current_app.config.get("PUBLIC_URL") else (request.host,)


@bp.post("/recommencer")
def restart():
    journeys.restart()
    return redirect(url_for("pages.home"), 303)


__all__ = ["bp", "departement_choices"]
