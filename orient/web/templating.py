"""What every template may use: Jinja settings, filters and globals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from flask import Flask
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from orient.core.model import POPULATION_LABELS, SITE_TYPE_LABELS
from orient.services.orientation import french_date
from orient.services.typography import french
from orient.web.forms import choice_pair


def init_app(app: Flask) -> None:
    app.jinja_env.autoescape = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # French typography once for every page (orient/services/typography.py): template text at
    # compile time, printed values as they are output.
    app.jinja_env.add_extension(TypographyExtension)
    app.jinja_env.finalize = finalize
    app.jinja_env.filters["date_fr"] = french_date
    app.jinja_env.filters["choice_pair"] = choice_pair
    app.jinja_env.globals.update(site_type_labels=SITE_TYPE_LABELS, population_labels=POPULATION_LABELS)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        # Read on every render: a reload swaps the rule set, and the date turns at midnight.
        ruleset = app.extensions["orient"]
        return {"rules_version": ruleset.version, "today": french_date(dt.date.today())}


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
