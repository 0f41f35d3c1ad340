"""The shipped knowledge base: loads cleanly, governed, tested, and wide enough."""

from __future__ import annotations

import datetime as dt

from orient.authoring import coverage
from orient.core import age_alerts
from orient.core.ruleset import load

MIN_KEYS = 30
FILIERES = 23


def test_shipped_rules_load_without_error(rules_dir):
    loaded, diags = load(rules_dir)
    errors = [d.format() for d in diags if d.is_error]
    assert errors == []
    assert loaded is not None


def test_shipped_rules_have_no_unexpected_warning(rules_dir):
    """Reviews falling due is normal life; missing scenarios are tested below. Options that can
    never change a result (OPTION_INUTILE) and PNDS without a year are content under review
    (#18): listed by ``orient check``, tested on fixtures in test_links.py."""
    _, diags = load(rules_dir)
    known = ("REVISION_DEPASSEE", "SCENARIO_MANQUANT", "OPTION_INUTILE", "PNDS_SANS_ANNEE")
    unexpected = [d.format() for d in diags if d.code not in known]
    assert unexpected == []


def test_every_key_is_governed(ruleset):
    for key in ruleset.keys.values():
        assert key.sources, key.id
        assert key.authored_by.strip(), key.id
        assert key.reviewed_on <= key.review_due, key.id
        assert key.reviewed_on <= dt.date.today() + dt.timedelta(days=1), f"{key.id}: relecture dans le futur"
        for source in key.sources:
            assert source.url.startswith("https://") or source.url.startswith("http://"), key.id


def test_every_referring_outcome_has_a_scenario(ruleset):
    missing = []
    for key in ruleset.keys.values():
        expected = {s.expect for s in ruleset.scenarios.get(key.id, ())}
        missing += [f"{key.id} → {o.id}" for o in key.outcomes if o.action != "monitor" and o.id not in expected]
    assert missing == []


def test_every_key_has_a_referral_and_a_not_suggestive_case_of_its_own(ruleset):
    """The journeys a GP most often walks, written for the key itself (the shared age-band
    cases "<case>--<key>" do not count): the browser journeys pick from them."""
    missing = []
    for key in ruleset.keys.values():
        actions = {key.outcome(s.expect).action for s in ruleset.scenarios.get(key.id, ())
                   if age_alerts.shared_case(s.id) is None}
        if not actions & {"refer", "test_then_refer"}:
            missing.append(f"{key.id} : aucun scénario qui oriente")
        if "monitor" not in actions:
            missing.append(f"{key.id} : aucun scénario non évocateur (surveillance)")
    assert missing == []


def test_every_key_has_a_case_of_its_own_for_each_age_band_it_serves(ruleset):
    """Issue 19: a scenario for each age band a key serves, written for the key (the shared
    age-band cases "<case>--<key>" do not count); orient coverage lists the gaps."""
    assert coverage.compute(ruleset).key_bands_without_scenario == ()


def test_every_key_has_scenarios(ruleset):
    for key in ruleset.keys.values():
        assert ruleset.scenarios.get(key.id), f"{key.id} sans scénario"


def test_outcomes_reference_known_things(ruleset):
    for key in ruleset.keys.values():
        for outcome in key.outcomes:
            if outcome.filiere:
                assert outcome.filiere in ruleset.filieres
            for cid in outcome.centres:
                assert ruleset.centres[cid].filiere == outcome.filiere, f"{key.id}/{outcome.id}: {cid}"
            for pid in outcome.pnds:
                assert pid in ruleset.pnds


def test_knowledge_base_coverage(ruleset):
    """Content target: at least 30 keys, and all 23 filières reached by some outcome."""
    report = coverage.compute(ruleset)
    assert len(ruleset.filieres) == FILIERES
    assert len(ruleset.keys) >= MIN_KEYS, f"{len(ruleset.keys)} clés seulement"
    assert report.unreached_filieres == (), f"filières non atteintes : {report.unreached_filieres}"


def test_orpha_codes_checked_against_orphanet_stay_fixed(ruleset):
    # Checked on 2026-11-30 against Orphanet's nomenclature as quoted in public sources. The
    # Sjögren entry had carried ORPHA:289, which is Ellis-van Creveld syndrome.
    assert ruleset.pnds["sjogren"].orpha == (289390,)
    assert 289 not in {code for p in ruleset.pnds.values() for code in p.orpha}
