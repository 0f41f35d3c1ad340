"""The consultation flow (orient/core/consultation.py): one pure object knows the steps, their
order, where the consultation stands, what may be visited and what was dropped. Built on the
small fixture key ``mini`` (tests/fixtures/base): alerte (yes/no) -> signes (checklist) ->
dep (the key's own département question, asked when signe B is ticked)."""

from __future__ import annotations

import pytest

from orient.core.consultation import CHECK, DEPARTEMENT, INTRO, RESULT, Consultation, Step
from orient.core.model import AGE_QUESTION_ID


@pytest.fixture(scope="module")
def key(base_ruleset):
    return base_ruleset.keys["mini"]


def step_id(step: Step) -> str:
    return step.question_id or step.kind


def test_the_age_band_comes_first_and_nothing_is_on_the_path_before_it(key):
    c = Consultation(key, {"alerte": "non"})
    assert step_id(c.next_step) == AGE_QUESTION_ID
    assert c.path == () and c.dropped == () and c.all_answers == {}
    assert not c.can_visit(Step("question", key.question("alerte")))
    assert c.can_visit(Step("question", key.question(AGE_QUESTION_ID)))
    assert c.previous(c.next_step) == INTRO


def test_questions_follow_the_engine_then_the_departement_for_a_referral_then_the_check_page(key):
    c = Consultation(key, {}, "adulte")
    assert step_id(c.next_step) == "alerte"
    c = c.answer("alerte", "non")
    assert step_id(c.next_step) == "signes"
    c = c.answer("signes", frozenset({"signe-a"}))
    assert c.decided and c.outcome.id == "adresser" and c.asks_departement
    assert c.next_step == DEPARTEMENT
    assert c.locate("75").next_step == CHECK
    assert c.locate("nsp").next_step == CHECK  # "je préfère ne pas l'indiquer" is an answer
    assert c.path == (AGE_QUESTION_ID, "alerte", "signes")
    assert c.position(Step("question", key.question("signes"))) == (3, len(key.questions) + 1)


def test_an_emergency_goes_straight_to_the_result(key):
    c = Consultation(key, {"alerte": "oui"}, "enfant")
    assert c.outcome.id == "urgent" and not c.asks_departement
    assert c.next_step == RESULT


def test_a_reassuring_outcome_asks_no_departement(key):
    c = Consultation(key, {"alerte": "non", "signes": frozenset()}, "adulte")
    assert c.outcome.id == "surveiller" and c.next_step == CHECK


def test_back_walks_the_path_and_the_departement_goes_back_to_the_last_question(key):
    c = Consultation(key, {"alerte": "non", "signes": frozenset({"signe-a"})}, "adulte")
    assert step_id(c.previous(Step("question", key.question("signes")))) == "alerte"
    assert step_id(c.previous(Step("question", key.question("alerte")))) == AGE_QUESTION_ID
    assert step_id(c.previous(DEPARTEMENT)) == "signes"


def test_a_changed_answer_drops_what_fell_off_the_path(key):
    c = Consultation(key, {"alerte": "non", "signes": frozenset({"signe-b"}), "dep": "69"}, "adulte")
    assert c.path[-1] == "dep" and c.outcome.id == "adresser"
    changed = c.answer("alerte", "oui")
    assert changed.outcome.id == "urgent"
    assert set(changed.dropped) == {"signes", "dep"}
    assert changed.kept_answers == {"alerte": "oui"}
    assert not changed.can_visit(Step("question", key.question("signes")))


def test_of_reads_the_age_band_from_one_mapping_as_api_bodies_and_replay_links_give_it(key):
    c = Consultation.of(key, {AGE_QUESTION_ID: "adulte", "alerte": "non"})
    assert c.age_group == "adulte" and c.answers == {"alerte": "non"}
    assert c.all_answers == {AGE_QUESTION_ID: "adulte", "alerte": "non"}


def test_rows_read_the_path_back_in_words(key, base_ruleset):
    c = Consultation(key, {"alerte": "non"}, "adulte")
    rows = c.rows(base_ruleset.departement_names)
    assert [r.question_id for r in rows] == [AGE_QUESTION_ID, "alerte"]
    assert rows[1].answer == "Non"


def test_the_result_and_check_pages_open_only_once_decided(key):
    open_ = Consultation(key, {"alerte": "non"}, "adulte")
    assert not open_.can_visit(CHECK) and not open_.can_visit(RESULT) and not open_.can_visit(DEPARTEMENT)
    done = open_.answer("signes", frozenset())
    assert done.can_visit(CHECK) and done.can_visit(RESULT)


def test_the_check_page_reads_back_the_age_band_first_then_the_path():
    """Through the wizard, on the fixture rules: the age row must not be lost on the way."""
    from pathlib import Path

    from orient.web import create_app

    app = create_app({"SECRET_KEY": "k" * 32, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "RULES_DIR": str(Path(__file__).resolve().parent / "fixtures" / "base")})
    client = app.test_client()
    for qid, data in (("age_group", {"answer": "adulte"}), ("alerte", {"answer": "non"}),
                      ("signes", {"answer": "aucun"})):
        assert client.post(f"/cle/mini/q/{qid}", data=data).status_code == 303
    # Pages carry French no-break spaces (orient/services/typography.py): compare as a reader reads.
    page = " ".join(client.get("/cle/mini/verifier").get_data(as_text=True).split())
    assert "Quel âge a le patient ?" in page and "Adulte" in page
    assert page.index("Quel âge a le patient ?") < page.index("Y a-t-il un signe d")
