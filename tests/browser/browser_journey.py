"""Drive the wizard in a real browser from a scenario of rules/scenarios/ (shared helpers)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import axe_playwright_python
import pytest
from playwright.sync_api import Page, expect

from orient.core.ruleset import RuleSet, load_or_raise

ROOT = Path(__file__).resolve().parents[2]
RULES: RuleSet = load_or_raise(ROOT / "rules")

AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text("utf-8")
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}

MAX_STEPS = 60  # more page loads than any key has questions: a loop means a bug


def axe_violations(page: Page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS)  # works under the strict CSP, add_script_tag does not
    return page.evaluate("o => axe.run(document, o).then(r => r.violations)", WCAG_AA)


def assert_no_axe_violations(page: Page, label: str) -> None:
    violations = axe_violations(page)
    if violations:
        lines = [f"{len(violations)} violation(s) axe WCAG 2.1 A/AA sur {label} ({page.url}) :"]
        for v in violations:
            targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])]
            lines.append(f"- {v['id']} [{v.get('impact')}] {v['help']} -> {targets[:8]}"
                         + (f" (+{len(targets) - 8})" if len(targets) > 8 else ""))
        pytest.fail("\n".join(lines), pytrace=False)


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def scenario_answers(key_id: str, scenario_id: str) -> dict:
    scenario = next(s for s in RULES.scenarios[key_id] if s.id == scenario_id)
    return dict(scenario.answers)


def outcome_for(key_id: str, scenario_id: str):
    scenario = next(s for s in RULES.scenarios[key_id] if s.id == scenario_id)
    return RULES.keys[key_id].outcome(scenario.expect)


def action_kind(action: str) -> str:
    return {"emergency": "urgent", "refer": "referral", "test_then_refer": "referral",
            "monitor": "not-suggestive"}[action]


KINDS = ("urgent", "referral", "not-suggestive")


def first_scenario_of_each_kind(key_id: str) -> dict[str, str]:
    """The key's first scenario of each kind: its own cases first (the shared age-band ones,
    "<case>--<key>", run in test_safety_browser and orient scenarios), plain ``refer`` first."""
    by_kind: dict[str, list] = {}
    for s in RULES.scenarios.get(key_id, ()):
        action = RULES.keys[key_id].outcome(s.expect).action
        by_kind.setdefault(action_kind(action), []).append(("--" in s.id, action != "refer", s.id))
    return {kind: sorted(found)[0][2] for kind, found in by_kind.items()}


def pick_scenarios() -> list[tuple[str, str, str]]:
    """(key id, scenario id, kind) for every shipped key: its first urgent scenario (if any),
    its first referral and its first not-suggestive one ("" when missing: the caller fails)."""
    picked = []
    for key_id in sorted(RULES.keys):
        first = first_scenario_of_each_kind(key_id)
        picked += [(key_id, first.get(kind, ""), kind) for kind in KINDS if kind in first or kind != "urgent"]
    return picked


def one_journey_per_key() -> list[tuple[str, str, str]]:
    """One browser journey per key, the kind turning with the key's rank (urgent, referral,
    not-suggestive…), so that every kind is walked in Chromium on a third of the keys while
    every scenario of every key is walked through the wizard over HTTP (test_web). A key
    without an urgent scenario walks its referral instead."""
    picked = []
    for rank, key_id in enumerate(sorted(RULES.keys)):
        first = first_scenario_of_each_kind(key_id)
        kind = KINDS[rank % len(KINDS)]
        if kind not in first:
            kind = "referral"
        picked.append((key_id, first.get(kind, ""), kind))
    return picked


def submit(page: Page, name: str = "Continuer") -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def answer_question(page: Page, key_id: str, question_id: str, value) -> None:
    question = RULES.keys[key_id].question(question_id)
    assert question is not None, f"question inconnue {question_id}"
    expect(page.locator("h1")).to_have_text(question.text)
    if question.kind in ("yes_no", "single"):
        page.locator(f"input[name='answer'][value='{value}']").check()
    elif question.kind == "multiple":
        wanted = set(value) or {"aucun"}  # "none of these" is ticked: a blank page is refused
        unknown = wanted - {o.id for o in question.options} - {"aucun", "nsp"}
        assert not unknown, f"{question_id}: options inconnues {unknown}"
        for option_id in [o.id for o in question.options] + ["aucun", "nsp"]:
            page.locator(f"input[name='answer'][value='{option_id}']").set_checked(option_id in wanted)
    elif question.kind == "number" and value == "nsp":
        page.locator("#unknown-0").check()
    elif question.kind == "number":
        text = str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")
        page.locator("#answer-0").fill(text)
    else:
        pytest.fail(f"type de question inattendu : {question.kind}")
    submit(page)


@dataclass
class Walk:
    questions: list[str]
    saw_departement: bool = False
    saw_check: bool = False


def walk_to_result(page: Page, key_id: str, answers: dict, departement: str = "13",
                   start: str | None = "suite", until: str = "orientation") -> Walk:
    """From /cle/<key>/suite (``start=None``: from the current page), answer each page the
    wizard shows: the question id comes from the URL, its answer from ``answers``; pick
    ``departement``, go through the check page, stop on the result page (or on the page
    ``/cle/<key>/<until>``)."""
    if start:
        page.goto(f"/cle/{key_id}/{start}")
    walk = Walk(questions=[])
    prefix = f"/cle/{key_id}"
    for _ in range(MAX_STEPS):
        path = path_of(page)
        if path == f"{prefix}/{until}":
            return walk
        match = re.fullmatch(re.escape(prefix) + r"/q/([^/]+)", path)
        if match:
            question_id = match.group(1)
            if question_id not in answers:
                pytest.fail(f"{key_id} : le navigateur pose « {question_id} », sans réponse dans le "
                            f"scénario (réponses : {sorted(answers)})", pytrace=False)
            walk.questions.append(question_id)
            answer_question(page, key_id, question_id, answers[question_id])
        elif path == f"{prefix}/departement":
            walk.saw_departement = True
            page.locator("select[name='answer']").select_option(departement)
            submit(page)
        elif path == f"{prefix}/verifier":
            walk.saw_check = True
            expect(page.locator("h1")).to_have_text("Vérifier mes réponses")
            with page.expect_navigation():
                page.get_by_role("link", name="Voir l'orientation").click()
        else:
            pytest.fail(f"{key_id} : page inattendue {page.url}", pytrace=False)
    pytest.fail(f"{key_id} : plus de {MAX_STEPS} pages sans atteindre l'orientation", pytrace=False)


def scenario_of_kind(kind: str, key_id: str | None = None) -> tuple[str, str]:
    """(key id, scenario id) of a picked scenario of ``kind`` ("urgent", "referral",
    "not-suggestive"), from ``key_id`` when it has one, else from the first key that has."""
    picked = [(k, s) for k, s, kd in pick_scenarios() if kd == kind and s]
    for k, s in picked:
        if k == key_id:
            return k, s
    return picked[0]


NARROW = {"width": 360, "height": 740}


def assert_no_horizontal_scroll(page: Page, label: str, width: int = NARROW["width"]) -> None:
    """At ``width`` CSS pixels the page must not scroll sideways; name the culprits if it does."""
    if page.viewport_size != {"width": width, "height": NARROW["height"]}:
        page.set_viewport_size({"width": width, "height": NARROW["height"]})
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 0.5)
            .slice(-6).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                 + (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ').join('.') : '')
                 + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)')""", width)
        pytest.fail(f"{label} : défilement horizontal à {width} px (scrollWidth {scroll_width}) ; "
                    f"éléments qui dépassent : {wide}", pytrace=False)
