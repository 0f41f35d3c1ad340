"""Robust edges and privacy (issue 22: D4–D8), on the tiny fixture rules (tests/fixtures/base).

D5 malformed JSON / Unicode -> clean JSON 400, log records one JSON line each, internal
errors 500 with a generic body; D6 a well-encrypted but malformed session is "expired",
never a 500; D7 the Host header never reaches a redirect or an absolute URL; D8 HSTS with
ORIENT_SECURE_COOKIES=1; D4 the cookie: browser-session, encrypted, idle timeout, and
"Recommencer / effacer les réponses" on the check and print pages.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from pathlib import Path

import pytest
from flask import Flask

from orient.web import create_app
from orient.web.api import errors, views
from orient.web.cookie import EncryptedSessionInterface
from orient.wsgi import JsonFormatter

pytestmark = pytest.mark.filterwarnings("ignore:The 'orient' cookie is too large")

BASE_RULES = Path(__file__).resolve().parent / "fixtures" / "base"

KEY = "mini"


def app_with(**config) -> Flask:
    # A 32-character key, and the base rules alone (no web/ key): what these checks were written on.
    return create_app({"SECRET_KEY": "k" * 32, "TESTING": True, "WTF_CSRF_ENABLED": False,
                       "RULES_DIR": str(BASE_RULES), **config})


@pytest.fixture(scope="module")
def app() -> Flask:
    """Served by the conftest ``client``: the tiny base rules, this module's key and settings."""
    return app_with()


def walk_to_check(client) -> None:
    """Adult, no red flag, sign A (-> refer), département 69: the check page is reachable."""
    for url, value in ((f"/cle/{KEY}/q/age_group", "adulte"), (f"/cle/{KEY}/q/alerte", "non"),
                       (f"/cle/{KEY}/q/signes", "signe-a"), (f"/cle/{KEY}/departement", "69")):
        response = client.post(url, data={"answer": value})
        assert response.status_code == 303, (url, response.status_code)
    assert client.get(f"/cle/{KEY}/verifier").status_code == 200


def evaluate(client, body: bytes | str, path: str = f"/api/v1/cles/{KEY}/evaluer"):
    return client.post(path, data=body, content_type="application/json")


# --- D5: malformed JSON and Unicode ------------------------------------------------------------

LONE_SURROGATE_BODIES = [
    '{"age_group":"adulte","answers":{"\\ud800":"oui"}}',
    '{"\\ud800":1}',
    '{"\\udfff\\n2026-12-03 12:00:00,000 orient.access INFO {\\"forged\\": 1}":1}',
    '{"age_group":"adulte","answers":{"alerte":"\\ud800"}}',
    '{"age_group":"\\udc00"}',
    '{"age_group":"adulte","answers":{"signes":["\\ud83d"]}}',
]


@pytest.mark.parametrize("path", [f"/api/v1/cles/{KEY}/evaluer", f"/api/v1/cles/{KEY}/fhir/reponse"])
@pytest.mark.parametrize("body", LONE_SURROGATE_BODIES)
def test_a_lone_surrogate_is_a_clean_json_400_without_traceback(client, caplog, path, body):
    with caplog.at_level(logging.INFO):
        response = evaluate(client, body, path)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "REQUETE_INVALIDE"
    assert "Unicode" in response.get_json()["error"]["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize("body", [
    b'{"age_group": "adulte"', b"\xff\xfe{}", b'{"age_group": NaN}', b"[" * 5000 + b"]" * 5000,
    b'{"age_group": "adulte", "answers": {"alerte": "\xed\xa0\x80"}}',  # a surrogate encoded as UTF-8
    b"", b"null", b'"texte"', b"\x00",
])
def test_malformed_json_is_a_clean_json_400(client, caplog, body):
    with caplog.at_level(logging.INFO):
        response = evaluate(client, body)
    assert response.status_code in (400, 413)
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] in ("REQUETE_INVALIDE", "REQUETE_TROP_VOLUMINEUSE", "REPONSE_INVALIDE")
    assert not [r for r in caplog.records if r.exc_info]


def test_a_response_holding_a_lone_surrogate_is_still_valid_json(app):
    with app.test_request_context("/api/v1/cles"):
        response = errors.json_response({"message": "Question « \ud800 » inconnue."})
    assert response.status_code == 200
    assert json.loads(response.get_data()) == {"message": "Question « \ud800 » inconnue."}


def test_a_5xx_under_the_api_stays_a_500_with_a_generic_body(app):
    from werkzeug.exceptions import InternalServerError

    with app.test_request_context("/api/v1/cles"):
        response = errors.http_error(InternalServerError())
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "ERREUR_INTERNE", "message": "Une erreur inattendue est survenue."}}


def test_a_bug_in_an_api_view_is_a_generic_500_and_a_logged_traceback(caplog, monkeypatch):
    app = app_with()

    def broken(*args, **kwargs):
        raise RuntimeError("secret interne\nligne forgée")

    monkeypatch.setattr(views, "read_evaluation", broken)
    with caplog.at_level(logging.INFO):
        response = evaluate(app.test_client(), '{"age_group": "adulte"}')
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "ERREUR_INTERNE", "message": "Une erreur inattendue est survenue."}}
    assert "secret" not in response.get_data(as_text=True)
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1 and "RuntimeError" in JsonFormatter().format(logged[0])


def test_a_bug_in_a_page_is_a_french_500_and_a_logged_traceback(caplog):
    app = app_with()

    @app.get("/boom")
    def boom():
        raise RuntimeError("détail interne")

    with caplog.at_level(logging.INFO):
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Erreur inattendue" in response.get_data(as_text=True)
    assert "détail interne" not in response.get_data(as_text=True)
    assert any(r.exc_info for r in caplog.records)


def test_every_log_record_is_one_json_line_that_client_text_cannot_forge():
    formatter = JsonFormatter()
    forged = "/api/v1/x\n2026-12-03 12:00:00,000 orient.access INFO {\"forged\": 1}\r\u2028\ud800"
    record = logging.LogRecord("orient", logging.ERROR, __file__, 1, "Exception on %s [POST]", (forged,), None)
    try:
        raise ValueError(forged)
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert "\n" not in line and "\r" not in line and "\u2028" not in line
    entry = json.loads(line)
    assert entry["source"] == "orient" and entry["niveau"] == "ERROR"
    assert entry["message"] == f"Exception on {forged} [POST]"
    assert "Traceback" in entry["trace"] and "ValueError" in entry["trace"]


def test_access_records_are_merged_as_fields(caplog):
    app = app_with()
    with caplog.at_level(logging.INFO, logger="orient.access"):
        app.test_client().get("/sante")
    record = next(r for r in caplog.records if r.name == "orient.access")
    entry = json.loads(JsonFormatter().format(record))
    assert entry["chemin"] == "/sante" and entry["statut"] == 200 and entry["methode"] == "GET"
    assert json.loads(record.getMessage())["chemin"] == "/sante"  # any other handler: one JSON object


# --- D6: a readable but malformed session --------------------------------------------------------

MALFORMED_PAYLOADS = [b'"x"', b"5", b"null", b"[]", b'["a", 1]', b"{not json", b"\xff\xfe\x00", b"[" * 2500 + b"]" * 2500,
                      b'{"a": ' * 2500 + b"1" + b"}" * 2500, b"", b"true"]


@pytest.mark.parametrize("payload", MALFORMED_PAYLOADS, ids=range(len(MALFORMED_PAYLOADS)))
def test_a_well_encrypted_but_malformed_session_is_treated_as_expired(app, payload):
    token = app.session_interface.fernet(app).encrypt(payload).decode()
    for url in ("/", "/annuaire/", "/sante", f"/cle/{KEY}", f"/cle/{KEY}/q/age_group", f"/cle/{KEY}/verifier",
                f"/cle/{KEY}/orientation", f"/cle/{KEY}/imprimer"):
        client = app.test_client()
        client.set_cookie("orient", token)
        response = client.get(url)
        assert response.status_code < 500, url
        if url.startswith(f"/cle/{KEY}/"):
            assert response.status_code == 400, url
            assert "Session expirée ou invalide" in response.get_data(as_text=True)


@pytest.mark.parametrize("shape", [{"a": [1, 2]}, {"age": 5}, {"csrf_token": 5}, {"dep": {"x": 1}}, {"k": None, "a": "x"}])
def test_wrong_shapes_inside_an_object_are_dropped_not_fatal(app, shape):
    client = app.test_client()
    client.set_cookie("orient", app.session_interface.dumps(app, shape))
    for url in (f"/cle/{KEY}/suite", f"/cle/{KEY}/q/age_group"):
        assert client.get(url).status_code in (200, 303)


def test_an_old_signed_only_cookie_is_refused_as_expired(app):
    from itsdangerous import URLSafeTimedSerializer

    old = URLSafeTimedSerializer("k" * 32, salt="cookie-session").dumps({"age": "adulte", "k": KEY})
    client = app.test_client()
    client.set_cookie("orient", old)
    response = client.get(f"/cle/{KEY}/q/alerte")
    assert response.status_code == 400 and "Session expirée" in response.get_data(as_text=True)


# --- D7: the Host header ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/annuaire", "/formation", "/static//orient.css", f"/cle//{KEY}", "//evil.example/x",
                                 "/api/v1//cles"])
def test_redirects_never_carry_the_host_header(client, url):
    response = client.get(url, headers={"Host": "evil.example"})
    location = response.headers.get("Location")
    if location is not None:
        assert not location.startswith(("http:", "https:", "//")), location
        assert "evil.example" not in location, location


def test_fhir_urls_never_carry_the_host_header(client):
    body = client.get(f"/api/v1/cles/{KEY}/fhir", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in body
    response = client.post(f"/api/v1/cles/{KEY}/fhir/reponse", headers={"Host": "evil.example"},
                           json={"age_group": "adulte", "answers": {"alerte": "oui"}})
    assert response.status_code == 200 and "evil.example" not in response.get_data(as_text=True)


def test_fhir_urls_use_the_configured_public_address():
    app = app_with(PUBLIC_URL="https://orient.example.fr")
    resource = app.test_client().get(f"/api/v1/cles/{KEY}/fhir", headers={"Host": "evil.example"}).get_json()
    assert resource["url"] == f"https://orient.example.fr/api/v1/fhir/Questionnaire/{KEY}"


def test_the_environment_configures_trusted_hosts_and_public_url(monkeypatch):
    monkeypatch.setenv("ORIENT_TRUSTED_HOSTS", "orient.example.fr, localhost")
    monkeypatch.setenv("ORIENT_PUBLIC_URL", "https://orient.example.fr/")
    app = app_with()
    assert app.config["TRUSTED_HOSTS"] == ["orient.example.fr", "localhost"]
    assert app.config["PUBLIC_URL"] == "https://orient.example.fr"


@pytest.mark.parametrize("url", ["/", "/annuaire", f"/cle/{KEY}/q/age_group", "/api/v1/cles", "/nulle-part", "/static/orient.css"])
def test_an_untrusted_host_is_refused_and_a_trusted_one_served(url):
    app = app_with(TRUSTED_HOSTS=["orient.example.fr"])
    client = app.test_client()
    refused = client.get(url, headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert "evil.example" not in refused.get_data(as_text=True) and "Location" not in refused.headers
    served = client.get(url, headers={"Host": "orient.example.fr"})
    assert served.status_code in (200, 303, 308, 404)


def test_proxy_headers_are_trusted_only_when_configured():
    def seen(app) -> str:
        @app.get("/vu")
        def vu():
            from flask import request

            return f"{request.scheme} {request.remote_addr}"

        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9, 198.51.100.1"}
        return app.test_client().get("/vu", headers=headers).get_data(as_text=True)

    assert seen(app_with()) == "http 127.0.0.1"
    assert seen(app_with(PROXY_COUNT=1)) == "https 198.51.100.1"  # only what the one proxy added


# --- D8: HSTS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url, status", [("/", 200), ("/nulle-part", 404), ("/static/orient.css", 200),
                                         ("/api/v1/cles", 200), (f"/cle/{KEY}/suite", 303)])
def test_hsts_on_every_response_with_secure_cookies_and_never_without(url, status):
    secure = app_with(SESSION_COOKIE_SECURE=True).test_client().get(url)
    assert secure.status_code == status
    assert secure.headers.getlist("Strict-Transport-Security") == ["max-age=31536000"]
    plain = app_with().test_client().get(url)
    assert "Strict-Transport-Security" not in plain.headers


def test_secure_cookies_from_the_environment(monkeypatch):
    monkeypatch.setenv("ORIENT_SECURE_COOKIES", "1")
    response = app_with().test_client().post(f"/cle/{KEY}/q/age_group", data={"answer": "adulte"})
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


# --- D4: the cookie on a shared computer -----------------------------------------------------------


def test_the_session_cookie_is_a_browser_session_cookie(client):
    response = client.post(f"/cle/{KEY}/q/age_group", data={"answer": "adulte"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("orient=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "expires" not in cookie.lower() and "max-age" not in cookie.lower()


def test_the_cookie_cannot_be_read_without_the_key(client):
    walk_to_check(client)
    value = client.get_cookie("orient").value
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    for secret in (b"adulte", b"69", b"signe-a", b"alerte", b"mini", b"csrf", b"age"):
        assert secret not in raw
    assert len(value) < 1024
    interface: EncryptedSessionInterface = client.application.session_interface
    data, _ = interface.loads(client.application, value)
    assert data["age"] == "adulte" and data["dep"] == "69" and data["a"] == {"alerte": "non", "signes": ["signe-a"]}


def test_a_tampered_or_foreign_cookie_is_refused(app):
    client = app.test_client()
    walk_to_check(client)
    value = client.get_cookie("orient").value
    other = app_with(SECRET_KEY="autre" * 8)
    foreign = other.session_interface.dumps(other, {"age": "adulte", "k": KEY, "a": {"alerte": "non"}})
    for bad in (value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB"), value[:40], foreign, value + "x", "é" * 10):
        c = app.test_client()
        c.set_cookie("orient", bad)
        response = c.get(f"/cle/{KEY}/verifier")
        assert response.status_code == 400 and "Session expirée" in response.get_data(as_text=True)


def test_the_idle_timeout_forgets_the_answers(monkeypatch):
    app = app_with(SESSION_IDLE_TIMEOUT=600)
    client = app.test_client()
    walk_to_check(client)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 590)
    assert client.get(f"/cle/{KEY}/verifier").status_code == 200  # still within the timeout: refreshed
    monkeypatch.setattr(time, "time", lambda: now + 590 + 601)
    response = client.get(f"/cle/{KEY}/verifier")
    assert response.status_code == 400 and "Session expirée" in response.get_data(as_text=True)
    assert client.get(f"/cle/{KEY}/suite").headers["Location"] == f"/cle/{KEY}/q/age_group"  # nothing left


def test_reading_keeps_the_session_alive_at_one_write_a_minute_at_most(monkeypatch):
    app = app_with(SESSION_IDLE_TIMEOUT=600)
    client = app.test_client()
    walk_to_check(client)
    assert "Set-Cookie" not in client.get(f"/cle/{KEY}/verifier").headers  # just written: not again
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 61)
    refreshed = client.get(f"/cle/{KEY}/verifier")
    assert "Set-Cookie" in refreshed.headers and "Expires" not in refreshed.headers["Set-Cookie"]
    assert "Set-Cookie" not in client.get("/static/orient.css").headers  # nothing read, nothing written


def test_the_idle_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ORIENT_IDLE_MINUTES", "15")
    assert app_with().config["SESSION_IDLE_TIMEOUT"] == 900
    monkeypatch.delenv("ORIENT_IDLE_MINUTES")
    assert app_with().config["SESSION_IDLE_TIMEOUT"] == 1800


def test_a_rotated_key_still_reads_the_sessions_of_the_old_one():
    old = app_with(SECRET_KEY="ancienne" * 4)
    client = old.test_client()
    walk_to_check(client)
    value = client.get_cookie("orient").value
    new = app_with(SECRET_KEY="nouvelle" * 4, SECRET_KEY_FALLBACKS=["ancienne" * 4])
    c = new.test_client()
    c.set_cookie("orient", value)
    assert c.get(f"/cle/{KEY}/verifier").status_code == 200


def _restart_form(html: str) -> str:
    match = re.search(r'<form method="post" action="/recommencer"[^>]*>(.*?)</form>', html, re.S)
    assert match, "no restart form"
    assert "Recommencer / effacer les réponses" in match.group(1)
    return match.group(1)


@pytest.mark.parametrize("page", ["verifier", "imprimer", "orientation", "q/alerte", "q/age_group"])
def test_recommencer_is_on_every_wizard_page_and_forgets_everything(page):
    app = create_app({"SECRET_KEY": "k" * 32, "TESTING": True, "RULES_DIR": str(BASE_RULES)})  # CSRF on
    client = app.test_client()
    html = client.get(f"/cle/{KEY}/q/age_group").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    for url, value in ((f"/cle/{KEY}/q/age_group", "adulte"), (f"/cle/{KEY}/q/alerte", "non"),
                       (f"/cle/{KEY}/q/signes", "signe-a"), (f"/cle/{KEY}/departement", "69")):
        assert client.post(url, data={"answer": value, "csrf_token": token}).status_code == 303
    response = client.get(f"/cle/{KEY}/{page}")
    assert response.status_code == 200
    form = _restart_form(response.get_data(as_text=True))
    page_token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/recommencer", data={}).status_code == 400  # CSRF still enforced
    restarted = client.post("/recommencer", data={"csrf_token": page_token})
    assert restarted.status_code == 303 and restarted.headers["Location"] == "/"
    assert client.get_cookie("orient") is None
    assert client.get(f"/cle/{KEY}/verifier").headers["Location"] == f"/cle/{KEY}/q/age_group"


def test_the_restart_control_is_hidden_when_printing(client):
    walk_to_check(client)
    html = client.get(f"/cle/{KEY}/imprimer").get_data(as_text=True)
    assert re.search(r'<div class="no-print">\s*(\{#.*?#\})?\s*<form method="post" action="/recommencer"', html, re.S)
