"""WSGI entry point for the load bench only: the real app with CSRF off, so wrk can POST.

Used by bench/load.py as ``gunicorn --pythonpath bench loadapp:app``. It refuses to be
imported unless ORIENT_LOAD_TEST=1, so it can never be served by mistake.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if os.environ.get("ORIENT_LOAD_TEST") != "1":
    raise RuntimeError("bench/loadapp.py sert uniquement au banc de charge (ORIENT_LOAD_TEST=1) : CSRF désactivé")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orient.wsgi import application

# Built as in production (logging, frozen heap), CSRF aside.
# ORIENT_LOAD_PAGE_CACHE=0 turns the page cache off, to measure every page rendered.
# wrk replays the same session cookies for minutes: a real visitor's cookie is rewritten at
# most once a minute (orient/web/cookie.py), so the bench does not rewrite it on every request.
app = application({"WTF_CSRF_ENABLED": False, "SESSION_REFRESH_AFTER": 10**9,
                   "PAGE_CACHE_ENTRIES": int(os.environ.get("ORIENT_LOAD_PAGE_CACHE", "512"))})
