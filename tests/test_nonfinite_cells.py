"""A number cell holding ``inf``, ``-inf`` or ``nan`` (session 7 audit).

No spreadsheet writes these, but a tool that fills a workbook may (``<c r="B5"><v>inf</v></c>``),
and calamine reads them as the float infinity or NaN. A code cell holding ``inf`` crashed the
committee reader (``OverflowError: cannot convert Infinity to integer``): the whole refresh
stopped with an internal error. Every cell of the first row of every input table of both
workbooks is given such a value in turn (one table at a time); a check of the workbooks
(``validate``: read and compute, nothing written) never raises, and
each such row has a located finding (the settings table aside: a key or name read as the text
"Infinity" is only a name), or, where calamine itself panics (``-inf`` in a date-formatted cell),
the sheet is refused with a finding instead of the panic ending the run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from workbook_fixtures import with_raw_values

from workbook_templates.files.reader import cell_name, open_workbook, parse_range
from workbook_templates.pipeline.refresh import refresh


def _first_rows(path: Path) -> list[tuple[str, str, list[str]]]:
    """(table, sheet, the addresses of its first data row) of every table with data."""
    out = []
    with open_workbook(path) as wb:
        for t in wb.tables():
            r1, c1, r2, c2 = parse_range(t.ref)
            first = r1 + t.header_row_count
            if first <= r2 - t.totals_row_count:
                out.append((t.name, t.sheet, [cell_name(first, c) for c in range(c1, c2 + 1)]))
    return out


@pytest.mark.parametrize("text", ["inf", "-inf", "nan"])
@pytest.mark.parametrize("name", ["kommun.xlsx", "social.xlsx"])
def test_a_non_finite_number_in_any_input_cell_is_a_finding_not_a_crash(
    pristine: Path, tmp_path: Path, name: str, text: str
) -> None:
    tables = _first_rows(pristine / name)
    assert len(tables) >= 4, tables
    for table, sheet, cells in tables:
        folder = tmp_path / table
        shutil.copytree(pristine, folder)
        with_raw_values(folder / name, sheet, dict.fromkeys(cells, text))
        # before: OverflowError for a code cell, the whole run stopped
        report = refresh([folder], folder / "kommun.xlsx", write=False)
        if table == "tblInstallningar":  # a key or a name read as the text "Infinity" (no
            continue  # figure depends on it); Bokslutsår's inf is "orimligt stort" like any
        row = cells[0].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        located = [f for f in report.findings for loc in (f.location, *f.also)
                   if loc and loc.workbook == name and loc.sheet == sheet and loc.cell
                   and loc.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == row]
        # -inf in a date-formatted cell makes calamine panic over the whole sheet: the sheet is
        # then "kan inte läsas" (at the sheet, not the cell), which the run reports as an error
        unread = [f for f in report.findings if f.location and f.location.sheet == sheet
                  and "kan inte läsas (PanicException" in f.message]
        assert located or unread, (table, [f.message for f in report.findings][:5])
