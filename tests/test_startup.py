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


def test_a_refresh_with_a_report_does_not_read_the_installed_metadata(pristine: Path,
                                                                      tmp_path: Path) -> None:
    """The report's tool_version is the package's constant: importlib.metadata (and email) are
    not imported for it (about 15 ms of every such refresh)."""
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(pristine, folder)
    report = tmp_path / "r.json"
    loaded = _modules_after(
        "import os\nos.environ['KOMMUNBUDGET_CACHE'] = " + repr(str(tmp_path / "cache")) + "\n"
        "from workbook_templates.cli.main import main\n"
        "try:\n"
        f"    main(['refresh', {str(folder)!r}, '--report', {str(report)!r}, '--quiet'])\n"
        "except SystemExit:\n"
        "    pass", tmp_path)
    import json

    import workbook_templates

    assert json.loads(report.read_text(encoding="utf-8"))["tool_version"] == \
        workbook_templates.__version__
    assert "importlib.metadata" not in loaded and "email" not in loaded


def test_the_installed_metadata_says_the_packages_version() -> None:
    """pyproject.toml takes the version from workbook_templates.__version__ (one place)."""
    from importlib import metadata

    import workbook_templates

    assert metadata.version("kommunbudget") == workbook_templates.__version__
