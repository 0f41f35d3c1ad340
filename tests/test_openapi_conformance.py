"""The API behaves as its OpenAPI document says (issue 22, D11): schemathesis, the command line
tool, with every phase (examples, coverage, fuzzing, stateful), every check and 200 examples per
operation, against the real app served on 127.0.0.1, must report zero failures.

The run's settings and its only exception (a documented 400 accepted for a schema-valid request
on three operations whose rules JSON Schema cannot say) are in ../schemathesis.toml; the tests
below also pin that file, so widening the exception shows up here. 25 to 40 s on 2 cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from orient.web import create_app

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "schemathesis.toml"
TOLERATED_400 = {"maladies", "evaluer", "reponseFhir"}
RUN_TIMEOUT_S = 300  # a hard bound; the run takes 25 to 40 s on the 2-core development machine

pytestmark = pytest.mark.schemathesis


def _app():
    # Production-like: not TESTING (errors handled as in production), CSRF on (the API is exempt).
    return create_app({"SECRET_KEY": "conformance-" + "x" * 32, "RULES_DIR": str(ROOT / "rules")})


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # ~3,000 requests: no werkzeug line for each
        pass


@pytest.fixture(scope="module")
def live_api():
    app = _app()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def test_schemathesis_config_keeps_every_check_strict_but_one_status_on_three_operations():
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["seed"] == 42 and config["workers"] == 1
    assert config["generation"] == {"max-examples": 200, "database": "none"}
    assert config["checks"] == {"enabled": True}
    assert config["cache"] == {"enabled": False}
    [operation] = config["operations"]
    assert set(operation["include-operation-id"]) == TOLERATED_400
    assert set(operation) == {"include-operation-id", "checks"}
    assert operation["checks"] == {"positive_data_acceptance": {"expected-statuses": [
        # schemathesis 4.32.5's defaults for this check, plus "400"
        "2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]}}


def test_documented_examples_are_finished_journeys():
    """The examples phase sends the document's examples; a 400 on them would pass unseen
    (tolerated above), so they are checked here: a finished journey from the rules' scenarios."""
    client = _app().test_client()
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, kind in (("/api/v1/cles/{key_id}/evaluer", "orientation"),
                       ("/api/v1/cles/{key_id}/fhir/reponse", "QuestionnaireResponse")):
        operation = doc["paths"][path]["post"]
        key_id = operation["parameters"][0]["example"]
        body = operation["requestBody"]["content"]["application/json"]["example"]
        response = client.post(path.replace("{key_id}", key_id), json=body)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        data = response.get_json(force=True)
        assert (data["resourceType"] if "resourceType" in data else data["status"]) == kind


def test_api_matches_its_openapi_document_schemathesis_all_checks_200_examples(live_api, tmp_path):
    app, base = live_api
    report = tmp_path / "schemathesis.json"
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "--no-color", "run",
               f"{base}/api/v1/openapi.json", "--report", "json", "--report-json-path", str(report)]
    try:
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis did not finish in {RUN_TIMEOUT_S} s:\n{(exc.stdout or '')[-3000:]}")
    output = run.stdout + run.stderr
    assert report.exists(), output[-4000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    summary = (f"{data['test_cases']['generated']} cases, {data['running_time']:.0f} s; "
               f"failures {data['failures']}; errors {data['errors']}\n{output[-6000:]}")

    print(f"schemathesis: {data['test_cases']['generated']} cases, {len(data['failures'])} failures, "
          f"{data['running_time']:.1f} s")  # shown with pytest -rP
    assert data["seed"] == 42 and data["complete"] and data["stop_reason"] == "completed", summary
    # Every documented operation, but the one that serves the document itself (schemathesis
    # leaves it out unless a filter names it; it loaded the document from it).
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    documented = sum(len(item) for path, item in paths.items() if path != "/api/v1/openapi.json")
    assert data["operations"]["tested"] == data["operations"]["selected"] == documented, (data["operations"], summary)
    assert data["operations"]["errored"] == data["operations"]["skipped"] == 0, summary
    assert all(phase["status"] == "success" for phase in data["phases"].values()), (data["phases"], summary)
    assert data["test_cases"]["with_failures"] == 0 and data["failures"] == [], summary
    assert data["test_cases"]["errored"] == 0 and data["errors"] == [], summary
    assert data["test_cases"]["generated"] >= 2000, summary  # 200 examples per operation did run
    # Warnings are design flaws too (a regex it cannot use, data it cannot generate...). The only
    # one allowed: an operation with a tolerated 400 "mostly rejects" generated data.
    tolerated = {"GET /api/v1/maladies", "POST /api/v1/cles/{key_id}/evaluer", "POST /api/v1/cles/{key_id}/fhir/reponse"}
    unexpected = {name: [w for w in found if not (name == "validation_mismatch" and w in tolerated)]
                  for name, found in data["warnings"].items() if found}
    assert not any(unexpected.values()), (unexpected, summary)
    assert run.returncode == 0, summary
