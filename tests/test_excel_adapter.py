"""The live-Excel adapter reads what the file reader reads (issue 6), through the xlwings double.

The same generated workbook is read twice: from the file (python-calamine, the batch path) and
through :class:`addin.excel_adapter.ExcelTableSource` (what a button sees in Excel), over
``tests/xlwings_double.py`` and over the installed xlwings' own Windows code with Excel's COM
objects faked on the file (``tests/xlwings_excel.py``): the ``excel`` fixture. The loader's results — engine input and findings with sheet and cell —
must be identical, also for broken cells (V10).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from addin.excel_adapter import (  # noqa: E402
    ExcelSink,
    excel_value,
    to_excel_rows,
    typed_by_excel,
)
from workbook_templates import schema as S  # noqa: E402
from workbook_templates.files.reader import CellError, open_workbook  # noqa: E402
from workbook_templates.generate.example import exempelkommun  # noqa: E402
from workbook_templates.generate.templates import new_kommun, new_namnd  # noqa: E402
from workbook_templates.pipeline.loader import read_kommun, read_namnd  # noqa: E402


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    d = tmp_path_factory.mktemp("ex")
    ex = exempelkommun()
    kommun = new_kommun(d / "kommun.xlsx", ex)
    namnder = [new_namnd(d / f"n{i}.xlsx", n, ex) for i, n in enumerate(ex.namndlista)]
    return kommun.resolve(), [p.resolve() for p in namnder]


def _edit(src: Path, dst: Path, edit) -> Path:  # noqa: ANN001
    wb = load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst.resolve()


def test_kommun_loader_results_identical_live_and_file(excel, example) -> None:
    kommun, _ = example
    from_file = read_kommun(kommun)
    live = read_kommun(excel.source(excel.Book(kommun)))
    assert live == from_file
    assert live.central["RR.SKATT"][2] == Decimal("59900000")  # Budget 2026, exact


def test_namnd_loader_results_identical_live_and_file(excel, example) -> None:
    kommun, namnder = example
    kolumner = read_kommun(kommun).kolumner
    for p in namnder:
        assert read_namnd(excel.source(excel.Book(p)), kolumner) == read_namnd(p, kolumner)


def test_v10_broken_cells_give_the_same_findings_with_sheet_and_cell(excel, example, tmp_path) -> None:
    """V10: an error value and text where an amount belongs are findings at the same cell."""
    kommun, _ = example

    def breakit(wb) -> None:  # noqa: ANN001
        ws = wb[S.T.CENTRALA.sheet]
        ws["E4"] = "#REF!"  # openpyxl stores it as an error cell (t="e")
        ws["F5"] = "12 tkr"

    broken = _edit(kommun, tmp_path / "kommun.xlsx", breakit)
    from_file = read_kommun(broken)
    live = read_kommun(excel.source(excel.Book(broken)))
    cells = {(f.location.sheet, f.location.cell) for f in from_file.findings if f.rule == "V10"}
    assert {("Centrala poster", "E4"), ("Centrala poster", "F5")} <= cells
    assert live.findings == from_file.findings
    assert live == from_file


def test_v10_missing_table_and_header_same_messages(excel, example, tmp_path) -> None:
    kommun, _ = example

    def breakit(wb) -> None:  # noqa: ANN001
        del wb[S.T.TIDPLAN.sheet].tables[S.T.TIDPLAN.name]
        wb[S.T.INVESTERINGAR.sheet]["B3"] = "Namnd"  # header "Nämnd" misspelt

    broken = _edit(kommun, tmp_path / "kommun.xlsx", breakit)
    with open_workbook(broken) as r:
        file_missing = r.table(S.T.TIDPLAN.name, S.T.TIDPLAN.headers)
        file_header = r.table(S.T.INVESTERINGAR.name, S.T.INVESTERINGAR.headers)
    src = excel.source(excel.Book(broken))
    live_missing = src.table(S.T.TIDPLAN.name, S.T.TIDPLAN.headers)
    live_header = src.table(S.T.INVESTERINGAR.name, S.T.INVESTERINGAR.headers)
    assert live_missing.table is None and live_missing.findings == file_missing.findings
    assert "tblTidplan" in live_missing.findings[0].message
    assert live_header.findings == file_header.findings
    assert live_header.findings[0].location.cell == "A3:M3"


def test_v10_missing_table_same_loader_result(excel, example, tmp_path) -> None:
    kommun, _ = example
    broken = _edit(kommun, tmp_path / "kommun.xlsx",
                   lambda wb: wb[S.T.TIDPLAN.sheet].tables.pop(S.T.TIDPLAN.name))
    live = read_kommun(excel.source(excel.Book(broken)))
    assert live == read_kommun(broken)
    assert any("tblTidplan" in f.message for f in live.findings)


def test_excel_value_conversions() -> None:
    import datetime as dt

    assert excel_value(1250000.0) == Decimal(1250000)
    assert excel_value(0.1) == Decimal("0.1")  # as typed, not the binary expansion
    assert excel_value(0.1 * 1.15) == Decimal("0.115")  # a formula's result as the cell shows it
    assert excel_value("#DIV/0!") == CellError("#DIV/0!")
    assert isinstance(excel_value("#DIV/0!"), CellError)
    assert excel_value("") is None
    assert excel_value(True) is True
    assert excel_value(dt.datetime(2025, 2, 12)) == dt.date(2025, 2, 12)
    assert excel_value(dt.datetime(2025, 2, 12, 8, 30)) == dt.datetime(2025, 2, 12, 8, 30)


def test_to_excel_rows_pads_and_converts() -> None:
    rows = [["Post", "2026"], [], ["Årsbidrag", Decimal("5272150.25"), None, "x"]]
    assert to_excel_rows(rows) == [["Post", "'2026", None, None], [None] * 4,
                                   ["Årsbidrag", 5272150.25, None, "x"]]
    assert to_excel_rows([]) == []


def test_sink_clears_then_writes_at_the_anchor(excel, example, tmp_path) -> None:
    kommun, _ = example
    book = excel.Book(kommun)
    ws = book.wb["Kontroll"]
    ws["C40"] = "stale"
    ws["A1"] = "Kontroll"
    findings = ExcelSink(excel.source(book).book).write({"Kontroll": [["1 fel"], ["Regel", "Allvar"],
                                                   ["V10", Decimal("2.50")]]})
    assert findings == []
    assert ws["C40"].value is None  # inside OUTPUT_CLEAR: cleared
    assert ws["A1"].value == "Kontroll"  # title above the anchor untouched
    assert ws["A2"].value == S.OWNED_MARK
    assert [ws["A3"].value, ws["A4"].value, ws["B4"].value, ws["B5"].value] == \
        ["1 fel", "Regel", "Allvar", 2.5]
    assert ws["B3"].value is None


def test_sink_missing_sheet_is_a_finding(excel, example) -> None:
    kommun, _ = example
    sink = ExcelSink(excel.source(excel.Book(kommun)).book)
    (checked,) = sink.check(["Kontroll", "Finns inte"])  # found before anything is written
    assert checked.rule == "IN" and "Finns inte" in checked.message
    findings = sink.write({"Finns inte": [["x"]]})
    assert [f.rule for f in findings] == ["IN"]
    assert "Finns inte" in findings[0].message and sink.written == []


def test_totals_row_is_not_data_live_or_file(excel, example, tmp_path) -> None:
    """A table with a totals row (Excel's "Summarad"): both readers skip it."""
    kommun, _ = example

    def totals(wb) -> None:  # noqa: ANN001
        ws = wb[S.T.CENTRALA.sheet]
        t = ws.tables[S.T.CENTRALA.name]
        if t.totalsRowCount:  # the template already has a totals row
            return
        last = int(t.ref.split(":")[1][1:])
        ws.cell(last + 1, 2, "Summa")
        ws.cell(last + 1, 3, "=SUBTOTAL(109,C4:C30)")
        t.ref = f"A3:G{last + 1}"
        t.totalsRowCount = 1

    with_totals = _edit(kommun, tmp_path / "kommun.xlsx", totals)
    live = read_kommun(excel.source(excel.Book(with_totals)))
    assert live == read_kommun(with_totals)
    assert not [f for f in live.findings if "Summa" in f.message]


# --- properties -----------------------------------------------------------------------------------

cents = st.decimals(min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"),
                    places=2, allow_nan=False, allow_infinity=False)
cell_values = st.one_of(st.none(), st.text(max_size=5), cents, st.integers(-10**9, 10**9),
                        st.booleans())


@given(cents)
def test_money_survives_the_round_trip_through_excel(d: Decimal) -> None:
    """Written as a float (ExcelSink), read back (ExcelTableSource): the same cents."""
    written = to_excel_rows([[d]])[0][0]
    assert isinstance(written, float)
    assert excel_value(written) == d


@given(st.lists(st.lists(cell_values, max_size=6), max_size=8))
def test_to_excel_rows_is_a_rectangle_of_the_same_values(rows: list[list[object]]) -> None:
    block = to_excel_rows(rows)
    width = max((len(r) for r in rows), default=0)
    assert len(block) == len(rows) and all(len(r) == width for r in block)
    for orig, out in zip(rows, block, strict=True):
        for a, b in zip(orig, out, strict=False):
            if isinstance(a, Decimal):
                assert b == float(a)
            elif a == "":
                assert b is None
            elif isinstance(a, str) and typed_by_excel(a):
                assert b == "'" + a
            else:
                assert b == a and type(b) is type(a)
        assert all(v is None for v in out[len(orig):])


def test_a_row_typed_under_a_totals_row_is_a_finding_live_and_file(excel, example, tmp_path) -> None:
    """Found by an audit (2026-12): a result unit typed in the row under tblResultatenheter's
    Summa row (Excel does not take it into a table with a totals row) was left out of the
    resultatbalansering without a word. Now an error at that row, from both readers; a note
    typed there (text only) is a warning; a blank row ends what is looked at."""
    _, namnder = example

    def below(values: list[object], gap: bool = False):  # noqa: ANN202
        def edit(wb) -> None:  # noqa: ANN001
            ws = wb[S.T.RESULTATENHETER.sheet]
            last = int(ws.tables[S.T.RESULTATENHETER.name].ref.split(":")[1][1:])
            for j, v in enumerate(values, start=1):
                ws.cell(last + 1 + gap, j, v)
        return edit

    cases = [(["Fastighetsavdelningen", "nej", -500000, -560000], "error"),
             (["Obs: preliminära siffror"], "warning"),
             (["Fastighetsavdelningen", "nej", -500000, -560000], None)]  # under a blank row
    for i, (values, severity) in enumerate(cases):
        path = _edit(namnder[0], tmp_path / f"n{i}.xlsx", below(values, gap=severity is None))
        from_file = read_namnd(path)
        live = read_namnd(excel.source(excel.Book(path)))
        assert live.findings == from_file.findings
        mine = [f for f in from_file.findings if "direkt under tabellen" in f.message]
        if severity is None:
            assert not mine
            continue
        [f] = mine
        assert f.severity.value == severity and f.location.sheet == S.T.RESULTATENHETER.sheet
        assert f.location.cell.startswith("A") and f.location.table == S.T.RESULTATENHETER.name


@given(st.text(max_size=12) | st.from_regex(r"[ +-]?[0-9 ,.:/%-]{1,10}( ?(mars|maj|jan|e|kr))?",
                                            fullmatch=True))
def test_a_written_text_stays_the_same_text_in_excel(text: str) -> None:
    """Whatever text a sheet holds, Excel stores that text (``tests/xlwings_excel.typed``
    models how Excel reads a string given to ``Range.Value``: numbers, dates, booleans, errors,
    formulas, the apostrophe)."""
    from tests.xlwings_excel import typed

    written = to_excel_rows([[text]])[0][0]
    if written is None:
        assert text == ""
        return
    assert typed(written)[0] == text, (text, written)


@pytest.mark.parametrize("text", ["4010", "0100", "2025-03-31", "mars 2026", "12 maj", "1/3",
                                  "5 %", "1e5", "100 kr", "SANT", "epätosi", "=A1", "+46",
                                  "-", "#N/A", "'quoted"])
def test_texts_excel_would_take_for_something_else_are_written_behind_an_apostrophe(
        text: str) -> None:
    assert to_excel_rows([[text]]) == [["'" + text]]


@pytest.mark.parametrize("text", ["Bokslut 2024", "Plan 2027", "Äldreomsorg", "12 tkr",
                                  "n2.xlsx", "Socialnämnden / Hemvård", "A10"])
def test_ordinary_texts_are_written_as_they_are(text: str) -> None:
    assert to_excel_rows([[text]]) == [[text]]
