"""Health endpoint, access log without answers, rules reload that keeps the last good set."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from orient.web import create_app
from orient.web.operations import reload_rules

RULES = Path(__file__).resolve().parent.parent / "rules"


def _app(rules_dir: Path):
    return create_app({"SECRET_KEY": "x", "TESTING": True, "WTF_CSRF_ENABLED": False, "RULES_DIR": str(rules_dir)})


def test_health_endpoint():
    response = _app(RULES).test_client().get("/sante")
    assert response.status_code == 200
    assert response.get_json()["statut"] == "ok"
    assert response.get_json()["cles"] >= 30


def test_access_log_never_contains_answers(caplog):
    client = _app(RULES).test_client()
    with caplog.at_level(logging.INFO, logger="orient.access"):
        client.post("/cle/raynaud/q/age_group", data={"answer": "adulte"})
        client.post("/cle/raynaud/q/necrose", data={"answer": "oui"})
        client.get("/cle/raynaud/orientation?r=necrose:oui")
    lines = [r.getMessage() for r in caplog.records if r.name == "orient.access"]
    assert len(lines) == 3
    for line in lines:
        assert "adulte" not in line and "oui" not in line and "r=" not in line
    assert '"chemin": "/cle/raynaud/q/necrose"' in lines[1]


def test_reload_keeps_last_good_rules_on_error(tmp_path, caplog):
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    app = _app(rules_dir)
    before = app.extensions["orient"]
    (rules_dir / "keys" / "raynaud.yaml").write_text("id: raynaud\n  broken: [\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="orient"):
        ok, diagnostics = reload_rules(app)
    assert not ok and any(d.code == "YAML_SYNTAXE" for d in diagnostics)
    assert app.extensions["orient"] is before
    assert "YAML_SYNTAXE" in caplog.text
    assert app.test_client().get("/cle/raynaud").status_code == 200  # still serving


def test_reload_swaps_in_good_rules(tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    app = _app(rules_dir)
    before = app.extensions["orient"]
    key = rules_dir / "keys" / "raynaud.yaml"
    key.write_text(key.read_text(encoding="utf-8").replace("title: Phénomène de Raynaud", "title: Raynaud (relu)"),
                   encoding="utf-8")
    ok, _ = reload_rules(app)
    assert ok and app.extensions["orient"] is not before
    assert "Raynaud (relu)" in app.test_client().get("/cle/raynaud").get_data(as_text=True)


def test_rule_text_is_escaped_not_rendered_as_html(tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    key = rules_dir / "keys" / "raynaud.yaml"
    key.write_text(key.read_text(encoding="utf-8").replace(
        "title: Phénomène de Raynaud", 'title: "Raynaud <script>alert(1)</script> **gras**"'), encoding="utf-8")
    body = _app(rules_dir).test_client().get("/cle/raynaud").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_yaml_loading_is_safe(tmp_path):
    from orient.ruleset import load

    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    marker = tmp_path / "pwned"
    key = rules_dir / "keys" / "raynaud.yaml"
    key.write_text(key.read_text(encoding="utf-8").replace(
        "title: Phénomène de Raynaud", f'title: !!python/object/apply:os.system ["touch {marker}"]'), encoding="utf-8")
    ruleset, diagnostics = load(rules_dir)
    assert not marker.exists()
    assert ruleset is None and any(d.file.endswith("raynaud.yaml") for d in diagnostics)


def test_no_open_redirect():
    client = _app(RULES).test_client()
    response = client.post("/cle/raynaud/q/age_group?retour=https://evil.example", data={"answer": "adulte"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/")
