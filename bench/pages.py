"""Page weight budget: bytes per page type (HTML + the CSS, JS and images it references).

Run: .venv/bin/python bench/pages.py

Fetches every page type through Flask's test client (no network), parses each HTML page for
the resources a browser would load (stylesheets, scripts, images, icons, preloads; fonts and
images referenced by url() in the CSS) and sums their bytes as served on a first visit (the
app does not compress: a reverse proxy's gzip would cut these; the gzip column estimates it).

Budgets: question page <= 30 KB in total; no third-party request (a resource URL on another
origin: http(s)://... or //...; outbound <a href> links are fine); no remote font. Every GET
route of the app must be covered by a page below (a new route without a page is reported).
"""

from __future__ import annotations

import contextlib
import gzip
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import prepare_cookies  # noqa: E402
from werkzeug.exceptions import NotFound  # noqa: E402

from orient.web import create_app  # noqa: E402

SECRET = "bench-pages"
BUDGET_QUESTION_BYTES = 30 * 1024
ORIGIN = "http://localhost"  # the test client's origin

# (label, url, cookie): cookie None, "question" (age answered) or "result" (finished journey)
PAGES = [
    ("home", "/", None),
    ("home, filtered", "/?filtre=peau", None),
    ("key intro", "/cle/raynaud", None),
    ("resume (redirect)", "/cle/raynaud/suite", None),
    ("question: age", "/cle/raynaud/q/age_group", None),
    ("question: yes/no", "/cle/raynaud/q/necrose", "question"),
    ("question: multiple", "/cle/raynaud/q/signes-associes", "result"),
    ("question: département", "/cle/raynaud/departement", "result"),
    ("check page", "/cle/raynaud/verifier", "result"),
    ("result page", "/cle/raynaud/orientation", "result"),
    ("print view", "/cle/raynaud/imprimer", "result"),
    ("no key fits", "/aucune-cle", None),
    ("accessibility", "/accessibilite", None),
    ("about", "/a-propos", None),
    ("health (JSON)", "/sante", None),
    ("directory", "/annuaire/", None),
    ("directory, filtered", "/annuaire/?filiere=fai2r&departement=13", None),
    ("directory: filière", "/annuaire/filiere/fai2r", None),
    ("directory: site", "/annuaire/site/fai2r-mais-idf-cochin", None),
    ("directory: platforms", "/annuaire/plateformes", None),
    ("directory: map (SVG)", "/annuaire/carte.svg", None),
    ("training library", "/formation/", None),
    ("training case", "/formation/cas/raynaud-ulcere-pulpaire", None),
    ("training replay", "/formation/parcours/raynaud", None),
    ("training key map", "/formation/cle/raynaud/carte", None),
    ("training key map (SVG)", "/formation/cle/raynaud/carte.svg", None),
    ("diseases search", "/maladies?q=sclerodermie", None),
    ("diseases suggestions", "/maladies/suggestions?q=sclero", None),
    ("disease", "/maladies/sclerodermie-systemique", None),
    # Without a nomenclature (bench runs on the shipped rules only) an ORPHA page is a 404 that says so.
    ("disease by ORPHA code, no nomenclature (404)", "/maladies/orpha/558", None),
    ("orientation link (read-only)", "/o/raynaud?r=age_group:adulte;necrose:oui", None),
    ("not found (404)", "/nulle-part", None),
    ("API: OpenAPI document", "/api/v1/openapi.json", None),
    ("API: keys", "/api/v1/cles", None),
    ("API: one key", "/api/v1/cles/raynaud", None),
    ("API: key as FHIR", "/api/v1/cles/raynaud/fhir", None),
    ("API: directory (one filière)", "/api/v1/annuaire?filiere=fai2r", None),
    ("API: diseases", "/api/v1/maladies?q=sclero", None),
]
QUESTION_PAGE = "question: yes/no"

RESOURCE_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "prefetch", "modulepreload",
                 "preconnect", "dns-prefetch", "manifest", "mask-icon"}
FONT_HOSTS = ("fonts.googleapis.com", "fonts.gstatic.com", "use.typekit.net", "fonts.bunny.net")


class Resources(HTMLParser):
    """Collects the URLs a browser would request while loading the page (not <a href>)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (kind, url)
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href"):
            rels = set((a.get("rel") or "").lower().split())
            if rels & RESOURCE_RELS:
                kind = "css" if "stylesheet" in rels else ("font" if a.get("as") == "font" else "link")
                self.urls.append((kind, a["href"]))
        elif tag == "script" and a.get("src"):
            self.urls.append(("js", a["src"]))
        elif tag in ("img", "source", "video", "audio", "iframe", "embed", "track", "input") and a.get("src"):
            self.urls.append(("img" if tag in ("img", "source", "input") else tag, a["src"]))
        elif tag == "object" and a.get("data"):
            self.urls.append(("object", a["data"]))
        for attr in ("srcset", "imagesrcset"):
            for part in (a.get(attr) or "").split(","):
                if part.strip():
                    self.urls.append(("img", part.split()[0]))
        if a.get("style"):
            self.inline_css.append(a["style"])
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
FONT_FACE = re.compile(r"@font-face\s*{[^}]*}", re.S)


def is_third_party(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", ""):
        return url.startswith("//")
    return f"{parts.scheme}://{parts.netloc}" != ORIGIN


def main() -> int:
    app = create_app({"SECRET_KEY": SECRET, "TESTING": True})
    cookies = prepare_cookies(SECRET)
    client = app.test_client(use_cookies=False)
    asset_cache: dict[str, bytes] = {}
    third_party: list[str] = []
    remote_fonts: list[str] = []
    failures: list[str] = []
    rows = []

    def fetch_asset(url: str, page: str) -> bytes:
        if url not in asset_cache:
            response = client.get(urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else ""))
            if response.status_code != 200:
                failures.append(f"{page}: asset {url} -> {response.status_code}")
            asset_cache[url] = response.get_data()
        return asset_cache[url]

    def scan_css(css: str, base: str, page: str, seen: dict[str, tuple[str, int]]) -> None:
        for face in FONT_FACE.findall(css):
            for m in CSS_URL.finditer(face):
                url = m.group(1) or m.group(2)
                if is_third_party(urljoin(base, url)):
                    remote_fonts.append(f"{page}: @font-face {url}")
        for m in CSS_URL.finditer(css):
            url = urljoin(base, m.group(1) or m.group(2))
            if url.startswith("data:"):
                continue
            if is_third_party(url):
                third_party.append(f"{page}: CSS url({url})")
                if any(h in url for h in FONT_HOSTS):
                    remote_fonts.append(f"{page}: {url}")
                continue
            if url not in seen:
                body = fetch_asset(url, page)
                seen[url] = ("css-ref", len(body))
                if url.endswith(".css"):
                    scan_css(body.decode("utf-8", "replace"), url, page, seen)

    for label, path, cookie in PAGES:
        headers = {"Cookie": cookies[cookie]} if cookie else {}
        response = client.get(path, headers=headers)
        body = response.get_data()
        ctype = response.content_type.split(";")[0]
        expected = 404 if "404" in label else (303 if "redirect" in label else 200)
        if response.status_code != expected:
            failures.append(f"{label}: GET {path} -> {response.status_code} (expected {expected})")
        assets: dict[str, tuple[str, int]] = {}
        if ctype == "text/html":
            parser = Resources()
            parser.feed(body.decode("utf-8", "replace"))
            page_url = urljoin(ORIGIN, path)
            for kind, raw in parser.urls:
                url = urljoin(page_url, raw)
                if url.startswith("data:"):
                    continue
                if is_third_party(url):
                    third_party.append(f"{label}: <{kind}> {raw}")
                    if any(h in url for h in FONT_HOSTS) or kind == "font":
                        remote_fonts.append(f"{label}: {raw}")
                    continue
                if url not in assets:
                    data = fetch_asset(url, label)
                    assets[url] = (kind, len(data))
                    if kind == "css":
                        scan_css(data.decode("utf-8", "replace"), url, label, assets)
            for css in parser.inline_css:
                scan_css(css, page_url, label, assets)
        asset_bytes = sum(n for _, n in assets.values())
        zipped = len(gzip.compress(body, 6)) + sum(len(gzip.compress(asset_cache[u], 6)) for u in assets)
        rows.append((label, path, response.status_code, ctype.split("/")[-1], len(body), len(assets),
                     asset_bytes, len(body) + asset_bytes, zipped))

    adapter = app.url_map.bind("localhost")
    covered = set()
    for _, p, _ in PAGES:
        with contextlib.suppress(NotFound):  # a page that no route serves (the 404 page itself)
            covered.add(adapter.match(urlsplit(p).path, "GET")[0])
    covered.add("static")
    uncovered = sorted(r.rule for r in app.url_map.iter_rules()
                       if "GET" in r.methods and r.endpoint not in covered)

    print(f"{'page':24} {'url':44} {'st':>3} {'type':>5} {'HTML B':>8} {'assets':>6} {'assets B':>8} "
          f"{'total B':>8} {'total KB':>8} {'gzip KB':>7}")
    for label, path, status, ctype, html_b, n, asset_b, total, zipped in rows:
        print(f"{label:24} {path[:44]:44} {status:>3} {ctype[:5]:>5} {html_b:>8} {n:>6} {asset_b:>8} "
              f"{total:>8} {total / 1024:>8.1f} {zipped / 1024:>7.1f}")
    print("assets: " + ", ".join(f"{urlsplit(u).path} {len(b)} B" for u, b in sorted(asset_cache.items())))
    if failures:
        print("unexpected statuses:\n  " + "\n  ".join(failures))
    if uncovered:
        print("GET routes without a page in bench/pages.py: " + ", ".join(uncovered))

    question_total = next(r[7] for r in rows if r[0] == QUESTION_PAGE)
    results = [
        (f"question page total <= {BUDGET_QUESTION_BYTES // 1024} KB", f"{question_total / 1024:.1f} KB",
         question_total <= BUDGET_QUESTION_BYTES),
        ("no third-party request", f"{len(third_party)} found", not third_party),
        ("no remote font", f"{len(remote_fonts)} found", not remote_fonts),
        ("every page answers as expected", f"{len(failures)} unexpected", not failures),
        ("every GET route covered", f"{len(uncovered)} uncovered", not uncovered),
    ]
    for item in third_party + remote_fonts:
        print(f"  external: {item}")
    heaviest = max(rows, key=lambda r: r[7])
    print(f"heaviest page: {heaviest[0]} ({heaviest[7] / 1024:.1f} KB, gzip {heaviest[8] / 1024:.1f} KB)")
    for name, value, ok in results:
        print(f"budget {name}: {value}: {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for _, _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
