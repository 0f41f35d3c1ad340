"""Trainer mode (/formation): the case library, the presenter, replay links, decision maps.

Everything here is read-only: the fictional cases of ``rules/scenarios`` are walked through
the real engine, step by step, from the URL alone (``etape``, ``pourquoi``, ``r``). Nothing is
written to the session, so a projected page can be reloaded, bookmarked or shared.

Replay links carry only question ids and option ids (numbers only for number questions,
within their bounds), each checked by :func:`engine.normalise`; anything else is a French
400 page, never a 500, and no free text can ride in a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from markupsafe import Markup

from orient.core import engine
from orient.core.age_alerts import shared_case
from orient.core.consultation import AnsweredQuestion, Consultation, describe_answers
from orient.core.model import URGENCY_LABELS, Key, Outcome, Scenario
from orient.core.ruleset import RuleSet
from orient.exports import graph
from orient.services.orientation import NO_DEPARTEMENT, compose
from orient.services.replay import ReplayError, decode_replay, encode_replay
from orient.services.scenarios import typed_answers

bp = Blueprint("training", __name__, url_prefix="/formation")



def _ruleset() -> RuleSet:
    return current_app.extensions["orient"]


@dataclass(frozen=True)
class Case:
    key: Key
    scenario: Scenario
    outcome: Outcome

    @property
    def filieres(self) -> tuple[str, ...]:
        return self.key.filieres


@lru_cache(maxsize=8)
def _cases(ruleset: RuleSet) -> dict[str, Case]:
    """Every case of rules/scenarios, by scenario id (ids are unique: checked at load)."""
    cases: dict[str, Case] = {}
    shared: set[str] = set()
    for key in ruleset.keys.values():  # keys are sorted by title
        for scenario in ruleset.scenarios.get(key.id, ()):
            # A shared age-band case ("<case>--<key>") runs on every key of its band; the
            # library shows it once, with the first key that has it.
            base = shared_case(scenario.id)
            if base is not None:
                if base in shared:
                    continue
                shared.add(base)
            outcome = key.outcome(scenario.expect)
            if outcome is not None:
                cases[scenario.id] = Case(key, scenario, outcome)
    return cases


def _bad_request(title: str, message: str):
    return render_template("error.html", title=title, message=message, resume=None), 400


def replay_url(key: Key, c: Consultation) -> str:
    """The shareable URL of a path: ids and option ids only, readable in the address bar."""
    encoded = encode_replay(c.all_answers, c.path)
    return url_for("training.replay", key_id=key.id) + "?r=" + quote(encoded, safe=":;+-_.,")


def asked(ruleset: RuleSet, key: Key, answers: dict[str, engine.Value], ids) -> tuple[AnsweredQuestion, ...]:
    return describe_answers(key, answers, ids, ruleset.departement_names)


def _orientation(ruleset: RuleSet, c: Consultation):
    if not c.decided:
        return None
    return compose(ruleset, c.state, c.age_group, NO_DEPARTEMENT)


# --- library ---------------------------------------------------------------------------------


@bp.get("/")
def library():
    ruleset = _ruleset()
    cases = list(_cases(ruleset).values())
    present = {f for case in cases for f in case.filieres}
    filieres = [f for f in ruleset.filieres_by_acronym if f.id in present]
    filiere = request.args.get("filiere", "")
    urgency = request.args.get("urgence", "")
    filiere = filiere if filiere in present else ""  # an unknown filter value means no filter
    urgency = urgency if urgency in URGENCY_LABELS else ""
    shown = [c for c in cases
             if (not filiere or filiere in c.filieres) and (not urgency or c.outcome.urgency == urgency)]
    return render_template(
        "training_library.html", cases=shown, total=len(cases), filieres=filieres, filiere=filiere,
        urgency=urgency, urgency_labels=URGENCY_LABELS, filiere_names={f.id: f.acronym for f in filieres},
        keys=list(ruleset.keys.values()))


# --- presenter -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where the orientation stands after some answers: the outcomes already ruled out (with
    the answers that ruled each out) and the first one still open, or decided."""

    ruled_out: tuple[tuple[Outcome, tuple[AnsweredQuestion, ...]], ...]
    at_stake: Outcome | None
    decided: bool


def standing(ruleset: RuleSet, key: Key, state: engine.State) -> Standing:
    at_stake = state.outcome
    for outcome in () if state.finished else key.outcomes:
        if outcome.when is None or engine.evaluate(key, outcome.when, state.answers) is not False:
            at_stake = outcome
            break
    if at_stake is None:  # pragma: no cover - every key ends with a default
        return Standing((), None, False)
    # The engine's explanation of the outcomes tried before the open one: the same "why" the
    # GP reads on a result page, here for a journey still under way.
    probe = engine.State(state.key, state.path, state.answers, at_stake, None, ())
    ruled_out = tuple((r.outcome, asked(ruleset, key, state.answers, [x.question.id for x in r.because]))
                      for r in engine.explain(probe).ruled_out)
    return Standing(ruled_out, at_stake, state.finished)


@dataclass(frozen=True)
class Moved:
    """The effect of the last answer: outcomes it ruled out, and the outcome it decided."""

    answer: AnsweredQuestion
    ruled_out: tuple[Outcome, ...]
    decided: Outcome | None


@bp.get("/cas/<scenario_id>")
def case(scenario_id: str):
    ruleset = _ruleset()
    found = _cases(ruleset).get(scenario_id)
    if found is None:
        abort(404)
    key, scenario = found.key, found.scenario
    try:
        answers = typed_answers(ruleset, key, scenario.answers)
    except engine.InvalidAnswer as exc:  # pragma: no cover - scenarios are checked at load
        return _bad_request("Cas invalide", f"Ce cas ne peut pas être rejoué : {exc.message}")
    full = Consultation.of(key, answers)
    total = len(full.path) + 1  # one step per question asked, then the orientation
    number = min(max(request.args.get("etape", 1, type=int), 1), total)
    why = request.args.get("pourquoi") == "1"
    # The engine's own state after the answers given before this step.
    given = full.path[: number - 1]
    current = Consultation.of(key, {q: answers[q] for q in given})
    question = current.next_question  # None once decided; else the case lacks an answer
    now = standing(ruleset, key, current.state)
    # Which answer moved the orientation: compare with the standing before the last answer.
    moved = None
    if given:
        before = standing(ruleset, key, Consultation.of(key, {q: answers[q] for q in given[:-1]}).state)
        was_out = {o.id for o, _ in before.ruled_out}
        moved = Moved(asked(ruleset, key, answers, given[-1:])[0],
                      tuple(o for o, _ in now.ruled_out if o.id not in was_out),
                      now.at_stake if now.decided else None)

    def link(n: int, pourquoi: bool = why) -> str:
        args: dict = {"scenario_id": scenario.id, "etape": n}
        if pourquoi:
            args["pourquoi"] = 1
        return url_for("training.case", **args)

    return render_template(
        "training_case.html", case=found, key=key, scenario=scenario, number=number, total=total, why=why,
        asked=asked(ruleset, key, answers, given), question=question,
        now=now, moved=moved, o=_orientation(ruleset, current) if number == total else None,
        link=link, replay=replay_url(key, full), urgency_labels=URGENCY_LABELS, expected=found.outcome)


# --- replay ----------------------------------------------------------------------------------


@bp.get("/parcours/<key_id>")
def replay(key_id: str):
    ruleset = _ruleset()
    key = ruleset.keys.get(key_id)
    if key is None:
        abort(404)
    try:
        answers = decode_replay(ruleset, key, request.args.get("r", ""))
    except ReplayError as exc:
        return _bad_request("Lien de parcours invalide", f"{exc} Ce lien a peut-être été modifié, ou il "
                            "vient d'une ancienne version des règles.")
    path = Consultation.of(key, answers)
    if path.dropped:
        names = ", ".join(f"« {q} »" for q in path.dropped)
        return _bad_request("Lien de parcours invalide",
                            f"Ce lien contient des réponses hors du parcours ({names}) : les réponses "
                            "précédentes ne conduisent pas à ces questions. Il a peut-être été modifié, "
                            "ou il vient d'une ancienne version des règles.")
    return render_template("training_replay.html", key=key, path=path,
                           asked=path.rows(ruleset.departement_names), o=_orientation(ruleset, path),
                           question=path.next_question, replay=replay_url(key, path))


# --- decision map ----------------------------------------------------------------------------


def _map_key(key_id: str) -> Key:
    key = _ruleset().keys.get(key_id)
    if key is None:
        abort(404)
    return key


def _filiere_names() -> dict[str, str]:
    return {f.id: f.acronym for f in _ruleset().filieres.values()}


@bp.get("/cle/<key_id>/carte")
def key_map(key_id: str):
    key = _map_key(key_id)
    names = _filiere_names()
    # render_svg escapes every label taken from YAML: the markup is ours, the text is escaped.
    svg = Markup(graph.render_svg(key, names, standalone=False))
    # On paper, the same map in columns, to fit one landscape page under the title.
    svg_print = Markup(graph.render_svg(key, names, standalone=False, landscape=True))
    cases = [c for c in _cases(_ruleset()).values() if c.key.id == key.id]
    return render_template("training_map.html", key=key, svg=svg, svg_print=svg_print,
                           dmap=graph.decision_map(key, names), cases=cases)


@bp.get("/cle/<key_id>/carte.svg")
def key_map_svg(key_id: str):
    key = _map_key(key_id)
    response = Response(graph.render_svg(key, _filiere_names()), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="carte-{key.id}.svg"'
    return response
