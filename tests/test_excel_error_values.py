"""Excel's newer error values (#SPILL!, #CALC!, …) in a button's live workbook (audit of 2026-12).

Excel hands a cell's value through COM as a VARIANT: a number as a double (VT_R8), an error as
VT_ERROR, which pywin32 gives Python as its integer code (0x800A0000 + the xlErr code of
XlCVError, signed: #SPILL! is -2146826243). xlwings (``_xlwindows.cell_errors``, 0.30–0.37)
names only the seven classic errors, with ``err_to_str=True`` too; every newer one reaches the
adapter as an ``int``. Before the fix the live adapter read that integer as an amount: a #SPILL!
in an amount cell was -2 146 826 243 kr, with no finding.

The reading here is xlwings' own Windows code (``tests/xlwings_windows.py``: the installed
xlwings imported as on Windows, pywin32 stubbed) over the workbook double
(``tests/xlwings_double.py``), whose ranges hand xlwings what COM hands it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

import tests.xlwings_double as xd
from addin.excel_adapter import ExcelTableSource, excel_value
from addin.excel_values import _XL_ERRORS, EXCEL_ERRORS, from_com
from tests.workbook_fixtures import with_error
from tests.xlwings_windows import ERRORS, XL_ERR_BASE, PyTime, XlwingsWindows
from workbook_templates.files.reader import CellError
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline.loader import read_namnd

NEWER = ["#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#UNKNOWN!", "#GETTING_DATA"]
SPILL = ERRORS["#SPILL!"]  # -2146826243


def _com(cell: object) -> object:
    """What Excel's ``Range.Value`` hands through COM for an openpyxl cell: an error as its
    integer, a number as a double, a date as pywintypes' time; text, booleans and blanks as
    they are."""
    if cell.data_type == "e":  # type: ignore[attr-defined]
        return ERRORS[cell.value]  # type: ignore[attr-defined]
    v = xd._xlwings_value(cell, True)
    if isinstance(v, dt.datetime):
        return PyTime(v.year, v.month, v.day, v.hour, v.minute, v.second, tzinfo=dt.UTC)
    return v


@pytest.fixture()
def through_com(xl: XlwingsWindows, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The double's ranges read by xlwings' real Windows code from what COM hands it."""

    def value(self: xd.Range) -> object:
        r1, c1, r2, c2 = self._bounds
        rows = [[_com(self._ws.cell(r, c)) for c in range(c1, c2 + 1)]
                for r in range(r1, r2 + 1)]
        return xl.read(rows, err_to_str=self._err_to_str, address=self.address)

    monkeypatch.setattr(xd.Range, "value", property(value, xd.Range.value.fset))
    yield


@pytest.fixture(scope="module")
def committee(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("errors")
    ex = exempelkommun()
    new_kommun(d / "kommun.xlsx", ex)
    return new_namnd(d / "social.xlsx", "Socialnämnden", ex)


def _with(src: Path, dst: Path, value: object, *, error: bool) -> Path:
    """The committee workbook with Driftsbudget!F5 (Äldreomsorg, löner, Budget 2026) set."""
    shutil.copy(src, dst)
    wb = load_workbook(dst)
    cell = wb["Driftsbudget"]["F5"]
    cell.value = value
    if error:
        cell.data_type = "e"
    wb.save(dst)
    return dst


def _aldreomsorg_lon_2026(n: object) -> object:
    u = next(u for u in n.uppgifter if u.namn == "Äldreomsorg")  # type: ignore[attr-defined]
    return u.belopp["RR.VU.PERS.LON"][2]


# --- the conversion --------------------------------------------------------------------------

def test_xlwings_hands_the_newer_errors_as_integers(xl: XlwingsWindows, through_com: None) -> None:
    """The premise, through xlwings' own code: err_to_str names only the classic errors."""
    got = xl.read([[ERRORS["#REF!"], SPILL, ERRORS["#CALC!"], -2146826243.0]])
    assert got == [["#REF!", SPILL, ERRORS["#CALC!"], -2146826243.0]]


@pytest.mark.parametrize("code", sorted(_XL_ERRORS))
def test_every_com_error_code_is_a_cell_error_as_in_the_udfs(code: int) -> None:
    raw = XL_ERR_BASE + code
    got = excel_value(raw)
    assert isinstance(got, CellError) and got.code == _XL_ERRORS[code] == from_com(raw)
    assert got.code in EXCEL_ERRORS  # the loader words every one of them


def test_an_error_code_without_a_name_is_still_an_error() -> None:
    got = excel_value(XL_ERR_BASE + 2222)  # a code no table here knows (a future error value)
    assert isinstance(got, CellError) and got.code == "#UNKNOWN!" == from_com(XL_ERR_BASE + 2222)


def test_a_genuine_amount_is_never_an_error(xl: XlwingsWindows) -> None:
    """Excel hands every number as a double, also one equal to an error's code: the type tells
    them apart (VT_R8 → float, VT_ERROR → int), never the value."""
    row = xl.read([[-2146826243.0, 1000.0, 0.0, -2146828288.0]])[0]
    assert [excel_value(v) for v in row] == [Decimal("-2146826243"), Decimal("1000"),
                                             Decimal("0"), Decimal("-2146828288")]
    assert excel_value(1000) == Decimal("1000")  # an int outside the error range stays a number


# --- through the loader ----------------------------------------------------------------------

@pytest.mark.parametrize("error", NEWER)
def test_a_newer_error_in_the_open_workbook_is_a_finding_at_the_cell(
        committee: Path, tmp_path: Path, through_com: None, error: str) -> None:
    path = _with(committee, tmp_path / "social.xlsx", error, error=True)
    n = read_namnd(ExcelTableSource(xd.Book(path)))
    assert _aldreomsorg_lon_2026(n) is None  # before: Decimal('-2146826243') for #SPILL!
    at_f5 = [f for f in n.findings if f.location and f.location.cell == "F5"]
    assert len(at_f5) == 1, n.findings
    f = at_f5[0]
    assert (f.rule, f.severity.value, f.location.sheet) == ("V10", "error", "Driftsbudget")
    assert f"felvärdet {error}" in f.message and "Rätta formeln" in f.message


def test_an_amount_equal_to_an_error_code_is_read_as_the_amount(
        committee: Path, tmp_path: Path, through_com: None) -> None:
    path = _with(committee, tmp_path / "social.xlsx", -2146826243, error=False)
    n = read_namnd(ExcelTableSource(xd.Book(path)))
    assert _aldreomsorg_lon_2026(n) == Decimal("-2146826243")
    assert not [f for f in n.findings if f.location and f.location.cell == "F5"]


@pytest.mark.parametrize("error", NEWER)
def test_live_and_file_read_a_newer_error_alike(committee: Path, tmp_path: Path,
                                                through_com: None, error: str) -> None:
    """The same workbook read live (COM's integer through xlwings) and from the file (calamine
    and the sheet XML): the same engine input, the same finding at the same cell."""
    path = tmp_path / "social.xlsx"
    shutil.copy(committee, path)
    with_error(path, "Driftsbudget", "F5", error)
    live = read_namnd(ExcelTableSource(xd.Book(path)))
    assert live == read_namnd(path)
    assert [f.location.cell for f in live.findings if error in f.message] == ["F5"]
