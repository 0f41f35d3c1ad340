"""orient as a package: the wheel ships what the app reads, and runs outside the checkout.

A wheel used to hold only the Python modules (38 files): no templates, static files, rules or
schemas, so ``pip install .`` gave an app that could not render a page. These tests build the
wheel the way a deployment does (``pip wheel``, build backend from the machine's index), check
its contents against the repository's top-level folders, then install it in a fresh venv
outside the checkout and serve the home page and a key from there.

The dependency test reads every ``import`` in ``orient/``: a third-party package used directly
must be declared (and pinned) in pyproject.toml, not only arrive through another one.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from servers import HOST, Process, free_port, request, wait_ready

from orient.resources import SHIPPED, resource_dir

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "orient"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> dict[str, str]:
    """Runtime dependencies in pyproject.toml: normalised name -> requirement."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_normalise(re.split(r"[=<>!~\[; ]", req, maxsplit=1)[0]): req for req in project["dependencies"]}


def _shipped_files() -> set[str]:
    """Paths the wheel must hold: the package's files and the top-level folders mapped into it
    (pyproject.toml, [tool.hatch.build.targets.wheel]), minus Python's caches."""
    expected = set()
    for base, prefix in [(PACKAGE, "orient"), *((ROOT / name, f"orient/{name}") for name in SHIPPED)]:
        for path in base.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                expected.add(f"{prefix}/{path.relative_to(base).as_posix()}")
    return expected


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[Path, set[str]]:
    """(the wheel built from the checkout, the files it had to hold when it was built)."""
    expected = _shipped_files()  # listed first: a file another process adds later is not a miss
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)],
                           capture_output=True, text=True, timeout=180)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = dist.glob("orient-*.whl")
    return path, expected


def test_resources_are_the_top_level_folders_in_a_checkout():
    # The tests run from the checkout (editable install): no copy inside the package.
    for name in SHIPPED:
        assert resource_dir(name) == ROOT / name
        assert not (PACKAGE / name).exists(), f"orient/{name} would shadow the top-level {name}/"
    with pytest.raises(ValueError):
        resource_dir("tests")


def test_every_imported_third_party_package_is_declared_and_pinned():
    stdlib = sys.stdlib_module_names
    imported: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in stdlib and top != "orient" and top != "__future__":
                    imported.setdefault(top, str(path.relative_to(ROOT)))
    assert {"flask", "click", "werkzeug"} <= imported.keys()  # the scan sees imports at all
    distributions = importlib.metadata.packages_distributions()
    declared = _declared()
    problems = []
    for module, where in sorted(imported.items()):
        names = distributions.get(module)
        if not names:
            problems.append(f"{module} ({where}): not installed")
        elif not any(_normalise(n) in declared for n in names):
            problems.append(f"{module} ({where}): {names[0]} not in [project] dependencies")
    assert not problems, "\n".join(problems)
    unpinned = [req for req in declared.values() if "==" not in req]
    assert not unpinned, unpinned


def test_wheel_holds_the_package_templates_static_files_schemas_and_rules(wheel):
    path, expected = wheel
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    missing = sorted(expected - names)
    assert not missing, f"{len(missing)} files missing from the wheel, e.g. {missing[:10]}"
    for name in ("templates/base.html", "static/orient.css", "schema/key.schema.json", "rules/meta.yaml"):
        assert f"orient/{name}" in names
    assert sum(n.startswith("orient/rules/keys/") for n in names) >= 1
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    # Nothing beside the package (a top-level templates/ would land in site-packages/templates).
    assert {n.split("/")[0] for n in names} == {"orient", path.name.split("-py3")[0] + ".dist-info"}
    assert "orient = orient.authoring.cli:main" in entry_points
    requires = {_normalise(re.split(r"[=<>!~\[; ]", line.split(":", 1)[1].strip(), maxsplit=1)[0])
                for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}
    assert requires == set(_declared())


@pytest.mark.servers
def test_installed_wheel_serves_the_home_page_and_a_key_outside_the_checkout(wheel, tmp_path, monkeypatch):
    path, _ = wheel
    assert ROOT not in tmp_path.parents
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    # The venv's interpreter, installed into by this pip: same index and constraints as any
    # install on this machine (pip's own configuration), dependencies from the wheel's metadata.
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(path)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # Nothing may lead back to the checkout: no ORIENT_RULES, no PYTHONPATH, a cwd elsewhere.
    for variable in ("ORIENT_RULES", "PYTHONPATH", "VIRTUAL_ENV", "ORIENT_SECRET_KEY"):
        monkeypatch.delenv(variable, raising=False)
    cwd = tmp_path / "ailleurs"
    cwd.mkdir()
    probe = subprocess.run(
        [str(python), "-c", "import pkgutil, importlib, orient, orient.resources as r\n"
         "for m in pkgutil.walk_packages(orient.__path__, 'orient.'): importlib.import_module(m.name)\n"
         "print(orient.__file__); print(*(r.resource_dir(n) for n in r.SHIPPED), sep='\\n')"],
        cwd=cwd, capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr  # every module imports with the declared dependencies only
    site_packages = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    for line in probe.stdout.split():
        assert Path(line).is_relative_to(site_packages / "orient"), line
    schema = subprocess.run([str(venv / "bin" / "orient"), "schema", "--check"], cwd=cwd,
                            capture_output=True, text=True, timeout=60)
    assert schema.returncode == 0, schema.stderr  # the shipped schemas match the installed model

    port = free_port()
    server = Process([str(venv / "bin" / "orient"), "serve", "--host", HOST, "--port", str(port)],
                     tmp_path / "serve.log", cwd=cwd)
    try:
        wait_ready(server, port, timeout=60)
        status, body, _ = request(port, path="/")
        assert status == 200, body[:500]
        keys = re.findall(r'href="/cle/([a-z0-9-]+)"', body.decode())
        assert keys, "no key linked from the home page"
        status, body, _ = request(port, path=f"/cle/{keys[0]}")
        assert status == 200, body[:500]
        status, _, _ = request(port, path="/static/orient.css")
        assert status == 200
    finally:
        server.stop()
    assert "Traceback" not in server.output(), server.output()[-3000:]
