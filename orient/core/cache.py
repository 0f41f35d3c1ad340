"""A content-addressed cache of the work ``load`` repeats on unchanged input, like ``__pycache__``.

Reading the YAML with its positions and exploring every path of every key are two thirds of a
load (bench/engine.py), and both are pure functions of a file's bytes and of orient's code. So
each result is stored under the SHA-256 of (what it is, orient's code, the libraries it depends
on, the file's bytes): an entry is never stale, only unused. Editing one key re-reads and
re-explores that key alone; anything else (references, dates, the rule set as a whole) is
checked on every load, whatever the cache holds.

Safety, since an entry is read back at start-up:
  * values are plain data (dict, list, str, numbers, dates, tuples) pickled and read back by an
    unpickler that refuses every global except ``datetime.date`` and ``datetime.datetime``:
    a forged entry cannot run code, and an unreadable one is a miss, never an error;
  * the directory is orient's own (``$ORIENT_CACHE``, else ``$XDG_CACHE_HOME/orient``, else
    ``~/.cache/orient``), created user-only; ``ORIENT_CACHE=off`` turns the cache off;
  * writes go to a temporary file renamed into place, so concurrent workers never read half an
    entry; a cache that cannot be written (read-only disk) is silently skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

OFF = {"off", "0", "non", "no", "false"}
# Bump when the shape of a cached value changes without a code change in orient/core (the
# fingerprint already covers every edit of the code that produces the values).
FORMAT = 1
_ALLOWED_GLOBALS = {("datetime", "date"): dt.date, ("datetime", "datetime"): dt.datetime}


T = TypeVar("T")


def _same(value: Any) -> Any:
    return value


class _PlainUnpickler(pickle.Unpickler):
    """Plain data only: no class, no function, nothing a forged entry could make run."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} refusé dans le cache") from None


@cache
def code_fingerprint() -> bytes:
    """orient's core code and the versions of what parses and validates the rules.

    Any edit of a module under orient/core (loader, model, engine, checks...) changes it, so an
    upgrade never reads entries produced by older code."""
    digest = hashlib.sha256(f"orient-cache {FORMAT} {sys.version} {pickle.HIGHEST_PROTOCOL}".encode())
    for dist in ("PyYAML", "pydantic", "pydantic-core"):
        try:
            digest.update(f"{dist} {metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:  # pragma: no cover - declared dependencies
            digest.update(dist.encode())
    modules = sorted(Path(__file__).parent.glob("*.py"))
    for module in modules:
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    if not modules:  # installed without sources (bytecode only): never reuse another run's entries
        digest.update(os.urandom(16))
    return digest.digest()


def default_directory() -> Path | None:
    """``$ORIENT_CACHE`` (``off`` for none), else the user's cache directory."""
    env = os.environ.get("ORIENT_CACHE")
    if env is not None:
        return None if env.strip().lower() in OFF or not env.strip() else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "orient"


class Cache:
    """Entries addressed by content; ``Cache(None)`` keeps nothing (every lookup misses)."""

    def __init__(self, directory: Path | str | None):
        self.directory = Path(directory) if directory is not None else None
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_environment(cls) -> Cache:
        return cls(default_directory())

    def address(self, kind: str, content: bytes) -> str:
        return hashlib.sha256(kind.encode() + b"\0" + code_fingerprint() + content).hexdigest()

    def _path(self, address: str) -> Path:
        assert self.directory is not None
        return self.directory / address[:2] / address[2:]

    def get(self, address: str, rebuild: Callable[[Any], T] = _same) -> T | None:
        """``rebuild`` of the value stored at ``address``, or None when it is absent, unreadable,
        refused, or not of the shape ``rebuild`` expects (it raises): every such entry is a miss."""
        if self.directory is None:
            return None
        try:
            with open(self._path(address), "rb") as entry:
                value = rebuild(_PlainUnpickler(io.BytesIO(entry.read())).load())
        except Exception:  # any unusable entry is a miss: the work is redone
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, address: str, value: Any) -> None:
        if self.directory is None:
            return
        path = self._path(address)
        temporary: str | None = None
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as tmp:
                temporary = tmp.name
                tmp.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, path)
        except OSError:  # read-only or full disk: the next load redoes the work, no more
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)


NO_CACHE = Cache(None)

__all__ = ["NO_CACHE", "Cache", "code_fingerprint", "default_directory"]
