"""Canonical links (#18): no link of the rules through a document-sharing mirror or an SEO proxy
(SOURCE_MIROIR, list in rules/mirrors.yaml), a year for every PNDS (PNDS_SANS_ANNEE), the link
report (``orient links``), and options that can never change a result (OPTION_INUTILE).

The golden fixtures (source-miroir-cle, pnds-miroir, pnds-sans-annee, option-inutile) pin the
lines; these tests pin what the golden harness cannot: severities, the switch, the mirror list as
data, the report's figures and the shipped rules."""

from __future__ import annotations

import json
from pathlib import Path

from orient.authoring.cli import main
from orient.core import checks, links
from orient.core import ruleset as ruleset_module
from orient.core.model import MIRROR_HOSTS, mirror_host

FIXTURES = Path(__file__).resolve().parent / "fixtures"
INVALID = FIXTURES / "invalid"
SHIPPED = Path(__file__).resolve().parent.parent / "rules"


def fixture(name: str) -> str:
    return (INVALID / f"{name}.yaml").read_text(encoding="utf-8")


def codes(diags, code):
    return [d for d in diags if d.code == code]


def test_a_key_source_through_a_mirror_is_an_error(make_rules):
    loaded, diags = ruleset_module.load(make_rules({"keys/source-miroir-cle.yaml": fixture("source-miroir-cle")}))
    [diag] = codes(diags, "SOURCE_MIROIR")
    assert diag.is_error and diag.line == 13 and "fr.scribd.com" in diag.message
    assert loaded is None


def test_a_pnds_through_a_mirror_is_an_error(make_rules):
    loaded, diags = ruleset_module.load(make_rules({"pnds.yaml": fixture("pnds-miroir")}))
    [diag] = codes(diags, "SOURCE_MIROIR")
    assert diag.is_error and loaded is None


def test_a_pnds_without_a_year_follows_the_switch(make_rules, monkeypatch):
    rules = make_rules({"pnds.yaml": fixture("pnds-sans-annee")})
    assert checks.PNDS_YEAR_SEVERITY == "avertissement"  # 14 years not sourceable here (see checks.py)
    loaded, diags = ruleset_module.load(rules)
    [diag] = codes(diags, "PNDS_SANS_ANNEE")
    assert diag.severity == "avertissement" and loaded is not None
    monkeypatch.setattr(checks, "PNDS_YEAR_SEVERITY", "erreur")
    loaded, diags = ruleset_module.load(rules)
    [diag] = codes(diags, "PNDS_SANS_ANNEE")
    assert diag.is_error and loaded is None


def test_a_proxy_serving_a_mirror_is_named_by_its_own_host():
    url = "https://onehourindexing01.prideseotools.com/index.php?q=https%3A%2F%2Ffr.scribd.com%2Fdocument%2F1"
    assert mirror_host(url) == "onehourindexing01.prideseotools.com"
    # a word in a path is not a host: only full host names are looked for there
    assert mirror_host("https://www.has-sante.fr/studylib-et-autres.pdf") is None
    assert mirror_host("https://proxy.example.org/?u=https://fr.scribd.com/doc/1") == "proxy.example.org"


def test_the_mirror_list_is_rules_data(make_rules):
    mirrors = "mirrors:\n  - {match: example.org, kind: partage}\n"
    loaded, diags = ruleset_module.load(make_rules({"mirrors.yaml": mirrors}))
    flagged = codes(diags, "SOURCE_MIROIR")  # the base key's source is on example.org
    assert flagged and all(d.is_error for d in flagged) and loaded is None
    loaded, _ = ruleset_module.load(make_rules())  # no mirrors.yaml: the default list
    assert loaded is not None and loaded.mirror_hosts == MIRROR_HOSTS
    shipped = ruleset_module.parse_directory(SHIPPED)[0]
    assert {"scribd.com", "studylib", "fhudds", "prideseotools", "onehourindexing"} <= set(shipped.mirror_hosts)


def test_every_url_field_is_checked_not_only_the_directory(make_rules):
    filieres = (FIXTURES / "base" / "filieres.yaml").read_text(encoding="utf-8")
    first = filieres.index("website: ") + len("website: ")
    end = filieres.index("\n", first)
    filieres = filieres[:first] + "https://www.yumpu.com/fr/document/filiere" + filieres[end:]
    _, diags = ruleset_module.load(make_rules({"filieres.yaml": filieres}))
    assert [d.file.endswith("filieres.yaml") for d in codes(diags, "SOURCE_MIROIR")] == [True]


def test_a_host_with_a_trailing_dot_is_malformed(make_rules):
    key = fixture("source-miroir-cle").replace("https://fr.scribd.com/document/123/pnds-test",
                                               "https://has-sante.fr./jcms/p_1/fr/test")
    _, diags = ruleset_module.load(make_rules({"keys/source-miroir-cle.yaml": key}))
    assert [d.code for d in diags if d.file.endswith("source-miroir-cle.yaml")] == ["URL_INVALIDE"]


def test_unused_options_are_found_and_disappear_once_they_count(make_rules):
    _, diags = ruleset_module.load(make_rules({"keys/option-inutile.yaml": fixture("option-inutile")}))
    found = codes(diags, "OPTION_INUTILE")
    assert [(d.line, d.severity) for d in found] == [(24, "avertissement"), (31, "avertissement")]
    assert "« rare »" in found[0].message and "« frequent »" in found[0].message
    assert "case non cochée" in found[1].message
    # "frequent" gets a test of its own (in one list with "quotidien", it would test like it)
    fixed = fixture("option-inutile").replace("        - {answer: frequence, is: quotidien}\n",
                                              "        - {answer: frequence, is: quotidien}\n"
                                              "        - all: [{answer: frequence, is: frequent}, {answer: signes, "
                                              "includes: prurit}]\n")
    _, diags = ruleset_module.load(make_rules({"keys/option-inutile.yaml": fixed}))
    # "frequent" and "prurit" now count; "rare" is the only option no condition names: it is the
    # "otherwise" answer, which does change the result (it is not "quotidien"): no longer flagged.
    assert codes(diags, "OPTION_INUTILE") == []


def test_links_report_on_the_fixture_rules(runner, make_rules):
    result = runner.invoke(main, ["links", "--rules", str(make_rules()), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["pnds"] == {"has": 1, "filiere": 0, "fallback": 0, "miroir": 0, "autre": 0}
    hosts = {h["hote"]: h for h in report["hotes"]}
    assert hosts["has-sante.fr"]["liens"] == 2 and not hosts["has-sante.fr"]["miroir"]
    assert report["liens"] == sum(h["liens"] for h in report["hotes"])


def test_links_report_marks_mirrors_and_fails(runner, make_rules):
    rules = make_rules({"pnds.yaml": fixture("pnds-miroir")})
    result = runner.invoke(main, ["links", "--rules", str(rules)])
    assert result.exit_code == 1
    assert "* onehourindexing01.prideseotools.com" in result.output
    assert "pnds.yaml:10 https://onehourindexing01" in result.output
    assert "copie sur un site de partage ou un proxy" in result.output


def test_fallback_pnds_are_counted_as_such(make_rules):
    pnds = fixture("pnds-sans-annee").replace("    orpha:", "    year: 2020\n    fallback: Page d'accès.\n    orpha:")
    parsed = ruleset_module.parse_directory(make_rules({"pnds.yaml": pnds}))[0]
    assert links.report(parsed).pnds == {"fallback": ["pnds-test"]}


def test_shipped_rules_have_no_mirror_outside_pnds_yaml():
    parsed, _, _ = ruleset_module.parse_directory(SHIPPED)
    report = links.report(parsed)
    assert [link for link in report.mirrors if not link.file.endswith("pnds.yaml")] == []
    assert sum(len(v) for v in report.pnds.values()) == len(parsed.pnds)
