"""Read workbook input by table name and header name, never by fixed position (spec V10).

Users may insert rows and columns anywhere: input areas are Excel tables (ListObjects) and are
found through the package structure (workbook.xml → sheet part → sheet rels → ``xl/tables/*.xml``),
columns by their header text. Values come from python-calamine (the fast path, see
``benchmarks/bench_reader.py``), with two corrections calamine does not make by itself:

* Excel error values (``#REF!``, ``#VALUE!``, …) come through as :class:`CellError`, never as an
  empty cell or a zero (calamine reports them as ``""``; we find them in the sheet XML).
* Numbers are :class:`~decimal.Decimal` by default (:func:`engine.money.excel_decimal`: the
  stored double to Excel's 15 significant digits, i.e. what Excel shows and rounds; a typed
  number exactly as typed), so the engine gets exact money. Dates come as ``datetime.date``/``datetime.datetime``.

Every cell carries its sheet and A1 address, so findings can point at it. Input problems (missing
table, missing or duplicated header, merged header cells, an error value or text where a number
belongs) are :class:`~engine.findings.Finding` values with Swedish messages (rule ``V10``), not
exceptions. Only a file that cannot be opened at all raises :class:`WorkbookReadError`, which
carries a ready finding for the caller to record before it goes on with the next workbook.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from itertools import chain, repeat
from operator import itemgetter
from pathlib import Path
from typing import Literal, NamedTuple

import python_calamine
from lxml import etree

from engine.findings import Finding, Location, Severity
from engine.input_hygiene import NO_CACHED_VALUE
from engine.money import excel_decimal
from engine.svenska import antal

__all__ = [
    "Cell",
    "CellError",
    "RangeResult",
    "SheetInfo",
    "Table",
    "TableInfo",
    "TableResult",
    "TableRow",
    "Value",
    "WorkbookReadError",
    "WorkbookReader",
    "cell_name",
    "col_letters",
    "col_number",
    "expect_number",
    "is_percent_format",
    "open_workbook",
    "parse_cell",
    "parse_range",
    "range_name",
    "read_table",
    "safe_xml_parser",
    "workbook_structure",
]

RULE = "V10"

# --------------------------------------------------------------------------------------------
# A1 addresses


_CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
MAX_ROW = 1_048_576
MAX_COL = 16_384


def col_number(letters: str) -> int:
    """``"A"`` → 1, ``"AA"`` → 27 (1-based)."""
    n = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"not a column: {letters!r}")
        n = n * 26 + (ord(ch) - 64)
    return n


_col_number = functools.lru_cache(maxsize=1 << 12)(col_number)  # parse_cell's letters: 1 to 3


@functools.lru_cache(maxsize=MAX_COL)
def col_letters(n: int) -> str:
    """1 → ``"A"``, 27 → ``"AA"``."""
    if not 1 <= n <= MAX_COL:
        raise ValueError(f"column out of range: {n}")
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


@functools.lru_cache(maxsize=1 << 18)
def parse_cell(a1: str) -> tuple[int, int]:
    """``"$B$5"`` → ``(5, 2)`` as (row, column), 1-based. Raises ValueError."""
    m = _CELL_RE.match(a1.strip())
    if not m:
        raise ValueError(f"not an A1 cell address: {a1!r}")
    row, col = int(m.group(2)), _col_number(m.group(1))
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise ValueError(f"cell address out of range: {a1!r}")
    return row, col


def cell_name(row: int, col: int) -> str:
    return f"{col_letters(col)}{row}"


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """``"B2:D9"`` (or a single cell) → ``(row1, col1, row2, col2)``, normalised top-left first."""
    parts = ref.strip().split(":")
    if len(parts) == 1:
        r, c = parse_cell(parts[0])
        return r, c, r, c
    if len(parts) != 2:
        raise ValueError(f"not an A1 range: {ref!r}")
    r1, c1 = parse_cell(parts[0])
    r2, c2 = parse_cell(parts[1])
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def range_name(r1: int, c1: int, r2: int, c2: int) -> str:
    a, b = cell_name(r1, c1), cell_name(r2, c2)
    return a if a == b else f"{a}:{b}"


# --------------------------------------------------------------------------------------------
# Package structure


def safe_xml_parser() -> etree.XMLParser:
    """An lxml parser that never resolves entities, never touches the network (the safety
    gate's parser, one definition)."""
    from workbook_templates.files.safety import safe_xml_parser as gate_parser

    return gate_parser()


def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, parser=safe_xml_parser())


def local(tag: object) -> str:
    """Local name of an lxml tag (``"{ns}c"`` → ``"c"``); "" for comments and PIs."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


R_NS_ENDINGS = "/officeDocument/2006/relationships"
REL_OFFICE_DOCUMENT = "officeDocument"


def rels_path(part: str) -> str:
    d, b = posixpath.split(part)
    return posixpath.join(d, "_rels", b + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


@dataclass(frozen=True, slots=True)
class Relationship:
    id: str
    type: str  # the last path segment of the type URI, e.g. "worksheet", "table"
    target: str  # resolved part name (no leading slash); raw target if external
    external: bool


def read_rels(zf: zipfile.ZipFile, part: str) -> dict[str, Relationship]:
    name = rels_path(part)
    try:
        data = zf.read(name)
    except KeyError:
        return {}
    out: dict[str, Relationship] = {}
    for el in parse_xml(data):
        if local(el.tag) != "Relationship":
            continue
        external = el.get("TargetMode") == "External"
        target = el.get("Target", "")
        out[el.get("Id", "")] = Relationship(
            el.get("Id", ""),
            el.get("Type", "").rsplit("/", 1)[-1],
            target if external else resolve_target(part, target),
            external,
        )
    return out


@dataclass(frozen=True, slots=True)
class SheetInfo:
    name: str
    sheet_id: int
    index: int  # 0-based position in the workbook (localSheetId of defined names)
    part: str  # e.g. "xl/worksheets/sheet2.xml"
    kind: str  # "worksheet", "chartsheet", "dialogsheet", …
    state: str  # "visible", "hidden", "veryHidden"


@dataclass(frozen=True, slots=True)
class DefinedName:
    name: str
    text: str
    local_sheet: int | None


@dataclass(frozen=True, slots=True)
class WorkbookStructure:
    workbook_part: str
    sheets: tuple[SheetInfo, ...]
    defined_names: tuple[DefinedName, ...]
    date1904: bool

    def sheet(self, name: str) -> SheetInfo | None:
        for s in self.sheets:
            if s.name == name:
                return s
        folded = name.casefold()  # Excel sheet names are case-insensitive
        for s in self.sheets:
            if s.name.casefold() == folded:
                return s
        return None


def workbook_structure(zf: zipfile.ZipFile) -> WorkbookStructure:
    """Sheet names → parts through ``_rels/.rels``, workbook.xml and its rels (never ``sheetN``)."""
    wb_part = "xl/workbook.xml"
    for rel in read_rels(zf, "").values():
        if rel.type == REL_OFFICE_DOCUMENT and not rel.external:
            wb_part = rel.target
            break
    root = parse_xml(zf.read(wb_part))
    rels = read_rels(zf, wb_part)
    sheets = []
    names = []
    date1904 = False
    for el in root:
        tag = local(el.tag)
        if tag == "workbookPr":
            date1904 = el.get("date1904") in ("1", "true")
        elif tag == "sheets":
            for i, sh in enumerate(x for x in el if local(x.tag) == "sheet"):
                rid = next((v for k, v in sh.attrib.items() if k.endswith("}id")), "")
                rel = rels.get(rid)
                sheets.append(
                    SheetInfo(
                        name=sh.get("name", ""),
                        sheet_id=int(sh.get("sheetId", "0")),
                        index=i,
                        part=rel.target if rel else "",
                        kind=rel.type if rel else "",
                        state=sh.get("state", "visible"),
                    )
                )
        elif tag == "definedNames":
            for dn in el:
                if local(dn.tag) == "definedName":
                    lsi = dn.get("localSheetId")
                    names.append(
                        DefinedName(dn.get("name", ""), dn.text or "", int(lsi) if lsi else None)
                    )
    return WorkbookStructure(wb_part, tuple(sheets), tuple(names), date1904)


# --------------------------------------------------------------------------------------------
# Values and cells


class CellError(str):
    """An Excel error value in a cell, e.g. ``CellError("#REF!")``. Never a zero, never empty.

    A ``str`` subclass equal to its code, so code that recognises Excel's error strings (the UDF
    convention, :func:`engine.input_hygiene.excel_error`) recognises it too; test
    ``isinstance(v, CellError)`` *before* ``isinstance(v, str)`` to tell it from typed text.
    """

    __slots__ = ()

    @property
    def code(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"CellError({self.code!r})"


Value = (
    None | str | bool | int | float | Decimal | dt.date | dt.datetime | dt.time | dt.timedelta
    | CellError
)


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[object, object], None],
                                                              ...] | None:
    """The setters of the slots of ``cls``, a frozen slots dataclass whose fields are exactly
    ``names``, all set by its generated ``__init__`` and nothing else done there (no
    ``__post_init__``); None when it is not so (a field added, a check added): then only the
    constructor builds its instances. Issue 17: a frozen dataclass's ``__init__`` stores each
    field through ``object.__setattr__``, about 1.5 µs for a Location, made per row read."""
    try:
        ok = (tuple(f.name for f in fields(cls)) == names and all(f.init for f in fields(cls))
              and getattr(cls, "__slots__", None) == names
              and not hasattr(cls, "__post_init__")
              and all(type(cls.__dict__.get(n)).__name__ == "member_descriptor" for n in names))
    except TypeError:  # not a dataclass
        return None
    return tuple(cls.__dict__[n].__set__ for n in names) if ok else None


_LOCATION_SETTERS = _slot_setters(Location, ("workbook", "sheet", "cell", "table"))
if _LOCATION_SETTERS is not None:
    _set_workbook, _set_sheet, _set_cell, _set_table = _LOCATION_SETTERS

    def _cell_location(cell: Cell) -> Location:
        """``Location(workbook=cell.workbook, sheet=cell.sheet, cell=cell.address)``, its
        slots set directly (:func:`_slot_setters`)."""
        loc = object.__new__(Location)
        _set_workbook(loc, cell[3])
        _set_sheet(loc, cell[0])
        _set_cell(loc, cell[1])
        _set_table(loc, None)
        return loc
else:  # pragma: no cover - Location has changed: its own constructor
    def _cell_location(cell: Cell) -> Location:
        return Location(workbook=cell.workbook, sheet=cell.sheet, cell=cell.address)


class Cell(NamedTuple):
    """One cell's value and where it is (a NamedTuple: tables make many of them)."""

    sheet: str
    address: str
    value: Value
    workbook: str | None = None  # the file name, so every finding from this cell names it

    #: ``Location(workbook=…, sheet=…, cell=address)`` (built without the dataclass's
    #: ``__init__``, issue 17; tests/test_reader_scan_equivalence.py holds the two equal)
    location = property(_cell_location)

    @property
    def is_blank(self) -> bool:
        v = self.value
        return v is None or (isinstance(v, str) and not isinstance(v, CellError) and not v.strip())


def _finding(
    message: str,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    table: str | None = None,
    workbook: str | None = None,
    severity: Severity = Severity.ERROR,
    obj: str | None = None,
) -> Finding:
    return Finding(
        rule=RULE,
        severity=severity,
        message=message,
        object=obj,
        location=Location(workbook=workbook, sheet=sheet, cell=cell, table=table),
    )


def expect_number(cell: Cell, *, what: str | None = None) -> tuple[Decimal | None, Finding | None]:
    """The cell as an exact number for the engine (V10): blank → ``(None, None)``; a number →
    ``(Decimal, None)``; an error value, text or a truth value → ``(None, finding)``."""
    v = cell.value
    label = f" ({what})" if what else ""
    if v is None or (isinstance(v, str) and not isinstance(v, CellError) and not v.strip()):
        return None, None
    if isinstance(v, bool):
        return None, _finding(
            f"Cellen{label} innehåller ett sanningsvärde ({'SANT' if v else 'FALSKT'}) där ett "
            "belopp väntas. Skriv ett tal.",
            sheet=cell.sheet,
            cell=cell.address,
        )
    if isinstance(v, Decimal):
        return v, None
    if isinstance(v, int):
        return Decimal(v), None
    if isinstance(v, float):
        return _to_decimal(v), None
    if isinstance(v, CellError):
        return None, _finding(
            f"Cellen{label} innehåller felvärdet {v.code}. Rätta formeln eller skriv in ett tal; "
            "felvärdet räknas inte som noll.",
            sheet=cell.sheet,
            cell=cell.address,
        )
    if isinstance(v, str):
        return None, _finding(
            f"Cellen{label} innehåller texten {v.strip()!r} där ett tal väntas. Skriv talet utan "
            "text och enhet (t.ex. 1250000), eller töm cellen.",
            sheet=cell.sheet,
            cell=cell.address,
        )
    return None, _finding(
        f"Cellen{label} innehåller ett datum eller en tid där ett tal väntas. Skriv ett tal.",
        sheet=cell.sheet,
        cell=cell.address,
    )


def _to_decimal(x: float) -> Decimal:
    if x.is_integer():
        return Decimal(int(x))
    return excel_decimal(x)


def _count(text: str) -> int:
    """A table part's row count attribute; -1 when it is not a non-negative integer."""
    return int(text) if text.isdigit() and len(text) < 8 else -1


#: rows looked at below a table for content typed there (a controller's new row)
BELOW_TABLE_ROWS = 200


def below_table_finding(rows: Sequence[Sequence[Value]], first_row: int, c1: int, *,
                        table: str, sheet: str, workbook: str, totals: bool,
                        stop: Callable[[int], bool] = lambda _r: False) -> Finding | None:
    """A finding for content typed in the rows directly below a table (``rows``: their values in
    the table's columns, from ``first_row``, the row after the table's last, down to the first
    blank row or a row where ``stop`` says another table begins): Excel does not take such a row
    into a table that has a totals row, so it would not be read, without a word. An error when
    it holds a number or an error value (an amount left out), else a warning (a note). Asked
    for tables with a totals row only: a table without one grows when a row is typed under it,
    and a grown table may touch a title the template has below it."""
    found: list[tuple[int, int]] = []  # (row, first column with content)
    numbers = False
    for i, vals in enumerate(rows):
        r = first_row + i
        if stop(r) or _blank_values(list(vals)):
            break
        found.append((r, c1 + next(j for j, v in enumerate(vals)
                                   if v is not None and not (isinstance(v, str)
                                                             and not isinstance(v, CellError)
                                                             and not v.strip()))))
        numbers = numbers or any(isinstance(v, CellError) or (
            isinstance(v, Decimal | float | int) and not isinstance(v, bool)) for v in vals)
    if not found:
        return None
    (first, col), last = found[0], found[-1][0]
    where = f"rad {first}" if first == last else f"raderna {first}–{last}"
    total = " (tabellen slutar med sin summarad)" if totals else ""
    return _finding(
        f"Det finns innehåll direkt under tabellen {table!r} på {where}, utanför tabellen{total}, "
        "så det läses inte. Flytta in det i tabellen: högerklicka på en rad i tabellen och välj "
        "Infoga → Tabellrader ovanför (eller dra tabellens storlekshandtag), och uppdatera igen.",
        workbook=workbook, sheet=sheet, cell=cell_name(first, col), table=table,
        severity=Severity.ERROR if numbers else Severity.WARNING)


def _valid_range(ref: str) -> bool:
    try:
        parse_range(ref)
    except ValueError:
        return False
    return True


def _blank_values(values: list[Value]) -> bool:
    """Whether every value is blank as :attr:`Cell.is_blank` says (None, or text of spaces)."""
    for v in values:  # a loop, not all(): most rows end at their first value
        if v is not None and not (isinstance(v, str) and not isinstance(v, CellError)
                                  and not v.strip()):
            return False
    return True


@functools.lru_cache(maxsize=1 << 14)
def _row_addresses(row: int, c1: int, c2: int) -> tuple[str, ...]:
    """A1 addresses of columns ``c1``…``c2`` in ``row`` (the same rows recur in every workbook
    made from one template)."""
    return tuple(map(str.__add__, _col_range(c1, c2), repeat(str(row))))  # in C (issue 17)


@functools.lru_cache(maxsize=256)
def _col_range(c1: int, c2: int) -> tuple[str, ...]:
    """The letters of columns ``c1``…``c2``."""
    return tuple(map(col_letters, range(c1, c2 + 1)))


@functools.lru_cache(maxsize=4096)
def _norm(header: str) -> str:
    return " ".join(str(header).split()).casefold()


# --------------------------------------------------------------------------------------------
# Tables


@dataclass(frozen=True, slots=True)
class TableInfo:
    """A table (ListObject) as declared in its part, before reading any values."""

    name: str
    display_name: str
    sheet: str
    part: str
    ref: str
    header_row_count: int
    totals_row_count: int
    column_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TableRow:
    """One data row. ``row["Belopp"]`` is the cell under that header (case/space-insensitive)."""

    row: int
    cells: tuple[Cell, ...]
    _index: Mapping[str, int] = field(repr=False, compare=False)

    def __getitem__(self, header: str) -> Cell:
        return self.cells[self._index[_norm(header)]]

    def get(self, header: str) -> Cell | None:
        i = self._index.get(_norm(header))
        return None if i is None else self.cells[i]

    def position(self, header: str) -> int | None:
        """Where the column ``header`` is in :attr:`cells` (None: no such column)."""
        return self._index.get(_norm(header))

    def value(self, header: str) -> Value:
        return self[header].value

    @property
    def is_blank(self) -> bool:
        return all(c.is_blank for c in self.cells)


_ROW_SETTERS = _slot_setters(TableRow, ("row", "cells", "_index"))


def _table_rows(rows: Sequence[int], cells: Sequence[tuple[Cell, ...]],
                index: Mapping[str, int]) -> list[TableRow]:
    """``[TableRow(r, c, index) for r, c in zip(rows, cells)]``, the slots set directly when
    :func:`_slot_setters` allows it (issue 17: one row per table row read)."""
    if _ROW_SETTERS is None:  # pragma: no cover - TableRow has changed: its own constructor
        return [TableRow(r, c, index) for r, c in zip(rows, cells, strict=True)]
    set_row, set_cells, set_index = _ROW_SETTERS
    new = object.__new__
    out = []
    for r, c in zip(rows, cells, strict=True):
        row = new(TableRow)
        set_row(row, r)
        set_cells(row, c)
        set_index(row, index)
        out.append(row)
    return out


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    sheet: str
    ref: str
    headers: tuple[str, ...]
    header_cells: tuple[Cell, ...]
    rows: tuple[TableRow, ...]
    _index: Mapping[str, int] = field(repr=False, compare=False)

    def has(self, header: str) -> bool:
        return _norm(header) in self._index

    def position(self, header: str) -> int | None:
        """Where the column ``header`` is in each row's cells (None: no such column)."""
        return self._index.get(_norm(header))

    def column(self, header: str) -> tuple[Cell, ...]:
        i = self._index[_norm(header)]
        return tuple(r.cells[i] for r in self.rows)

    def header_cell(self, header: str) -> Cell:
        return self.header_cells[self._index[_norm(header)]]


@dataclass(frozen=True, slots=True)
class TableResult:
    table: Table | None
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class RangeResult:
    """A rectangular block of cells (row-major), or None with findings."""

    sheet: str | None
    ref: str | None
    cells: tuple[tuple[Cell, ...], ...] | None
    findings: tuple[Finding, ...]

    def values(self) -> list[list[Value]]:
        return [[c.value for c in row] for row in self.cells or ()]


class WorkbookReadError(Exception):
    """The file cannot be read as a workbook at all; ``finding`` says so in Swedish."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


class WorkbookReader:
    """An open workbook: structure from the zip, values from calamine (one sheet load each).

    Use :func:`open_workbook`; close it (or use ``with``) when done.
    """

    def __init__(self, path: str | Path, *, numbers: Literal["decimal", "float"] = "decimal"):
        self.path = Path(path)
        self.numbers = numbers
        wbname = self.path.name
        try:
            self._zip = zipfile.ZipFile(self.path)
            self.structure = workbook_structure(self._zip)
        except FileNotFoundError:
            raise WorkbookReadError(
                _finding(
                    "Filen finns inte. Kontrollera sökvägen.", workbook=wbname
                )
            ) from None
        except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, OSError, ValueError) as e:
            raise WorkbookReadError(
                _finding(
                    f"Filen kan inte läsas som en Excel-arbetsbok (.xlsx/.xlsm): {e}. Öppna den i "
                    "Excel och spara den som Excel-arbetsbok.",
                    workbook=wbname,
                )
            ) from None
        try:
            self._cal = python_calamine.CalamineWorkbook.from_path(str(self.path))
        except Exception as e:  # calamine raises its own error types for broken parts
            self._zip.close()
            raise WorkbookReadError(
                _finding(
                    f"Arbetsbokens innehåll kan inte läsas ({type(e).__name__}: {e}). Öppna den "
                    "i Excel, spara den på nytt och försök igen.",
                    workbook=wbname,
                )
            ) from None
        self._grids: dict[str, list[list[object]]] = {}
        self._sheet_xml: dict[str, bytes] = {}  # read for the extent check, until scanned
        self._errors: dict[str, dict[tuple[int, int], str]] = {}
        self._merges: dict[str, list[tuple[int, int, int, int]]] = {}
        self._tables: list[TableInfo] | None = None

    # context manager -----------------------------------------------------------------------
    def __enter__(self) -> WorkbookReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()
        try:
            self._cal.close()
        except Exception:  # noqa: BLE001 - closing twice is harmless
            pass

    # sheets --------------------------------------------------------------------------------
    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.structure.sheets]

    def used_rows(self, sheet: str) -> int:
        """The number of rows that hold anything (the last used row), 0 for an empty sheet."""
        return len(self._grid(sheet))

    def _grid(self, sheet: str) -> list[list[object]]:
        if sheet not in self._grids:
            self._check_extent(sheet)
            if sheet in self._sheet_xml:  # scan the bytes the extent check read for error
                self._error_cells(sheet)  # values now (which lets them go), not after calamine
                # has loaded the sheet: never the part's text and calamine's grid at once (the
                # large size's peak: the read-back of the municipality's 11 MB tablå, issue 17)
            try:
                grid, merges = _load_sheet(self._cal, sheet)
            except BaseException as e:  # calamine's own error types for a damaged sheet part
                # or an error value calamine does not know (#SPILL!, #CALC!, …); and a panic
                # in calamine (pyo3's PanicException, a BaseException: a date-formatted cell
                # holding -inf), which must not end the run either
                if not _calamine_failure(e):
                    raise  # KeyboardInterrupt, SystemExit
                loaded = self._load_without_newer_errors(sheet)
                if loaded is None:
                    raise WorkbookReadError(
                        _finding(
                            f"Bladet {sheet!r} kan inte läsas ({type(e).__name__}: {e}). Öppna "
                            "arbetsboken i Excel, spara den på nytt och försök igen.",
                            workbook=self.path.name,
                            sheet=sheet,
                        )
                    ) from None
                grid, merges = loaded
            self._grids[sheet] = grid
            self._merges[sheet] = merges
        return self._grids[sheet]

    def _load_without_newer_errors(
        self, sheet: str
    ) -> tuple[list[list[object]], list[tuple[int, int, int, int]]] | None:
        """The sheet as calamine reads it when the only thing calamine refuses in it is an
        error value it does not know: calamine reads the seven classic errors (as an empty
        cell, like any error: the cell's value comes from :meth:`_error_cells`) and refuses the
        whole sheet for any other ("Unsupported cell error value '#SPILL!'"), so one ``#SPILL!``
        or ``#CALC!`` anywhere on a sheet lost all of it. calamine is given a copy of the
        workbook, in memory, where those cells hold ``#N/A`` instead; the value read for them
        is still their own error (the scan of the unchanged part). None when the sheet has no
        such value or still cannot be read: then the sheet's own error stands."""
        info = self.structure.sheet(sheet)
        if info is None or not info.part:
            return None
        others = {s.part for s in self.structure.sheets if s.part and s.part != info.part}
        buf = io.BytesIO()
        try:
            fixed = _with_known_errors(self._zip.read(info.part))
            if fixed is None:
                return None
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
                for item in self._zip.infolist():
                    name = item.filename
                    if name == info.part:
                        out.writestr(name, fixed)
                    elif name in others:  # never read from the copy: left out of its memory
                        out.writestr(name, _EMPTY_SHEET)
                    else:
                        out.writestr(name, self._zip.read(item))
            buf.seek(0)
            copy = python_calamine.CalamineWorkbook.from_filelike(buf)
            try:
                return _load_sheet(copy, sheet)
            finally:
                copy.close()
        except BaseException as e:  # anything else wrong (a calamine panic too): the sheet's
            if not _calamine_failure(e):  # own error stands
                raise
            return None

    def _check_extent(self, sheet: str) -> None:
        """Refuse a sheet whose cells span more than :data:`MAX_SHEET_CELLS` *before* calamine
        loads it: calamine holds a sheet as one dense rectangle, so a single value in XFD1048576
        would make it allocate 512 GB and abort the whole process."""
        info = self.structure.sheet(sheet)
        try:
            data = self._zip.read(info.part) if info and info.part else b""
        except (KeyError, zipfile.BadZipFile, OSError):
            return  # calamine reports the missing or damaged part itself
        self._sheet_xml[sheet] = data  # the error-value scan reads the same bytes
        encoding = _not_utf8(data)
        if encoding is not None:  # calamine reads such a part as an empty sheet, without a word
            raise WorkbookReadError(
                _finding(
                    f"Bladet {sheet!r} är sparat med teckenkodningen {encoding}, som kommunbudget "
                    "inte läser (bladet skulle läsas som tomt). Öppna arbetsboken i Excel, spara "
                    "den på nytt och försök igen.",
                    workbook=self.path.name,
                    sheet=sheet,
                )
            )
        if _surely_small(data):
            return
        rows, cols = _sheet_extent(data)
        if rows * cols > MAX_SHEET_CELLS:
            area = f"{antal(rows, 'rad')} × {antal(cols, 'kolumn')}"
            raise WorkbookReadError(
                _finding(
                    f"Bladet {sheet!r} har innehåll utspritt ända till {cell_name(rows, cols)} "
                    f"({area}), mer än kommunbudget läser. Ta bort innehållet i celler långt "
                    "utanför tabellerna (Ctrl+End visar den sista använda cellen), spara och "
                    "försök igen.",
                    workbook=self.path.name,
                    sheet=sheet,
                    cell=cell_name(rows, cols),
                )
            )

    def merges(self, sheet: str) -> list[tuple[int, int, int, int]]:
        self._grid(sheet)
        return self._merges[sheet]

    def _error_cells(self, sheet: str) -> dict[tuple[int, int], str]:
        if sheet not in self._errors:
            data = self._sheet_xml.pop(sheet, None)
            if data is None:
                info = self.structure.sheet(sheet)
                data = self._zip.read(info.part) if info and info.part else b""
            # a formula, a quoted e (t="e") or an attribute value that may spell it (t="&#101;")
            # (from the end: a totals row's formula, the usual one, is found at once)
            hint = (data.rfind(b"<f") >= 0 or b":f" in data or b'"e"' in data or b"'e'" in data
                    or b'"&' in data or b"'&" in data)
            self._errors[sheet] = _scan_errors(data) if hint else {}
        return self._errors[sheet]

    def _convert(self, raw: object) -> Value:
        t = type(raw)
        if t is float:
            return _to_decimal(raw) if self.numbers == "decimal" else raw  # type: ignore[arg-type]
        if t is str:
            return raw if raw != "" else None  # type: ignore[return-value]
        if t is int and self.numbers == "decimal":
            return Decimal(raw)  # type: ignore[arg-type]
        return raw  # type: ignore[return-value]

    def cell(self, sheet: str, row: int, col: int) -> Cell:
        return Cell(sheet, cell_name(row, col), self._value(sheet, row, col), self.path.name)

    def _value(self, sheet: str, row: int, col: int) -> Value:
        err = self._error_cells(sheet).get((row, col))
        if err is not None:
            return CellError(err)
        grid = self._grid(sheet)
        if row - 1 < len(grid):
            line = grid[row - 1]
            if col - 1 < len(line):
                return self._convert(line[col - 1])
        return None

    def block(self, sheet: str, r1: int, c1: int, r2: int, c2: int) -> tuple[tuple[Cell, ...], ...]:
        """Cells of the rectangle, row-major (the hot path: one pass over calamine's grid)."""
        return tuple(self._rows_cells(sheet, c1, range(r1, r2 + 1),
                                      self._values(sheet, r1, c1, r2, c2)))

    def _cells(self, sheet: str, row: int, c1: int, values: list[Value]) -> tuple[Cell, ...]:
        """One row's Cells from its values (columns from ``c1``), built in C: no Python-level
        call per cell (a NamedTuple made by ``tuple.__new__``)."""
        return tuple(map(tuple.__new__, repeat(Cell), zip(
            repeat(sheet), _row_addresses(row, c1, c1 + len(values) - 1), values,
            repeat(self.path.name))))

    def _rows_cells(self, sheet: str, c1: int, rows: Sequence[int],
                    values: Sequence[list[Value]]) -> list[tuple[Cell, ...]]:
        """``[self._cells(sheet, r, c1, v) for r, v in zip(rows, values)]`` (rows of equally
        many values), every Cell of them made by one ``map`` (issue 17: no call per row); the
        rows are slices of them."""
        width = len(values[0]) if values else 0
        if not width or len(rows) != len(values) or set(map(len, values)) != {width}:
            return [self._cells(sheet, r, c1, v) for r, v in zip(rows, values, strict=True)]
        c2 = c1 + width - 1
        cells = tuple(map(tuple.__new__, repeat(Cell), zip(
            repeat(sheet), chain.from_iterable(map(_row_addresses, rows, repeat(c1), repeat(c2))),
            chain.from_iterable(values), repeat(self.path.name))))
        return [cells[i:i + width] for i in range(0, len(cells), width)]

    def _values(self, sheet: str, r1: int, c1: int, r2: int, c2: int) -> list[list[Value]]:
        """The values of the rectangle, row-major, as :meth:`cell` gives them (issue 17: all
        rows converted by one list comprehension when calamine's rows cover the rectangle, else
        each row by one; error cells patched in afterwards)."""
        grid = self._grid(sheet)
        errors = self._error_cells(sheet)
        by_row: dict[int, list[tuple[int, str]]] = {}
        for (r, c), code in errors.items():
            if r1 <= r <= r2 and c1 <= c <= c2:
                by_row.setdefault(r, []).append((c, code))
        width = c2 - c1 + 1
        n = len(grid)
        if r1 >= 1 and r2 <= n and r2 >= r1:  # every row within the grid: all of it at once
            segs = list(map(itemgetter(slice(c1 - 1, c2)), grid[r1 - 1:r2]))
            if set(map(len, segs)) == {width}:  # (else a short row: row by row, padded)
                flat = self._converted(chain.from_iterable(segs))
                out = [flat[i:i + width] for i in range(0, len(flat), width)]
                for r, cells in by_row.items():
                    vals = out[r - r1]
                    for c, code in cells:
                        vals[c - c1] = CellError(code)
                return out
        out = []
        for r in range(r1, r2 + 1):
            vals = self._converted(grid[r - 1][c1 - 1:c2] if r <= n else [])
            if len(vals) < width:
                vals.extend([None] * (width - len(vals)))
            for c, code in by_row.get(r, ()):
                vals[c - c1] = CellError(code)
            out.append(vals)
        return out

    def _converted(self, raw: Iterable[object]) -> list[Value]:
        """``[self._convert(x) for x in raw]``, with :meth:`_convert` inlined for floats and
        text (issue 17)."""
        convert = self._convert
        if self.numbers == "decimal":  # excel_decimal inlined
            dec = Decimal
            return [((dec(int(x)) if x.is_integer() else dec(format(x, ".15g")))
                     if type(x) is float
                     else (x or None) if type(x) is str else convert(x)) for x in raw]
        return [x if type(x) is float else (x or None) if type(x) is str else convert(x)
                for x in raw]

    def read_back(self, sheet: str) -> Callable[[int, int], Value]:
        """``get(row, col)`` → the value of that cell, as :meth:`cell` gives it, with the sheet
        loaded once (the writer's verification reads back every cell it wrote)."""
        grid = self._grid(sheet)
        errors = self._error_cells(sheet)
        convert = self._convert
        n = len(grid)

        def get(row: int, col: int) -> Value:
            if errors:
                err = errors.get((row, col))
                if err is not None:
                    return CellError(err)
            if row <= n:
                line = grid[row - 1]
                if col <= len(line):
                    return convert(line[col - 1])
            return None

        return get

    def read_back_grid(self, sheet: str) -> tuple[list[list[object]], dict[tuple[int, int], str]]:
        """calamine's rows of the sheet as it returns them (an empty cell is ``""``; numbers
        are floats, not converted) and the sheet's error cells: the writer's verification
        compares whole rows with what it wrote, and takes :meth:`read_back` where they differ."""
        return self._grid(sheet), self._error_cells(sheet)

    def release(self, sheet: str) -> None:
        """Forget the sheet's loaded grid (read again if asked for): the writer's verification
        reads several large sheets one after another."""
        self._grids.pop(sheet, None)
        self._merges.pop(sheet, None)

    def extent(self, sheet: str) -> tuple[int, int]:
        """(rows, columns) of the area that holds anything: every cell outside reads empty."""
        grid = self._grid(sheet)
        errors = self._error_cells(sheet)
        rows = max([len(grid), *(r for r, _ in errors)])
        cols = max([0, *(len(line) for line in grid), *(c for _, c in errors)])
        return rows, cols

    def values(self, sheet: str, addresses: Iterable[str]) -> dict[str, Value]:
        """Values of single cells by A1 address (used by the writer's read-back check)."""
        out = {}
        for a in addresses:
            r, c = parse_cell(a)
            out[a] = self._value(sheet, r, c)
        return out

    # tables --------------------------------------------------------------------------------
    def tables(self) -> list[TableInfo]:
        """Every table in the workbook, found through the sheets' relationships."""
        if self._tables is None:
            found = []
            for sh in self.structure.sheets:
                if not sh.part:
                    continue
                try:
                    rels = read_rels(self._zip, sh.part)
                except etree.XMLSyntaxError as e:
                    raise WorkbookReadError(
                        _finding(
                            f"Bladet {sh.name!r} har en skadad relationsdel "
                            f"({rels_path(sh.part)}: {e}), så bladets tabeller kan inte hittas. "
                            "Öppna arbetsboken i Excel, spara den på nytt och försök igen.",
                            workbook=self.path.name,
                            sheet=sh.name,
                        )
                    ) from None
                for rel in rels.values():
                    if rel.type != "table" or rel.external:
                        continue
                    try:
                        root = parse_xml(self._zip.read(rel.target))
                    except (KeyError, etree.XMLSyntaxError):
                        continue
                    cols = tuple(
                        c.get("name", "")
                        for tc in root
                        if local(tc.tag) == "tableColumns"
                        for c in tc
                        if local(c.tag) == "tableColumn"
                    )
                    found.append(
                        TableInfo(
                            name=root.get("name", ""),
                            display_name=root.get("displayName", root.get("name", "")),
                            sheet=sh.name,
                            part=rel.target,
                            ref=root.get("ref", ""),
                            header_row_count=_count(root.get("headerRowCount", "1")),
                            totals_row_count=_count(root.get("totalsRowCount", "0")),
                            column_names=cols,
                        )
                    )
            self._tables = found
        return list(self._tables)

    def find_table(self, name: str) -> TableInfo | None:
        folded = name.casefold()  # table names are case-insensitive in Excel
        for t in self.tables():
            if t.display_name.casefold() == folded:
                return t
        for t in self.tables():
            if t.name.casefold() == folded:
                return t
        return None

    def table(
        self,
        name: str,
        headers: Sequence[str] = (),
        *,
        skip_blank_rows: bool = True,
    ) -> TableResult:
        """Read table ``name``; each of ``headers`` must exist (other columns are read too and
        may be looked up with ``row.get``). Findings, not errors; the table is returned even when
        a header is missing, so the caller can go on with what is there."""
        wbname = self.path.name
        info = self.find_table(name)
        if info is None:
            known = ", ".join(sorted(t.display_name for t in self.tables())) or "inga"
            return TableResult(
                None,
                (
                    _finding(
                        f"Tabellen {name!r} saknas i arbetsboken (tabeller som finns: {known}). "
                        "Återställ tabellen från mallen (kommunbudget new) eller byt tillbaka "
                        "tabellnamnet under Tabelldesign → Tabellnamn.",
                        workbook=wbname,
                        table=name,
                    ),
                ),
            )
        findings: list[Finding] = []
        sheet = info.sheet
        try:
            r1, c1, r2, c2 = parse_range(info.ref)
        except ValueError:
            return TableResult(
                None,
                (
                    _finding(
                        f"Tabellen {name!r} har ett ogiltigt område ({info.ref!r}). Återställ "
                        "tabellen från mallen.",
                        workbook=wbname,
                        sheet=sheet,
                        table=name,
                    ),
                ),
            )
        if info.header_row_count < 0 or info.totals_row_count < 0:
            return TableResult(
                None,
                (
                    _finding(
                        f"Tabellen {name!r} är skadad (ogiltigt antal rubrik- eller summarader i "
                        "tabelldefinitionen). Återställ tabellen från mallen.",
                        workbook=wbname,
                        sheet=sheet,
                        table=name,
                    ),
                ),
            )
        if info.header_row_count < 1:
            return TableResult(
                None,
                (
                    _finding(
                        f"Tabellen {name!r} har ingen rubrikrad. Slå på Rubrikrad under "
                        "Tabelldesign så att kolumnerna kan hittas via rubrikerna.",
                        workbook=wbname,
                        sheet=sheet,
                        cell=range_name(r1, c1, r1, c2),
                        table=name,
                    ),
                ),
            )
        header_cells = self.block(sheet, r1, c1, r1, c2)[0]
        headers_text: list[str] = []
        for i, hc in enumerate(header_cells):
            v = hc.value
            if v is None and i < len(info.column_names):
                # An empty header cell inside a table: use the name the table part declares.
                headers_text.append("")
            elif isinstance(v, Decimal | float | int) and not isinstance(v, bool):
                # a numeric header (e.g. a year) → "2025", whatever the number type
                headers_text.append(str(_to_decimal(float(v))) if isinstance(v, float) else str(v))
            else:
                headers_text.append("" if v is None else str(v))

        # merged header cells
        for m in self.merges(sheet):
            mr1, mc1, mr2, mc2 = m
            if mr1 <= r1 <= mr2 and not (mc2 < c1 or mc1 > c2):
                findings.append(
                    _finding(
                        f"Rubrikraden i tabellen {name!r} har sammanfogade celler "
                        f"({range_name(*m)}). Dela upp cellerna (Start → Koppla och centrera → "
                        "Dela upp celler) och ge varje kolumn en egen rubrik.",
                        workbook=wbname,
                        sheet=sheet,
                        cell=range_name(*m),
                        table=name,
                    )
                )
            elif r1 < mr2 and mr1 <= r2 and not (mc2 < c1 or mc1 > c2):
                # (Excel does not merge inside a table; other tools do) the merged cells but
                # the first read as empty: a value there would be a blank without a word
                findings.append(
                    _finding(
                        f"Tabellen {name!r} har sammanfogade celler ({range_name(*m)}): bara den "
                        "första cellen har ett värde, de andra läses som tomma. Dela upp "
                        "cellerna (Start → Koppla och centrera → Dela upp celler) och skriv "
                        "värdet i varje cell.",
                        workbook=wbname,
                        sheet=sheet,
                        cell=range_name(*m),
                        table=name,
                    )
                )

        index: dict[str, int] = {}
        unnamed = 0
        for i, h in enumerate(headers_text):
            key = _norm(h)
            if not key:
                unnamed += 1
                if unnamed <= 5:  # a table spanning to column XFD: 5 findings and a summary
                    findings.append(
                        _finding(
                            f"Tabellen {name!r} har en kolumn utan rubrik. Skriv en rubrik i "
                            "cellen eller ta bort kolumnen.",
                            workbook=wbname,
                            sheet=sheet,
                            cell=header_cells[i].address,
                            table=name,
                            severity=Severity.WARNING,
                        )
                    )
                continue
            if key in index:
                first = header_cells[index[key]].address
                findings.append(
                    _finding(
                        f"Rubriken {h.strip()!r} finns två gånger i tabellen {name!r} ({first} "
                        f"och {header_cells[i].address}). Byt namn på eller ta bort den ena "
                        "kolumnen; den första används tills vidare.",
                        workbook=wbname,
                        sheet=sheet,
                        cell=header_cells[i].address,
                        table=name,
                    )
                )
                continue
            index[key] = i

        if unnamed > 5:
            findings.append(
                _finding(
                    f"Tabellen {name!r} har {antal(unnamed - 5, 'kolumn')} till utan rubrik (området "
                    f"{info.ref}). Ändra tabellens storlek (Tabelldesign → Ändra tabellstorlek) "
                    "eller ge kolumnerna rubriker.",
                    workbook=wbname,
                    sheet=sheet,
                    table=name,
                    severity=Severity.WARNING,
                )
            )

        for h in headers:
            if _norm(h) not in index:
                findings.append(
                    _finding(
                        f"Kolumnen {h!r} saknas i tabellen {name!r} (rubrikrad "
                        f"{range_name(r1, c1, r1, c2)}). Lägg till en kolumn med exakt den "
                        "rubriken, eller rätta en felstavad rubrik.",
                        workbook=wbname,
                        sheet=sheet,
                        cell=range_name(r1, c1, r1, c2),
                        table=name,
                    )
                )

        first_data = r1 + info.header_row_count
        last_data = r2 - info.totals_row_count
        if skip_blank_rows:  # rows below the sheet's last used row are blank: never built
            last_data = min(last_data, len(self._grid(sheet)))
        if (last_data - first_data + 1) * (c2 - c1 + 1) > MAX_SHEET_CELLS:
            findings.append(
                _finding(
                    f"Tabellen {name!r} täcker ett orimligt stort område ({info.ref}). Ändra "
                    "tabellens storlek (Tabelldesign → Ändra tabellstorlek) så att den bara "
                    "omfattar rubrikraden och raderna med data.",
                    workbook=wbname,
                    sheet=sheet,
                    table=name,
                )
            )
            return TableResult(None, tuple(findings))
        kept: list[int] = []
        kept_values: list[list[Value]] = []
        for r, vals in zip(
            range(first_data, last_data + 1),
            self._values(sheet, first_data, c1, last_data, c2) if last_data >= first_data else (),
            strict=False,
        ):
            if skip_blank_rows and _blank_values(vals):  # TableRow.is_blank, before any Cell
                continue
            kept.append(r)
            kept_values.append(vals)
        rows = _table_rows(kept, self._rows_cells(sheet, c1, kept, kept_values), index)
        stray = self._below_table(info, r2, c1, c2) if info.totals_row_count else None
        if stray is not None:
            findings.append(stray)
        table = Table(
            name=info.display_name,
            sheet=sheet,
            ref=info.ref,
            headers=tuple(headers_text),
            header_cells=header_cells,
            rows=tuple(rows),
            _index=index,
        )
        return TableResult(table, tuple(findings))

    def _below_table(self, info: TableInfo, r2: int, c1: int, c2: int) -> Finding | None:
        """:func:`below_table_finding` for the rows of the sheet below the table."""
        grid = self._grid(info.sheet)
        last = min(len(grid), r2 + BELOW_TABLE_ROWS)
        if last <= r2:
            return None
        others = [parse_range(t.ref) for t in self.tables()
                  if t.sheet == info.sheet and t.part != info.part and _valid_range(t.ref)]
        return below_table_finding(
            self._values(info.sheet, r2 + 1, c1, last, c2), r2 + 1, c1,
            table=info.display_name, sheet=info.sheet, workbook=self.path.name,
            totals=info.totals_row_count > 0,
            stop=lambda r: any(a <= r <= b and c <= c2 and d >= c1 for a, c, b, d in others))

    # ranges --------------------------------------------------------------------------------
    def range(self, sheet: str, ref: str) -> RangeResult:
        """A plain rectangular range ``ref`` on ``sheet``."""
        info = self.structure.sheet(sheet)
        if info is None or info.kind != "worksheet":
            return RangeResult(
                None,
                None,
                None,
                (
                    _finding(
                        f"Bladet {sheet!r} saknas i arbetsboken. Återställ bladet från mallen "
                        "eller byt tillbaka dess namn.",
                        workbook=self.path.name,
                        sheet=sheet,
                    ),
                ),
            )
        r1, c1, r2, c2 = parse_range(ref)
        return RangeResult(info.name, range_name(r1, c1, r2, c2),
                           self.block(info.name, r1, c1, r2, c2), ())

    def percent_formatted(self, sheet: str, addresses: Iterable[str]) -> dict[str, bool | None]:
        """Whether each cell of ``addresses`` on ``sheet`` has a number format that shows
        percent: Excel stores "10 %" typed into a cell as 0.1 with such a format (built-in 9 or
        10, or a custom code with "%"; :func:`is_percent_format`). None where it cannot be
        known (no such cell element, a style index beyond the workbook's styles, an unreadable
        part). calamine gives no formats, so this reads the sheet part and styles.xml: meant
        for a few cells (the settings read as percent), never for every cell of a read."""
        wanted = {a.replace("$", "").upper() for a in addresses}
        out: dict[str, bool | None] = dict.fromkeys(wanted)
        info = self.structure.sheet(sheet)
        if not wanted or info is None or not info.part:
            return out
        try:
            root = parse_xml(self._zip.read(info.part))
            styles = next((r.target for r in read_rels(self._zip, self.structure.workbook_part)
                           .values() if r.type == "styles" and not r.external), None)
            xfs = _percent_styles(self._zip.read(styles) if styles else None)
        except (KeyError, etree.XMLSyntaxError, OSError, ValueError, zipfile.BadZipFile):
            return out
        data = next((el for el in root if local(el.tag) == "sheetData"), None)
        row_no = 0
        for row in data if data is not None else ():
            if local(row.tag) != "row":
                continue
            r = row.get("r", "")
            row_no = int(r) if r.isdigit() else row_no + 1
            col = 0
            for c in row:
                if local(c.tag) != "c":
                    continue
                ref = (c.get("r") or "").upper()
                try:
                    col = parse_cell(ref)[1] if ref else col + 1
                except ValueError:
                    col = col + 1
                name = cell_name(row_no, col)
                if name in wanted:
                    s = c.get("s", "0")
                    index = int(s) if s.isdigit() else -1
                    if 0 <= index < len(xfs):
                        out[name] = xfs[index]
                    elif index == 0 or styles is None:  # no styles: every cell is General
                        out[name] = False
        return out

    def named_range(self, name: str) -> RangeResult:
        """The range a defined name refers to (workbook-level first, then sheet-level)."""
        wbname = self.path.name
        folded = name.casefold()
        matches = [d for d in self.structure.defined_names if d.name.casefold() == folded]
        matches.sort(key=lambda d: d.local_sheet is not None)
        if not matches:
            return RangeResult(
                None,
                None,
                None,
                (
                    _finding(
                        f"Namnet {name!r} saknas i arbetsboken. Återställ det under Formler → "
                        "Namnhanteraren.",
                        workbook=wbname,
                    ),
                ),
            )
        text = matches[0].text.strip().lstrip("=")
        parsed = _parse_sheet_ref(text)
        if parsed is None:
            return RangeResult(
                None,
                None,
                None,
                (
                    _finding(
                        f"Namnet {name!r} pekar inte på ett enkelt cellområde ({text!r}). Låt det "
                        "peka på ett sammanhängande område, t.ex. Blad1!$B$2:$B$9, under Formler "
                        "→ Namnhanteraren.",
                        workbook=wbname,
                    ),
                ),
            )
        sheet, ref = parsed
        return self.range(sheet, ref)


#: Excel's built-in number formats that show a number as percent (0 %, 0,00 %); a workbook
#: lists only its custom formats (id 164 on) in styles.xml
PERCENT_BUILTIN_FORMATS = frozenset({9, 10})
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|[_*].|\[[^\]]*\]')


def is_percent_format(code: str | None) -> bool:
    r"""Does a number format code show a positive number as percent (× 100 with "%")? A "%"
    in its first section outside quoted text, escapes (``\%``), fill or space characters and
    brackets (``[Red]``, ``[$-41D]``) does, as Excel reads the code: ``0%``, ``0.0 %``,
    ``#,##0.00%;[Red]-0%`` yes; ``0 "%"``, ``0\%``, ``General`` no."""
    if not code:
        return False
    return "%" in _FORMAT_LITERALS.sub("", code).split(";", 1)[0]


def _percent_styles(styles_xml: bytes | None) -> list[bool]:
    """Per cell style (``cellXfs``, the index a cell's ``s`` gives), whether its number format
    shows percent (:func:`is_percent_format`, built-ins 9 and 10)."""
    if styles_xml is None:
        return []
    root = parse_xml(styles_xml)
    custom: dict[int, str] = {}
    xfs: list[bool] = []
    for el in root:
        tag = local(el.tag)
        if tag == "numFmts":
            for nf in el:
                if local(nf.tag) == "numFmt" and (nf.get("numFmtId") or "").isdigit():
                    custom[int(nf.get("numFmtId", ""))] = nf.get("formatCode", "")
        elif tag == "cellXfs":
            for xf in el:
                if local(xf.tag) != "xf":
                    continue
                num = xf.get("numFmtId", "0")
                fid = int(num) if num.isdigit() else 0
                xfs.append(fid in PERCENT_BUILTIN_FORMATS if fid not in custom
                           else is_percent_format(custom[fid]))
    return xfs


def _parse_sheet_ref(text: str) -> tuple[str, str] | None:
    """``'Min flik'!$A$1:$B$2`` → (sheet, ref); None for #REF!, several areas, formulas."""
    if "#REF!" in text.upper() or "," in text.replace("''", ""):
        return None
    m = re.fullmatch(r"(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)",
                     text)
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") if m.group(1) else (m.group(2) or "")
    return sheet, m.group(3).replace("$", "")


def _calamine_failure(e: BaseException) -> bool:
    """An exception of calamine reading a sheet: its own error types, or a panic in its Rust
    code (pyo3's PanicException derives from BaseException); not KeyboardInterrupt or
    SystemExit."""
    return isinstance(e, Exception) or type(e).__name__ == "PanicException"


def _load_sheet(
    cal: python_calamine.CalamineWorkbook, sheet: str
) -> tuple[list[list[object]], list[tuple[int, int, int, int]]]:
    """calamine's rows of ``sheet`` and its merged ranges (1-based, inclusive)."""
    cs = cal.get_sheet_by_name(sheet)
    grid = cs.to_python(skip_empty_area=False)
    merges = [(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in cs.merged_cell_ranges or []]
    return grid, merges


#: The error values calamine reads (0.8 – 0.9: as an empty cell). Any other makes it refuse the
#: whole sheet.
CALAMINE_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})
_EMPTY_SHEET = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData/></worksheet>")
_ERROR_VALUES = etree.XPath(
    "//*[local-name()='c'][@t='e']/*[local-name()='v'][string()]")


def _with_known_errors(sheet_xml: bytes) -> bytes | None:
    """The worksheet part with every error value calamine does not read (:data:`CALAMINE_ERRORS`)
    replaced by ``#N/A``; None when it has none (or is not well-formed XML). Only the error
    cells' values are visited (an XPath in libxml2), not every cell."""
    try:
        root = etree.fromstring(sheet_xml, parser=safe_xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    changed = False
    for v in _ERROR_VALUES(root):
        if v.text not in CALAMINE_ERRORS:
            v.text = "#N/A"
            changed = True
    if not changed:
        return None
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _scan_errors(sheet_xml: bytes) -> dict[tuple[int, int], str]:
    """:func:`_scan_errors_full`, through the fastest scan whose assumptions hold: the byte scan
    (:func:`_scan_errors_bytes`), else the lxml scan of the ``<c>`` elements when every cell
    names its own position (:func:`_scan_errors_by_ref`), else the full scan."""
    found = _scan_errors_bytes(sheet_xml)
    if found is None:
        found = _scan_errors_by_ref(sheet_xml)
    return found if found is not None else _scan_errors_full(sheet_xml)


# The byte scan (issue 17). A worksheet part as Excel, openpyxl, XlsxWriter and our writer
# write it: one unprefixed <sheetData> holding every <row> and <c>; a cell's children in schema
# order (f, v, is); no comments, CDATA, DTD or processing instructions; no '>' in text or in an
# attribute value, no entity reference starting an attribute value. Then the cells that matter
# are found by what is rare in the bytes (each <f, each "e" inside a cell's tag), with C-speed
# searches, and each one is read exactly. Anything else makes the byte scan decline (None) and
# lxml decide.
_MARKUP_DECL = re.compile(rb"<[!?]")  # <!-- -->, <![CDATA[, <!DOCTYPE, <?pi?>: one search
_SD_START = re.compile(rb"<sheetData(?:\s[^>]*)?>")
#: a prefixed cell, row, formula or value element (x:c): searched from the rare ':' (formulas'
#: ranges, attribute names), not from every '<'
_PREFIXED_TAG = re.compile(rb":(?:c|row|f|v)[\s/>]")
_ROW_OR_CELL_TAG = re.compile(rb"<(?:[^\s<>/:!?]+:)?(?:c|row)[\s/>]")
_F_TAG = re.compile(rb"<f[\s/>]")
_ENTITY_VALUE = re.compile(rb"""=\s*["']&""")
_QUOTED_E = re.compile(rb'"e"')
_QUOTED_E1 = re.compile(rb"'e'")
_CELL_START = re.compile(rb"<c(\s[^>]*?)?(/?)>")
_ATTR = re.compile(rb"""([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_V_IS_END = (rb"\s*(?:<v(?:\s[^>]*?)?(?:/>|>([^<]*)</v>))?"  # the cached value
             rb"\s*(?:<is(?:\s[^>]*?)?(?:/>|>.*?</is>))?\s*</c>")  # an inline string, the end
_F_THEN_V = re.compile(rb"\s*<f(?:\s[^>]*?)?(?:/>|>[^<]*</f>)" + _V_IS_END, re.DOTALL)
_V_ONLY = re.compile(_V_IS_END, re.DOTALL)
_ROW_START = re.compile(rb"<row(\s[^>]*?)?/?>")
_XML_DECL = re.compile(rb"""<\?xml(?:\s[^>?]*?encoding\s*=\s*["']([^"']*)["'])?[^>?]*\?>""")


def _attrs(text: bytes | None) -> dict[bytes, bytes]:
    return {m[0]: m[1] or m[2] for m in _ATTR.findall(text or b"")}


#: '&' right after a quote looked for one '&' at a time (a memchr each) up to this many times,
#: then by the regular expression alone
_AMP_LOOKS = 2048


def _quote_before_amp(sd: bytes) -> bool:
    """Whether ``sd`` holds ``"&`` or ``'&``, which every match of :data:`_ENTITY_VALUE` ends
    with (issue 17: the '&' of character references in text are few, the '=' the expression
    starts from are several per cell). True when unsure (very many '&'): the caller then
    searches."""
    i = sd.find(b"&")
    for _ in range(_AMP_LOOKS):
        if i < 0:
            return False
        if i and sd[i - 1] in b"\"'":
            return True
        i = sd.find(b"&", i + 1)
    return i >= 0


def _entity_in_attribute(sd: bytes) -> bool:
    """Whether an attribute value in ``sd`` starts with an entity or character reference (a
    one-character value such as ``t="&#101;"``, which is "e"). Needs every '>' to end a tag."""
    if not _quote_before_amp(sd):
        return False  # no match can exist: each ends with a quote and the '&'
    for m in _ENTITY_VALUE.finditer(sd):
        if sd.rfind(b"<", 0, m.start()) > sd.rfind(b">", 0, m.start()):
            return True
    return False


def _has_markup_decl(data: bytes) -> bool:
    """Whether :data:`_MARKUP_DECL` is found in ``data``; first two memchr searches for its
    rare second bytes '!' and '?' (issue 17: the expression stops at every '<')."""
    if data.find(b"!") < 0 and data.find(b"?") < 0:
        return False
    return _MARKUP_DECL.search(data) is not None


def _scan_errors_bytes(sheet_xml: bytes) -> dict[tuple[int, int], str] | None:
    """What :func:`_scan_errors_full` finds, found by searches over the bytes; None (nothing
    decided) whenever the part is not in the plain shape the searches assume."""
    data = sheet_xml[3:] if sheet_xml.startswith(b"\xef\xbb\xbf") else sheet_xml
    if data.startswith(b"<?"):
        decl = _XML_DECL.match(data)
        if decl is None or (decl.group(1) or b"utf-8").lower() not in (b"utf-8", b"utf8"):
            return None
        data = data[decl.end():]
    if _has_markup_decl(data) or not data.lstrip().startswith(b"<"):
        return None  # comments, CDATA, a DTD, processing instructions; another encoding
    start = _SD_START.search(data)
    if start is None:
        return None
    end = data.find(b"</sheetData>", start.end())
    if end < 0:  # (a second <sheetData> after this one holds cells: the search after `end`)
        return None
    sd = data[start.end():end]
    if (sd.count(b"<") != sd.count(b">")  # a '>' in text or in an attribute value
            or _entity_in_attribute(sd)  # maybe t="&#101;"
            or _PREFIXED_TAG.search(sd) is not None
            or _ROW_OR_CELL_TAG.search(data, 0, start.start()) is not None
            or _ROW_OR_CELL_TAG.search(data, end) is not None):
        return None
    # every cell that matters, by the position of its start tag: True for a formula cell
    cells: dict[int, bool] = {}
    for m in _F_TAG.finditer(sd):
        i = sd.rfind(b"<c", 0, m.start())
        tag = _CELL_START.match(sd, i) if i >= 0 else None
        if tag is None or tag.group(2) or sd[tag.end():m.start()].strip() or i in cells:
            return None  # a formula that is not the first child of a cell
        cells[i] = True
    for quoted in (_QUOTED_E, _QUOTED_E1):  # two literal searches: faster than one alternation
        for m in quoted.finditer(sd):
            i = sd.rfind(b"<", 0, m.start())
            tag = _CELL_START.match(sd, i)
            if tag is not None and tag.end() > m.start():  # inside a cell's start tag
                cells.setdefault(i, False)
    out: dict[tuple[int, int], str] = {}
    row_at = -1
    row = 0
    for i in sorted(cells):
        tag = _CELL_START.match(sd, i)
        attrs = _attrs(tag.group(1))
        ref = attrs.get(b"r")
        if not ref:
            return None  # the position is counted on from the previous cell
        try:
            col = parse_cell(ref.decode("ascii"))[1]
        except (ValueError, UnicodeDecodeError):
            return None
        r_at = sd.rfind(b"<row", 0, i)
        if r_at != row_at:
            rm = _ROW_START.match(sd, r_at) if r_at >= 0 else None
            r = _attrs(rm.group(1)).get(b"r") if rm is not None else None
            if r is None or not r.isdigit():
                return None
            row_at, row = r_at, int(r)
        t = attrs.get(b"t")
        is_formula = cells[i]
        if t != b"e" and (not is_formula or t in (b"str", b"inlineStr")):
            continue
        if tag.group(2):  # <c r="A1" t="e"/>
            v: bytes | None = None
        else:
            content = (_F_THEN_V if is_formula else _V_ONLY).match(sd, tag.end())
            if content is None:
                return None  # other children, or in another order: lxml decides
            v = content.group(1)
            if v and (b"&" in v or b"\r" in v):
                return None
        try:
            text = v.decode("utf-8") if v else None
        except UnicodeDecodeError:
            return None  # not UTF-8 after all: lxml decides (and says what is wrong)
        if t == b"e":
            out[(row, col)] = (text or "#N/A").strip()
        elif text is None or not text.strip():  # a formula never computed: not a blank
            out[(row, col)] = NO_CACHED_VALUE
    return out


def _scan_errors_by_ref(sheet_xml: bytes) -> dict[tuple[int, int], str] | None:
    """What :func:`_scan_errors_full` finds, visiting only the ``<c>`` elements (issue 17: one
    parser event per cell instead of several). None, and nothing decided, as soon as a cell
    has no ``r``, or a row has none, or they disagree: then only the full scan counts right."""
    out: dict[tuple[int, int], str] = {}
    for _, el in etree.iterparse(
        _BytesReader(sheet_xml),
        events=("end",),
        tag="{*}c",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    ):
        parent = el.getparent()
        a = el.get("r")
        r = parent.get("r") if parent is not None else None
        if not a or not r or not r.isdigit() or local(parent.tag) != "row":
            return None
        try:
            row, col = parse_cell(a)
        except ValueError:
            return None
        if row != int(r):
            return None
        t = el.get("t")
        if t == "e":
            v = next((x.text for x in el if local(x.tag) == "v"), None)
            out[(row, col)] = (v or "#N/A").strip()
        elif t not in ("str", "inlineStr") and any(local(x.tag) == "f" for x in el):
            v = next((x.text for x in el if local(x.tag) == "v"), None)
            if v is None or not v.strip():  # a formula never computed: not a blank
                out[(row, col)] = NO_CACHED_VALUE
        el.clear()
    return out


def _scan_errors_full(sheet_xml: bytes) -> dict[tuple[int, int], str]:
    """Cells with ``t="e"`` in a worksheet part: (row, col) → error code; formula cells without a
    cached value → :data:`NO_CACHED_VALUE` (read as that pseudo error, never as a blank). Handles
    implicit row/cell positions (``r`` is optional in the schema)."""
    out: dict[tuple[int, int], str] = {}
    row = 0
    col = 0
    for event, el in etree.iterparse(
        _BytesReader(sheet_xml),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    ):
        tag = local(el.tag)
        if event == "start":
            if tag == "row":
                r = el.get("r")
                row = int(r) if r and r.isdigit() else row + 1  # a damaged r counts on
                col = 0
            elif tag == "c":
                a = el.get("r")
                try:
                    col = parse_cell(a)[1] if a else col + 1
                except ValueError:
                    col += 1
            continue
        if tag == "c":
            if el.get("t") == "e":
                v = next((x.text for x in el if local(x.tag) == "v"), None)
                out[(row, col)] = (v or "#N/A").strip()
            elif el.get("t") not in ("str", "inlineStr") and any(
                    local(x.tag) == "f" for x in el):
                v = next((x.text for x in el if local(x.tag) == "v"), None)
                if v is None or not v.strip():  # a formula never computed: not a blank
                    out[(row, col)] = NO_CACHED_VALUE
            el.clear()
        elif tag == "row":
            el.clear()
    return out


MAX_SHEET_CELLS = 2_000_000
"""Largest sheet area (rows × columns, from A1 to the last cell with content) the reader loads:
calamine holds a sheet densely, about 100 bytes per cell with the Python grid; the templates'
sheets are a few thousand cells."""

_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c)(\s[^>]*?)?(/?)>")
_R_ATTR_RE = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")


_C_REF_RE = re.compile(rb'<c r="([A-Za-z]{1,3})([0-9]{1,7})"')
_CELL_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?c[\s/>]")


#: a cell tag that is not ``<c r="X9999"`` or smaller: ``<c>``, ``<c/>``, ``<c\tr=…>``, a
#: ``<c `` whose first attribute is not ``r="``, or a reference beyond Z9999 (row 0 is no row)
_NOT_SMALL_CELL = re.compile(rb'<c(?:[>/\t\n\r]| (?!r="[A-Za-z][1-9][0-9]{0,3}"))')
_PREFIXED_CELL_TAG = re.compile(rb":c[\s/>]")


_BOMS = ((b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"), (b"\xff\xfe", "UTF-16"),
         (b"\xfe\xff", "UTF-16"), (b"<\x00", "UTF-16"), (b"\x00<", "UTF-16"))
_DECLARED = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


def _not_utf8(part: bytes) -> str | None:
    """"UTF-16" or "UTF-32" for an XML part in a two- or four-byte encoding (by its byte order
    mark, its first bytes or its declaration), which calamine reads as an empty sheet; else None
    (UTF-8, what Excel writes, and single-byte encodings such as ISO-8859-1, which calamine
    reads)."""
    for bom, name in _BOMS:
        if part.startswith(bom):
            return name
    head = part[3:200] if part.startswith(b"\xef\xbb\xbf") else part[:200]
    m = _DECLARED.match(head)
    declared = m.group(1).upper().replace(b"-", b"") if m is not None else b""
    if declared.startswith((b"UTF16", b"UTF32", b"UCS")):
        return m.group(1).decode("ascii", "replace")  # type: ignore[union-attr]
    return None


def _surely_small(sheet_xml: bytes) -> bool:
    """True when every cell of the part is written ``<c r="X9999"`` or smaller (position first,
    one column letter, at most four row digits): then no cell lies beyond Z9999, and the sheet
    is at most 26 × 9,999 cells, far below :data:`MAX_SHEET_CELLS`, whatever else the part
    holds (issue 17: a few searches in C instead of collecting every reference). False decides
    nothing: :func:`_sheet_extent` then measures."""
    return (_NOT_SMALL_CELL.search(sheet_xml) is None  # one pass over the "<c" (issue 17)
            and _PREFIXED_CELL_TAG.search(sheet_xml) is None)  # <x:c …>


#: :func:`_sheet_extent` scans a part in pieces of about this many bytes (cut before a ``<``,
#: where no pattern it counts can be cut in two)
EXTENT_CHUNK = 1 << 20
_CELL_TAGS = (b"<c ", b"<c>", b"<c/>", b"<c\t", b"<c\n", b"<c\r")


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    """``data`` in consecutive pieces of at least ``size`` bytes (the last may be shorter),
    each cut just before a ``<``."""
    start, n = 0, len(data)
    while start < n:
        end = data.find(b"<", start + size) if start + size < n else -1
        end = n if end < 0 else end
        yield data[start:end]
        start = end


def _sheet_extent(sheet_xml: bytes, chunk: int = EXTENT_CHUNK) -> tuple[int, int]:
    """(last row, last column) of the cells with content in a worksheet part (no tree).

    Fast path (about 0.15 s for 20,000 rows × 6 columns): when every cell has its own ``r``
    (what Excel, openpyxl and XlsxWriter write), the largest reference, empty formatted cells
    included; only when that is over the limit, or positions are implicit, the exact scan.
    The part is scanned in pieces of ``chunk`` bytes: the references of a whole part found at
    once were a tuple and two bytes objects per cell (25 MB for the municipality's largest
    sheet of the large size, read back after its write at the run's memory peak, issue 17)."""
    prefixed = b":c" in sheet_xml  # maybe prefixed elements (x:c)
    refs = tags = last_row = 0
    last_letters = b""
    for piece in _pieces(sheet_xml, chunk):
        found = _C_REF_RE.findall(piece)  # <c r="..." first, as every writer we know writes it
        refs += len(found)
        if prefixed:
            tags += len(_CELL_TAG_RE.findall(piece))
        else:  # every cell tag: <c …>, <c>, <c/>, and a tab or line break after the name
            tags += sum(map(piece.count, _CELL_TAGS))
        if found:
            columns, rows = zip(*found, strict=True)  # distinct values first, in C (issue 17)
            last_row = max(last_row, *map(int, set(rows)))
            last_letters = max(last_letters, *map(bytes.upper, set(columns)),
                               key=lambda x: (len(x), x))
        del found
    if refs != tags:  # a cell whose position is not `<c r="` first: count them exactly
        return _sheet_extent_exact(sheet_xml)
    if not refs:
        return 0, 0
    last_col = col_number(last_letters.decode("ascii"))
    if last_row * last_col > MAX_SHEET_CELLS:
        return _sheet_extent_exact(sheet_xml)  # formatted empty cells may be all that is there
    return last_row, last_col


def _sheet_extent_exact(sheet_xml: bytes) -> tuple[int, int]:
    """:func:`_sheet_extent` with implicit row/cell positions counted as Excel does."""
    row = col = last_row = last_col = 0
    for m in _TAG_RE.finditer(sheet_xml):
        tag, attrs, empty = m.group(1), m.group(2) or b"", m.group(3)
        r = _R_ATTR_RE.search(attrs)
        if tag == b"row":
            row = int(r.group(1)) if r and r.group(1).isdigit() else row + 1
            col = 0
            continue
        cell_row = row
        try:
            cell_row, col = parse_cell(r.group(1).decode("ascii")) if r else (row, col + 1)
        except (ValueError, UnicodeDecodeError):
            col += 1
        if not empty:  # <c r="Z9" s="3"/>: formatting only, no value
            last_row, last_col = max(last_row, cell_row), max(last_col, col)
    return last_row, last_col


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = len(self._data) - self._pos
        chunk = self._data[self._pos : self._pos + n]
        self._pos += len(chunk)
        return chunk


def open_workbook(
    path: str | Path, *, numbers: Literal["decimal", "float"] = "decimal"
) -> WorkbookReader:
    """Open a workbook for reading. Raises :class:`WorkbookReadError` (with a finding) only."""
    return WorkbookReader(path, numbers=numbers)


def read_table(
    path: str | Path, name: str, headers: Sequence[str] = (), **kwargs: object
) -> TableResult:
    """One-shot: open, read table ``name``, close. A file that cannot be opened → findings."""
    try:
        with open_workbook(path) as wb:
            return wb.table(name, headers, **kwargs)  # type: ignore[arg-type]
    except WorkbookReadError as e:
        return TableResult(None, (e.finding,))


def iter_rows_as_dicts(table: Table) -> Iterator[dict[str, Value]]:
    """Rows as plain ``{header: value}`` dicts (for quick looks and tests)."""
    for r in table.rows:
        yield {h: c.value for h, c in zip(table.headers, r.cells, strict=True) if h}
