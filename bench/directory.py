"""Directory budget: one referral query over 3,000 sites, with network filtering, p99 < 2 ms.

Run: .venv/bin/python bench/directory.py
Builds a synthetic directory of 3,000 sites (the shipped sites, cloned across départements,
each clone keeping its network) and times Directory.refer for random patients and random
referring outcomes of the shipped keys (their networks, centre types and filière); prints
median and p99.
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

from orient.core.model import AGE_BANDS
from orient.core.ruleset import load_or_raise
from orient.services.directory import Directory

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
    outcomes = [o for k in ruleset.keys.values() for o in k.outcomes
                if o.filiere and o.action not in ("monitor", "emergency")]
    named = sum(1 for o in outcomes if o.networks != "any")
    ages = list(AGE_BANDS)
    timings = []
    gc.collect()
    for _ in range(3000):
        o, a, d = rng.choice(outcomes), rng.choice(ages), rng.choice(deps)
        t = time.perf_counter()
        directory.refer(o.filiere, o.networks or "any", site_types=o.centre_types, age_group=a, departement=d)
        timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99)]
    print(f"sites: {len(centres)}  (filières: {len(filieres)}, about {len(centres)//len(filieres)} sites per filière)")
    print(f"referring outcomes: {len(outcomes)} ({named} name their networks, the others take any site)")
    print(f"index build: {build_ms:.2f} ms")
    print(f"refer(): median {p50:.3f} ms, p99 {p99:.3f} ms, max {timings[-1]:.3f} ms over {len(timings)} queries")
    print(f"budget < {BUDGET_MS} ms per query (p99): {'PASS' if p99 < BUDGET_MS else 'FAIL'}")


if __name__ == "__main__":
    main()
