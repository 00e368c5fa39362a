"""A test double of the few xlwings calls the add-in uses — and of nothing else.

Backed by an openpyxl workbook (usually loaded from one of our generated templates), it implements
exactly what :mod:`addin.excel_adapter` and :mod:`addin.buttons` call on a live ``xlwings.Book``:

* ``Book``: ``fullname``, ``name``, ``sheets`` (iteration, ``[name]``, ``[index]``), ``app``.
* ``App``: ``status_bar`` (attribute; every value set is recorded in ``status_history``),
  ``alert(prompt, title=..., buttons=..., mode=...)`` (recorded in ``alerts``).
* ``Sheet``: ``name``, ``tables`` (iteration, ``[name]``), ``range(a1)``.
* ``Table``: ``name``, ``show_headers``, ``show_totals``, ``range``.
* ``Range``: ``address`` (absolute, ``$A$1:$B$2``), ``options(ndim=2, err_to_str=...)``,
  ``value`` (read: 2-D list; write: scalar or 2-D list from the top-left cell),
  ``clear_contents()``, ``merge_area`` (the merged range holding the first cell, or that cell),
  ``number_format`` (read, one cell: its format code, "General" for openpyxl's default).

It mimics what xlwings hands Python: every number is a ``float``, blanks are ``None``, dates are
``datetime.datetime``, error cells are their text (``"#REF!"``) with ``err_to_str=True`` and
``None`` without. Writing a ragged list raises, as xlwings does; clearing a range that holds part of a merged
range raises, as Excel does ("Cannot change part of a merged cell"). Written values are stored as
Excel stores them (``tests/xlwings_excel.store``): a string as if typed, so "4010" becomes a
number and "2025-03-31" a date unless written behind an apostrophe (xlwings #1269); an empty
string leaves the cell empty. Anything else is deliberately
missing, so a new xlwings call in the adapter fails here until this double (and its documentation)
is extended on purpose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}


class App:
    def __init__(self) -> None:
        self._status: object = False
        self.status_history: list[object] = []
        self.alerts: list[dict[str, object]] = []

    @property
    def status_bar(self) -> object:
        return self._status

    @status_bar.setter
    def status_bar(self, value: object) -> None:
        self._status = value
        self.status_history.append(value)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok",
              mode: str | None = None, callback: str | None = None) -> str:
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        return "ok"


def _currency(cell: Any) -> bool:
    """A currency or accounting number format (Excel's Range.Value hands a COM Currency)."""
    fmt = cell.number_format or ""
    return any(sign in fmt for sign in ("€", "$", "[$", "kr"))


def _xlwings_value(cell: Any, err_to_str: bool) -> object:
    v = cell.value
    if cell.data_type == "e" or (isinstance(v, str) and v in ERRORS):
        return v if err_to_str else None
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float, Decimal)) and _currency(cell):
        # what pywin32 makes of a COM Currency: a Decimal of four decimals
        return Decimal(repr(float(v))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
    if isinstance(v, (int, float, Decimal)):
        return float(v)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime(v.year, v.month, v.day)
    return v


class Range:
    def __init__(self, ws: Worksheet, ref: str, err_to_str: bool = False) -> None:
        self._ws = ws
        self._ref = ref.replace("$", "")
        self._err_to_str = err_to_str

    @property
    def _bounds(self) -> tuple[int, int, int, int]:
        c1, r1, c2, r2 = range_boundaries(self._ref)
        return r1, c1, r2, c2

    @property
    def address(self) -> str:
        r1, c1, r2, c2 = self._bounds
        a = f"${get_column_letter(c1)}${r1}"
        return a if (r1, c1) == (r2, c2) else f"{a}:${get_column_letter(c2)}${r2}"

    @property
    def merge_area(self) -> Range:
        """xlwings' ``Range.merge_area``: the merged range holding the first cell, or it."""
        r1, c1, _, _ = self._bounds
        for m in self._ws.merged_cells.ranges:
            if m.min_row <= r1 <= m.max_row and m.min_col <= c1 <= m.max_col:
                return Range(self._ws, m.coord)
        return Range(self._ws, f"{get_column_letter(c1)}{r1}")

    @property
    def number_format(self) -> str:
        """xlwings' ``Range.number_format`` of one cell (Excel's ``NumberFormat``)."""
        r1, c1, r2, c2 = self._bounds
        if (r1, c1) != (r2, c2):
            raise NotImplementedError("the double reads the number format of one cell only")
        return self._ws.cell(r1, c1).number_format or "General"

    @property
    def api(self) -> _RangeApi:
        return _RangeApi(self)

    def options(self, ndim: int | None = None, err_to_str: bool = False) -> Range:
        if ndim != 2:
            raise NotImplementedError("the double implements options(ndim=2, ...) only")
        return Range(self._ws, self._ref, err_to_str)

    @property
    def value(self) -> list[list[object]]:
        r1, c1, r2, c2 = self._bounds
        return [[_xlwings_value(self._ws.cell(r, c), self._err_to_str)
                 for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]

    @value.setter
    def value(self, data: object) -> None:
        r1, c1, _, _ = self._bounds
        rows = data if isinstance(data, list) and data and isinstance(data[0], list) else [[data]]
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            raise ValueError("All elements of a 2d list or tuple must be of the same length")
        _check_unprotected(self._ws)
        from tests.xlwings_excel import store

        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if isinstance(v, Decimal):
                    raise TypeError("the adapter must convert Decimal before writing")
                store(self._ws.cell(r1 + i, c1 + j), v)  # a string as if typed into the cell

    def clear_contents(self) -> None:
        _check_unprotected(self._ws)
        r1, c1, r2, c2 = self._bounds
        for m in self._ws.merged_cells.ranges:  # as Excel: part of a merged range is refused
            inside = r1 <= m.min_row and m.max_row <= r2 and c1 <= m.min_col and m.max_col <= c2
            apart = m.max_row < r1 or m.min_row > r2 or m.max_col < c1 or m.min_col > c2
            if not inside and not apart:
                raise RuntimeError("(-2146827284) Cannot change part of a merged cell.")
        for row in self._ws.iter_rows(min_row=r1, max_row=min(r2, self._ws.max_row),
                                      min_col=c1, max_col=min(c2, self._ws.max_column)):
            for cell in row:
                cell.value = None


class _RangeApi:
    """``range.api``: the COM Range; only ``Value2`` (doubles, no Currency type) is used."""

    def __init__(self, rng: Range) -> None:
        self._rng = rng

    @property
    def Value2(self) -> object:  # noqa: N802 - COM name
        r1, c1, r2, c2 = self._rng._bounds
        rows = tuple(tuple(float(c.value) if isinstance(c.value, (int, float, Decimal))
                           and not isinstance(c.value, bool) else c.value
                           for c in (self._rng._ws.cell(r, col) for col in range(c1, c2 + 1)))
                     for r in range(r1, r2 + 1))
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows


class Table:
    def __init__(self, ws: Worksheet, name: str) -> None:
        self._ws = ws
        self._t = ws.tables[name]

    @property
    def name(self) -> str:
        return self._t.displayName

    @property
    def show_headers(self) -> bool:
        return (self._t.headerRowCount if self._t.headerRowCount is not None else 1) > 0

    @property
    def show_totals(self) -> bool:
        return bool(self._t.totalsRowCount)

    @property
    def range(self) -> Range:
        return Range(self._ws, self._t.ref)


class Tables:
    def __init__(self, ws: Worksheet) -> None:
        self._ws = ws

    def __iter__(self):  # noqa: ANN204
        return iter([Table(self._ws, n) for n in self._ws.tables])

    def __getitem__(self, name: str) -> Table:
        for t in self:
            if t.name.casefold() == name.casefold():
                return t
        raise KeyError(name)


def _check_unprotected(ws: Worksheet) -> None:
    """Excel refuses to change a cell of a protected sheet (run-time error 1004)."""
    if ws.protection.sheet:
        raise RuntimeError(f"(-2146827284) The cell or chart is on a protected sheet ({ws.title})")


class _SheetApi:
    """The part of Excel's Worksheet object (``sheet.api``) that sheet protection uses
    (``ProtectContents``, ``ProtectDrawingObjects``, ``ProtectScenarios``, ``Protection``,
    ``Unprotect``, ``Protect`` with Excel's defaults)."""

    def __init__(self, ws: Worksheet) -> None:
        self._ws = ws
        self.calls: list[str] = []

    @property
    def ProtectContents(self) -> bool:  # noqa: N802 - Excel's name
        return bool(self._ws.protection.sheet)

    @property
    def ProtectDrawingObjects(self) -> bool:  # noqa: N802 - Excel's name
        return bool(self._ws.protection.sheet and self._ws.protection.objects)

    @property
    def ProtectScenarios(self) -> bool:  # noqa: N802 - Excel's name
        return bool(self._ws.protection.sheet and self._ws.protection.scenarios)

    @property
    def Protection(self) -> Any:  # noqa: N802 - Excel's name
        from tests.xlwings_excel import Protection

        return Protection(self._ws)

    def Unprotect(self, Password: str | None = None) -> None:  # noqa: N802, N803
        p = self._ws.protection
        if p.sheet and p.password and not Password:  # a password set by the user: as Excel
            raise RuntimeError("(-2146827284) The password you supplied is not correct.")
        p.sheet = False

    def Protect(self, Password: str | None = None, **kw: Any) -> None:  # noqa: N802, N803
        """As Excel's: an omitted ``Allow…`` argument is False (the action is locked)."""
        from tests.xlwings_excel import protect

        protect(self._ws, Password, **kw)


class Sheet:
    def __init__(self, ws: Worksheet) -> None:
        self._ws = ws

    @property
    def api(self) -> _SheetApi:
        return _SheetApi(self._ws)

    @property
    def name(self) -> str:
        return self._ws.title

    @property
    def tables(self) -> Tables:
        return Tables(self._ws)

    def range(self, ref: str) -> Range:
        return Range(self._ws, ref)

    @property
    def used_range(self) -> Range:
        # Excel's UsedRange: from the first to the last used cell ("$A$1" on an empty sheet)
        return Range(self._ws, self._ws.dimensions)


class Sheets:
    def __init__(self, wb: Workbook) -> None:
        self._wb = wb

    def __iter__(self):  # noqa: ANN204
        return iter([Sheet(ws) for ws in self._wb.worksheets])

    def __len__(self) -> int:
        return len(self._wb.worksheets)

    def __getitem__(self, key: str | int) -> Sheet:
        if isinstance(key, int):
            return Sheet(self._wb.worksheets[key])
        return Sheet(self._wb[key])


class Book:
    """A double of ``xlwings.Book`` for the workbook file at ``path`` (loaded with openpyxl)."""

    def __init__(self, path: str | Path, app: App | None = None) -> None:
        self.fullname = str(Path(path).resolve())
        self.wb = load_workbook(path)
        self.app = app or App()

    @property
    def name(self) -> str:
        return Path(self.fullname).name

    @property
    def sheets(self) -> Sheets:
        return Sheets(self.wb)

    # test helpers (not xlwings) -------------------------------------------------------------
    def cells(self, sheet: str) -> list[list[object]]:
        """Values of ``sheet`` from A3 down, trailing blanks trimmed (for comparisons)."""
        return trimmed(self.wb[sheet].iter_rows(min_row=3, values_only=True))


def trimmed(rows: Iterable[Iterable[object]]) -> list[list[object]]:
    """``rows`` as lists, trailing blanks (``None``) of each row and trailing empty rows removed;
    a datetime at midnight as a date (Excel keeps a day number: the file reader reads a whole
    day back as a date)."""
    out = []
    for row in rows:
        line = [v.date() if isinstance(v, dt.datetime) and v.time() == dt.time(0) else v
                for v in row]
        while line and line[-1] is None:
            line.pop()
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out
