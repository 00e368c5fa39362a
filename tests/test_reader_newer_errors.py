"""Excel's newer error values in a workbook file (audit of 2026-12): read at their cell.

python-calamine (0.8 – 0.9) reads the seven classic error values and refuses a whole sheet for
any other ("Unsupported cell error value '#SPILL!'"). Before the fix one ``#SPILL!`` or
``#CALC!`` anywhere on an input sheet dropped the sheet, with the advice to save the workbook
again, which cannot help: every amount on it was missing. Now the cell is a :class:`CellError`
with its own code (the loader's located V10 finding), the rest of the sheet is read as usual,
such a cell outside the tables does not matter, and on an owned sheet it does not stop the write.

The files are real: a workbook made from the templates, one cell set by writing the sheet XML
(``<c r="F5" t="e"><v>#SPILL!</v></c>``, as Excel stores it), read by the real calamine.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
import python_calamine
from workbook_fixtures import with_error

from workbook_templates.files import reader as reader_module
from workbook_templates.files.reader import CellError, open_workbook, workbook_structure
from workbook_templates.pipeline.loader import read_kommun, read_namnd
from workbook_templates.pipeline.refresh import refresh

NEWER = ["#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#UNKNOWN!", "#BUSY!",
         "#GETTING_DATA", "#EXTERNAL!", "#PYTHON!", "#TIMEOUT!"]
CLASSIC = ["#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"]


@pytest.fixture()
def folder(pristine: Path, tmp_path: Path) -> Path:
    d = tmp_path / "wb"
    shutil.copytree(pristine, d)
    return d


def _belopp(n: object) -> dict[str, dict[str, list[object]]]:
    return {u.namn: {k: list(v) for k, v in u.belopp.items()}  # type: ignore[attr-defined]
            for u in n.uppgifter}  # type: ignore[attr-defined]


def _at(findings: object, sheet: str, cell: str) -> list[object]:
    return [f for f in findings  # type: ignore[attr-defined]
            if f.location and f.location.sheet == sheet and f.location.cell == cell]


@pytest.mark.parametrize("code", NEWER)
def test_a_newer_error_value_is_a_finding_at_its_cell_and_the_sheet_is_read(
        folder: Path, code: str) -> None:
    path = folder / "social.xlsx"
    before = read_namnd(path)
    with_error(path, "Driftsbudget", "F5", code)  # Äldreomsorg, löner, Budget 2026
    after = read_namnd(path)
    # before the fix: one finding "Bladet 'Driftsbudget' kan inte läsas (CalamineError:
    # Unsupported cell error value …)" and no amount of any task
    assert not [f for f in after.findings if "kan inte läsas" in f.message]
    at_f5 = _at(after.findings, "Driftsbudget", "F5")
    assert len(at_f5) == 1 and at_f5[0].rule == "V10" and at_f5[0].severity.value == "error"
    assert f"felvärdet {code}" in at_f5[0].message and "Rätta formeln" in at_f5[0].message
    assert at_f5[0].location.workbook == "social.xlsx"
    assert set(after.findings) - set(before.findings) == set(at_f5)
    # the rest of the sheet as before, the cell itself no amount
    want = _belopp(before)
    lon = list(want["Äldreomsorg"]["RR.VU.PERS.LON"])
    lon[2] = None
    want["Äldreomsorg"]["RR.VU.PERS.LON"] = lon
    assert _belopp(after) == want


def test_the_reader_gives_the_cell_its_own_error_and_every_other_cell_its_value(
        folder: Path) -> None:
    path = folder / "social.xlsx"
    with open_workbook(path) as r:
        plain = r.range("Driftsbudget", "A1:H21").values()
    with_error(path, "Driftsbudget", "F5", "#SPILL!")
    with_error(path, "Driftsbudget", "C9", "#CALC!")
    with_error(path, "Driftsbudget", "D6", "#REF!")  # a classic one beside them
    with open_workbook(path) as r:
        got = r.range("Driftsbudget", "A1:H21").values()
        assert [r.cell("Driftsbudget", 5, 6).value, r.cell("Driftsbudget", 9, 3).value] == \
            [CellError("#SPILL!"), CellError("#CALC!")]
    for (row, col), code in {(5, 6): "#SPILL!", (9, 3): "#CALC!", (6, 4): "#REF!"}.items():
        assert isinstance(got[row - 1][col - 1], CellError) and got[row - 1][col - 1] == code
        plain[row - 1][col - 1] = got[row - 1][col - 1]
    assert got == plain


def test_a_newer_error_outside_every_table_does_not_matter(folder: Path) -> None:
    path = folder / "social.xlsx"
    before = read_namnd(path)
    with_error(path, "Driftsbudget", "K1", "#SPILL!")  # beside the table, above it
    with_error(path, "Uppgifter", "Z40", "#CALC!")
    assert read_namnd(path) == before
    report = refresh([folder], folder / "kommun.xlsx")
    assert {f.path.name: f.status for f in report.files}["social.xlsx"] in ("written",
                                                                              "unchanged")
    assert not [f for f in report.findings
                if f.location and f.location.workbook == "social.xlsx"
                and ("kan inte läsas" in f.message or f.location.cell in ("K1", "Z40"))]


def test_a_newer_error_in_the_municipality_workbook_is_a_finding_at_its_cell(
        folder: Path) -> None:
    path = folder / "kommun.xlsx"
    before = read_kommun(path)
    with_error(path, "Centrala poster", "E5", "#CALC!")
    after = read_kommun(path)
    at = _at(after.findings, "Centrala poster", "E5")
    assert len(at) == 1 and "felvärdet #CALC!" in at[0].message
    assert set(after.findings) - set(before.findings) == set(at)
    assert not [f for f in after.findings if "kan inte läsas" in f.message]


def test_a_newer_error_on_an_owned_sheet_does_not_stop_the_write(folder: Path) -> None:
    """The writer reads its written sheet back through the reader: before the fix a #SPILL! on
    an owned sheet made that read fail and the workbook was not written."""
    path = folder / "social.xlsx"
    with_error(path, "Resultat", "J1", "#SPILL!")  # above the tool's rows: kept
    with_error(path, "Resultat", "B40", "#CALC!")  # among the tool's rows: cleared
    report = refresh([folder], folder / "kommun.xlsx")
    status = {f.path.name: f.status for f in report.files}
    assert status["social.xlsx"] == "written", [str(f) for f in report.findings]
    with open_workbook(path) as r:
        assert r.cell("Resultat", 1, 10).value == CellError("#SPILL!")
        assert r.cell("Resultat", 40, 2).value is None
        assert r.range("Resultat", "A3:C3").values()[0][0] is not None  # the rows written


def test_only_a_sheet_calamine_refuses_is_read_through_the_copy(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The normal path is unchanged (issue 17): a sheet is copied and rewritten only when
    calamine refused it."""
    made: list[bytes] = []
    real = reader_module._with_known_errors
    monkeypatch.setattr(reader_module, "_with_known_errors",
                        lambda data: made.append(data) or real(data))
    path = folder / "social.xlsx"
    read_namnd(path)
    assert made == []
    with_error(path, "Driftsbudget", "D6", "#REF!")  # calamine reads the classic ones itself
    read_namnd(path)
    assert made == []
    with_error(path, "Driftsbudget", "F5", "#SPILL!")
    n = read_namnd(path)
    assert len(made) == 1
    assert n.uppgifter and all(u.belopp for u in n.uppgifter)


def test_a_sheet_damaged_otherwise_keeps_its_own_finding(folder: Path) -> None:
    """A #SPILL! beside real damage calamine cannot read (a cell reference it cannot parse):
    the copy does not help, and the sheet's finding stands as before."""
    path = folder / "social.xlsx"
    with_error(path, "Driftsbudget", "F5", "#SPILL!")
    with zipfile.ZipFile(path) as z:
        part = workbook_structure(z).sheet("Driftsbudget").part
        entries = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            z.writestr(info, data.replace(b'<c r="D6"', b'<c r="D6X"')
                       if info.filename == part else data)
    n = read_namnd(path)
    msgs = [f.message for f in n.findings if f.location and f.location.sheet == "Driftsbudget"]
    assert any("kan inte läsas" in m for m in msgs), msgs


@pytest.mark.parametrize("code", [*CLASSIC, "#SPILL!", "#CALC!"])
def test_calamine_reads_the_classic_errors_and_refuses_the_others(
        folder: Path, code: str) -> None:
    """The premise, pinned to the installed calamine: the errors it knows are read (as an empty
    cell), so ``#N/A`` can stand in for the others; any other makes it refuse the sheet."""
    assert reader_module.CALAMINE_ERRORS == set(CLASSIC)
    path = folder / "social.xlsx"
    with_error(path, "Driftsbudget", "F5", code)
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        if code in CLASSIC:
            grid = wb.get_sheet_by_name("Driftsbudget").to_python(skip_empty_area=False)
            assert grid[4][5] == ""
        else:
            with pytest.raises(Exception, match="error value"):
                wb.get_sheet_by_name("Driftsbudget").to_python(skip_empty_area=False)
    finally:
        wb.close()
