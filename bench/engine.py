"""Benchmark: rules load + check time, next-question latency, and how both grow with size.

Run on purpose, never from the tests:  .venv/bin/python bench/engine.py [--quick]

Budgets (PASS/FAIL printed per line):
  * load + check of the shipped rules/     < 300 ms (median of 5 fresh processes; judged on
                                              CPU time, so a busy machine does not fail it;
                                              wall-clock median and minimum are printed too),
                                              with the rules cache warm (orient/core/cache.py):
                                              every start and every `orient check` of unchanged
                                              rules. Printed beside it, for information: with no
                                              cache at all, and the first load that fills it.
  * next question (engine.walk mid-journey) < 200 µs (median; p99 printed)
  * growth with the number of keys          no worse than linear (time per key at 10× and
    100× at most 1.25× the time per key of the shipped rules)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orient.core import engine  # noqa: E402
from orient.core.cache import NO_CACHE  # noqa: E402
from orient.core.ruleset import load  # noqa: E402
from orient.services.scenarios import typed_answers  # noqa: E402

LOAD_BUDGET_MS = 300.0
NEXT_BUDGET_US = 200.0
GROWTH_TOLERANCE = 1.25

_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from orient.core.ruleset import load
t1 = time.perf_counter()
c1 = time.process_time()
ruleset, diags = load(sys.argv[1])
t2 = time.perf_counter()
c2 = time.process_time()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "cpu": c2 - c1, "ok": ruleset is not None,
                  "keys": len(ruleset.keys) if ruleset else 0,
                  "errors": [d.format() for d in diags if d.is_error][:5]}))
"""


def cold_load(rules: Path, runs: int, cache: str = "off", fresh: bool = False) -> dict:
    """Median load + check time, each run in a fresh interpreter. ``cache``: the ORIENT_CACHE the
    runs share ("off": none); ``fresh``: each run gets a new, empty cache directory instead."""
    samples, imports, cpu = [], [], []
    info: dict = {}
    for run in range(runs):
        directory = f"{cache}-{run}" if fresh else cache
        out = subprocess.run([sys.executable, "-c", _CHILD, str(rules)], cwd=ROOT, capture_output=True,
                             text=True, check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
                                                         "ORIENT_CACHE": directory})
        info = json.loads(out.stdout)
        if not info["ok"]:
            raise SystemExit(f"{rules}: règles refusées : {info['errors']}")
        samples.append(info["load"])
        cpu.append(info["cpu"])
        imports.append(info["import"])
    return {"median_ms": 1000 * statistics.median(samples), "min_ms": 1000 * min(samples),
            "cpu_ms": 1000 * statistics.median(cpu),
            "import_ms": 1000 * statistics.median(imports), "keys": info["keys"]}


def mid_journey_states(ruleset) -> list[tuple]:
    """For every scenario: its key and the answers up to half of its path (a journey in progress)."""
    states = []
    for key_id, scenarios in sorted(ruleset.scenarios.items()):
        key = ruleset.keys[key_id]
        for scenario in scenarios:
            answers = typed_answers(ruleset, key, scenario.answers)
            path = engine.walk(key, answers).path
            half = {q: answers[q] for q in path[: max(1, len(path) // 2)]}
            states.append((key, half))
    return states


def next_question_latency(ruleset, rounds: int) -> dict:
    """engine.walk on mid-journey states; every call timed on its own, in microseconds."""
    states = mid_journey_states(ruleset)
    for key, answers in states:  # warm the compiled-key cache, as a running server would be
        engine.walk(key, answers)
    timings = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for key, answers in states:
            t0 = clock()
            engine.walk(key, answers)
            timings.append(clock() - t0)
    timings.sort()
    return {"median_us": statistics.median(timings) / 1000, "p99_us": timings[int(0.99 * (len(timings) - 1))] / 1000,
            "calls": len(timings), "states": len(states)}


def synthesise(rules: Path, factor: int, target: Path) -> Path:
    """A copy of ``rules`` with every key (and its scenarios) cloned ``factor`` times under new ids."""
    shutil.copytree(rules, target)
    if factor == 1:
        return target
    for key_file in sorted((rules / "keys").glob("*.yaml")):
        text = key_file.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        scenario_file = rules / "scenarios" / key_file.name
        scenarios = yaml.safe_load(scenario_file.read_text(encoding="utf-8")) if scenario_file.is_file() else None
        for i in range(1, factor):
            clone_id = f"{data['id']}-x{i}"
            data_i = {**data, "id": clone_id, "title": f"{data['title']} ({i})"}
            (target / "keys" / f"{clone_id}.yaml").write_text(
                yaml.safe_dump(data_i, allow_unicode=True, sort_keys=False), encoding="utf-8")
            if scenarios:
                scen_i = {"key": clone_id,
                          "scenarios": [{**s, "id": f"{s['id']}-x{i}"} for s in scenarios["scenarios"]]}
                (target / "scenarios" / f"{clone_id}.yaml").write_text(
                    yaml.safe_dump(scen_i, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    parser.add_argument("--quick", action="store_true", help="fewer runs, and 10× only")
    args = parser.parse_args()
    runs = 3 if args.quick else 5
    rounds = 50 if args.quick else 300
    factors = (1, 10) if args.quick else (1, 10, 100)

    rows = []
    with tempfile.TemporaryDirectory(prefix="orient-bench-") as tmp:
        shipped = synthesise(args.rules, 1, Path(tmp) / "cache-rules")
        cache = str(Path(tmp) / "cache")
        first = cold_load(shipped, runs, cache=cache, fresh=True)
        cold_load(shipped, 1, cache=cache)  # fills the cache the warm runs read
        warm = cold_load(shipped, runs, cache=cache)
        for factor in factors:
            rules = synthesise(args.rules, factor, Path(tmp) / f"x{factor}")
            load_runs = runs if factor < 100 else 3
            cold = cold_load(rules, load_runs)
            ruleset, _ = load(rules, cache=NO_CACHE)
            latency = next_question_latency(ruleset, rounds if factor == 1 else max(3, rounds // factor))
            rows.append((factor, cold, latency))
            print(f"… {factor}× : {cold['keys']} clés mesurées", file=sys.stderr)

    base_cold, base_latency = rows[0][1], rows[0][2]
    per_key_base = base_cold["cpu_ms"] / base_cold["keys"]
    print()
    print(f"orient bench — Python {sys.version.split()[0]}, règles {args.rules}")
    print()
    header = (f"{'taille':>6}  {'clés':>5}  {'import ms':>9}  {'load+check ms':>13}  {'CPU ms':>8}  {'CPU/clé':>7}  "
              f"{'ratio/clé':>9}  {'walk médiane µs':>15}  {'walk p99 µs':>11}  {'appels':>7}")
    print(header)
    print("-" * len(header))
    results = []
    for factor, cold, latency in rows:
        per_key = cold["cpu_ms"] / cold["keys"]
        ratio = per_key / per_key_base
        print(f"{factor:>5}×  {cold['keys']:>5}  {cold['import_ms']:>9.0f}  {cold['median_ms']:>13.1f}  {cold['cpu_ms']:>8.1f}  "
              f"{per_key:>7.2f}  {ratio:>9.2f}  {latency['median_us']:>15.1f}  {latency['p99_us']:>11.1f}  "
              f"{latency['calls']:>7}")
        results.append((factor, ratio, latency))
    print()
    print("Le tableau mesure le travail entier (ORIENT_CACHE=off). Avec le cache des règles :")
    print(f"INFO  premier chargement, cache vide qu'il remplit : CPU {first['cpu_ms']:.0f} ms "
          f"(horloge : médiane {first['median_ms']:.0f} ms)")
    print(f"INFO  sans cache : CPU {base_cold['cpu_ms']:.0f} ms (horloge : médiane {base_cold['median_ms']:.0f} ms, "
          f"min {base_cold['min_ms']:.0f} ms)")
    print()
    checks = [
        (f"load + check des règles livrées < {LOAD_BUDGET_MS:.0f} ms, cache chaud (CPU {warm['cpu_ms']:.0f} ms ; "
         f"horloge : médiane {warm['median_ms']:.0f} ms, min {warm['min_ms']:.0f} ms)",
         warm["cpu_ms"] < LOAD_BUDGET_MS),
        (f"question suivante < {NEXT_BUDGET_US:.0f} µs (médiane {base_latency['median_us']:.1f} µs, "
         f"p99 {base_latency['p99_us']:.1f} µs)", base_latency["median_us"] < NEXT_BUDGET_US),
    ]
    for factor, ratio, latency in results[1:]:
        checks.append((f"croissance au plus linéaire à {factor}× (temps par clé × {ratio:.2f}, "
                       f"tolérance × {GROWTH_TOLERANCE})", ratio <= GROWTH_TOLERANCE))
        checks.append((f"question suivante à {factor}× < {NEXT_BUDGET_US:.0f} µs "
                       f"(médiane {latency['median_us']:.1f} µs)", latency["median_us"] < NEXT_BUDGET_US))
    for label, ok in checks:
        print(f"{verdict(ok)}  {label}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
