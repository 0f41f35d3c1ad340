"""A whole journey in Chromium for every shipped key: one urgent (when the key has one), one
referral and one not-suggestive scenario each, from /cle/<key>/suite to the result page."""

from __future__ import annotations

import pytest
from browser_journey import RULES, outcome_for, pick_scenarios, scenario_answers, walk_to_result
from playwright.sync_api import expect

from orient import engine
from orient.scenarios import typed_answers

pytestmark = pytest.mark.browser

PICKED = pick_scenarios()


def test_every_shipped_key_is_walked():
    walked = {key_id for key_id, _, _ in PICKED}
    assert walked == set(RULES.keys)


@pytest.mark.parametrize(
    ("key_id", "scenario_id", "kind"),
    PICKED,
    ids=[f"{k}-{kind}-{s or 'MANQUANT'}" for k, s, kind in PICKED])
def test_scenario_journey(page, key_id, scenario_id, kind, orient_rules):
    if not scenario_id:
        pytest.fail(f"{key_id} : aucun scénario « {kind} » dans rules/scenarios/{key_id}.yaml")
    outcome = outcome_for(key_id, scenario_id)
    departement = "13" if (sorted(RULES.keys).index(key_id) + len(kind)) % 2 else "nsp"

    walk = walk_to_result(page, key_id, scenario_answers(key_id, scenario_id), departement)

    key = orient_rules.keys[key_id]
    state = engine.walk(key, typed_answers(orient_rules, key, scenario_answers(key_id, scenario_id)))
    if state.reassurance_withheld:  # "je ne sais pas" left something open: no reassurance
        expect(page.locator(".outcome-title")).to_contain_text("Pas de conclusion rassurante possible")
        expect(page.locator(".unchecked").first).to_be_visible()
    else:
        expect(page.locator(".outcome-title")).to_have_text(key.outcome(outcome.id).title)
    # The wizard's documented shortcuts: an emergency skips the département and the check page
    # (no centre to pick), "monitor" needs no département; every other outcome goes through both.
    assert walk.saw_departement == (outcome.action not in ("monitor", "emergency")), walk
    assert walk.saw_check == (outcome.action != "emergency"), walk
    assert walk.questions[0] == "age_group"
    if departement == "13" and outcome.action not in ("monitor", "emergency"):
        expect(page.locator(".caption")).to_contain_text("13")
