"""A live orient server for browser tests (shared by the conftest and test modules: the bare
name ``conftest`` may resolve to either conftest.py, so shared helpers live here)."""

from __future__ import annotations

import contextlib
import logging
import threading

from werkzeug.serving import make_server


@contextlib.contextmanager
def serving(app):
    """``app`` served on a free loopback port in a daemon thread; yields its base URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="orient-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
