# ==========================================================================================
# Rules fixtures (engine, checks, scenarios, coverage). Web/Flask fixtures go below.
# Test modules use these fixtures rather than ``from conftest import ...``: tests/browser/
# has its own conftest.py, and the bare name ``conftest`` may resolve to either one.
# ==========================================================================================
from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from orient.core import ruleset as ruleset_module
from orient.web import create_app

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """The rules cache (orient/core/cache.py) of the whole run, and of the servers it starts, in
    a directory of its own: never the user's ~/.cache, and exercised by every load (the shipped
    rules are read cold once, then from the cache). ORIENT_CACHE set by the caller wins."""
    if "ORIENT_CACHE" not in os.environ:
        directory = tempfile.mkdtemp(prefix="orient-cache-")
        os.environ["ORIENT_CACHE"] = directory
        config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE_RULES = FIXTURES / "base"
WEB_RULES = FIXTURES / "web"  # laid over base/ for the web tests: a second key


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


def _orphanet_reference() -> Path | None:
    env = os.environ.get("ORIENT_TEST_ORPHANET")
    folder = Path(env) if env else FIXTURES.parent.parent.parent / "shared" / "reference" / "orphanet"
    return folder if folder.is_dir() else None


@pytest.fixture(scope="session")
def orphanet_reference() -> Path:
    """The Orphanet data kept for tests and CI (../shared/reference/orphanet/ or
    $ORIENT_TEST_ORPHANET); tests that need it are skipped, with the reason, where it is absent."""
    folder = _orphanet_reference()
    if folder is None:
        pytest.skip("données Orphanet de référence absentes (../shared/reference/orphanet/ ou $ORIENT_TEST_ORPHANET)")
    return folder


@pytest.fixture(scope="session")
def french_nomenclature(orphanet_reference):
    """The French nomenclature of June 2023, read once for the whole run."""
    from orient.services import nomenclature

    return nomenclature.load_or_raise(orphanet_reference / "fr-2023-06-22")


@pytest.fixture(scope="session")
def base_ruleset():
    """The tiny valid rule set of tests/fixtures/base/, loaded once."""
    return ruleset_module.load_or_raise(BASE_RULES)


# ==========================================================================================
# Web fixtures (Flask app, client...) below this line.
# ==========================================================================================
# A module tests the app on the small fixture rule set (``web_rules_dir``: base/ + web/) unless
# it is about the shipped content: then it overrides ``app_rules`` with the shipped rules/
# (``def app_rules(rules_dir): return rules_dir``) and says so in its docstring. The wizard
# helpers (``text``, ``answer``, ``follow_scenario``) are fixtures for the reason given at the
# top: no test module imports conftest.


@pytest.fixture(scope="session")
def web_rules_dir(tmp_path_factory) -> Path:
    """tests/fixtures/base/ with tests/fixtures/web/ laid over it: two small keys, two filières,
    three départements. Behaviour checks of the app run on it, so that they do not break when
    the clinical content of rules/ is revised."""
    target = build_rules(tmp_path_factory.mktemp("web") / "rules")
    shutil.copytree(WEB_RULES, target, dirs_exist_ok=True)
    return target


@pytest.fixture(scope="session")
def app_rules(web_rules_dir) -> Path:
    """The rules directory the ``app`` and ``csrf_app`` fixtures serve (override per module)."""
    return web_rules_dir


@pytest.fixture(scope="session")
def app_config() -> dict:
    """Extra Flask configuration for ``app`` and ``csrf_app`` (override per module)."""
    return {}


@pytest.fixture(scope="session")
def make_app():
    """Factory: ``make_app(rules_dir, **config)`` -> a test app (test secret key, CSRF on)."""

    def factory(rules: Path, **config) -> Flask:
        return create_app({"SECRET_KEY": "test", "TESTING": True, "RULES_DIR": str(rules), **config})

    return factory


@pytest.fixture(scope="module")
def app(make_app, app_rules, app_config) -> Flask:
    """The app without CSRF checks, so that tests can post answers directly."""
    return make_app(app_rules, **{"WTF_CSRF_ENABLED": False, **app_config})


@pytest.fixture(scope="module")
def csrf_app(make_app, app_rules, app_config) -> Flask:
    """The app with CSRF checks on, as in production."""
    return make_app(app_rules, **app_config)


@pytest.fixture()
def client(app):
    """A fresh test client (empty cookie jar) of ``app``."""
    return app.test_client()


@pytest.fixture()
def runner() -> CliRunner:
    """Runs the orient command line: ``runner.invoke(main, [...])``."""
    return CliRunner()


def _text(response) -> str:
    plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return html.unescape(plain)


def _answer(client, key: str, question: str, value, **kwargs):
    # A multiple-choice page sends "aucun" for "none of these": a blank page is refused.
    data = {"answer": ["aucun"] if value == [] else value}
    data.update(kwargs)
    return client.post(f"/cle/{key}/q/{question}", data=data)


def _follow_scenario(client, key_id: str, answers: dict, departement: str = "75"):
    """Answer whatever the wizard asks, from a scenario's answers, until the orientation page
    (returned). The département step gets ``departement`` unless the answers hold it."""
    url = f"/cle/{key_id}/suite"
    for _ in range(40):
        response = client.get(url)
        if response.status_code == 303:
            url = response.headers["Location"]
            continue
        assert response.status_code == 200, (url, response.status_code)
        if url.endswith("/orientation"):
            return response
        if url.endswith("/verifier"):
            url = f"/cle/{key_id}/orientation"
            continue
        if url.endswith("/departement"):
            key = client.application.extensions["orient"].keys[key_id]
            asked = next((answers[q.id] for q in key.questions if q.kind == "departement" and q.id in answers),
                         departement)
            posted = client.post(url, data={"answer": asked})
        else:
            qid = url.rsplit("/", 1)[1]
            value = answers[qid]
            if isinstance(value, (tuple, list)):
                value = list(value) or ["aucun"]  # "none of these" is ticked, never a blank page
            posted = client.post(url, data={"answer": value})
        assert posted.status_code == 303, (url, _text(posted)[:400])
        url = posted.headers["Location"]
    raise AssertionError("journey did not end")


@pytest.fixture(scope="session")
def text():
    """``text(response)``: the page's visible text, tags removed, spaces folded, unescaped."""
    return _text


@pytest.fixture(scope="session")
def answer():
    """``answer(client, key, question, value, **form)``: posts one wizard answer (``[]`` -> none)."""
    return _answer


@pytest.fixture(scope="session")
def follow_scenario():
    """``follow_scenario(client, key, answers, departement="75")``: walks the wizard to the
    orientation page, answering from ``answers``."""
    return _follow_scenario
