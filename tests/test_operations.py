"""Health endpoint, access log without answers, rules reload that keeps the last good set.

On the small fixture rules (conftest ``web_rules_dir``: key ``mini``), but for the health
endpoint's count of the shipped keys."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from orient.web import create_app
from orient.web.operations import reload_rules

ROOT = Path(__file__).resolve().parent.parent
TITLE = "title: Signe minimal de test"  # the mini key's title line (tests/fixtures/base/keys/mini.yaml)


def test_health_endpoint(client, app):
    response = client.get("/sante")
    assert response.status_code == 200
    assert response.get_json()["statut"] == "ok"
    assert response.get_json()["cles"] == len(app.extensions["orient"].keys)


def test_health_counts_the_shipped_keys(rules_dir, make_app):
    assert make_app(rules_dir, WTF_CSRF_ENABLED=False).test_client().get("/sante").get_json()["cles"] >= 30


def test_access_log_never_contains_answers(client, caplog):
    with caplog.at_level(logging.INFO, logger="orient.access"):
        client.post("/cle/mini/q/age_group", data={"answer": "adulte"})
        client.post("/cle/mini/q/alerte", data={"answer": "oui"})
        client.get("/cle/mini/orientation?r=alerte:oui")
    lines = [r.getMessage() for r in caplog.records if r.name == "orient.access"]
    assert len(lines) == 3
    for line in lines:
        assert "adulte" not in line and "oui" not in line and "r=" not in line
    assert '"chemin": "/cle/mini/q/alerte"' in lines[1]


def test_reload_keeps_last_good_rules_on_error(tmp_path, caplog, web_rules_dir, make_app):
    rules_dir = tmp_path / "rules"
    shutil.copytree(web_rules_dir, rules_dir)
    app = make_app(rules_dir, WTF_CSRF_ENABLED=False)
    before = app.extensions["orient"]
    (rules_dir / "keys" / "mini.yaml").write_text("id: mini\n  broken: [\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="orient"):
        ok, diagnostics = reload_rules(app)
    assert not ok and any(d.code == "YAML_SYNTAXE" for d in diagnostics)
    assert app.extensions["orient"] is before
    assert "YAML_SYNTAXE" in caplog.text
    assert app.test_client().get("/cle/mini").status_code == 200  # still serving


def test_reload_swaps_in_good_rules(tmp_path, web_rules_dir, make_app):
    rules_dir = tmp_path / "rules"
    shutil.copytree(web_rules_dir, rules_dir)
    app = make_app(rules_dir, WTF_CSRF_ENABLED=False)
    before = app.extensions["orient"]
    key = rules_dir / "keys" / "mini.yaml"
    key.write_text(key.read_text(encoding="utf-8").replace(TITLE, "title: Mini (relu)"), encoding="utf-8")
    ok, _ = reload_rules(app)
    assert ok and app.extensions["orient"] is not before
    assert "Mini (relu)" in app.test_client().get("/cle/mini").get_data(as_text=True)


def test_rule_text_is_escaped_not_rendered_as_html(tmp_path, web_rules_dir, make_app):
    rules_dir = tmp_path / "rules"
    shutil.copytree(web_rules_dir, rules_dir)
    key = rules_dir / "keys" / "mini.yaml"
    key.write_text(key.read_text(encoding="utf-8").replace(
        TITLE, 'title: "Mini <script>alert(1)</script> **gras**"'), encoding="utf-8")
    body = make_app(rules_dir, WTF_CSRF_ENABLED=False).test_client().get("/cle/mini").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_yaml_loading_is_safe(tmp_path, web_rules_dir):
    from orient.core.ruleset import load

    rules_dir = tmp_path / "rules"
    shutil.copytree(web_rules_dir, rules_dir)
    marker = tmp_path / "pwned"
    key = rules_dir / "keys" / "mini.yaml"
    key.write_text(key.read_text(encoding="utf-8").replace(
        TITLE, f'title: !!python/object/apply:os.system ["touch {marker}"]'), encoding="utf-8")
    ruleset, diagnostics = load(rules_dir)
    assert not marker.exists()
    assert ruleset is None and any(d.file.endswith("mini.yaml") for d in diagnostics)


def test_no_open_redirect(client):
    response = client.post("/cle/mini/q/age_group?retour=https://evil.example", data={"answer": "adulte"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/")


def test_reload_is_seen_by_pages_already_cached(tmp_path, web_rules_dir, make_app):
    rules_dir = tmp_path / "rules"
    shutil.copytree(web_rules_dir, rules_dir)
    app = make_app(rules_dir, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    assert "Signe minimal de test" in client.get("/cle/mini/q/age_group").get_data(as_text=True)  # now cached
    key = rules_dir / "keys" / "mini.yaml"
    key.write_text(key.read_text(encoding="utf-8").replace(TITLE, "title: Mini (relu)"), encoding="utf-8")
    assert reload_rules(app)[0]
    page = client.get("/cle/mini/q/age_group").get_data(as_text=True)
    assert "Mini (relu)" in page and "Signe minimal de test" not in page


def test_server_entry_point_logs_access_and_freezes_the_heap(caplog, web_rules_dir):
    import gc

    from orient.wsgi import application

    try:
        app = application({"SECRET_KEY": "x", "TESTING": True, "RULES_DIR": str(web_rules_dir)})
        assert gc.get_freeze_count() > 0
        assert logging.getLogger("orient.access").isEnabledFor(logging.INFO)
        with caplog.at_level(logging.INFO, logger="orient.access"):
            app.test_client().get("/sante")
        assert '"chemin": "/sante"' in caplog.text
    finally:
        gc.unfreeze()


def test_gunicorn_serves_the_documented_entry_point(tmp_path, web_rules_dir):
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
    env = {**os.environ, "ORIENT_SECRET_KEY": "test-" + "x" * 40, "ORIENT_RULES": str(web_rules_dir)}
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
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/cle/mini/q/age_group", timeout=5) as response:
            assert response.status == 200
        time.sleep(0.3)
        text = log.read_text()
        assert '"chemin": "/cle/mini/q/age_group"' in text and "Traceback" not in text
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


def test_orient_serve_makes_its_own_key_per_process(monkeypatch, web_rules_dir):
    monkeypatch.delenv("ORIENT_SECRET_KEY", raising=False)
    first = create_app({"GENERATE_SECRET_KEY": True, "RULES_DIR": str(web_rules_dir)}).secret_key
    second = create_app({"GENERATE_SECRET_KEY": True, "RULES_DIR": str(web_rules_dir)}).secret_key
    assert first != second and len(first) >= 64  # 32 random bytes, hex


SECRET_ASSIGNMENT = __import__("re").compile(
    r"""(SECRET_KEY|secret_key|password|api_key|token)\s*[=:]\s*["'][A-Za-z0-9+/_-]{16,}["']""")


def test_no_secret_in_the_repository():
    """Nothing the app or its deployment reads may carry a key: it comes from the environment.
    (Tests sign with throwaway keys of their own, in tests/ and bench/, which serve nothing.)"""
    import subprocess

    root = ROOT
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()
    assert tracked, "git ls-files listed nothing"
    offenders = []
    for name in tracked:
        if name.startswith(("tests/", "bench/")) or name.endswith((".svg", ".png", ".ico")):
            continue
        text = (root / name).read_text("utf-8", errors="replace")
        if ("-----BEGIN" in text and "PRIVATE KEY" in text) or SECRET_ASSIGNMENT.search(text):
            offenders.append(name)
    assert offenders == []
