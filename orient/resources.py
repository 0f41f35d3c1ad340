"""Where the folders orient ships (templates, static, rules, schema) are, installed or not.

The repository keeps them at the top level, beside the package (``templates/``, ``static/``,
``rules/``, ``schema/``): authors and reviewers find them there. A wheel cannot hold files
outside its packages, so the build maps each one into the package (``orient/templates``...,
``[tool.hatch.build.targets.wheel]`` in pyproject.toml). The code therefore looks
in both places: inside the package first (an installed wheel or ``pip install .``), then beside
it (a source checkout or ``pip install -e .``, where the package folder has no copy).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

# The folders the build maps into the package; pyproject.toml lists the same four.
SHIPPED = ("templates", "static", "rules", "schema")


def resource_dir(name: str) -> Path:
    """The folder ``name`` (one of ``SHIPPED``): ``orient/<name>`` in an installed package, else
    the repository's top-level ``<name>``. When neither exists the top-level path is returned,
    so that an error names the folder a checkout is expected to have."""
    if name not in SHIPPED:
        raise ValueError(f"{name!r} n'est pas un dossier fourni avec orient ({', '.join(SHIPPED)})")
    inside = PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / name
