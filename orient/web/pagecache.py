"""Wizard pages rendered once per rule set and per journey state, then served from memory.

A question page is a pure function of the rules and a handful of ids (key, question, path so
far, the answer already given); a result page, of the rules, the answers on the path, the age
band and the département. Rendering them (Jinja, WTForms, the SVG map) costs several times
what the rest of the request does, and GPs walking the same key follow the same few paths,
so each worker keeps the last pages it rendered in a bounded LRU.

The one per-visitor part of these pages is the CSRF token. Pages are rendered with a random
placeholder in its place and the visitor's own token is put in on every response (the
"hole punching" of page caches), so a cached page never carries someone else's token.

The cache is bound to one RuleSet object: after a reload it starts empty, so a page is never
served from rules that are no longer in force. Nothing personal is cached: keys are ids and
typed answers, and the same ids are already in every visitor's signed cookie.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app, g, render_template, request, session
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer

from orient.core.ruleset import RuleSet

DEFAULT_MAX_ENTRIES = 512  # ~22 KB for the largest page (a result with its map): ~11 MB per worker at most


class PageCache:
    """A thread-safe LRU of rendered pages, emptied whenever the rule set changes."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES):
        self.max_entries = max_entries
        # Unguessable and different in every process: no rules text can contain it by accident.
        self.csrf_hole = f"csrf-hole-{secrets.token_hex(16)}"
        self._hole = self.csrf_hole.encode()
        # Pages are kept encoded: a response would otherwise re-encode ~20 KB on every hit.
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()
        self._ruleset: RuleSet | None = None
        self._lock = threading.Lock()
        self._csrf_serializer: tuple[Any, URLSafeTimedSerializer] | None = None
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._ruleset = None

    def __len__(self) -> int:
        return len(self._pages)

    def _get(self, ruleset: RuleSet, key: Hashable) -> bytes | None:
        with self._lock:
            if ruleset is not self._ruleset:
                self._pages.clear()
                self._ruleset = ruleset
                return None
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def _put(self, ruleset: RuleSet, key: Hashable, page: bytes) -> None:
        with self._lock:
            if ruleset is not self._ruleset:  # the rules were reloaded while this page rendered
                return
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def page(self, ruleset: RuleSet, key: Hashable, template: str, context: Callable[[], dict[str, Any]]) -> bytes:
        """The page ``template`` for ``key``; ``context`` is called only when it must be rendered.

        ``key`` must name everything the page depends on besides the rule set.
        """
        # Links in the page start with the prefix the app is mounted under.
        key = (request.script_root, key)
        page = self._get(ruleset, key) if self.max_entries else None
        if page is None:
            self.misses += 1
            hole = self.csrf_hole
            page = render_template(template, csrf_token=lambda: hole, **context()).encode()
            if self.max_entries:
                self._put(ruleset, key, page)
        else:
            self.hits += 1
        if self._hole in page:
            page = page.replace(self._hole, self._csrf_token().encode())
        return page

    def _csrf_token(self) -> str:
        """The visitor's signed CSRF token, as ``flask_wtf.csrf.generate_csrf`` makes it (same
        secret, salt, format and session key: Flask-WTF validates it, a test checks it), but
        with itsdangerous's public API kept per secret and given ``hashlib.sha1`` itself, so
        the HMAC runs in OpenSSL. generate_csrf builds a serializer on every call and
        itsdangerous's lazy default digest keeps ``hmac`` in pure Python: about a sixth of a
        cached question page (bench/README.md, #15). The first token of a visit, and a second
        call in the same request, go through generate_csrf itself."""
        config = current_app.config
        field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        raw = session.get(field)
        if field in g or not isinstance(raw, str):
            return generate_csrf()
        secret: str | bytes = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key or ""
        if self._csrf_serializer is None or self._csrf_serializer[0] != secret:
            self._csrf_serializer = (secret, URLSafeTimedSerializer(
                secret, salt="wtf-csrf-token", signer_kwargs={"digest_method": hashlib.sha1}))
        token = self._csrf_serializer[1].dumps(raw)
        setattr(g, field, token)  # as generate_csrf does: one token per request
        return token


def init_app(app: Flask) -> None:
    app.extensions["orient_pages"] = PageCache(app.config.get("PAGE_CACHE_ENTRIES", DEFAULT_MAX_ENTRIES))


def render_page(key: Hashable, template: str, context: Callable[[], dict[str, Any]]) -> bytes:
    """Render ``template`` through the app's page cache (see the module docstring)."""
    cache: PageCache = current_app.extensions["orient_pages"]
    return cache.page(current_app.extensions["orient"], key, template, context)
