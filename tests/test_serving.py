"""The two documented ways to serve orient, attacked on loopback (issue 22: D1, D3, D7, D8).

1. nginx (deploy/nginx/*.conf, as shipped, only ports and paths replaced) in front of
   gunicorn (deploy/gunicorn.conf.py, 2 sync workers): 200 slow-header connections for 12 s
   while a probe every 0.25 s must be answered within 1 s; a 50 MB body refused without a
   byte written to disk; HSTS, French refusals, unknown hosts dropped, static files.
2. `orient serve` (waitress) alone with its documented defaults (--connection-limit 1000,
   --max-body 16384, --channel-timeout 30): the same slow clients and the same 50 MB body.

Every server runs on 127.0.0.1 on a free port and is stopped by its PID. nginx comes from
Debian (scripts/test.sh installs it when missing).
"""

from __future__ import annotations

import json
import time

import pytest
from servers import (
    SERVER_NAME,
    SlowClients,
    children,
    copy_rules,
    free_port,
    gunicorn,
    https_request,
    nginx,
    nginx_binary,
    orient_serve,
    render_nginx,
    request,
    send_big_body,
    wait_ready,
    wait_until,
)

pytestmark = pytest.mark.servers

SLOW_CLIENTS = 200
SLOW_SECONDS = 12
BIG_BODY = 50 * 1024 * 1024


def probe_for(seconds: float, probe) -> list[float]:
    """Call ``probe`` (returns the seconds one request took, raises on failure) every 0.25 s."""
    times = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        times.append(probe())
        time.sleep(0.25)
    return times


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory):
    if nginx_binary() is None:
        pytest.fail("nginx absent : ./scripts/test.sh installe le paquet Debian nginx")
    tmp = tmp_path_factory.mktemp("nginx")
    rules = copy_rules(tmp / "rules")
    upstream = free_port()
    app_tmp = tmp / "app-tmp"
    app_tmp.mkdir()
    app = gunicorn(upstream, rules, tmp / "gunicorn.log", workers=2, TMPDIR=str(app_tmp),
                   ORIENT_TRUSTED_HOSTS=SERVER_NAME, ORIENT_SECURE_COOKIES="1",
                   ORIENT_PUBLIC_URL=f"https://{SERVER_NAME}")
    http_port, https_port = free_port(), free_port()
    conf = render_nginx(tmp, http_port, https_port, upstream)
    proxy = nginx(conf, tmp / "nginx.out")
    try:
        wait_ready(app, upstream, host=SERVER_NAME)

        def ready():
            if not proxy.alive():
                raise AssertionError(proxy.output() + (tmp / "error.log").read_text(errors="replace"))
            return https_request(https_port, timeout=2)[0] == 200
        wait_until(ready, 20, "nginx ready")
        yield {"app": app, "proxy": proxy, "https": https_port, "http": http_port, "tmp": tmp, "app_tmp": app_tmp}
    finally:
        proxy.stop()  # SIGTERM to the nginx master: fast shutdown
        app.stop()


def nginx_pids(env) -> list[int]:
    return [env["proxy"].pid, *children(env["proxy"].pid)]


def test_nginx_answers_normal_requests_within_1s_while_200_slow_clients_hold_connections(behind_nginx):
    port = behind_nginx["https"]

    def probe() -> float:
        status, _, _, seconds = https_request(port, path="/cle/mini/q/age_group", timeout=5)
        assert status == 200
        return seconds

    with SlowClients(port, SLOW_CLIENTS, interval=2.0, tls=True) as slow:
        assert slow.opened >= SLOW_CLIENTS
        times = probe_for(SLOW_SECONDS, probe)
    assert len(times) >= 20
    assert max(times) < 1.0, f"slowest probe {max(times):.2f} s"
    assert behind_nginx["app"].alive() and "WORKER TIMEOUT" not in behind_nginx["app"].output()


def test_nginx_refuses_a_50_mb_body_without_writing_it_to_disk(behind_nginx):
    watched = behind_nginx["tmp"]  # nginx's client_body_temp_path and proxy_temp_path, and gunicorn's TMPDIR
    pids = nginx_pids(behind_nginx) + [behind_nginx["app"].pid, *children(behind_nginx["app"].pid)]
    result = send_big_body(behind_nginx["https"], BIG_BODY, tls=True, host=SERVER_NAME, watch=(pids, watched / "body"))
    assert result["status"] == 413, result
    assert result["peak_temp"] == 0 and result["after"] == result["before"] == 0, result
    app_side = send_big_body(behind_nginx["https"], BIG_BODY, tls=True, host=SERVER_NAME,
                             watch=(pids, behind_nginx["app_tmp"]))
    assert app_side["status"] == 413 and app_side["peak_temp"] == 0 and app_side["after"] == 0, app_side
    status, headers, body, _ = https_request(behind_nginx["https"], "POST", "/cle/mini/q/age_group",
                                             body=b"answer=" + b"x" * 20_000,
                                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413 and "Envoi trop volumineux" in body.decode()
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert https_request(behind_nginx["https"])[0] == 200  # still serving


def test_nginx_headers_hosts_and_static_files(behind_nginx):
    port = behind_nginx["https"]
    status, headers, _, _ = https_request(port, path="/")
    assert status == 200
    assert headers.get_all("Strict-Transport-Security") == ["max-age=31536000"]  # once, not twice
    assert "nginx/" not in (headers.get("Server") or "")
    status, headers, _, _ = https_request(port, path="/static/orient.css")
    assert status == 200 and headers["Cache-Control"] == "no-cache" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Content-Security-Policy" not in headers  # served by nginx, not by the app
    # An unknown Host: no TLS handshake / no answer at all.
    with pytest.raises(Exception):  # noqa: B017 (a refused handshake raises ssl or socket errors alike)
        https_request(port, path="/", host="evil.example", timeout=3)
    status, headers, _, _ = https_request(port, path="/annuaire", host=SERVER_NAME)
    assert status == 308 and headers["Location"] == "/annuaire/"  # relative: the Host never echoed
    resource = json.loads(https_request(port, path="/api/v1/cles/mini/fhir")[2])
    assert resource["url"] == f"https://{SERVER_NAME}/api/v1/fhir/Questionnaire/mini"
    # Plain HTTP: our name is sent to HTTPS, anything else is dropped.
    status, _, _ = request(behind_nginx["http"], path="/x", headers={"Host": SERVER_NAME})[:3]
    assert status == 301
    with pytest.raises(Exception):  # noqa: B017 (nginx closes the connection: any socket error)
        request(behind_nginx["http"], path="/", headers={"Host": "evil.example"}, timeout=3)
    # The app saw HTTPS through the proxy headers: its session cookie is Secure.
    status, headers, _, _ = https_request(port, "POST", "/cle/mini/q/age_group", body=b"answer=adulte",
                                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400  # no CSRF token: refused, in French
    status, headers, _, _ = https_request(port, path="/cle/mini/q/age_group")
    assert "Secure" in headers["Set-Cookie"] and "Expires" not in headers["Set-Cookie"]


# --- orient serve (waitress) alone -------------------------------------------------------------


@pytest.fixture(scope="module")
def serve_alone(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    rules = copy_rules(tmp / "rules")
    port = free_port()
    spool = tmp / "spool"
    spool.mkdir()
    server = orient_serve(port, rules, tmp / "serve.log", TMPDIR=str(spool))
    try:
        wait_ready(server, port)
        yield {"server": server, "port": port, "spool": spool}
    finally:
        server.stop()


def test_orient_serve_answers_within_1s_while_200_slow_clients_hold_connections(serve_alone):
    port = serve_alone["port"]

    def probe() -> float:
        status, _, seconds = request(port, path="/cle/mini/q/age_group", timeout=5)
        assert status == 200
        return seconds

    with SlowClients(port, SLOW_CLIENTS, interval=2.0, host="127.0.0.1") as slow:
        assert slow.opened >= SLOW_CLIENTS
        times = probe_for(SLOW_SECONDS, probe)
        log = serve_alone["server"].output()
    assert len(times) >= 20
    assert max(times) < 1.0, f"slowest probe {max(times):.2f} s"
    assert "connection limit" not in log


def test_orient_serve_refuses_a_50_mb_body_without_writing_it_to_disk(serve_alone):
    spool = serve_alone["spool"]
    result = send_big_body(serve_alone["port"], BIG_BODY, tls=False, host="127.0.0.1",
                           watch=([serve_alone["server"].pid], spool))
    assert result["status"] == 413, result
    assert result["peak_temp"] == 0 and result["after"] == result["before"] == 0, result
    assert request(serve_alone["port"])[0] == 200  # still serving
