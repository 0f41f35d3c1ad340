"""The engine on tiny keys built in Python: logic, fewest questions, paths, explanations."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from orient.core import engine
from orient.core.engine import InvalidAnswer, describe, evaluate, explain, explore, normalise, walk
from orient.core.model import AGE_QUESTION, Key, Question

ROOT = Path(__file__).resolve().parent.parent


# --- building tiny keys ------------------------------------------------------------------------


def yes_no(qid: str, **extra) -> dict:
    return {"id": qid, "kind": "yes_no", "text": f"{qid} ?", **extra}


def outcome(oid: str, when: dict | None = None, **extra) -> dict:
    data = {"id": oid, "action": "refer", "urgency": "rapide", "title": f"Issue {oid}",
            "rationale": f"Parce que {oid}.", "filiere": "fil-a", "centre_types": ["ccmr"], **extra}
    if when is None:
        data.update(default=True, action="monitor", urgency="surveillance", reevaluate_if="Si besoin.")
        data.pop("filiere"), data.pop("centre_types")
    else:
        data["when"] = when
    return data


def make_key(questions: list[dict], outcomes: list[dict], kid: str = "tiny") -> Key:
    return Key.model_validate({
        "id": kid, "title": "Clé minuscule", "system": "general", "ages": ["adulte"],
        "summary": "Pour les tests.", "authored_by": "Tests", "reviewed_on": "2026-01-01",
        "review_due": "2027-01-01",
        "sources": [{"title": "Source", "url": "https://example.org", "year": 2024}],
        "questions": questions, "outcomes": outcomes,
    })


def ans(qid: str, value: str) -> dict:
    return {"answer": qid, "is": value}


@pytest.fixture
def abcd() -> Key:
    """Four yes/no questions, one always-true default; used to probe the logic directly."""
    return make_key([yes_no(q) for q in "abcd"],
                    [outcome("x", {"any": [ans(q, "oui") for q in "abcd"]}), outcome("fin")])


@pytest.fixture
def triage() -> Key:
    """An urgent red flag first, then a two-question rule, then the default."""
    return make_key(
        [yes_no("urgence"), yes_no("signe-1"), yes_no("signe-2"), yes_no("signe-3")],
        [
            outcome("urgent", ans("urgence", "oui"), action="emergency", urgency="urgence"),
            outcome("adresser", {"all": [ans("signe-1", "oui"), ans("signe-2", "oui")]}),
            outcome("bilan", ans("signe-3", "oui")),
            outcome("surveiller"),
        ],
    )


# --- three-valued logic ------------------------------------------------------------------------

T, F, U = True, False, None


def leaf_answers(**values: bool | None) -> dict:
    """a=True -> a: oui ; a=False -> a: non ; a=None -> unanswered."""
    return {q: ("oui" if v else "non") for q, v in values.items() if v is not None}


@pytest.mark.parametrize("a,b,expected", [
    (T, T, T), (T, F, F), (F, U, F), (U, F, F), (T, U, U), (U, U, U),
])
def test_all(abcd, a, b, expected):
    assert evaluate(abcd, _cond({"all": [ans("a", "oui"), ans("b", "oui")]}), leaf_answers(a=a, b=b)) is expected


@pytest.mark.parametrize("a,b,expected", [
    (F, F, F), (T, F, T), (U, T, T), (T, U, T), (F, U, U), (U, U, U),
])
def test_any(abcd, a, b, expected):
    assert evaluate(abcd, _cond({"any": [ans("a", "oui"), ans("b", "oui")]}), leaf_answers(a=a, b=b)) is expected


@pytest.mark.parametrize("a,expected", [(T, F), (F, T), (U, U)])
def test_not(abcd, a, expected):
    assert evaluate(abcd, _cond({"not": ans("a", "oui")}), leaf_answers(a=a)) is expected


@pytest.mark.parametrize("a,b,c,d,expected", [
    (T, T, U, U, T),   # already two true
    (T, U, U, F, U),   # one true, two still possible
    (T, F, F, U, U),   # one true, one unknown: may still reach two
    (T, F, F, F, F),   # one true, none left
    (F, F, F, U, F),   # at most one possible
    (U, U, U, U, U),
])
def test_at_least(abcd, a, b, c, d, expected):
    cond = _cond({"at_least": 2, "of": [ans(q, "oui") for q in "abcd"]})
    assert evaluate(abcd, cond, leaf_answers(a=a, b=b, c=c, d=d)) is expected


def test_nsp_leaves_a_test_undetermined_never_false(abcd):
    cond = _cond({"any": [ans("a", "oui"), ans("b", "oui")]})
    assert evaluate(abcd, cond, {"a": "nsp", "b": "nsp"}) is None
    assert evaluate(abcd, cond, {"a": "nsp", "b": "oui"}) is True  # a known yes still decides
    assert evaluate(abcd, _cond(ans("a", "non")), {"a": "nsp"}) is None  # nor is it a "no"
    assert evaluate(abcd, _cond({"not": ans("a", "oui")}), {"a": "nsp"}) is None
    # A test that names the unknown answer itself acts on it.
    assert evaluate(abcd, _cond(ans("a", "nsp")), {"a": "nsp"}) is True
    assert evaluate(abcd, _cond({"answer": "a", "in": ["oui", "nsp"]}), {"a": "nsp"}) is True


def test_unknown_red_flag_is_kept_open_and_the_default_does_not_reassure(triage):
    answers = {"urgence": "nsp", "signe-1": "non", "signe-3": "non"}
    state = walk(triage, answers)
    assert state.finished and state.outcome.id == "surveiller"
    assert [o.id for o in state.unchecked] == ["urgent"]
    assert state.reassurance_withheld
    # The "why" never says the red flag was ruled out by "je ne sais pas".
    assert [r.outcome.id for r in explain(state).ruled_out] == ["adresser", "bilan"]
    assert [s.question.id for s in engine.open_signs(state, state.unchecked[0])] == ["urgence"]
    # Answered "non", the same red flag is ruled out and the default may reassure.
    known = walk(triage, {**answers, "urgence": "non"})
    assert known.unchecked == () and not known.reassurance_withheld


def test_unticked_boxes_beside_not_looked_for_stay_unknown():
    key = make_key([{"id": "m", "kind": "multiple", "text": "m ?",
                     "options": [{"id": "p", "label": "P"}, {"id": "q", "label": "Q"}]}],
                   [outcome("x", {"answer": "m", "includes": "p"}), outcome("fin")])
    cond = key.outcomes[0].when
    assert evaluate(key, cond, {"m": frozenset()}) is False          # "aucun de ces signes"
    assert evaluate(key, cond, {"m": frozenset({"q"})}) is False     # q ticked, the rest absent
    assert evaluate(key, cond, {"m": frozenset({"nsp"})}) is None    # nothing looked for
    assert evaluate(key, cond, {"m": frozenset({"q", "nsp"})}) is None
    assert evaluate(key, cond, {"m": frozenset({"p", "nsp"})}) is True
    state = walk(key, {"m": frozenset({"q", "nsp"})})
    assert [o.id for o in state.unchecked] == ["x"]
    assert [o.label for o in engine.open_signs(state, state.unchecked[0])[0].options] == ["P"]


def test_multiple_normalises_none_and_unknown():
    assert normalise(Q_MULTI, ["aucun"]) == frozenset()
    assert normalise(Q_MULTI, ["nsp"]) == frozenset({"nsp"})
    assert normalise(Q_MULTI, "nsp") == frozenset({"nsp"})
    assert normalise(Q_MULTI, ["p", "nsp"]) == frozenset({"p", "nsp"})
    for bad in (["aucun", "p"], ["aucun", "nsp"]):
        with pytest.raises(InvalidAnswer):
            normalise(Q_MULTI, bad)
    assert describe(Q_MULTI, frozenset({"nsp"})) == "Je ne sais pas, ou pas recherché"
    assert describe(Q_MULTI, frozenset({"p", "nsp"})) == "Première ; les autres signes non recherchés"


def test_an_unknown_number_is_neither_above_nor_below():
    key = make_key([{"id": "n", "kind": "number", "text": "n ?", "unit": "mois", "min": 0, "max": 100}],
                   [outcome("x", {"answer": "n", "lt": 3}), outcome("fin")])
    assert normalise(key.questions[0], "nsp") == "nsp"
    assert evaluate(key, key.outcomes[0].when, {"n": "nsp"}) is None
    assert describe(key.questions[0], "nsp") == "Valeur inconnue"


def test_leaf_operators():
    key = make_key(
        [{"id": "n", "kind": "number", "text": "n ?", "unit": "mois", "min": 0, "max": 100},
         {"id": "m", "kind": "multiple", "text": "m ?",
          "options": [{"id": "p", "label": "P"}, {"id": "q", "label": "Q"}, {"id": "r", "label": "R"}]},
         {"id": "s", "kind": "single", "text": "s ?", "options": [{"id": "u", "label": "U"}, {"id": "v", "label": "V"}]}],
        [outcome("x", {"answer": "n", "lt": 5}), outcome("fin")])
    answers = {"n": 12.0, "m": frozenset({"p", "q"}), "s": "v"}
    cases = [
        ({"answer": "n", "ge": 2, "lt": 12}, False), ({"answer": "n", "ge": 2, "le": 12}, True),
        ({"answer": "n", "gt": 12}, False), ({"answer": "n", "gt": 11.5}, True),
        ({"answer": "m", "includes": "q"}, True), ({"answer": "m", "includes": "r"}, False),
        ({"answer": "m", "includes_any": ["r", "p"]}, True), ({"answer": "m", "includes_any": ["r"]}, False),
        ({"answer": "s", "in": ["u", "v"]}, True), ({"answer": "s", "is": "u"}, False),
    ]
    for cond, expected in cases:
        assert evaluate(key, _cond(cond), answers) is expected, cond
    assert evaluate(key, _cond({"answer": "m", "includes": "p"}), {"m": frozenset()}) is False


def _cond(data: dict):
    """A Condition object from its YAML-like form (via a throwaway outcome)."""
    from orient.core.model import Outcome

    return Outcome.model_validate({**outcome("tmp", data)}).when


# --- fewest questions ---------------------------------------------------------------------------


def test_urgent_outcome_after_one_answer(triage):
    state = walk(triage, {})
    assert state.next_question.id == "urgence" and state.outcome is None
    state = walk(triage, {"urgence": "oui"})
    assert state.finished and state.outcome.id == "urgent"
    assert state.path == ("urgence",) and state.next_question is None


def test_conjunction_stops_at_first_false(triage):
    state = walk(triage, {"urgence": "non", "signe-1": "non"})
    assert state.next_question.id == "signe-3"  # signe-2 can no longer matter


def test_default_not_reached_before_necessary(triage):
    steps = []
    answers: dict = {}
    for qid in ("urgence", "signe-1", "signe-2", "signe-3"):
        state = walk(triage, answers)
        assert state.outcome is None, f"decided too early after {steps}"
        assert state.next_question.id == qid
        steps.append(qid)
        answers[qid] = "non" if qid != "signe-1" else "oui"
    state = walk(triage, answers)
    assert state.outcome.id == "surveiller"
    assert state.path == ("urgence", "signe-1", "signe-2", "signe-3")


def test_age_group_is_asked_first_only_when_needed():
    key = make_key([yes_no("a")], [
        outcome("bebe", {"all": [{"answer": "age_group", "in": ["nourrisson", "nouveau-ne"]}, ans("a", "oui")]}),
        outcome("fin")])
    state = walk(key, {})
    assert state.next_question is AGE_QUESTION
    assert walk(key, {"age_group": "adulte"}).outcome.id == "fin"
    assert walk(key, {"age_group": "nourrisson", "a": "oui"}).outcome.id == "bebe"
    plain = make_key([yes_no("a")], [outcome("x", ans("a", "oui")), outcome("fin")])
    assert walk(plain, {"age_group": "adulte"}).dropped == ("age_group",)


# --- dropping answers off the path --------------------------------------------------------------


def test_answers_off_the_path_are_dropped(triage):
    answers = {"urgence": "non", "signe-1": "oui", "signe-2": "oui"}
    assert walk(triage, answers).outcome.id == "adresser"
    changed = {**answers, "urgence": "oui"}  # an earlier answer changes
    state = walk(triage, changed)
    assert state.outcome.id == "urgent"
    assert state.answers == {"urgence": "oui"}
    assert set(state.dropped) == {"signe-1", "signe-2"}


def test_unknown_question_ids_are_dropped(triage):
    state = walk(triage, {"urgence": "non", "pas-une-question": "oui"})
    assert state.dropped == ("pas-une-question",)
    assert state.next_question.id == "signe-1"


def test_walk_stops_at_first_gap(triage):
    state = walk(triage, {"urgence": "non", "signe-2": "oui", "signe-3": "oui"})
    assert state.next_question.id == "signe-1"
    assert state.path == ("urgence",)
    assert set(state.dropped) == {"signe-2", "signe-3"}


# --- ask_when -----------------------------------------------------------------------------------


@pytest.fixture
def gated() -> Key:
    return make_key(
        [yes_no("a"), yes_no("b", ask_when=ans("a", "oui"))],
        [outcome("b-oui", ans("b", "oui")),
         outcome("b-pas-oui", {"not": ans("b", "oui")}),
         outcome("fin")])


def test_hidden_question_counts_as_false(gated):
    state = walk(gated, {"a": "non"})
    assert state.outcome.id == "b-pas-oui"  # b is hidden: "b is oui" is false, its negation true
    assert state.path == ("a",)
    ev_false = evaluate(gated, _cond(ans("b", "non")), {"a": "non"})
    assert ev_false is False  # hidden is not "non" either


def test_hidden_question_is_asked_only_when_its_condition_holds(gated):
    state = walk(gated, {})
    assert state.next_question.id == "a"  # asks the gate before the gated question
    state = walk(gated, {"a": "oui"})
    assert state.next_question.id == "b"
    assert walk(gated, {"a": "oui", "b": "oui"}).outcome.id == "b-oui"


def test_answer_to_hidden_question_is_dropped(gated):
    state = walk(gated, {"a": "non", "b": "oui"})
    assert state.dropped == ("b",)
    assert state.outcome.id == "b-pas-oui"


# --- explanation --------------------------------------------------------------------------------


def test_explanation_because_and_ruled_out(triage):
    state = walk(triage, {"urgence": "non", "signe-1": "oui", "signe-2": "non", "signe-3": "oui"})
    assert state.outcome.id == "bilan"
    why = explain(state)
    assert why.outcome.id == "bilan"
    assert [(r.question.id, r.value) for r in why.because] == [("signe-3", "oui")]
    ruled = [(r.outcome.id, [(x.question.id, x.value) for x in r.because]) for r in why.ruled_out]
    # "adresser" is ruled out by signe-2 alone: signe-1 (true) did not rule it out.
    assert ruled == [("urgent", [("urgence", "non")]), ("adresser", [("signe-2", "non")])]


def test_explanation_of_conjunction_lists_every_answer(triage):
    state = walk(triage, {"urgence": "non", "signe-2": "oui", "signe-1": "oui"})
    why = explain(state)
    assert [r.question.id for r in why.because] == ["signe-1", "signe-2"]  # declared order


def test_explanation_of_default_and_hidden(gated):
    state = walk(gated, {"a": "non"})
    why = explain(state)
    # b was hidden because a is "non": that answer is the reason.
    assert [(r.question.id, r.value) for r in why.because] == [("a", "non")]
    assert [r.outcome.id for r in why.ruled_out] == ["b-oui"]
    assert [(x.question.id, x.value) for x in why.ruled_out[0].because] == [("a", "non")]


def test_explain_requires_an_outcome(triage):
    with pytest.raises(ValueError):
        explain(walk(triage, {}))


# --- normalise / describe / to_storable ---------------------------------------------------------

CHOICES = [{"id": "p", "label": "Première"}, {"id": "q", "label": "Deuxième"}]
Q_YES_NO = Question.model_validate(yes_no("yn"))
Q_SINGLE = Question.model_validate({"id": "s", "kind": "single", "text": "s ?", "options": CHOICES})
Q_MULTI = Question.model_validate({"id": "m", "kind": "multiple", "text": "m ?", "options": CHOICES})
Q_NUMBER = Question.model_validate({"id": "n", "kind": "number", "text": "n ?", "unit": "mois",
                                    "min": 0, "max": 216, "integer": True})
Q_FLOAT = Question.model_validate({"id": "f", "kind": "number", "text": "f ?", "unit": "g/dL", "min": 2, "max": 25})
Q_DEP = Question.model_validate({"id": "d", "kind": "departement", "text": "d ?"})
DEPS = {"75": "Paris", "2A": "Corse-du-Sud", "974": "La Réunion"}


@pytest.mark.parametrize("question,raw,expected", [
    (Q_YES_NO, "oui", "oui"), (Q_YES_NO, "nsp", "nsp"),
    (Q_SINGLE, "q", "q"),
    (Q_MULTI, ["p", "q"], frozenset({"p", "q"})), (Q_MULTI, [], frozenset()), (Q_MULTI, "p", frozenset({"p"})),
    (Q_MULTI, "", frozenset()), (Q_MULTI, ("q",), frozenset({"q"})),
    (Q_NUMBER, "12", 12.0), (Q_NUMBER, 0, 0.0), (Q_NUMBER, " 216 ", 216.0),
    (Q_FLOAT, "10,5", 10.5), (Q_FLOAT, 7.25, 7.25),
    (Q_DEP, "2A", "2A"), (Q_DEP, "974", "974"),
])
def test_normalise_valid(question, raw, expected):
    value = normalise(question, raw, DEPS)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("question,raw", [
    (Q_YES_NO, "yes"), (Q_YES_NO, True), (Q_YES_NO, None), (Q_YES_NO, ["oui"]),
    (Q_SINGLE, "r"), (Q_SINGLE, ""), (Q_SINGLE, 1),
    (Q_MULTI, ["p", "z"]), (Q_MULTI, 3), (Q_MULTI, [1]), (Q_MULTI, {"p": 1}),
    (Q_NUMBER, "douze"), (Q_NUMBER, "12.5"), (Q_NUMBER, -1), (Q_NUMBER, 217), (Q_NUMBER, True),
    (Q_NUMBER, None), (Q_NUMBER, "nan"), (Q_NUMBER, "inf"), (Q_NUMBER, ""),
    (Q_FLOAT, "1,9"), (Q_FLOAT, "1e400"),
    (Q_DEP, "13"), (Q_DEP, 75), (Q_DEP, None),
])
def test_normalise_invalid(question, raw):
    with pytest.raises(InvalidAnswer) as excinfo:
        normalise(question, raw, DEPS)
    assert excinfo.value.question_id == question.id
    assert excinfo.value.message  # a French message for the form


def test_normalise_bounds_message():
    with pytest.raises(InvalidAnswer, match="entre 0 et 216 mois"):
        normalise(Q_NUMBER, 300)
    with pytest.raises(InvalidAnswer, match="entier"):
        normalise(Q_NUMBER, 1.5)


def test_normalise_departement_without_list_accepts_any_string():
    assert normalise(Q_DEP, "13") == "13"


def test_describe():
    assert describe(Q_YES_NO, "nsp") == "Je ne sais pas"
    assert describe(Q_YES_NO, "oui") == "Oui"
    assert describe(Q_SINGLE, "q") == "Deuxième"
    assert describe(Q_MULTI, frozenset({"q", "p"})) == "Première ; Deuxième"
    assert describe(Q_MULTI, frozenset()) == "Aucun de ces signes"
    assert describe(Q_NUMBER, 12.0) == "12 mois"
    assert describe(Q_FLOAT, 10.5) == "10,5 g/dL"
    assert describe(Q_DEP, "2A", DEPS) == "2A – Corse-du-Sud"
    assert describe(Q_DEP, "13") == "13"
    assert describe(AGE_QUESTION, "nourrisson").startswith("Nourrisson")


def test_to_storable():
    assert engine.to_storable(frozenset({"q", "p"})) == ["p", "q"]
    assert engine.to_storable(12.0) == 12 and isinstance(engine.to_storable(12.0), int)
    assert engine.to_storable(10.5) == 10.5
    assert engine.to_storable("oui") == "oui"


# --- explore ------------------------------------------------------------------------------------


def test_explore_finds_everything_reachable(triage):
    result = explore(triage)
    assert result.complete
    assert result.outcomes == {"urgent", "adresser", "bilan", "surveiller"}
    assert result.questions == {"urgence", "signe-1", "signe-2", "signe-3"}


def test_explore_finds_unreachable_things():
    key = make_key(
        [yes_no("a"), yes_no("inutile"), yes_no("jamais", ask_when={"all": [ans("a", "oui"), ans("a", "non")]})],
        [outcome("x", ans("a", "oui")),
         outcome("masquee", {"answer": "a", "in": ["oui"]}),
         outcome("y", {"any": [ans("a", "non"), ans("jamais", "oui")]}),
         outcome("fin")])
    result = explore(key)
    assert result.complete
    assert result.outcomes == {"x", "y", "fin"}
    assert result.questions == {"a"}


def test_explore_numeric_thresholds():
    key = make_key(
        [{"id": "n", "kind": "number", "text": "n ?", "unit": "ans", "min": 0, "max": 120, "integer": True}],
        [outcome("enfant", {"answer": "n", "lt": 18}), outcome("adulte-jeune", {"answer": "n", "le": 30}),
         outcome("impossible", {"answer": "n", "gt": 120}), outcome("fin")])
    result = explore(key)
    assert result.outcomes == {"enfant", "adulte-jeune", "fin"}


def test_explore_gives_up_on_limit(triage):
    result = explore(triage, limit=2)
    assert not result.complete


def test_decide_without_default_returns_nothing():
    key = make_key([yes_no("a")], [outcome("x", ans("a", "oui"))])
    decision = engine.decide(key, {"a": "non"})
    assert decision.outcome is None and decision.question is None


# --- the engine stays free of web frameworks ------------------------------------------------------


WEB = {"flask", "wtforms", "flask_wtf", "jinja2", "werkzeug"}
PURE_PACKAGES = ("core", "services", "exports")


def test_the_core_services_and_exports_import_no_web_framework():
    """The layout shows the architecture (orient/core, services, exports, authoring, web): the
    first three never import a web framework, read from their sources and seen at run time."""
    for package in PURE_PACKAGES:
        for path in sorted((ROOT / "orient" / package).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imported = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imported.add(node.module.split(".")[0])
            assert not imported & WEB, f"{path.relative_to(ROOT)} importe {imported & WEB}"
    code = ("import importlib, pkgutil, sys, orient\n"
            f"for package in {PURE_PACKAGES!r}:\n"
            "    module = importlib.import_module('orient.' + package)\n"
            "    for info in pkgutil.iter_modules(module.__path__, module.__name__ + '.'):\n"
            "        importlib.import_module(info.name)\n"
            f"bad = sorted(m for m in {sorted(WEB)!r} if m in sys.modules)\n"
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"imports {result.stdout.strip()} {result.stderr}"


# --- each condition type carries its own behaviour ----------------------------------------------


CONDITION_TYPES = ("AnswerCondition", "AllCondition", "AnyCondition", "NotCondition", "AtLeastCondition")


def test_no_module_dispatches_on_the_condition_types():
    """Conditions evaluate, explain and export themselves (orient/core/model.py): a caller that tests
    a condition's type would be a second place to change when a condition type is added."""
    found = []
    for path in sorted((ROOT / "orient").rglob("*.py")):
        if path.name == "model.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
                names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)} if len(node.args) > 1 else set()
            elif isinstance(node, ast.MatchClass) and isinstance(node.cls, ast.Name):
                names = {node.cls.id}
            else:
                continue
            if names & set(CONDITION_TYPES):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found


def test_every_condition_type_implements_every_behaviour():
    import orient.core.model as model

    shared = model.ConditionBase
    for name in CONDITION_TYPES:
        cls = getattr(model, name)
        for method in ("compile", "witnesses", "inline", "fhirpath"):
            assert getattr(cls, method) is not getattr(shared, method), (name, method)
    composite = _cond({"all": [{"any": [{"answer": "a", "is": "oui"}]}, {"not": {"answer": "a", "is": "non"}},
                               {"at_least": 1, "of": [{"answer": "a", "is": "nsp"}]}]})
    assert composite.heading == "toutes ces conditions :"
    assert [c.heading for c in composite.children] == ["l'une de ces conditions :", "pas ceci :", "au moins 1 parmi :"]


def test_leaf_paths_lead_to_the_leaves_in_the_yaml(ruleset):
    """``located_leaves`` gives the path of each answer test in the authors' YAML (the checker's
    diagnostics point there): following it through the YAML form finds that very test."""
    for key in ruleset.keys.values():
        conditions = [q.ask_when for q in key.questions if q.ask_when is not None]
        conditions += [o.when for o in key.outcomes if o.when is not None]
        for cond in conditions:
            data = cond.model_dump(by_alias=True, exclude_none=True)
            located = list(cond.located_leaves(("when",)))
            assert [leaf for leaf, _ in located] == list(cond.leaves())
            for leaf, path in located:
                assert path[0] == "when"
                node = data
                for step in path[1:]:
                    node = node[step]
                assert node == leaf.model_dump(by_alias=True, exclude_none=True), (key.id, path)


def test_open_leaves_and_witnesses_follow_three_valued_logic(triage):
    cond = _cond({"any": [{"answer": "signe-1", "is": "oui"}, {"all": [{"answer": "signe-2", "is": "oui"},
                                                                        {"not": {"answer": "signe-3", "is": "oui"}}]}]})

    def ev(answers):
        return lambda c: evaluate(triage, c, answers)

    # Undetermined: only what an undetermined branch tests can settle it.
    assert [leaf.answer for leaf in cond.open_leaves(ev({"signe-1": "non"}))] == ["signe-2", "signe-3"]
    assert [leaf.answer for leaf in cond.open_leaves(ev({"signe-1": "non", "signe-2": "non"}))] == []
    # True through the second branch: one witness (the first true child) is enough for "any"...
    answers = {"signe-1": "non", "signe-2": "oui", "signe-3": "non"}
    assert [leaf.answer for leaf in cond.witnesses(True, ev(answers))] == ["signe-2", "signe-3"]
    # ...and false: every child of "any" counts, the first false child of "all" is enough.
    answers = {"signe-1": "non", "signe-2": "non", "signe-3": "non"}
    assert [leaf.answer for leaf in cond.witnesses(False, ev(answers))] == ["signe-1", "signe-2"]


# --- properties on the shipped keys ---------------------------------------------------------------


def random_journey(key: Key, rng, departements) -> dict:
    """Answer whatever the engine asks, at random, until an outcome is decided."""
    answers: dict = {}
    for _ in range(200):
        state = walk(key, answers)
        if state.finished:
            return answers
        question = state.next_question
        assert question is not None, f"{key.id}: no question and no outcome"
        domain = engine.domain(key, question) if question.kind != "departement" else sorted(departements)
        answers[question.id] = rng.choice(domain)
    raise AssertionError(f"{key.id}: journey does not end")


def test_random_journeys_are_consistent(ruleset):
    import random

    rng = random.Random(20261122)
    for key in ruleset.keys.values():
        for _ in range(25):
            answers = random_journey(key, rng, ruleset.departements)
            state = walk(key, answers)
            assert state.finished and state.dropped == ()
            assert list(state.path) == list(answers)  # answered exactly what was asked, in order
            # Walking again from what was kept is a fixed point.
            again = walk(key, dict(state.answers))
            assert (again.outcome, again.path, again.dropped) == (state.outcome, state.path, ())
            # Extra answers to questions never asked change nothing.
            extra = {q.id: engine.domain(key, q)[0] for q in key.questions if q.id not in answers
                     and q.kind != "departement"}
            noisy = walk(key, {**answers, **extra})
            assert noisy.outcome == state.outcome and set(noisy.dropped) == set(extra)
            # The explanation only cites answers on the path, and the outcome's condition holds.
            why = explain(state)
            assert {r.question.id for r in why.because} <= set(state.path)
            if state.outcome.when is not None:
                assert evaluate(key, state.outcome.when, state.answers) is True
            for ruled in why.ruled_out:
                assert evaluate(key, ruled.outcome.when, state.answers) is not True


# --- the compiled, incremental engine against a plain reference -------------------------------


def reference_eval(key: Key, cond, answers: dict):
    """Three-valued logic written out plainly, with no compilation and no memo: the meaning the
    engine's closures must keep."""
    questions = {q.id: q for q in (AGE_QUESTION, *key.questions)}

    def askable(qid):
        q = questions.get(qid)
        return True if q is None or q.ask_when is None else ev(q.ask_when)

    def leaf(c, value):
        # "nsp" (or unticked boxes beside "nsp") is unknown unless the test names it.
        if c.is_ is not None or c.in_ is not None:
            named = [c.is_] if c.is_ is not None else list(c.in_)
            if isinstance(value, frozenset):
                return False
            return True if value in named else (None if value == "nsp" else False)
        if c.includes is not None or c.includes_any is not None:
            named = [c.includes] if c.includes is not None else list(c.includes_any)
            if not isinstance(value, frozenset):
                return False
            return True if any(n in value for n in named) else (None if "nsp" in value else False)
        if value == "nsp":
            return None
        if not isinstance(value, (int, float)):
            return False
        return all(b is None or op(value, b) for b, op in (
            (c.lt, float.__lt__), (c.le, float.__le__), (c.gt, float.__gt__), (c.ge, float.__ge__)))

    def ev(c):
        if "answer" in type(c).model_fields:
            if c.answer in answers:
                return leaf(c, answers[c.answer])
            return False if askable(c.answer) is False else None
        if hasattr(c, "all"):
            rs = [ev(x) for x in c.all]
            return False if False in rs else (None if None in rs else True)
        if hasattr(c, "any"):
            rs = [ev(x) for x in c.any]
            return True if True in rs else (None if None in rs else False)
        if hasattr(c, "not_"):
            r = ev(c.not_)
            return None if r is None else not r
        rs = [ev(x) for x in c.of]
        if rs.count(True) >= c.at_least:
            return True
        return False if rs.count(True) + rs.count(None) < c.at_least else None

    return ev(cond)


def reference_walk(key: Key, answers: dict):
    """The walk as first written: decide from scratch, over every outcome, at every step."""
    kept: dict = {}
    while True:
        decision = engine.decide(key, kept)
        if decision.outcome is not None or decision.question is None or decision.question.id not in answers:
            return decision, tuple(kept)
        kept[decision.question.id] = answers[decision.question.id]


def test_compiled_conditions_and_incremental_walk_match_the_reference(ruleset):
    import random

    rng = random.Random(20261130)
    for key in ruleset.keys.values():
        conditions = [q.ask_when for q in key.questions if q.ask_when is not None]
        conditions += [o.when for o in key.outcomes if o.when is not None]
        for _ in range(40):
            # Any subset of answers, on the path or not, in any state of completion.
            answers = {}
            for q in key.questions:
                if q.kind != "departement" and rng.random() < 0.5:
                    answers[q.id] = rng.choice(engine.domain(key, q))
            for cond in conditions:
                assert evaluate(key, cond, answers) == reference_eval(key, cond, answers), (key.id, cond, answers)
            decision, path = reference_walk(key, answers)
            state = walk(key, answers)
            assert (state.outcome, state.next_question, state.path) == (decision.outcome, decision.question, path)
            if state.finished:  # open outcomes: every acting outcome before the decided one left undetermined
                kept = dict(state.answers)
                before = key.outcomes[:key.outcomes.index(state.outcome)]
                expected = tuple(o for o in before if o.action != "monitor" and reference_eval(key, o.when, kept) is None)
                assert state.unchecked == expected, key.id


def test_a_walk_picks_up_where_an_earlier_one_stopped(ruleset):
    import random

    rng = random.Random(7)
    for key in ruleset.keys.values():
        for _ in range(10):
            answers = random_journey(key, rng, ruleset.departements)
            order = list(answers)
            for cut in range(len(order) + 1):
                before = walk(key, {q: answers[q] for q in order[:cut]})
                for after in (answers, {**answers, order[0]: answers[order[0]]}, {}):
                    assert walk(key, after, since=before) == walk(key, after)
            # An earlier state whose answers were since changed is not picked up.
            first = order[0]
            other = next((v for v in engine.domain(key, key.question(first)) if v != answers[first]), None)
            if other is not None and len(order) > 1:
                before = walk(key, {first: answers[first]})
                changed = {**answers, first: other}
                assert walk(key, changed, since=before) == walk(key, changed)


def test_the_compiled_key_cache_is_bounded_so_reloaded_rules_do_not_stay_alive(base_ruleset):
    key = base_ruleset.keys["mini"]
    copies = [key.model_copy() for _ in range(engine.COMPILED_MAX + 20)]
    for copy in copies:
        assert engine.compile_key(copy).key is copy
    assert len(engine._compiled) <= engine.COMPILED_MAX
    assert engine.compile_key(copies[-1]) is engine.compile_key(copies[-1])  # still cached once compiled


def test_departements_come_in_one_order_with_one_label(ruleset):
    codes = [d.code for d in ruleset.departements_in_order]
    assert codes[:3] == ["01", "02", "03"] and codes[-5:] == ["971", "972", "973", "974", "976"]
    assert ruleset.departements["69"].label == "69 – Rhône"


def test_loading_rules_restores_the_garbage_collector(tmp_path):
    """ruleset.load pauses the cyclic collector while it parses and checks; it puts it back as it
    found it, also when the rules are broken."""
    import gc

    from orient.core import ruleset as ruleset_module
    assert gc.isenabled()
    broken = tmp_path / "regles"
    broken.mkdir()
    (broken / "meta.yaml").write_text("version: [\n", encoding="utf-8")
    loaded, _ = ruleset_module.load(broken)
    assert loaded is None and gc.isenabled()
    gc.disable()
    try:
        ruleset_module.load(broken)
        assert not gc.isenabled()
    finally:
        gc.enable()
