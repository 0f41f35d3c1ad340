"""The directory (/annuaire) for DAC coordinators: who to call, for what, where."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("directory", __name__)
