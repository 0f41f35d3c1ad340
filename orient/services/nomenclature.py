"""The Orphanet nomenclature an operator points orient at: read, validated, kept frozen.

Pure (no Flask): :func:`load` reads a folder and returns a :class:`Nomenclature` or ``None``
with every problem as a :class:`~orient.core.diagnostics.Diagnostic` in French, positioned by file
and line (never a traceback). Two layouts are read:

* the official **Orphadata Nomenclature Pack** as distributed: ``ORPHAnomenclature_<lang>_<year>.xml``
  and ``Classifications/*.xml`` (the folder itself, or the one folder inside it that holds
  them, as the zip unpacks), plus, when present beside it, the linearisation (Orphadata
  product 7, ``*product7*.xml``, or a ``linearisation.csv``);
* the **CSV layout** (``nomenclature.csv``, ``synonyms.csv``, ``redirections.csv``,
  ``classifications.csv``, ``linearisation.csv``; see the README).

What is kept: the **active** entities (flags 1, 129, 513) that are groups, disorders or
subtypes; the "catégorie" headings (type 36561) are kept apart, as the names of
classification nodes, never as names to search; the redirections of obsolete or deprecated
codes (followed by :meth:`Nomenclature.resolve`); every specialty classification as a
child -> parents map under its head; the linearisation (each disorder's one preferential
head); the release date and language.

No cache: the French pack is read in about three seconds (XML) or half a second (CSV), once
per process start (gunicorn's master with ``preload_app``, then shared by its workers); a
cache file would have to be invalidated on every release for that saving.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from orient.core.diagnostics import Diagnostic, RuleSetError, sorted_diagnostics

ACTIVE_FLAGS = frozenset({1, 129, 513})
CATEGORY_TYPE = 36561
LEVELS = {36540: "groupe", 36547: "maladie", 36554: "sous-type"}
LEVEL_LABELS = {"groupe": "groupe de maladies", "maladie": "maladie", "sous-type": "sous-type d'une maladie"}
MAX_REDIRECTS = 10
ORPHANET_ATTRIBUTION = ("Orphanet : base de données sur les maladies rares et les médicaments orphelins, "
                        "© INSERM 1999. Disponible sur http://www.orpha.net. Données Orphadata, licence CC BY 4.0.")
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

_PACK_FILE = re.compile(r"^ORPHAnomenclature_([a-z]{2})_(\d{4})\.xml$", re.IGNORECASE)
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_CSV_FILES = ("nomenclature.csv", "synonyms.csv", "redirections.csv", "classifications.csv", "linearisation.csv")
_CSV_COLUMNS = {
    "nomenclature.csv": ("orpha_code", "label", "level", "status", "type"),
    "synonyms.csv": ("orpha_code", "synonyms"),
    "redirections.csv": ("from", "to"),
    "classifications.csv": ("classification", "parent_orpha_code", "child_orpha_code"),
    "linearisation.csv": ("orpha_code", "head_orpha_code"),
}
_REQUIRED_CSV = ("nomenclature.csv", "classifications.csv")


@dataclass(frozen=True)
class Entity:
    """An active group, disorder or subtype: what a GP may type and open."""

    code: int
    name: str                       # preferred name, in the nomenclature's language
    level: str                      # "groupe", "maladie", "sous-type"
    type_id: int
    synonyms: tuple[str, ...] = ()

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]


@dataclass(frozen=True)
class Tree:
    """One specialty classification: its head (a "catégorie") and child -> parents edges."""

    head: int
    title: str                      # file or classification name, as distributed
    parents: Mapping[int, tuple[int, ...]]


# eq=False: a Nomenclature is identified by identity (hashable, cheap to cache on).
@dataclass(frozen=True, eq=False)
class Nomenclature:
    folder: str
    layout: str                     # "pack" (official XML) or "csv"
    language: str
    release: dt.date | None
    entities: Mapping[int, Entity]
    categories: Mapping[int, str]   # active "catégorie" headings: code -> name
    retired: Mapping[int, str]      # inactive codes (obsolete, deprecated, not rare in Europe): code -> name
    redirects: Mapping[int, int]    # obsolete/deprecated code -> replacement code
    trees: Mapping[int, Tree]       # head code -> classification
    heads: Mapping[int, int]        # linearisation: disorder/subtype code -> its preferential head
    warnings: tuple[Diagnostic, ...] = field(default=())

    @property
    def release_label(self) -> str:
        """'22/06/2023', or a plain French statement that the date is unknown."""
        return self.release.strftime("%d/%m/%Y") if self.release else "date de version non indiquée"

    def resolve(self, code: int) -> tuple[Entity | None, int | None]:
        """The active entity for a code, following redirections: (entity, the obsolete code
        it replaces or None). (None, None) when the code is unknown or retired without a
        replacement."""
        seen = 0
        current = code
        while current not in self.entities and current in self.redirects and seen < MAX_REDIRECTS:
            current = self.redirects[current]
            seen += 1
        entity = self.entities.get(current)
        if entity is None:
            return None, None
        return entity, (code if current != code else None)

    def name_of(self, code: int) -> str | None:
        entity = self.entities.get(code)
        if entity is not None:
            return entity.name
        return self.categories.get(code) or self.retired.get(code)

    def is_known(self, code: int) -> bool:
        return code in self.entities or code in self.categories

    def trees_of(self, code: int) -> tuple[int, ...]:
        """The heads of the classifications in which a code appears (as a child or head)."""
        return tuple(head for head, tree in self.trees.items() if code in tree.parents or code == head)

    def ancestors(self, code: int, head: int | None = None) -> Iterator[tuple[int, tuple[int, ...]]]:
        """(distance, codes at that distance) going up, nearest first, in one classification
        (``head``) or in all of them; each code once, at its shortest distance."""
        trees = [self.trees[head]] if head is not None and head in self.trees else list(self.trees.values())
        seen = {code}
        frontier = [code]
        distance = 0
        while frontier:
            distance += 1
            nxt: dict[int, None] = {}
            for c in frontier:
                for tree in trees:
                    for p in tree.parents.get(c, ()):
                        if p not in seen:
                            seen.add(p)
                            nxt[p] = None
            frontier = list(nxt)
            if frontier:
                yield distance, tuple(frontier)

    @property
    def disorders(self) -> tuple[Entity, ...]:
        """Active disorders and subtypes (what coverage counts)."""
        return tuple(e for e in self.entities.values() if e.level != "groupe")


# --- loading --------------------------------------------------------------------------------


class _Problems:
    def __init__(self, display):
        self.diags: list[Diagnostic] = []
        self.display = display

    def error(self, path: Path | str, line: int, column: int, code: str, message: str) -> None:
        self.diags.append(Diagnostic(self.display(path), line, column, "erreur", code, message))

    def warn(self, path: Path | str, line: int, column: int, code: str, message: str) -> None:
        self.diags.append(Diagnostic(self.display(path), line, column, "avertissement", code, message))

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.diags)


def _display(path: Path | str) -> str:
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass
class _Raw:
    """What a reader collects before it is frozen."""

    language: str = "fr"
    release: dt.date | None = None
    entities: dict[int, Entity] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    retired: dict[int, str] = field(default_factory=dict)
    redirects: dict[int, int] = field(default_factory=dict)
    trees: dict[int, Tree] = field(default_factory=dict)
    heads: dict[int, int] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)

    def add(self, code: int, name: str, level: int | None, flag: int, type_id: int,
            synonyms: tuple[str, ...]) -> None:
        self.seen.add(code)
        if flag not in ACTIVE_FLAGS:
            self.retired[code] = name
        elif type_id == CATEGORY_TYPE:
            self.categories[code] = name
        elif level in LEVELS:
            self.entities[code] = Entity(code, name, LEVELS[level], type_id, synonyms)


def find_layout(folder: Path) -> tuple[str, Path] | None:
    """("pack", the folder holding ORPHAnomenclature_*.xml) or ("csv", folder), or None."""
    if (folder / "nomenclature.csv").is_file():
        return "csv", folder
    for candidate in (folder, *sorted(p for p in folder.iterdir() if p.is_dir())):
        if any(_PACK_FILE.match(p.name) for p in candidate.iterdir() if p.is_file()):
            return "pack", candidate
    return None


def load(folder: Path | str, display=_display) -> tuple[Nomenclature | None, list[Diagnostic]]:
    """Read and validate a nomenclature folder. None (with every error) when it cannot be served."""
    folder = Path(folder)
    problems = _Problems(display)
    if not folder.is_dir():
        problems.error(folder, 1, 1, "ORPHANET_DOSSIER_INTROUVABLE",
                       "dossier de la nomenclature Orphanet introuvable")
        return None, problems.diags
    layout = find_layout(folder)
    if layout is None:
        problems.error(folder, 1, 1, "ORPHANET_FORMAT_INCONNU",
                       "ni pack officiel (ORPHAnomenclature_<langue>_<année>.xml et Classifications/) ni "
                       "fichiers CSV (nomenclature.csv, classifications.csv…) dans ce dossier")
        return None, problems.diags
    kind, where = layout
    raw = _Raw()
    if kind == "pack":
        _read_pack(where, raw, problems)
    else:
        _read_csv(where, raw, problems)
    if not problems.failed and not raw.entities:
        problems.error(where, 1, 1, "ORPHANET_VIDE", "aucune entité active (groupe, maladie ou sous-type) lue")
    if not problems.failed and not raw.trees:
        problems.error(where, 1, 1, "ORPHANET_SANS_CLASSIFICATION", "aucune classification lue")
    if problems.failed:
        return None, sorted_diagnostics(problems.diags)
    for old, new in list(raw.redirects.items()):
        if new not in raw.seen:
            problems.warn(where, 1, 1, "ORPHANET_REDIRECTION_INCONNUE",
                          f"ORPHA:{old} est redirigé vers ORPHA:{new}, code absent de la nomenclature : ignoré")
            del raw.redirects[old]
    if raw.release is None:
        problems.warn(where, 1, 1, "ORPHANET_DATE_INCONNUE",
                      "date de version introuvable (attendue dans le nom du dossier, AAAA-MM-JJ, ou dans "
                      "release.txt) : les pages diront « date de version non indiquée »")
    diags = sorted_diagnostics(problems.diags)
    nomenclature = Nomenclature(
        folder=display(where), layout=kind, language=raw.language, release=raw.release,
        entities=MappingProxyType(raw.entities), categories=MappingProxyType(raw.categories),
        retired=MappingProxyType(raw.retired), redirects=MappingProxyType(raw.redirects),
        trees=MappingProxyType(raw.trees), heads=MappingProxyType(raw.heads),
        warnings=tuple(diags))
    return nomenclature, diags


def load_or_raise(folder: Path | str | None) -> Nomenclature | None:
    """None when no folder is configured; the nomenclature, or RuleSetError with every problem."""
    if not folder:
        return None
    nomenclature, diags = load(folder)
    if nomenclature is None:
        raise NomenclatureError(diags)
    return nomenclature


class NomenclatureError(RuleSetError):
    """A configured nomenclature that cannot be read: every problem, in French."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__(diagnostics)
        self.args = (f"{sum(d.is_error for d in diagnostics)} erreur(s) dans la nomenclature Orphanet",)


# --- official XML pack ----------------------------------------------------------------------


def _int(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def _date(text: str | None) -> dt.date | None:
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", text or "")
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _locate(path: Path, tag: str, depth: int, number: int) -> tuple[int, int]:
    """Line and column of the ``number``-th ``tag`` element at ``depth`` (1-based), for an error
    message. Only called when something is wrong, so its second pass costs nothing otherwise."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    level = [0, 0]  # current depth, elements counted
    at = [(1, 1)]

    class Found(Exception):
        pass

    def start(name: str, _attrs: dict) -> None:
        level[0] += 1
        if name == tag and level[0] == depth:
            level[1] += 1
            if level[1] == number:
                at[0] = (parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
                raise Found

    def end(_name: str) -> None:
        level[0] -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with path.open("rb") as handle:
            parser.ParseFile(handle)
    except (Found, xml.parsers.expat.ExpatError):
        pass
    return at[0]


def _parse_error(problems: _Problems, path: Path, exc: ET.ParseError) -> None:
    line, column = getattr(exc, "position", (1, 0))
    detail = re.sub(r":? line \d+, column \d+$", "", str(exc))
    problems.error(path, line, column + 1, "ORPHANET_XML_INVALIDE", f"XML mal formé (analyseur : {detail})")


def _read_pack(folder: Path, raw: _Raw, problems: _Problems) -> None:
    files = sorted(p for p in folder.iterdir() if p.is_file() and _PACK_FILE.match(p.name))
    french = [p for p in files if _PACK_FILE.match(p.name).group(1).lower() == "fr"]  # type: ignore[union-attr]
    main = (french or files)[0]
    if len(files) > 1:
        problems.warn(main, 1, 1, "ORPHANET_PLUSIEURS_PACKS",
                      f"{len(files)} fichiers ORPHAnomenclature_* : seul « {main.name} » est lu")
    raw.language = _PACK_FILE.match(main.name).group(1).lower()  # type: ignore[union-attr]
    _read_pack_nomenclature(main, raw, problems)
    classifications = folder / "Classifications"
    if not classifications.is_dir():
        problems.error(folder, 1, 1, "ORPHANET_FICHIER_MANQUANT", "dossier « Classifications » absent du pack")
    else:
        for path in sorted(classifications.glob("*.xml")):
            _read_pack_classification(path, raw, problems)
    for candidate in (folder, folder.parent):
        lin = sorted(p for p in candidate.iterdir() if p.is_file()
                     and re.search(r"product7|lineari[sz]ation", p.name, re.IGNORECASE))
        xml_lin = [p for p in lin if p.suffix.lower() == ".xml"]
        csv_lin = [p for p in lin if p.suffix.lower() == ".csv"]
        if xml_lin:
            _read_linearisation_xml(xml_lin[0], raw, problems)
            break
        if csv_lin:
            _read_csv_file(csv_lin[0], "linearisation.csv", problems, lambda row, n, path: _lin_row(raw, row, n, path,
                                                                                                  problems))
            break


def _read_pack_nomenclature(path: Path, raw: _Raw, problems: _Problems) -> None:
    depth = 0
    number = 0
    associations: list[tuple[int, int, int]] = []  # (disorder number, from, to)
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 1:
                    raw.release = _date(elem.get("ExtractionDate") or elem.get("date"))
                continue
            depth -= 1
            if depth != 2 or elem.tag != "Disorder":
                continue
            number += 1
            code = _int(elem.findtext("OrphaCode"))
            name = (elem.findtext("Name") or "").strip()
            flag = _int(elem.findtext("FlagValue"))
            dtype = elem.find("DisorderType")
            level = elem.find("ClassificationLevel")
            type_id = _int(dtype.get("id")) if dtype is not None else None
            level_id = _int(level.get("id")) if level is not None else None
            missing = [label for label, value in (("OrphaCode", code), ("Name", name or None), ("FlagValue", flag),
                                                  ("DisorderType", type_id)) if value is None]
            if missing or code is None or flag is None or type_id is None:
                line, column = _locate(path, "Disorder", 3, number)
                problems.error(path, line, column, "ORPHANET_ELEMENT_INVALIDE",
                               f"élément Disorder n° {number} : {', '.join(missing)} absent ou non numérique")
                elem.clear()
                continue
            if code in raw.seen:
                line, column = _locate(path, "Disorder", 3, number)
                problems.error(path, line, column, "ORPHANET_CODE_DOUBLE", f"ORPHA:{code} décrit deux fois")
            synonyms = tuple(s.text.strip() for s in elem.iterfind("SynonymList/Synonym") if s.text and s.text.strip())
            raw.add(code, name, level_id, flag, type_id, synonyms)
            if flag not in ACTIVE_FLAGS:
                for assoc in elem.iterfind("DisorderDisorderAssociationList/DisorderDisorderAssociation"):
                    root = assoc.find("RootDisorder")
                    target = _int(assoc.findtext("TargetDisorder/OrphaCode"))
                    # The association as seen from the obsolete entity: it is the root (cycle="true").
                    if root is not None and root.get("cycle") == "true" and target is not None:
                        associations.append((number, code, target))
                        break
            elem.clear()
    except ET.ParseError as exc:
        _parse_error(problems, path, exc)
        return
    for _, old, new in associations:
        raw.redirects.setdefault(old, new)


def _read_pack_classification(path: Path, raw: _Raw, problems: _Problems) -> None:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        _parse_error(problems, path, exc)
        return
    nodes = root.findall("ClassificationList/Classification/ClassificationNodeRootList/ClassificationNode")
    if not nodes:
        problems.error(path, 1, 1, "ORPHANET_ELEMENT_INVALIDE",
                       "aucun élément ClassificationList/Classification/ClassificationNodeRootList/ClassificationNode")
        return
    title = path.stem
    parents: dict[int, list[int]] = {}
    heads: list[int] = []
    bad = 0

    def walk(node: ET.Element, parent: int | None) -> None:
        nonlocal bad
        code = _int(node.findtext("Disorder/OrphaCode"))
        if code is None and parent is None and node.find("Disorder") is None:
            # A root without a disorder (the 2023 "without a determined diagnosis" file): its
            # children are the classification's heads.
            for child in node.iterfind("ClassificationNodeChildList/ClassificationNode"):
                walk(child, None)
            return
        if code is None:
            bad += 1
            return
        if parent is None:
            heads.append(code)
        else:
            found = parents.setdefault(code, [])
            if parent not in found:
                found.append(parent)
        for child in node.iterfind("ClassificationNodeChildList/ClassificationNode"):
            walk(child, code)

    for node in nodes:
        walk(node, None)
    if bad:
        problems.error(path, 1, 1, "ORPHANET_ELEMENT_INVALIDE",
                       f"{bad} nœud(s) ClassificationNode sans Disorder/OrphaCode numérique")
    if len(heads) != 1:
        problems.error(path, 1, 1, "ORPHANET_ELEMENT_INVALIDE",
                       f"une classification a une seule tête, {len(heads)} trouvées")
        return
    _add_tree(raw, heads[0], title, parents, problems, path)


def _add_tree(raw: _Raw, head: int, title: str, parents: dict[int, list[int]], problems: _Problems,
              path: Path) -> None:
    if head in raw.trees:
        problems.warn(path, 1, 1, "ORPHANET_CLASSIFICATION_DOUBLE",
                      f"deux classifications ont la tête ORPHA:{head} : leurs arêtes sont réunies")
        merged = {c: list(p) for c, p in raw.trees[head].parents.items()}
        for c, ps in parents.items():
            merged.setdefault(c, []).extend(p for p in ps if p not in merged.get(c, []))
        parents = merged
        title = raw.trees[head].title
    raw.trees[head] = Tree(head, title, MappingProxyType({c: tuple(p) for c, p in parents.items()}))


def _read_linearisation_xml(path: Path, raw: _Raw, problems: _Problems) -> None:
    depth = 0
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                depth += 1
                continue
            depth -= 1
            if depth != 2 or elem.tag != "Disorder":
                continue
            code = _int(elem.findtext("OrphaCode"))
            for assoc in elem.iterfind("DisorderDisorderAssociationList/DisorderDisorderAssociation"):
                head = _int(assoc.findtext("TargetDisorder/OrphaCode"))
                if code is not None and head is not None:
                    raw.heads[code] = head
                    break
            elem.clear()
    except ET.ParseError as exc:
        _parse_error(problems, path, exc)


# --- CSV layout -------------------------------------------------------------------------------


def _read_csv_file(path: Path, kind: str, problems: _Problems, on_row) -> None:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        problems.error(path, 1, 1, "ORPHANET_FICHIER_ILLISIBLE", f"fichier illisible : {exc.strerror}")
        return
    with handle:
        try:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in _CSV_COLUMNS[kind] if c not in columns]
            if missing:
                found = ", ".join(columns) or "rien"
                problems.error(path, 1, 1, "ORPHANET_CSV_COLONNES",
                               f"colonne(s) manquante(s) : {', '.join(missing)} (trouvé : {found})")
                return
            for row in reader:
                on_row(row, reader.line_num, path)
        except UnicodeDecodeError as exc:
            problems.error(path, 1, 1, "ORPHANET_ENCODAGE", f"fichier non UTF-8 (octet {exc.start})")
        except csv.Error as exc:
            problems.error(path, 1, 1, "ORPHANET_CSV_INVALIDE", f"CSV illisible : {exc}")


def _need_int(row: dict, column: str, line: int, path: Path, problems: _Problems, optional: bool = False) -> int | None:
    text = (row.get(column) or "").strip()
    if not text and optional:
        return None
    value = _int(text)
    if value is None:
        problems.error(path, line, 1, "ORPHANET_CSV_VALEUR",
                       f"colonne « {column} » : nombre attendu, trouvé « {text[:40]} »")
    return value


def _lin_row(raw: _Raw, row: dict, line: int, path: Path, problems: _Problems) -> None:
    code = _need_int(row, "orpha_code", line, path, problems)
    head = _need_int(row, "head_orpha_code", line, path, problems, optional=True)
    if code is not None and head is not None:
        raw.heads[code] = head


def _read_csv(folder: Path, raw: _Raw, problems: _Problems) -> None:
    for name in _REQUIRED_CSV:
        if not (folder / name).is_file():
            problems.error(folder / name, 1, 1, "ORPHANET_FICHIER_MANQUANT", f"fichier obligatoire « {name} » absent")
    if problems.failed:
        return
    release = folder / "release.txt"
    if release.is_file():
        raw.release = _date(release.read_text(encoding="utf-8", errors="replace"))
    if raw.release is None:
        match = _DATE_IN_NAME.search(folder.name)
        raw.release = _date(match.group(1)) if match else None
    language = re.match(r"^([a-z]{2})[-_]", folder.name)
    raw.language = language.group(1) if language else "fr"

    synonyms: dict[int, list[str]] = {}

    def synonym_row(row: dict, line: int, path: Path) -> None:
        code = _need_int(row, "orpha_code", line, path, problems)
        text = (row.get("synonyms") or "").strip()
        if code is not None and text:
            synonyms.setdefault(code, []).append(text)

    if (folder / "synonyms.csv").is_file():
        _read_csv_file(folder / "synonyms.csv", "synonyms.csv", problems, synonym_row)

    lines: dict[int, int] = {}

    def nomenclature_row(row: dict, line: int, path: Path) -> None:
        code = _need_int(row, "orpha_code", line, path, problems)
        level = _need_int(row, "level", line, path, problems, optional=True)
        flag = _need_int(row, "status", line, path, problems)
        type_id = _need_int(row, "type", line, path, problems)
        name = (row.get("label") or "").strip()
        if not name:
            problems.error(path, line, 1, "ORPHANET_CSV_VALEUR", "colonne « label » vide")
        if code is None or flag is None or type_id is None or not name:
            return
        if code in lines:
            problems.error(path, line, 1, "ORPHANET_CODE_DOUBLE",
                           f"ORPHA:{code} décrit deux fois (déjà ligne {lines[code]})")
            return
        lines[code] = line
        raw.add(code, name, level, flag, type_id, tuple(dict.fromkeys(synonyms.get(code, ()))))

    _read_csv_file(folder / "nomenclature.csv", "nomenclature.csv", problems, nomenclature_row)

    def redirection_row(row: dict, line: int, path: Path) -> None:
        old = _need_int(row, "from", line, path, problems)
        new = _need_int(row, "to", line, path, problems)
        if old is not None and new is not None and old != new:
            raw.redirects.setdefault(old, new)

    if (folder / "redirections.csv").is_file():
        _read_csv_file(folder / "redirections.csv", "redirections.csv", problems, redirection_row)

    edges: dict[str, dict[int, list[int]]] = {}

    def classification_row(row: dict, line: int, path: Path) -> None:
        parent = _need_int(row, "parent_orpha_code", line, path, problems)
        child = _need_int(row, "child_orpha_code", line, path, problems)
        title = (row.get("classification") or "").strip()
        if not title:
            problems.error(path, line, 1, "ORPHANET_CSV_VALEUR", "colonne « classification » vide")
        if parent is None or child is None or not title:
            return
        found = edges.setdefault(title, {}).setdefault(child, [])
        if parent not in found:
            found.append(parent)

    _read_csv_file(folder / "classifications.csv", "classifications.csv", problems, classification_row)
    for title, parents in edges.items():
        children = set(parents)
        tops = sorted({p for ps in parents.values() for p in ps} - children)
        if len(tops) != 1:
            problems.error(folder / "classifications.csv", 1, 1, "ORPHANET_ELEMENT_INVALIDE",
                           f"classification « {title} » : une seule tête attendue, {len(tops)} trouvées")
            continue
        _add_tree(raw, tops[0], title, parents, problems, folder / "classifications.csv")

    if (folder / "linearisation.csv").is_file():
        _read_csv_file(folder / "linearisation.csv", "linearisation.csv", problems,
                       lambda row, line, path: _lin_row(raw, row, line, path, problems))
