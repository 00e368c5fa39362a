"""Issue 15, import-utfall: bounded fields and lines, impossible dates, all-or-none writes
(points 5 and 9)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from test_import_utfall import _mappning

from engine.findings import Severity
from workbook_templates.files.ledger_io import MAX_KEY_CHARS, MAX_LINE_BYTES, read_ledger
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline import import_utfall as iu
from workbook_templates.pipeline.import_utfall import import_utfall
from workbook_templates.pipeline.refresh import FileReport

SHORT = 400
HEADER = "Konto;Kostnadsställe;Period;Belopp"


@pytest.fixture()
def municipality(tmp_path: Path) -> Path:
    ex = exempelkommun()
    new_kommun(tmp_path / "kommun.xlsx", ex)
    new_namnd(tmp_path / "social.xlsx", "Socialnämnden", ex)
    new_namnd(tmp_path / "bildning.xlsx", "Bildningsnämnden", ex)
    return tmp_path


def _csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.xlsx")}


# ---------------------------------------------------------------------------------------------
# 9. Bad fields are quoted as short excerpts; lines and fields are bounded


def test_10_mb_amount_field_gives_a_short_message(tmp_path: Path) -> None:
    big = "9" * 900_000 + "x"  # under the line bound: reaches the amount parser
    read = read_ledger(_csv(tmp_path / "e.csv", "4000;3100;1;100,00", f"4000;3100;2;{big}"))
    bad = [f for f in read.findings if f.location and f.location.cell == "D3"]
    assert bad and bad[0].severity is Severity.ERROR
    assert all(len(f.message) < SHORT for f in read.findings)


@pytest.mark.parametrize("size", [10 << 20, MAX_LINE_BYTES + 1])
def test_overlong_line_refuses_the_export_with_a_located_short_finding(
    tmp_path: Path, size: int
) -> None:
    path = tmp_path / "e.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER + "\n4000;3100;1;100,00\n4000;3100;2;")
        f.write("7" * size)
        f.write("\n4000;3100;3;1,00\n")
    read = read_ledger(path)
    assert read.rows_read == 0 and len(read.frame) == 0
    errors = [f for f in read.findings if f.severity is Severity.ERROR]
    assert len(errors) == 1 and errors[0].location.cell == "A3"
    assert "rad 3" in errors[0].message.lower()
    assert all(len(f.message) < SHORT for f in read.findings)


@pytest.mark.parametrize("column", ["konto", "kst"])
def test_40000_character_key_is_a_located_finding_and_cut(tmp_path: Path, column: str) -> None:
    long = "3" * 40_000
    row = f"{long};3100;1;5,00" if column == "konto" else f"4000;{long};1;5,00"
    read = read_ledger(_csv(tmp_path / "e.csv", "4000;3100;1;100,00", row))
    cell = "A3" if column == "konto" else "B3"
    mine = [f for f in read.findings if f.location and f.location.cell == cell]
    assert mine and mine[0].severity is Severity.ERROR
    assert all(len(f.message) < SHORT for f in read.findings)
    col = "konto" if column == "konto" else "kostnadsstalle"
    assert max(len(str(v)) for v in read.frame[col]) <= MAX_KEY_CHARS + 20
    assert read.frame["belopp"].sum() == 10_500  # the row's amount still counts (as unmapped)


@pytest.mark.parametrize("date", ["2025-02-30", "30.2.2025", "2025-04-31", "2025-13-01"])
def test_impossible_date_is_a_located_finding(tmp_path: Path, date: str) -> None:
    read = read_ledger(_csv(tmp_path / "e.csv", "4000;3100;2025-03-31;100,00",
                            f"4000;3100;{date};5,00"))
    mine = [f for f in read.findings if f.location and f.location.cell == "C3"]
    assert mine and mine[0].severity is Severity.ERROR, [str(f) for f in read.findings]
    # the bad row is booked to no month (period 0: reported as unmapped, never silently in one)
    assert list(read.frame["period"]) == [3, 0]


def test_valid_dates_are_still_read(tmp_path: Path) -> None:
    read = read_ledger(_csv(tmp_path / "e.csv", "4000;3100;2024-02-29;1,00",
                            "4000;3100;31.12.2025;2,00", "4000;3100;2025-03;3,00"))
    assert not [f for f in read.findings if f.severity is Severity.ERROR]
    assert sorted(read.frame["period"]) == [2, 3, 12]


# ---------------------------------------------------------------------------------------------
# 5. A 40,000-character cost centre does not abort the import half-way; all or none


def test_import_with_a_40000_character_cost_centre_writes_every_workbook(
    municipality: Path,
) -> None:
    export = _csv(municipality / "export.csv", "4000;3100;1;1000,00", "4000;4100;2;10,00",
                  f"4000;{'9' * 40_000};3;5,00")
    # no cost-centre rules: the cost centre is the unit, so the long one would be written as one
    mapping = municipality / "mappning.csv"
    _mappning(mapping)
    mapping.write_text("\n".join(ln for ln in mapping.read_text(encoding="utf-8").splitlines()
                                 if not ln.startswith("kst;")) + "\n", encoding="utf-8")
    result = import_utfall(export, mapping, municipality / "kommun.xlsx")
    assert {f.path.name: f.status for f in result.files} == {
        "bildning.xlsx": "written", "social.xlsx": "written", "kommun.xlsx": "written"}
    assert all(len(f.message) < SHORT for f in result.findings)
    assert any(f.location and f.location.cell == "B4" for f in result.findings)


def test_import_writes_nothing_when_a_committee_workbook_cannot_be_read(
    municipality: Path,
) -> None:
    """A committee workbook that cannot be read: its tasks' outturn would silently land in the
    municipality workbook. Nothing is written, and the finding says why."""
    (municipality / "trasig.xlsx").write_bytes(b"inte en arbetsbok")
    before = _digests(municipality)
    export = _csv(municipality / "export.csv", "4000;3100;1;1000,00")
    result = import_utfall(export, _mappning(municipality / "mappning.csv"),
                           municipality / "kommun.xlsx")
    assert _digests(municipality) == before
    assert result.exit_code == 2
    assert any("trasig.xlsx" in f.message and "Inget" in f.message for f in result.findings)
    assert not [f for f in result.files if f.status == "written"]


def test_import_that_fails_half_way_says_exactly_which_were_written(
    municipality: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = iu.write_owned

    def write_owned(path, *args, **kwargs):
        if path.name == "social.xlsx":
            raise RuntimeError("simulated bug in the middle of the import")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(iu, "write_owned", write_owned)
    export = _csv(municipality / "export.csv", "4000;3100;1;1000,00")
    result = import_utfall(export, _mappning(municipality / "mappning.csv"),
                           municipality / "kommun.xlsx")
    status = {f.path.name: f.status for f in result.files}
    assert status == {"bildning.xlsx": "written", "social.xlsx": "error",
                      "kommun.xlsx": "written"}
    summary = [f for f in result.findings if "delvis" in f.message]
    assert len(summary) == 1
    assert "bildning.xlsx" in summary[0].message and "social.xlsx" in summary[0].message
    assert result.exit_code == 2
    assert isinstance(result.files[0], FileReport)


# ---------------------------------------------------------------------------------------------
# A spreadsheet export or mapping is read with the workbook reader's guards (audit, session 7)


def _sheet_file(path: Path, rows: list[list[object]], far: bool = False) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    for row in rows:
        ws.append(row)
    if far:  # a stray value far away (Ctrl+End's last cell), as users leave them
        ws["XFD1048576"] = "x"
    wb.save(path)
    return path


def _csv_rows(path: Path) -> list[list[object]]:
    return [line.split(";") for line in path.read_text(encoding="utf-8").splitlines()]


_FAR_RUN = """
import json, sys
from pathlib import Path
from workbook_templates.pipeline.import_utfall import import_utfall
r = import_utfall(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
print(json.dumps({"exit": r.exit_code, "written": [f.path.name for f in r.files
                                                   if f.status == "written"],
                  "cells": [f.location.cell for f in r.findings if f.location],
                  "messages": [f.message for f in r.findings]}))
"""


@pytest.mark.parametrize("which", ["export", "mappning"])
def test_a_stray_far_cell_in_a_spreadsheet_export_or_mapping_is_a_finding_not_an_abort(
    municipality: Path, which: str
) -> None:
    """Before: calamine loaded the sheet as one dense rectangle up to XFD1048576, tried to
    allocate 512 GB and aborted the whole process (exit 134, no finding, a nightly import
    gone). Run in a child process, so that such an abort fails this test, not the run."""
    import json
    import subprocess
    import sys

    export = _csv(municipality / "export.csv", "4000;3100;1;1000,00")
    mapping = _mappning(municipality / "mappning.csv")
    if which == "export":
        export = _sheet_file(municipality / "export.xlsx", _csv_rows(export), far=True)
    else:
        mapping = _sheet_file(municipality / "mappning.xlsx", _csv_rows(mapping), far=True)
    before = _digests(municipality)
    proc = subprocess.run([sys.executable, "-c", _FAR_RUN, str(export), str(mapping),
                           str(municipality / "kommun.xlsx")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["exit"] == 1 and not out["written"]  # input errors: nothing written
    assert "XFD1048576" in out["cells"]
    assert any("utspritt ända till XFD1048576" in m for m in out["messages"])
    assert _digests(municipality) == before


def test_the_same_export_as_a_spreadsheet_without_the_stray_cell_is_imported(
    municipality: Path,
) -> None:
    """(the test above refuses the stray cell, not every spreadsheet)"""
    export = _csv(municipality / "export.csv", "4000;3100;1;1000,00")
    xlsx = _sheet_file(municipality / "export.xlsx", _csv_rows(export))
    mapping = _mappning(municipality / "mappning.csv")
    mapping_xlsx = _sheet_file(municipality / "mappning.xlsx", _csv_rows(mapping))
    result = import_utfall(xlsx, mapping_xlsx, municipality / "kommun.xlsx")
    assert result.exit_code == 0, [f.message for f in result.findings]
    assert "social.xlsx" in [f.path.name for f in result.files if f.status == "written"]


@pytest.mark.parametrize("code", ["#N/A", "#DIV/0!", "#SPILL!", "#CALC!"])
def test_an_error_value_in_an_amount_cell_is_quoted_as_itself(tmp_path: Path, code: str) -> None:
    """calamine reads a classic error value as an empty cell (the finding quoted '') and refuses
    the whole sheet for a newer one (#SPILL!); now the error is named at its cell."""
    from workbook_fixtures import with_error

    path = _sheet_file(tmp_path / "export.xlsx", [["Konto", "Kostnadsställe", "Period", "Belopp"],
                                                  ["4000", "3100", "1", 1000.0],
                                                  ["4000", "3100", "2", 5.0]])
    with_error(path, "Export", "D3", code)
    read = read_ledger(path)
    assert read.rows_read == 2 and read.rows_rejected == 1
    bad = [f for f in read.findings if f.location and f.location.cell == "D3"]
    assert len(bad) == 1 and bad[0].severity is Severity.ERROR
    assert f"'{code}'" in bad[0].message


@pytest.mark.parametrize("suffix", [".xlsb", ".ods"])
def test_an_export_in_a_format_whose_sheets_cannot_be_measured_is_refused(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"export{suffix}"
    path.write_bytes(b"PK\x03\x04 not read")
    read = read_ledger(path)
    assert read.rows_read == 0
    assert [f.severity for f in read.findings] == [Severity.ERROR]
    assert suffix in read.findings[0].message and ".xlsx" in read.findings[0].message


@pytest.mark.parametrize("mapping_text", [
    "\ufffe garbage",  # not a mapping at all: "Mappningen har inga giltiga kontorader"
    "typ;fran;till;kod;tecken;benamning\nkonto;9000;9099;RR.VI.AVG;-;Another chart\n",
])
def test_an_import_whose_mapping_maps_no_row_writes_nothing(
    municipality: Path, mapping_text: str
) -> None:
    """Before: an unusable mapping (or another chart's) left every row unmapped, and the import
    wrote an empty outturn over every workbook's previous import (exit 1, files "written")."""
    export = _csv(municipality / "export.csv", "4000;3100;1;1000,00", "4000;4100;2;10,00")
    mapping = municipality / "mappning.csv"
    mapping.write_text(mapping_text, encoding="utf-8")
    before = _digests(municipality)
    result = import_utfall(export, mapping, municipality / "kommun.xlsx")
    assert _digests(municipality) == before
    assert result.exit_code == 1
    assert not [f for f in result.files if f.status == "written"]
    assert any("Ingen rad i exporten mappades" in f.message and "ingenting skrevs" in f.message
               for f in result.findings)
