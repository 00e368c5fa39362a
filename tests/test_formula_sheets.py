"""Fast tests of workbook_templates.generate.formula_sheets (issue 7), without LibreOffice.

The native formulas are present, call only functions Excel and LibreOffice compute identically,
refer only to sheets, tables, columns and row labels that exist; the totals rows are real Excel
totals rows the reader skips, so a refresh computes exactly what it computes without them.
What the formulas *evaluate to* is checked in LibreOffice (tests/test_libreoffice_workbooks.py).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` is not a package (yet)

from engine.catalogue import catalogue  # noqa: E402
from tests.libreoffice import (  # noqa: E402
    build_refreshed_example,
    build_templates,
    committee_file,
    formula_cells,
)
from workbook_templates import schema as S  # noqa: E402
from workbook_templates.generate.example import exempelkommun  # noqa: E402
from workbook_templates.generate.formula_sheets import (  # noqa: E402
    ALLOWED_FUNCTIONS,
    CHECKS,
    OVERSIKT,
    add_formula_sheets,
    add_input_totals,
    add_overview,
    formula_functions,
)
from workbook_templates.generate.templates import new_kommun, new_namnd  # noqa: E402
from workbook_templates.pipeline.refresh import RefreshReport, refresh  # noqa: E402

TOTALS = {  # table -> the headers its totals row sums (year columns of the example: 5)
    "tblDrift": ("Bokslut 2024", "Budget 2025", "Budget 2026", "Plan 2027", "Plan 2028"),
    "tblInvesteringar": ("Bokslut 2024", "Budget 2025", "Budget 2026", "Plan 2027", "Plan 2028"),
    "tblCentrala": ("Bokslut 2024", "Budget 2025", "Budget 2026", "Plan 2027", "Plan 2028"),
    "tblUtfall": ("Utfall hittills", "Prognos helår"),
    "tblResultatenheter": ("Budget", "Utfall", "Justering"),
}
STRUCTURED = re.compile(r"(tbl\w+)\[([^\[\]]+)\]")
SHEET_REF = re.compile(r"'((?:[^']|'')+)'!")


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_templates(tmp_path_factory.mktemp("templates"), ["Socialnämnden", "Bildningsnämnden"])


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RefreshReport]:
    root = tmp_path_factory.mktemp("refreshed")
    return {sprak: build_refreshed_example(root / sprak, sprak) for sprak in ("sv", "fi")}


def _tables(wb: openpyxl.Workbook) -> dict[str, tuple[object, object]]:
    return {t.displayName: (ws, t) for ws in wb.worksheets for t in ws.tables.values()}


def _headers(ws, table) -> list[str]:
    c1, r1, c2, _ = range_boundaries(table.ref)
    return [str(ws.cell(r1, c).value) for c in range(c1, c2 + 1)]


def test_totals_rows_are_excel_totals_rows(templates: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(templates["mall_namnd_bildningsnämnden"])
    tables = _tables(wb)
    for name in ("tblDrift", "tblUtfall", "tblResultatenheter"):
        ws, t = tables[name]
        c1, r1, c2, r2 = range_boundaries(t.ref)
        assert t.totalsRowCount == 1, name
        # the autofilter covers header + data only, not the totals row (as Excel writes it)
        assert t.autoFilter.ref == f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2 - 1}"
        totals = {str(ws.cell(r1, c).value): ws.cell(r2, c).value for c in range(c1, c2 + 1)}
        for header in TOTALS[name]:
            assert totals[header] == f"=SUBTOTAL(109,{name}[{header}])", (name, header)
        assert list(totals.values())[0] == "Summa"
        functions = {c.name: c.totalsRowFunction for c in t.tableColumns}
        assert {h for h, f in functions.items() if f == "sum"} == set(TOTALS[name])
    # the result beside tblResultatenheter: Σ utfall − Σ budget (published signs)
    ws, t = tables["tblResultatenheter"]
    _, r1, c2, _ = range_boundaries(t.ref)
    assert ws.cell(r1 + 1, c2 + 2).value == (
        "=SUBTOTAL(109,tblResultatenheter[Utfall])-SUBTOTAL(109,tblResultatenheter[Budget])")


def test_central_totals_sum_only_result_lines(templates: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(templates["kommun_sv_exempel"])
    ws, t = _tables(wb)["tblCentrala"]
    c1, r1, c2, r2 = range_boundaries(t.ref)
    row = {str(ws.cell(r1, c).value): ws.cell(r2, c).value for c in range(c1, c2 + 1)}
    assert row["Rad"] == "Summa resultaträkningsposter (RR.*)"
    assert row["Budget 2026"] == '=SUMIFS(tblCentrala[Budget 2026],tblCentrala[Kod],"RR.*")'
    custom = {c.name: c.totalsRowFormula.attr_text for c in t.tableColumns if c.totalsRowFormula}
    assert custom["Budget 2026"] == row["Budget 2026"][1:]


@pytest.mark.parametrize("name", ["kommun_sv_tom", "kommun_fi_exempel", "namnd_tom",
                                  "mall_namnd_socialnämnden"])
def test_every_formula_uses_allowed_functions_and_existing_names(
        templates: dict[str, Path], name: str) -> None:
    path = templates[name]
    wb = openpyxl.load_workbook(path)
    tables = _tables(wb)
    formulas = [(sheet, cell, f) for sheet, cells in formula_cells(path).items()
                for cell, f in cells.items()]
    assert formulas, "no native formulas"
    for sheet, cell, f in formulas:
        where = f"{sheet}!{cell}: {f}"
        # KB_ functions are the add-in's UDFs (udf_sheet.py): only inside IFERROR, so a client
        # without the add-in shows a text instead of #NAME?
        udfs = {fn for fn in formula_functions(f) if fn.startswith("KB_")}
        assert formula_functions(f) - udfs <= ALLOWED_FUNCTIONS, where
        if udfs:
            assert f.startswith("=IFERROR(") and f.endswith(',"kräver tillägget")'), where
        for ref_sheet in SHEET_REF.findall(f):
            assert ref_sheet.replace("''", "'") in wb.sheetnames, where
        for table, column in STRUCTURED.findall(f):
            assert table in tables, where
            ws, t = tables[table]
            assert column in _headers(ws, t), where
        for banned in ("XLOOKUP", "LET(", "#Headers", "#All", "INDIRECT", "OFFSET"):
            assert banned not in f, where
        # a bare table name (no [column]) is the whole table in LibreOffice 7.4, data only in Excel
        for table in tables:
            assert not re.search(rf"\b{table}\b(?!\[)", f), where


def test_overview_only_in_the_municipality_workbook(templates: dict[str, Path]) -> None:
    kommun = openpyxl.load_workbook(templates["kommun_sv_exempel"])
    assert OVERSIKT in kommun.sheetnames
    # before the owned sheets, after the inputs
    assert kommun.sheetnames.index(OVERSIKT) + 1 == kommun.sheetnames.index("Resultaträkning")
    assert OVERSIKT not in openpyxl.load_workbook(templates["namnd_tom"]).sheetnames


def test_formula_sheets_are_idempotent(tmp_path: Path) -> None:
    path = new_kommun(tmp_path / "k.xlsx", exempelkommun())
    wb = openpyxl.load_workbook(path)
    add_formula_sheets(wb)
    before = {ws.title: {c.coordinate: c.value for r in ws.iter_rows() for c in r}
              for ws in wb.worksheets}
    assert add_input_totals(wb) == []
    assert add_overview(wb) is None
    after = {ws.title: {c.coordinate: c.value for r in ws.iter_rows() for c in r}
             for ws in wb.worksheets}
    assert before == after
    assert wb.sheetnames.count(OVERSIKT) == 1


def test_totals_row_refuses_to_overwrite_cells_below_a_table() -> None:
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Driftsbudget"
    for row in (["Uppgift", "Kod", "Rad", "Budget 2026"], ["Hemvård", "RR.VU.TJ", "Köp", -10]):
        ws.append(row)
    ws.add_table(Table(displayName="tblDrift", ref="A1:D2"))
    ws["B3"] = "något"  # a user's note right below the table
    with pytest.raises(ValueError, match="tblDrift.*B3"):
        add_input_totals(wb)
    assert ws["B3"].value == "något" and ws.tables["tblDrift"].ref == "A1:D2"


def test_overview_labels_exist_in_the_refreshed_sheets_in_both_languages(
        refreshed: dict[str, RefreshReport]) -> None:
    """Every row label the Översikt looks up (MATCH on a string literal) is a label in column A of
    the owned sheet it looks in, as the refresh writes it in Swedish and in Finnish (except the
    optional lines of a check, e.g. lagerförändring, shown only when given; they count as 0)."""
    labels_by_lang = {}
    for sprak, report in refreshed.items():
        sheets = report.outputs.kommun_sheets
        labels_by_lang[sprak] = {name: {str(r[0]) for r in rows if r}
                                 for name, rows in sheets.items()}
    for _, _, _, _, optional in CHECKS:
        for code in optional:
            for lang in ("sv", "fi"):
                labels_by_lang[lang]["Resultaträkning"].add(
                    catalogue()[code].label_in(f"{lang}_budget"))
    wb = openpyxl.load_workbook(refreshed["sv"].files[0].path)
    ws = wb[OVERSIKT]
    lookups = 0
    for row in ws.iter_rows():
        for cell in row:
            f = cell.value
            for fi, sv, sheet in re.findall(
                    r"MATCH\(IF\(\$B\$3=\"fi\",\"([^\"]+)\",\"([^\"]+)\"\),'([^']+)'", str(f)):
                assert sv in labels_by_lang["sv"][sheet], (cell.coordinate, sv)
                assert fi in labels_by_lang["fi"][sheet], (cell.coordinate, fi)
                lookups += 1
            for label, sheet, col in re.findall(
                    r"MATCH\(\"([^\"]+)\",'([^']+)'!\$([A-Z])\$1:", str(f)):
                j = ord(col) - ord("A")  # header labels of the Resultatbalansering tables: B
                for sprak, report in refreshed.items():
                    written = {str(r[j]) for r in report.outputs.kommun_sheets[sheet]
                               if len(r) > j}
                    assert label in written, (cell.coordinate, label, sprak)
                lookups += 1
    assert lookups > 100


def test_totals_rows_do_not_change_what_the_refresh_reads(
        refreshed: dict[str, RefreshReport], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader skips totals rows: the refresh computes the same owned sheets with and without
    the formula sheets (the example has every table filled)."""
    with_formulas = refreshed["sv"]
    ex = exempelkommun()
    plain = tmp_path / "utan"
    plain.mkdir()
    with monkeypatch.context() as m:  # templates without formulas, also once templates.py wires them
        import workbook_templates.generate.formula_sheets as fs
        import workbook_templates.generate.templates as tm

        for name in ("add_formula_sheets", "add_input_totals", "add_overview"):
            m.setattr(fs, name, lambda wb: None)
            m.setattr(tm, name, lambda wb: None, raising=False)
        kommun = new_kommun(plain / "kommun.xlsx", ex)
        for namnd in ex.namndlista:
            new_namnd(plain / committee_file(namnd), namnd, ex)
    assert not any(t.totalsRowCount for ws in openpyxl.load_workbook(kommun).worksheets
                   for t in ws.tables.values())
    without = refresh([plain], kommun, write=False)
    assert with_formulas.outputs.kommun_sheets == without.outputs.kommun_sheets
    assert with_formulas.outputs.namnd_sheets == without.outputs.namnd_sheets
    assert [f.message for f in with_formulas.findings] == [f.message for f in without.findings]


def test_overview_lookups_cover_the_statement_lines() -> None:
    """The labels the overview switches between are the catalogue's budget wordings."""
    cat = catalogue()
    assert cat["RR.VB"].label_in("sv_budget") == "Verksamhetsbidrag"
    assert cat["RR.VB"].label_in("fi_budget") == "Toimintakate"
    assert S.OUTPUT_ANCHOR == "A3"  # the overview matches year headers in row 3


def test_formula_functions_ignores_strings_and_sheet_names() -> None:
    f = "=IF(A1=\"SUM(\",'MAX(x'!A1,ROUND(SUMIFS(tblA[b],tblA[c],\"RR.*\"),2))"
    assert formula_functions(f) == {"IF", "ROUND", "SUMIFS"}
    assert formula_functions("=IFERROR(KB_ARSBIDRAG(A1:A3,B1:B3),\"x\")") == {
        "IFERROR", "KB_ARSBIDRAG"}


def test_wired_in_process_gives_the_same_formulas(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """What templates.py will do (add_formula_sheets(wb) right before wb.save) gives the same
    formulas and totals rows as applying it to the saved template (what the tests do until then):
    the tables' columns are named from the header cells in both cases."""
    import workbook_templates.generate.templates as templates_module

    class WiredWorkbook(openpyxl.Workbook):
        def save(self, filename: object) -> None:
            add_formula_sheets(self)
            super().save(filename)

    ex = exempelkommun()
    applied = build_templates(tmp_path / "applied", ["Socialnämnden"])
    monkeypatch.setattr(templates_module, "Workbook", WiredWorkbook)
    wired = {"kommun_sv_exempel": new_kommun(tmp_path / "kommun_sv_exempel.xlsx", ex),
             "mall_namnd_socialnämnden": new_namnd(tmp_path / "n.xlsx", "Socialnämnden", ex)}
    for name, path in wired.items():
        assert formula_cells(path) == formula_cells(applied[name]), name
        a, w = openpyxl.load_workbook(applied[name]), openpyxl.load_workbook(path)
        assert w.sheetnames == a.sheetnames
        for table, (_ws, t) in _tables(w).items():
            ta = _tables(a)[table][1]
            assert (t.ref, t.totalsRowCount, t.autoFilter.ref if t.autoFilter else None) == (
                ta.ref, ta.totalsRowCount, ta.autoFilter.ref if ta.autoFilter else None), table
            assert [(c.name, c.totalsRowFunction, c.totalsRowLabel) for c in t.tableColumns] == [
                (c.name, c.totalsRowFunction, c.totalsRowLabel) for c in ta.tableColumns], table
