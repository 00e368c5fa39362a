"""Excel's COM object model, faked over an openpyxl workbook, for xlwings' real Windows code.

The buttons run in Excel as xlwings ``RunPython`` handlers: ``xw.Book.caller()`` finds Excel's
window from ``--hwnd=`` and the workbook from ``--wb=`` (``sys.argv``), and everything the
adapter then does (``book.sheets``, ``sheet.tables``, ``table.range``,
``range.options(ndim=2, err_to_str=True).value``, ``range.value = rows``, ``clear_contents()``,
``app.status_bar``, ``app.alert(...)``) goes through ``xlwings.main`` and its conversion
pipeline into ``xlwings._xlwindows``, which talks COM to Excel. Here that code is the installed
xlwings, imported as on Windows by :func:`tests.xlwings_windows.windows_xlwings` (only pywin32
stubbed); what answers it is this module: Excel's objects as COM hands them to pywin32, and
nothing more. Each member below is one that ``_xlwindows`` (0.30 to 0.37) or the adapter's
``sheet.api`` calls touch; any other member is an unknown name (``com_error``), as in Excel.

What COM hands (and what this fake hands):

* ``Range.Value``: a scalar for one cell, a tuple of row tuples for several; ``None`` for an
  empty cell; every number a ``float`` (VT_R8), but a cell formatted as currency a ``Decimal``
  rounded to four decimals (VT_CY); a date a :class:`~tests.xlwings_windows.PyTime` (aware,
  UTC); an error its VT_ERROR code (:data:`~tests.xlwings_windows.ERRORS`, the newer ones
  included); a formula cell its value (the value cached in the file: this fake does not
  calculate). ``Value2`` the same without Currency and dates (serial numbers).
* ``Range.NumberFormat``: the cells' format code (``"General"``, ``"0%"``), None when they
  differ. A number typed as "10 %" is stored 0.1 with the format ``0%``.
* ``Range.Value = x``: a scalar fills the range; a 2-D array must have the range's shape. A
  string is taken as if typed: ``"2026"``, ``"-12,5"``, ``"1 000"`` become numbers,
  ``"2026-05-31"`` a date, ``"TRUE"``/``"SANT"`` a boolean, ``"#REF!"`` an error value, ``"=…"`` a
  formula (xlwings issues #1269, #2247: Excel converts text that looks like a number); a
  leading apostrophe keeps the rest as text (and is not part of the value). An empty string and
  ``None`` leave the cell empty. A ``Decimal`` arrives as a COM Currency (four decimals).
* A protected sheet refuses every change (``com_error`` with Excel's 1004 scode);
  ``Protect()``'s omitted ``Allow…`` arguments are False (Excel's documented defaults), so
  protecting again without them loses what the sheet allowed.
* ``Application.StatusBar`` (every value set is recorded in ``status_history``) and the message
  boxes of ``App.alert`` (``win32api.MessageBox``, recorded by the stub): ``alerts``.

Test helpers (not Excel) are lowercase: ``ExcelWorkbook.wb`` (the openpyxl workbook behind it),
``cells(sheet)``, ``app`` (the Application, with ``alerts`` and ``status_history``).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet as OpenpyxlSheet

from tests.xlwings_double import trimmed
from tests.xlwings_windows import (
    DISP_E_BADINDEX,
    DISP_E_EXCEPTION,
    DISP_E_UNKNOWNNAME,
    ERRORS,
    MESSAGE_BOXES,
    RANGE_IID,
    CDispatch,
    PyTime,
    _ComError,
)

MAX_ROW, MAX_COL = 1_048_576, 16_384
XL_1004 = -2146827284  # the scode of Excel's run-time error 1004
_CODES = {code: name for name, code in ERRORS.items()}
_EPOCH = dt.datetime(1899, 12, 30)
_hwnds = itertools.count(0x10010)


def excel_error(text: str) -> _ComError:
    """What pywin32 raises when Excel refuses a call (run-time error 1004)."""
    return _ComError(DISP_E_EXCEPTION, "Exception occurred.",
                     (0, "Microsoft Excel", text, "xlmain11.chm", 0, XL_1004), None)


class _TypeAttr:
    def __init__(self, iid: str) -> None:
        self.iid = iid


class _OleObj:
    """``obj._oleobj_``: the IDispatch. xlwings asks its type (is it a Range?) and, after an
    AttributeError, whether the name exists at all (it does not: ``com_error``)."""

    def __init__(self, iid: str, obj: Any) -> None:
        self._iid = iid
        self._obj = obj  # what pywin32 passes on when the object is an argument of a call

    def GetTypeInfo(self) -> Any:  # noqa: N802 - COM name
        iid = self._iid
        return type("TypeInfo", (), {"GetTypeAttr": lambda self: _TypeAttr(iid)})()

    def GetIDsOfNames(self, _lcid: int, name: str) -> int:  # noqa: N802 - COM name
        raise _ComError(DISP_E_UNKNOWNNAME, "Unknown name.", None, None)


def _com_object(arg: Any) -> Any:
    """A COM object passed as an argument: pywin32 passes its ``_oleobj_`` (so xlwings'
    ``COMRetryObjectWrapper`` arrives as the object it wraps)."""
    ole = getattr(arg, "_oleobj_", None) if not isinstance(arg, str) else None
    return arg if ole is None else ole._obj


def _no_attribute_errors(fn: Any) -> Any:
    """xlwings retries a COM call that raised AttributeError forever (an Excel that is busy
    looks like that): a bug in this fake must fail, not hang."""
    @functools.wraps(fn)
    def call(*a: Any, **k: Any) -> Any:
        try:
            return fn(*a, **k)
        except AttributeError as err:
            raise AssertionError(f"fake Excel: {fn.__qualname__}: {err}") from err
    return call


class _ComType(type):
    def __call__(cls, *a: Any, **k: Any) -> Any:
        obj = super().__call__(*a, **k)
        object.__setattr__(obj, "_ready", True)  # from now on only Excel's settable members
        return obj


class _Com(CDispatch, metaclass=_ComType):
    """A COM object: public members are Excel's (capitalised); once made, setting a member
    Excel does not let you set fails (``com_error``), as it does through pywin32."""

    _IID = "{00020400-0000-0000-C000-000000000046}"  # IDispatch

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        for name, member in list(vars(cls).items()):
            if name[:1].isupper() and callable(member) and not isinstance(member, type):
                setattr(cls, name, _no_attribute_errors(member))

    @property
    def _oleobj_(self) -> _OleObj:
        return _OleObj(self._IID, self)

    def __setattr__(self, name: str, value: Any) -> None:
        attr = getattr(type(self), name, None)
        if not self.__dict__.get("_ready") or name.startswith("_") or name[:1].islower() or (
                isinstance(attr, property) and attr.fset is not None):
            object.__setattr__(self, name, value)
        else:
            raise _ComError(DISP_E_UNKNOWNNAME, "Unknown name.", None, None)


class _Collection(_Com):
    def _items(self) -> list[Any]:
        raise NotImplementedError

    def _name(self, item: Any) -> str:
        return item.Name

    @property
    def Count(self) -> int:  # noqa: N802 - COM name
        return len(self._items())

    def Item(self, key: int | str) -> Any:  # noqa: N802 - COM name
        items = self._items()
        if isinstance(key, int) and not isinstance(key, bool):
            if 1 <= key <= len(items):
                return items[key - 1]
        elif isinstance(key, str):
            for item in items:
                if self._name(item).casefold() == key.casefold():
                    return item
        raise _ComError(DISP_E_BADINDEX, "Invalid index.", None, None)

    def __call__(self, key: int | str) -> Any:  # the default member
        return self.Item(key)

    def __iter__(self) -> Iterator[Any]:  # _NewEnum
        return iter(self._items())

    def __len__(self) -> int:
        return self.Count


# --- Application, Workbooks, Workbook ---------------------------------------------------------

class Application(_Com):
    Name = "Microsoft Excel"
    Version = "16.0"
    Path = r"C:\Program Files\Microsoft Office\root\Office16"

    def __init__(self) -> None:
        self.Hwnd = next(_hwnds)
        self._workbooks: list[ExcelWorkbook] = []
        self._status: object = False
        self.status_history: list[object] = []
        self.DisplayAlerts = True
        self.ScreenUpdating = True

    @property
    def Application(self) -> Application:  # noqa: N802 - COM name
        return self

    @property
    def Workbooks(self) -> Workbooks:  # noqa: N802 - COM name
        return Workbooks(self)

    @property
    def StatusBar(self) -> object:  # noqa: N802 - COM name
        return self._status

    @StatusBar.setter
    def StatusBar(self, value: object) -> None:  # noqa: N802 - COM name
        self._status = value
        self.status_history.append(value)

    # test helper
    @property
    def alerts(self) -> list[dict[str, object]]:
        """The message boxes shown (``App.alert``): prompt, title, style."""
        return [{"prompt": p, "title": t, "style": s} for h, p, t, s in MESSAGE_BOXES
                if h == self.Hwnd]


class Window(_Com):
    """Excel's main window as ``AccessibleObjectFromWindow`` hands it: only ``Application``."""

    def __init__(self, app: Application) -> None:
        self.Application = app


class Workbooks(_Collection):
    def __init__(self, app: Application) -> None:
        self.Application = self.Parent = app

    def _items(self) -> list[Any]:
        return self.Application._workbooks


class ExcelWorkbook(_Com):
    """A workbook open in Excel (``Application.Workbooks(name)``), loaded from ``path``."""

    def __init__(self, path: str | Path, app: Application | None = None) -> None:
        path = Path(path).resolve()
        self.Application = self.Parent = app or Application()
        self.Name = path.name
        self.FullName = str(path)
        self.Path = str(path.parent)
        self.wb = load_workbook(path)
        self._path = path
        self._cached: Any = None
        self.Application._workbooks.append(self)

    @property
    def Worksheets(self) -> Worksheets:  # noqa: N802 - COM name
        return Worksheets(self)

    Sheets = Worksheets

    def _cached_value(self, sheet: str, coordinate: str) -> object:
        """A formula cell's value as last calculated (cached in the file): Excel's, not ours."""
        if self._cached is None:
            self._cached = load_workbook(self._path, data_only=True)
        return self._cached[sheet][coordinate].value

    # test helpers
    @property
    def app(self) -> Application:
        return self.Application

    def cells(self, sheet: str) -> list[list[object]]:
        """Values of ``sheet`` from A3 down, trailing blanks trimmed (for comparisons)."""
        return trimmed(self.wb[sheet].iter_rows(min_row=3, values_only=True))


class Worksheets(_Collection):
    def __init__(self, book: ExcelWorkbook) -> None:
        self.Parent = book
        self.Application = book.Application

    def _items(self) -> list[Any]:
        return [Worksheet(self.Parent, ws) for ws in self.Parent.wb.worksheets]


# --- Worksheet, protection, tables --------------------------------------------------------------

_ALLOW = {  # Protection.Allow… ↔ the OOXML flag (True there: the action is locked)
    "AllowFormattingCells": "formatCells", "AllowFormattingColumns": "formatColumns",
    "AllowFormattingRows": "formatRows", "AllowInsertingColumns": "insertColumns",
    "AllowInsertingRows": "insertRows", "AllowInsertingHyperlinks": "insertHyperlinks",
    "AllowDeletingColumns": "deleteColumns", "AllowDeletingRows": "deleteRows",
    "AllowSorting": "sort", "AllowFiltering": "autoFilter",
    "AllowUsingPivotTables": "pivotTables",
}


class Protection(_Com):
    """``Worksheet.Protection``: what a protected sheet still allows."""

    def __init__(self, ws: OpenpyxlSheet) -> None:
        self._ws = ws

    def __getattr__(self, name: str) -> bool:
        if name in _ALLOW:
            return not getattr(self._ws.protection, _ALLOW[name])
        raise AttributeError(name)


class Worksheet(_Com):
    def __init__(self, book: ExcelWorkbook, ws: OpenpyxlSheet) -> None:
        self.Parent = book
        self.Application = book.Application
        self._ws = ws

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Worksheet) and other._ws is self._ws

    def __hash__(self) -> int:
        return id(self._ws)

    @property
    def Name(self) -> str:  # noqa: N802 - COM name
        return self._ws.title

    @property
    def Index(self) -> int:  # noqa: N802 - COM name
        return self.Parent.wb.worksheets.index(self._ws) + 1

    def Range(self, cell1: str | ComRange, cell2: str | ComRange | None = None  # noqa: N802
              ) -> ComRange:
        a = self._area(cell1)
        b = self._area(cell2) if cell2 is not None else a
        return ComRange(self, min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]),
                        max(a[3], b[3]))

    def _area(self, ref: str | ComRange) -> tuple[int, int, int, int]:
        ref = _com_object(ref)
        if isinstance(ref, ComRange):
            return ref._r1, ref._c1, ref._r2, ref._c2
        text = ref.replace("$", "")
        try:
            c1, r1, c2, r2 = range_boundaries(text)
        except ValueError as err:
            raise excel_error(f"Method 'Range' of object '_Worksheet' failed ({ref!r})") from err
        return (r1 or 1, c1 or 1, r2 or MAX_ROW, c2 or MAX_COL)

    @property
    def Cells(self) -> ComRange:  # noqa: N802 - COM name
        return ComRange(self, 1, 1, MAX_ROW, MAX_COL)

    @property
    def UsedRange(self) -> ComRange:  # noqa: N802 - COM name
        ws = self._ws
        return ComRange(self, ws.min_row, ws.min_column, ws.max_row, ws.max_column)

    @property
    def ListObjects(self) -> ListObjects:  # noqa: N802 - COM name
        return ListObjects(self)

    @property
    def ProtectContents(self) -> bool:  # noqa: N802 - COM name
        return bool(self._ws.protection.sheet)

    @property
    def Protection(self) -> Protection:  # noqa: N802 - COM name
        return Protection(self._ws)

    @property
    def ProtectDrawingObjects(self) -> bool:  # noqa: N802 - COM name
        return bool(self._ws.protection.sheet and self._ws.protection.objects)

    @property
    def ProtectScenarios(self) -> bool:  # noqa: N802 - COM name
        return bool(self._ws.protection.sheet and self._ws.protection.scenarios)

    def Unprotect(self, Password: str | None = None) -> None:  # noqa: N802, N803
        p = self._ws.protection
        if p.sheet and p.password and not Password:
            raise excel_error("The password you supplied is not correct.")
        p.sheet = False

    def Protect(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802 - COM name
        protect(self._ws, *args, **kwargs)

    def _check_unprotected(self) -> None:
        if self._ws.protection.sheet:
            raise excel_error("The cell or chart you're trying to change is on a protected "
                              "sheet. To make a change, unprotect the sheet.")


def protect(ws: OpenpyxlSheet, Password: str | None = None,  # noqa: N803
            DrawingObjects: bool = True, Contents: bool = True,  # noqa: N803
            Scenarios: bool = True, UserInterfaceOnly: bool = False,  # noqa: N803
            **allow: bool) -> None:
    """``Worksheet.Protect``: an omitted ``Allow…`` argument is False (Excel's documented
    default), so the action is locked whatever the sheet allowed before."""
    unknown = set(allow) - set(_ALLOW)
    if unknown:
        raise _ComError(DISP_E_UNKNOWNNAME, f"Unknown name {sorted(unknown)}.", None, None)
    p = ws.protection
    for name, flag in _ALLOW.items():
        setattr(p, flag, not allow.get(name, False))
    p.objects, p.scenarios = bool(DrawingObjects), bool(Scenarios)
    p.sheet = bool(Contents)
    if Password:
        p.password = Password


class ListObjects(_Collection):
    def __init__(self, sheet: Worksheet) -> None:
        self.Parent = sheet

    def _items(self) -> list[Any]:
        return [ListObject(self.Parent, t) for t in self.Parent._ws.tables.values()]


class ListObject(_Com):
    """An Excel table: ``Range`` is the whole table (header and totals rows included)."""

    def __init__(self, sheet: Worksheet, table: Any) -> None:
        self.Parent = sheet
        self._t = table

    @property
    def Name(self) -> str:  # noqa: N802 - COM name
        return self._t.displayName

    DisplayName = Name

    @property
    def ShowHeaders(self) -> bool:  # noqa: N802 - COM name
        return (1 if self._t.headerRowCount is None else self._t.headerRowCount) > 0

    @property
    def ShowTotals(self) -> bool:  # noqa: N802 - COM name
        return bool(self._t.totalsRowCount)

    @property
    def Range(self) -> ComRange:  # noqa: N802 - COM name
        return self.Parent.Range(self._t.ref)

    @property
    def HeaderRowRange(self) -> ComRange | None:  # noqa: N802 - COM name
        r = self.Range
        return ComRange(self.Parent, r._r1, r._c1, r._r1, r._c2) if self.ShowHeaders else None

    @property
    def TotalsRowRange(self) -> ComRange | None:  # noqa: N802 - COM name
        r = self.Range
        return ComRange(self.Parent, r._r2, r._c1, r._r2, r._c2) if self.ShowTotals else None

    @property
    def DataBodyRange(self) -> ComRange | None:  # noqa: N802 - COM name
        r = self.Range
        top = r._r1 + (1 if self.ShowHeaders else 0)
        bottom = r._r2 - (1 if self.ShowTotals else 0)
        return ComRange(self.Parent, top, r._c1, bottom, r._c2) if top <= bottom else None


# --- Range ------------------------------------------------------------------------------------

def _currency(fmt: str | None) -> bool:
    """A currency or accounting number format: ``Range.Value`` hands a COM Currency."""
    return any(sign in (fmt or "") for sign in ("€", "$", "[$", "kr"))


def _com_time(v: dt.datetime | dt.date | dt.time) -> PyTime:
    if isinstance(v, dt.time):
        v = dt.datetime.combine(_EPOCH.date(), v)
    elif not isinstance(v, dt.datetime):
        v = dt.datetime(v.year, v.month, v.day)
    return PyTime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond,
                  tzinfo=dt.UTC)


def _serial(v: dt.datetime | dt.date | dt.time) -> float:
    if isinstance(v, dt.time):
        return (v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6) / 86400
    if not isinstance(v, dt.datetime):
        v = dt.datetime(v.year, v.month, v.day)
    return (v.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400


_NUMBER = re.compile(r"[+-]?(\d+|\d{1,3}([  ]\d{3})+)([.,]\d+)?([eE][+-]?\d+)?%?")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_BOOLEANS = {"true": True, "false": False, "sant": True, "falskt": False,
             "tosi": True, "epätosi": False}


def typed(text: str) -> tuple[object, bool]:
    """What Excel makes of ``text`` given to ``Range.Value`` (as if typed into the cell):
    (value, quote prefix). Not every locale rule is modelled: numbers with "." or "," as the
    decimal sign and space thousands separators, ISO dates, booleans (en, sv, fi), error
    values, formulas, the apostrophe."""
    if text.startswith("'"):
        return text[1:], True
    s = text.strip()
    if s.startswith("="):
        return text, False  # a formula
    if s in ERRORS:
        return s, False  # an error value (written as such below)
    if s.casefold() in _BOOLEANS:
        return _BOOLEANS[s.casefold()], False
    if _NUMBER.fullmatch(s):
        body = s.rstrip("%").replace(" ", "").replace(" ", "").replace(",", ".")
        number = float(body)
        return (number / 100 if s.endswith("%") else number), False
    m = _DATE.fullmatch(s)
    if m:
        try:
            return dt.datetime(int(m[1]), int(m[2]), int(m[3])), False
        except ValueError:
            pass
    return text, False


class ComRange(_Com):
    """A rectangle of cells ``(r1, c1)``–``(r2, c2)`` on a worksheet."""

    _IID = RANGE_IID.upper()

    def __init__(self, sheet: Worksheet, r1: int, c1: int, r2: int, c2: int,
                 count: str = "cells") -> None:
        if not (1 <= r1 <= r2 <= MAX_ROW and 1 <= c1 <= c2 <= MAX_COL):
            raise excel_error(f"Application-defined or object-defined error ({r1},{c1}:"
                              f"{r2},{c2})")
        self.Worksheet = self.Parent = sheet
        self.Application = sheet.Application
        self._r1, self._c1, self._r2, self._c2 = r1, c1, r2, c2
        self._count = count

    # geometry ----------------------------------------------------------------------------------
    @property
    def Row(self) -> int:  # noqa: N802 - COM name
        return self._r1

    @property
    def Column(self) -> int:  # noqa: N802 - COM name
        return self._c1

    @property
    def Rows(self) -> ComRange:  # noqa: N802 - COM name
        return ComRange(self.Worksheet, self._r1, self._c1, self._r2, self._c2, "rows")

    @property
    def Columns(self) -> ComRange:  # noqa: N802 - COM name
        return ComRange(self.Worksheet, self._r1, self._c1, self._r2, self._c2, "columns")

    @property
    def Count(self) -> int:  # noqa: N802 - COM name
        rows, cols = self._r2 - self._r1 + 1, self._c2 - self._c1 + 1
        return {"rows": rows, "columns": cols}.get(self._count, rows * cols)

    def __len__(self) -> int:
        return self.Count

    @property
    def Address(self) -> str:  # noqa: N802 - COM name
        """Excel's absolute address; a range of whole rows is ``$3:$10``, of whole columns
        ``$A:$C``."""
        r1, c1, r2, c2 = self._r1, self._c1, self._r2, self._c2
        if (c1, c2) == (1, MAX_COL):
            return f"${r1}:${r2}"
        if (r1, r2) == (1, MAX_ROW):
            return f"${get_column_letter(c1)}:${get_column_letter(c2)}"
        a = f"${get_column_letter(c1)}${r1}"
        return a if (r1, c1) == (r2, c2) else f"{a}:${get_column_letter(c2)}${r2}"

    def Item(self, row: int, column: int = 1) -> ComRange:  # noqa: N802 - COM name
        r, c = self._r1 + row - 1, self._c1 + column - 1
        return ComRange(self.Worksheet, r, c, r, c)

    def __call__(self, row: int, column: int = 1) -> ComRange:  # the default member
        return self.Item(row, column)

    def Resize(self, RowSize: int | None = None, ColumnSize: int | None = None  # noqa: N802, N803
               ) -> ComRange:
        rows = RowSize or self._r2 - self._r1 + 1
        cols = ColumnSize or self._c2 - self._c1 + 1
        return ComRange(self.Worksheet, self._r1, self._c1, self._r1 + rows - 1,
                        self._c1 + cols - 1)

    def Offset(self, RowOffset: int = 0, ColumnOffset: int = 0) -> ComRange:  # noqa: N802, N803
        return ComRange(self.Worksheet, self._r1 + RowOffset, self._c1 + ColumnOffset,
                        self._r2 + RowOffset, self._c2 + ColumnOffset)

    @property
    def MergeArea(self) -> ComRange:  # noqa: N802 - COM name
        """Excel's: the merged range holding the range's first cell, or that cell itself."""
        for m in self.Worksheet._ws.merged_cells.ranges:
            if m.min_row <= self._r1 <= m.max_row and m.min_col <= self._c1 <= m.max_col:
                return ComRange(self.Worksheet, m.min_row, m.min_col, m.max_row, m.max_col)
        return ComRange(self.Worksheet, self._r1, self._c1, self._r1, self._c1)

    @property
    def NumberFormat(self) -> object:  # noqa: N802 - COM name
        """Excel's: the cells' format code, None when they differ."""
        ws = self.Worksheet._ws
        codes = {(ws.cell(r, c).number_format or "General") if r <= ws.max_row
                 and c <= ws.max_column else "General" for r, c in self._rows()}
        return codes.pop() if len(codes) == 1 else None

    # values ------------------------------------------------------------------------------------
    def _rows(self) -> Iterator[tuple[int, int]]:
        return ((r, c) for r in range(self._r1, self._r2 + 1)
                for c in range(self._c1, self._c2 + 1))

    def _read(self, value2: bool) -> object:
        ws = self.Worksheet._ws
        if self.Count > 4_000_000:
            raise AssertionError(f"fake Excel: reading {self.Address} whole")
        rows = tuple(tuple(self._cell_value(ws, r, c, value2) for c in range(self._c1,
                                                                            self._c2 + 1))
                     for r in range(self._r1, self._r2 + 1))
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows

    def _cell_value(self, ws: OpenpyxlSheet, r: int, c: int, value2: bool) -> object:
        if r > ws.max_row or c > ws.max_column:
            return None  # never create cells by reading
        cell = ws.cell(r, c)
        v = cell.value
        if cell.data_type == "f" or (isinstance(v, str) and v.startswith("=")):
            v = self.Worksheet.Parent._cached_value(ws.title, cell.coordinate)
        if v is None or (cell.data_type == "e") or (isinstance(v, str) and v in ERRORS):
            return None if v is None else ERRORS[str(v)]
        if isinstance(v, bool) or isinstance(v, str):
            return v
        if isinstance(v, (int, float, Decimal)):
            if not value2 and _currency(cell.number_format):
                return Decimal(repr(float(v))).quantize(Decimal("0.0001"),
                                                        rounding=ROUND_HALF_EVEN)
            return float(v)
        if isinstance(v, (dt.datetime, dt.date, dt.time)):
            return _serial(v) if value2 else _com_time(v)
        raise AssertionError(f"fake Excel: no COM type for {v!r}")

    @property
    def Value(self) -> object:  # noqa: N802 - COM name
        return self._read(value2=False)

    @Value.setter
    def Value(self, data: object) -> None:  # noqa: N802 - COM name
        self._write(data)

    @property
    def Value2(self) -> object:  # noqa: N802 - COM name
        return self._read(value2=True)

    @Value2.setter
    def Value2(self, data: object) -> None:  # noqa: N802 - COM name
        self._write(data)

    @property
    def Formula(self) -> object:  # noqa: N802 - COM name
        ws = self.Worksheet._ws
        rows = tuple(tuple("" if ws.cell(r, c).value is None else ws.cell(r, c).value
                           for c in range(self._c1, self._c2 + 1))
                     for r in range(self._r1, self._r2 + 1))
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows

    def _write(self, data: object) -> None:
        self.Worksheet._check_unprotected()
        ws = self.Worksheet._ws
        nrows, ncols = self._r2 - self._r1 + 1, self._c2 - self._c1 + 1
        if isinstance(data, (list, tuple)):
            rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in data] \
                if data and isinstance(data[0], (list, tuple)) else [list(data)]
            if len(rows) != nrows or any(len(r) != ncols for r in rows):
                raise AssertionError(f"fake Excel: a {len(rows)}-row array written into "
                                     f"{self.Address} ({nrows}×{ncols})")
        else:
            if nrows * ncols > 100_000:
                raise AssertionError(f"fake Excel: filling {self.Address}")
            rows = [[data] * ncols for _ in range(nrows)]
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                store(ws.cell(self._r1 + i, self._c1 + j), v)

    def ClearContents(self) -> None:  # noqa: N802 - COM name
        self.Worksheet._check_unprotected()
        ws = self.Worksheet._ws
        for merged in ws.merged_cells.ranges:
            inside = (self._r1 <= merged.min_row and merged.max_row <= self._r2
                      and self._c1 <= merged.min_col and merged.max_col <= self._c2)
            apart = (merged.max_row < self._r1 or merged.min_row > self._r2
                     or merged.max_col < self._c1 or merged.min_col > self._c2)
            if not inside and not apart:
                raise excel_error("Cannot change part of a merged cell.")
        for row in ws.iter_rows(min_row=self._r1, max_row=min(self._r2, ws.max_row),
                                min_col=self._c1, max_col=min(self._c2, ws.max_column)):
            for cell in row:
                if cell.value is not None:
                    cell.value = None


def store(cell: Any, v: object) -> None:
    """One element of an array given to ``Range.Value``, stored in the openpyxl ``cell`` as
    Excel stores it (strings as if typed: :func:`typed`)."""
    quote = False
    if isinstance(v, str):
        if v == "":
            v = None
        else:
            v, quote = typed(v)
    if isinstance(v, Decimal):  # pywin32 hands Excel a Decimal as a COM Currency
        v = float(v.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))
    if isinstance(v, dt.datetime):
        v = v.replace(tzinfo=None)
    elif isinstance(v, dt.date):  # (the double's writes: xlwings makes a date a datetime)
        v = dt.datetime(v.year, v.month, v.day)
    if isinstance(v, str) and v in ERRORS and not quote:
        cell.value = v
        cell.data_type = "e"
        return
    if v is not None and not isinstance(v, (str, bool, int, float, dt.datetime)):
        raise AssertionError(f"fake Excel: pywin32 cannot hand {type(v).__name__} to COM")
    cell.value = v
    if cell.quotePrefix != quote:
        cell.quotePrefix = quote
