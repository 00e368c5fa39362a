"""The "Funktioner" sheet of the example workbook: every KB_ worksheet function in use, next to
the native formula that gives the same value where one exists.

The KB_ functions are xlwings UDFs (:mod:`addin.udfs`, :mod:`addin.udfs_binding`,
:mod:`addin.udfs_resultatbalansering`): they compute only in Excel on Windows with the add-in and
the imported functions. Each live UDF cell is wrapped in ``IFERROR(…, "kräver tillägget")`` so that
without the add-in (LibreOffice, Excel without xlwings) it says so instead of showing ``#NAME?``;
the function's own input errors are ``#KB: …`` texts and pass through unchanged.

The native formulas use only functions Excel and LibreOffice compute identically
(``docs/LIBREOFFICE.md``; here SUM, SUMIFS, ROUND and IFERROR). They read a small block of the
example municipality's statement (values, copied in when the workbook is generated), so the sheet
demonstrates and checks itself: in Excel with the add-in the two columns agree.

The sheet is filled only from :class:`~workbook_templates.generate.example.Exempel`; call
:func:`add_udf_sheet` on a workbook being generated, before ``wb.save``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from engine.budget import berakna
from engine.catalogue import catalogue
from workbook_templates.generate.example import Exempel

__all__ = ["BLOCK_CODES", "COL_NATIVE", "COL_NATIVE_TEXT", "COL_UDF", "COL_UDF_TEXT", "SHEET", "UdfRow", "add_udf_sheet", "udf_rows"]

SHEET = "Funktioner"
NEEDS_ADDIN = "kräver tillägget"
FONT = "Calibri"
AMOUNT_FORMAT = "#,##0.00;-#,##0.00"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
UDF_FILL = PatternFill("solid", fgColor="FFF2CC")

#: The statement lines of the block (the UDFs' ``rader``: line codes are accepted labels).
BLOCK_CODES = ("RR.VI", "RR.TEB", "RR.VU", "RR.SKATT", "RR.SA", "RR.FIN", "RR.AVS", "RR.EXTRA",
               "RR.BD.AVSD", "RR.BD.RES", "RR.BD.FOND", "FD.VK.KORR", "FD.IK", "FD.FK")
BLOCK_TOP = 6  # first line of the block; the header is the row above
RB_NAMND = "Kultur- och fritidsnämnden"  # the committee whose units the RB example shows
# columns of the function table (the year columns of the block are C..G)
COL_FUNCTION, COL_NOTE, COL_UDF, COL_NATIVE, COL_UDF_TEXT, COL_NATIVE_TEXT = 1, 2, 3, 4, 8, 9


@dataclass(frozen=True)
class UdfRow:
    """One line of the function table: the UDF call and its native equivalent (or a note)."""

    function: str
    udf: str  # formula without "=" and without the IFERROR wrapper
    native: str | None  # formula without "=", or None
    note: str


def _f(text: str) -> str:
    return "=" + text


def _font(**kw: object) -> Font:
    return Font(name=FONT, **kw)


def _text_cell(ws: Worksheet, row: int, col: int, text: str) -> None:
    """A formula shown as text (a string cell, never evaluated)."""
    c = ws.cell(row, col)
    c.value = "=" + text
    c.data_type = "s"
    c.font = Font(name="Consolas", size=9)


def udf_rows(year_col: str, inv_row: int, rb: dict[str, str], bind: dict[str, str]) -> list[UdfRow]:
    """The function table for the block's year column ``year_col`` (e.g. ``"E"``)."""
    last = BLOCK_TOP + len(BLOCK_CODES) - 1
    rader = f"$A${BLOCK_TOP}:$A${last}"
    belopp = f"{year_col}${BLOCK_TOP}:{year_col}${last}"

    def s(code: str) -> str:
        return f'SUMIFS({belopp},{rader},"{code}")'

    vb = f"{s('RR.VI')}+{s('RR.TEB')}+{s('RR.VU')}"
    ab = f"{vb}+{s('RR.SKATT')}+{s('RR.SA')}+{s('RR.FIN')}"
    res = f"{ab}+{s('RR.AVS')}+{s('RR.EXTRA')}"
    inv_cell = f"{year_col}{inv_row}"
    return [
        UdfRow("KB_VERKSAMHETSBIDRAG", f"KB_VERKSAMHETSBIDRAG({rader},{belopp})", vb,
               "Verksamhetsinkomster + tillverkning för eget bruk + verksamhetsutgifter."),
        UdfRow("KB_ARSBIDRAG", f"KB_ARSBIDRAG({rader},{belopp})", ab,
               "Verksamhetsbidrag + skatteinkomster + statsandelar + finansiella poster."),
        UdfRow("KB_RESULTAT", f"KB_RESULTAT({rader},{belopp})", res,
               "Årsbidrag + avskrivningar + extraordinära poster."),
        UdfRow("KB_OVERSKOTT", f"KB_OVERSKOTT({rader},{belopp})", f'{res}+{s("RR.BD*")}',
               "Resultat + bokslutsdispositioner (koderna RR.BD…)."),
        UdfRow("KB_INVERKAN_LIKVIDITET", f"KB_INVERKAN_LIKVIDITET({rader},{belopp})",
               f"{ab}+{s('RR.EXTRA')}+{s('FD.VK.KORR')}+{s('FD.IK')}+{s('FD.FK')}",
               "Verksamhetens kassaflöde (årsbidrag + extraordinära poster + korrektivposter) "
               "+ investeringarnas + finansieringens kassaflöde."),
        UdfRow("KB_NYCKELTAL", f'KB_NYCKELTAL("Årsbidrag per invånare",{rader},{belopp},'
               f"{inv_cell})", f"ROUND(({ab})/{inv_cell},2)",
               "Alla nyckeltal i avsnitt 7 finns; tillägget ger fler decimaler än ROUND(…;2)."),
        UdfRow("KB_TACKNINGSAR", "KB_TACKNINGSAR(2024)", "2024+1+4",
               "Underskott i bokslutet 2024, fastställt 2025: täckt senast utgången av 2029 (V8)."),
        UdfRow("KB_AVVIKELSE",
               f"KB_AVVIKELSE({bind['budget']},{bind['utfall']},{bind['andringar']})",
               f"ROUND({bind['utfall']}-({bind['budget']}+SUM({bind['andringar']})),2)",
               "Utfall − (budget + ändringar), på centen."),
        UdfRow("KB_BINDNING_STATUS",
               f'KB_BINDNING_STATUS("brutto","anslag",{bind["budget"]},{bind["utfall"]},'
               f"{bind['andringar']})", None,
               "Status för en bindande post (V-reglerna i BINDING.md); ingen inbyggd motsvarighet."),
        UdfRow("KB_RESULTATBALANSERING",
               f"INDEX(KB_RESULTATBALANSERING({rb['tabell']}),{rb['deficit_index']},7)",
               f"{rb['deficit_utfall']}-{rb['deficit_budget']}",
               f"Överföringen för {rb['deficit_name']}: ett underskott förs över i sin helhet "
               "(R1). Hela tabellen: se nedan."),
        UdfRow("KB_RESULTATBALANSERING_NAMND",
               f"INDEX(KB_RESULTATBALANSERING_NAMND({rb['tabell']}),2,2)",
               f"SUM({rb['utfall']})-SUM({rb['budget']})",
               "Nämndens justerade resultat = utfall − budget, publicerade tecken (inga "
               "justeringar här). Hela "
               "tabellen: se nedan."),
        UdfRow("KB_RESULTATRAKNING", f"KB_RESULTATRAKNING({rader},{belopp})", None,
               "Hela resultaträkningsdelen som tabell (fyller flera celler): se nedan."),
        UdfRow("KB_FINANSIERINGSDEL", f"KB_FINANSIERINGSDEL({rader},{belopp})", None,
               "Hela finansieringsdelen som tabell (fyller flera celler): se nedan."),
    ]


def _udf_cell(ws: Worksheet, row: int, col: int, formula: str) -> None:
    c = ws.cell(row, col, _f(f'IFERROR({formula},"{NEEDS_ADDIN}")'))
    c.fill = UDF_FILL
    c.number_format = AMOUNT_FORMAT


def _header(ws: Worksheet, row: int, values: Sequence[str]) -> None:
    for j, v in enumerate(values, start=1):
        c = ws.cell(row, j, v)
        c.font = _font(bold=True)
        c.fill = HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")


def _num(v: Decimal | int | None) -> float | int | None:
    if v is None:
        return None
    return int(v) if v == v.to_integral_value() else float(v)


def add_udf_sheet(wb: Workbook, example: Exempel | None) -> None:
    """Add the "Funktioner" sheet (example workbooks only: without ``example`` nothing is added;
    a second call does nothing)."""
    if example is None or SHEET in wb.sheetnames:
        return
    ws = wb.create_sheet(SHEET)
    ws.sheet_properties.tabColor = "BF8F00"
    b = example.budget
    st = berakna(b).statement
    years = list(example.kolumner)
    budget_year = str(example.bokslutsar + 2) if example.bokslutsar else b.years[-1]
    year_index = list(b.years).index(budget_year) if budget_year in b.years else 0
    year_col = get_column_letter(3 + year_index)

    ws["A1"] = "Funktioner – KB_-funktionerna och inbyggda formler med samma resultat"
    ws["A1"].font = _font(bold=True, size=14)
    ws["A2"] = (f"Gula celler kräver Excel med xlwings-tillägget och importerade funktioner "
                f"(se Instruktioner och användarguiden); utan tillägget visar de "
                f"'{NEEDS_ADDIN}'. Kolumnen Inbyggd formel räknas i alla kalkylprogram.")
    ws["A2"].font = _font(italic=True, color="595959")
    # (a demonstration on values copied when the workbook was made: said so, so that its
    # figures are never read as the budget's after it changes; found 2026-12 by comparing
    # them with the refresh's through LibreOffice)
    ws["A3"] = ("Underlaget är en kopia av exempelkommunens resultat- och finansieringsdel när "
                "arbetsboken skapades (värden som inte följer budgeten: budgetens siffror står "
                f"på fliken Resultaträkning). Funktionerna räknar kolumnen {years[year_index]}. "
                "Belopp med publiceringens tecken: inkomster positiva, utgifter negativa (fel "
                "tecken ger #KB).")
    ws["A3"].font = _font(italic=True, color="595959")

    # the statement block
    _header(ws, BLOCK_TOP - 1, ["Kod", "Post", *years])
    cat = catalogue()
    for i, code in enumerate(BLOCK_CODES):
        r = BLOCK_TOP + i
        ws.cell(r, 1, code)
        ws.cell(r, 2, cat[code].label)
        vals = st.values.get(code) or b.central.get(code) or [None] * len(years)
        for j, v in enumerate(vals):
            c = ws.cell(r, 3 + j, _num(v) if v is not None else 0)
            c.number_format = AMOUNT_FORMAT
    inv_row = BLOCK_TOP + len(BLOCK_CODES)
    ws.cell(inv_row, 2, "Invånare").font = _font(italic=True)
    for j, v in enumerate(b.invanare):
        ws.cell(inv_row, 3 + j, v).number_format = "#,##0"

    # a binding item and a resultatbalansering table to feed those functions
    row = inv_row + 2
    ws.cell(row, 1, "Bindande post (exempel)").font = _font(bold=True)
    _header(ws, row + 1, ["Budget", "Utfall", "Ändring 1", "Ändring 2"])
    for j, v in enumerate((-1000000, -1040000.5, -25000, -10000), start=1):
        ws.cell(row + 2, j, v).number_format = AMOUNT_FORMAT
    bind = {"budget": f"$A${row + 2}", "utfall": f"$B${row + 2}",
            "andringar": f"$C${row + 2}:$D${row + 2}"}

    row += 4
    ws.cell(row, 1, f"Resultatenheter, {RB_NAMND} (exempel)").font = _font(bold=True)
    headers = ["Nämnd", "Resultatenhet", "Central", "Budget", "Utfall", "Måluppfyllelse",
               "Nämndens måluppfyllelse"]
    goals = {n.namn: n.maluppfyllelse for n in example.namnder}
    _header(ws, row + 1, headers)
    units = [e for e in example.enheter if e.namnd == RB_NAMND]
    deficit = next((i for i, e in enumerate(units) if e.resultat < 0), 0)
    for i, e in enumerate(units):
        r = row + 2 + i
        values = [e.namnd, e.namn, "ja" if e.central else "nej", _num(e.budget),
                  _num(e.budget + e.resultat) if e.budget is not None else None,
                  "ja" if e.maluppfyllelse else "nej",
                  "nej" if goals.get(e.namnd) is False else "ja"]
        for j, v in enumerate(values, start=1):
            c = ws.cell(r, j, v)
            if j in (4, 5):
                c.number_format = AMOUNT_FORMAT
    first, last = row + 2, row + 1 + len(units)
    rb = {"tabell": f"$A${row + 1}:$G${last}", "budget": f"$D${first}:$D${last}",
          "utfall": f"$E${first}:$E${last}", "deficit_index": str(2 + deficit),
          "deficit_budget": f"$D${first + deficit}", "deficit_utfall": f"$E${first + deficit}",
          "deficit_name": units[deficit].namn if units else ""}

    # the function table
    row = last + 3
    _header(ws, row, ["Funktion", "Anmärkning", "Med tillägget", "Inbyggt värde"])
    for col, text in ((COL_UDF_TEXT, "Formel med tillägget"), (COL_NATIVE_TEXT, "Inbyggd formel")):
        c = ws.cell(row, col, text)
        c.font, c.fill = _font(bold=True), HEADER_FILL
    table_rows = udf_rows(year_col, inv_row, rb, bind)
    for i, u in enumerate(table_rows, start=1):
        r = row + i
        ws.row_dimensions[r].height = 34
        ws.cell(r, COL_FUNCTION, u.function).font = _font(bold=True)
        ws.cell(r, COL_NOTE, u.note).alignment = Alignment(wrap_text=True, vertical="top")
        _text_cell(ws, r, COL_UDF_TEXT, u.udf)
        if u.function not in ("KB_RESULTATRAKNING", "KB_FINANSIERINGSDEL"):
            _udf_cell(ws, r, COL_UDF, u.udf)
        if u.native is not None:
            _text_cell(ws, r, COL_NATIVE_TEXT, u.native)
            ws.cell(r, COL_NATIVE, _f(u.native)).number_format = AMOUNT_FORMAT
        if u.function == "KB_TACKNINGSAR":
            ws.cell(r, COL_UDF).number_format = ws.cell(r, COL_NATIVE).number_format = "0"
        for col in (COL_FUNCTION, COL_UDF, COL_NATIVE, COL_UDF_TEXT, COL_NATIVE_TEXT):
            ws.cell(r, col).alignment = Alignment(vertical="top")

    # table functions: each fills a block below its cell (kept apart so nothing overlaps)
    row = row + len(table_rows) + 3
    ws.cell(row, 1, "Tabellfunktioner (fyller flera celler; kräver tillägget)").font = \
        _font(bold=True)
    rader = f"$A${BLOCK_TOP}:$A${BLOCK_TOP + len(BLOCK_CODES) - 1}"
    belopp = f"{year_col}${BLOCK_TOP}:{year_col}${BLOCK_TOP + len(BLOCK_CODES) - 1}"
    placements = [(1, f"KB_RESULTATRAKNING({rader},{belopp})"),
                  (4, f"KB_FINANSIERINGSDEL({rader},{belopp})")]
    for col, formula in placements:
        _text_cell(ws, row + 1, col, formula)
        _udf_cell(ws, row + 2, col, formula)
    row += 26
    for col, formula in [(1, f"KB_RESULTATBALANSERING({rb['tabell']})"),
                         (11, f"KB_RESULTATBALANSERING_NAMND({rb['tabell']})")]:
        _text_cell(ws, row + 1, col, formula)
        _udf_cell(ws, row + 2, col, formula)

    widths = {1: 28, 2: 56, COL_UDF_TEXT: 70, COL_NATIVE_TEXT: 120}
    for j in range(len(years)):
        widths.setdefault(3 + j, 18)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A5"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
