"""`kill -HUP` on gunicorn (deploy/gunicorn.conf.py) never takes the service down (issue 22, D2).

gunicorn with 2 workers on the fixture rules, under light load (two client threads, about
40 requests a second, a new connection each): a HUP with a broken rules file is refused in
the master, the workers are replaced by workers that still serve the old rules, and no
request fails; then a HUP with good rules (a new version) is picked up by every worker.
"""

from __future__ import annotations

import json
import signal
import threading
import time

import pytest
from servers import children, copy_rules, free_port, gunicorn, request, wait_ready, wait_until

pytestmark = pytest.mark.servers


class Load:
    """Client threads that GET /sante and a wizard page until stopped; count every failure."""

    def __init__(self, port: int, threads: int = 2):
        self.port = port
        self.stop_event = threading.Event()
        self.ok = 0
        self.failures: list[str] = []
        self.versions: set[str] = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        paths = ["/sante", "/cle/mini/q/age_group", "/api/v1/cles/mini"]
        i = 0
        while not self.stop_event.is_set():
            path = paths[i % len(paths)]
            i += 1
            try:
                status, body, _ = request(self.port, path=path, timeout=10)
                good = status == 200
                version = json.loads(body)["version"].split()[0] if path == "/sante" and good else None
            except Exception as exc:
                good, status, version = False, repr(exc), None
            with self.lock:
                if good:
                    self.ok += 1
                    if version:
                        self.versions.add(version)
                else:
                    self.failures.append(f"{path}: {status}")
            time.sleep(0.05)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for t in self.threads:
            t.join(15)


def version(port: int) -> str:
    status, body, _ = request(port)
    assert status == 200
    return json.loads(body)["version"].split()[0]  # "test-1 (content hash)"


def test_sighup_with_broken_rules_keeps_serving_then_good_rules_are_picked_up(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    port = free_port()
    server = gunicorn(port, rules, tmp_path / "gunicorn.log", workers=2)
    try:
        wait_ready(server, port)
        wait_until(lambda: len(children(server.pid)) == 2, 20, "2 workers")
        assert version(port) == "test-1"
        with Load(port) as load:
            time.sleep(1.0)
            # 1. A broken rules file, then HUP: refused in the master.
            key = rules / "keys" / "mini.yaml"
            good_text = key.read_text(encoding="utf-8")
            key.write_text(good_text + "\n  : : [unclosed\n", encoding="utf-8")
            before = children(server.pid)
            server.send(signal.SIGHUP)
            wait_until(lambda: "rechargement refusé" in server.output(), 30, "reload refused in the log")
            wait_until(lambda: len(set(children(server.pid)) - set(before)) == 2
                       and not set(children(server.pid)) & set(before), 30, "workers replaced")
            time.sleep(1.5)
            assert server.alive(), server.output()[-3000:]
            assert {version(port) for _ in range(10)} == {"test-1"}  # every worker: the old rules
            # 2. Good rules with a new version, then HUP: picked up by every new worker.
            key.write_text(good_text, encoding="utf-8")
            meta = rules / "meta.yaml"
            meta.write_text(meta.read_text(encoding="utf-8").replace('"test-1"', '"test-2"'), encoding="utf-8")
            before = children(server.pid)
            server.send(signal.SIGHUP)
            wait_until(lambda: "règles rechargées : version test-2" in server.output(), 30, "reload in the log")
            wait_until(lambda: not set(children(server.pid)) & set(before) and len(children(server.pid)) == 2,
                       30, "workers replaced again")
            time.sleep(1.0)
            assert {version(port) for _ in range(10)} == {"test-2"}
            time.sleep(1.0)
        assert server.alive()
        assert load.failures == [], load.failures[:10]
        assert load.ok > 50, load.ok
        assert load.versions == {"test-1", "test-2"}
        log = server.output()
        assert "Worker failed to boot" not in log and "Traceback" not in log
        refused = [line for line in log.splitlines() if "rechargement refusé" in line]
        assert refused and all(json.loads(line)["niveau"] == "ERROR" for line in refused)  # one JSON line each
    finally:
        server.stop()
