"""The decision map (orient.exports.graph): well-formed, accessible SVG naming every question and outcome
of every shipped key, conditions in readable French, escaping of YAML labels, and the CLI."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from orient.authoring.cli import main
from orient.core.model import AGE_QUESTION, URGENCY_LABELS
from orient.core.ruleset import load_or_raise
from orient.exports import graph

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = load_or_raise(ROOT / "rules")
SVG = "{http://www.w3.org/2000/svg}"


def squash(value: str) -> str:
    return " ".join(value.split())


def group_text(group: ET.Element) -> str:
    """The visible text of a group: its <text> lines joined (wrapping only splits at spaces)."""
    return squash(" ".join("".join(t.itertext()) for t in group.iter(f"{SVG}text")))


@pytest.mark.parametrize("key_id", sorted(SHIPPED.keys))
def test_every_key_renders_valid_accessible_svg_naming_everything(key_id):
    key = SHIPPED.keys[key_id]
    svg = graph.render_svg(key, {f.id: f.acronym for f in SHIPPED.filieres.values()})
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG}svg"
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == title.get("id") and key.title in title.text
    assert root.get("aria-describedby") == desc.get("id") and desc.text
    sizes = [float(e.get("font-size")) for e in root.iter() if e.get("font-size")]
    assert sizes and min(sizes) >= 14

    questions = {g.get("data-question"): group_text(g) for g in root.iter(f"{SVG}g") if g.get("data-question")}
    assert list(questions) == [AGE_QUESTION.id, *(q.id for q in key.questions)]  # declared order
    for question in (AGE_QUESTION, *key.questions):
        assert squash(question.text) in questions[question.id], question.id

    outcomes = {g.get("data-outcome"): g for g in root.iter(f"{SVG}g") if g.get("data-outcome")}
    assert list(outcomes) == [o.id for o in key.outcomes]  # tried in order
    for outcome in key.outcomes:
        box = outcomes[outcome.id]
        assert squash(outcome.title) in group_text(box), outcome.id
        assert URGENCY_LABELS[outcome.urgency] in group_text(box)  # urgency not by colour alone
        fills = {r.get("fill") for r in box.iter(f"{SVG}rect")}
        assert graph.URGENCY_COLOURS[outcome.urgency] in fills
        if outcome.when is None:
            assert "issue par défaut" in group_text(box)
        else:
            assert group_text(box).startswith(f"{key.outcomes.index(outcome) + 1}.")

    everything = squash(" ".join(root.itertext()))
    for label in URGENCY_LABELS.values():  # the legend
        assert label in everything


def test_inline_svg_has_no_declaration_nor_fixed_size():
    svg = graph.render_svg(SHIPPED.keys["raynaud"], standalone=False)
    assert svg.startswith("<svg ") and "<?xml" not in svg
    root = ET.fromstring(svg)
    assert root.get("width") is None and root.get("viewBox")


def _q(key, question_id: str) -> str:
    """The map's number of a question ("Q4"): its place among the consultation's questions (the
    age band and the shared age-band signs come first, so numbers move when those change)."""
    return f"Q{[q.id for q in key.consultation_questions].index(question_id) + 1}"


def test_conditions_read_as_french():
    key = SHIPPED.keys["raynaud"]
    renal = graph.condition_text(key, key.outcome("crise-renale-sclerodermique").when)
    assert renal.startswith(f"{_q(key, 'crise-renale')} « La tension est-elle brutalement très élevée… » = Oui ET "
                            f"{_q(key, 'signes-associes')} «")
    assert "comprend au moins un de : Peau épaissie" in renal
    connective = graph.condition_text(key, key.outcome("connectivite-probable").when)
    assert " OU au moins 2 parmi (" in connective
    assert "= Oui, au moins un résultat anormal" in connective
    tree = graph.clause(key, key.outcome("connectivite-probable").when)
    assert tree.text == "l'une de ces conditions :" and len(tree.children) == 3
    assert tree.children[2].text == "au moins 2 parmi :" and len(tree.children[2].children) == 4


def test_every_condition_type_has_its_french_wording():
    """Each condition type words itself (orient/core/model.py); nested all/any are bracketed on one
    line unless they hold a single test, and what ``NON`` covers always is."""
    from pydantic import TypeAdapter

    from orient.core.model import Condition

    key = SHIPPED.keys["raynaud"]
    cond = TypeAdapter(Condition).validate_python({"all": [
        {"any": [{"answer": "necrose", "is": "oui"}, {"answer": "crise-renale", "is": "oui"}]},
        {"not": {"all": [{"answer": "debut-tardif", "is": "non"}, {"answer": "necrose", "is": "non"}]}},
        {"any": [{"answer": "crise-renale", "is": "nsp"}]},
        {"at_least": 1, "of": [{"answer": "debut-tardif", "is": "oui"}]},
    ]})
    necrose, renale, tardif = f"{_q(key, 'necrose')} « Y a-t-il une plaie, une nécrose ou un doigt qui… »", \
        f"{_q(key, 'crise-renale')} « La tension est-elle brutalement très élevée… »", \
        f"{_q(key, 'debut-tardif')} « Le Raynaud est-il apparu après 30 ans ? »"
    assert graph.condition_text(key, cond) == (
        f"({necrose} = Oui OU {renale} = Oui) ET NON ({tardif} = Non ET {necrose} = Non) "
        f"ET {renale} = Je ne sais pas ET au moins 1 parmi ({tardif} = Oui)")
    tree = graph.clause(key, cond)
    assert tree.text == "toutes ces conditions :"
    assert [c.text for c in tree.children] == [
        "l'une de ces conditions :", "pas ceci :", "l'une de ces conditions :", "au moins 1 parmi :"]
    assert tree.children[1].children[0].children[0] == graph.Clause(f"{tardif} = Non")


def test_shorten_cuts_at_a_word_with_an_ellipsis():
    assert graph.shorten("Court ?") == "Court ?"
    cut = graph.shorten("Y a-t-il une plaie, une nécrose ou un doigt qui reste blanc entre les crises ?", 30)
    assert cut == "Y a-t-il une plaie, une…"


NASTY_KEY = """\
id: piege
title: "Clé <piège> & « test »"
system: general
ages: [adulte]
summary: "Résumé avec <b>balises</b> & esperluette"
authored_by: Équipe de test
reviewed_on: 2026-01-01
review_due: 2099-01-01
sources:
  - title: Source de test
    url: https://example.org/source
    year: 2024
questions:
  - id: q1
    kind: single
    text: "Question <script>alert('x')</script> & \\"guillemets\\" ?"
    options:
      - {id: a, label: "Option <a> & \\"b\\""}
      - {id: b, label: "Option ]]> fin"}
      - {id: nsp, label: Je ne sais pas}
  - id: q2
    kind: number
    text: Âge en mois ?
    unit: mois
    min: 0
    max: 216
    integer: true
    ask_when: {not: {answer: q1, is: b}}
outcomes:
  - id: o1
    when: {all: [{answer: q1, in: [a]}, {answer: q2, ge: 12, lt: 24}]}
    action: monitor
    urgency: surveillance
    title: "Issue </text></svg> <piège>"
    rationale: Texte.
    reevaluate_if: Toujours.
  - id: o2
    default: true
    action: monitor
    urgency: surveillance
    title: Par défaut
    rationale: Texte.
    reevaluate_if: Toujours.
"""


def test_labels_from_yaml_are_escaped(make_rules):
    rules = load_or_raise(make_rules({"keys/piege.yaml": NASTY_KEY}))
    key = rules.keys["piege"]
    svg = graph.render_svg(key)
    assert "<script>" not in svg and "</text></svg> <piège>" not in svg
    root = ET.fromstring(svg.encode("utf-8"))  # still well-formed
    everything = squash(" ".join(root.itertext()))
    assert "Question <script>alert('x')</script> & \"guillemets\" ?" in everything
    assert "Issue </text></svg> <piège>" in everything
    assert "Clé <piège> & « test »" in root.find(f"{SVG}title").text
    when = graph.condition_text(key, key.outcome("o1").when)
    assert when == ("Q2 « Question <script>alert('x')</script> &… » = Option <a> & \"b\" "
                    "ET Q3 « Âge en mois ? » ≥ 12 mois et < 24 mois")
    assert "Posée seulement si pas ceci :" in everything
    assert graph.condition_text(key, key.question("q2").ask_when).startswith("NON (Q2 «")


def test_cli_writes_the_svg(tmp_path):
    target = tmp_path / "raynaud.svg"
    result = CliRunner().invoke(main, ["graph", "raynaud", "-o", str(target), "--rules", str(ROOT / "rules")])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    root = ET.parse(target).getroot()
    assert root.tag == f"{SVG}svg"
    assert "Phénomène de Raynaud" in root.find(f"{SVG}title").text


def test_cli_refuses_an_unknown_key(tmp_path):
    target = tmp_path / "x.svg"
    result = CliRunner().invoke(main, ["graph", "raynod", "-o", str(target), "--rules", str(ROOT / "rules")])
    assert result.exit_code == 1
    assert "Clé « raynod » inconnue" in result.output and "« raynaud »" in result.output
    assert not target.exists()
