"""Packaging (issue 18): the engine and the batch commands work without xlwings, pandas and
numpy (extras ``[excel]`` and ``[ledger]``); every package is listed; the user guide, the report
schema and the licence ship with the package."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BLOCKER = """
import importlib.abc, sys
BLOCKED = {"pandas", "numpy", "xlwings"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"blocked for the test: {name}", name=name)
        return None
sys.meta_path.insert(0, Block())
"""


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", BLOCKER + code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)


def test_engine_and_batch_commands_run_without_xlwings_pandas_numpy(tmp_path: Path) -> None:
    code = """
import importlib, pkgutil, engine
for m in pkgutil.iter_modules(engine.__path__):
    importlib.import_module("engine." + m.name)
from engine.ledger import ImportReport  # importable; pandas only when an import runs
from workbook_templates.cli.main import main
assert main(["--version"]) == 0
assert main(["demo", "--out", "demo", "--quiet"]) == 0
assert main(["validate", "demo"]) == 1
assert main(["import-utfall", "x.csv", "--mappning", "m.csv", "--kommun", "demo/kommun.xlsx"]) == 2
for name in ("pandas", "numpy", "xlwings"):
    assert name not in sys.modules, name
print("OK")
"""
    (tmp_path / "x.csv").write_text("Konto;Belopp\n", encoding="utf-8")
    (tmp_path / "m.csv").write_text("typ;x\n", encoding="utf-8")
    done = _run(code, tmp_path)
    assert done.returncode == 0 and done.stdout.strip().endswith("OK"), done.stderr[-3000:]
    assert "kommunbudget[ledger]" in done.stdout


def test_the_blocker_blocks(tmp_path: Path) -> None:
    """The test above proves nothing unless the blocker really stops pandas."""
    done = _run("import pandas", tmp_path)
    assert done.returncode != 0 and "blocked for the test" in done.stderr


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_is_listed() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {str(p.parent.relative_to(ROOT)).replace(os.sep, ".")
             for root in ("engine", "addin", "workbook_templates", "macros")
             for p in (ROOT / root).rglob("__init__.py")}
    assert found - listed == set()


def test_dependencies_have_ranges_and_extras() -> None:
    project = _pyproject()["project"]
    for req in project["dependencies"] + [r for k in ("excel", "ledger")
                                          for r in project["optional-dependencies"][k]]:
        assert ">=" in req and "<" in req, req
    names = " ".join(project["dependencies"])
    assert "pandas" not in names and "numpy" not in names and "xlwings" not in names
    assert "xlwings" in " ".join(project["optional-dependencies"]["excel"])
    assert "pandas" in " ".join(project["optional-dependencies"]["ledger"])
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT")


def test_lower_bounds_file_matches_pyproject() -> None:
    """.ci/min-requirements.txt pins exactly the lower ends that `make test-min` installs."""
    project = _pyproject()["project"]
    reqs = project["dependencies"] + [r for k in ("excel", "ledger")
                                      for r in project["optional-dependencies"][k]]
    lower = {r.split(">=")[0].strip().lower(): r.split(">=")[1].split(",")[0] for r in reqs}
    pins = dict(line.split("==") for line in
                (ROOT / ".ci" / "min-requirements.txt").read_text().split()
                if "==" in line)
    assert {k.lower(): v for k, v in pins.items()} == lower


def test_the_guide_ships_with_the_package(capsys) -> None:
    from kommunbudget_guide import user_guide

    from workbook_templates.cli.main import main

    assert main(["guide"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == user_guide() and path.read_text(encoding="utf-8").startswith("#")
    assert (path.parent / "img" / "kommun_kontroll.png").is_file()


def test_building_the_package_gives_no_warnings(tmp_path: Path) -> None:
    """The wheel builds without setuptools warnings (before: ~45 lines about data folders that
    were not packages) and holds the guide, the report schema and the engine's data."""
    import shutil
    import zipfile

    src = tmp_path / "src"  # a copy: setuptools builds in the source tree
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".venv*", ".git", "build", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache",
        ".ruff_cache", "out"))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
         "--no-index", "-v", "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    warnings = [ln for ln in (done.stdout + done.stderr).splitlines()
                if "warn" in ln.casefold() and "byte-compil" not in ln
                and "Location 'file" not in ln]
    assert warnings == []
    (wheel,) = tmp_path.glob("kommunbudget-*.whl")
    import workbook_templates

    # the version comes from workbook_templates.__version__ (pyproject's dynamic version)
    assert wheel.name.startswith(f"kommunbudget-{workbook_templates.__version__}-"), wheel.name
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("kommunbudget_guide/ANVANDARGUIDE.md", "kommunbudget_guide/img/kommun_kontroll.png",
                   "workbook_templates/cli/report.schema.json", "engine/data/lines.csv",
                   "macros/Knappar.bas"):
        assert needed in names, needed
    assert any(n.endswith("licenses/LICENSE") for n in names)
