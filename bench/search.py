"""Benchmark of the disease-name search (run on purpose, never in the tests).

    .venv/bin/python bench/search.py [--names 10000] [--queries 1000]

Builds an index of N names (every real name of rules/ — PNDS titles and synonyms, names
cited by the keys, key titles — plus synthetic variants of them: reordered words, dropped or
doubled letters, suffixes), then times 1,000 mixed queries (exact names, prefixes, typos,
word order, acronyms, misses). Budgets: index build < 500 ms, p99 query latency < 10 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orient import search as search_module  # noqa: E402
from orient.ruleset import load_or_raise  # noqa: E402
from orient.search import DiseaseIndex, Entry, _names_from_ruleset, search  # noqa: E402

BUILD_BUDGET_MS = 500.0
P99_BUDGET_MS = 10.0
SUFFIXES = ("de type 1", "de type 2", "de l'enfant", "de l'adulte", "familial", "congénital", "héréditaire",
            "forme tardive", "forme néonatale", "lié à l'X", "autosomique dominant", "atypique")


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1:]                      # dropped letter
    if kind == 1:
        return word[:i] + word[i] + word[i:]                # doubled letter
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # swapped letters
    return word[:i] + rng.choice("aeiourstln") + word[i + 1:]   # wrong letter


def variant(rng: random.Random, name: str) -> str:
    words = name.split()
    kind = rng.randrange(3)
    if kind == 0 and len(words) > 1:
        rng.shuffle(words)
    elif kind == 1:
        words = [typo(rng, w) for w in words]
    return " ".join(words) + " " + rng.choice(SUFFIXES) + f" {rng.randrange(1, 40)}"


def build_names(ruleset, total: int, rng: random.Random) -> list[tuple[str, Entry]]:
    real = _names_from_ruleset(ruleset)
    names = list(real)
    serial = 0
    while len(names) < total:
        name, entry = rng.choice(real)
        serial += 1
        synthetic = Entry(id=f"synth-{serial}", kind=entry.kind, name=variant(rng, name), filieres=entry.filieres,
                          pnds=None, orpha=(), key=entry.key)
        names.append((synthetic.name, synthetic))
    return names


def queries(real_names: list[str], count: int, rng: random.Random) -> list[str]:
    out = []
    for i in range(count):
        name = rng.choice(real_names)
        kind = i % 6
        if kind == 0:
            out.append(name)                                              # exact
        elif kind == 1:
            out.append(name[: rng.randrange(2, max(3, len(name)))])       # prefix (typing)
        elif kind == 2:
            out.append(" ".join(typo(rng, w) for w in name.split()))      # typos
        elif kind == 3:
            words = name.split()
            rng.shuffle(words)
            out.append(" ".join(words))                                   # word order
        elif kind == 4:
            out.append(name.upper().replace("É", "E").replace("È", "E"))  # case, no accents
        else:
            out.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(rng.randrange(3, 25))))  # miss
    return out


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ruleset = load_or_raise(ROOT / "rules")
    names = build_names(ruleset, args.names, rng)
    real = [n for n, _ in _names_from_ruleset(ruleset)]

    builds, build_cpu = [], []
    for _ in range(5):
        search_module._phonetic_word.cache_clear()  # cold: a new process builds from nothing
        search_module._word_trigrams.cache_clear()
        start, cpu = time.perf_counter(), time.process_time()
        index = DiseaseIndex(names)
        builds.append((time.perf_counter() - start) * 1000)
        build_cpu.append((time.process_time() - cpu) * 1000)
    build_ms = statistics.median(builds)

    mixed = queries(real, args.queries, rng)
    for q in mixed[:50]:  # warm-up
        search(index, q)
    latencies, cpu_times = [], []
    found = 0
    for q in mixed:
        start, cpu = time.perf_counter(), time.process_time()
        hits = search(index, q)
        latencies.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
        found += bool(hits)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine : {os.cpu_count()} processeurs, charge moyenne sur 1 min {load:.2f} "
          "(une charge supérieure au nombre de processeurs gonfle les temps mesurés en horloge murale)")
    print(f"index : {len(index)} noms, {len(index.entries)} entrées")
    print(f"construction de l'index : {build_ms:.1f} ms (médiane de 5 ; budget < {BUILD_BUDGET_MS:.0f} ms) ; "
          f"temps CPU {statistics.median(build_cpu):.1f} ms")
    print(f"requêtes : {len(mixed)} (exactes, préfixes, fautes, ordre des mots, majuscules, absentes) ; "
          f"{found} avec au moins un résultat")
    print(f"latence : p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(latencies):.2f} ms (budget p99 < {P99_BUDGET_MS:.0f} ms)")
    print(f"temps CPU par requête : p50 {percentile(cpu_times, 50):.2f} ms, p99 {percentile(cpu_times, 99):.2f} ms")
    ok_build = build_ms < BUILD_BUDGET_MS
    ok_p99 = p99 < P99_BUDGET_MS
    print(f"{'PASS' if ok_build else 'FAIL'} construction de l'index < {BUILD_BUDGET_MS:.0f} ms")
    print(f"{'PASS' if ok_p99 else 'FAIL'} latence p99 < {P99_BUDGET_MS:.0f} ms")
    return 0 if ok_build and ok_p99 else 1


if __name__ == "__main__":
    sys.exit(main())
