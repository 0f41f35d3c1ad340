"""The rule engine: a key and the answers so far -> the path, the next question, the outcome.

Pure functions over the frozen model; no web framework here, so the wizard, the command
line, the scenarios and the API all ask the same questions of the same code.

Conditions are evaluated in three-valued logic: True, False, or None while a question they
need is unanswered. Outcomes are tried in order; the first True one is decided; the first
undetermined one asks the earliest askable question that could settle it. So the engine
stops asking as soon as the outcome can no longer change (fewest questions), and urgent
outcomes placed first are recognised after one or two answers.

Unknown is not absent. "Je ne sais pas" (``UNKNOWN``), and for a multiple-choice answer the
boxes left unticked beside "non recherché", leave a test that does not name them
*undetermined*, for good: no later answer can settle it. An outcome that stays undetermined
that way is not ruled out; the walk goes on to the next outcomes, and the state keeps it in
``unchecked``. The orientation then lists these red flags first, with what to check today,
and a reassuring outcome is never given as such while any remains (``reassurance_withheld``).
Three-valued logic stays monotone, so everything said below about resuming a walk holds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from orient.core.model import (
    UNKNOWN,
    AnswerCondition,
    Condition,
    Key,
    Option,
    Outcome,
    Question,
    Value,
    iter_leaves,
)
from orient.core.model import (
    InvalidAnswer as InvalidAnswer,  # raised by Question.normalise; callers catch engine.InvalidAnswer
)

Answers = Mapping[str, Value]


class _Skipped:
    """A question whose ask_when is false: it has no answer, and tests on it are false."""

    def __repr__(self) -> str:
        return "SKIPPED"


SKIPPED = _Skipped()


# --- answers -------------------------------------------------------------------------------


def normalise(question: Question, raw: object, departements: Iterable[str] | None = None) -> Value:
    """Turn a raw answer (from a form, a cookie, a scenario, the API) into its typed value
    (each question kind normalises its own answers: ``Question.normalise``)."""
    return question.normalise(raw, departements)


def to_storable(value: Value) -> object:
    """The JSON form of a typed answer (for the session cookie, URLs and the API)."""
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def describe(question: Question, value: Value, departement_names: Mapping[str, str] | None = None) -> str:
    """A French rendering of an answer, for the check page and the "why" trail."""
    return question.describe(value, departement_names)


# --- compiled keys -------------------------------------------------------------------------


class CompiledKey:
    """A key with its question index and its conditions compiled, built once and cached.

    Each condition becomes a closure (``_compile``) that does only its own test: no type
    dispatch on the hot path, where a walk evaluates the same few trees at every step.
    """

    def __init__(self, key: Key):
        self.key = key
        self.questions: tuple[Question, ...] = key.consultation_questions
        self.by_id: dict[str, Question] = {q.id: q for q in self.questions}
        self.order: dict[str, int] = {q.id: i for i, q in enumerate(self.questions)}
        # By the condition object's id: conditions belong to the frozen key held just above.
        self.tests: dict[int, _Test] = {}
        for question in key.questions:
            if question.ask_when is not None:
                _compile(question.ask_when, self.tests)
        for outcome in key.outcomes:
            if outcome.when is not None:
                _compile(outcome.when, self.tests)


# Compiled keys by the identity of their Key (a frozen pydantic model: hashing it would walk
# the whole tree). Bounded: a reload builds new keys, and the old ones must not stay alive.
_compiled: OrderedDict[int, CompiledKey] = OrderedDict()
COMPILED_MAX = 256


def compile_key(key: Key) -> CompiledKey:
    cached = _compiled.get(id(key))
    if cached is None or cached.key is not key:
        cached = _compiled[id(key)] = CompiledKey(key)
        while len(_compiled) > COMPILED_MAX:
            _compiled.popitem(last=False)
    return cached


# --- three-valued evaluation ---------------------------------------------------------------


class _Evaluator:
    """Evaluates conditions against one set of answers, memoising ask_when results."""

    __slots__ = ("_asked", "answers", "ck")

    def __init__(self, ck: CompiledKey, answers: Answers):
        self.ck = ck
        self.answers = answers
        self._asked: dict[str, bool | None] = {}

    def askable(self, question_id: str) -> bool | None:
        if question_id not in self._asked:
            question = self.ck.by_id.get(question_id)
            if question is None or question.ask_when is None:
                self._asked[question_id] = True
            else:
                self._asked[question_id] = self.eval(question.ask_when)
        return self._asked[question_id]

    def forget_undetermined(self) -> None:
        """Called after an answer is added: only undetermined ask_when results can change."""
        self._asked = {qid: r for qid, r in self._asked.items() if r is not None}

    def value(self, question_id: str) -> Value | _Skipped | None:
        if question_id in self.answers:
            return self.answers[question_id]
        return SKIPPED if self.askable(question_id) is False else None

    def eval(self, cond: Condition) -> bool | None:
        test = self.ck.tests.get(id(cond))
        if test is None:  # a condition that is not part of this key (ad hoc use): compile it now
            test = _compile(cond, {})
        return test(self)

    def pending(self, cond: Condition, out: set[str]) -> None:
        """Collect the questions whose answers could still settle an undetermined condition."""
        cond.open_questions(self.eval, self.answers, out)

    def next_question(self, cond: Condition) -> Question | None:
        """The earliest declared question that is askable now and could settle ``cond``."""
        frontier: set[str] = set()
        self.pending(cond, frontier)
        candidates: list[str] = []
        seen: set[str] = set()
        while frontier:
            qid = frontier.pop()
            if qid in seen:
                continue
            seen.add(qid)
            state = self.askable(qid)
            if state is True:
                candidates.append(qid)
            elif state is None:
                self.pending(self.ck.by_id[qid].ask_when, frontier)  # type: ignore[arg-type]
        if not candidates:
            return None
        return self.ck.by_id[min(candidates, key=self.ck.order.__getitem__)]


_Test = Callable[[_Evaluator], bool | None]


def _compile(cond: Condition, tests: dict[int, _Test]) -> _Test:
    """A closure computing ``cond`` in three-valued logic; registers every node in ``tests``.
    The condition combines its children itself; the engine supplies only the answer test."""
    test = cond.compile(_answer_test, lambda child: _compile(child, tests))
    tests[id(cond)] = test
    return test


def _answer_test(leaf: AnswerCondition) -> _Test:
    question_id, check = leaf.answer, leaf.test_value

    def test(ev: _Evaluator) -> bool | None:
        answers = ev.answers
        if question_id in answers:
            return check(answers[question_id])
        return False if ev.askable(question_id) is False else None  # skipped: false

    return test


def evaluate(key: Key, cond: Condition, answers: Answers) -> bool | None:
    return _Evaluator(compile_key(key), answers).eval(cond)


# --- deciding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    outcome: Outcome | None
    question: Question | None


def decide(key: Key, answers: Answers) -> Decision:
    """Given consistent answers, the decided outcome or the next question to ask."""
    return _decide(key, _Evaluator(compile_key(key), answers), 0)[0]


def _decide(key: Key, ev: _Evaluator, start: int) -> tuple[Decision, int]:
    """``decide`` from outcome ``start`` on; also returns the first outcome not yet ruled out.

    Three-valued logic is monotone: an answer added later turns undetermined results into
    True or False but never changes a determined one. So an outcome found False stays False
    for the rest of a walk, and the walk need not try it again.
    """
    outcomes = key.outcomes
    first_open: int | None = None
    for index in range(start, len(outcomes)):
        outcome = outcomes[index]
        if outcome.when is None:  # the explicit default
            return Decision(outcome, None), index if first_open is None else first_open
        result = ev.eval(outcome.when)
        if result is False:
            continue
        if first_open is None:
            first_open = index
        if result is True:
            return Decision(outcome, None), first_open
        question = ev.next_question(outcome.when)
        if question is not None:
            return Decision(None, question), first_open
        # Undetermined and nothing askable can settle it: an unknown answer left it open. It is
        # not ruled out (``walk`` lists it in ``unchecked``); the walk tries the next outcomes.
    # Unreachable when the key has its default (checked at load).
    return Decision(None, None), len(outcomes) if first_open is None else first_open


@dataclass(frozen=True)
class State:
    """Where a journey stands: the answers kept on the path, and what comes next."""

    key: Key
    path: tuple[str, ...]
    answers: dict[str, Value]
    outcome: Outcome | None
    next_question: Question | None
    dropped: tuple[str, ...]
    # Outcomes before the decided one that unknown answers left open (neither ruled in nor
    # out), in rule order: red flags to check before the result may reassure.
    unchecked: tuple[Outcome, ...] = ()
    # The first outcome not yet ruled out when the walk stopped: where ``walk(..., since=self)``
    # picks up. Bookkeeping, not part of what the state means.
    resume_at: int = field(default=0, compare=False, repr=False)

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def reassurance_withheld(self) -> bool:
        """A reassuring outcome ("monitor") reached while some outcome is still open: the
        result must not reassure."""
        return self.outcome is not None and self.outcome.action == "monitor" and bool(self.unchecked)


def walk(key: Key, answers: Answers, since: State | None = None) -> State:
    """Recompute the path from the start; answers no longer on it are dropped.

    ``since``, a state walked earlier over some of these same answers (as when a POST has
    just added the answer to its next question), lets the walk pick up where that one
    stopped: with the same answers kept, a walk from the start would retrace its path exactly.
    """
    kept: dict[str, Value] = {}
    path: list[str] = []
    start = 0
    if (since is not None and since.key is key and since.next_question is not None
            and all(q in answers and answers[q] == v for q, v in since.answers.items())):
        kept, path, start = dict(since.answers), list(since.path), since.resume_at
    # One evaluator for the whole walk, over ``kept`` as it grows. What it remembers of ask_when
    # results stays true once determined (see ``_decide``); the undetermined are forgotten.
    ev = _Evaluator(compile_key(key), kept)
    while True:
        decision, start = _decide(key, ev, start)
        if decision.outcome is not None or decision.question is None:
            break
        qid = decision.question.id
        if qid not in answers:
            break
        kept[qid] = answers[qid]
        path.append(qid)
        ev.forget_undetermined()
    dropped = tuple(q for q in answers if q not in kept)
    unchecked: list[Outcome] = []
    if decision.outcome is not None:
        # Every outcome from ``start`` (the first not ruled out) up to the decided one is False
        # or open for good: had a question been able to settle it, the walk would have asked it.
        for outcome in key.outcomes[start:]:
            if outcome is decision.outcome:
                break
            # An open reassuring outcome changes nothing: only what would act is kept.
            if outcome.action != "monitor" and ev.eval(outcome.when) is None:  # type: ignore[arg-type]
                unchecked.append(outcome)
    return State(key, tuple(path), kept, decision.outcome, decision.question, dropped,
                 tuple(unchecked), start)


# --- explanation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    question: Question
    value: Value


@dataclass(frozen=True)
class RuledOut:
    outcome: Outcome
    because: tuple[Reason, ...]


@dataclass(frozen=True)
class Explanation:
    outcome: Outcome
    because: tuple[Reason, ...]
    ruled_out: tuple[RuledOut, ...]


def _support(ev: _Evaluator, cond: Condition, truth: bool, out: list[str]) -> None:
    """The answered questions that make ``cond`` evaluate to ``truth``."""
    for leaf in cond.witnesses(truth, ev.eval):
        value = ev.value(leaf.answer)
        if value is SKIPPED:  # false because never asked: why it was not asked explains it
            question = ev.ck.by_id.get(leaf.answer)
            if question is not None and question.ask_when is not None:
                _support(ev, question.ask_when, False, out)
        elif value is not None and leaf.answer not in out:
            out.append(leaf.answer)


def explain(state: State) -> Explanation:
    if state.outcome is None:
        raise ValueError("no outcome decided yet")
    ck = compile_key(state.key)
    ev = _Evaluator(ck, state.answers)

    def reasons(cond: Condition | None, truth: bool) -> tuple[Reason, ...]:
        if cond is None:
            return ()
        ids: list[str] = []
        _support(ev, cond, truth, ids)
        ids.sort(key=lambda q: ck.order.get(q, 0))
        return tuple(Reason(ck.by_id[q], state.answers[q]) for q in ids if q in state.answers)

    ruled_out = []
    for outcome in state.key.outcomes:
        if outcome is state.outcome:
            break
        if outcome not in state.unchecked:  # an open outcome was not ruled out by anything
            ruled_out.append(RuledOut(outcome, reasons(outcome.when, False)))
    return Explanation(state.outcome, reasons(state.outcome.when, True), tuple(ruled_out))


@dataclass(frozen=True)
class OpenSign:
    """A sign an unknown answer left unchecked: the question, and for a multiple-choice one
    the options not ticked beside "non recherché" that the rule looks for."""

    question: Question
    options: tuple[Option, ...] = ()


def open_signs(state: State, outcome: Outcome) -> tuple[OpenSign, ...]:
    """The unknown answers that keep ``outcome`` (one of ``state.unchecked``) open."""
    ck = compile_key(state.key)
    ev = _Evaluator(ck, state.answers)
    found: dict[str, set[str]] = {}

    def visit(cond: Condition) -> None:
        if ev.eval(cond) is not None:
            return
        for leaf in cond.open_leaves(ev.eval):
            value = ev.value(leaf.answer)
            if value is None:  # never asked: its ask_when hangs on an unknown answer
                ask_when = ck.by_id[leaf.answer].ask_when
                if ask_when is not None:
                    visit(ask_when)
                continue
            options = found.setdefault(leaf.answer, set())
            if isinstance(value, frozenset):
                options.update(v for v in leaf.values if v not in value)

    if outcome.when is not None:
        visit(outcome.when)
    signs = []
    for qid in sorted(found, key=ck.order.__getitem__):
        question = ck.by_id[qid]
        signs.append(OpenSign(question, tuple(o for o in question.options if o.id in found[qid])))
    return tuple(signs)


# --- exhaustive exploration (for the checker) ----------------------------------------------


@dataclass(frozen=True)
class Exploration:
    outcomes: frozenset[str]
    questions: frozenset[str]
    complete: bool
    nodes: int


def domain(key: Key, question: Question, with_unknown: bool = True) -> list[Value]:
    """Representative answers: one per distinct behaviour of the conditions that test it.

    ``with_unknown=False`` leaves out the unknown answers unless a test names them: an unknown
    only makes tests undetermined, and by monotonicity whatever it lets the walk reach, a known
    answer reaches too, except where a test acts on the unknown itself (the explorer's case).
    """
    return _domain(question, [leaf for leaf in _all_leaves(key) if leaf.answer == question.id], with_unknown)


def _domain(question: Question, leaves: list[AnswerCondition], with_unknown: bool) -> list[Value]:
    return question.representatives(leaves, with_unknown or any(UNKNOWN in leaf.values for leaf in leaves))


def _all_leaves(key: Key) -> list[AnswerCondition]:
    leaves: list[AnswerCondition] = []
    for question in key.questions:
        if question.ask_when is not None:
            leaves.extend(iter_leaves(question.ask_when))
    for outcome in key.outcomes:
        if outcome.when is not None:
            leaves.extend(iter_leaves(outcome.when))
    return leaves


def explore(key: Key, limit: int = 50_000) -> Exploration:
    """Walk every distinct path the engine can take, stopping once everything is covered.

    Used by the checker to prove which outcomes can be reached and which questions can be
    asked. Stops early when all outcomes and questions have been seen; gives up (complete =
    False) after ``limit`` states rather than hang on a pathological key.

    Known answers are explored first; the unknown ones ("je ne sais pas") only when something
    is still unreached, since they mostly lead where known answers lead (they make tests
    undetermined, never true) and would multiply the paths. They can still matter: an outcome
    after others that cover every known answer is reached only through an unknown.
    """
    ck = compile_key(key)
    all_outcomes = {o.id for o in key.outcomes}
    all_questions = {q.id for q in key.questions}
    reached: set[str] = set()
    asked: set[str] = set()
    # Everything the engine does next depends only on the three-valued results of the key's
    # tests, and a test's result only on its own answer (the tests of unanswered questions are
    # settled by the answered ones through ask_when): the results of the answered tests are a
    # state's signature, and a state whose signature was seen leads nowhere new.
    unique = list({id(leaf): leaf for leaf in _all_leaves(key)}.values())
    # A child state adds one answer to its parent, so its signature is the parent's with only
    # that question's tests re-run (computing all of them per state was half the checker's time).
    tests_of: dict[str, list[tuple[int, Callable[[Value], bool | None]]]] = {}
    for position, leaf in enumerate(unique):
        tests_of.setdefault(leaf.answer, []).append((position, leaf.test_value))
    nodes = 0
    for with_unknown in (False, True):
        domains: dict[str, list[Value]] = {}
        seen: set[tuple] = set()
        # A child also resumes the decision where its parent's stopped (the walk's ``since``:
        # outcomes its parent ruled out stay ruled out once more answers are known).
        stack: list[tuple[dict[str, Value], tuple, int]] = [({}, (2,) * len(unique), 0)]
        while stack:
            if reached == all_outcomes and all_questions <= asked:
                return Exploration(frozenset(reached), frozenset(asked), True, nodes)
            answers, signature, start = stack.pop()
            if signature in seen:
                continue
            seen.add(signature)
            nodes += 1
            if nodes > limit:
                return Exploration(frozenset(reached), frozenset(asked), False, nodes)
            decision, first_open = _decide(key, _Evaluator(ck, answers), start)
            if decision.outcome is not None:
                reached.add(decision.outcome.id)
                continue
            question = decision.question
            if question is None:
                continue
            asked.add(question.id)
            if question.id not in domains:
                domains[question.id] = _domain(ck.by_id[question.id],
                                               [leaf for leaf in unique if leaf.answer == question.id], with_unknown)
            tests = tests_of.get(question.id, ())
            for value in reversed(domains[question.id]):
                child = list(signature)
                for position, test in tests:
                    child[position] = test(value)
                stack.append(({**answers, question.id: value}, tuple(child), first_open))
    return Exploration(frozenset(reached), frozenset(asked), True, nodes)
