"""Browser tests: a live orient server in a thread, driven by Debian's Chromium through
pytest-playwright (recipes of /work/shared/testing.md).

Every context comes from pytest-playwright's ``context`` / ``new_context`` fixtures, so
``--screenshot only-on-failure`` and ``--tracing retain-on-failure`` capture every page of a
failed test, including the 360 px and JavaScript-less contexts.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from live import serving

from orient.web import create_app

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS]}


@pytest.fixture(scope="session")
def live_app():
    """The real app on the shipped rules, CSRF on: the browser sends the tokens itself.
    Static files get a max-age so Chromium does not revalidate orient.css and orient.js on
    every page (two requests fewer per step: about half the run time)."""
    return create_app({"SECRET_KEY": "test", "RULES_DIR": str(ROOT / "rules"),
                       "SEND_FILE_MAX_AGE_DEFAULT": 3600})


@pytest.fixture(scope="session")
def live_server(live_app):
    with serving(live_app) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(live_server):
    """Overrides pytest-playwright's: every context gets the live server as its base URL."""
    return live_server


@pytest.fixture(scope="session")
def orient_rules(live_app):
    """The RuleSet the live server serves (titles of outcomes, questions...)."""
    return live_app.extensions["orient"]
