"""Instructions per request, counted by callgrind: the noise-free view of what a page costs.

Run:   .venv/bin/python bench/instructions.py            (about 3 minutes on 2 cores)
       .venv/bin/python bench/instructions.py q post     (some request types only)

Throughput on a shared 2-core machine moves with whatever else runs (the same build gave
3,200 to 4,400 req/s on /sante on different days); an instruction count does not. For each
request type (GET /sante, a question page, the POST of an answer, a result page) this runs
the real app in-process (built as in production, CSRF off like bench/load.py, access log
written to /dev/null) under ``valgrind --tool=callgrind`` twice, with 0 and with 100
requests after the same warm-up, and divides the difference by 100: what one request costs,
start-up excluded. PYTHONHASHSEED is fixed; what remains (a random CSRF token, the clock in
the signatures) moves the counts by well under 1 %.

The ratio trivial / journey of these counts is the CPU-bound floor of bench/load.py's
throughput ratio (which also counts gunicorn, the kernel and wrk, the same for every route).
Needs Debian's valgrind (installed with apt-get when missing and run as root).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
REQUESTS = {
    "sante": ("GET", "/sante", None, None),
    "q": ("GET", "/cle/raynaud/q/necrose", "question", None),
    "post": ("POST", "/cle/raynaud/q/necrose", "question", "answer=non"),
    "res": ("GET", "/cle/raynaud/orientation", "result", None),
}
LABELS = {"sante": "GET /sante (trivial)", "q": "GET question page", "post": "POST an answer (303)",
          "res": "GET result page"}
N = 100
WARM_UP = 20


def child(name: str, count: int) -> None:
    """Under valgrind: build the app, warm it up, then make ``count`` requests of one type."""
    sys.path.insert(0, str(BENCH))
    sys.path.insert(0, str(ROOT))
    import logging

    import load
    from werkzeug.test import EnvironBuilder

    from orient.wsgi import application

    secret = "instructions-bench-" + "0" * 45
    cookies = load.prepare_cookies(secret)
    # The same cookie is replayed for minutes under valgrind; a real visitor's is rewritten at
    # most once a minute (SESSION_REFRESH_AFTER, orient/web/cookie.py): not per request.
    app = application({"SECRET_KEY": secret, "WTF_CSRF_ENABLED": False, "SESSION_REFRESH_AFTER": 10**9})
    logging.getLogger().handlers = [logging.StreamHandler(open(os.devnull, "w"))]  # noqa: SIM115 (lives as long as the run)
    method, path, cookie, data = REQUESTS[name]
    options = {"method": method, "path": path, "base_url": "http://127.0.0.1:8000",
               "headers": {"Cookie": cookies[cookie]} if cookie else {}}
    if data:
        options.update(data=data.encode(), content_type="application/x-www-form-urlencoded")
    environ = EnvironBuilder(**options).get_environ()
    body = environ["wsgi.input"].read()
    statuses = set()

    def start_response(status, headers, exc_info=None):
        statuses.add(status.split()[0])

    def one() -> None:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(body)
        result = app(env, start_response)
        b"".join(result)
        getattr(result, "close", lambda: None)()

    for _ in range(WARM_UP + count):
        one()
    if not statuses <= {"200", "303"}:
        raise SystemExit(f"{name}: unexpected status {statuses}")


def count_instructions(valgrind: str, name: str, count: int, tmp: Path) -> int:
    out = tmp / f"callgrind.{name}.{count}"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
         "--child", name, str(count)],
        env=env, capture_output=True, text=True, timeout=900)
    match = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"valgrind failed for {name} ({count}):\n{result.stderr[-2000:]}")
    return int(match.group(1))


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return 0
    names = [n for n in sys.argv[1:] if n in REQUESTS] or list(REQUESTS)
    sys.path.insert(0, str(BENCH))
    from load import ensure_tool

    valgrind = ensure_tool("valgrind")
    with tempfile.TemporaryDirectory(prefix="orient-instr-") as tmp, \
            ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        jobs = {(n, c): pool.submit(count_instructions, valgrind, n, c, Path(tmp)) for n in names for c in (0, N)}
        per_request = {n: (jobs[(n, N)].result() - jobs[(n, 0)].result()) / N for n in names}
    print("| request | instructions per request |")
    print("|---|---|")
    for n in names:
        print(f"| {LABELS[n]} | {per_request[n] / 1000:,.0f} k |")
    journey = [per_request[n] for n in ("q", "post", "res") if n in per_request]
    if len(journey) == 3 and "sante" in per_request:
        mean = sum(journey) / 3
        print(f"| journey mean (question, POST, result) | {mean / 1000:,.0f} k |")
        print(f"| trivial / journey mean | {per_request['sante'] / mean:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
