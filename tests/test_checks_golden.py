"""Golden diagnostics: one invalid fixture per authoring mistake.

Each ``tests/fixtures/invalid/<mistake>.yaml`` starts with comment lines:

    # erreur : what is wrong (free text)
    # place: keys | scenarios | centres | root:<file>.yaml   (optional; default keys)
    # attendu: LINE CODE [« suggestion »]                    (one per expected diagnostic)

The test copies tests/fixtures/base/ to a temporary directory, drops the fixture in its
place, loads the rules and compares the exact set of (line, code) reported for that file.
Diagnostics on other files must not appear at all (no cascades from one mistake).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from orient.authoring.cli import main
from orient.core import ruleset as ruleset_module
from orient.core.diagnostics import sorted_diagnostics

FIXTURES = Path(__file__).resolve().parent / "fixtures"
INVALID = FIXTURES / "invalid"
TODAY = dt.date(2026, 11, 22)
EXPECT_RE = re.compile(r"^# attendu: (\d+) ([A-Z_]+)(?: « (.+) »)?\s*$", re.M)
PLACE_RE = re.compile(r"^# place: (\S+)\s*$", re.M)
FORMAT_RE = re.compile(r"^(?P<file>\S+):(?P<line>\d+):(?P<col>\d+) (?P<severity>erreur|avertissement) "
                       r"(?P<code>[A-Z_]+) (?P<message>.+)$")


def fixtures() -> list[Path]:
    return sorted(INVALID.glob("*.yaml"))


def place(fixture: Path, rules: Path) -> Path:
    text = fixture.read_text(encoding="utf-8")
    match = PLACE_RE.search(text)
    where = match.group(1) if match else "keys"
    target = rules / where.removeprefix("root:") if where.startswith("root:") else rules / where / fixture.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def test_base_fixture_is_clean():
    loaded, diags = ruleset_module.load(FIXTURES / "base", today=TODAY)
    assert loaded is not None
    assert diags == []


def test_every_fixture_declares_expectations():
    assert len(fixtures()) >= 24
    for fixture in fixtures():
        assert EXPECT_RE.search(fixture.read_text(encoding="utf-8")), fixture.name


@pytest.mark.parametrize("fixture", fixtures(), ids=lambda p: p.stem)
def test_golden(fixture: Path, make_rules):
    rules = make_rules()
    target = place(fixture, rules)
    text = fixture.read_text(encoding="utf-8")
    expected = {(int(line), code) for line, code, _ in EXPECT_RE.findall(text)}

    loaded, diags = ruleset_module.load(rules, today=TODAY)

    # The letter's completeness warning fires on any fixture question written without statements;
    # it is checked by its own fixture (lettre-sans-phrase), not by every other one.
    if "LETTRE_SANS_PHRASE" not in {code for _, code in expected}:
        diags = [d for d in diags if d.code != "LETTRE_SANS_PHRASE"]
    mine = [d for d in diags if Path(d.file).resolve() == target.resolve()]
    others = [d.format() for d in diags if d not in mine]
    assert others == [], "diagnostics on other files (a cascade?)"
    assert {(d.line, d.code) for d in mine} == expected, "\n".join(d.format() for d in mine)
    for line, code, suggestion in EXPECT_RE.findall(text):
        if suggestion:
            found = {d.suggestion for d in mine if (d.line, d.code) == (int(line), code)}
            assert suggestion in found, f"{code} line {line}: suggestions {found}"
    for d in mine:
        assert d.message and d.column >= 1
    if any(d.is_error for d in mine):
        assert loaded is None, "a rule set with errors must be refused"


# --- messages worth pinning ------------------------------------------------------------------


def load_fixture(name: str, make_rules):
    rules = make_rules()
    place(INVALID / f"{name}.yaml", rules)
    return ruleset_module.load(rules, today=TODAY)


def test_unknown_field_suggests_the_right_name(make_rules):
    _, diags = load_fixture("champ-inconnu", make_rules)
    unknown = next(d for d in diags if d.code == "CHAMP_INCONNU")
    assert unknown.suggestion == "questions"
    assert unknown.format().endswith("(vouliez-vous dire « questions » ?)")


def test_yaml_messages_are_in_french(make_rules):
    _, diags = load_fixture("yaml-syntaxe", make_rules)
    assert "« : » inattendu" in diags[0].message
    _, diags = load_fixture("tabulation", make_rules)
    assert "tabulation" in diags[0].message


@pytest.mark.parametrize("text", ["id: x\nquestions:\n\t- id: a\n", "id: x\ntitle:\tTitre\n\tsystem: general\n"])
def test_tab_always_named(tmp_path, text):
    from orient.core.loader import read_document

    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    document = read_document(path, "x.yaml")
    assert [d.code for d in document.diagnostics] == ["YAML_SYNTAXE"]
    assert "tabulation" in document.diagnostics[0].message


def test_yaml_boolean_trap_message(make_rules):
    _, diags = load_fixture("yaml-booleen", make_rules)
    assert {d.code for d in diags} == {"YAML_BOOLEEN"}
    assert '"no"' in diags[0].message


def test_duplicate_key_names_first_line(make_rules):
    _, diags = load_fixture("cle-dupliquee", make_rules)
    assert "déjà définie ligne 4" in diags[0].message


def test_review_overdue_depends_on_today(make_rules):
    rules = make_rules()
    place(INVALID / "revision-depassee.yaml", rules)
    loaded, diags = ruleset_module.load(rules, today=dt.date(2024, 6, 1))
    assert loaded is not None and diags == []
    loaded, diags = ruleset_module.load(rules, today=TODAY)
    assert loaded is not None  # a warning does not refuse the rules
    assert [(d.code, d.severity) for d in diags] == [("REVISION_DEPASSEE", "avertissement")]
    assert "01/01/2025" in diags[0].message
    assert loaded.warnings == tuple(diags)


def test_sources_empty_list_points_at_sources(make_rules):
    key = (FIXTURES / "base" / "keys" / "mini.yaml").read_text(encoding="utf-8")
    key = re.sub(r"sources:\n(  .*\n)+", "sources: []\n", key)
    rules = make_rules({"keys/mini.yaml": key})
    _, diags = ruleset_module.load(rules, today=TODAY)
    line = key.splitlines().index("sources: []") + 1
    assert [(d.line, d.code) for d in diags] == [(line, "SOURCES_MANQUANTES")]


def test_missing_reference_file_does_not_cascade(make_rules):
    rules = make_rules(remove=("filieres.yaml",))
    loaded, diags = ruleset_module.load(rules, today=TODAY)
    assert loaded is None
    assert [d.code for d in diags] == ["FICHIER_MANQUANT"]


# --- refusing, reporting everything, sorting -------------------------------------------------


def several_mistakes(make_rules) -> Path:
    rules = make_rules()
    for name in ("question-inconnue", "cle-dupliquee", "url-mal-formee", "scenario-issue-inconnue",
                 "centre-departement-inconnu"):
        place(INVALID / f"{name}.yaml", rules)
    return rules


def test_any_error_refuses_the_rule_set(make_rules):
    loaded, diags = ruleset_module.load(several_mistakes(make_rules), today=TODAY)
    assert loaded is None
    with pytest.raises(ruleset_module.RuleSetError) as excinfo:
        ruleset_module.load_or_raise(several_mistakes(make_rules), today=TODAY)
    assert len(excinfo.value.diagnostics) == len(diags)
    assert "QUESTION_INCONNUE" in excinfo.value.report()


def test_diagnostics_are_sorted(make_rules):
    _, diags = ruleset_module.load(several_mistakes(make_rules), today=TODAY)
    assert len(diags) >= 5
    assert diags == sorted_diagnostics(diags)
    assert [d.sort_key() for d in diags] == sorted(d.sort_key() for d in diags)


def test_cli_check_reports_every_problem_at_once(make_rules, runner):
    rules = several_mistakes(make_rules)
    result = runner.invoke(main, ["check", str(rules)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    problems = [FORMAT_RE.match(line) for line in lines[:-1]]
    assert all(problems), lines
    files = {Path(m["file"]).name for m in problems}
    assert files == {"question-inconnue.yaml", "cle-dupliquee.yaml", "url-mal-formee.yaml",
                     "scenario-issue-inconnue.yaml", "centre-departement-inconnu.yaml"}
    codes = {m["code"] for m in problems}
    assert {"QUESTION_INCONNUE", "CLE_DUPLIQUEE", "URL_INVALIDE", "ISSUE_INCONNUE",
            "TERRITOIRE_INCONNU"} <= codes
    order = [(m["file"], int(m["line"]), int(m["col"])) for m in problems]
    assert order == sorted(order)
    assert re.fullmatch(r"\d+ erreur\(s\), \d+ avertissement\(s\)\.", lines[-1])
    unknown = next(m for m in problems if m["code"] == "QUESTION_INCONNUE")
    assert unknown["message"].endswith("(vouliez-vous dire « alerte » ?)")
    assert (unknown["line"], unknown["col"]) == ("19", "20")


def test_cli_check_valid_rules(make_rules, runner):
    rules = make_rules()
    result = runner.invoke(main, ["check", str(rules)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Règles valides : 1 clés, 2 filières, 4 sites, 1 PNDS")


def test_cli_check_warnings_only_exit_zero(make_rules, runner):
    rules = make_rules()
    place(INVALID / "revision-depassee.yaml", rules)
    result = runner.invoke(main, ["check", str(rules)])
    assert result.exit_code == 0
    assert " avertissement REVISION_DEPASSEE " in result.output


def test_cli_check_missing_directory(tmp_path, runner):
    result = runner.invoke(main, ["check", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "DOSSIER_INTROUVABLE" in result.output
