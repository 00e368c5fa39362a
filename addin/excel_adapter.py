"""The live-Excel adapter: read tables from, and write owned ranges into, an open xlwings Book.

Two small classes, the only place the buttons touch Excel:

* :class:`ExcelTableSource` — the loader's :class:`~workbook_templates.pipeline.loader.TableSource` over a
  live Book: a table (ListObject) by name from any sheet, columns by header, values as the file
  reader gives them (:class:`~workbook_templates.files.reader.Table` with :class:`Cell` values carrying
  sheet and A1 address; numbers as exact ``Decimal``; Excel errors as :class:`CellError`; findings,
  not exceptions, for a missing table or header — the same Swedish messages as the file reader).
* :class:`ExcelSink` — writes rows into an owned sheet: clear :data:`schema.OUTPUT_CLEAR`, then one
  block at :data:`schema.OUTPUT_ANCHOR`. Excel itself writes, so nothing else in the book changes.

xlwings calls used (and nothing else; ``tests/xlwings_double.py`` implements exactly these):
``book.fullname``, ``book.sheets`` (iteration), ``sheet.name``, ``sheet.tables`` (iteration),
``table.name``, ``table.show_headers``, ``table.show_totals``, ``table.range.address``,
``table.range.options(ndim=2, err_to_str=True).value``, ``sheet.range(a1).clear_contents()``,
``sheet.range(a1).value = rows``, ``sheet.range(ref).options(ndim=2, err_to_str=True).value``,
``sheet.used_range.address``, ``range.merge_area.address`` (the sink's check for a merged
range reaching into the output area), ``range.api.Value2`` (only where a cell formatted as currency
came as a four-decimal Decimal), ``sheet.range(a1).number_format`` (only the Värde cells of
tblRegler holding a number for a percent setting); on a protected owned sheet ``sheet.api.ProtectContents``,
``ProtectDrawingObjects``, ``ProtectScenarios``, ``Protection.Allow…``, ``Unprotect()`` and
``Protect(...)`` (Excel's COM). Tested through the double and through the installed xlwings'
own Windows code over faked COM objects (``tests/xlwings_excel.py``).

Differences from the file reader, by design: merged header cells cannot occur in a live table
(Excel refuses to merge cells inside a ListObject), so that check is not repeated here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from addin.excel_values import EXCEL_ERRORS, currency_as_doubles, from_com
from engine.findings import Finding, Location, Severity
from workbook_templates import schema as S
from workbook_templates.files.reader import (
    BELOW_TABLE_ROWS,
    Cell,
    CellError,
    RangeResult,
    Table,
    TableResult,
    TableRow,
    Value,
    _norm,
    _to_decimal,
    below_table_finding,
    cell_name,
    is_percent_format,
    parse_range,
    range_name,
)

__all__ = ["ExcelSink", "ExcelTableSource", "excel_value", "to_excel_rows", "typed_by_excel"]


def excel_value(raw: object) -> Value:
    """A value as xlwings hands it (float, str, bool, datetime, None, "#REF!") → the file
    reader's convention (Decimal, str, bool, date/datetime, None, CellError).

    Excel hands a cell's number as a double (COM's VT_R8, a ``float``) and an error as VT_ERROR,
    which pywin32 gives as its integer code: xlwings names only the seven classic errors, and
    ``#SPILL!``, ``#CALC!``, … arrive as integers such as -2146826243. An ``int`` is read by the
    UDFs' own conversion (:func:`addin.excel_values.from_com`): in the error range it is a
    :class:`CellError`, never an amount of two billion; any other stays a number.
    """
    if raw is None or isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        com = from_com(raw)  # an error value's code → its name (the missing marker → None)
        if not isinstance(com, int):
            return excel_value(com)
    if isinstance(raw, (int, float)):
        return _to_decimal(float(raw))
    if isinstance(raw, str):
        if raw in EXCEL_ERRORS:
            return CellError(raw)
        return raw if raw != "" else None
    if isinstance(raw, dt.datetime) and raw.time() == dt.time(0):
        return raw.date()  # the file reader (calamine) gives a date for a date-only cell
    return raw  # type: ignore[return-value]


def _values(rng: Any) -> list[list[object]]:
    """The values of an xlwings range as rows, a currency-formatted cell as its double (it
    comes through ``Range.Value`` as a four-decimal Decimal: :func:`currency_as_doubles`)."""
    grid = rng.options(ndim=2, err_to_str=True).value
    return currency_as_doubles(grid, lambda: rng.api.Value2)  # type: ignore[return-value]


def _v10(message: str, wb: str, *, sheet: str | None = None, cell: str | None = None,
         table: str | None = None, severity: Severity = Severity.ERROR) -> Finding:
    return Finding("V10", severity, message,
                   location=Location(workbook=wb, sheet=sheet, cell=cell, table=table))


class ExcelTableSource:
    """The loader's table source over a live ``xlwings.Book``."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.path = Path(book.fullname)

    def __enter__(self) -> ExcelTableSource:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _tables(self) -> list[tuple[Any, Any]]:
        return [(sheet, t) for sheet in self.book.sheets for t in sheet.tables]

    def table(self, name: str, headers: Sequence[str] = ()) -> TableResult:
        wb = self.path.name
        found = self._tables()
        match = next(((s, t) for s, t in found if t.name.casefold() == name.casefold()), None)
        if match is None:
            known = ", ".join(sorted(t.name for _, t in found)) or "inga"
            return TableResult(None, (_v10(
                f"Tabellen {name!r} saknas i arbetsboken (tabeller som finns: {known}). "
                "Återställ tabellen från mallen (kommunbudget new) eller byt tillbaka "
                "tabellnamnet under Tabelldesign → Tabellnamn.", wb, table=name),))
        sheet, t = match
        sname = sheet.name
        rng = t.range
        ref = rng.address.replace("$", "")
        r1, c1, r2, c2 = parse_range(ref)
        if not t.show_headers:
            return TableResult(None, (_v10(
                f"Tabellen {name!r} har ingen rubrikrad. Slå på Rubrikrad under "
                "Tabelldesign så att kolumnerna kan hittas via rubrikerna.", wb, sheet=sname,
                cell=range_name(r1, c1, r1, c2), table=name),))
        grid = _values(rng)
        cells = [tuple(Cell(sname, cell_name(r1 + i, c1 + j), excel_value(v), wb)
                       for j, v in enumerate(line)) for i, line in enumerate(grid)]
        header_cells = cells[0]
        findings: list[Finding] = []
        index: dict[str, int] = {}
        for i, hc in enumerate(header_cells):
            text = "" if hc.value is None else str(hc.value)
            key = _norm(text)
            if not key:
                findings.append(_v10(
                    f"Tabellen {name!r} har en kolumn utan rubrik. Skriv en rubrik i cellen "
                    "eller ta bort kolumnen.", wb, sheet=sname, cell=hc.address, table=name,
                    severity=Severity.WARNING))
            elif key in index:
                findings.append(_v10(
                    f"Rubriken {text.strip()!r} finns två gånger i tabellen {name!r} "
                    f"({header_cells[index[key]].address} och {hc.address}). Byt namn på eller "
                    "ta bort den ena kolumnen; den första används tills vidare.", wb,
                    sheet=sname, cell=hc.address, table=name))
            else:
                index[key] = i
        for h in headers:
            if _norm(h) not in index:
                findings.append(_v10(
                    f"Kolumnen {h!r} saknas i tabellen {name!r} (rubrikrad "
                    f"{range_name(r1, c1, r1, c2)}). Lägg till en kolumn med exakt den "
                    "rubriken, eller rätta en felstavad rubrik.", wb, sheet=sname,
                    cell=range_name(r1, c1, r1, c2), table=name))
        body = cells[1:len(cells) - (1 if t.show_totals else 0)]
        rows = tuple(TableRow(r1 + 1 + i, line, index) for i, line in enumerate(body))
        # content typed below a table with a totals row: never read, so never silent
        others = [parse_range(o.range.address.replace("$", "")) for o in sheet.tables
                  if o.name != t.name]
        last = min(r2 + BELOW_TABLE_ROWS, 1_048_576) if t.show_totals else r2  # (Excel's last)
        below = sheet.range(range_name(r2 + 1, c1, last, c2)).options(
            ndim=2, err_to_str=True).value if last > r2 else []
        stray = below_table_finding(
            [[excel_value(v) for v in line] for line in below], r2 + 1, c1, table=t.name,
            sheet=sname, workbook=wb, totals=bool(t.show_totals),
            stop=lambda r: any(a <= r <= b and c <= c2 and d >= c1 for a, c, b, d in others))
        if stray is not None:
            findings.append(stray)
        table = Table(name=t.name, sheet=sname, ref=ref,
                      headers=tuple("" if c.value is None else str(c.value) for c in header_cells),
                      header_cells=header_cells,
                      rows=tuple(r for r in rows if not r.is_blank), _index=index)
        return TableResult(table, tuple(findings))

    def percent_formatted(self, sheet: str, addresses: Sequence[str]) -> dict[str, bool | None]:
        """Whether each cell of ``addresses`` on ``sheet`` has a number format that shows
        percent (``Range.NumberFormat``, one call a cell: the loader asks only for the few
        settings read as percent); None where Excel gives no format."""
        s = self._sheet(sheet)
        out: dict[str, bool | None] = {}
        for a in addresses:
            code = s.range(a).number_format if s is not None else None
            out[a] = is_percent_format(code) if isinstance(code, str) else None
        return out

    # What the file reader offers besides tables, for the loader's optional parts: a table an
    # older workbook may lack, and the owned sheet Bokfört utfall (a sheet, not a table). Before
    # 2026-12 the live workbook had neither: a committee's own button ignored its imported
    # outturn without a word, and an older municipality workbook was "Ofullständig".

    def find_table(self, name: str) -> Any | None:
        """The table ``name`` (case-insensitive, as Excel names them), or None."""
        folded = name.casefold()
        return next((t for _s, t in self._tables() if t.name.casefold() == folded), None)

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def _sheet(self, name: str) -> Any | None:
        folded = name.casefold()
        return next((s for s in self.book.sheets if s.name.casefold() == folded), None)

    def used_rows(self, sheet: str) -> int:
        """The last used row of ``sheet`` (Excel's used range), 0 for a missing sheet."""
        s = self._sheet(sheet)
        if s is None:
            return 0
        return parse_range(s.used_range.address.replace("$", ""))[2]

    def range(self, sheet: str, ref: str) -> RangeResult:
        """A plain rectangular range ``ref`` on ``sheet``, as the file reader gives it."""
        s = self._sheet(sheet)
        wb = self.path.name
        if s is None:
            return RangeResult(None, None, None, (Finding(
                "V10", Severity.ERROR, f"Bladet {sheet!r} saknas i arbetsboken. Återställ "
                "bladet från mallen eller byt tillbaka dess namn.",
                location=Location(workbook=wb, sheet=sheet)),))
        r1, c1, r2, c2 = parse_range(ref)
        name = s.name
        grid = _values(s.range(range_name(r1, c1, r2, c2)))
        cells = tuple(tuple(Cell(name, cell_name(r1 + i, c1 + j), excel_value(v), wb)
                            for j, v in enumerate(line)) for i, line in enumerate(grid))
        return RangeResult(name, range_name(r1, c1, r2, c2), cells, ())


# Words Excel's data entry reads as part of a number, date or time (sv, fi, en): month names and
# their abbreviations, the exponent, AM/PM, the krona.
_DATE_WORDS = frozenset((
    "januari februari mars april maj juni juli augusti september oktober november december "
    "january february march may june july august october "
    "jan feb mar apr jun jul aug sep sept okt oct nov dec "
    "tammikuu helmikuu maaliskuu huhtikuu toukokuu kesäkuu heinäkuu elokuu syyskuu lokakuu "
    "marraskuu joulukuu tammi helmi maalis huhti touko kesä heinä elo syys loka marras joulu "
    "tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesäkuuta heinäkuuta elokuuta "
    "syyskuuta lokakuuta marraskuuta joulukuuta e am pm fm em kr").split())
_WORDS = re.compile(r"[^\W\d_]+")
_BOOLEAN_NAMES = frozenset(("true", "false", "sant", "falskt", "tosi", "epätosi"))


def typed_by_excel(text: str) -> bool:
    """Would Excel take ``text`` given to ``Range.Value`` as something else than that text?
    Excel reads a string as if it were typed (xlwings issue #1269): "4010" becomes a number,
    "2025-03-31" or "mars 2026" a date, "SANT" a boolean, "=…" a formula, "#N/A" an error,
    and a leading apostrophe is dropped. Conservative: anything with a digit whose words are
    all date words (any locale the tool is used in), a formula or sign first, a boolean name."""
    s = text.strip()
    if not s:
        return False
    if text[0] in "'=+-@#" or s[0] in "=+-@#" or s.casefold() in _BOOLEAN_NAMES:
        return True
    return any(c.isdigit() for c in s) and all(
        w.casefold() in _DATE_WORDS for w in _WORDS.findall(s))


def _excel_cell(v: object) -> object:
    if isinstance(v, Decimal):
        return float(v)  # never hand pywin32 a Decimal: it would become a 4-decimal Currency
    if isinstance(v, CellError):
        return str.__str__(v)  # written as the error value it is
    if v == "":
        return None  # Excel keeps no empty text either; the file reader reads "" as blank
    if isinstance(v, str) and typed_by_excel(v):
        return "'" + v  # the apostrophe keeps it text; it is not part of the cell's value
    return v


def to_excel_rows(rows: Sequence[Sequence[object]]) -> list[list[object]]:
    """Ragged rows → a rectangle (xlwings writes only rectangles), Decimal → float, None and ""
    blank, a text Excel would take for something else behind an apostrophe
    (:func:`typed_by_excel`)."""
    width = max((len(r) for r in rows), default=0)
    return [[_excel_cell(v) for v in r] + [None] * (width - len(r)) for r in rows]


_ALLOW = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows",
          "AllowInsertingColumns", "AllowInsertingRows", "AllowInsertingHyperlinks",
          "AllowDeletingColumns", "AllowDeletingRows", "AllowSorting", "AllowFiltering",
          "AllowUsingPivotTables")


def _protection(api: Any) -> dict[str, bool]:
    """The arguments of ``Worksheet.Protect`` that protect the sheet again as it is now."""
    p = api.Protection
    return {"DrawingObjects": bool(api.ProtectDrawingObjects),
            "Scenarios": bool(api.ProtectScenarios),
            **{name: bool(getattr(p, name)) for name in _ALLOW}}


class ExcelSink:
    """Writes the tool's rows into the owned sheets of a live ``xlwings.Book``.

    :meth:`check` first finds every sheet of a write that cannot be written, changing nothing
    (a missing sheet, one protected with a password, a merged range reaching into the output
    area from above, which Excel's ClearContents refuses); the buttons then write no figures
    at all, as the batch refuses the whole file (docs/DECISIONS.md, 2026-12). :meth:`write`
    writes sheet by sheet and Kontroll last, so Kontroll can list what failed on the way."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.written: list[str] = []  # the sheets written so far (for a message after a crash)

    def _where(self, name: str) -> Location:
        return Location(workbook=Path(self.book.fullname).name, sheet=name)

    def check(self, names: Sequence[str]) -> list[Finding]:
        """The findings for the sheets of ``names`` that cannot be written; nothing changes."""
        by_name = {s.name.casefold(): s for s in self.book.sheets}
        findings: list[Finding] = []
        for name in names:
            sheet = by_name.get(name.casefold())
            if sheet is None:
                findings.append(Finding(
                    "IN", Severity.ERROR, f"Utdatabladet {name!r} saknas (bytt namn eller "
                    "borttaget); byt tillbaka bladets namn eller återställ det från mallen "
                    "(kommunbudget new) och kör igen.", location=self._where(name)))
                continue
            api = sheet.api
            if api.ProtectContents:
                try:
                    again = _protection(api)
                    api.Unprotect()
                except Exception:  # noqa: BLE001 - a password set by the user: Excel refuses
                    findings.append(Finding(
                        "IN", Severity.ERROR,
                        f"Utdatabladet {name!r} är skyddat med lösenord och kan inte "
                        "uppdateras. Ta bort lösenordet (Granska → Ta bort skydd) och kör igen; "
                        "mallens skydd har inget lösenord.", location=self._where(name)))
                    continue
                api.Protect(**again)
            merged = _merged_into_output(sheet)
            if merged is not None:
                findings.append(Finding(
                    "IN", Severity.ERROR,
                    f"Utdatabladet {name!r} har sammanfogade celler ({merged}) som når in i "
                    f"verktygets område (från {S.OUTPUT_ANCHOR} och nedåt), så Excel låter inte "
                    "bladet skrivas om. Dela upp cellerna (Start → Sammanfoga och centrera → "
                    "Dela upp celler) och kör igen.",
                    location=Location(workbook=Path(self.book.fullname).name, sheet=name,
                                      cell=merged)))
        return findings

    def write(self, sheets: dict[str, list[list[object]]],
              kontroll: Callable[[list[Finding]], list[list[object]]] | None = None
              ) -> list[Finding]:
        """Write ``{sheet name: rows}`` sheet by sheet, then (``kontroll``) the Kontroll sheet
        with the rows made from the findings of those writes. A sheet that cannot be written
        is a finding naming it and the sheets written and not, never an exception; the others
        are still written (:meth:`check` before finds what can be found without writing)."""
        by_name = {s.name.casefold(): s for s in self.book.sheets}
        findings: list[Finding] = []
        failed: list[str] = []
        for name, rows in sheets.items():
            problem = self._write_one(by_name.get(name.casefold()), name, rows)
            if problem is None:
                self.written.append(name)
                continue
            failed.append(name)
            findings.append(Finding("IN", Severity.ERROR, f"Utdatabladet {name!r} kunde inte "
                                    f"skrivas ({problem}) och visar inte denna körnings "
                                    "resultat. Rätta bladet och kör igen.",
                                    location=self._where(name)))
        if failed and len(sheets) > 1:
            done = [n for n in sheets if n not in failed]
            findings.append(Finding(
                "IN", Severity.ERROR,
                f"Bara en del av resultaten skrevs. Skrevs: {', '.join(done) or 'inga'}; "
                f"skrevs inte (kan visa en tidigare körnings siffror): {', '.join(failed)}.",
                location=self._where(failed[0])))
        if kontroll is not None:
            problem = self._write_one(by_name.get("kontroll"), "Kontroll", kontroll(findings))
            if problem is None:
                self.written.append("Kontroll")
            else:
                findings.append(Finding("IN", Severity.ERROR, "Fliken Kontroll kunde inte "
                                        f"skrivas ({problem}).", location=self._where("Kontroll")))
        return findings

    @staticmethod
    def _write_one(sheet: Any, name: str, rows: list[list[object]]) -> str | None:
        """Clear and write one owned sheet; what went wrong, or None."""
        if sheet is None:
            return "bladet saknas"
        try:
            api = getattr(sheet, "api", None)
            protected = bool(api is not None and api.ProtectContents)
            if protected:  # the grey sheets are protected against typing, not against us
                # Protect() locks what its omitted Allow… arguments do not allow: give back
                # what the sheet allowed (the template: widths, formats, sorting, filter)
                again = _protection(api)
                try:
                    api.Unprotect()
                except Exception:  # noqa: BLE001 - a password set by the user: Excel refuses
                    return ("bladet är skyddat med lösenord; ta bort lösenordet under Granska → "
                            "Ta bort skydd, mallens skydd har inget")
            try:
                sheet.range(S.OUTPUT_CLEAR).clear_contents()
                block = to_excel_rows(rows)
                if block and block[0]:
                    sheet.range(S.OUTPUT_ANCHOR).value = block
            finally:
                if protected:
                    api.Protect(**again)
        except Exception as err:  # noqa: BLE001 - Excel's refusal, said at the sheet
            return f"Excel: {_com_message(err)}"
        return None


def _com_message(err: Exception) -> str:
    """The text Excel gave for a failed call (pywin32's com_error carries it inside)."""
    args = getattr(err, "args", ())
    if len(args) >= 3 and isinstance(args[2], tuple) and len(args[2]) >= 3 and args[2][2]:
        return str(args[2][2])
    return str(err) or type(err).__name__


def _merged_into_output(sheet: Any) -> str | None:
    """A merged range that starts above the output area and reaches into it (Excel refuses to
    clear part of a merged range), as its A1 address; None when there is none. Only row
    ``OUTPUT_ANCHOR``'s cells within the used range can be part of one."""
    top = parse_range(S.OUTPUT_ANCHOR)[0]
    r1, _c1, r2, c2 = parse_range(sheet.used_range.address.replace("$", ""))
    if r2 < top:
        return None
    for c in range(1, c2 + 1):
        area = parse_range(sheet.range(cell_name(top, c)).merge_area.address.replace("$", ""))
        if area[0] < top:
            return range_name(*area)
    return None
