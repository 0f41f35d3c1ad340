"""Safe under uncertainty: "je ne sais pas" never rules out a red flag and never reassures;
emergencies go to emergency care; the age-band red flags come first.

The properties run over every shipped key and every age band it allows (not a sample); the
web tests run on the tiny fixture rule set, so they do not depend on clinical content.
"""

from __future__ import annotations

import pytest

from orient.core import engine
from orient.core.model import AGE_QUESTION_ID, UNKNOWN
from orient.services.orientation import compose

LAYER = """\
authored_by: Équipe de test
reviewed_on: 2026-01-01
review_due: 2099-01-01
sources:
  - {title: Source de test, url: "https://example.org/source", year: null}
questions:
  - id: alertes-enfant
    kind: multiple
    ages: [enfant]
    text: Avant tout, cet enfant présente-t-il l'un de ces signes d'alerte ?
    options:
      - {id: regression, label: Perte d'acquisitions}
      - {id: hypoglycemie, label: Glycémie basse mesurée aujourd'hui}
outcomes:
  - id: alerte-enf-regression
    when: {answer: alertes-enfant, includes: regression}
    action: emergency
    urgency: urgence
    title: Perte d'acquisitions — avis le jour même
    rationale: Une régression se bilante sans attendre.
    emergency_route: [samu]
    red_flag: {check: Comparer avec le carnet de santé., if_unchecked: Avis neuropédiatrique le jour même.}
scenarios:
  - id: age-enf-regression
    title: Enfant qui perd le langage
    presentation: Un enfant fictif.
    answers: {age_group: enfant, alertes-enfant: [regression]}
    expect: alerte-enf-regression
"""


def unknown(question) -> engine.Value:
    """The "je ne sais pas" answer of a question, whatever its kind."""
    return frozenset({UNKNOWN}) if question.kind == "multiple" else UNKNOWN


def all_unknown(key, band: str) -> engine.State:
    answers: dict[str, engine.Value] = {AGE_QUESTION_ID: band}
    for _ in range(50):
        state = engine.walk(key, answers)
        if state.finished:
            return state
        question = state.next_question
        assert question is not None, (key.id, band, "dead end")
        assert question.offers_unknown or question.id == AGE_QUESTION_ID, (key.id, question.id)
        answers[question.id] = unknown(question)
    raise AssertionError((key.id, band, "walk did not end"))


# --- properties over the shipped rules ------------------------------------------------------------


def test_je_ne_sais_pas_everywhere_never_reassures_in_any_key_or_age_band(ruleset):
    checked = 0
    for key in ruleset.keys.values():
        for band in key.ages:
            state = all_unknown(key, band)
            o = compose(ruleset, state, band, None)
            if state.outcome.action == "monitor":
                # Reassurance is withheld, the open red flags are listed, and the banner is not "surveillance".
                assert state.reassurance_withheld and o.unchecked, (key.id, band)
                assert o.urgency != "surveillance", (key.id, band)
            # Every same-day outcome not settled by a known answer is listed with what to check.
            for outcome in state.unchecked:
                if outcome.urgency == "urgence":
                    flag = next(f for f in o.unchecked if f.outcome is outcome)
                    assert flag.check and flag.if_unchecked and flag.signs, (key.id, band, outcome.id)
            checked += 1
    assert checked >= 60


def test_an_unknown_answer_never_rules_out_an_outcome(ruleset):
    """Random journeys with unknowns mixed in: an outcome found false is false for its known
    answers alone; no "je ne sais pas" is ever the reason it was set aside."""
    import random

    rng = random.Random(2026_12_03)
    for key in ruleset.keys.values():
        for _ in range(20):
            band = rng.choice(key.ages)
            answers: dict[str, engine.Value] = {AGE_QUESTION_ID: band}
            state = engine.walk(key, answers)
            while not state.finished:
                q = state.next_question
                domain = engine.domain(key, q)
                answers[q.id] = unknown(q) if rng.random() < 0.3 else rng.choice(domain)
                state = engine.walk(key, answers)
            why = engine.explain(state)
            for ruled in why.ruled_out:
                if ruled.outcome.action == "monitor":
                    continue
                for reason in ruled.because:
                    value = reason.value
                    unknown_value = value == UNKNOWN or (isinstance(value, frozenset) and UNKNOWN in value)
                    assert not unknown_value, (key.id, ruled.outcome.id, reason.question.id)


def test_emergencies_list_no_centre_and_name_a_route(ruleset):
    emergencies = 0
    for key in ruleset.keys.values():
        for outcome in key.outcomes:
            if outcome.action != "emergency":
                continue
            emergencies += 1
            assert outcome.emergency_route and not outcome.centres and not outcome.centre_types, (key.id, outcome.id)
            assert all(ruleset.resources[r].kind == "urgence" for r in outcome.emergency_route)
    assert emergencies >= 40


def test_age_band_red_flags_come_first_for_the_bands_they_are_written_for(ruleset):
    layer = ruleset.age_alerts
    assert layer is not None
    for key in ruleset.keys.values():
        for band in key.ages:
            first = engine.walk(key, {AGE_QUESTION_ID: band}).next_question
            expected = f"alertes-{band}"
            if any(q.id == expected for q in layer.questions):
                assert first is not None and first.id == expected, (key.id, band)
            else:
                assert first is None or not first.id.startswith("alertes-"), (key.id, band)


def test_shared_red_flag_scenarios_run_on_every_key_of_their_band(ruleset):
    from orient.services.scenarios import run_all

    shared = [r for r in run_all(ruleset) if "--" in r.scenario.id]
    newborn_keys = [k for k in ruleset.keys.values() if "nouveau-ne" in k.ages]
    assert len([r for r in shared if r.scenario.id.startswith("age-nn-convulsions--")]) == len(newborn_keys)
    assert all(r.passed for r in shared), [r.problem for r in shared if not r.passed][:3]


# --- the wizard, on the tiny fixture rules ---------------------------------------------------------


@pytest.fixture
def app(make_rules, make_app):
    """The conftest ``client`` serves this app: the tiny rules with the age alert layer."""
    return make_app(make_rules({"alertes-age.yaml": LAYER}), WTF_CSRF_ENABLED=False)


def post(client, question: str, value, key: str = "mini"):
    return client.post(f"/cle/{key}/q/{question}", data={"answer": value})


def test_unknown_red_flag_shows_the_check_block_on_result_print_and_letter(client, text):
    post(client, "age_group", "adulte")
    post(client, "alerte", "nsp")
    post(client, "signes", ["aucun"])
    result = text(client.get("/cle/mini/orientation"))
    assert "À vérifier aujourd'hui : 1 signe d'alerte non vérifié" in result
    assert "Rechercher le signe d'alerte à l'examen." in result and "Avis le jour même." in result
    assert "Pas de conclusion rassurante possible" in result
    assert "écartée car" not in result or "Urgence de test — écartée" not in result
    printed = text(client.get("/cle/mini/imprimer"))
    assert "À vérifier aujourd'hui" in printed
    letter = printed[printed.index("Courrier d'adressage"):]
    assert "Non vérifié à ce jour : " in letter and "Urgence de test" in letter.split("Non vérifié à ce jour : ")[1]
    assert "aucune conclusion rassurante à ce stade" in printed


def test_a_known_no_lets_the_default_reassure(client, text):
    post(client, "age_group", "adulte")
    post(client, "alerte", "non")
    post(client, "signes", ["aucun"])
    result = text(client.get("/cle/mini/orientation"))
    assert "À vérifier aujourd'hui" not in result and "Pas de conclusion rassurante" not in result
    assert "Surveillance" in result


def test_an_emergency_shows_its_route_and_no_centre_list(client, text):
    post(client, "age_group", "adulte")
    post(client, "alerte", "oui")
    client.post("/cle/mini/departement", data={"answer": "75"})
    result = text(client.get("/cle/mini/orientation"))
    assert "Où adresser aujourd'hui" in result and "SAMU – centre 15" in result
    assert "Où adresser : centres experts" not in result
    assert "Ensuite, une fois l'urgence prise en charge" in result


def test_a_blank_multiple_choice_page_is_not_none(client, text):
    post(client, "age_group", "adulte")
    post(client, "alerte", "non")
    response = client.post("/cle/mini/q/signes", data={})
    assert response.status_code == 400
    assert "Cochez les signes présents, ou « Aucun de ces signes »" in text(response)
    assert post(client, "signes", ["aucun", "signe-a"]).status_code == 400
    page = text(client.get("/cle/mini/q/signes"))
    assert "Aucun de ces signes" in page and "Je ne sais pas, ou pas recherché" in page


def test_unticked_signs_beside_je_ne_sais_pas_stay_open(client, text):
    post(client, "age_group", "adulte")
    post(client, "alerte", "non")
    assert post(client, "signes", ["signe-b", "nsp"]).status_code == 303
    assert post(client, "dep", "75").status_code == 303
    result = text(client.get("/cle/mini/orientation"))
    assert "Pistes non écartées faute de réponse" in result and "Signe A" in result


def test_the_age_layer_is_asked_first_for_its_band_only(client, text):
    assert post(client, "age_group", "enfant").headers["Location"] == "/cle/mini/q/alertes-enfant"
    assert post(client, "alertes-enfant", ["regression"]).headers["Location"] == "/cle/mini/orientation"
    result = text(client.get("/cle/mini/orientation"))
    assert "Perte d'acquisitions — avis le jour même" in result and "Où adresser : centres experts" not in result
    assert "Source de test (s. d.)" in result  # the layer's own sources, and no guessed year
    other = client.application.test_client()
    assert post(other, "age_group", "adulte").headers["Location"] == "/cle/mini/q/alerte"


def test_the_emergency_route_fits_the_patients_age(ruleset):
    """Paediatric emergencies and the UAPED for a child, the adult emergency department for an
    adult: a route listing both shows each patient only the door that takes them."""
    checked = 0
    for key in ruleset.keys.values():
        for outcome in key.outcomes:
            if outcome.action != "emergency":
                continue
            for band in key.ages:
                answers = {AGE_QUESTION_ID: band}
                state = engine.State(key, (AGE_QUESTION_ID,), answers, outcome, None, ())
                route = compose(ruleset, state, band, None).emergency_route
                assert all(r.serves(band) for r in route), (key.id, outcome.id, band)
                if band == "adulte":
                    assert "urgences-pediatriques" not in {r.id for r in route}
                checked += 1
    assert checked > 50
