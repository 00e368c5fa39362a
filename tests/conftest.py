"""Shared pytest configuration.

Tests marked ``libreoffice`` need LibreOffice headless; they are skipped where it is absent,
except when ``KB_REQUIRE_LIBREOFFICE=1`` (CI), where a missing LibreOffice is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.xlwings_windows import XlwingsWindows


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("soffice") or shutil.which("libreoffice"):
        return
    if os.environ.get("KB_REQUIRE_LIBREOFFICE"):
        return  # let them fail loudly
    skip = pytest.mark.skip(reason="LibreOffice not installed")
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _own_run_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
                   ) -> None:
    """Every test's refreshes keep their reuse records (``kommunbudget refresh``'s cache) in a
    folder of their own, never in the user's cache folder."""
    monkeypatch.setenv("KOMMUNBUDGET_CACHE", str(tmp_path_factory.mktemp("run-cache")))


@pytest.fixture(scope="module")
def xl() -> Iterator[XlwingsWindows]:
    """xlwings' real Windows UDF machinery (``tests/xlwings_windows.py``), one per test module."""
    from tests.xlwings_windows import windows_xlwings

    with windows_xlwings() as harness:
        yield harness


class LiveExcel:
    """A workbook open in Excel, one of two ways (the ``excel`` fixture):

    * ``"double"``: ``tests/xlwings_double.py``, our stand-in of the xlwings calls the adapter
      makes (fast, and what the adapter's contract says it uses);
    * ``"xlwings"``: the installed xlwings' own Windows code (``xlwings.main`` over
      ``xlwings._xlwindows``, imported by ``tests/xlwings_windows.py`` with only pywin32
      stubbed) talking to Excel's COM objects faked over the file
      (``tests/xlwings_excel.py``); the book is what ``xw.Book.caller()`` returns in a button.

    ``Book(path)`` opens the file (the handle has ``wb``, ``cells(sheet)``, ``app.alerts``,
    ``app.status_history``); ``run(book, action)`` is :func:`addin.buttons.run` on it;
    ``source(book)`` the adapter's table source; ``press(handler, book)`` the handler itself,
    called as Excel calls it."""

    def __init__(self, name: str, book: Any, run: Any, source: Any, press: Any) -> None:
        self.name, self.Book, self.run, self.source, self.press = name, book, run, source, press

    def __repr__(self) -> str:
        return self.name


@pytest.fixture(scope="module", params=["double", "xlwings"])
def excel(request: pytest.FixtureRequest) -> Iterator[LiveExcel]:
    """The buttons' Excel: our double and the real xlwings over faked COM (see
    :class:`LiveExcel`); one per test module and kind."""
    if request.param == "double":
        from addin import buttons
        from addin.excel_adapter import ExcelTableSource
        from tests.xlwings_double import Book

        def press(handler: str, book: Any) -> None:
            mp = pytest.MonkeyPatch()
            mp.setattr(buttons.xw.Book, "caller", staticmethod(lambda: book), raising=False)
            try:
                getattr(buttons, handler)()
            finally:
                mp.undo()
        yield LiveExcel("double", Book, buttons.run, ExcelTableSource, press)
        return
    from tests.xlwings_excel import ExcelWorkbook
    from tests.xlwings_windows import windows_xlwings

    with windows_xlwings("addin.buttons") as xl:
        win = xl.module  # addin.buttons, imported under the Windows xlwings
        yield LiveExcel(
            "xlwings", ExcelWorkbook,
            lambda book, action, **kw: win.run(xl.caller(book), action, **kw),
            lambda book: win.ExcelTableSource(xl.caller(book)), xl.press)


# Hypothesis: in CI the examples are derived from the test itself (derandomized), so a run is
# repeatable and a pass is not luck; no per-example deadline on a shared 2-core machine.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small example set (municipality + two committees) made from the templates; tests copy
    it before changing anything."""
    from workbook_templates.generate.example import exempelkommun
    from workbook_templates.generate.templates import new_kommun, new_namnd

    folder = tmp_path_factory.mktemp("pristine")
    ex = exempelkommun()
    new_kommun(folder / "kommun.xlsx", ex)
    new_namnd(folder / "social.xlsx", "Socialnämnden", ex)
    new_namnd(folder / "bildning.xlsx", "Bildningsnämnden", ex)
    return folder


@pytest.fixture(scope="module")
def demo_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example set as ``kommunbudget demo`` writes and refreshes it (once per module)."""
    from workbook_templates.cli.main import main

    out = tmp_path_factory.mktemp("demo") / "ex"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture
def ex(demo_set: Path, tmp_path: Path) -> Path:
    """A copy of :func:`demo_set` of the test's own, to edit as a user would."""
    target = tmp_path / "ex"
    shutil.copytree(demo_set, target)
    return target
