"""Reference values as data (#18): the model, the words (orient.core.thresholds), the question page and
the printed answers. The checks' diagnostics are golden fixtures (seuil-*.yaml); the shipped
rules' figures are tested here too (every threshold renders, for every band it is written for)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orient.core import thresholds
from orient.core.consultation import describe_answers
from orient.core.model import AGE_QUESTION_ID, Key, Question, Threshold
from orient.core.thresholds import NBSP, NNBSP

SOURCE = "https://example.org/source"


def threshold(**kwargs) -> Threshold:
    data = {"measure": "CPK", "comparator": "gt", "value": 500, "unit": "UI/L",
            "population": {"ages": ["adulte"]}, "source": SOURCE}
    data.update(kwargs)
    return Threshold.model_validate(data)


def cpk_figures() -> list[Threshold]:
    relative = "1,5 × la limite supérieure de la normale"
    return [
        threshold(value=500, relative=relative, population={"ages": ["adulte"], "sex": "homme"}),
        threshold(value=300, relative=relative, population={"ages": ["adulte"], "sex": "femme"}),
        threshold(value=1200, relative=relative,
                  population={"ages": ["adulte"], "sex": "homme", "ethnicity": "ascendance africaine"}),
        threshold(value=620, relative=relative,
                  population={"ages": ["adulte"], "sex": "femme", "ethnicity": "ascendance africaine"}),
    ]


@pytest.mark.parametrize(("value", "text"), [
    (2.8, "2,8"), (500, "500"), (500.0, "500"), (0.5, "0,5"), (1200, f"1{NNBSP}200"),
    (12000.5, f"12{NNBSP}000,5"), (3.33, "3,33"),
])
def test_numbers_in_french(value, text):
    assert thresholds.number(value) == text


def test_unit_after_a_no_break_space_and_equivalent_unit():
    t = threshold(measure="Glycémie", comparator="lt", value=2.8, unit="mmol/L", also="0,50 g/L")
    assert thresholds.quantity(t) == f"2,8{NBSP}mmol/L (0,50 g/L)"
    assert thresholds.line([t]) == f"Glycémie <{NBSP}2,8{NBSP}mmol/L (0,50 g/L)"


def test_figures_by_sex_and_ethnicity_on_one_line():
    (text,) = thresholds.lines(cpk_figures(), "adulte")
    assert text == (f"CPK >{NBSP}1,5 × la limite supérieure de la normale, soit environ 500{NBSP}UI/L chez un homme, "
                    f"300{NBSP}UI/L chez une femme (ascendance africaine : environ 1{NNBSP}200{NBSP}UI/L chez un "
                    f"homme, 620{NBSP}UI/L chez une femme)")


def test_only_the_patients_age_band():
    figures = [
        threshold(measure="Hémoglobine", comparator="lt", value=11, unit="g/dL", population={"ages": ["enfant"]}),
        threshold(measure="Hémoglobine", comparator="lt", value=13, unit="g/dL",
                  population={"ages": ["adulte"], "sex": "homme"}),
        threshold(measure="Hémoglobine", comparator="lt", value=12, unit="g/dL",
                  population={"ages": ["adulte"], "sex": "femme"}),
    ]
    assert thresholds.lines(figures, "enfant") == (f"Hémoglobine <{NBSP}11{NBSP}g/dL",)
    assert thresholds.lines(figures, "adulte") == (
        f"Hémoglobine <{NBSP}13{NBSP}g/dL chez un homme, 12{NBSP}g/dL chez une femme",)
    assert thresholds.lines(figures, "nourrisson") == ()
    assert len(thresholds.lines(figures, None)) == 1  # band unknown: every figure, still one rule


def test_detail_and_meaning_make_separate_lines():
    figures = [
        threshold(measure="Glycémie", comparator="lt", value=2.8, unit="mmol/L",
                  population={"ages": ["nouveau-ne"], "detail": "avant 72 heures de vie"}),
        threshold(measure="Glycémie", comparator="lt", value=3.3, unit="mmol/L",
                  population={"ages": ["nouveau-ne"], "detail": "à partir de 72 heures de vie"}),
        threshold(measure="QTc", comparator="ge", value=480, unit="ms", population={"ages": ["nouveau-ne"]},
                  meaning="QT long"),
    ]
    assert thresholds.lines(figures, "nouveau-ne") == (
        f"Avant 72 heures de vie : Glycémie <{NBSP}2,8{NBSP}mmol/L",
        f"À partir de 72 heures de vie : Glycémie <{NBSP}3,3{NBSP}mmol/L",
        f"QTc ≥{NBSP}480{NBSP}ms — QT long",
    )


def test_source_is_a_url_or_a_whole_source():
    assert threshold().source_url == SOURCE
    own = threshold(source={"title": "Référence", "url": "https://example.org/autre", "year": 2020})
    assert own.source_url == "https://example.org/autre"
    with pytest.raises(ValidationError):
        threshold(source={"title": "Référence", "url": "https://example.org/autre"})  # year: null or a year
    with pytest.raises(ValidationError):
        threshold(comparator="au-dessus")


def _key(**question) -> Key:
    q = {"id": "cpk", "kind": "single", "text": "Résultat des CPK ?", "options": [
        {"id": "elevees", "label": "Élevées", "thresholds": [t.model_dump(exclude_none=True) for t in cpk_figures()]},
        {"id": "normales", "label": "Normales"}, {"id": "nsp", "label": "Non dosées"}]}
    q.update(question)
    return Key.model_validate({
        "id": "k", "title": "K", "system": "muscle", "ages": ["enfant", "adulte"], "summary": "S",
        "authored_by": "A", "reviewed_on": "2026-01-01", "review_due": "2099-01-01",
        "sources": [{"title": "S", "url": SOURCE, "year": 2024}], "questions": [q],
        "outcomes": [{"id": "d", "default": True, "action": "monitor", "urgency": "surveillance", "title": "T",
                      "rationale": "R", "reevaluate_if": "E"}]})


def test_question_and_option_figures():
    key = _key(thresholds=[threshold(measure="Note", value=1, unit="UI/L", population={"ages": ["enfant"]})
                           .model_dump(exclude_none=True)])
    question: Question = key.questions[0]
    assert thresholds.for_question(question, "enfant") == (f"Note >{NBSP}1{NBSP}UI/L",)
    assert thresholds.for_question(question, "adulte") == ()
    assert list(thresholds.for_options(question, "adulte")) == ["elevees"]
    assert thresholds.for_options(question, "enfant") == {}
    assert thresholds.for_answer(question, "normales", "adulte") == ()
    assert thresholds.for_answer(question, "elevees", "adulte")[0].startswith("CPK >")


def test_printed_answers_carry_the_figures_for_the_age_band():
    key = _key()
    rows = describe_answers(key, {AGE_QUESTION_ID: "adulte", "cpk": "elevees"}, [AGE_QUESTION_ID, "cpk"], {})
    assert rows[0].reference == ()
    assert "500" in rows[1].reference[0]
    rows = describe_answers(key, {AGE_QUESTION_ID: "enfant", "cpk": "elevees"}, ["cpk"], {})
    assert rows[0].reference == ()


# --- The question page ------------------------------------------------------------------

THRESHOLD_KEY = """\
id: seuils
title: Clé avec valeurs de référence
system: muscle
ages: [enfant, adulte]
summary: Une clé de test.
authored_by: Équipe de test
reviewed_on: 2026-01-01
review_due: 2099-01-01
sources:
  - {title: Source de test, url: "https://example.org/source", year: 2024}
questions:
  - id: cpk
    kind: single
    text: Que donnent les CPK ?
    thresholds:
      - {measure: CPK, comparator: gt, value: 350, unit: UI/L, population: {ages: [enfant]},
         source: "https://example.org/source"}
      - {measure: CPK, comparator: gt, value: 500, unit: UI/L, population: {ages: [adulte], sex: homme},
         relative: "1,5 × la normale", source: "https://example.org/source"}
      - {measure: CPK, comparator: gt, value: 300, unit: UI/L, population: {ages: [adulte], sex: femme},
         relative: "1,5 × la normale", source: "https://example.org/source"}
    options:
      - id: elevees
        label: Élevées
        thresholds:
          - {measure: CPK, comparator: gt, value: 1700, unit: UI/L, population: {ages: [adulte, enfant]},
             relative: "5 × la normale", source: "https://example.org/source"}
      - {id: normales, label: Normales}
      - {id: nsp, label: Non dosées}
outcomes:
  - id: a-surveiller
    when: {answer: cpk, is: elevees}
    action: monitor
    urgency: surveillance
    title: Surveiller de près
    rationale: Le résultat demande une surveillance rapprochée.
    reevaluate_if: Aggravation.
  - id: rien
    default: true
    action: monitor
    urgency: surveillance
    title: Rien de particulier
    rationale: Rien n'oriente vers une maladie rare.
    reevaluate_if: Nouveau signe.
"""


@pytest.fixture()
def threshold_app(make_app, make_rules):
    """The tiny valid rule set plus a key whose question and option carry figures."""
    return make_app(make_rules({"keys/seuils.yaml": THRESHOLD_KEY}), WTF_CSRF_ENABLED=False)


# The page text folds every space, no-break ones included (the figures are tested above).
def _page(app, age: str, text) -> str:
    client = app.test_client()
    assert client.post(f"/cle/seuils/q/{AGE_QUESTION_ID}", data={"answer": age}).status_code == 303
    response = client.get("/cle/seuils/q/cpk")
    assert response.status_code == 200
    return text(response)


def test_question_page_shows_the_figure_for_the_age_band(threshold_app, text):
    adult = _page(threshold_app, "adulte", text)
    assert "Valeurs de référence pour cet âge" in adult
    assert "soit environ 500 UI/L chez un homme, 300 UI/L chez une femme" in adult
    assert "350 UI/L" not in adult
    assert "Élevées — CPK > 5 × la normale, soit environ 1 700 UI/L" in adult
    child = _page(threshold_app, "enfant", text)  # same path, same answers: another page (cache keyed by age)
    assert "CPK > 350 UI/L" in child
    assert "chez un homme" not in child


def test_printed_answers_and_letter_show_the_figure(threshold_app, text):
    client = threshold_app.test_client()
    client.post(f"/cle/seuils/q/{AGE_QUESTION_ID}", data={"answer": "adulte"})
    client.post("/cle/seuils/q/cpk", data={"answer": "elevees"})
    page = text(client.get("/cle/seuils/imprimer"))
    assert "(valeurs de référence : CPK > 1,5 × la normale, soit environ 500 UI/L" in page


# --- The shipped rules --------------------------------------------------------------------


def test_shipped_thresholds_render_for_every_band_they_are_written_for(ruleset):
    seen = 0
    for key in ruleset.keys.values():
        for question in key.questions:
            for t in (*question.thresholds, *(t for o in question.options for t in o.thresholds)):
                seen += 1
                assert t.unit and t.population and t.population.ages, (key.id, question.id, t.measure)
                for band in t.population.ages:
                    found = thresholds.for_answer(question, tuple(o.id for o in question.options), band)
                    assert any(t.measure in line for line in found), (key.id, question.id, band)
    assert seen >= 20
