"""Entry by a disease name: normalised, typo-tolerant lookup over the names the rules carry.

Pure (no Flask): ``index_for(ruleset)`` builds one :class:`DiseaseIndex` per RuleSet (cached
like :func:`orient.services.directory.directory_for`), ``search(index, query)`` ranks it.

Where the names come from, in order of authority:

1. **PNDS** (``rules/pnds.yaml``): each title and each synonym is a name of one entry per
   PNDS; a hit opens the disease page (PNDS, filière, centres). This is the main source.
2. **Names cited by the keys** (kind ``mention``): eponymous disease names (« maladie de
   Steinert », « syndrome d'Alagille »...) written in a key's summary, or in an outcome's
   title or rationale. They exist because some diseases a GP may type have no PNDS in the
   catalogue (Steinert, Alagille, Dravet...). Such a hit does not assert a filière for the
   disease: it points to the key whose questions orient the patient, and shows the filière
   of the outcome that cites the name. A cited name that a PNDS already carries is dropped.
3. **Key titles** (kind ``cle``): the entry signs themselves (« Phénomène de Raynaud »).
4. **The Orphanet nomenclature** (kind ``orpha``), when the operator configured one
   (:mod:`orient.services.nomenclature`): every active group, disorder and subtype, by its French name
   and synonyms (never a "catégorie" heading). An entity that a PNDS carries is not listed
   twice: its names become more names of the PNDS entry. An ORPHAcode (« ORPHA:558 »,
   « 558 ») finds its entity first, an obsolete code its replacement.

Outcome titles are sentences, not names: they are only read for the eponyms they cite.

Matching: both sides go through :func:`normalise_text` (accents, case, punctuation and
hyphens folded). The fuzzy pass compares *match keys*: the distinctive words (« maladie »,
« syndrome », « de »... dropped) in a rough French spelling fold (« marphan » -> « marfan »,
« mucovisidose » ~ « mucoviscidose »), with rapidfuzz's WRatio (which mixes plain, partial,
token-sort and token-set ratios, so typos and word order are tolerated). To stay fast on
large indexes, WRatio only scores a shortlist of names sharing enough letter trigrams with
the query. Exact names and prefixes (typing in progress) get a boost; acronyms of two or
three letters are matched exactly or by prefix only. Results are deduplicated per entry
(one line per PNDS); at equal score a PNDS comes before an Orphanet entity, a cited name, then a key.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

_NON_WORD = re.compile(r"[^a-z0-9]+")

MAX_QUERY_LENGTH = 100
MIN_QUERY_LENGTH = 2
# Shorter names (acronyms: « SLA », « HHT ») are found by exact name or prefix only: fuzzy
# matching a 3-letter string inside any query would return noise.
MIN_FUZZY_LENGTH = 4
MIN_SHARED_TRIGRAMS = 0.25   # share of the query's trigrams a name needs to be scored at all
MAX_SHORTLIST = 300
COMMON_TRIGRAM_SHARE = 0.04  # a trigram in more than 4 % of the names is not used to shortlist
COMMON_TRIGRAM_MIN = 40
SCORE_CUTOFF = 72.0
# Letters (any script's accented letters), digits, spaces and the punctuation found in
# disease names: « Rendu-Osler », « l'X fragile », « 7q11.23 », « (SHU) », « A/B », « CDG 1b ».
_ALLOWED = re.compile(r"^[\w\s\-'’.,()/+:;]*$")


def _latin_fold() -> dict[int, str]:
    """Accented Latin letters -> what the full decomposition below gives them (ASCII only)."""
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x250):
        lowered = chr(cp).lower()
        decomposed = unicodedata.normalize("NFKD", lowered.replace("œ", "oe").replace("æ", "ae"))
        base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        if len(lowered) == 1 and base.isascii():
            table[ord(lowered)] = base
    return table


_LATIN_FOLD = _latin_fold()


def normalise_text(text: str) -> str:
    """'Maladie de Rendu-Osler' -> 'maladie de rendu osler'."""
    if text.isascii():  # nothing to decompose (same result, faster)
        return _NON_WORD.sub(" ", text.lower()).strip()
    folded = text.lower().translate(_LATIN_FOLD)  # French accents: a table, same result, faster
    if folded.isascii():
        return _NON_WORD.sub(" ", folded).strip()
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped).strip()


_PHONETIC = (  # applied to one word at a time
    (re.compile(r"ph"), "f"),
    (re.compile(r"(?<=.)h"), ""),               # rh, th, ch -> r, t, c (« rhumatisme », « Behcet »)
    (re.compile(r"^h(?=.)"), ""),
    (re.compile(r"y"), "i"),
    (re.compile(r"qu|ck|k"), "c"),
    (re.compile(r"sc(?=[ei])"), "s"),           # « mucoviscidose » ~ « mucovisidose »
    (re.compile(r"c(?=[ei])"), "s"),
    (re.compile(r"([a-z])\1+"), r"\1"),         # doubled letters
    (re.compile(r"(?<=[a-z]{2})[sx]$"), ""),    # plurals
)


@lru_cache(maxsize=1 << 16)
def _phonetic_word(word: str) -> str:
    for pattern, replacement in _PHONETIC:
        word = pattern.sub(replacement, word)
    return word


@lru_cache(maxsize=1 << 16)
def _word_trigrams(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    return tuple(padded[i:i + 3] for i in range(len(padded) - 2))


# Words that every name shares: ignored when comparing, so « maladie de Steinert » matches
# « steinert » and « syndrome de Marfan » does not match « syndrome de Turner » on « syndrome de ».
_GENERIC = frozenset({"maladie", "maladies", "syndrome", "syndromes", "de", "du", "des", "d", "l", "la", "le",
                      "et", "ou", "a", "au", "aux", "en", "sa", "son", "ses"})


def core(normalised: str) -> str:
    """The distinctive words of a normalised name ('' when it has none, e.g. « LES »)."""
    return " ".join(w for w in normalised.split() if w not in _GENERIC)


def phonetic(normalised: str) -> str:
    """A rough French spelling fold for typo tolerance: 'marphan' and 'marfan' -> 'marfan'."""
    return " ".join(_phonetic_word(w) for w in normalised.split())


def trigrams(key: str) -> set[str]:
    """Letter trigrams of each word, padded: 'marfan' -> {' ma', 'mar', ..., 'an '}."""
    grams: set[str] = set()
    for word in key.split():
        grams.update(_word_trigrams(word))
    return grams


@lru_cache(maxsize=1 << 16)
def _key_word(word: str) -> str:
    return "" if word in _GENERIC else _phonetic_word(word)


def match_key(normalised: str) -> str:
    """What the fuzzy pass compares: the phonetic fold of the distinctive words (of every
    word when none is distinctive). Same as ``phonetic(core(n) or n)``, one pass."""
    return " ".join(k for k in map(_key_word, normalised.split()) if k) or phonetic(normalised)


# --- query validation ---------------------------------------------------------------------


@dataclass(frozen=True)
class QueryCheck:
    """What the web layer needs to know about a raw query."""

    text: str            # the query as typed, stripped (safe to echo, autoescaped)
    normalised: str      # what is searched; "" when empty or invalid
    error: str | None    # a French message, or None
    reason: str | None = None  # "trop-long", "caracteres", "trop-court"

    @property
    def empty(self) -> bool:
        return not self.text


def check_query(raw: str | None) -> QueryCheck:
    """Empty -> no error (an invitation); too long, odd characters, nothing to search -> a
    French message. Never raises."""
    text = (raw or "").strip()
    if not text:
        return QueryCheck("", "", None)
    if len(text) > MAX_QUERY_LENGTH:
        return QueryCheck(text[:MAX_QUERY_LENGTH], "",
                          f"La recherche est trop longue : {MAX_QUERY_LENGTH} caractères au plus. "
                          "Saisissez seulement le nom de la maladie, par exemple « Marfan ».", "trop-long")
    if not _ALLOWED.match(text) or any(unicodedata.category(ch)[0] == "C" for ch in text):
        return QueryCheck(text, "",
                          "La recherche contient des caractères non pris en charge. Utilisez des lettres, "
                          "des chiffres, des espaces, des tirets ou des apostrophes.", "caracteres")
    normalised = normalise_text(text)
    if len(normalised.replace(" ", "")) < MIN_QUERY_LENGTH:
        return QueryCheck(text, "", "Saisissez au moins deux lettres du nom de la maladie.",
                          "trop-court")
    return QueryCheck(text, normalised, None)


# --- the index ------------------------------------------------------------------------------

EntryKind = Literal["pnds", "orpha", "mention", "cle"]
KIND_RANK = {"pnds": 0, "orpha": 1, "mention": 2, "cle": 3}
# « ORPHA:558 », « orpha 558 », « ORPHAcode 558 », « 558 » once normalised.
_ORPHA_QUERY = re.compile(r"^(?:orpha(?:code)?\s*)?(\d{1,7})$")


@dataclass(frozen=True)
class Entry:
    """One line a search can return: a PNDS, an Orphanet entity, a disease name cited by a key, or a key."""

    id: str                      # the PNDS id, "orpha:<code>", or "cle:<key id>[:<name>]"
    kind: EntryKind
    name: str                    # display name (PNDS title, cited name, key title)
    filieres: tuple[str, ...]
    pnds: str | None = None
    orpha: tuple[int, ...] = ()
    key: str | None = None       # the key to follow (mention, cle)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    matched: str                 # the name (title or synonym) that matched, as written, or « ORPHA:<code> »
    score: float
    replaced: int | None = None  # the obsolete ORPHAcode typed, when the hit is its replacement

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def filieres(self) -> tuple[str, ...]:
        return self.entry.filieres

    @property
    def pnds(self) -> str | None:
        return self.entry.pnds

    @property
    def orpha(self) -> tuple[int, ...]:
        return self.entry.orpha

    @property
    def via_code(self) -> bool:
        return self.matched.startswith("ORPHA:")

    @property
    def via_synonym(self) -> bool:
        return not self.via_code and normalise_text(self.matched) != normalise_text(self.entry.name)


class DiseaseIndex:
    """Names -> entries. Build with :func:`build_index` or :func:`index_for`."""

    def __init__(self, names: list[tuple[str, Entry]], redirects: Mapping[int, int] | None = None):
        self.entries: list[Entry] = []
        self.names: list[str] = []          # as written
        self.normalised: list[str] = []
        self.keys: list[str] = []           # what the fuzzy pass compares: phonetic core
        self.fuzzy: list[int] = []          # names long enough for fuzzy matching
        self.entry_of: list[int] = []       # name index -> entry index
        self.exact: dict[str, list[int]] = {}
        seen_entries: dict[str, int] = {}
        seen_names: set[tuple[str, int]] = set()
        for name, entry in names:
            norm = normalise_text(name)
            if not norm:
                continue
            e = seen_entries.setdefault(entry.id, len(self.entries))
            if e == len(self.entries):
                self.entries.append(entry)
            if (norm, e) in seen_names:
                continue
            seen_names.add((norm, e))
            i = len(self.names)
            self.names.append(name)
            self.normalised.append(norm)
            self.keys.append(match_key(norm))
            if len(self.keys[-1].replace(" ", "")) >= MIN_FUZZY_LENGTH:
                self.fuzzy.append(i)
            self.entry_of.append(e)
            self.exact.setdefault(norm, []).append(i)
        # Trigram postings: the fuzzy pass scores only names sharing enough trigrams with the
        # query, so its cost follows the number of plausible names, not the index size.
        grams: defaultdict[str, list[int]] = defaultdict(list)
        keys = self.keys
        for i in self.fuzzy:
            for gram in trigrams(keys[i]):
                grams[gram].append(i)
        self._grams: dict[str, list[int]] = dict(grams)
        self._common = max(COMMON_TRIGRAM_MIN, int(len(self.fuzzy) * COMMON_TRIGRAM_SHARE))
        self._sorted = sorted((n, i) for i, n in enumerate(self.normalised))
        self._sorted_keys = [n for n, _ in self._sorted]
        self.by_id = {entry.id: entry for entry in self.entries}
        # ORPHAcode -> entry: an Orphanet entity's own code, and the codes a PNDS carries.
        self.by_orpha: dict[int, int] = {}
        for e, entry in enumerate(self.entries):
            for code in entry.orpha:
                if entry.kind in ("pnds", "orpha"):
                    self.by_orpha.setdefault(code, e)
        self.redirects: Mapping[int, int] = redirects or {}

    def code_entry(self, code: int) -> tuple[int, int | None] | None:
        """(entry index, the obsolete code it replaces or None) for an ORPHAcode, redirections followed."""
        current, hops = code, 0
        while current not in self.by_orpha and current in self.redirects and hops < 10:
            current, hops = self.redirects[current], hops + 1
        if current not in self.by_orpha:
            return None
        return self.by_orpha[current], (code if current != code else None)

    def __len__(self) -> int:
        return len(self.names)

    def fuzzy_candidates(self, key: str, limit: int) -> list[tuple[int, float]]:
        """(name index, WRatio) of the closest long-enough names to a match key.

        Shortlist first: names sharing enough of the query's trigrams, counted on the rarer
        trigrams (a trigram found in a large share of names, « ie », « ose », tells little
        and costs most), then WRatio on the shortlist only."""
        postings = sorted((p for p in (self._grams.get(g) for g in trigrams(key)) if p), key=len)
        if not postings:
            return []
        rare = [p for p in postings if len(p) <= self._common] or postings[:3]
        counts: Counter[int] = Counter()
        for p in rare:
            counts.update(p)
        need = max(1, math.ceil(len(rare) * MIN_SHARED_TRIGRAMS))
        shortlist = [i for i, n in counts.items() if n >= need]
        if len(shortlist) > MAX_SHORTLIST:
            shortlist = [i for i, _ in counts.most_common(MAX_SHORTLIST)]
        found = process.extract(key, {i: self.keys[i] for i in shortlist}, scorer=fuzz.WRatio, processor=None,
                                limit=limit, score_cutoff=SCORE_CUTOFF - 15)
        return [(i, score) for _, score, i in found]

    def prefixed(self, prefix: str, limit: int = 50) -> list[int]:
        """Name indices whose normalised form starts with ``prefix`` (sorted order)."""
        start = bisect_left(self._sorted_keys, prefix)
        out = []
        for n, i in self._sorted[start:start + limit]:
            if not n.startswith(prefix):
                break
            out.append(i)
        return out


# Eponyms cited in the keys' text: « maladie de Steinert », « syndrome d'Alagille »...
_HEADS = ("maladie", "syndrome", "dystrophie", "myopathie", "ataxie", "neuropathie", "amyotrophie",
          "chorée", "anémie", "dysplasie")
_CITED = re.compile(
    r"\b((?:" + "|".join(_HEADS) + r")s?(?: [a-zàâçéèêëîïôûù]+)? (?:de |d['’]|du )"
    r"[A-ZÀÂÉÈÊÎÔ][\w’'-]*(?:(?:-| et )[A-ZÀÂÉÈÊÎÔ][\w’'-]*)*)")
_PLURAL_HEAD = re.compile(r"^(" + "|".join(normalise_text(h) for h in _HEADS) + r")s\b")


def cited_names(text: str) -> list[str]:
    """Eponymous disease names in a piece of rule text, singular, first letter capitalised."""
    out = []
    for match in _CITED.finditer(text):
        name = re.sub(r"^(\w+?)s\b", r"\1", match.group(1)) if _PLURAL_HEAD.match(
            normalise_text(match.group(1))) else match.group(1)
        out.append(name[0].upper() + name[1:])
    return out


def _names_from_ruleset(ruleset) -> list[tuple[str, Entry]]:
    names: list[tuple[str, Entry]] = []
    pnds_names: set[str] = set()
    for p in ruleset.pnds.values():
        entry = Entry(id=p.id, kind="pnds", name=p.title, filieres=tuple(p.filieres), pnds=p.id,
                      orpha=tuple(p.orpha))
        for name in (p.title, *p.synonyms):
            names.append((name, entry))
            pnds_names.add(normalise_text(name))

    pnds_keys = {match_key(n) for n in pnds_names}

    def known(norm: str) -> bool:
        """A PNDS already carries this name (« syndrome de Noonan »), its plural, or a longer
        form of it (« maladie de Niemann-Pick » / « ... de type C »)."""
        key = match_key(norm)
        return key in pnds_keys or any(k.startswith(key + " ") for k in pnds_keys)

    # norm -> (name, filières, key). A name cited by several keys points to the first key
    # (keys are sorted by title); its filières are those of every citing outcome, whatever the
    # key (Alport: the deafness key cites it under SENSGENE, the kidney key under ORKiD).
    cited: dict[str, tuple[str, dict[str, None], str]] = {}
    for key in ruleset.keys.values():
        texts = [(key.summary, key.filieres)]
        texts += [(f"{o.title} {o.rationale}", (o.filiere,) if o.filiere else key.filieres) for o in key.outcomes]
        for text, filieres in texts:
            for name in cited_names(text):
                norm = normalise_text(name)
                if known(norm):
                    continue
                _, fils, _ = cited.setdefault(norm, (name, {}, key.id))
                fils.update(dict.fromkeys(filieres))
    for norm, (name, fils, key_id) in cited.items():
        entry = Entry(id=f"cle:{key_id}:{norm.replace(' ', '-')}", kind="mention", name=name,
                      filieres=tuple(fils), key=key_id)
        names.append((name, entry))
    for key in ruleset.keys.values():
        entry = Entry(id=f"cle:{key.id}", kind="cle", name=key.title, filieres=key.filieres, key=key.id)
        names.append((key.title, entry))
    return names


def _names_from_nomenclature(names: list[tuple[str, Entry]], ruleset, nomenclature) -> list[tuple[str, Entry]]:
    """The PNDS entries get the Orphanet names of the entities they carry; every other active
    entity is an entry of its own (names: preferred name, then synonyms)."""
    pnds_of: dict[int, Entry] = {}
    for _, entry in names:
        if entry.kind == "pnds":
            for code in entry.orpha:
                found, _ = nomenclature.resolve(code)
                pnds_of.setdefault(found.code if found is not None else code, entry)
    out = list(names)
    for entity in nomenclature.entities.values():
        entry = pnds_of.get(entity.code) or Entry(id=f"orpha:{entity.code}", kind="orpha", name=entity.name,
                                                  filieres=(), orpha=(entity.code,))
        out.append((entity.name, entry))
        out.extend((synonym, entry) for synonym in entity.synonyms)
    return out


def build_index(ruleset, nomenclature=None) -> DiseaseIndex:
    names = _names_from_ruleset(ruleset)
    if nomenclature is None:
        return DiseaseIndex(names)
    return DiseaseIndex(_names_from_nomenclature(names, ruleset, nomenclature), nomenclature.redirects)


@lru_cache(maxsize=8)
def index_for(ruleset, nomenclature=None) -> DiseaseIndex:
    """One index per RuleSet and nomenclature (both are hashed by identity)."""
    return build_index(ruleset, nomenclature)


# --- search ---------------------------------------------------------------------------------


def _score_name(query: str, query_words: list[str], norm: str, base: float) -> float:
    if norm == query:
        return base + 30
    score = base
    if norm.startswith(query):
        score += 12
    elif any(w.startswith(query) for w in norm.split()):
        score += 8
    elif query_words and all(any(w.startswith(q) for w in norm.split()) for q in query_words):
        score += 6  # every word typed begins a word of the name, in any order
    # A long name matched only partially (WRatio's partial ratio) is a weaker hit.
    if len(norm) > 3 * len(query) and score < base + 6:
        score -= 4
    return score


def search(index: DiseaseIndex, query: str, limit: int = 10) -> list[Hit]:
    """Ranked hits, best first, one per entry; [] for an empty or unusable query."""
    q = normalise_text((query or "")[: MAX_QUERY_LENGTH * 2])[:MAX_QUERY_LENGTH]
    code = _ORPHA_QUERY.match(q)
    if code and limit > 0:  # an ORPHAcode: its entity (or its replacement's), alone
        found = index.code_entry(int(code.group(1)))
        if found is None:
            return []
        e, replaced = found
        return [Hit(index.entries[e], f"ORPHA:{code.group(1)}", 200.0, replaced)]
    if len(q.replace(" ", "")) < MIN_QUERY_LENGTH or limit <= 0:
        return []
    words = q.split()
    pool = max(4 * limit, 40)
    key = match_key(q)
    # Two- or three-letter queries are acronyms or the start of a word: exact and prefix only.
    fuzzy = len(key.replace(" ", "")) >= MIN_FUZZY_LENGTH
    scores: dict[int, float] = dict(index.fuzzy_candidates(key, pool)) if fuzzy else {}
    for i in index.exact.get(q, ()):
        scores[i] = max(scores.get(i, 0), 100.0)
    for i in index.prefixed(q):
        scores.setdefault(i, float(fuzz.WRatio(q, index.normalised[i], processor=None)))
    best: dict[int, tuple[float, int]] = {}
    for i, base in scores.items():
        score = _score_name(q, words, index.normalised[i], base)
        if score < SCORE_CUTOFF:
            continue
        e = index.entry_of[i]
        if e not in best or score > best[e][0]:
            best[e] = (score, i)
    ranked = sorted(best.items(), key=lambda item: (
        -item[1][0], KIND_RANK[index.entries[item[0]].kind], len(index.entries[item[0]].name),
        index.entries[item[0]].name))
    return [Hit(index.entries[e], index.names[i], round(score, 1)) for e, (score, i) in ranked[:limit]]
