"""orient.web.signing: itsdangerous's format and checks, with its signers kept.

The session cookie and the CSRF tokens are security boundaries: whatever the speed-up, they
must be byte-compatible with stock itsdangerous and refuse exactly what it refuses.
"""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from flask_wtf.csrf import validate_csrf
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms.validators import ValidationError

from orient.web import create_app
from orient.web.signing import KeptSignerSerializer

SECRET = "s" * 64
PAYLOAD = {"k": "raynaud", "a": {"necrose": "non", "signes-associes": ["peau-epaissie"]}, "age": "adulte"}
SESSION_KWARGS = {"key_derivation": "hmac", "digest_method": hashlib.sha1}


def stock_session(secret=SECRET) -> URLSafeTimedSerializer:
    # Exactly what Flask builds (Flask's digest is a lazy wrapper around the same sha1).
    return URLSafeTimedSerializer(secret, salt="cookie-session", signer_kwargs=SESSION_KWARGS)


def kept_session(secret=SECRET, compress=False) -> KeptSignerSerializer:
    return KeptSignerSerializer(secret, salt="cookie-session", signer_kwargs=SESSION_KWARGS, compress=compress)


def test_stock_itsdangerous_reads_what_the_kept_serializer_writes_and_back():
    assert stock_session().loads(kept_session().dumps(PAYLOAD)) == PAYLOAD
    assert kept_session().loads(stock_session().dumps(PAYLOAD)) == PAYLOAD


def test_a_compressed_cookie_from_before_is_still_read():
    big = {"a": {f"q{i}": "non" for i in range(40)}}  # compressible: stock itsdangerous zips it
    token = stock_session().dumps(big)
    assert token.startswith(".")
    assert kept_session().loads(token) == big


def test_same_signature_as_stock_when_signed_in_the_same_second():
    for _ in range(3):  # a second may tick between the two calls: retry
        a, b = stock_session().dumps("x" * 40), kept_session(compress=True).dumps("x" * 40)
        if a == b:
            return
    pytest.fail(f"{a} != {b}")


def test_kept_serializer_refuses_a_forged_or_foreign_value():
    token = kept_session().dumps(PAYLOAD)
    payload, timestamp, signature = token.split(".")
    forged_payload = kept_session().dump_payload({**PAYLOAD, "age": "enfant"}).decode()
    for bad in (f"{forged_payload}.{timestamp}.{signature}", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
                stock_session("autre clé").dumps(PAYLOAD), "", "...", payload):
        with pytest.raises(BadSignature):
            kept_session().loads(bad, max_age=3600)


def test_kept_serializer_refuses_an_expired_value(monkeypatch):
    token = kept_session().dumps(PAYLOAD)
    later = time.time() + 7201
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(SignatureExpired):
        kept_session().loads(token, max_age=7200)


def test_derived_keys_are_kept_per_secret_and_fallback_keys_still_work():
    rotated = KeptSignerSerializer(["ancienne", "nouvelle"], salt="cookie-session", signer_kwargs=SESSION_KWARGS)
    assert rotated.loads(stock_session("ancienne").dumps(PAYLOAD)) == PAYLOAD  # fallback accepted
    assert stock_session("nouvelle").loads(rotated.dumps(PAYLOAD)) == PAYLOAD  # signs with the newest
    with pytest.raises(BadSignature):
        stock_session("ancienne").loads(rotated.dumps(PAYLOAD))


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from("AZaz09-_.~é"), max_age=st.sampled_from([None, 3600]))
def test_mutated_values_are_judged_exactly_as_stock_itsdangerous_judges_them(position, replacement, max_age):
    token = stock_session().dumps(PAYLOAD)
    position %= len(token)
    mutated = token[:position] + replacement + token[position + 1:]

    def verdict(serializer):
        try:
            return ("ok", json.dumps(serializer.loads(mutated, max_age=max_age), sort_keys=True))
        except BadSignature as exc:
            return ("refused", type(exc).__name__)

    assert verdict(kept_session()) == verdict(stock_session())


def test_the_app_csrf_tokens_pass_flask_wtf():
    # The session cookie itself is now encrypted (orient/web/cookie.py, tests/test_hardening.py);
    # the CSRF tokens made by the page cache keep itsdangerous's format.
    from pathlib import Path

    base_rules = Path(__file__).resolve().parent / "fixtures" / "base"
    app = create_app({"SECRET_KEY": SECRET, "TESTING": True, "RULES_DIR": str(base_rules)})
    client = app.test_client()
    client.get("/cle/mini/q/age_group")  # the first page: Flask-WTF makes the raw token
    page = client.get("/cle/mini/q/age_group").get_data(as_text=True)  # then the page cache signs it
    assert app.extensions["orient_pages"].hits == 1
    cookie = client.get_cookie("orient").value
    data, _ = app.session_interface.loads(app, cookie)
    assert set(data) == {"csrf_token"}
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    with app.test_request_context():
        from flask import session
        session["csrf_token"] = data["csrf_token"]
        validate_csrf(token)  # Flask-WTF's own check, stock serializer: raises if refused
        session["csrf_token"] = "0" * 40
        with pytest.raises(ValidationError):
            validate_csrf(token)
