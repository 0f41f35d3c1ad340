"""The committed JSON Schemas are fresh, and every rule file points its editor at one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from orient.authoring.cli import main
from orient.exports.schema import generate, schema_dir

ROOT = Path(__file__).resolve().parent.parent

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+\.schema\.json)$")
RULE_FILES = sorted((ROOT / "rules").rglob("*.yaml"))
EXPECTED_SCHEMA = {"keys": "key", "scenarios": "scenarios", "centres": "centres"}


def test_committed_schemas_are_fresh():
    generated = generate()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in schema_dir().glob("*.schema.json")}
    assert set(generated) == set(on_disk)
    stale = [name for name, text in generated.items() if on_disk[name] != text]
    assert stale == [], "lancez « orient schema »"


def test_cli_schema_check():
    result = CliRunner().invoke(main, ["schema", "--check"])
    assert result.exit_code == 0, result.output


def test_cli_schema_check_detects_stale(tmp_path):
    result = CliRunner().invoke(main, ["schema", "-o", str(tmp_path)])
    assert result.exit_code == 0
    assert CliRunner().invoke(main, ["schema", "-o", str(tmp_path), "--check"]).exit_code == 0
    (tmp_path / "key.schema.json").write_text("{}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["schema", "-o", str(tmp_path), "--check"])
    assert result.exit_code == 1
    assert "key.schema.json" in result.output


def test_schemas_are_valid_json():
    for name, text in generate().items():
        data = json.loads(text)
        assert data["$schema"].startswith("https://json-schema.org/"), name
        assert data["type"] == "object"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(ROOT / "rules")))
def test_rule_file_has_schema_modeline(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = MODELINE.match(first)
    assert match, f"première ligne attendue : # yaml-language-server: $schema=…, trouvé {first!r}"
    target = (path.parent / match.group(1)).resolve()
    assert target.is_file(), f"{match.group(1)} ne mène à aucun fichier"
    assert target.parent == schema_dir().resolve()
    folder = path.parent.name
    expected = EXPECTED_SCHEMA.get(folder, path.stem)
    assert target.name == f"{expected}.schema.json"
