"""French typography, done once: non-breaking spaces where French requires them (pure, no Flask).

French puts a space before « : ; ? ! » and inside « », and that space must not break: otherwise
a colon or a closing guillemet wraps to the start of the next line. Authors type ordinary spaces
(in rules and templates); this module turns them into the right non-breaking ones:

- before ``:`` an ordinary non-breaking space (U+00A0, *espace insécable*);
- before ``; ? !`` and inside « », a narrow non-breaking space (U+202F, *espace fine insécable*).

The web layer applies it to template text when templates are compiled and to every value a
template prints (``orient/web/templating.py``); the decision map applies it to its labels.
"""

from __future__ import annotations

import re

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


__all__ = ["NBSP", "NNBSP", "french"]
