"""The session cookie: encrypted, authenticated, forgotten when the browser closes or sits idle.

A surgery computer is shared: the answers of one consultation (age band, département,
answers by id) must not be readable, nor come back, for the next person at the keyboard.

- **Encrypted and authenticated** with Fernet (``cryptography``: AES-128-CBC with a random
  IV, then HMAC-SHA256 over version, timestamp, IV and ciphertext). Without the server's key
  the cookie is opaque bytes; altered, it is refused. Fernet rather than raw AES-GCM: its
  random 128-bit IV has no nonce-reuse failure mode however many cookies one key writes, its
  format is a kept standard, and its authenticated timestamp is exactly the idle clock
  we need. The key is derived from ``SECRET_KEY`` with HKDF-SHA256 (a label of its own, so it
  is never the key of anything else); ``SECRET_KEY_FALLBACKS`` still decrypt after a rotation.
- **A browser-session cookie**: no ``Expires``, no ``Max-Age``, so closing the browser drops it.
- **An idle timeout** (``SESSION_IDLE_TIMEOUT``, seconds) checked from Fernet's timestamp,
  which is inside the authenticated token: a cookie older than that is refused even if the
  browser kept it. The cookie is written again when an answer changes, and on a request that
  reads the session when it was written more than ``SESSION_REFRESH_AFTER`` seconds ago (so
  reading a result page for a while keeps it alive, at one encryption per minute at most).
- **Anything unreadable is "expired"**: a token that does not decrypt, has expired, or whose
  content is not a JSON object (even with the right key) gives an empty session flagged
  ``rejected``, which the wizard shows as its French "session expirée" page — never a 500.

Nothing is stored on the server: the session is the cookie.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import time
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask.sessions import SecureCookieSession, SessionInterface

HKDF_INFO = b"orient session cookie v1 (fernet)"
DEFAULT_IDLE_TIMEOUT = 30 * 60
DEFAULT_REFRESH_AFTER = 60


def derive_fernet_key(secret: str | bytes) -> bytes:
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(raw)
    return base64.urlsafe_b64encode(key)


class OrientSession(SecureCookieSession):
    """Flask's session dict (tracks ``modified`` and ``accessed``), plus when it was written
    (``issued``, epoch seconds, None for a new session) and whether a cookie was refused."""

    issued: int | None = None
    rejected: bool = False


def _issued_at(token: bytes) -> int:
    # Fernet token: version (1 byte) | timestamp (8 bytes, big-endian) | IV | ciphertext | HMAC.
    # Read only after decrypt() has verified the HMAC over these very bytes.
    return struct.unpack(">Q", base64.urlsafe_b64decode(token)[1:9])[0]


class EncryptedSessionInterface(SessionInterface):
    session_class = OrientSession

    def __init__(self) -> None:
        self._cached: tuple[Any, MultiFernet] | None = None

    def fernet(self, app) -> MultiFernet | None:
        """One MultiFernet per (key, fallbacks): the current key encrypts, all decrypt."""
        if not app.secret_key:
            return None
        fallbacks = tuple(app.config.get("SECRET_KEY_FALLBACKS") or ())
        cache_key = (app.secret_key, fallbacks)
        cached = self._cached
        if cached is None or cached[0] != cache_key:
            keys = [Fernet(derive_fernet_key(k)) for k in (app.secret_key, *reversed(fallbacks))]
            cached = self._cached = (cache_key, MultiFernet(keys))
        return cached[1]

    def dumps(self, app, data: dict) -> str:
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        return self.fernet(app).encrypt(payload).decode("ascii")  # type: ignore[union-attr]

    def loads(self, app, value: str, now: float | None = None) -> tuple[dict, int]:
        """The session content and when it was written; raises ValueError when unreadable,
        altered, expired (idle) or not a JSON object."""
        fernet = self.fernet(app)
        if fernet is None:
            raise ValueError("no key")
        idle = int(app.config.get("SESSION_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT))
        try:
            token = value.encode("ascii")
            if now is None:
                plain = fernet.decrypt(token, ttl=idle)
            else:
                plain = fernet.decrypt_at_time(token, ttl=idle, current_time=int(now))
            data = json.loads(plain)
            issued = _issued_at(token)
        except (InvalidToken, UnicodeError, ValueError, TypeError, RecursionError, binascii.Error, struct.error) as exc:
            raise ValueError(type(exc).__name__) from None
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return data, issued

    def open_session(self, app, request):
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        try:
            data, issued = self.loads(app, value)
        except ValueError:
            session = self.session_class()
            session.rejected = True
            return session
        session = self.session_class(data)
        session.issued = issued
        return session

    def save_session(self, app, session, response) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified:  # emptied ("Recommencer", or a refused cookie): delete it
                response.delete_cookie(name, domain=domain, path=path, secure=secure,
                                       samesite=samesite, httponly=httponly)
                response.vary.add("Cookie")
            return
        refresh = (session.accessed and session.issued is not None
                   and time.time() - session.issued >= app.config.get("SESSION_REFRESH_AFTER", DEFAULT_REFRESH_AFTER))
        if not (session.modified or refresh):
            return
        # No expires / max_age: a browser-session cookie, gone when the browser closes.
        response.set_cookie(name, self.dumps(app, dict(session)), domain=domain, path=path,
                            secure=secure, samesite=samesite, httponly=httponly)
        response.vary.add("Cookie")
