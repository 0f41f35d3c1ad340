"""Helpers for the tests that start real servers (gunicorn, nginx, `orient serve`) on loopback.

Every process is started here, on 127.0.0.1 and a free port, and stopped by its own PID.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_RULES = ROOT / "tests" / "fixtures" / "base"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def request(port: int, method: str = "GET", path: str = "/sante", timeout: float = 5.0,
            headers: dict | None = None, body: bytes | None = None) -> tuple[int, bytes, float]:
    """(status, body, seconds) of one request on a new connection."""
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), time.monotonic() - started
    finally:
        conn.close()


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"{what}: not reached in {timeout} s (last: {last!r})")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


class Process:
    """A server process started with Popen, output to a log file, stopped by PID."""

    def __init__(self, args: list[str], log: Path, env: dict | None = None, cwd: Path = ROOT):
        self.log = log
        self.proc = subprocess.Popen(args, cwd=cwd, env={**os.environ, **(env or {})},
                                     stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=False)
        self.pid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def send(self, sig: int) -> None:
        os.kill(self.pid, sig)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(5)


def gunicorn(port: int, rules: Path, log: Path, workers: int = 2, **env: str) -> Process:
    return Process([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")], log,
                   env={"ORIENT_SECRET_KEY": "test-" + "x" * 40, "ORIENT_RULES": str(rules),
                        "ORIENT_BIND": f"{HOST}:{port}", "ORIENT_WORKERS": str(workers), **env})


def orient_serve(port: int, rules: Path, log: Path, *options: str, **env: str) -> Process:
    return Process([sys.executable, "-m", "orient.authoring.cli", "serve", "--host", HOST, "--port", str(port),
                    "--rules", str(rules), *options], log, env=env)


def wait_ready(server: Process, port: int, timeout: float = 30.0, host: str | None = None) -> None:
    def ready():
        if not server.alive():
            raise AssertionError(f"server exited:\n{server.output()[-3000:]}")
        return request(port, timeout=2, headers={"Host": host} if host else None)[0] == 200
    wait_until(ready, timeout, "server ready")


def copy_rules(target: Path) -> Path:
    shutil.copytree(BASE_RULES, target)
    return target


# --- nginx in front of gunicorn ---------------------------------------------------------------

SERVER_NAME = "orient.example.fr"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for SERVER_NAME (cryptography, no openssl binary needed)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def render_nginx(directory: Path, http_port: int, https_port: int, upstream_port: int,
                 server_name: str = SERVER_NAME) -> Path:
    """deploy/nginx/orient.conf and orient-proxy.conf as shipped, with only the machine-specific
    values replaced (ports on 127.0.0.1, certificate, static root, snippet path), inside a
    minimal nginx.conf whose every path lies in ``directory``. Returns the nginx.conf path.
    ``server_name``: the name the site answers for (bench/load.py uses "127.0.0.1": wrk sends
    the URL's host as TLS SNI and cannot be given another one)."""
    deploy = ROOT / "deploy" / "nginx"
    cert, key = self_signed_certificate(directory)
    snippet = (deploy / "orient-proxy.conf").read_text(encoding="utf-8")
    snippet = snippet.replace("alias /srv/orient/static/;", f"alias {ROOT / 'static'}/;")
    (directory / "orient-proxy.conf").write_text(snippet, encoding="utf-8")
    site = (deploy / "orient.conf").read_text(encoding="utf-8")
    replacements = {
        "listen 80": f"listen {HOST}:{http_port}",
        "listen 443": f"listen {HOST}:{https_port}",
        "server 127.0.0.1:8000;": f"server {HOST}:{upstream_port};",
        f"/etc/letsencrypt/live/{SERVER_NAME}/fullchain.pem": str(cert),
        f"/etc/letsencrypt/live/{SERVER_NAME}/privkey.pem": str(key),
        "include snippets/orient-proxy.conf;": f"include {directory / 'orient-proxy.conf'};",
    }
    for old, new in replacements.items():
        assert old in site, old
        site = site.replace(old, new)
    if server_name != SERVER_NAME:
        assert f"server_name {SERVER_NAME};" in site
        site = site.replace(f"server_name {SERVER_NAME};", f"server_name {server_name};")
    (directory / "orient.conf").write_text(site, encoding="utf-8")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / sub).mkdir(exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(f"""{user}daemon off;
worker_processes 1;
pid {directory / 'nginx.pid'};
error_log {directory / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {directory / 'body'};
    proxy_temp_path {directory / 'proxy'};
    fastcgi_temp_path {directory / 'fastcgi'};
    uwsgi_temp_path {directory / 'uwsgi'};
    scgi_temp_path {directory / 'scgi'};
    include {directory / 'orient.conf'};
}}
""", encoding="utf-8")
    return conf


def nginx(conf: Path, log: Path) -> Process:
    return Process([nginx_binary(), "-p", str(conf.parent), "-c", str(conf)], log)


def https_request(port: int, method: str = "GET", path: str = "/sante", timeout: float = 5.0,
                  headers: dict | None = None, body: bytes | None = None, host: str = SERVER_NAME):
    """(status, headers, body, seconds) over TLS to nginx, with Host: ``host``."""
    class SNIConnection(http.client.HTTPSConnection):
        def connect(self):  # TLS to 127.0.0.1 with the server name (SNI) of ``host``, as a browser would
            http.client.HTTPConnection.connect(self)
            self.sock = tls_context().wrap_socket(self.sock, server_hostname=host)

    started = time.monotonic()
    conn = SNIConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read(), time.monotonic() - started
    finally:
        conn.close()


def tls_context():
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# --- hostile clients -------------------------------------------------------------------------


class SlowClients:
    """``count`` connections that send a request's headers one line every ``interval`` seconds
    and never finish them (slowloris); a connection the server closes is opened again, so the
    pressure stays at ``count`` for the whole run. ``tls``: over TLS (nginx's HTTPS port)."""

    def __init__(self, port: int, count: int, interval: float = 2.0, tls: bool = False, host: str = SERVER_NAME):
        import threading

        self.port, self.count, self.interval, self.tls, self.host = port, count, interval, tls, host
        self.stop_event = threading.Event()
        self.opened = 0
        self.reopened = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.socks: list = []

    def _open(self):
        sock = socket.create_connection((HOST, self.port), timeout=5)
        if self.tls:
            sock = tls_context().wrap_socket(sock, server_hostname=SERVER_NAME)
        sock.sendall(f"GET /cle/mini/q/age_group HTTP/1.1\r\nHost: {self.host}\r\n".encode())
        self.opened += 1
        return sock

    def _run(self) -> None:
        for _ in range(self.count):
            if self.stop_event.is_set():
                break
            try:
                self.socks.append(self._open())
            except OSError:
                self.socks.append(None)
        n = 0
        while not self.stop_event.wait(self.interval):
            n += 1
            for i, sock in enumerate(self.socks):
                try:
                    if sock is None:
                        raise OSError
                    sock.sendall(f"X-Lent-{n}: {'a' * 8}\r\n".encode())
                except OSError:
                    try:
                        if sock is not None:
                            sock.close()
                        self.socks[i] = self._open()
                        self.reopened += 1
                    except OSError:
                        self.socks[i] = None

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while self.opened < self.count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(10)
        for sock in self.socks:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()


def open_temp_files(pids: list[int], directory: Path) -> int:
    """Total size of the files under ``directory`` that these processes hold open (deleted
    or not: an unlinked temp file still shows in /proc/<pid>/fd)."""
    total = 0
    prefix = str(directory)
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            entries = list(fd_dir.iterdir())
        except OSError:
            continue
        for fd in entries:
            try:
                target = os.readlink(fd)
                if target.startswith(prefix):
                    total += os.stat(fd).st_size
            except OSError:
                continue
    return total


def tree_size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def send_big_body(port: int, size: int, tls: bool, host: str, watch: tuple[list[int], Path],
                  path: str = "/cle/mini/q/age_group") -> dict:
    """POST a ``size``-byte form body as fast as the server takes it, while sampling the temp
    files the server processes hold under the watched directory. Returns the status line read
    (if any), bytes sent, the largest temp size seen, and the directory size before/after."""
    import threading

    pids, directory = watch
    before = tree_size(directory)
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], open_temp_files(pids, directory), tree_size(directory))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    sock = socket.create_connection((HOST, port), timeout=10)
    if tls:
        sock = tls_context().wrap_socket(sock, server_hostname=SERVER_NAME)
    sent = 0
    status = None
    try:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      f"Content-Length: {size}\r\nConnection: close\r\n\r\n").encode())
        # A server that judges the Content-Length answers before reading any of the body.
        sock.settimeout(2)
        try:
            head = sock.recv(4096)
            if head.startswith(b"HTTP/"):
                status = int(head.split()[1])
        except TimeoutError:
            pass
        except OSError:
            pass
        # Then the body anyway, as fast as the server takes it: nothing of it may be kept.
        sock.settimeout(10)
        chunk = b"answer=" + b"x" * (64 * 1024 - 7)
        try:
            while sent < size:
                piece = chunk[: size - sent]
                sock.sendall(piece)
                sent += len(piece)
        except OSError:
            pass  # the server stopped reading: expected once it has refused the body
    finally:
        sock.close()
        time.sleep(0.3)
        stop.set()
        sampler.join(5)
    return {"status": status, "sent": sent, "peak_temp": peak[0], "before": before, "after": tree_size(directory)}
