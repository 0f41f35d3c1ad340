"""JSON Schema of every rule file, generated from the model (never written by hand).

Editors that understand the ``# yaml-language-server: $schema=...`` modeline then
complete field names and flag mistakes while the author types.
"""

from __future__ import annotations

import json
from pathlib import Path

from orient.core.model import FILE_MODELS
from orient.resources import resource_dir


def schema_dir() -> Path:
    """``schema/`` of a source checkout, or the copy inside an installed package (resources.py)."""
    return resource_dir("schema")


def generate() -> dict[str, str]:
    out: dict[str, str] = {}
    for kind, (model, filename) in FILE_MODELS.items():
        schema = model.model_json_schema(by_alias=True)
        schema = {**schema, "$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"https://orient.invalid/schema/{filename}", "title": f"orient — {kind}"}
        out[filename] = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return out
