"""Property-based fuzzing (hypothesis, bounded): the loader never raises, the app never 500s.

(a) Mutated rule files (lines deleted, duplicated, swapped; characters replaced; indentation
    changed; YAML-significant tokens and invalid bytes inserted), in a temporary copy of a
    reduced rules/ (the reference files, the Raynaud key, its centres and scenarios):
    ``ruleset.load`` returns (RuleSet or None, diagnostics) and never raises; every diagnostic
    formats as ``path:line:col severity CODE message`` on one line.
(b) Random form posts, random cookies (garbage, truncated real cookies, validly signed
    cookies holding junk as after a rules change) and random URLs built from the app's url_map
    never get a 500.

Bounded: 40-80 examples per property, whole file in about 15 s.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from orient.core.diagnostics import Diagnostic
from orient.core.ruleset import RuleSet, load
from orient.web import create_app

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
KEY = "raynaud"

FUZZ = settings(deadline=None, max_examples=60, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ_WIDE = settings(FUZZ, max_examples=80)
# Loading rules costs ~50-100 ms: no shrinking there (it could run for minutes on a failure;
# the failing example, at most 4 mutations, is printed as found).
FUZZ_RULES = settings(FUZZ, phases=[Phase.explicit, Phase.reuse, Phase.generate])

# --- (a) mutated rule files ------------------------------------------------------------------

MUTABLE = [f"keys/{KEY}.yaml"] * 4 + [
    "meta.yaml", "filieres.yaml", "territories.yaml", "pnds.yaml", "resources.yaml",
    "centres/fai2r.yaml", f"scenarios/{KEY}.yaml",
]
TOKENS = ["yes", "no", "\t", ":", ": ", "- ", "-", "{", "}", "[", "]", "&a ", "*a", "<<: *a", "!!python/object:os.system ",
          "!!binary ", "~", "null", "''", '"', "'", "#", "---\n", "...\n", "? ", "|", ">-", "%YAML 1.1\n", "2026-13-45",
          "1e999", ".nan", "0x1F", "\ufeff", "\u00a0", "é", "\x00", "\x85", "\u2028", "id: x", "when: {}", "  ", "\n"]
OPS = ["delete", "duplicate", "swap", "replace_char", "indent", "dedent", "tab_indent", "insert", "insert_line",
       "truncate", "bad_bytes"]

mutation = st.tuples(st.sampled_from(OPS), st.integers(0, 1 << 20), st.integers(0, 1 << 20),
                     st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)))

DIAGNOSTIC_LINE = re.compile(r"^\S[^\n]*:\d+:\d+ (erreur|avertissement) [A-Z][A-Z0-9_]* \S[^\n]*$")


def mutate(text: str, ops) -> bytes:
    lines = text.split("\n")
    tail = b""
    for op, i, j, token in ops:
        n = max(len(lines), 1)
        a, b = i % n, j % n
        if op == "delete" and lines:
            del lines[a]
        elif op == "duplicate" and lines:
            lines.insert(a, lines[a])
        elif op == "swap" and lines:
            lines[a], lines[b] = lines[b], lines[a]
        elif op == "indent" and lines:
            lines[a] = "  " + lines[a]
        elif op == "dedent" and lines:
            lines[a] = lines[a][min(2, len(lines[a]) - len(lines[a].lstrip(" "))):]
        elif op == "tab_indent" and lines:
            lines[a] = "\t" + lines[a].lstrip(" ")
        elif op == "insert_line":
            lines.insert(a, token)
        else:
            joined = "\n".join(lines)
            k = i % (len(joined) + 1)
            if op == "replace_char":
                joined = joined[:k] + token + joined[k + 1:]
            elif op == "insert":
                joined = joined[:k] + token + joined[k:]
            elif op == "truncate":
                joined = joined[:k]
            elif op == "bad_bytes":
                tail = bytes([0x80 + j % 0x80])  # an invalid UTF-8 byte, appended after the mutations
            lines = joined.split("\n")
    return "\n".join(lines).encode("utf-8") + tail


@pytest.fixture(scope="module")
def mini_rules(tmp_path_factory) -> Path:
    """A reduced copy of rules/ that loads cleanly in well under 100 ms."""
    target = tmp_path_factory.mktemp("fuzzrules")
    for path in RULES.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    for sub, name in (("keys", f"{KEY}.yaml"), ("centres", "fai2r.yaml"), ("scenarios", f"{KEY}.yaml")):
        (target / sub).mkdir()
        shutil.copy(RULES / sub / name, target / sub / name)
    # With one key, most PNDS are cited by no outcome (PNDS_INACCESSIBLE): say so in the copy.
    key = yaml.safe_load((RULES / "keys" / f"{KEY}.yaml").read_text(encoding="utf-8"))
    cited = {pid for outcome in key["outcomes"] for pid in outcome.get("pnds", ())}
    catalogue = yaml.safe_load((RULES / "pnds.yaml").read_text(encoding="utf-8"))
    for entry in catalogue["pnds"]:
        if entry["id"] not in cited:
            entry["search_only"] = "copie réduite des règles pour les tests de robustesse"
    (target / "pnds.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True, sort_keys=False), encoding="utf-8")
    ruleset, diags = load(target)
    assert ruleset is not None, [d.format() for d in diags]
    return target


def test_mini_rules_are_valid(mini_rules):
    ruleset, diags = load(mini_rules)
    assert isinstance(ruleset, RuleSet) and not [d for d in diags if d.is_error]


@FUZZ_RULES
@given(name=st.sampled_from(MUTABLE), ops=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_rules_never_raise(mini_rules, name, ops):
    path = mini_rules / name
    original = path.read_bytes()
    mutated = mutate(original.decode("utf-8"), ops)
    try:
        path.write_bytes(mutated)
        result = load(mini_rules)
    finally:
        path.write_bytes(original)
    assert isinstance(result, tuple) and len(result) == 2
    ruleset, diags = result
    assert ruleset is None or isinstance(ruleset, RuleSet)
    assert all(isinstance(d, Diagnostic) for d in diags)
    for d in diags:
        text = d.format()
        assert DIAGNOSTIC_LINE.match(text), repr(text)
        assert d.line >= 1 and d.column >= 1, text
    if ruleset is None:
        assert any(d.is_error for d in diags), "refused without an error diagnostic"
    else:
        assert not any(d.is_error for d in diags), "served despite an error"


# --- (b) the web app -------------------------------------------------------------------------

_APPS: dict[str, object] = {}


def app(csrf: bool):
    """Created once per module (hypothesis and function-scoped fixtures do not mix)."""
    name = "csrf" if csrf else "plain"
    if name not in _APPS:
        config = {"SECRET_KEY": "x", "TESTING": True}
        if not csrf:
            config["WTF_CSRF_ENABLED"] = False  # reach the views' own validation
        _APPS[name] = create_app(config)
    return _APPS[name]


def ruleset() -> RuleSet:
    return app(False).extensions["orient"]


def real_cookies() -> list[str]:
    """Cookie values of a real journey (age, answers, département), built once."""
    if "cookies" not in _APPS:
        client = app(False).test_client()
        values = []
        for qid, answer in (("age_group", "adulte"), ("necrose", "non"), ("crise-renale", "non"),
                            ("signes-associes", "peau-epaissie")):
            client.post(f"/cle/{KEY}/q/{qid}", data={"answer": answer})
            values.append(client.get_cookie("orient").value)
        client.post(f"/cle/{KEY}/departement", data={"answer": "13"})
        values.append(client.get_cookie("orient").value)
        _APPS["cookies"] = values
    return _APPS["cookies"]  # type: ignore[return-value]


def key_ids() -> list[str]:
    return list(ruleset().keys)


def question_ids() -> list[str]:
    return sorted({q.id for k in ruleset().keys.values() for q in k.questions} | {"age_group", "departement"})


def choice_ids() -> list[str]:
    return sorted({c for k in ruleset().keys.values() for q in k.questions for c in q.choice_ids})


printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
weird_text = st.one_of(printable, st.text(max_size=20),
                       st.sampled_from(["", " ", "..", "%00", "\x00", "NaN", "inf", "-1", "1e999", "99999999999999999999",
                                        "2A", "2B", "971", "00", "oui", "non", "[]", "{}", "null", "é" * 50]))
segment = st.one_of(st.deferred(lambda: st.sampled_from(key_ids() + question_ids() + choice_ids())), weird_text)


def json_like():
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(), st.text(max_size=12),
                       st.deferred(lambda: st.sampled_from(choice_ids() + key_ids() + ["13", "2A", "adulte"])))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.deferred(lambda: st.sampled_from(question_ids()))),
                        inner, max_size=4)), max_leaves=12)


def signed(data: dict) -> str:
    flask_app = app(False)
    return flask_app.session_interface.dumps(flask_app, data)  # encrypted (orient/web/cookie.py)


session_data = st.dictionaries(
    st.one_of(st.sampled_from(["k", "a", "age", "dep", "_permanent", "csrf_token"]), st.text(max_size=6)),
    json_like(), max_size=5).map(lambda d: {**d, "k": d.get("k", KEY)})

cookie_value = st.one_of(
    printable,
    st.tuples(st.deferred(lambda: st.sampled_from(real_cookies())), st.integers(0, 400)).map(lambda t: t[0][:t[1]]),
    st.tuples(st.deferred(lambda: st.sampled_from(real_cookies())), printable).map(lambda t: t[0] + t[1]),
    session_data.map(signed),
)

form_value = st.one_of(weird_text, st.deferred(lambda: st.sampled_from(choice_ids())),
                       st.lists(st.one_of(weird_text, st.deferred(lambda: st.sampled_from(choice_ids()))), max_size=4))
form_data = st.dictionaries(st.one_of(st.sampled_from(["answer", "csrf_token", "answer[]", "retour"]), printable),
                            form_value, max_size=4)


def assert_no_500(response, what: str) -> None:
    assert response.status_code != 500, f"{what} -> 500"
    assert response.status_code < 500, f"{what} -> {response.status_code}"


@FUZZ_WIDE
@given(csrf=st.booleans(), key=st.one_of(st.deferred(lambda: st.sampled_from(key_ids())), weird_text),
       qid=segment, data=form_data, cookie=st.one_of(st.none(), cookie_value),
       target=st.sampled_from(["question", "departement", "restart"]), retour=st.booleans())
def test_random_form_posts_never_500(csrf, key, qid, data, cookie, target, retour):
    client = app(csrf).test_client(use_cookies=False)
    path = {"question": f"/cle/{quote(key, safe='')}/q/{quote(qid, safe='')}",
            "departement": f"/cle/{quote(key, safe='')}/departement",
            "restart": "/recommencer"}[target]
    if retour:
        path += "?retour=verifier"
    headers = {"Cookie": f"orient={cookie}"} if cookie is not None else {}
    response = client.post(path, data=data, headers=headers)
    assert_no_500(response, f"POST {path} {data!r} cookie={cookie!r}")


@FUZZ
@given(cookie=cookie_value, key=st.deferred(lambda: st.sampled_from(key_ids())),
       page=st.sampled_from(["", "/suite", "/q/age_group", "/q/{q}", "/departement", "/verifier", "/orientation",
                             "/imprimer"]),
       post=st.one_of(st.none(), st.deferred(lambda: st.sampled_from(choice_ids())), weird_text))
def test_random_cookies_never_500(cookie, key, page, post):
    flask_app = app(False)
    client = flask_app.test_client(use_cookies=False)
    questions = flask_app.extensions["orient"].keys[key].questions
    path = f"/cle/{key}" + page.replace("{q}", questions[len(cookie) % len(questions)].id)
    headers = {"Cookie": f"orient={cookie}"}
    response = client.get(path, headers=headers)
    assert_no_500(response, f"GET {path} cookie={cookie!r}")
    if post is not None and "/q/" in page:
        response = client.post(path, data={"answer": post}, headers=headers)
        assert_no_500(response, f"POST {path} answer={post!r} cookie={cookie!r}")


QUERY_NAMES = ["filtre", "q", "filiere", "departement", "dep", "age", "type", "etape", "pourquoi", "r", "retour",
               "urgence", "page", "tri", "systeme"]
CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def rules_list() -> list[str]:
    return sorted(r.rule for r in app(False).url_map.iter_rules())


@FUZZ_WIDE
@given(rule=st.deferred(lambda: st.sampled_from(rules_list())), segments=st.lists(segment, min_size=3, max_size=3),
       query=st.dictionaries(st.one_of(st.sampled_from(QUERY_NAMES), printable), st.one_of(weird_text, segment),
                             max_size=4),
       extra=st.sampled_from(["", "", "/", "/x", "//", "%2F..%2F", ".svg"]), method=st.sampled_from(["GET", "HEAD"]),
       cookie=st.one_of(st.none(), cookie_value))
def test_random_urls_never_500(rule, segments, query, extra, method, cookie):
    values = iter(segments)
    path = CONVERTER.sub(lambda m: quote(next(values), safe=""), rule) + extra
    if query:
        path += "?" + urlencode(query)
    headers = {"Cookie": f"orient={cookie}"} if cookie is not None else {}
    response = app(False).test_client(use_cookies=False).open(path, method=method, headers=headers)
    assert_no_500(response, f"{method} {path} cookie={cookie!r}")
