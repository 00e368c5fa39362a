"""Issue 16: the import contracts in pyproject.toml hold, and the check really catches a circle."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")

pytestmark = pytest.mark.skipif(not Path(LINT).exists(), reason="import-linter not installed")


def _lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LINT, "--no-cache", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_project_contracts_are_kept() -> None:
    res = _lint(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 kept, 0 broken" in res.stdout


def test_a_new_circle_breaks_the_contract(tmp_path: Path) -> None:
    # Same contract type as the project's, on a package whose modules import each other.
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "loader.py").write_text("from pkg import refresh  # noqa\n")
    (pkg / "refresh.py").write_text("from pkg import loader  # noqa\n")
    (tmp_path / ".importlinter").write_text(textwrap.dedent("""\
        [importlinter]
        root_package = pkg

        [importlinter:contract:acyclic]
        name = No import circles
        type = acyclic_siblings
        ancestors = pkg
        """))
    res = _lint(tmp_path, str(tmp_path / ".importlinter"))
    assert res.returncode == 1
    assert "BROKEN" in res.stdout


def test_engine_imports_nothing_of_the_other_packages() -> None:
    import grimp

    graph = grimp.build_graph("engine", "addin", "workbook_templates", "macros")
    for module in graph.find_children("engine") | {"engine"}:
        for imported in graph.find_modules_directly_imported_by(module):
            assert imported.split(".")[0] == "engine", (module, imported)
