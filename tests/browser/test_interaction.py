"""Keyboard-only, JavaScript-less, Back/refresh and 360 px journeys in Chromium."""

from __future__ import annotations

import pytest
from browser_journey import (
    NARROW,
    RULES,
    answer_question,
    assert_no_horizontal_scroll,
    outcome_for,
    path_of,
    scenario_answers,
    scenario_of_kind,
    submit,
    walk_to_result,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

KEY = "raynaud" if "raynaud" in RULES.keys else sorted(RULES.keys)[0]
MAX_TABS = 80


def _focused(page: Page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), type: e.type || '', name: e.name || '', value: e.value || '',
                text: (e.innerText || '').trim(), href: e.getAttribute('href') || ''}; }""")


def tab_to(page: Page, matches, what: str) -> dict:
    """Press Tab until the focused element satisfies ``matches``; fail after MAX_TABS."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if matches(focused):
            return focused
    pytest.fail(f"{what} : inatteignable au clavier en {MAX_TABS} tabulations ({page.url})", pytrace=False)


def press_and_wait(page: Page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def keyboard_answer(page: Page, key_id: str, question_id: str, value) -> None:
    question = RULES.keys[key_id].question(question_id)
    if question.kind in ("yes_no", "single"):
        # A radio group is one Tab stop; Space checks the focused radio, and the arrow keys
        # (the standard radio-group keys) move the choice within the group.
        tab_to(page, lambda f: f["type"] == "radio", f"{question_id} : groupe de boutons radio")
        page.keyboard.press("Space")
        for _ in range(len(question.choice_ids)):
            if _focused(page)["value"] == value:
                break
            page.keyboard.press("ArrowDown")
        assert _focused(page)["value"] == value
        expect(page.locator(f"input[name='answer'][value='{value}']")).to_be_checked()
    elif question.kind == "multiple":
        for option_id in value:
            tab_to(page, lambda f, o=option_id: f["type"] == "checkbox" and f["value"] == o,
                   f"{question_id} : case « {option_id} »")
            page.keyboard.press("Space")
            expect(page.locator(f"input[name='answer'][value='{option_id}']")).to_be_checked()
    elif question.kind == "number":
        tab_to(page, lambda f: f["name"] == "answer", f"{question_id} : champ numérique")
        page.keyboard.type(str(int(value)) if float(value).is_integer() else str(value))
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Continuer", "bouton Continuer")
    press_and_wait(page, "Enter")


def test_keyboard_only_journey(page):
    """Tab to reach each control, Space to check, Enter to follow links and submit: no click."""
    key_id, scenario_id = scenario_of_kind("referral", KEY)
    answers = scenario_answers(key_id, scenario_id)
    prefix = f"/cle/{key_id}"
    page.goto(prefix)
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] in ("Commencer", "Reprendre"), "lien Commencer")
    press_and_wait(page, "Enter")
    # The skip link is the first Tab stop and moves focus into <main>.
    focused = tab_to(page, lambda f: f["tag"] == "a", "lien d'évitement")
    assert focused["href"] == "#contenu", focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "contenu"
    for _ in range(40):
        path = path_of(page)
        if path.startswith(f"{prefix}/q/"):
            question_id = path.rsplit("/", 1)[1]
            assert question_id in answers, f"question {question_id} absente du scénario"
            keyboard_answer(page, key_id, question_id, answers[question_id])
        elif path == f"{prefix}/departement":
            tab_to(page, lambda f: f["tag"] == "select", "liste des départements")
            page.keyboard.type("13")  # type-ahead on the focused select
            assert page.locator("select[name='answer']").input_value() == "13"
            tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Continuer", "bouton Continuer")
            press_and_wait(page, "Enter")
        elif path == f"{prefix}/verifier":
            tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Voir l'orientation", "lien Voir l'orientation")
            press_and_wait(page, "Enter")
        elif path == f"{prefix}/orientation":
            break
        else:
            pytest.fail(f"page inattendue {page.url}")
    else:
        pytest.fail("orientation jamais atteinte")
    expect(page.locator(".outcome-title")).to_have_text(outcome_for(key_id, scenario_id).title)


def test_keyboard_error_summary_takes_focus(page):
    page.goto(f"/cle/{KEY}/suite")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Continuer", "bouton Continuer")
    press_and_wait(page, "Enter")
    assert page.evaluate("() => document.activeElement.id") == "erreurs"
    # The summary's link leads to the first choice.
    tab_to(page, lambda f: f["tag"] == "a" and f["href"].startswith("#answer"), "lien du récapitulatif d'erreurs")
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#answer-0"


def test_journey_without_javascript(new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    key_id, scenario_id = scenario_of_kind("referral", KEY)
    page.goto("/")
    # Server-side filter of the home page.
    page.locator("#filtre").fill(RULES.keys[key_id].title.split()[0])
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("link", name=RULES.keys[key_id].title, exact=True)).to_be_visible()
    walk = walk_to_result(page, key_id, scenario_answers(key_id, scenario_id), "nsp")
    assert walk.saw_departement and walk.saw_check
    expect(page.locator(".outcome-title")).to_have_text(outcome_for(key_id, scenario_id).title)
    # An empty answer still gets its error summary (server-rendered).
    page.goto(f"/cle/{key_id}/q/age_group")
    page.locator("input[name='answer']:checked").evaluate("e => e.checked = false")
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()


def test_back_and_refresh_mid_journey(page):
    key_id, other_id = scenario_of_kind("referral", KEY)
    other = scenario_answers(key_id, other_id)
    prefix = f"/cle/{key_id}"
    page.goto(f"{prefix}/suite")
    # Answer two questions the way the referral scenario does.
    assert path_of(page) == f"{prefix}/q/age_group"
    answer_question(page, key_id, "age_group", other["age_group"])
    second = path_of(page).rsplit("/", 1)[1]
    answer_question(page, key_id, second, other[second])
    assert path_of(page) != f"{prefix}/q/{second}"

    # Back: the previous question, with its answer checked.
    page.go_back()
    assert path_of(page) == f"{prefix}/q/{second}"
    checked = page.locator("input[name='answer']:checked")
    expected = sorted(other[second]) if isinstance(other[second], (list, tuple)) else [other[second]]
    assert sorted(checked.evaluate_all("els => els.map(e => e.value)")) == expected
    # Refresh on a question page: a plain GET (POST answers redirect), the answer still there.
    response = page.reload()
    assert response is not None and response.request.method == "GET" and response.status == 200
    assert path_of(page) == f"{prefix}/q/{second}"
    assert sorted(checked.evaluate_all("els => els.map(e => e.value)")) == expected

    # Change it to another scenario's answer (same age band) and carry on to its outcome.
    changed = next(s for s in RULES.scenarios[key_id]
                   if s.answers.get("age_group") == other["age_group"]
                   and second in s.answers and s.answers[second] != other[second])
    answer_question(page, key_id, second, changed.answers[second])
    response = page.reload()
    assert response is not None and response.request.method == "GET" and response.ok
    walk_to_result(page, key_id, dict(changed.answers), "13", start=None)
    expect(page.locator(".outcome-title")).to_have_text(outcome_for(key_id, changed.id).title)


@pytest.mark.parametrize("where", ["accueil", "question", "orientation"])
def test_usable_at_360px(new_context, where):
    page = new_context(viewport=NARROW).new_page()
    if where == "accueil":
        page.goto("/")
    elif where == "question":
        key_id, scenario_id = scenario_of_kind("not-suggestive", KEY)
        answers = scenario_answers(key_id, scenario_id)
        page.goto(f"/cle/{key_id}/suite")
        assert_no_horizontal_scroll(page, "question (âge)")
        answer_question(page, key_id, "age_group", answers["age_group"])
    else:
        key_id, scenario_id = scenario_of_kind("referral", KEY)
        walk_to_result(page, key_id, scenario_answers(key_id, scenario_id), "13")
        expect(page.locator(".centre").first).to_be_visible()  # the widest content: centre cards
    assert_no_horizontal_scroll(page, f"{where} ({page.url})")
