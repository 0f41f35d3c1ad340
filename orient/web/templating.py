"""What every template may use: Jinja settings, filters and globals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from ..model import POPULATION_LABELS, SITE_TYPE_LABELS
from ..orientation import french_date
from ..typography import TypographyExtension, finalize
from .forms import choice_pair


def init_app(app: Flask) -> None:
    app.jinja_env.autoescape = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # French typography once for every page: template text at compile time, printed values as
    # they are output (orient/typography.py).
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
