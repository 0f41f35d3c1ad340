"""Load budgets: gunicorn (2 sync workers) under wrk, on 127.0.0.1 only, all in one run.

Run:   .venv/bin/python bench/load.py            (about 5 minutes: 5 rounds)
       .venv/bin/python bench/load.py --quick    (about 1 minute: 3 rounds of 3 s runs, 10 s soak)
       .venv/bin/python bench/load.py --behind nginx [--quick]   (about 6 minutes; --quick: 1.5)

Starts ``gunicorn -w 2`` on a free port of 127.0.0.1 with bench/loadapp.py (the real app,
CSRF off so that wrk can POST), waits until it answers, then measures in the same run:

  (a) a trivial route of the same app (GET /sante if it exists, else /accessibilite);
  (b) a journey: wrk cycles GET a question page, POST an answer (303), GET a result page,
      each with a session cookie prepared up front (age answered; finished journey);
  (c) resident memory (VmRSS) of each gunicorn worker after the load;
  (d) a soak on the journey at more connections: socket errors, non-2xx/3xx, 5xx.

With ``--behind nginx``: the same gunicorn, reached two ways in the same run, rounds
interleaved: directly (gunicorn alone) and through nginx over HTTPS with the shipped
deploy/nginx config (rendered as tests/servers.py does for the serving tests: ports on
127.0.0.1, a throw-away certificate, server_name 127.0.0.1 because wrk sends the URL's host as
TLS SNI). Reports both side by side: /sante and journey req/s and latencies, the journey / /sante
ratio, CPU per request of the gunicorn workers and of nginx, and a soak on each path.

Prints figures and PASS/FAIL per budget, then one summary table; exit code 1 if a budget
fails. wrk and gunicorn share the 2 cores: compare figures within one run (the ratio), not
with a remembered number. Never run in CI (timing assertions do not belong in tests).
Also: ``bench/load.py --print-cookie question|result`` prints a ``orient=...`` cookie
signed with $ORIENT_SECRET_KEY (used by bench/lighthouse.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
WORKERS = 2
WRK_THREADS = 2

# The journey measured: Raynaud, adult, ending on a referral (centres + map on the result page).
KEY = "raynaud"
QUESTION = "necrose"            # first question after the age
QUESTION_ANSWER = "non"         # POST answer -> 303 to the next question
FINISHED_ANSWERS = {
    "age_group": "adulte",
    "necrose": "non",
    "crise-renale": "non",
    "signes-associes": "peau-epaissie",
    "debut-tardif": "non",
    "atypique": "",
    "bilan-fait": "normal",
    "departement": "13",
}

BUDGET_RATIO = 0.60
BUDGET_P99_MS = 25.0
BUDGET_RSS_MB = 100.0


# --- cookies ---------------------------------------------------------------------------------


def prepare_cookies(secret_key: str) -> dict[str, str]:
    """Session cookies signed with ``secret_key``, built through Flask's test client:
    ``question`` (age answered: the question page renders), ``result`` (a finished journey
    with a département: the orientation renders). Valid on any server sharing the key."""
    from orient.web import create_app

    app = create_app({"SECRET_KEY": secret_key, "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    cookie_name = app.config["SESSION_COOKIE_NAME"]

    def current() -> str:
        cookie = client.get_cookie(cookie_name)
        assert cookie is not None, "no session cookie set"
        return f"{cookie_name}={cookie.value}"

    # A visitor's first page puts a CSRF token in the session; without it, every GET measured
    # would add one and re-sign the cookie, which no real journey does after its first page.
    assert client.get(f"/cle/{KEY}/q/age_group").status_code == 200
    response = client.post(f"/cle/{KEY}/q/age_group", data={"answer": FINISHED_ANSWERS["age_group"]})
    assert response.status_code == 303, response.status_code
    cookies = {"question": current()}
    location = response.headers["Location"]
    for _ in range(20):
        if location.endswith(("/verifier", "/orientation")):
            break
        step = location.rstrip("/").split("/")[-1]
        response = client.post(location, data={"answer": FINISHED_ANSWERS[step]})
        assert response.status_code == 303, (location, response.status_code)
        location = response.headers["Location"]
    assert client.get(f"/cle/{KEY}/orientation").status_code == 200
    cookies["result"] = current()
    return cookies


def cpu_per_request(secret_key: str, cookies: dict[str, str], trivial: str, n: int = 60) -> dict[str, float]:
    """Median CPU time (ms) of each request in-process (test client, no server, no wrk): the
    cost the app adds, nearly independent of what else runs on the machine."""
    from orient.web import create_app

    app = create_app({"SECRET_KEY": secret_key, "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client(use_cookies=False)
    requests = {
        f"GET {trivial}": ("GET", trivial, None, None),
        f"GET /cle/{KEY}/q/{QUESTION}": ("GET", f"/cle/{KEY}/q/{QUESTION}", cookies["question"], None),
        f"POST /cle/{KEY}/q/{QUESTION}": ("POST", f"/cle/{KEY}/q/{QUESTION}", cookies["question"],
                                           {"answer": QUESTION_ANSWER}),
        f"GET /cle/{KEY}/orientation": ("GET", f"/cle/{KEY}/orientation", cookies["result"], None),
    }
    medians = {}
    for name, (method, path, cookie, data) in requests.items():
        headers = {"Cookie": cookie} if cookie else {}
        times = []
        for i in range(n + 5):
            t0 = time.process_time()
            client.open(path, method=method, headers=headers, data=data)
            if i >= 5:
                times.append((time.process_time() - t0) * 1000)
        medians[name] = sorted(times)[len(times) // 2]
    return medians


# --- server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def get(url: str, cookie: str | None = None, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers={"Cookie": cookie} if cookie else {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class Server:
    def __init__(self, secret_key: str, log: Path, page_cache: bool = True, **extra_env: str):
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        env = {**os.environ, "ORIENT_SECRET_KEY": secret_key, "ORIENT_LOAD_TEST": "1",
               "ORIENT_LOAD_PAGE_CACHE": "512" if page_cache else "0", **extra_env}
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "sync", "-b", f"{HOST}:{self.port}",
             "--backlog", "2048", "--log-level", "warning", "--pythonpath", str(BENCH), "loadapp:app"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log.read_text()[-2000:]}")
            try:
                if get(self.base + "/") == 200 and len(self.worker_pids()) == WORKERS:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s:\n{self.log.read_text()[-2000:]}")

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # by PID: the master, which stops its workers
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def loadavg() -> str:
    """The 1-minute load average: above ~2 on 2 cores, other processes skew the figures."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def workers_cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (from /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput (its own latencies and CPU go with it)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[len(ordered) // 2]


# --- wrk -------------------------------------------------------------------------------------

LUA_COMMON = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1
  elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1
  elseif status >= 200 then s2 = s2 + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local c = {s2 = 0, s3 = 0, s4 = 0, s5 = 0, other = 0}
  for _, t in ipairs(threads) do
    for k, _ in pairs(c) do c[k] = c[k] + (t:get(k) or 0) end
  end
  local e = summary.errors
  io.write(string.format(
    'ORIENT_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,' ..
    '"write":%.0f,"status":%.0f,"timeout":%.0f,"p50":%.0f,"p90":%.0f,"p99":%.0f,"max":%.0f,' ..
    '"s2":%.0f,"s3":%.0f,"s4":%.0f,"s5":%.0f,"other":%.0f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    c.s2, c.s3, c.s4, c.s5, c.other))
end
"""

LUA_TRIVIAL = r"""
function init(args) s2, s3, s4, s5, other = 0, 0, 0, 0, 0 end
""" + LUA_COMMON

LUA_JOURNEY = r"""
local reqs, n = {}, 0
function init(args)
  s2, s3, s4, s5, other = 0, 0, 0, 0, 0
  reqs[1] = wrk.format("GET", QUESTION_PATH, {["Cookie"] = COOKIE_QUESTION})
  reqs[2] = wrk.format("POST", QUESTION_PATH, {["Cookie"] = COOKIE_QUESTION,
    ["Content-Type"] = "application/x-www-form-urlencoded"}, POST_BODY)
  reqs[3] = wrk.format("GET", RESULT_PATH, {["Cookie"] = COOKIE_RESULT})
end
function request()
  n = n % #reqs + 1
  return reqs[n]
end
""" + LUA_COMMON


def ensure_tool(name: str) -> str:
    """The path of a Debian tool the bench drives (wrk, valgrind), installed with apt-get when
    missing and running as root; exits with a clear message otherwise."""
    path = shutil.which(name)
    if path:
        return path
    if shutil.which("apt-get") and os.geteuid() == 0:
        print(f"{name} missing: apt-get install -y {name}", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", name], check=False, timeout=600,
                       stdout=subprocess.DEVNULL)
        path = shutil.which(name)
    if not path:
        sys.exit(f"{name} is required (Debian: apt-get install -y {name})")
    return path


def run_wrk(wrk: str, script: Path, url: str, connections: int, seconds: int) -> dict:
    cmd = [wrk, f"-t{min(WRK_THREADS, connections)}", f"-c{connections}", f"-d{seconds}s",
           "--timeout", "5s", "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    lines = [line for line in out.stdout.splitlines() if line.startswith("ORIENT_JSON ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    result = json.loads(lines[-1].removeprefix("ORIENT_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["socket_errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout"))
    # wrk's own lines, kept for the record (the same counts as above)
    result["wrk_lines"] = [line.strip() for line in out.stdout.splitlines()
                           if "Non-2xx" in line or "Socket errors" in line]
    return result


def lua_string(value: str) -> str:
    return json.dumps(value)  # ASCII cookie/path values: a JSON string is a valid Lua string


# --- behind nginx ----------------------------------------------------------------------------


def _journey_lua(tmpdir: Path, cookies: dict[str, str]) -> Path:
    path = tmpdir / "journey.lua"
    path.write_text(
        f"QUESTION_PATH = {lua_string(f'/cle/{KEY}/q/{QUESTION}')}\n"
        f"RESULT_PATH = {lua_string(f'/cle/{KEY}/orientation')}\n"
        f"COOKIE_QUESTION = {lua_string(cookies['question'])}\n"
        f"COOKIE_RESULT = {lua_string(cookies['result'])}\n"
        f"POST_BODY = {lua_string('answer=' + QUESTION_ANSWER)}\n" + LUA_JOURNEY)
    return path


def _errors(r: dict) -> tuple[int, int, int]:
    """(socket errors, non-2xx/3xx responses, 5xx responses) of one wrk run."""
    return r["socket_errors"], r["status"], r["s5"]


def behind_nginx(args, wrk: str, secret_key: str, run_s: int, soak_s: int) -> int:
    """gunicorn alone and nginx -> the same gunicorn, measured in the same run, rounds interleaved
    (the order alternates between rounds), so that whatever else the machine does weighs on both."""
    sys.path.insert(0, str(ROOT / "tests"))
    from servers import children, nginx, nginx_binary, render_nginx  # the serving tests' helpers

    if nginx_binary() is None:
        sys.exit("nginx is required (Debian: apt-get install -y nginx; scripts/test.sh installs it)")
    failed = False
    rows: list[tuple[str, str, str, str]] = []   # measure, gunicorn alone, behind nginx, result

    def row(name: str, alone: str, proxied: str, result: str = "info") -> None:
        rows.append((name, alone, proxied, result))

    def budget(name: str, alone: str, proxied: str, ok: bool) -> None:
        nonlocal failed
        failed |= not ok
        row(name, alone, proxied, "PASS" if ok else "FAIL")
        print(f"  budget {name}: {alone} | {proxied}: {'PASS' if ok else 'FAIL'}", flush=True)

    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="orient-load-nginx-") as tmp:
        tmpdir = Path(tmp)
        # As in production behind nginx: the app trusts one proxy's X-Forwarded-* (ProxyFix).
        server = Server(secret_key, tmpdir / "gunicorn.log", ORIENT_PROXIES="1")
        proxy = None
        try:
            cookies = prepare_cookies(secret_key)
            server.wait_ready()
            (tmpdir / "nginx").mkdir()
            https_port = free_port()
            conf = render_nginx(tmpdir / "nginx", free_port(), https_port, server.port, server_name=HOST)
            proxy = nginx(conf, tmpdir / "nginx.out")
            targets = {"alone": server.base, "nginx": f"https://{HOST}:{https_port}"}
            trivial_lua = tmpdir / "trivial.lua"
            trivial_lua.write_text(LUA_TRIVIAL)
            journey_lua = _journey_lua(tmpdir, cookies)

            # Ready, and the journey behaves on both paths (wrk itself: Python cannot send an IP
            # address as TLS SNI, which the rendered config needs). Doubles as the warm-up.
            deadline = time.monotonic() + 20
            while True:
                try:
                    probe = run_wrk(wrk, trivial_lua, targets["nginx"] + "/sante", 1, 1)
                    if probe["s2"] > 0:
                        break
                except RuntimeError:
                    pass
                if not proxy.alive() or time.monotonic() > deadline:
                    raise RuntimeError("nginx not ready:\n" + proxy.output()[-2000:]
                                       + (tmpdir / "nginx" / "error.log").read_text(errors="replace")[-2000:])
                time.sleep(0.3)
            gunicorn_workers = server.worker_pids()
            nginx_workers = children(proxy.pid)
            print(f"gunicorn {WORKERS} sync workers on {server.base} (workers {gunicorn_workers}); nginx "
                  f"{proxy.pid} (workers {nginx_workers}) on {targets['nginx']}, deploy/nginx config; "
                  f"{os.cpu_count()} CPUs shared by wrk, nginx and gunicorn", flush=True)
            for name, base in targets.items():
                run_wrk(wrk, trivial_lua, base + "/sante", 4, 2)
                warm = run_wrk(wrk, journey_lua, base + "/", 4, 2)
                total = warm["s2"] + warm["s3"] + warm["s4"] + warm["s5"] + warm["other"]
                if not total or abs(warm["s3"] / total - 1 / 3) > 0.02 or warm["s4"] + warm["s5"] or warm["socket_errors"]:
                    raise RuntimeError(f"the journey does not behave as expected through {name}: {warm}")

            c = args.connections
            runs = [(f"{route}-{name}", script, base + path, name)
                    for route, script, path in (("trivial", trivial_lua, "/sante"), ("journey", journey_lua, "/"))
                    for name, base in targets.items()]
            per_round: dict[str, list[dict]] = {label: [] for label, *_ in runs}
            for round_no in range(1, args.rounds + 1):
                # alternate which path goes first, so neither always follows the other
                order = runs if round_no % 2 else [r for pair in zip(runs[1::2], runs[0::2], strict=True) for r in pair]
                for label, script, url, _name in order:
                    g0, n0 = workers_cpu_s(gunicorn_workers), workers_cpu_s(nginx_workers)
                    r = run_wrk(wrk, script, url, c, run_s)
                    n = max(r["requests"], 1)
                    r["worker_cpu_ms"] = (workers_cpu_s(gunicorn_workers) - g0) / n * 1000
                    r["nginx_cpu_ms"] = (workers_cpu_s(nginx_workers) - n0) / n * 1000
                    per_round[label].append(r)
                    print(f"round {round_no} {label:15} {c} conn, {run_s} s: {r['rps']:6.0f} req/s  "
                          f"p50 {r['p50'] / 1000:6.2f} ms  p99 {r['p99'] / 1000:6.2f} ms  max {r['max'] / 1000:6.1f} ms  "
                          f"gunicorn CPU {r['worker_cpu_ms']:.3f} ms/req  nginx CPU {r['nginx_cpu_ms']:.3f} ms/req  "
                          f"(2xx {r['s2']}, 3xx {r['s3']}, 4xx {r['s4']}, 5xx {r['s5']}, "
                          f"socket errors {r['socket_errors']})", flush=True)
            med = {label: median_run(rs) for label, rs in per_round.items()}

            def pair(fmt) -> tuple[str, str]:
                return fmt("alone"), fmt("nginx")

            for route, path in (("trivial", "/sante"), ("journey", "journey (GET q, POST, GET result)")):
                row(f"{path}: req/s, p50 / p99 ({c} conn, median round)",
                    *pair(lambda n, route=route: f"{med[f'{route}-{n}']['rps']:.0f}, "
                                                 f"{med[f'{route}-{n}']['p50'] / 1000:.1f} / "
                                                 f"{med[f'{route}-{n}']['p99'] / 1000:.1f} ms"))
            ratios = {n: [j["rps"] / t["rps"] for j, t in zip(per_round[f"journey-{n}"], per_round[f"trivial-{n}"], strict=True)]
                      for n in targets}
            ratio = {n: med[f"journey-{n}"]["rps"] / med[f"trivial-{n}"]["rps"] for n in targets}
            budget("ratio journey / /sante req/s (medians; rounds)",
                   f"{ratio['alone']:.2f} ({min(ratios['alone']):.2f}–{max(ratios['alone']):.2f})",
                   f"{ratio['nginx']:.2f} ({min(ratios['nginx']):.2f}–{max(ratios['nginx']):.2f})",
                   ratio["alone"] >= BUDGET_RATIO)
            p99 = {n: med[f"journey-{n}"]["p99"] / 1000 for n in targets}
            p99_rounds = {n: [r["p99"] / 1000 for r in per_round[f"journey-{n}"]] for n in targets}
            budget(f"journey p99 at {c} connections (median round; rounds)",
                   f"{p99['alone']:.1f} ms ({min(p99_rounds['alone']):.1f}–{max(p99_rounds['alone']):.1f})",
                   f"{p99['nginx']:.1f} ms ({min(p99_rounds['nginx']):.1f}–{max(p99_rounds['nginx']):.1f})",
                   p99["alone"] < BUDGET_P99_MS)
            row("throughput behind nginx / alone: /sante, journey", "—",
                f"{med['trivial-nginx']['rps'] / med['trivial-alone']['rps']:.2f}, "
                f"{med['journey-nginx']['rps'] / med['journey-alone']['rps']:.2f}")
            row("gunicorn workers' CPU per request: /sante / journey",
                *pair(lambda n: f"{med[f'trivial-{n}']['worker_cpu_ms']:.3f} / {med[f'journey-{n}']['worker_cpu_ms']:.3f} ms"))
            row("nginx worker CPU per request: /sante / journey", "—",
                f"{med['trivial-nginx']['nginx_cpu_ms']:.3f} / {med['journey-nginx']['nginx_cpu_ms']:.3f} ms")
            shape = {}
            for n in targets:
                rs = per_round[f"journey-{n}"]
                total = sum(r[k] for r in rs for k in ("s2", "s3", "s4", "s5", "other"))
                shape[n] = (sum(r["s3"] for r in rs) / total if total else 0.0, sum(r["s4"] + r["s5"] for r in rs))
            budget("journey shape: share of 303, 4xx+5xx (all rounds)", *pair(lambda n: f"{shape[n][0]:.3f}, {shape[n][1]}"),
                   all(abs(share - 1 / 3) <= 0.01 and bad == 0 for share, bad in shape.values()))
            round_errors = {n: [sum(x) for x in zip(*(_errors(r) for label, rs in per_round.items()
                                                       if label.endswith(n) for r in rs), strict=True)]
                            for n in targets}
            budget("rounds: socket errors / non-2xx-3xx / 5xx", *pair(lambda n: " / ".join(map(str, round_errors[n]))),
                   all(not any(v) for v in round_errors.values()))

            soaks = {}
            for n, base in targets.items():
                soaks[n] = s = run_wrk(wrk, journey_lua, base + "/", args.soak_connections, soak_s)
                print(f"soak {n}: journey {args.soak_connections} conn, {soak_s} s: {s['rps']:.0f} req/s, "
                      f"p99 {s['p99'] / 1000:.1f} ms, max {s['max'] / 1000:.1f} ms, {s['requests']} requests; "
                      f"errors socket/non-2xx-3xx/5xx {_errors(s)}", flush=True)
            row(f"soak journey ({args.soak_connections} conn, {soak_s} s): req/s, p99, requests",
                *pair(lambda n: f"{soaks[n]['rps']:.0f}, {soaks[n]['p99'] / 1000:.1f} ms, {soaks[n]['requests']}"))
            budget("soak: socket errors / non-2xx-3xx / 5xx", *pair(lambda n: " / ".join(map(str, _errors(soaks[n])))),
                   all(not any(_errors(s)) for s in soaks.values()))
            if server.proc.poll() is not None or not proxy.alive():
                budget("gunicorn and nginx alive after the soak", "exited?", "exited?", False)
            log = server.log.read_text(errors="replace")
            if "Traceback" in log or "WORKER TIMEOUT" in log:
                budget("gunicorn log clean", "tracebacks/timeouts", "", False)
                print(log[-3000:])
            nginx_errors = (tmpdir / "nginx" / "error.log").read_text(errors="replace")
            if nginx_errors.strip():
                print("nginx error.log:\n" + nginx_errors[-3000:])
            row("nginx error.log lines (warn and above)", "—", str(len(nginx_errors.splitlines())))
        finally:
            if proxy is not None:
                proxy.stop()
            server.stop()

    row("load average (1 min) before / after", f"{load_before} / {loadavg()}", "")
    print(f"\nSummary ({time.strftime('%Y-%m-%d %H:%M')}, {'quick' if args.quick else 'full'}: {args.rounds} "
          f"interleaved rounds of {run_s} s runs, {soak_s} s soaks; gunicorn {WORKERS} sync workers, nginx "
          f"deploy/nginx over HTTPS, wrk -t{WRK_THREADS}, {os.cpu_count()} CPUs shared)")
    widths = [max(len(r[i]) for r in rows + [("measure", "gunicorn alone", "behind nginx (HTTPS)", "result")])
              for i in range(4)]
    for r in [("measure", "gunicorn alone", "behind nginx (HTTPS)", "result")] + [None] + rows:
        if r is None:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        else:
            print("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |")
    print("\nbudgets (gunicorn alone, as before; errors on both paths): " + ("FAIL" if failed else "PASS"))
    return 1 if failed else 0


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s runs and a 10 s soak")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, help="interleaved rounds, medians reported (default 5; 3 with --quick)")
    parser.add_argument("--soak-connections", type=int, default=64)
    parser.add_argument("--behind", choices=("nginx",),
                        help="also measure through nginx (deploy/nginx, HTTPS) in front of the same gunicorn, "
                             "side by side with gunicorn alone, rounds interleaved")
    parser.add_argument("--print-cookie", choices=("question", "result"),
                        help="print a session cookie signed with $ORIENT_SECRET_KEY, and exit")
    args = parser.parse_args()

    if args.print_cookie:
        key = os.environ.get("ORIENT_SECRET_KEY")
        if not key:
            sys.exit("ORIENT_SECRET_KEY is not set")
        print(prepare_cookies(key)[args.print_cookie])
        return 0

    run_s, soak_s = (3, 10) if args.quick else (10, 60)
    args.rounds = args.rounds or (3 if args.quick else 5)
    wrk = ensure_tool("wrk")
    secret_key = os.environ.get("ORIENT_SECRET_KEY") or secrets.token_hex(32)

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    if args.behind == "nginx":
        return behind_nginx(args, wrk, secret_key, run_s, soak_s)

    rows: list[tuple[str, str, str, str]] = []
    failed = False

    def budget(name: str, value: str, limit: str, ok: bool) -> None:
        nonlocal failed
        failed |= not ok
        rows.append((name, value, limit, "PASS" if ok else "FAIL"))
        print(f"  budget {name}: {value} (budget {limit}): {'PASS' if ok else 'FAIL'}", flush=True)

    with tempfile.TemporaryDirectory(prefix="orient-load-") as tmp:
        tmpdir = Path(tmp)
        server = Server(secret_key, tmpdir / "gunicorn.log")
        try:
            t0 = time.monotonic()
            load_before = loadavg()
            cookies = prepare_cookies(secret_key)
            server.wait_ready()
            workers = server.worker_pids()
            print(f"gunicorn {WORKERS} sync workers on {server.base} (master {server.proc.pid}, workers "
                  f"{workers}), ready in {time.monotonic() - t0:.1f} s; {os.cpu_count()} CPUs shared with wrk")

            trivial = "/sante" if get(server.base + "/sante") == 200 else "/accessibilite"
            question_path = f"/cle/{KEY}/q/{QUESTION}"
            result_path = f"/cle/{KEY}/orientation"
            checks = {
                f"GET {question_path}": get(server.base + question_path, cookies["question"]),
                f"POST {question_path}": get(server.base + question_path, cookies["question"],
                                             f"answer={QUESTION_ANSWER}".encode()),
                f"GET {result_path}": get(server.base + result_path, cookies["result"]),
            }
            print(f"trivial route: {trivial}; journey pre-check: "
                  + ", ".join(f"{k} -> {v}" for k, v in checks.items()))
            if list(checks.values()) != [200, 303, 200]:
                raise RuntimeError("the journey does not behave as expected (cookies refused?)")

            cpu = cpu_per_request(secret_key, cookies, trivial)
            journey_cpu = sum(v for k, v in cpu.items() if k != f"GET {trivial}") / 3
            print("CPU per request in-process (median): " + ", ".join(f"{k} {v:.2f} ms" for k, v in cpu.items())
                  + f"; journey mean {journey_cpu:.2f} ms, so the CPU-bound ceiling of the ratio is about "
                  f"{cpu[f'GET {trivial}'] / journey_cpu:.2f} (+ per-request server overhead)")
            rows.append(("CPU per request in-process: trivial / journey mean",
                         f"{cpu[f'GET {trivial}']:.2f} / {journey_cpu:.2f} ms", "—", "info"))

            trivial_lua = tmpdir / "trivial.lua"
            trivial_lua.write_text(LUA_TRIVIAL)
            journey_lua = _journey_lua(tmpdir, cookies)

            # warm-up (templates compiled, caches filled in both workers), not reported
            run_wrk(wrk, trivial_lua, server.base + trivial, 4, 2)
            run_wrk(wrk, journey_lua, server.base + "/", 4, 2)

            c = args.connections
            # Interleaved rounds, medians reported: whatever else the machine runs hits every
            # route alike, instead of skewing whichever run it happened to coincide with.
            runs = [("trivial", trivial_lua, trivial, c)]
            if trivial != "/accessibilite":  # a trivial HTML page too, for the record
                runs.append(("html", trivial_lua, "/accessibilite", c))
            runs += [("journey", journey_lua, "/", c),
                     ("journey-service", journey_lua, "/", WORKERS)]  # one connection per worker: no queueing
            per_round: dict[str, list[dict]] = {name: [] for name, *_ in runs}
            for round_no in range(1, args.rounds + 1):
                for name, script, path, conns in runs:
                    cpu0 = workers_cpu_s(workers)
                    r = run_wrk(wrk, script, server.base + path, conns, run_s)
                    r["worker_cpu_ms"] = (workers_cpu_s(workers) - cpu0) / max(r["requests"], 1) * 1000
                    per_round[name].append(r)
                    print(f"round {round_no} {name:15} {path:15} {conns:2} conn, {run_s} s: {r['rps']:6.0f} req/s  "
                          f"p50 {r['p50'] / 1000:6.2f} ms  p99 {r['p99'] / 1000:6.2f} ms  max {r['max'] / 1000:6.1f} ms  "
                          f"worker CPU {r['worker_cpu_ms']:.3f} ms/req  (2xx {r['s2']}, 3xx {r['s3']}, 4xx {r['s4']}, "
                          f"5xx {r['s5']}, socket errors {r['socket_errors']})", flush=True)
            results = {name: median_run(rs) for name, rs in per_round.items()}
            tr, jr, js = results["trivial"], results["journey"], results["journey-service"]

            def spread(name: str, field: str, scale: float = 1.0, fmt: str = ".0f") -> str:
                values = [r[field] * scale for r in per_round[name]]
                return f"{min(values):{fmt}}–{max(values):{fmt}}" if len(values) > 1 else ""

            rows.append((f"trivial GET {trivial}: req/s, p50 / p99 ({c} conn)",
                         f"{tr['rps']:.0f}, {tr['p50'] / 1000:.1f} / {tr['p99'] / 1000:.1f} ms", "—", "info"))
            if "html" in results:
                hr = results["html"]
                rows.append((f"trivial HTML GET /accessibilite: req/s, p50 / p99 ({c} conn)",
                             f"{hr['rps']:.0f}, {hr['p50'] / 1000:.1f} / {hr['p99'] / 1000:.1f} ms", "—", "info"))
            rows.append((f"journey (GET q, POST, GET result): req/s, p50 / p99 ({c} conn)",
                         f"{jr['rps']:.0f}, {jr['p50'] / 1000:.1f} / {jr['p99'] / 1000:.1f} ms", "—", "info"))
            rows.append((f"journey at {WORKERS} conn (no queueing): req/s, p50 / p99",
                         f"{js['rps']:.0f}, {js['p50'] / 1000:.1f} / {js['p99'] / 1000:.1f} ms", "—", "info"))
            rows.append(("worker CPU per request: trivial / journey",
                         f"{tr['worker_cpu_ms']:.3f} / {jr['worker_cpu_ms']:.3f} ms", "—", "info"))
            total = sum(r[k] for r in per_round["journey"] for k in ("s2", "s3", "s4", "s5", "other"))
            s3 = sum(r["s3"] for r in per_round["journey"])
            s45 = sum(r["s4"] + r["s5"] for r in per_round["journey"])
            share_303 = s3 / total if total else 0.0
            budget("journey shape (1 in 3 is a 303, no 4xx/5xx)", f"{share_303:.3f}, {s45}",
                   "1/3±.01, 0", abs(share_303 - 1 / 3) <= 0.01 and s45 == 0)
            ratios = [j["rps"] / t["rps"] for j, t in zip(per_round["journey"], per_round["trivial"], strict=True)]
            ratio = jr["rps"] / tr["rps"]
            budget(f"ratio journey / {trivial} req/s (medians; rounds {min(ratios):.2f}–{max(ratios):.2f})",
                   f"{ratio:.2f}", f"≥ {BUDGET_RATIO:.2f}", ratio >= BUDGET_RATIO)
            if "html" in results:
                rows.append(("ratio journey / /accessibilite req/s", f"{jr['rps'] / results['html']['rps']:.2f}",
                             "—", "info"))
            budget(f"journey p99 at {c} connections (median; rounds {spread('journey', 'p99', 1e-3, '.1f')} ms)",
                   f"{jr['p99'] / 1000:.1f} ms", f"< {BUDGET_P99_MS:.0f} ms", jr["p99"] / 1000 < BUDGET_P99_MS)

            # The same journey with the page cache off: every page rendered, as for a path no
            # one has taken since the worker started. Not a budget: the worst case, for the record.
            cold = Server(secret_key, tmpdir / "gunicorn-cold.log", page_cache=False)
            try:
                cold.wait_ready()
                run_wrk(wrk, journey_lua, cold.base + "/", 4, 1)
                cold_workers = cold.worker_pids()
                cpu0 = workers_cpu_s(cold_workers)
                cr = run_wrk(wrk, journey_lua, cold.base + "/", c, run_s)
                cr["worker_cpu_ms"] = (workers_cpu_s(cold_workers) - cpu0) / max(cr["requests"], 1) * 1000
            finally:
                cold.stop()
            print(f"journey, page cache off, {c} conn: {cr['rps']:.0f} req/s, p50 {cr['p50'] / 1000:.1f} ms, "
                  f"p99 {cr['p99'] / 1000:.1f} ms, worker CPU {cr['worker_cpu_ms']:.3f} ms/req, "
                  f"{cr['s4'] + cr['s5']} 4xx/5xx", flush=True)
            rows.append((f"journey, page cache off (every page rendered): req/s, p99; ratio ({c} conn)",
                         f"{cr['rps']:.0f}, {cr['p99'] / 1000:.1f} ms; {cr['rps'] / tr['rps']:.2f}", "—", "info"))

            rss = {pid: rss_mb(pid) for pid in server.worker_pids()}
            print("worker VmRSS after load: " + ", ".join(f"{pid}: {mb:.1f} MB" for pid, mb in rss.items())
                  + f" (master {rss_mb(server.proc.pid):.1f} MB)")
            budget("VmRSS per worker (max)", f"{max(rss.values()):.1f} MB", f"< {BUDGET_RSS_MB:.0f} MB",
                   bool(rss) and max(rss.values()) < BUDGET_RSS_MB)

            s = run_wrk(wrk, journey_lua, server.base + "/", args.soak_connections, soak_s)
            print(f"soak journey {args.soak_connections} conn, {soak_s} s: {s['rps']:.0f} req/s, "
                  f"p99 {s['p99'] / 1000:.1f} ms, max {s['max'] / 1000:.1f} ms, {s['requests']} requests; "
                  f"wrk: {'; '.join(s['wrk_lines']) or 'no Non-2xx/3xx line, no socket errors line'}")
            rows.append((f"soak req/s, p99 ({args.soak_connections} conn, {soak_s} s)",
                         f"{s['rps']:.0f}, {s['p99'] / 1000:.1f} ms", "—", "info"))
            budget("soak socket errors (connect/read/write/timeout)",
                   f"{s['socket_errors']} ({s['connect']}/{s['read']}/{s['write']}/{s['timeout']})", "0",
                   s["socket_errors"] == 0)
            budget("soak non-2xx/3xx responses", str(s["status"]), "0", s["status"] == 0)
            budget("soak 5xx responses", str(s["s5"]), "0", s["s5"] == 0)
            rss_after = {pid: rss_mb(pid) for pid in server.worker_pids()}
            rows.append(("VmRSS per worker after soak (max)", f"{max(rss_after.values()):.1f} MB", "—", "info"))
            if server.proc.poll() is not None:
                budget("gunicorn alive after soak", "exited", "alive", False)
            log = server.log.read_text(errors="replace")
            if "Traceback" in log or "WORKER TIMEOUT" in log:
                budget("gunicorn log clean", "tracebacks/timeouts", "clean", False)
                print(log[-3000:])
        finally:
            server.stop()

    rows.append(("load average (1 min) before / after", f"{load_before} / {loadavg()}", "—", "info"))
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    if float(load_before if load_before != "?" else 0) > 2 * (os.cpu_count() or 1):
        print(f"\nwarning: load average {load_before} before the run: other processes share the CPU, "
              "the latencies are inflated (compare ratios within a run)")
    print(f"\nSummary ({time.strftime('%Y-%m-%d')}, {'quick' if args.quick else 'full'}: {run_s} s runs, "
          f"{soak_s} s soak; gunicorn {WORKERS} sync workers, wrk -t{WRK_THREADS}, {os.cpu_count()} CPUs shared)")
    bwidth = max(len(r[2]) for r in rows + [("", "", "budget", "")])
    print(f"| {'measure'.ljust(width)} | {'value'.ljust(vwidth)} | {'budget'.ljust(bwidth)} | result |")
    print(f"|{'-' * (width + 2)}|{'-' * (vwidth + 2)}|{'-' * (bwidth + 2)}|--------|")
    for name, value, limit, result in rows:
        print(f"| {name.ljust(width)} | {value.ljust(vwidth)} | {limit.ljust(bwidth)} | {result.ljust(6)} |")
    print(f"\nload budgets: {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
