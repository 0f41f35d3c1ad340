"""How a server process runs the app: ``gunicorn -w 4 'orient.wsgi:application()'``.

``orient serve`` (waitress) goes through the same two steps, so every server logs and
holds its memory the same way:

- the log: JSON access lines and rule diagnostics at INFO on stderr (without it, a WSGI
  server would silently drop the access log, whose logger is below Python's default level);
- the heap: once the rules are loaded, everything alive is moved out of the garbage
  collector's sight (``gc.freeze``). The rule set is tens of thousands of objects that live
  as long as the process; without this, every full collection walks all of them again,
  which shows up as latency spikes under load, and in forked workers it dirties shared pages.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from flask import Flask

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def configure_logging() -> None:
    logger = logging.getLogger("orient")
    if not logger.handlers and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logger.setLevel(logging.INFO)


def freeze_heap() -> None:
    """Collect what is garbage now, then freeze the survivors (see the module docstring)."""
    gc.collect()
    gc.freeze()


def application(config: dict[str, Any] | None = None) -> Flask:
    """The app as a production server runs it; raises (refusing to start) on invalid rules
    or a missing ORIENT_SECRET_KEY."""
    from .web import create_app

    configure_logging()
    app = create_app(config)
    freeze_heap()
    return app
