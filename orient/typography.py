"""French typography, done once: non-breaking spaces where French requires them (pure, no Flask).

French puts a space before « : ; ? ! » and inside « », and that space must not break: otherwise
a colon or a closing guillemet wraps to the start of the next line. Authors type ordinary spaces
(in rules and templates); this module turns them into the right non-breaking ones:

- before ``:`` an ordinary non-breaking space (U+00A0, *espace insécable*);
- before ``; ? !`` and inside « », a narrow non-breaking space (U+202F, *espace fine insécable*).

It is applied to template text when templates are compiled (``TypographyExtension``: free at
request time) and to every value a template prints (``french`` as Jinja's ``finalize``): rule
texts, labels built in code, answers. Markup (HTML already built, e.g. an SVG) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

NBSP = "\u00a0"
NNBSP = "\u202f"

# A plain (or already non-breaking, normalised) space before the sign; a colon inside a URL or a
# time ("http://", "10:30") has no space before it and is never touched.
_BEFORE_COLON = re.compile(r"[ \u00a0\u202f]+:(?=\s|$|[^/\w])")
_BEFORE_OTHERS = re.compile(r"[ \u00a0\u202f]+([;?!»])")
_AFTER_OPENING = re.compile(r"«[ \u00a0\u202f]+")
_CHEAP_TEST = re.compile(r"[ \u00a0][:;?!»]|« ")


def french(text: str) -> str:
    """``text`` with French non-breaking spaces (idempotent)."""
    if not _CHEAP_TEST.search(text):
        return text
    text = _BEFORE_COLON.sub(NBSP + ":", text)
    text = _BEFORE_OTHERS.sub(NNBSP + r"\1", text)
    return _AFTER_OPENING.sub("«" + NNBSP, text)


def finalize(value: object) -> object:
    """Jinja ``finalize``: every printed plain string gets French spacing; Markup is HTML already
    built by code (its text was finalised when it was rendered, or it is not prose)."""
    if type(value) is str:
        return french(value)
    return value


class TypographyExtension(Extension):
    """Applies ``french`` to the literal text of templates as they are compiled. Template text
    carries markup too; the rules only touch a space followed by « : ; ? ! » or preceded by «,
    which markup, CSS in attributes and URLs do not contain."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type == "data":
                yield Token(token.lineno, "data", french(token.value))
            else:
                yield token

    # No tags of its own: the extension only rewrites template text.
    tags: set[str] = set()

    def parse(self, parser):  # pragma: no cover - no tags
        return nodes.Output([])


__all__ = ["NBSP", "NNBSP", "Markup", "TypographyExtension", "finalize", "french"]
