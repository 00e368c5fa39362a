"""What every ``kommunbudget`` run imports before it reads a file (issue 17): the command line
and the refresh path, nothing that only other commands, ``--version`` or a bad input need."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Imported only when needed: template generation (openpyxl, numpy), the ledger import (pandas),
#: Excel (xlwings), the installed version (importlib.metadata and through it email), a rule file
#: (tomllib), a suggestion for a wrong code (difflib), an atomic name swap (ctypes).
NOT_AT_START = ("openpyxl", "numpy", "pandas", "xlwings", "importlib.metadata", "email",
                "tomllib", "difflib", "ctypes")


def _modules_after(code: str, cwd: Path) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return set(done.stdout.split())


def test_the_command_line_imports_only_what_a_refresh_needs(tmp_path: Path) -> None:
    loaded = _modules_after("import workbook_templates.cli.main as m\nm.build_parser()", tmp_path)
    assert "workbook_templates.pipeline.refresh" in loaded  # the check sees real imports
    assert not [m for m in NOT_AT_START if m in loaded]


def test_validate_reads_and_checks_without_them(pristine: Path, tmp_path: Path) -> None:
    loaded = _modules_after("from workbook_templates.cli.main import main\n"
                            f"main(['validate', {str(pristine)!r}, '--quiet'])", tmp_path)
    assert "engine.resultatbalansering" in loaded
    assert not [m for m in NOT_AT_START if m in loaded]


def test_version_is_read_when_asked_for(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "workbook_templates.cli.main", "--version"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    import workbook_templates

    assert done.returncode == 0
    assert done.stdout.strip() == f"kommunbudget {workbook_templates.__version__}"
    assert workbook_templates.__version__ != "0+unknown"
