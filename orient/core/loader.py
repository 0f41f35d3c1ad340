"""YAML text -> model objects, keeping file:line:col for every value.

PyYAML's composer gives nodes with positions; we turn them into plain Python ourselves so
that we can (1) reject duplicate keys, which PyYAML silently overwrites, (2) flag YAML 1.1
booleans (``yes``/``no``/``on``/``off``) that authors meant as text, and (3) remember where
each value came from, so that pydantic's errors can be reported at the author's line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from orient.core.cache import NO_CACHE, Cache
from orient.core.diagnostics import Diagnostic, suggest
from orient.core.model import QUESTION_KINDS

try:  # the C composer is several times faster; fall back when libyaml is absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the wheel
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[Any, ...]
_TRUE_FALSE = {"true", "false"}
_constructor = yaml.constructor.SafeConstructor()


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of one document sits in its file."""

    file: str
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    # The cache address of the file's bytes: what is derived from this file alone (its
    # exploration, checks.py) can be cached under it.
    address: str = ""

    def at(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Position of a path, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if key and path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            if not path:
                return (1, 1)
            path = path[:-1]

    def diag(self, path: Path_, code: str, message: str, *, severity: str = "erreur",
             suggestion: str | None = None, key: bool = False) -> Diagnostic:
        line, col = self.at(path, key=key)
        return Diagnostic(self.file, line, col, severity, code, message, suggestion)  # type: ignore[arg-type]


@dataclass
class Document:
    """One parsed rule file: its data, its positions, and what went wrong reading it."""

    path: Path
    source_map: SourceMap
    data: Any
    diagnostics: list[Diagnostic]
    content: bytes = b""


def _mark(mark: yaml.Mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _codepoint(character: int | str) -> int:
    return character if isinstance(character, int) else ord(character)


def read_document(path: Path, display: str, cache: Cache = NO_CACHE) -> Document:
    """The file's data and positions, from the cache when these very bytes were read before."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        return Document(path, SourceMap(display), None, [_unreadable(display, exc)])
    address = cache.address("document", content)

    def rebuild(cached: Any) -> Document:
        data, values, keys, problems = cached
        smap = SourceMap(display, dict(values), dict(keys), address)
        return Document(path, smap, data, [Diagnostic(display, *problem) for problem in problems], content)

    cached = cache.get(address, rebuild)
    if cached is not None:
        return cached
    document = _parse(path, display, content)
    document.source_map.address = address
    smap = document.source_map
    cache.put(address, (document.data, smap.values, smap.keys,
                        [(d.line, d.column, d.severity, d.code, d.message, d.suggestion)
                         for d in document.diagnostics]))
    return document


def _unreadable(display: str, exc: Exception) -> Diagnostic:
    return Diagnostic(display, 1, 1, "erreur", "FICHIER_ILLISIBLE",
                      f"fichier illisible ({exc.__class__.__name__}) : enregistrez-le en UTF-8")


def _parse(path: Path, display: str, content: bytes) -> Document:
    smap = SourceMap(display)
    diags: list[Diagnostic] = []
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Document(path, smap, None, [_unreadable(display, exc)], content)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _mark(mark) if mark else (1, 1)
        problem = (exc.problem or "erreur de syntaxe").strip()
        # libyaml does not always name the tab ("found character that cannot start any
        # token"): look at the offending line itself.
        lines = text.splitlines()
        bad_line = lines[mark.line] if mark and 0 <= mark.line < len(lines) else ""
        tab = "\t" in problem or "tab" in problem or "\t" in bad_line[: mark.column + 1 if mark else 0]
        hint = " (tabulation interdite : indentez avec des espaces)" if tab else ""
        diags.append(Diagnostic(display, line, col, "erreur", "YAML_SYNTAXE",
                                f"YAML invalide : {_french_yaml_problem(problem)}{hint}"))
        return Document(path, smap, None, diags, content)
    except yaml.reader.ReaderError as exc:
        # A control character or invalid code point: point at it, in French, on one line.
        before = text[: exc.position]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        diags.append(Diagnostic(display, line, col, "erreur", "YAML_SYNTAXE",
                                f"caractère interdit (code U+{_codepoint(exc.character):04X}) : "
                                "retirez ce caractère de contrôle invisible"))
        return Document(path, smap, None, diags, content)
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        diags.append(Diagnostic(display, 1, 1, "erreur", "YAML_SYNTAXE", f"YAML invalide : {message}"))
        return Document(path, smap, None, diags, content)
    if node is None:
        diags.append(Diagnostic(display, 1, 1, "erreur", "FICHIER_VIDE", "fichier vide"))
        return Document(path, smap, None, diags, content)
    data = _to_python(node, (), smap, diags)
    return Document(path, smap, data, diags, content)


_YAML_PROBLEMS = {
    "found character '\\t' that cannot start any token": "caractère de tabulation",
    "found a tab character": "caractère de tabulation",
    "found character that cannot start any token": "caractère inattendu",
    "mapping values are not allowed here": "« : » inattendu (mettez le texte entre guillemets)",
    "mapping values are not allowed in this context": "« : » inattendu (mettez le texte entre guillemets)",
    "did not find expected ',' or ']'": "« , » ou « ] » attendu (crochet non fermé ?)",
    "did not find expected ',' or '}'": "« , » ou « } » attendu (accolade non fermée ?)",
    "could not find expected ':'": "« : » attendu",
    "did not find expected key": "clé attendue (indentation incohérente ?)",
    "found undefined alias": "alias inconnu",
    "did not find expected '-' indicator": "« - » attendu (indentation de liste incohérente ?)",
    "found unexpected end of stream": "fin de fichier inattendue (guillemet ou crochet non fermé ?)",
    "found unknown escape character": "séquence d'échappement inconnue dans une chaîne entre guillemets",
}


def _french_yaml_problem(problem: str) -> str:
    for english, french in _YAML_PROBLEMS.items():
        if problem.startswith(english):
            return french
    return problem


def _to_python(node: yaml.Node, path: Path_, smap: SourceMap, diags: list[Diagnostic]) -> Any:
    smap.values[path] = _mark(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, smap.file, diags) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or isinstance(key, (dict, list)):
                line, col = _mark(key_node.start_mark)
                diags.append(Diagnostic(smap.file, line, col, "erreur", "TYPE_INVALIDE",
                                        "une clé de dictionnaire doit être un texte simple"))
                continue
            key = str(key) if not isinstance(key, bool) else key_node.value
            if key in result:
                line, col = _mark(key_node.start_mark)
                first = smap.keys[path + (key,)][0]
                diags.append(Diagnostic(smap.file, line, col, "erreur", "CLE_DUPLIQUEE",
                                        f"clé « {key} » en double (déjà définie ligne {first})"))
                continue
            smap.keys[path + (key,)] = _mark(key_node.start_mark)
            result[key] = _to_python(value_node, path + (key,), smap, diags)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(child, path + (i,), smap, diags) for i, child in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)  # the three node kinds of a YAML document
    return _scalar(node, smap.file, diags)


def _scalar(node: yaml.ScalarNode, file: str, diags: list[Diagnostic]) -> Any:
    tag = node.tag
    if tag == "tag:yaml.org,2002:str":  # most scalars: skip the constructor machinery
        return node.value
    if tag == "tag:yaml.org,2002:bool" and node.value.lower() not in _TRUE_FALSE:
        line, col = _mark(node.start_mark)
        diags.append(Diagnostic(
            file, line, col, "erreur", "YAML_BOOLEEN",
            f"« {node.value} » non guillemeté est lu comme un booléen (YAML 1.1) : "
            f"écrivez \"{node.value}\" entre guillemets pour du texte, ou true/false"))
    try:
        constructor = _constructor.yaml_constructors.get(tag)
        if constructor is None:
            return node.value
        return constructor(_constructor, node)
    except (yaml.constructor.ConstructorError, ValueError):
        return node.value


# --- pydantic errors -> French diagnostics ---------------------------------------------------

_TYPE_NAMES = {
    str: "un texte", bool: "un booléen", int: "un entier", float: "un nombre",
    list: "une liste", dict: "un dictionnaire", type(None): "une valeur vide",
}
_EXPECTED = {
    "string_type": "un texte", "int_type": "un nombre entier", "int_parsing": "un nombre entier",
    "int_from_float": "un nombre entier", "float_type": "un nombre", "float_parsing": "un nombre",
    "bool_type": "un booléen (true ou false)", "bool_parsing": "un booléen (true ou false)",
    "list_type": "une liste", "tuple_type": "une liste", "dict_type": "un dictionnaire (clé: valeur)",
    "model_type": "un dictionnaire (clé: valeur)", "model_attributes_type": "un dictionnaire (clé: valeur)",
    "date_type": "une date AAAA-MM-JJ", "date_parsing": "une date AAAA-MM-JJ",
    "date_from_datetime_parsing": "une date AAAA-MM-JJ", "date_from_datetime_inexact": "une date AAAA-MM-JJ",
}


def _type_name(value: Any) -> str:
    for typ, name in _TYPE_NAMES.items():
        if type(value) is typ:
            return name
    return type(value).__name__


def _resolve(loc: tuple, data: Any) -> tuple[Path_, Any, bool]:
    """Map a pydantic error location to a path in the data (skipping union tags).

    Returns the path, the last location part not found in the data (a missing field),
    and whether the whole location was found.
    """
    path: list[Any] = []
    current = data
    missing = None
    for part in loc:
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            path.append(part)
            current = current[part]
        else:
            missing = part  # a union tag, or a field absent from the data
    return tuple(path), missing, missing is None


def validation_diagnostics(error: ValidationError, data: Any, smap: SourceMap,
                           known_fields: set[str]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    errors = error.errors(include_url=False)
    for err in errors:
        kind = err["type"]
        path, missing, _ = _resolve(tuple(err["loc"]), data)
        value = err.get("input")
        ctx = err.get("ctx") or {}
        own = _question_field_error(tuple(err["loc"]), kind)
        if own is not None and kind == "too_short" and _has_nested(tuple(err["loc"]), errors):
            continue  # pydantic counts only the valid items: the bad item has its own error
        if own is not None:
            code, message, own_field = own
            question_path = path[:path.index("questions") + 2] if "questions" in path else path
            diags.append(smap.diag(question_path + (own_field,), code, message))
        elif kind == "union_tag_invalid":  # a question's kind (the union of question classes)
            allowed = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
            tag = ctx.get("tag")
            diags.append(smap.diag(path + ("kind",), "VALEUR_INVALIDE",
                                   f"valeur « {tag} » non permise ; valeurs possibles : {', '.join(allowed)}",
                                   suggestion=suggest(str(tag), allowed)))
        elif kind == "union_tag_not_found":
            diags.append(smap.diag(path, "CHAMP_MANQUANT", "champ obligatoire « kind » manquant"))
        elif kind == "missing":
            field_name = err["loc"][-1]
            diags.append(smap.diag(path, "CHAMP_MANQUANT", f"champ obligatoire « {field_name} » manquant"))
        elif kind == "extra_forbidden":
            name = path[-1] if path else missing
            message = f"champ inconnu « {name} »"
            if value is None and " " in str(name).strip():
                # `{label: Oui, pas encore}`: the comma split the text into a second field.
                message += " — une virgule dans un texte entre accolades ? mettez ce texte entre guillemets"
            diags.append(smap.diag(path, "CHAMP_INCONNU", message,
                                   suggestion=suggest(str(name), known_fields), key=True))
        elif kind in _EXPECTED:
            message = f"{_EXPECTED[kind]} est attendu ici, pas {_type_name(value)}"
            if kind == "string_type" and isinstance(value, dict):
                # `- Urgence : appeler le 15` reads as a mapping: the colon split the text.
                message += " — un « : » dans le texte ? mettez ce texte entre guillemets"
            diags.append(smap.diag(path, "TYPE_INVALIDE", message))
        elif kind == "literal_error":
            allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
            diags.append(smap.diag(path, "VALEUR_INVALIDE",
                                   f"valeur « {value} » non permise ; valeurs possibles : {', '.join(allowed)}",
                                   suggestion=suggest(str(value), allowed)))
        elif kind == "string_pattern_mismatch":
            if "97" in str(ctx.get("pattern", "")):
                message = f"code de département « {value} » invalide (ex. \"01\", \"2A\", \"974\")"
                code = "TERRITOIRE_INCONNU"
            elif str(ctx.get("pattern", "")).startswith("^\\d{2}$"):
                message, code = f"code de région « {value} » invalide (deux chiffres)", "TERRITOIRE_INCONNU"
            else:
                message = (f"identifiant « {value} » invalide : minuscules sans accent, chiffres et "
                           "tirets seulement")
                code = "ID_INVALIDE"
            diags.append(smap.diag(path, code, message))
        elif kind == "string_too_short":
            diags.append(smap.diag(path, "TEXTE_VIDE", "texte vide"))
        elif kind == "string_too_long":
            diags.append(smap.diag(path, "VALEUR_INVALIDE", "texte trop long"))
        elif kind == "too_short":
            if _has_nested(tuple(err["loc"]), errors):
                continue  # pydantic counts only the valid items: the bad item has its own error
            diags.append(smap.diag(path, "LISTE_VIDE",
                                   f"liste trop courte : au moins {ctx.get('min_length', 1)} élément(s)"))
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            bound = ctx.get("ge", ctx.get("le", ctx.get("gt", ctx.get("lt"))))
            diags.append(smap.diag(path, "VALEUR_INVALIDE", f"valeur {value} hors bornes (limite {bound})"))
        elif kind == "url_invalide":
            diags.append(smap.diag(path, "URL_INVALIDE", f"URL mal formée : « {value} » (attendu https://…)"))
        elif kind in ("condition_inconnue", "operateur_condition"):
            diags.append(smap.diag(path, "CONDITION_INVALIDE", err["msg"]))
        else:
            diags.append(smap.diag(path, "VALEUR_INVALIDE", f"valeur invalide ({kind})"))
    return diags


def _has_nested(loc: tuple, errors: list) -> bool:
    """Whether another error lies inside ``loc`` (an item of the list it is about)."""
    return any(len(other["loc"]) > len(loc) and tuple(other["loc"][:len(loc)]) == loc for other in errors)


def _question_field_error(loc: tuple, error_type: str) -> tuple[str, str, str] | None:
    """(code, message, field) for an error on a question kind's own fields (``FIELD_ERRORS``):
    the location reads ``..., "questions", i, <kind>, <field>`` (or no field for the whole question)."""
    for i in range(1, len(loc)):
        kind = loc[i]
        if isinstance(loc[i - 1], int) and isinstance(kind, str) and kind in QUESTION_KINDS and loc[i - 2:i - 1] == (
                "questions",):
            field = loc[i + 1] if len(loc) > i + 1 else None
            found = QUESTION_KINDS[kind].FIELD_ERRORS.get((error_type, field))
            if found is not None:
                return found[0], found[1].format(kind=kind), found[2]
    return None


def model_fields(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    """Every field name (by alias) reachable from a model: the vocabulary for suggestions."""
    import typing

    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(info.alias or name)
        stack = [info.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                names |= model_fields(ann, seen)
            else:
                stack.extend(typing.get_args(ann))
    return names


def parse_model(document: Document, model: type[BaseModel]) -> tuple[Any, list[Diagnostic]]:
    """Validate a document against its model; diagnostics point at the author's lines."""
    if document.data is None:
        return None, []
    if not isinstance(document.data, dict):
        return None, [document.source_map.diag((), "TYPE_INVALIDE",
                                               "le fichier doit contenir un dictionnaire (clé: valeur)")]
    try:
        return model.model_validate(document.data), []
    except ValidationError as exc:
        diags = validation_diagnostics(exc, document.data, document.source_map, model_fields(model))
        # A YAML 1.1 boolean already explains any type error at the same place.
        trap_positions = {(d.line, d.column) for d in document.diagnostics if d.code == "YAML_BOOLEEN"}
        return None, [d for d in diags if (d.line, d.column) not in trap_positions]
