"""How a server process runs the app: ``gunicorn -c deploy/gunicorn.conf.py`` (which serves
``orient.wsgi:application()``), or ``orient serve``.

``orient serve`` (waitress) goes through the same two steps, so every server logs and
holds its memory the same way:

- the log: one JSON object per line on stderr, at INFO (without it, a WSGI server would
  silently drop the access log, whose logger is below Python's default level). Every
  record, the access lines, rule diagnostics, tracebacks and the server's own messages,
  is a single JSON line: text that came from a client (a path, a field name) is escaped
  inside a string, so it can never start a line of its own or pass for another record;
- the heap: once the rules are loaded, everything alive is moved out of the garbage
  collector's sight (``gc.freeze``). The rule set is tens of thousands of objects that live
  as long as the process; without this, every full collection walks all of them again,
  which shows up as latency spikes under load, and in forked workers it dirties shared pages.
"""

from __future__ import annotations

import gc
import json
import logging
import re
from typing import Any

from flask import Flask


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: ``{"t", "niveau", "source", "message"}``,
    plus ``trace`` for a traceback. A record whose message is a dict (the access log) has
    its fields merged in. Newlines, control characters, line separators and lone surrogates
    are escaped, so nothing a client sends can split a record or forge one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"t": self.formatTime(record), "niveau": record.levelname, "source": record.name}
        if isinstance(record.msg, dict) and not record.args:
            entry.update(record.msg)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["trace"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["trace"] = record.exc_text
        # French stays readable (ensure_ascii off), but whatever could end or split a line
        # for some reader (U+2028/2029, C1 controls) or cannot be written (a lone surrogate)
        # is escaped as \uXXXX; json.dumps already escapes \n, \r and the other C0 controls.
        return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(entry, ensure_ascii=False, default=str))


_UNSAFE = re.compile("[\u0080-\u009f\u2028\u2029\ud800-\udfff]")


def configure_logging() -> None:
    logger = logging.getLogger("orient")
    root = logging.getLogger()
    if not logger.handlers and not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    logger.setLevel(logging.INFO)


def freeze_heap() -> None:
    """Collect what is garbage now, then freeze the survivors (see the module docstring)."""
    gc.collect()
    gc.freeze()


def application(config: dict[str, Any] | None = None) -> Flask:
    """The app as a production server runs it; raises (refusing to start) on invalid rules
    or a missing ORIENT_SECRET_KEY."""
    from orient.web import create_app

    configure_logging()
    app = create_app(config)
    freeze_heap()
    return app


def gunicorn_on_reload(server: Any) -> None:
    """gunicorn's ``on_reload`` hook (deploy/gunicorn.conf.py): rules reload gated in the master.

    With ``preload_app``, the master builds the app once and forks every worker from it, so a
    worker never loads rules itself and can never fail to boot on them. On ``kill -HUP``,
    gunicorn calls this hook in the master *before* it forks the new workers: the rules are
    loaded and checked here, and swapped in only if they have no error (``reload_rules``,
    the same gate as ``orient serve``). A broken set is refused and logged; the new workers
    are forked with the last good rules, so the service never goes down and never serves a
    half-loaded set. Without ``preload_app`` there is no app in the master: say so loudly.
    """
    app = getattr(server.app, "callable", None)
    if app is None:
        logging.getLogger("orient").error(
            "rechargement : preload_app est requis (deploy/gunicorn.conf.py) ; sans lui, chaque worker "
            "relit les règles et un jeu invalide empêcherait les workers de démarrer")
        return
    from orient.web.operations import reload_rules

    reload_rules(app)
