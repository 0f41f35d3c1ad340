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


def test_reload_is_seen_by_pages_already_cached(tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    app = _app(rules_dir)
    client = app.test_client()
    assert "Phénomène de Raynaud" in client.get("/cle/raynaud/q/age_group").get_data(as_text=True)  # now cached
    key = rules_dir / "keys" / "raynaud.yaml"
    key.write_text(key.read_text(encoding="utf-8").replace("title: Phénomène de Raynaud", "title: Raynaud (relu)"),
                   encoding="utf-8")
    assert reload_rules(app)[0]
    page = client.get("/cle/raynaud/q/age_group").get_data(as_text=True)
    assert "Raynaud (relu)" in page and "Phénomène de Raynaud" not in page


def test_server_entry_point_logs_access_and_freezes_the_heap(caplog):
    import gc

    from orient.wsgi import application

    try:
        app = application({"SECRET_KEY": "x", "TESTING": True, "RULES_DIR": str(RULES)})
        assert gc.get_freeze_count() > 0
        assert logging.getLogger("orient.access").isEnabledFor(logging.INFO)
        with caplog.at_level(logging.INFO, logger="orient.access"):
            app.test_client().get("/sante")
        assert '"chemin": "/sante"' in caplog.text
    finally:
        gc.unfreeze()


def test_gunicorn_serves_the_documented_entry_point(tmp_path):
    """The README's production command, for real: gunicorn, 2 workers, access lines on stderr."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "ORIENT_SECRET_KEY": "test-" + "x" * 40, "ORIENT_RULES": str(RULES)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "orient.wsgi:application()"],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sante", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/cle/raynaud/q/age_group", timeout=5) as response:
            assert response.status == 200
        time.sleep(0.3)
        text = log.read_text()
        assert '"chemin": "/cle/raynaud/q/age_group"' in text and "Traceback" not in text
    finally:
        proc.terminate()
        proc.wait(10)


def test_gunicorn_refuses_to_start_without_a_secret_key(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ORIENT_SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", "127.0.0.1:0", "orient.wsgi:application()"],
        env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ORIENT_SECRET_KEY n'est pas défini" in result.stdout + result.stderr


def test_orient_serve_makes_its_own_key_per_process(monkeypatch):
    monkeypatch.delenv("ORIENT_SECRET_KEY", raising=False)
    first = create_app({"GENERATE_SECRET_KEY": True, "RULES_DIR": str(RULES)}).secret_key
    second = create_app({"GENERATE_SECRET_KEY": True, "RULES_DIR": str(RULES)}).secret_key
    assert first != second and len(first) >= 64  # 32 random bytes, hex


SECRET_ASSIGNMENT = __import__("re").compile(
    r"""(SECRET_KEY|secret_key|password|api_key|token)\s*[=:]\s*["'][A-Za-z0-9+/_-]{16,}["']""")


def test_no_secret_in_the_repository():
    """Nothing the app or its deployment reads may carry a key: it comes from the environment.
    (Tests sign with throwaway keys of their own, in tests/ and bench/, which serve nothing.)"""
    import subprocess

    root = RULES.parent
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()
    assert tracked, "git ls-files listed nothing"
    offenders = []
    for name in tracked:
        if name.startswith(("tests/", "bench/")) or name.endswith((".svg", ".png", ".ico")):
            continue
        text = (root / name).read_text("utf-8", errors="replace")
        if "-----BEGIN" in text and "PRIVATE KEY" in text or SECRET_ASSIGNMENT.search(text):
            offenders.append(name)
    assert offenders == []
