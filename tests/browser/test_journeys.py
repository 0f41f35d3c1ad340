"""A whole journey in Chromium for every shipped key, from /cle/<key>/suite to the result page:
one scenario per key, its kind (urgent, referral, not-suggestive) turning from key to key. Every
scenario of every key also goes through the wizard over HTTP (tests/test_web.py), and every key
has the three kinds of scenario (tests/test_rules_content.py)."""

from __future__ import annotations

import pytest
from browser_journey import KINDS, RULES, one_journey_per_key, outcome_for, scenario_answers, walk_to_result
from playwright.sync_api import expect

from orient.core import engine
from orient.services.scenarios import typed_answers

pytestmark = pytest.mark.browser

PICKED = one_journey_per_key()


def test_every_shipped_key_is_walked_and_every_kind_too():
    assert {key_id for key_id, _, _ in PICKED} == set(RULES.keys)
    assert {kind for _, _, kind in PICKED} == set(KINDS)


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
