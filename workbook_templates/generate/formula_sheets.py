"""Native spreadsheet formulas in the templates (issue 7): totals under the input tables and the
"Översikt" sheet of the municipality workbook.

Everything else in the templates is values; these formulas are what the user's spreadsheet
application computes itself, so LibreOffice's recalculation can be compared with the engine
(tests/test_libreoffice_workbooks.py). The rule: a formula may use only functions Excel and
LibreOffice compute identically (:data:`ALLOWED_FUNCTIONS`, pinned in docs/LIBREOFFICE.md and the
LibreOffice tests). No XLOOKUP, LET or dynamic arrays; no fixed cell positions in the owned sheets
except the header row :data:`schema.OUTPUT_ANCHOR` the refresh always writes.

* :func:`add_input_totals` gives the input tables an Excel totals row (``totalsRowCount=1``,
  ``SUBTOTAL(109, tbl[col])``), so the sums follow inserted rows and respect filters. The reader
  skips totals rows. tblCentrala mixes incomes, costs and balances, so its totals row sums only the
  resultaträkning lines (``SUMIFS`` on ``Kod`` = ``RR.*``).
* :func:`add_overview` adds "Översikt" to the municipality workbook: key figures looked up in the
  owned sheets by row label (INDEX/MATCH on the label and on the year header, in Swedish or Finnish
  as the ``Språk`` setting says), checks recomputed natively (verksamhetsbidrag, årsbidrag,
  resultat, överskott, inverkan på likviditeten; resultatbalansering: the units' transfers add up
  to each committee's), and the number of errors and warnings on the Kontroll sheet. Before the
  first refresh the owned sheets are empty and every figure shows as blank, never as an error.

Both functions only ever run on a workbook being *generated* (called from
:mod:`workbook_templates.generate.templates` before ``wb.save``); they are idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableFormula
from openpyxl.worksheet.worksheet import Worksheet

from engine.catalogue import catalogue
from workbook_templates import schema as S
from workbook_templates.schema import T

__all__ = [
    "ALLOWED_FUNCTIONS",
    "CHECKS",
    "OVERSIKT",
    "RATIO_FIGURES",
    "STATEMENT_FIGURES",
    "TOTALS_LABEL",
    "add_formula_sheets",
    "add_input_totals",
    "add_overview",
    "formula_functions",
]

#: Every function a template formula may call: each is computed identically by Excel and
#: LibreOffice 7.4 (tests/test_libreoffice_harness.py IDENTICAL and tests/test_libreoffice_
#: workbooks.py PINNED; docs/LIBREOFFICE.md).
ALLOWED_FUNCTIONS = frozenset({
    "AND", "COUNT", "COUNTA", "COUNTIF", "IF", "IFERROR", "INDEX", "LEFT", "MATCH", "MAX", "MIN",
    "ROUND", "SUBTOTAL", "SUM", "SUMIFS", "SUMPRODUCT", "TRIM",
})

OVERSIKT = "Översikt"
TOTALS_LABEL = "Summa"
AMOUNT_FORMAT = "#,##0.00;-#,##0.00"
RATIO_FORMAT = "#,##0.00"
FONT = "Calibri"
_SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_BORDER = Border(top=Side(style="thin"), bottom=Side(style="double"))
_OVERSIKT_TAB = "548235"

# The owned sheets' block: rows 1..600, columns A..P (schema.OUTPUT_LOOKUP), header row 3.
_, _, _last_col, _last_row = range_boundaries(S.OUTPUT_LOOKUP)
_LAST_COL = get_column_letter(_last_col)
_LAST_ROW = _last_row
_HEADER_ROW = range_boundaries(S.OUTPUT_ANCHOR)[1]

_FUNC_RE = re.compile(r"([A-Z_][A-Z0-9._]*)\(")


def formula_functions(formula: str) -> set[str]:
    """The function names a formula calls (text inside string literals ignored)."""
    without_strings = re.sub(r'"(?:[^"]|"")*"', '""', formula)
    without_sheets = re.sub(r"'(?:[^']|'')*'", "''", without_strings)
    return set(_FUNC_RE.findall(without_sheets))


def _q(sheet: str) -> str:
    """A sheet name quoted for a formula: 'Resultaträkning'."""
    return "'" + sheet.replace("'", "''") + "'"


def _s(text: str) -> str:
    """A string literal for a formula."""
    return '"' + text.replace('"', '""') + '"'


def _font(**kw: object) -> Font:
    return Font(name=FONT, **kw)  # a bare Font() renders in a serif fallback in LibreOffice


# --------------------------------------------------------------------------- totals rows


def _find_table(wb: Workbook, name: str) -> tuple[Worksheet, Table] | None:
    for ws in wb.worksheets:
        if name in ws.tables:
            return ws, ws.tables[name]
    return None


def _headers(ws: Worksheet, table: Table) -> list[str]:
    c1, r1, c2, _ = range_boundaries(table.ref)
    return [str(ws.cell(r1, c).value) for c in range(c1, c2 + 1)]


def _col_ref(table: str, header: str) -> str:
    """Structured reference to a data column: tblDrift[Budget 2026] (special characters escaped)."""
    escaped = re.sub(r"([\[\]#'])", r"'\1", header)
    return f"{table}[{escaped}]"


def _totals_row(ws: Worksheet, table: Table, label_header: str, label: str,
                formulas: dict[str, tuple[str, str | None]]) -> bool:
    """Give ``table`` a totals row. ``formulas``: header -> ("sum", None) or ("custom", formula).

    Returns False when the table already has one. Raises ValueError when the row below the table
    is not empty (a template bug: the totals row would overwrite something).
    """
    if table.totalsRowCount:
        return False
    c1, r1, c2, r2 = range_boundaries(table.ref)
    below = r2 + 1
    taken = [ws.cell(below, c).coordinate for c in range(c1, c2 + 1)
             if ws.cell(below, c).value is not None]
    if taken:
        raise ValueError(f"{table.displayName}: cells below the table are not empty: {taken}")
    headers = _headers(ws, table)
    columns = []
    for j, header in enumerate(headers):
        col = TableColumn(id=j + 1, name=header)
        cell = ws.cell(below, c1 + j)
        cell.font = _font(bold=True)
        if header == label_header:
            col.totalsRowLabel = label
            cell.value = label
        elif header in formulas:
            kind, custom = formulas[header]
            if kind == "sum":
                col.totalsRowFunction = "sum"
                cell.value = f"=SUBTOTAL(109,{_col_ref(table.displayName, header)})"
            else:
                col.totalsRowFunction = "custom"
                col.totalsRowFormula = TableFormula(attr_text=custom)
                cell.value = f"={custom}"
            cell.number_format = AMOUNT_FORMAT
            cell.border = _TOTAL_BORDER
        columns.append(col)
    table.tableColumns = columns
    table.autoFilter = AutoFilter(ref=table.ref)  # the data and header rows only
    table.ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{below}"
    table.totalsRowCount = 1
    return True


def _year_headers(ws: Worksheet, table: Table, fixed: Sequence[str]) -> list[str]:
    return [h for h in _headers(ws, table) if h not in fixed]


def add_input_totals(wb: Workbook) -> list[str]:
    """Totals rows under the input tables that have amounts; returns the tables changed.

    * tblDrift, tblInvesteringar: ``SUBTOTAL(109, …)`` per year column (all lines, signed:
      incomes positive, costs negative, so the sum is the net);
    * tblCentrala: per year column the sum of the resultaträkning lines only,
      ``SUMIFS(tblCentrala[year], tblCentrala[Kod], "RR.*")`` (financing and balance lines are not
      summable with them);
    * tblUtfall: Utfall hittills, Prognos helår; tblResultatenheter: Budget, Utfall, Justering,
      and beside the table the total result (utfall − budget, published signs).
    """
    changed: list[str] = []
    found = _find_table(wb, T.DRIFT.name)
    if found:
        ws, t = found
        years = _year_headers(ws, t, T.DRIFT.headers)
        if _totals_row(ws, t, "Uppgift", TOTALS_LABEL, {y: ("sum", None) for y in years}):
            changed.append(t.displayName)
    found = _find_table(wb, T.INVESTERINGAR.name)
    if found:
        ws, t = found
        years = _year_headers(ws, t, T.INVESTERINGAR.headers)
        if _totals_row(ws, t, "Projekt", "Summa (netto)", {y: ("sum", None) for y in years}):
            changed.append(t.displayName)
    found = _find_table(wb, T.CENTRALA.name)
    if found:
        ws, t = found
        years = _year_headers(ws, t, T.CENTRALA.headers)
        kod = _col_ref(t.displayName, "Kod")
        formulas = {y: ("custom", f'SUMIFS({_col_ref(t.displayName, y)},{kod},"RR.*")')
                    for y in years}
        if _totals_row(ws, t, "Rad", "Summa resultaträkningsposter (RR.*)", formulas):
            changed.append(t.displayName)
    found = _find_table(wb, T.UTFALL.name)
    if found:
        ws, t = found
        sums = {h: ("sum", None) for h in ("Utfall hittills", "Prognos helår")}
        if _totals_row(ws, t, "Uppgift", TOTALS_LABEL, sums):
            changed.append(t.displayName)
    found = _find_table(wb, T.RESULTATENHETER.name)
    if found:
        ws, t = found
        sums = {h: ("sum", None) for h in ("Budget", "Utfall", "Justering")}
        if _totals_row(ws, t, "Resultatenhet", TOTALS_LABEL, sums):
            changed.append(t.displayName)
            _result_beside(ws, t)
    return changed


def _result_beside(ws: Worksheet, table: Table) -> None:
    """Beside tblResultatenheter: the committee's total result, utfall − budget in published
    signs (positive = surplus), for the rows shown (SUBTOTAL follows filters like the totals
    row)."""
    _, r1, c2, _ = range_boundaries(table.ref)
    col = c2 + 2
    name = table.displayName
    head = ws.cell(r1, col, "Resultat totalt (utfall − budget)")
    head.font = _font(bold=True)
    cell = ws.cell(r1 + 1, col,
                   f"=SUBTOTAL(109,{_col_ref(name, 'Utfall')})"
                   f"-SUBTOTAL(109,{_col_ref(name, 'Budget')})")
    cell.number_format = AMOUNT_FORMAT
    cell.font = _font(bold=True)
    ws.column_dimensions[get_column_letter(col)].width = 30


# --------------------------------------------------------------------------- Översikt


def _label(code: str, wording: str) -> str:
    return catalogue()[code].label_in(wording)


#: Key figures from the statements: (sheet, line code).
STATEMENT_FIGURES: tuple[tuple[str, str], ...] = (
    ("Resultaträkning", "RR.VI"),
    ("Resultaträkning", "RR.VU"),
    ("Resultaträkning", "RR.VB"),
    ("Resultaträkning", "RR.SKATT"),
    ("Resultaträkning", "RR.SA"),
    ("Resultaträkning", "RR.AB"),
    ("Resultaträkning", "RR.RES"),
    ("Resultaträkning", "RR.OVERSKOTT"),
    ("Finansieringsdel", "FD.VIK"),
    ("Finansieringsdel", "FD.FK"),
    ("Finansieringsdel", "FD.INV"),
)
#: Key ratios from the Nyckeltal sheet (its labels are always Swedish).
RATIO_FIGURES: tuple[str, ...] = (
    "Årsbidrag / avskrivningar, %",
    "Årsbidrag, €/inv",
    "Låneskötselbidrag",
    "Relativ skuldsättning, %",
    "Likviditet, kassadagar",
    "Lånestock, €/inv",
    "Ackumulerat kassaflöde för verksamhet och investeringar",
)
#: Checks recomputed natively: (label, sheet, shown line, required parts, optional parts).
#: Optional parts are lines shown only when they have data (missing = 0).
CHECKS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Verksamhetsbidrag = inkomster + eget bruk + utgifter (+ lager)", "Resultaträkning",
     "RR.VB", ("RR.VI", "RR.TEB", "RR.VU"), ("RR.LAGER",)),
    ("Årsbidrag = verksamhetsbidrag + skatter + statsandelar + finansiella", "Resultaträkning",
     "RR.AB", ("RR.VB", "RR.SKATT", "RR.SA", "RR.FIN"), ()),
    ("Resultat = årsbidrag + avskrivningar + extraordinära poster", "Resultaträkning", "RR.RES",
     ("RR.AB", "RR.AVS", "RR.EXTRA"), ()),
    ("Överskott = resultat + bokslutsdispositioner", "Resultaträkning", "RR.OVERSKOTT",
     ("RR.RES", "RR.BD.AVSD", "RR.BD.RES", "RR.BD.FOND"), ()),
    ("Verksamhetens och investeringarnas kassaflöde = summan av dem", "Finansieringsdel",
     "FD.VIK", ("FD.VK", "FD.IK"), ()),
    ("Inverkan på likviditeten = föregående + finansieringens kassaflöde", "Finansieringsdel",
     "FD.INV", ("FD.VIK", "FD.FK"), ()),
)
_LANG_CELL = "$B$3"
_HEADER = 5  # year header row of the Översikt sheet


def _label_expr(code: str) -> str:
    sv, fi = _label(code, "sv_budget"), _label(code, "fi_budget")
    if sv == fi:
        return _s(sv)
    return f"IF({_LANG_CELL}={_s('fi')},{_s(fi)},{_s(sv)})"


def _lookup(sheet: str, label_expr: str, year_cell: str) -> str:
    """INDEX/MATCH: the value in ``sheet`` on the row labelled ``label_expr`` (column A) in the
    column headed ``year_cell`` (the owned sheet's header row)."""
    q = _q(sheet)
    return (f"INDEX({q}!$A$1:${_LAST_COL}${_LAST_ROW},"
            f"MATCH({label_expr},{q}!$A$1:$A${_LAST_ROW},0),"
            f"MATCH({year_cell},{q}!$A${_HEADER_ROW}:${_LAST_COL}${_HEADER_ROW},0))")


def _year_count(wb: Workbook) -> int:
    found = _find_table(wb, T.AR.name)
    if not found:
        return 5
    _, r1, _, r2 = range_boundaries(found[1].ref)
    return max(r2 - r1 - (found[1].totalsRowCount or 0), 1)


def _section(ws: Worksheet, row: int, text: str, ncols: int) -> None:
    for col in range(1, ncols + 1):
        ws.cell(row, col).fill = _SECTION_FILL
    ws.cell(row, 1, text).font = _font(bold=True)


def add_overview(wb: Workbook, committee_slots: int | None = None) -> Worksheet | None:
    """Add the "Översikt" sheet to a municipality workbook (one with tblCentrala); returns it.

    None for a committee workbook or when the sheet exists already. ``committee_slots``: rows for
    the resultatbalansering check (default: committees in tblNamnder + 4, at least 10).
    """
    if _find_table(wb, T.CENTRALA.name) is None or OVERSIKT in wb.sheetnames:
        return None
    n = _year_count(wb)
    if committee_slots is None:
        found = _find_table(wb, T.NAMNDER.name)
        listed = 0
        if found:
            _, r1, _, r2 = range_boundaries(found[1].ref)
            listed = r2 - r1
        committee_slots = max(listed + 4, 10)
    ws = wb.create_sheet(OVERSIKT)
    first_output = next((i for i, name in enumerate(wb.sheetnames)
                         if name in S.KOMMUN_OUTPUTS), None)
    if first_output is not None:
        wb.move_sheet(ws, offset=first_output - wb.sheetnames.index(OVERSIKT))
    ws.sheet_properties.tabColor = _OVERSIKT_TAB
    ncols = n + 2
    status_col = n + 2
    years = [get_column_letter(2 + i) for i in range(n)]

    ws["A1"] = "Översikt"
    ws["A1"].font = _font(bold=True, size=14)
    ws["A2"] = ("Formler – räknas av kalkylprogrammet ur de grå flikarna efter varje uppdatering. "
                "Tomt = inte uppdaterad ännu. Skriv inte här.")
    ws["A2"].font = _font(italic=True, color="595959")
    ws["A3"] = "Språk (Inställningar)"
    ws["A3"].font = _font(color="595959")
    ws["B3"] = ('=IF(LEFT(TRIM(IFERROR(INDEX(tblInstallningar[Värde],'
                'MATCH("Språk",tblInstallningar[Inställning],0)),"sv")),2)="fi","fi","sv")')
    ws["B3"].font = _font(color="595959")

    # an incomplete refresh: its "Ofullständig" row (first row of every consolidated sheet) here
    # too; the lookups below then find no year header (it moved one row down) and stay blank
    first = f"{_q('Resultaträkning')}!$A${_HEADER_ROW}"
    ws["A4"] = f'=IF(LEFT({first},12)="Ofullständig",{first},"")'
    ws["A4"].font = _font(bold=True, color="C00000")
    ws.cell(_HEADER, 1, "Belopp per årskolumn").font = _font(bold=True)
    for i, letter in enumerate(years, start=1):
        c = ws[f"{letter}{_HEADER}"]
        c.value = f'=IFERROR(INDEX(tblAr[Kolumn],{i})&"","")'
        c.font = _font(bold=True)
        c.alignment = Alignment(horizontal="right")
    _status_header(ws, _HEADER, status_col)

    row = _HEADER + 1
    _section(ws, row, "Resultaträkning och finansieringsdel", ncols)
    row += 1
    for sheet, code in STATEMENT_FIGURES:
        ws.cell(row, 1, _label(code, "sv_budget")).font = _font(
            bold=code in ("RR.VB", "RR.AB", "RR.OVERSKOTT", "FD.INV"))
        for letter in years:
            y = f"{letter}${_HEADER}"
            c = ws[f"{letter}{row}"]
            c.value = f'=IF({y}="","",IFERROR({_lookup(sheet, _label_expr(code), y)},""))'
            c.number_format = AMOUNT_FORMAT
            c.font = _font()
        row += 1

    _section(ws, row, "Nyckeltal", ncols)
    row += 1
    for name in RATIO_FIGURES:
        ws.cell(row, 1, name).font = _font()
        for letter in years:
            y = f"{letter}${_HEADER}"
            c = ws[f"{letter}{row}"]
            c.value = f'=IF({y}="","",IFERROR({_lookup("Nyckeltal", _s(name), y)},""))'
            c.number_format = AMOUNT_FORMAT if "kassaflöde" in name else RATIO_FORMAT
            c.font = _font()
            c.alignment = Alignment(horizontal="right")
        row += 1

    _section(ws, row, "Kontroller: omräknat i kalkylprogrammet, differens (ska vara 0,00)", ncols)
    row += 1
    for label, sheet, shown, parts, optional in CHECKS:
        ws.cell(row, 1, label).font = _font()
        for letter in years:
            y = f"{letter}${_HEADER}"
            terms = [_lookup(sheet, _label_expr(p), y) for p in parts]
            terms += [f"IFERROR({_lookup(sheet, _label_expr(p), y)},0)" for p in optional]
            recomputed = "+".join(terms)
            c = ws[f"{letter}{row}"]
            c.value = (f'=IF({y}="","",IFERROR(ROUND({recomputed}'
                       f'-{_lookup(sheet, _label_expr(shown), y)},2),""))')
            c.number_format = AMOUNT_FORMAT
            c.font = _font()
        rng = f"{years[0]}{row}:{years[-1]}{row}"
        _status(ws, row, status_col, rng)
        row += 1

    row += 1
    row = _rb_checks(ws, row, committee_slots, ncols)
    row += 1
    _section(ws, row, "Kontroll-fliken", ncols)
    row += 1
    kontroll = _q("Kontroll")
    for label, severity in (("Fel", "fel"), ("Varningar", "varning")):
        ws.cell(row, 1, label).font = _font()
        c = ws.cell(row, 2, f'=IF(COUNTA({kontroll}!$A${_HEADER_ROW}:$A${_LAST_ROW})=0,"",'
                            f'COUNTIF({kontroll}!$B$1:$B${_LAST_ROW},{_s(severity)}))')
        c.font = _font(bold=severity == "fel")
        row += 1

    ws.column_dimensions["A"].width = 64
    for letter in years:
        ws.column_dimensions[letter].width = 15
    ws.column_dimensions[get_column_letter(status_col)].width = 12
    ws.freeze_panes = f"B{_HEADER + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _status_header(ws: Worksheet, row: int, col: int) -> None:
    c = ws.cell(row, col, "Status")
    c.font = _font(bold=True)
    c.alignment = Alignment(horizontal="center")


def _status(ws: Worksheet, row: int, col: int, rng: str) -> None:
    c = ws.cell(row, col, f'=IF(COUNT({rng})=0,"",IF(AND(MAX({rng})=0,MIN({rng})=0),'
                          f'"OK","AVVIKELSE"))')
    c.font = _font(bold=True)
    c.alignment = Alignment(horizontal="center")


def _rb_checks(ws: Worksheet, row: int, slots: int, ncols: int) -> int:
    """Resultatbalansering: per committee, Σ of its units' and its disposition's Överföring
    (column G of the units table of the
    Resultatbalansering sheet) = the committee's Överföring (committee table below it); in total
    over both whole tables (the committee table ends above "Budgettillägg (R1)")."""
    rb = _q("Resultatbalansering")
    col_a = f"{rb}!$A$1:$A${_LAST_ROW}"
    units_hdr = f'MATCH("Resultatenhet",{rb}!$B$1:$B${_LAST_ROW},0)'
    namnd_hdr = f'MATCH("Måluppfyllelse",{rb}!$B$1:$B${_LAST_ROW},0)'

    def span(col: str) -> str:
        rng = f"{rb}!${col}$1:${col}${_LAST_ROW}"
        return f"INDEX({rng},{units_hdr}+1):INDEX({rng},{namnd_hdr}-1)"

    _section(ws, row, "Resultatbalansering: enheternas överföring = nämndens överföring", ncols)
    row += 1
    for col, text in enumerate(("Nämnd", "Enheternas överföring", "Nämndens överföring",
                                "Differens"), start=1):
        c = ws.cell(row, col, text)
        c.font = _font(bold=True)
        if col > 1:
            c.alignment = Alignment(horizontal="right", wrap_text=True)
    ws.row_dimensions[row].height = 30  # two lines (LibreOffice does not grow rows on load)
    _status_header(ws, row, 5)
    row += 1
    first = row
    for k in range(1, slots + 1):
        lookup = f'IFERROR(INDEX({col_a},{namnd_hdr}+{k})&"","")'
        # the list ends at the first blank row below the committee table; none while the run
        # is incomplete ($A$4 holds its mark): no figure under it, as above (found 2026-12)
        name = ws.cell(row, 1, f'=IF($A{row - 1}="","",{lookup})' if k > 1
                       else f'=IF($A$4<>"","",{lookup})')
        name.font = _font()
        a = f"$A{row}"
        units = ws.cell(row, 2, f'=IF({a}="","",IFERROR(SUMPRODUCT(--({span("A")}={a}),'
                                f'{span("G")}),""))')
        own = ws.cell(row, 3, f'=IF({a}="","",IFERROR(INDEX({rb}!$D$1:$D${_LAST_ROW},'
                              f'{namnd_hdr}+{k}),""))')
        diff = ws.cell(row, 4, f'=IF({a}="","",IFERROR(ROUND(B{row}-C{row},2),""))')
        for c in (units, own, diff):
            c.number_format = AMOUNT_FORMAT
            c.font = _font()
        row += 1
    ws.cell(row, 1, "Alla nämnder").font = _font(bold=True)
    # over the whole tables, not the rows above: committees beyond the slots still count
    tillagg_hdr = f'MATCH("Budgettillägg (R1)",{col_a},0)'
    d = f"{rb}!$D$1:$D${_LAST_ROW}"
    totals = (f'=IF($A$4<>"","",IFERROR(SUM({span("G")}),""))',
              f'=IF($A$4<>"","",IFERROR(SUM(INDEX({d},{namnd_hdr}+1):'
              f'INDEX({d},{tillagg_hdr}-1)),""))')
    for col, formula in zip((2, 3), totals, strict=True):
        c = ws.cell(row, col, formula)
        c.number_format = AMOUNT_FORMAT
        c.font = _font(bold=True)
        c.border = _TOTAL_BORDER
    c = ws.cell(row, 4, f'=IF(COUNT(B{row}:C{row})=0,"",ROUND(B{row}-C{row},2))')
    c.number_format = AMOUNT_FORMAT
    c.font = _font(bold=True)
    c.border = _TOTAL_BORDER
    _status(ws, row, 5, f"D{first}:D{row}")
    return row + 1


def add_formula_sheets(wb: Workbook) -> None:
    """Both: totals rows under the input tables, and Översikt in a municipality workbook."""
    add_input_totals(wb)
    add_overview(wb)
