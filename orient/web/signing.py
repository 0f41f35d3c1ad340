"""Signed values (CSRF tokens) in itsdangerous's own format, made cheaply.

(The session cookie used to be signed here too; it is now encrypted: see cookie.py.)

Every wizard request verifies the session cookie, every page signs a CSRF token and every
answer re-signs the cookie. As Flask and Flask-WTF call itsdangerous, each of those builds a
new signer, derives the signing key again from the secret, and computes HMAC-SHA1 in pure
Python: itsdangerous's default digest is a Python function that looks up ``hashlib.sha1``
lazily, and ``hmac`` can only hand a digest to OpenSSL when it is given the C constructor
itself. Together that was about 7 % of the CPU time of a wizard request (measured in-process:
question page, answer, result page).

``KeptSignerSerializer`` is ``URLSafeTimedSerializer`` with:

- the signer built once per salt and the derived key kept per secret (both are pure
  functions of the secret and the salt);
- ``hashlib.sha1`` as the digest: the same function, so the same bytes, computed by OpenSSL;
- an option not to try zlib on payloads too small to gain from it.

The wire format, the keys, the salts and the checks (signature, then age) are itsdangerous's
own, unchanged: Flask-WTF validates the CSRF tokens made here and stock itsdangerous reads
the cookies (tests check both, and that a forged or expired value is still refused).
"""

from __future__ import annotations

import hashlib
from typing import Any

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes

SHA1 = hashlib.sha1  # a C constructor: ``hmac`` then computes the MAC in OpenSSL


class _KeptKeySigner(TimestampSigner):
    """A TimestampSigner that derives each secret's signing key once."""

    default_digest_method = staticmethod(SHA1)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._derived: dict[bytes, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        derived = self._derived.get(secret)
        if derived is None:
            # A race only computes the same value twice: no lock needed.
            derived = self._derived[secret] = super().derive_key(secret)
        return derived


class KeptSignerSerializer(URLSafeTimedSerializer):
    """``URLSafeTimedSerializer``, same format, with its signers kept (see module docstring).

    ``compress=False`` skips zlib: itsdangerous compresses every payload and keeps the result
    only when it is shorter, which a 40-character CSRF token never is, so it paid for nothing.
    Payloads written without compression are read by any itsdangerous serializer.
    """

    default_signer = _KeptKeySigner

    def __init__(self, *args: Any, compress: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.compress = compress
        self._signers: dict[Any, TimestampSigner] = {}

    def make_signer(self, salt: str | bytes | None = None) -> TimestampSigner:  # type: ignore[override]
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)  # type: ignore[assignment]
        return signer  # type: ignore[return-value]

    def dump_payload(self, obj: Any) -> bytes:
        if self.compress:
            return super().dump_payload(obj)
        return base64_encode(want_bytes(self.serializer.dumps(obj, **self.serializer_kwargs)))
