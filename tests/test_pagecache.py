"""The page cache: wizard pages rendered once per rule set and journey state, never shared
with another visitor's CSRF token, never served from rules that are no longer in force. On the small fixture rules (conftest
``app_rules``: keys mini and autre)."""

from __future__ import annotations

import datetime
import re
import types

import pytest
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from orient.core.ruleset import load
from orient.web import forms
from orient.web import wizard as wizard_module

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ANSWERS = {"alerte": "non", "signes": ["signe-a"]}  # mini: refer to filière B's sites


def cache_of(app):
    return app.extensions["orient_pages"]


def token(page: str) -> str:
    tokens = set(TOKEN.findall(page))
    assert len(tokens) == 1, tokens  # every form of the page carries the same, real token
    return tokens.pop()


def start(client, age: str = "adulte") -> None:
    """Answer the age question with a real CSRF token, as a browser would."""
    page = client.get("/cle/mini/q/age_group").get_data(as_text=True)
    response = client.post("/cle/mini/q/age_group", data={"answer": age, "csrf_token": token(page)})
    assert response.status_code == 303


def test_a_question_page_is_rendered_once_then_served_from_memory(make_app, app_rules):
    app = make_app(app_rules)  # its own cache: the counts below are exact
    cache = cache_of(app)
    client = app.test_client()
    start(client)
    misses, hits = cache.misses, cache.hits
    first = client.get("/cle/mini/q/alerte").get_data(as_text=True)
    second = client.get("/cle/mini/q/alerte").get_data(as_text=True)
    assert (cache.misses, cache.hits) == (misses + 1, hits + 1)
    assert TOKEN.sub("", first) == TOKEN.sub("", second)
    assert "csrf-hole" not in first + second


def test_two_visitors_share_a_cached_page_but_each_gets_and_needs_their_own_token(csrf_app):
    alice, bob = csrf_app.test_client(), csrf_app.test_client()
    start(alice)
    start(bob)
    page_a = alice.get("/cle/mini/q/alerte").get_data(as_text=True)
    page_b = bob.get("/cle/mini/q/alerte").get_data(as_text=True)
    assert TOKEN.sub("", page_a) == TOKEN.sub("", page_b)  # the same cached page...
    token_a, token_b = token(page_a), token(page_b)
    assert token_a != token_b  # ...each with its visitor's own token
    # Bob's token is refused in Alice's session, and the other way round.
    assert alice.post("/cle/mini/q/alerte", data={"answer": "non", "csrf_token": token_b}).status_code == 400
    assert bob.post("/cle/mini/q/alerte", data={"answer": "non", "csrf_token": token_a}).status_code == 400
    # Each visitor's own token (made by the cache, not by Flask-WTF) is accepted by Flask-WTF.
    assert alice.post("/cle/mini/q/alerte", data={"answer": "non", "csrf_token": token_a}).status_code == 303
    assert bob.post("/cle/mini/q/alerte", data={"answer": "non", "csrf_token": token_b}).status_code == 303


def test_a_first_visit_gets_a_fresh_token_on_a_cached_page(csrf_app):
    warm = csrf_app.test_client()
    warm.get("/cle/mini/q/age_group")  # the page is now cached
    newcomer = csrf_app.test_client()
    page = newcomer.get("/cle/mini/q/age_group").get_data(as_text=True)
    with newcomer.session_transaction() as session:
        raw = session["csrf_token"]  # the visit created the visitor's raw token
    assert raw
    assert newcomer.post("/cle/mini/q/age_group",
                         data={"answer": "adulte", "csrf_token": token(page)}).status_code == 303


def test_the_stored_answer_and_the_path_are_part_of_the_page(csrf_app):
    client = csrf_app.test_client()
    start(client)
    blank = client.get("/cle/mini/q/alerte").get_data(as_text=True)
    page = client.get("/cle/mini/q/alerte").get_data(as_text=True)
    assert client.post("/cle/mini/q/alerte", data={"answer": "oui", "csrf_token": token(page)}).status_code == 303
    answered = client.get("/cle/mini/q/alerte").get_data(as_text=True)
    assert re.search(r'value="oui"[^>]*checked', answered)
    assert not re.search(r'value="oui"[^>]*checked', blank)


def test_a_result_page_depends_on_the_departement(csrf_app):
    pages = {}
    for dep in ("92", "69"):
        client = csrf_app.test_client()
        with client.session_transaction() as session:
            session.update({"k": "mini", "age": "adulte", "dep": dep, "csrf_token": "x" * 40,
                            "a": ANSWERS})
        response = client.get("/cle/mini/orientation")
        assert response.status_code == 200
        pages[dep] = response.get_data(as_text=True)
    assert "Hauts-de-Seine (92)" in pages["92"] and "Rhône (69)" not in pages["92"]
    assert "Rhône (69)" in pages["69"] and "Hauts-de-Seine (92)" not in pages["69"]


def test_a_result_page_depends_on_the_age_band(csrf_app):
    # The age band is not on the engine's path (it is asked once for every key), yet it
    # chooses paediatric or adult sites: a child must never get an adult's cached page.
    pages = {}
    for age in ("adulte", "enfant"):
        client = csrf_app.test_client()
        with client.session_transaction() as session:
            session.update({"k": "mini", "age": age, "dep": "69",
                            "a": ANSWERS})
        response = client.get("/cle/mini/orientation")
        assert response.status_code == 200
        pages[age] = response.get_data(as_text=True)
    assert pages["adulte"] != pages["enfant"]
    assert "Enfant" in pages["enfant"] and "Enfant" not in pages["adulte"]


def test_the_printed_summary_is_rendered_again_on_a_new_day(csrf_app, monkeypatch):
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session.update({"k": "mini", "age": "adulte", "dep": "69",
                        "a": ANSWERS})
    days = iter([datetime.date(2026, 11, 22), datetime.date(2026, 11, 23)])
    current = {"day": next(days)}

    class FakeDate(datetime.date):
        @classmethod
        def today(cls):
            return current["day"]

    fake = types.SimpleNamespace(date=FakeDate, timedelta=datetime.timedelta)
    from orient.web import templating

    monkeypatch.setattr(wizard_module, "dt", fake)
    monkeypatch.setattr(templating, "dt", fake)
    assert "22 novembre 2026" in client.get("/cle/mini/imprimer").get_data(as_text=True)
    current["day"] = next(days)
    assert "23 novembre 2026" in client.get("/cle/mini/imprimer").get_data(as_text=True)


def test_new_rules_empty_the_cache(make_app, app_rules):
    app = make_app(app_rules)
    client = app.test_client()
    client.get("/cle/mini/q/age_group")
    assert len(cache_of(app)) == 1
    reloaded, _ = load(app_rules)
    app.extensions["orient"] = reloaded  # what a reload does: a new RuleSet object
    misses = cache_of(app).misses
    client.get("/cle/mini/q/age_group")
    assert cache_of(app).misses == misses + 1  # rendered again from the new rules
    assert len(cache_of(app)) == 1


def test_the_cache_is_bounded_and_can_be_turned_off(make_app, app_rules):
    app = make_app(app_rules, PAGE_CACHE_ENTRIES=1)
    client = app.test_client()
    for key in ("mini", "autre"):
        assert client.get(f"/cle/{key}/q/age_group").status_code == 200
    assert len(cache_of(app)) == 1  # least recently used page dropped

    off = make_app(app_rules, PAGE_CACHE_ENTRIES=0)
    client = off.test_client()
    first = client.get("/cle/mini/q/age_group").get_data(as_text=True)
    second = client.get("/cle/mini/q/age_group").get_data(as_text=True)
    assert len(cache_of(off)) == 0 and cache_of(off).hits == 0
    assert TOKEN.sub("", first) == TOKEN.sub("", second)


def test_a_form_class_is_built_once_per_question_and_rule_set(make_app, app_rules):
    ruleset, _ = load(app_rules)
    question = ruleset.keys["mini"].question("alerte")
    app = make_app(app_rules)
    with app.test_request_context("/"):
        assert type(forms.build_form(question, ruleset)) is type(forms.build_form(question, ruleset))
        other, _ = load(app_rules)
        other_question = other.keys["mini"].question("alerte")
        assert type(forms.build_form(other_question, other)) is not type(forms.build_form(question, ruleset))


def test_a_page_cached_under_one_mount_prefix_is_not_served_under_another(make_app, app_rules):
    app = make_app(app_rules)
    client = app.test_client()
    mounted = client.get("/cle/mini/q/age_group", environ_overrides={"SCRIPT_NAME": "/orient"})
    plain = client.get("/cle/mini/q/age_group")
    assert 'href="/orient/cle/mini"' in mounted.get_data(as_text=True)
    assert 'href="/cle/mini"' in plain.get_data(as_text=True)
    assert "/orient/" not in plain.get_data(as_text=True)


def test_the_csrf_token_put_in_a_cached_page_passes_flask_wtf(make_app, app_rules):
    app = make_app(app_rules, SECRET_KEY="s" * 64)
    client = app.test_client()
    client.get("/cle/mini/q/age_group")  # the first page: Flask-WTF makes the raw token
    page = client.get("/cle/mini/q/age_group").get_data(as_text=True)  # served from the cache
    assert cache_of(app).hits == 1
    cookie = client.get_cookie("orient").value
    data, _ = app.session_interface.loads(app, cookie)
    assert set(data) == {"csrf_token"}
    signed = token(page)
    with app.test_request_context():
        from flask import session
        session["csrf_token"] = data["csrf_token"]
        validate_csrf(signed)  # Flask-WTF's own check: raises if refused
        session["csrf_token"] = "0" * 40
        with pytest.raises(ValidationError):
            validate_csrf(signed)
