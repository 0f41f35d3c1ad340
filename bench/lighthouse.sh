#!/usr/bin/env bash
# Lighthouse scores (performance, accessibility, best practices) for the home page, a question
# page and a result page, served by gunicorn on a free port of 127.0.0.1. Target: >= 0.95 each.
#
# Run: bench/lighthouse.sh        (about 1 minute; first run installs lighthouse@12.8.2 under
#                                  bench/node_modules with npm, about 30 s)
# Needs: node/npm, Debian's chromium (CHROME_PATH, default /usr/bin/chromium), the venv with
# gunicorn (pip install -e '.[prod]'). Never run in CI. Exit code 1 if a score is below target.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
TARGET=0.95
RUNS=${LH_RUNS:-3}  # runs per page; scores are medians (Lighthouse's own advice on variance)
LH="$ROOT/bench/node_modules/.bin/lighthouse"
LH_VERSION=12.8.2

installed=$(node -p "try { require('$ROOT/bench/node_modules/lighthouse/package.json').version } catch (e) { '' }")
if [ "$installed" != "$LH_VERSION" ]; then
  echo "installing lighthouse@$LH_VERSION under bench/node_modules (npm)"
  timeout 600 npm install --prefix "$ROOT/bench" --no-package-lock --no-audit --no-fund --loglevel=error
fi

export CHROME_PATH=${CHROME_PATH:-$(command -v chromium || echo /usr/bin/chromium)}
export ORIENT_SECRET_KEY=${ORIENT_SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_hex(32))')}
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
OUT=$(mktemp -d -t orient-lighthouse.XXXXXX)

# The real app (CSRF on, production headers), 2 sync workers; $! is gunicorn's master itself.
"$PY" -m gunicorn -w 2 -b "127.0.0.1:$PORT" --log-level warning 'orient.wsgi:application()' >"$OUT/gunicorn.log" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$PY" - "$BASE" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + 30
while True:
    try:
        urllib.request.urlopen(sys.argv[1] + "/", timeout=2).read()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("gunicorn not ready after 30 s")
        time.sleep(0.3)
PY

# Session cookies signed with the same key (a question on the path; a finished journey).
QUESTION_COOKIE=$("$PY" bench/load.py --print-cookie question)
RESULT_COOKIE=$("$PY" bench/load.py --print-cookie result)

run() {  # name path cookie: RUNS runs (the table shows the median score of each category)
  local name=$1 path=$2 cookie=$3
  local headers=()
  if [ -n "$cookie" ]; then headers=(--extra-headers "{\"Cookie\": \"$cookie\"}"); fi
  local i attempt
  for i in $(seq 1 "$RUNS"); do
    for attempt in 1 2 3; do  # a loaded machine sometimes loses the trace (NO_NAVSTART): retry
      echo "lighthouse $path (run $i, attempt $attempt)"
      rm -f "$OUT/$name.$i.json"
      if timeout 180 "$LH" "$BASE$path" --quiet --output=json --output-path="$OUT/$name.$i.json" \
          --only-categories=performance,accessibility,best-practices \
          --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage" \
          "${headers[@]}" 2>"$OUT/$name.err"; then
        break
      fi
      rm -f "$OUT/$name.$i.json"
      tail -n 2 "$OUT/$name.err"
    done
  done
}

run home / ""
run question /cle/raynaud/q/necrose "$QUESTION_COOKIE"
run result /cle/raynaud/orientation "$RESULT_COOKIE"

"$PY" - "$OUT" "$TARGET" "$BASE" "$RUNS" <<'PY'
import json, statistics, sys
from pathlib import Path
out, target, base, runs = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
cats = ["performance", "accessibility", "best-practices"]
failed = False
rows, notes = [], []
version = "?"
for name, path in (("home", "/"), ("question", "/cle/raynaud/q/necrose"), ("result", "/cle/raynaud/orientation")):
    reports = [json.loads(f.read_text()) for f in sorted(out.glob(f"{name}.*.json"))]
    if not reports:
        rows.append((name, path, ["error"] * 3, 0)); failed = True; continue
    version = reports[0].get("lighthouseVersion", version)
    scores = []
    for cat in cats:
        values = [r["categories"][cat]["score"] for r in reports if r["categories"].get(cat, {}).get("score") is not None]
        if not values:
            scores.append("n/a"); failed = True; continue
        median = statistics.median(values)
        failed |= median < target
        spread = f" ({min(values):.2f}-{max(values):.2f})" if len(set(values)) > 1 else ""
        scores.append(f"{median:.2f}{spread}")
    rows.append((name, path, scores, len(reports)))
    for report in reports:
        final = report.get("finalDisplayedUrl", "")
        if final != base + path:
            notes.append(f"{name}: landed on {final} (cookie refused?)"); failed = True
    seen = set()
    for report in reports:  # audits below 1 in any run, once each
        for cat in cats:
            for ref in report["categories"].get(cat, {}).get("auditRefs", []):
                audit = report["audits"].get(ref["id"], {})
                if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                    line = f"{name} {cat}: {ref['id']} {audit['score']:.2f} {audit.get('displayValue', '')}".rstrip()
                    notes.append(line)
                    if ref["id"] in seen:
                        continue
                    seen.add(ref["id"])
                    for item in (audit.get("details") or {}).get("items", [])[:5]:
                        where = (item.get("sourceLocation") or {}).get("url") or item.get("url") or ""
                        notes.append(f"    {str(item.get('description') or item)[:140]} {where}".rstrip())
    metrics = [r["audits"] for r in reports]
    def med(audit):
        values = [m[audit].get("numericValue") for m in metrics if m[audit].get("numericValue") is not None]
        return statistics.median(values) if values else float("nan")
    notes.append(f"{name}: median FCP {med('first-contentful-paint'):.0f} ms, LCP {med('largest-contentful-paint'):.0f} ms, "
                 f"TBT {med('total-blocking-time'):.0f} ms, CLS {med('cumulative-layout-shift'):.3f}")
w = 18
print(f"\n| page     | url                        | runs | {'performance':{w}} | {'accessibility':{w}} | {'best-practices':{w}} |")
print(f"|----------|----------------------------|------|{'-' * (w + 2)}|{'-' * (w + 2)}|{'-' * (w + 2)}|")
for name, path, s, n in rows:
    print(f"| {name:8} | {path:26} | {n:4} | {s[0]:{w}} | {s[1]:{w}} | {s[2]:{w}} |")
print("\n" + "\n".join(notes))
print(f"\nlighthouse {version}, default mobile emulation with simulated throttling, median of {runs} runs; "
      f"target >= {target} each: {'FAIL' if failed else 'PASS'}")
sys.exit(1 if failed else 0)
PY
