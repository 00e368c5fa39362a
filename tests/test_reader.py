"""Reading input by table name and header (issue 5, spec V10).

Tables are found by name wherever the user moved them; every cell carries its sheet and A1
address; error values come through as CellError, never as a zero or a blank; input problems are
findings with Swedish messages, not exceptions.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter
from workbook_fixtures import INPUT_SHEET, OWNED_SHEET, TABLE_HEADERS, TABLE_NAME, build_fixture

from engine.findings import Severity
from engine.input_hygiene import excel_error
from workbook_templates.files.reader import (
    Cell,
    CellError,
    WorkbookReadError,
    _scan_errors,
    cell_name,
    col_letters,
    col_number,
    expect_number,
    is_percent_format,
    open_workbook,
    parse_cell,
    parse_range,
    read_table,
)

# ---------------------------------------------------------------------------------------------
# Addresses


def test_addresses_round_trip() -> None:
    assert col_number("A") == 1 and col_number("Z") == 26 and col_number("AA") == 27
    assert col_number("XFD") == 16384
    for n in (1, 26, 27, 52, 53, 702, 703, 16384):
        assert col_number(col_letters(n)) == n
    assert parse_cell("$B$5") == (5, 2)
    assert cell_name(5, 2) == "B5"
    assert parse_range("D9:B2") == (2, 2, 9, 4)
    with pytest.raises(ValueError):
        parse_cell("B0")
    with pytest.raises(ValueError):
        parse_cell("XFE1")


# ---------------------------------------------------------------------------------------------
# Tables by name, wherever they are


@pytest.mark.parametrize(
    ("anchor", "extra", "first_col", "first_row"),
    [("B3", 0, "B", 4), ("B3", 2, "D", 4), ("E12", 0, "E", 13), ("E12", 3, "H", 13)],
)
def test_table_found_by_name_after_rows_and_columns_inserted(
    tmp_path: Path, anchor: str, extra: int, first_col: str, first_row: int
) -> None:
    book = build_fixture(tmp_path / "b.xlsm", table_at=anchor, extra_columns=extra)
    res = read_table(book, TABLE_NAME, TABLE_HEADERS)
    assert res.findings == ()
    t = res.table
    assert t.sheet == INPUT_SHEET and t.headers == TABLE_HEADERS
    assert [c.value for c in t.column("Nämnd")] == [
        "Kommunstyrelsen",
        "Barn- och utbildningsnämnden",
        "Socialnämnden",
        "Tekniska nämnden",
    ]
    first = t.rows[0]
    assert first.row == first_row
    assert first["Nämnd"].address == f"{first_col}{first_row}"
    # Belopp is two columns right of Nämnd: its address moves with the table
    assert first["Belopp"].address == f"{col_letters(col_number(first_col) + 2)}{first_row}"
    assert first["Belopp"].value == Decimal("1250000.5")  # exact, not 1250000.5000000002
    assert first["belopp "].value == first["Belopp"].value  # header lookup forgives case/space


def test_table_name_is_case_insensitive_like_excel(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "b.xlsm")
    assert read_table(book, "BUDGET").table is not None


def test_v10_error_values_dates_and_numbers(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "b.xlsm")
    with open_workbook(book) as wb:
        t = wb.table(TABLE_NAME, TABLE_HEADERS).table
        rows = {r["Nämnd"].value: r for r in t.rows}
    soc = rows["Socialnämnden"]
    # =1/0 in the cell: an error value, recognisable, never a zero or a blank
    assert soc["Belopp"].value == CellError("#DIV/0!")
    assert isinstance(soc["Belopp"].value, CellError)
    assert soc["Belopp"].value is not None and soc["Belopp"].value != 0
    assert excel_error(soc["Belopp"].value) == "#DIV/0!"  # the engine's hygiene sees it too
    assert rows["Kommunstyrelsen"]["Datum"].value == dt.date(2025, 1, 15)
    assert rows["Kommunstyrelsen"]["År"].value == Decimal(2025)
    assert rows["Tekniska nämnden"]["Belopp"].value == Decimal("42.1")
    assert rows["Barn- och utbildningsnämnden"]["Belopp"].value == Decimal(-350000)


def test_numbers_as_floats_on_request(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "b.xlsm")
    with open_workbook(book, numbers="float") as wb:
        assert wb.values(INPUT_SHEET, ["M3"]) == {"M3": 15230.0}


def test_v10_error_value_becomes_a_finding_with_the_cell(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "b.xlsm", table_at="C5")
    t = read_table(book, TABLE_NAME).table
    cell = next(r for r in t.rows if r["Nämnd"].value == "Socialnämnden")["Belopp"]
    amount, finding = expect_number(cell, what="Belopp")
    assert amount is None
    assert finding.rule == "V10" and finding.severity is Severity.ERROR
    assert finding.location.sheet == INPUT_SHEET and finding.location.cell == "E8"
    assert "#DIV/0!" in finding.message and "inte som noll" in finding.message


@pytest.mark.parametrize(
    ("value", "expected", "fragment"),
    [
        (None, None, None),
        ("   ", None, None),
        (Decimal("12.50"), Decimal("12.50"), None),
        (7, Decimal(7), None),
        (0.1, Decimal("0.1"), None),
        ("12 tkr", None, "texten"),
        (True, None, "sanningsvärde"),
        (dt.date(2025, 1, 1), None, "datum"),
        (CellError("#REF!"), None, "#REF!"),
    ],
)
def test_v10_expect_number(value, expected, fragment) -> None:
    amount, finding = expect_number(Cell("Indata", "D7", value))
    assert amount == expected
    if fragment is None:
        assert finding is None
    else:
        assert fragment in finding.message and finding.location.cell == "D7"


def test_blank_rows_are_skipped_and_totals_row_excluded(tmp_path: Path) -> None:
    p = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("Blad")
    ws.add_table(
        "B2:C6",
        {
            "name": "Poster",
            "columns": [{"header": "Post"}, {"header": "Belopp", "total_function": "sum"}],
            "data": [["a", 1], [None, None], ["b", 2]],
            "total_row": True,
        },
    )
    wb.close()
    res = read_table(p, "Poster", ["Post", "Belopp"])
    assert [(r.row, r.value("Post")) for r in res.table.rows] == [(3, "a"), (5, "b")]
    assert len(read_table(p, "Poster", skip_blank_rows=False).table.rows) == 3


# ---------------------------------------------------------------------------------------------
# Findings: missing table, missing / duplicated / merged headers


def test_v10_missing_table_is_a_finding(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "b.xlsm")
    res = read_table(book, "Investeringar")
    assert res.table is None
    (f,) = res.findings
    assert f.rule == "V10" and f.severity is Severity.ERROR
    assert f.location.table == "Investeringar" and f.location.workbook == "b.xlsm"
    assert "saknas" in f.message and "Budget" in f.message  # names the tables that exist


def test_v10_missing_header_is_a_finding_at_the_header_row(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "b.xlsm")
    res = read_table(book, TABLE_NAME, ["Nämnd", "Konto", "Belopp"])
    (f,) = res.findings
    assert "'Konto'" in f.message and "Lägg till" in f.message
    assert f.location.sheet == INPUT_SHEET and f.location.cell == "B3:E3"
    assert res.table is not None and not res.table.has("Konto")  # the rest is still readable


def test_v10_duplicate_header_is_a_finding_first_one_wins(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "b.xlsm", duplicate_header=True)
    res = read_table(book, TABLE_NAME, TABLE_HEADERS)
    (f,) = res.findings
    assert "två gånger" in f.message and f.location.cell == "F3"
    assert "D3" in f.message
    assert res.table.rows[0]["Belopp"].address == "D4"


def test_v10_merged_header_cells_are_a_finding(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "b.xlsm", merged_header=True)
    res = read_table(book, TABLE_NAME, TABLE_HEADERS)
    (f,) = res.findings
    assert "sammanfogade" in f.message and f.location.cell == "D3:E3"
    assert "Dela upp" in f.message


# ---------------------------------------------------------------------------------------------
# Named ranges, plain ranges, sheets


def test_named_and_plain_ranges(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "b.xlsm")
    with open_workbook(book) as wb:
        inv = wb.named_range("Invanare")
        assert inv.sheet == INPUT_SHEET and inv.ref == "M3"
        assert inv.values() == [[Decimal(15230)]]
        netto = wb.named_range("netto")
        assert [row[0].address for row in netto.cells] == ["B2", "B3", "B4", "B5"]
        local = wb.named_range("Utskriftsomrade")  # sheet-scoped name
        assert local.ref == "A1:C5" and local.values()[0] == ["Nämnd", "Netto", "Dubbelt"]
        assert wb.range(OWNED_SHEET, "B2:C2").values() == [
            [Decimal("1250000.5"), Decimal("2500001")]
        ]
        missing = wb.named_range("Finns_inte")
        assert missing.cells is None and "saknas" in missing.findings[0].message
        nosheet = wb.range("Blad9", "A1")
        assert nosheet.cells is None and nosheet.findings[0].location.sheet == "Blad9"


def test_sheet_parts_come_from_the_relationships_not_the_file_names(tmp_path: Path) -> None:
    # Swap the targets of rId1 and rId2: the sheet *named* Indata now lives in sheet2.xml.
    book = build_fixture(tmp_path / "b.xlsm")
    with zipfile.ZipFile(book) as src:
        items = [(i, src.read(i.filename)) for i in src.infolist()]
    with zipfile.ZipFile(book, "w") as dst:
        for info, data in items:
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = (
                    data.replace(b"worksheets/sheet1.xml", b"TMP")
                    .replace(b"worksheets/sheet2.xml", b"worksheets/sheet1.xml")
                    .replace(b"TMP", b"worksheets/sheet2.xml")
                )
            dst.writestr(info, data)
    with open_workbook(book) as wb:
        assert wb.structure.sheet("Indata").part == "xl/worksheets/sheet2.xml"


def test_error_scan_handles_implicit_positions() -> None:
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData><row><c><v>1</v></c><c t=\"e\"><v>#REF!</v></c></row>"
        b'<row r="5"><c r="C5" t="e"><f>X</f><v>#VALUE!</v></c><c t="e"><v>#N/A</v></c></row>'
        b"</sheetData></worksheet>"
    )
    assert _scan_errors(xml) == {(1, 2): "#REF!", (5, 3): "#VALUE!", (5, 4): "#N/A"}


def test_entities_are_not_expanded() -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="e"><v>&x;</v></c></row></sheetData></worksheet>'
    )
    assert "root" not in _scan_errors(xml).get((1, 1), "")


# ---------------------------------------------------------------------------------------------
# Files that cannot be read


def test_v10_not_a_workbook_is_a_finding(tmp_path: Path) -> None:
    p = tmp_path / "inte.xlsx"
    p.write_text("hej")
    with pytest.raises(WorkbookReadError) as e:
        open_workbook(p)
    assert e.value.finding.location.workbook == "inte.xlsx"
    res = read_table(p, TABLE_NAME)
    assert res.table is None and "kan inte läsas" in res.findings[0].message
    res = read_table(tmp_path / "saknas.xlsx", TABLE_NAME)
    assert "finns inte" in res.findings[0].message


@pytest.mark.parametrize("numbers", ["decimal", "float"])
def test_numeric_year_headers_match_their_text(tmp_path: Path, numbers: str) -> None:
    p = tmp_path / "ar.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("Blad")
    ws.add_table("A1:C2", {"name": "Ar", "columns": [{"header": "Rad"}, {"header": "2025"},
                                                       {"header": "2026"}],
                           "data": [["Skatt", 1, 2]]})
    ws.write_number("B1", 2025)  # a header typed as a number (other tools do this)
    wb.close()
    with open_workbook(p, numbers=numbers) as r:
        res = r.table("Ar", ["Rad", "2025", "2026"])
    assert res.findings == () and res.table.rows[0]["2025"].address == "B2"


def test_error_scan_by_reference_is_the_full_scan() -> None:
    """Issue 17: the error-value scan visits only <c> elements when every cell and row names its
    position, and gives exactly what the full scan gives; with implicit or contradicting
    positions it declines (None) and the full scan decides."""
    from workbook_templates.files.reader import (
        NO_CACHED_VALUE,
        _scan_errors,
        _scan_errors_by_ref,
        _scan_errors_full,
    )

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    sheet = (f'<worksheet {ns}><sheetData>'
             '<row r="2"><c r="A2" t="e"><v>#REF!</v></c><c r="B2"><f>1/0</f></c>'
             '<c r="C2"><f>A1</f><v>3</v></c><c r="D2" t="str"><f>"x"</f></c>'
             '<c r="E2"><f>A1</f><v> </v></c><c r="F2" t="e"><f>NA()</f><v>#N/A</v></c></row>'
             '<row r="7"><c r="AA7" t="e"/><c r="AB7"><f t="shared" si="0"/></c></row>'
             '</sheetData></worksheet>').encode()
    want = {(2, 1): "#REF!", (2, 2): NO_CACHED_VALUE, (2, 5): NO_CACHED_VALUE, (2, 6): "#N/A",
            (7, 27): "#N/A", (7, 28): NO_CACHED_VALUE}
    assert _scan_errors_full(sheet) == want
    assert _scan_errors_by_ref(sheet) == want
    assert _scan_errors(sheet) == want
    implicit = sheet.replace(b' r="B2"', b"")  # position counted on from A2
    assert _scan_errors_by_ref(implicit) is None
    assert _scan_errors(implicit) == _scan_errors_full(implicit) == want
    moved = sheet.replace(b'<c r="B2">', b'<c r="B3">')  # the row's position wins in the full scan
    assert _scan_errors_by_ref(moved) is None
    assert _scan_errors(moved) == _scan_errors_full(moved) == want


def _sheet_part_encoded(tmp_path: Path, name: str, encode) -> tuple[Path, Path]:  # noqa: ANN001
    """A one-sheet workbook (Skatteinkomster 1000 in A1:B1) and a copy of it whose sheet part is
    ``encode``d from its UTF-8 text (an XML declaration added when it has none)."""
    src = tmp_path / "utf8.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    wb.add_worksheet("Blad1").write_row(0, 0, ["Skatteinkomster", 1000])
    wb.close()
    path = tmp_path / f"{name}.xlsx"
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                if not text.startswith("<?xml"):
                    text = '<?xml version="1.0" encoding="UTF-8"?>' + text
                data = encode(text)
            out.writestr(info, data)
    return src, path


@pytest.mark.parametrize(("encode", "named"), [
    (lambda t: t.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"), "UTF-16"),
    (lambda t: t.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-be"), "UTF-16"),
])
def test_a_sheet_part_not_in_utf8_is_refused_not_read_as_empty(tmp_path: Path, encode,
                                                               named: str) -> None:
    # found by a differential fuzz (2026-12): calamine reads a UTF-16 sheet part as an empty
    # sheet, without an error, so every amount on it was silently blank. Excel writes UTF-8.
    src, path = _sheet_part_encoded(tmp_path, named, encode)
    with open_workbook(src) as r:  # the same sheet in UTF-8 reads
        assert r.cell("Blad1", 1, 2).value == Decimal(1000)
    with open_workbook(path) as r, pytest.raises(WorkbookReadError, match=named) as err:
        r.cell("Blad1", 1, 2)
    assert err.value.finding.location.sheet == "Blad1"


def test_a_sheet_part_in_a_single_byte_encoding_is_read(tmp_path: Path) -> None:
    # calamine reads a part declared ISO-8859-1; only the two- and four-byte encodings are refused
    _, path = _sheet_part_encoded(
        tmp_path, "latin1",
        lambda t: t.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1"))
    with open_workbook(path) as r:
        assert r.cell("Blad1", 1, 2).value == Decimal(1000)


def test_a_sheets_text_is_let_go_before_calamine_loads_it(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: the extent check's bytes of a sheet part were kept for the error-value scan
    while calamine loaded the sheet (the part's text and its grid at once: the large size's
    peak). The scan now runs first; the error values are still found at their cells."""
    from workbook_templates.files import reader as rd

    book = build_fixture(tmp_path / "b.xlsm")
    held: list[bool] = []
    real = rd._load_sheet

    def load(cal: object, sheet: str) -> object:
        held.append(sheet in wb._sheet_xml)
        return real(cal, sheet)

    monkeypatch.setattr(rd, "_load_sheet", load)
    with open_workbook(book) as wb:
        t = wb.table(TABLE_NAME, TABLE_HEADERS).table
        rows = {r["Nämnd"].value: r for r in t.rows}
    assert held and not any(held)
    assert rows["Socialnämnden"]["Belopp"].value == CellError("#DIV/0!")


# ---------------------------------------------------------------------------------------------
# Number formats of a few cells: a percent setting typed "10 %" is stored 0.1 (2026-12)


@pytest.mark.parametrize(("code", "percent"), [
    ("0%", True), ("0.00%", True), ("0.0 %", True), ("#,##0.0%;[Red]-0.0%", True),
    ("[$-41D]0%", True), ("General", False), ("0", False), ('0 "%"', False), ("0\\%", False),
    ("0;0%", False), ("@", False), ("", False), (None, False)])
def test_a_percent_format_is_a_percent_sign_outside_literals(code: str, percent: bool) -> None:
    assert is_percent_format(code) is percent


def test_percent_formatted_reads_the_cells_styles(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Regler RB"
    for a, value, fmt in [("B1", 0.1, "0%"), ("B2", 0.1, "0.00%"), ("B3", 0.1, "0.0 %"),
                          ("B4", 10, "General"), ("B5", 10, "0"), ("B6", 0.1, '0 "%"')]:
        ws[a].value, ws[a].number_format = value, fmt
    wb.save(tmp_path / "f.xlsx")
    with open_workbook(tmp_path / "f.xlsx") as r:
        got = r.percent_formatted("Regler RB", ["B1", "$B$2", "B3", "B4", "B5", "B6", "B9"])
        assert got == {"B1": True, "B2": True, "B3": True, "B4": False, "B5": False,
                       "B6": False, "B9": None}  # B9: no such cell, nothing known
        assert r.percent_formatted("Finns inte", ["B1"]) == {"B1": None}
