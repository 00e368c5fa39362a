"""Workbooks a controller opened and saved in LibreOffice Calc (a real user habit, session 7).

LibreOffice writes its own xlsx: shared strings instead of inline texts, its own styles, table
parts and defined names, other XML shapes. The example workbooks are made from the templates,
saved by a real LibreOffice (``soffice --convert-to xlsx``), and then refreshed by the batch
command beside the originals: the same statuses, the same findings and, on every owned sheet,
the same values to the cent; and LibreOffice opens the refreshed re-saved workbooks again with
no error cell.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.libreoffice import (  # noqa: E402
    LIBREOFFICE_MARKS,
    error_cells,
    recalculate_many,
)
from workbook_templates.generate.example import exempelkommun  # noqa: E402
from workbook_templates.generate.templates import new_kommun, new_namnd  # noqa: E402
from workbook_templates.pipeline.refresh import refresh  # noqa: E402

pytestmark = LIBREOFFICE_MARKS


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    orig = tmp_path_factory.mktemp("orig")
    resaved = tmp_path_factory.mktemp("resaved")
    ex = exempelkommun()
    new_kommun(orig / "kommun.xlsx", ex)
    for i, name in enumerate(ex.namndlista):
        new_namnd(orig / f"n{i}.xlsx", name, ex)
    out = recalculate_many(sorted(orig.glob("*.xlsx")), resaved)
    assert sorted(p.name for p in out) == sorted(p.name for p in orig.glob("*.xlsx"))
    return orig, resaved


def _values(path: Path, sheets: set[str]) -> dict[str, list[list[object]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {s: wb.get_sheet_by_name(s).to_python() for s in sorted(sheets)}


def test_a_workbook_saved_in_libreoffice_refreshes_to_the_same_figures(
    folders: tuple[Path, Path],
) -> None:
    orig, resaved = folders
    first = refresh([orig], orig / "kommun.xlsx")
    again = refresh([resaved], resaved / "kommun.xlsx")
    assert [(f.path.name, f.status) for f in again.files] == \
        [(f.path.name, f.status) for f in first.files]
    assert {f.status for f in again.files} == {"written"}
    assert again.complete and again.exit_code == first.exit_code
    assert sorted(f.message for f in again.findings) == sorted(f.message for f in first.findings)
    for report in first.files:  # every sheet the refresh wrote
        owned = {c.sheet for c in report.changes}
        assert owned, report.path.name
        assert _values(resaved / report.path.name, owned) == _values(report.path, owned), \
            report.path.name
    # and LibreOffice opens what the refresh wrote into its own files, with no error cell
    reopened = recalculate_many(sorted(resaved.glob("*.xlsx")), resaved / "reopened")
    assert all(error_cells(p) == [] for p in reopened)
