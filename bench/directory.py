"""Directory budget: one proximity query over 3,000 sites < 2 ms.

Run: .venv/bin/python bench/directory.py
Builds a synthetic directory of 3,000 sites (the shipped sites, cloned across départements)
and times Directory.suggest for random patients; prints median and p99.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orient.directory import Directory  # noqa: E402
from orient.model import AGE_BANDS  # noqa: E402
from orient.ruleset import load_or_raise  # noqa: E402

TARGET = 3000
BUDGET_MS = 2.0


def main() -> None:
    ruleset = load_or_raise(Path(__file__).resolve().parent.parent / "rules")
    rng = random.Random(42)
    deps = list(ruleset.departements)
    base = list(ruleset.centres.values())
    centres = {}
    while len(centres) < TARGET:
        c = rng.choice(base)
        clone = c.model_copy(update={"id": f"{c.id}-{len(centres)}", "departement": rng.choice(deps)})
        centres[clone.id] = clone
    big = replace(ruleset, centres=MappingProxyType(centres))
    t0 = time.perf_counter()
    directory = Directory(big)
    build_ms = (time.perf_counter() - t0) * 1000
    filieres = list(ruleset.filieres)
    ages = list(AGE_BANDS)
    timings = []
    gc.collect()
    for _ in range(3000):
        f, a, d = rng.choice(filieres), rng.choice(ages), rng.choice(deps)
        t = time.perf_counter()
        directory.suggest(f, site_types=("crmr_coordonnateur", "crmr_constitutif", "ccmr"), age_group=a, departement=d)
        timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99)]
    print(f"sites: {len(centres)}  (filières: {len(filieres)}, about {len(centres)//len(filieres)} sites per filière)")
    print(f"index build: {build_ms:.2f} ms")
    print(f"suggest(): median {p50:.3f} ms, p99 {p99:.3f} ms, max {timings[-1]:.3f} ms over {len(timings)} queries")
    print(f"budget < {BUDGET_MS} ms per query (p99): {'PASS' if p99 < BUDGET_MS else 'FAIL'}")


if __name__ == "__main__":
    main()
