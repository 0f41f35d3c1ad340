"""French typography and grammar on every rendered page (issue #21), on the shipped rules.

A crawler starts from the home page with a finished consultation in the session (so that the
result, print, check and shared pages exist) and follows every internal link; on each HTML page
it reads the text a reader sees (not scripts, styles or attributes) and fails on:
- a plain space before « : ; ? ! » or after «, or before » (the sign would wrap to the next line);
- a département name after a bare "de" when French needs an article ("de Rhône" for "du Rhône").
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from orient.services.typography import NBSP, NNBSP, french

MAX_PAGES = 250  # the crawl covers every page type well before that
PLAIN_SPACE = re.compile(r" [:;?!»]|« ")


@pytest.fixture(scope="module")
def app_rules(rules_dir):
    """The shipped rules: the pages, their texts and the départements GPs see."""
    return rules_dir


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "svg", "textarea"):
            self._skip += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "svg", "textarea") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.texts.append(data)


def test_french_spacing_rules():
    assert french("Adresser si : oui") == f"Adresser si{NBSP}: oui"
    assert french("« clé »") == f"«{NNBSP}clé{NNBSP}»"
    assert french("Quoi ? Vraiment ! a ; b") == f"Quoi{NNBSP}? Vraiment{NNBSP}! a{NNBSP}; b"
    assert french("https://www.has-sante.fr/jcms/p_1 à 10:30") == "https://www.has-sante.fr/jcms/p_1 à 10:30"
    assert french(french("a : b")) == french("a : b")  # idempotent


def _crawl(client):
    seen: set[str] = set()
    queue: deque[str] = deque(["/"])
    pages: dict[str, str] = {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        parser = _Page()
        parser.feed(response.get_data(as_text=True))
        pages[url] = "".join(parser.texts)
        for href in parser.links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/"):
                continue
            if href.startswith(("/static/", "/api/")) or href.endswith(".svg") or href in seen:
                continue
            # One page per kind of list is enough: the library and the directory have hundreds.
            if href.count("/") > 2 and len([u for u in pages if u.rsplit("/", 1)[0] == href.rsplit("/", 1)[0]]) > 6:
                continue
            queue.append(href)
    return pages


def test_no_plain_space_before_french_punctuation_and_no_missing_article_on_any_page(client, follow_scenario):
    ruleset = client.application.extensions["orient"]
    key_id = "fractures-enfant"
    scenario = next(s for s in ruleset.scenarios[key_id] if ruleset.keys[key_id].outcome(s.expect).action != "emergency"
                    and ruleset.keys[key_id].outcome(s.expect).networks != "any")
    follow_scenario(client, key_id, dict(scenario.answers), departement="69")
    result = client.get(f"/cle/{key_id}/orientation").get_data(as_text=True)
    link = re.search(r'id="lien-orientation"[^>]*value="([^"]+)"', result)
    assert link, "le lien d'orientation manque sur la page de résultat"
    extra = [f"/cle/{key_id}/orientation", f"/cle/{key_id}/imprimer", f"/cle/{key_id}/verifier",
             urlsplit(link.group(1).replace("&amp;", "&")).path + "?" + urlsplit(link.group(1).replace("&amp;", "&")).query,
             "/maladies?q=marfan", "/annuaire/?departement=13", "/aucune-cle", "/page-inexistante"]
    pages = _crawl(client)
    for url in extra:
        response = client.get(url)
        parser = _Page()
        parser.feed(response.get_data(as_text=True))
        pages[url] = "".join(parser.texts)
    assert len(pages) > 40, f"seulement {len(pages)} pages visitées"

    missing_article = [d for d in ruleset.departements.values()
                       if getattr(d, "de", None) and d.de != f"de {d.name}"]
    problems = []
    for url, text in pages.items():
        for match in PLAIN_SPACE.finditer(text):
            around = text[max(0, match.start() - 40):match.end() + 20].replace("\n", " ")
            problems.append(f"{url}: espace ordinaire dans « …{around}… »")
        for d in missing_article:
            # orient writes a département as "Rhône (69)"; hospital and region names ("CHU de
            # Martinique", "Centre-Val de Loire") are proper names and are left alone.
            if re.search(rf"\bde {re.escape(d.name)} \({d.code}\)", text):
                problems.append(f"{url}: « de {d.name} » au lieu de « {d.de} »")
    assert not problems, f"{len(problems)} défaut(s) :\n" + "\n".join(problems[:40])
