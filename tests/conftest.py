# ==========================================================================================
# Rules fixtures (engine, checks, scenarios, coverage). Web/Flask fixtures go below.
# Test modules use these fixtures rather than ``from conftest import ...``: tests/browser/
# has its own conftest.py, and the bare name ``conftest`` may resolve to either one.
# ==========================================================================================
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orient import ruleset as ruleset_module

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE_RULES = FIXTURES / "base"


def build_rules(target: Path, files: dict[str, str] | None = None, remove: tuple[str, ...] = ()) -> Path:
    """Copy tests/fixtures/base/ to ``target`` (a tiny valid rule set), then write ``files``
    (relative path -> YAML text) and delete ``remove`` (relative paths)."""
    shutil.copytree(BASE_RULES, target, dirs_exist_ok=True)
    for name in remove:
        (target / name).unlink()
    for name, text in (files or {}).items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def rules_dir() -> Path:
    """The repository's shipped rules/."""
    return ROOT / "rules"


@pytest.fixture(scope="session")
def ruleset(rules_dir):
    """The shipped rules, loaded once (fails the session loudly if they do not load)."""
    loaded, diags = ruleset_module.load(rules_dir)
    if loaded is None:
        pytest.fail("rules/ ne se charge pas :\n" + "\n".join(d.format() for d in diags if d.is_error))
    return loaded


@pytest.fixture
def make_rules(tmp_path):
    """Factory: ``make_rules({"keys/x.yaml": "..."}, remove=(...))`` -> a tiny rules dir."""
    counter = iter(range(1_000))

    def factory(files: dict[str, str] | None = None, remove: tuple[str, ...] = ()) -> Path:
        return build_rules(tmp_path / f"rules{next(counter)}", files, remove)

    return factory


@pytest.fixture(scope="session")
def base_ruleset():
    """The tiny valid rule set of tests/fixtures/base/, loaded once."""
    return ruleset_module.load_or_raise(BASE_RULES)


# ==========================================================================================
# Web fixtures (Flask app, client...) below this line.
# ==========================================================================================
