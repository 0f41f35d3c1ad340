"""The rules cache (orient/core/cache.py) saves work and changes nothing: the same diagnostics and
the same rule set with or without it, an edited file re-read, a forged or broken entry a miss."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from orient.core import cache as cache_module
from orient.core.cache import NO_CACHE, Cache
from orient.core.ruleset import load

BROKEN_KEY = """\
id: cassee
title: Clé cassée
title: deux fois
active: yes
"""


def _snapshot(ruleset):
    """Everything a load produces that the app, the API and the checker read."""
    return {
        "version": ruleset.version,
        "keys": {k: key.model_dump() for k, key in ruleset.keys.items()},
        "scenarios": {k: [s.model_dump() for s in v] for k, v in ruleset.scenarios.items()},
        "centres": {c: centre.model_dump() for c, centre in ruleset.centres.items()},
        "pnds": {p: pnds.model_dump() for p, pnds in ruleset.pnds.items()},
        "warnings": [d.format() for d in ruleset.warnings],
    }


def _rule_files(directory: Path) -> int:
    return sum(1 for _ in directory.rglob("*.yaml"))


def test_the_shipped_rules_load_the_same_cold_warm_and_without_cache(rules_dir, tmp_path):
    cache = Cache(tmp_path / "cache")
    without, _ = load(rules_dir, cache=NO_CACHE)
    cold, _ = load(rules_dir, cache=cache)
    assert cache.hits == 0
    warm_cache = Cache(tmp_path / "cache")
    warm, _ = load(rules_dir, cache=warm_cache)
    assert without is not None and cold is not None and warm is not None
    assert _snapshot(without) == _snapshot(cold) == _snapshot(warm)
    # Every file was read from the cache, and every key's exploration (plus the age-band layer's).
    assert warm_cache.hits == _rule_files(rules_dir) + len(warm.keys) + 1
    assert warm_cache.misses == 0


def test_errors_are_reported_the_same_from_the_cache_under_the_new_file_name(make_rules, tmp_path):
    first = make_rules({"keys/cassee.yaml": BROKEN_KEY})
    second = tmp_path / "ailleurs" / "regles"
    shutil.copytree(first, second)
    cache = Cache(tmp_path / "cache")
    _, cold = load(first, cache=cache)
    warm_cache = Cache(tmp_path / "cache")
    _, warm = load(second, cache=warm_cache)
    assert warm_cache.misses == 0 and warm_cache.hits >= _rule_files(second)  # same bytes elsewhere: all hits
    codes = sorted(d.code for d in warm if d.is_error)
    assert "CLE_DUPLIQUEE" in codes and "YAML_BOOLEEN" in codes
    assert [(d.line, d.column, d.code, d.message) for d in cold] == [(d.line, d.column, d.code, d.message)
                                                                     for d in warm]
    broken = next(d for d in warm if d.code == "CLE_DUPLIQUEE")
    assert broken.file.endswith("ailleurs/regles/keys/cassee.yaml")


def test_an_edited_file_is_read_again_and_the_others_come_from_the_cache(make_rules, tmp_path):
    rules = make_rules()
    cache = Cache(tmp_path / "cache")
    before, _ = load(rules, cache=cache)
    assert before is not None
    key_file = next((rules / "keys").glob("*.yaml"))
    text = key_file.read_text(encoding="utf-8")
    key_file.write_text(text.replace("title: ", "title: Modifiée — ", 1), encoding="utf-8")
    again = Cache(tmp_path / "cache")
    after, _ = load(rules, cache=again)
    assert after is not None
    # That file and its exploration missed; every other file and exploration was a hit.
    assert again.misses == 2
    assert again.hits == _rule_files(rules) - 1 + len(after.keys) - 1 + (1 if after.age_alerts else 0)
    edited = after.keys[key_file.stem]
    assert edited.title.startswith("Modifiée — ")


def test_a_forged_entry_cannot_run_code_and_is_a_miss(tmp_path):
    cache = Cache(tmp_path)
    address = cache.address("document", b"id: x\n")

    class Evil:
        def __reduce__(self):
            return (shutil.rmtree, (str(tmp_path / "victime"),))

    (tmp_path / "victime").mkdir()
    path = tmp_path / address[:2] / address[2:]
    path.parent.mkdir(parents=True)
    path.write_bytes(pickle.dumps(Evil()))
    assert cache.get(address) is None
    assert (tmp_path / "victime").is_dir()
    path.write_bytes(b"\x80\x05 pas un pickle")
    assert cache.get(address) is None
    assert cache.misses == 2 and cache.hits == 0


def test_an_entry_of_the_wrong_shape_is_a_miss_and_the_file_is_read_again(make_rules, tmp_path):
    rules = make_rules()
    expected, _ = load(rules, cache=Cache(tmp_path / "cache"))
    entries = [entry for entry in (tmp_path / "cache").rglob("*") if entry.is_file()]
    layer = 1 if expected.age_alerts else 0
    assert len(entries) == _rule_files(rules) + len(expected.keys) + layer
    for entry in entries:  # plain data the unpickler accepts, but not what was stored
        entry.write_bytes(pickle.dumps(["pas", "la", "bonne", "forme", "du", "tout"]))
    cache = Cache(tmp_path / "cache")
    ruleset, diags = load(rules, cache=cache)
    assert cache.hits == 0 and cache.misses == len(entries)
    assert ruleset is not None and not [d for d in diags if d.is_error]
    assert _snapshot(ruleset) == _snapshot(expected)


def test_dates_and_plain_data_round_trip(tmp_path):
    import datetime as dt

    cache = Cache(tmp_path)
    value = ({"reviewed_on": dt.date(2026, 12, 4), "n": [1, 2.5, None, True]}, {("a", 0): (3, 4)})
    cache.put("ab" * 32, value)
    assert cache.get("ab" * 32) == value


def test_a_cache_that_cannot_be_written_is_skipped(make_rules, tmp_path):
    blocker = tmp_path / "un-fichier"
    blocker.write_text("pas un dossier")
    cache = Cache(blocker / "cache")  # its parent is a file: every write fails
    ruleset, diags = load(make_rules(), cache=cache)
    assert ruleset is not None and not [d for d in diags if d.is_error]
    assert cache.hits == 0


@pytest.mark.parametrize("value", ["off", "0", "OFF", " "])
def test_orient_cache_off_turns_it_off(monkeypatch, value):
    monkeypatch.setenv("ORIENT_CACHE", value)
    assert cache_module.default_directory() is None


def test_the_default_is_the_users_cache_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("ORIENT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_module.default_directory() == tmp_path / "orient"


def test_addresses_depend_on_kind_content_and_code(monkeypatch):
    cache = Cache(None)
    assert cache.address("document", b"a") != cache.address("document", b"b")
    assert cache.address("document", b"a") != cache.address("exploration", b"a")
    before = cache.address("document", b"a")
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: b"another version of orient")
    assert cache.address("document", b"a") != before


_CHILD = """
import json, sys
from orient.core.cache import Cache
from orient.core.ruleset import load
ruleset, diags = load(sys.argv[1], cache=Cache(sys.argv[2]))
print(json.dumps([ruleset is not None, ruleset.version if ruleset else None, [d.format() for d in diags]]))
"""


def test_workers_filling_one_cache_at_once_all_load_the_same_rules(make_rules, tmp_path):
    """Workers started together (gunicorn without preload) write the same entries concurrently:
    each entry is renamed into place whole, so none reads half of one."""
    import json
    import subprocess
    import sys

    rules = make_rules()
    directory = tmp_path / "cache"
    runs = [subprocess.Popen([sys.executable, "-c", _CHILD, str(rules), str(directory)],
                             stdout=subprocess.PIPE, text=True) for _ in range(4)]
    results = [json.loads(run.communicate(timeout=120)[0]) for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert all(ok for ok, _, _ in results)
    assert len({json.dumps(result) for result in results}) == 1
    assert not list(directory.rglob(".tmp-*"))  # no temporary file left behind
    warm = Cache(directory)
    load(rules, cache=warm)
    assert warm.misses == 0 and warm.hits > 0
