"""Tests of the LibreOffice harness (issue 7) on workbooks built here.

Proves that: forced recalculation really replaces stale cached values (for .xlsx and .ods, with a
control run showing stale values survive without it); a reference to a missing sheet surfaces as an
error cell; renders are real PNGs of the right sheet; parallel calls and timeouts are safe. It also
pins, function by function, the LibreOffice results that docs/LIBREOFFICE.md relies on: what
LibreOffice computes exactly as Excel does (allowed in templates) and where it differs (banned).

soffice starts are slow (~1.5 s each), so the workbooks are converted in batches by module fixtures.
"""

from __future__ import annotations

import os
import sys
import threading
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` is not a package (yet)

from tests.libreoffice import (  # noqa: E402
    ErrorCell,
    LibreOfficeError,
    LibreOfficeTimeout,
    _slug,
    error_cells,
    formula_cells,
    needs_libreoffice,
    needs_renderer,
    read_values,
    recalculate,
    recalculate_many,
    render_pdf,
    render_png,
)

STALE = 999999  # cached value written for every formula: wrong on purpose
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def cents(value: object) -> Decimal:
    """A float from the spreadsheet as money, to the cent (Excel rounding: half away from zero)."""
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- workbooks

# (cell, formula, hand-computed value) on sheet "Data" of stale.xlsx. Data:
#   A1:A4 amounts 1200.50, -300.25, 99.99, 0.01; B1:B4 "drift","inv","drift","inv";
#   C1:C4 quantities 2, 4, 1, 100.
STALE_FORMULAS = [
    # 1200.50 - 300.25 + 99.99 + 0.01 = 1000.25
    ("E1", "=SUM(A1:A4)", Decimal("1000.25")),
    # 1200.50 / 3 = 400.1666... -> 400.17
    ("E2", "=ROUND(A1/3,2)", Decimal("400.17")),
    # -300.25 / 2 = -150.125 -> half away from zero -> -150.13
    ("E3", "=ROUND(A2/2,2)", Decimal("-150.13")),
    # drift: 1200.50 + 99.99 = 1300.49
    ("E4", '=SUMIFS(A1:A4,B1:B4,"drift")', Decimal("1300.49")),
    # inv: -300.25 + 0.01 = -300.24
    ("E5", '=SUMIFS(A1:A4,B1:B4,"inv")', Decimal("-300.24")),
    # 1200.50*2 - 300.25*4 + 99.99*1 + 0.01*100 = 2401 - 1201 + 99.99 + 1 = 1300.99
    ("E6", "=SUMPRODUCT(A1:A4,C1:C4)", Decimal("1300.99")),
    # E1 = 1000.25 > 1000 -> 1
    ("E7", "=IF(E1>1000,1,0)", Decimal("1")),
    # sum of drift rows times quantity: 1200.50*2 + 99.99*1 = 2500.99
    ("E8", '=SUMPRODUCT((B1:B4="drift")*A1:A4*C1:C4)', Decimal("2500.99")),
]
# Sheet "Summa": A1 = Data!E1 * 2 = 2000.50 (cross-sheet reference to a formula cell)
CROSS_SHEET = ("A1", "=Data!E1*2", Decimal("2000.50"))
STALE_TEXT_IF = ("E9", '=IF(E4>E5,"drift störst","inv störst")', "drift störst")


def build_stale(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    data = wb.add_worksheet("Data")
    for row, (amount, kind, qty) in enumerate(
        [(1200.50, "drift", 2), (-300.25, "inv", 4), (99.99, "drift", 1), (0.01, "inv", 100)]
    ):
        data.write_number(row, 0, amount)
        data.write_string(row, 1, kind)
        data.write_number(row, 2, qty)
    for cell, formula, _ in STALE_FORMULAS:
        data.write_formula(cell, formula, None, STALE)
    data.write_formula(STALE_TEXT_IF[0], STALE_TEXT_IF[1], None, "stale")
    data.write_string("G1", "#N/A")  # a text label that only looks like an error
    summa = wb.add_worksheet("Summa")
    summa.write_formula(CROSS_SHEET[0], CROSS_SHEET[1], None, STALE)
    wb.close()


def build_missing_ref(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rapport"
    ws["A1"] = "=Saknas!A1"  # sheet "Saknas" does not exist
    ws["A2"] = "=1+1"
    ws["A3"] = "Rubrik"
    wb.save(path)


# Functions LibreOffice computes exactly as Excel does. Expected = Excel's documented result
# (Microsoft function reference examples or its stated rules), hand-checked. Cells go in column A
# of sheet "F"; data for the lookups in F1:G4 ("ab",1 / "abc",2 / "AB",4 / "a.b",8).
IDENTICAL = [
    ("=ROUND(2.675,2)", 2.68),  # Excel rounds the decimal number, not the binary double
    ("=ROUND(1.005,2)", 1.01),
    ("=ROUND(-1.005,2)", -1.01),
    ("=ROUND(-1.475,2)", -1.48),  # Microsoft ROUND example
    ("=ROUND(-0.5,0)", -1),  # half away from zero, not banker's
    ("=ROUND(2.5,0)", 3),
    ("=ROUND(-2.5,0)", -3),
    ("=ROUND(1234.5,-1)", 1230),
    ("=ROUND(1235,-1)", 1240),
    ("=ROUNDUP(-2.1,0)", -3),
    ("=ROUNDDOWN(-2.9,0)", -2),
    ("=INT(-2.5)", -3),
    ("=TRUNC(-2.5)", -2),
    ("=MOD(-3,2)", 1),
    ("=MOD(3,-2)", -1),
    ("=MROUND(10,3)", 9),  # Microsoft MROUND examples
    ("=MROUND(-10,-3)", -9),
    ("=MROUND(1.3,0.2)", 1.4),
    ("=DATE(2024,1,1)", 45292),
    ("=DATE(1900,3,1)", 61),  # first date where both calendars agree
    ("=WEEKDAY(DATE(2024,1,1))", 2),  # Monday
    ('="a"="A"', True),  # comparison ignores case
    ('=EXACT("a","A")', False),
    ('=SUMIFS(G1:G4,F1:F4,"ab")', 5),  # whole-cell, case-insensitive: ab + AB = 1 + 4
    ('=SUMIFS(G1:G4,F1:F4,"ab*")', 7),  # wildcard: ab + abc + AB = 1 + 2 + 4
    ('=SUMIFS(G1:G4,F1:F4,"<>ab")', 10),  # abc + a.b = 2 + 8
    ('=SUMIF(F1:F4,"ab.*",G1:G4)', 0),  # no regular expressions: "." is literal
    ('=COUNTIF(F1:F4,"a?")', 2),  # ab, AB
    ('=SUMIFS(G1:G4,G1:G4,">=2",G1:G4,"<8")', 6),  # 2 + 4
    ("=SUMPRODUCT((G1:G4>2)*G1:G4)", 12),  # 4 + 8
    ('=SUMPRODUCT(--(F1:F4="ab"),G1:G4)', 5),
    ("=SUM(F1:G4)", 15),  # text in a range is ignored: 1 + 2 + 4 + 8
    ("=SUM(15,TRUE)", 16),  # logical typed as an argument counts as 1
    ('="1"+1', 2),
    ('=IFERROR(1/0,"fel")', "fel"),
    ("=AVERAGE(H1:H2)", "#DIV/0!"),  # empty range
    ("=COUNTBLANK(H3:H4)", 2),  # H3 holds ="" -> counts as blank
    ("=COUNTA(H3:H4)", 1),  # ... but COUNTA counts it
    ('=VLOOKUP("AB",F1:G4,2,FALSE)', 1),  # exact match ignores case: first hit "ab"
    ('=MATCH("abc",F1:F4,0)', 2),
    ("=SUBTOTAL(9,G1:G4)", 15),
    # Excel 2016/2019 functions, written with the _xlfn. prefix (XlsxWriter: use_future_functions)
    ('=IFS(G1>0,"pos",TRUE,"neg")', "pos"),
    ('=SWITCH(2,1,"a",2,"b")', "b"),
    ('=CONCAT("a","b")', "ab"),
    ('=TEXTJOIN(",",TRUE,F1:F2)', "ab,abc"),
    ('=MAXIFS(G1:G4,F1:F4,"ab")', 4),
]

# Where LibreOffice 7.4 differs from Excel: (formula, Excel's documented result, LibreOffice's).
# The test pins LibreOffice's value, so a LibreOffice upgrade that changes it is noticed.
DIFFERENT = [
    ("=DATE(1900,1,1)", 1, 2),  # Excel counts the non-existent 1900-02-29
    ("=DAY(60)", 29, 28),  # serial 60 is Excel's phantom 1900-02-29
    ("=YEAR(0)", 1900, 1899),  # Excel's day 0 is "1900-01-00", LibreOffice's 1899-12-30
    ('=SUM("5",15,TRUE)', 21, "#VALUE!"),  # Microsoft SUM example; LO rejects text argument
    ("=MROUND(5,-2)", "#NUM!", 6),  # Microsoft MROUND example: different signs -> #NUM!
    ("=CEILING(2.5,-2)", "#NUM!", "#VALUE!"),  # both an error, but not the same one
    ("=SQRT(-1)", "#NUM!", "#VALUE!"),
    ("=XLOOKUP(4,G1:G4,F1:F4)", "AB", "#NAME?"),  # Excel 365 only; LibreOffice >= 24.8
    ("=LET(x,1,x+1)", 2, "#NAME?"),
    ("=UNIQUE(G1:G4)", 1, "#NAME?"),  # dynamic arrays
]


def build_functions(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"use_future_functions": True})
    ws = wb.add_worksheet("F")
    for row, (text, number) in enumerate([("ab", 1), ("abc", 2), ("AB", 4), ("a.b", 8)]):
        ws.write_string(row, 5, text)
        ws.write_number(row, 6, number)
    ws.write_formula("H3", '=""', None, "")
    plain = wb.add_format({"num_format": "0.###############"})  # no date format on DATE()
    for row, (formula, *_) in enumerate(IDENTICAL + DIFFERENT):
        ws.write_formula(row, 0, formula, plain, STALE)
    wb.close()


def build_render(path: Path) -> None:
    """A wide sheet with the page setup docs/LIBREOFFICE.md recommends, and a summary sheet."""
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Resultaträkning"
    ws.append(["Post"] + [f"År {year}" for year in range(2020, 2032)])
    for cell in ws[1]:
        cell.font = Font(name="Calibri", bold=True)
    for i in range(1, 31):
        ws.append([f"Verksamhetens intäkter rad {i}"] + [1000 * i + k for k in range(12)])
    ws.column_dimensions["A"].width = 32
    summary = wb.create_sheet("Balans räkning")
    summary["A1"] = "Summa"
    summary["B1"] = "=SUM('Resultaträkning'!B2:B31)"  # 1000 * (1 + ... + 30) = 465000
    for sheet in (ws, summary):
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(path)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    src = tmp_path_factory.mktemp("lo-src")
    paths = {
        "stale": src / "stale.xlsx",
        "missing": src / "missing_ref.xlsx",
        "functions": src / "functions.xlsx",
    }
    build_stale(paths["stale"])
    build_missing_ref(paths["missing"])
    build_functions(paths["functions"])
    return paths


@pytest.fixture(scope="module")
def stale_ods(sources: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """stale.xlsx saved as .ods WITHOUT recalculation: the .ods carries the stale values."""
    out = tmp_path_factory.mktemp("lo-never-ods")
    ods = recalculate(sources["stale"], out, fmt="ods", recalc=False)
    return ods.rename(out / "stale_odf.ods")


@pytest.fixture(scope="module")
def recalculated(
    sources: dict[str, Path], stale_ods: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """All sources recalculated to .xlsx in ONE soffice run (xlsx and ods inputs mixed)."""
    out = tmp_path_factory.mktemp("lo-recalc")
    names = ["stale", "missing", "functions"]
    converted = recalculate_many([sources[n] for n in names] + [stale_ods], out)
    return dict(zip([*names, "stale_odf"], converted, strict=True))


# --------------------------------------------------------------------------- recalculation


def check_stale_workbook_recalculated(values: dict[str, dict[str, object]]) -> None:
    for cell, formula, expected in STALE_FORMULAS:
        assert cents(values["Data"][cell]) == expected, (cell, formula, values["Data"][cell])
    assert values["Data"][STALE_TEXT_IF[0]] == STALE_TEXT_IF[2]
    assert cents(values["Summa"][CROSS_SHEET[0]]) == CROSS_SHEET[2]


@needs_libreoffice
def test_stale_xlsx_cached_values_are_recalculated(recalculated: dict[str, Path]) -> None:
    check_stale_workbook_recalculated(read_values(recalculated["stale"]))


@needs_libreoffice
def test_stale_ods_cached_values_are_recalculated(
    stale_ods: Path, recalculated: dict[str, Path]
) -> None:
    from python_calamine import CalamineWorkbook

    # Precondition: the .ods really holds the stale value (else this test would prove nothing).
    ods_data = CalamineWorkbook.from_path(str(stale_ods)).get_sheet_by_name("Data").to_python()
    assert ods_data[0][4] == STALE  # E1
    check_stale_workbook_recalculated(read_values(recalculated["stale_odf"]))


@needs_libreoffice
def test_control_without_forced_recalc_stale_values_survive(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    """Shows the profile setting is what does the work: recalc mode 'never' keeps 999999."""
    values = read_values(recalculate(sources["stale"], tmp_path, recalc=False))
    assert values["Data"]["E1"] == STALE
    assert values["Summa"]["A1"] == STALE


@needs_libreoffice
def test_good_workbook_has_no_error_cells(recalculated: dict[str, Path]) -> None:
    # G1 holds the *text* "#N/A": a label, not an error value.
    assert read_values(recalculated["stale"])["Data"]["G1"] == "#N/A"
    assert error_cells(recalculated["stale"]) == []


@needs_libreoffice
def test_reference_to_missing_sheet_is_an_error_cell(recalculated: dict[str, Path]) -> None:
    errors = error_cells(recalculated["missing"])
    # LibreOffice reads the unknown sheet name as an unknown name -> #NAME? (Excel shows #REF!).
    assert errors == [ErrorCell("Rapport", "A1", "#NAME?")]
    values = read_values(recalculated["missing"])
    assert values["Rapport"]["A2"] == 2
    assert values["Rapport"]["A3"] == "Rubrik"


@needs_libreoffice
@pytest.mark.parametrize(
    ("row", "formula", "excel"),
    [(i + 1, f, e) for i, (f, e) in enumerate(IDENTICAL)],
    ids=[f for f, _ in IDENTICAL],
)
def test_function_identical_in_excel_and_libreoffice(
    recalculated: dict[str, Path], row: int, formula: str, excel: object
) -> None:
    value = read_values(recalculated["functions"])["F"][f"A{row}"]
    if isinstance(excel, bool):
        assert value in (excel, int(excel))  # booleans come back as 1/0 under a number format
    elif isinstance(excel, str):
        assert value == excel
    else:
        assert value == pytest.approx(excel, abs=1e-12), formula


@needs_libreoffice
@pytest.mark.parametrize(
    ("row", "formula", "excel", "libreoffice"),
    [(len(IDENTICAL) + i + 1, f, e, lo) for i, (f, e, lo) in enumerate(DIFFERENT)],
    ids=[f for f, _, _ in DIFFERENT],
)
def test_function_differs_between_excel_and_libreoffice(
    recalculated: dict[str, Path], row: int, formula: str, excel: object, libreoffice: object
) -> None:
    value = read_values(recalculated["functions"])["F"][f"A{row}"]
    assert value == libreoffice, formula
    assert value != excel


@needs_libreoffice
def test_formula_cells_lists_source_formulas(sources: dict[str, Path]) -> None:
    formulas = formula_cells(sources["stale"])
    assert formulas["Data"]["E1"] == "=SUM(A1:A4)"
    assert formulas["Summa"] == {"A1": "=Data!E1*2"}
    assert "A1" not in formulas["Data"]  # a number, not a formula


# --------------------------------------------------------------------------- robustness


@needs_libreoffice
def test_parallel_calls_use_separate_profiles(sources: dict[str, Path], tmp_path: Path) -> None:
    results: dict[int, object] = {}

    def run(i: int) -> None:
        try:
            results[i] = read_values(recalculate(sources["stale"], tmp_path / f"p{i}"))
        except Exception as exc:  # reported below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        assert not isinstance(results[i], Exception), results[i]
        check_stale_workbook_recalculated(results[i])  # type: ignore[arg-type]


def _live_members(pgid: int) -> list[int]:
    """Pids in process group pgid that are not zombies (Linux /proc)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            live.append(int(stat.parent.name))
    return live


@needs_libreoffice
def test_timeout_kills_the_whole_process_group(sources: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(LibreOfficeTimeout) as info:
        recalculate(sources["stale"], tmp_path, timeout=0.2)
    if Path("/proc/self/stat").exists():
        assert _live_members(info.value.pid) == []


@needs_libreoffice
def test_unloadable_file_raises(tmp_path: Path) -> None:
    bad = tmp_path / "src" / "trasig.xlsx"
    bad.parent.mkdir()
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LibreOfficeError, match="trasig"):
        recalculate(bad, tmp_path / "out")


def test_refuses_to_overwrite_source(sources: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="overwrite"):
        recalculate(sources["stale"], sources["stale"].parent)


def test_refuses_colliding_output_names(sources: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "b" / "stale.xlsx"
    other.parent.mkdir()
    other.write_bytes(sources["stale"].read_bytes())
    with pytest.raises(ValueError, match="collide"):
        recalculate_many([sources["stale"], other], tmp_path / "out")


def test_read_values_refuses_ods(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xlsx"):
        read_values(tmp_path / "x.ods")


def test_slug_makes_ascii_file_names() -> None:
    assert _slug("Resultaträkning") == "resultatrakning"
    assert _slug("Balans räkning") == "balans-rakning"
    assert _slug("Ö/Å  2024") == "o-a-2024"
    assert _slug("§§") == "sheet"


# --------------------------------------------------------------------------- rendering


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    src = tmp_path_factory.mktemp("lo-render-src") / "exempel.xlsx"
    build_render(src)
    out = tmp_path_factory.mktemp("lo-render")
    return out, render_png(src, out)


@needs_renderer
def test_render_png_gives_one_landscape_page_per_sheet(
    rendered: tuple[Path, list[Path]],
) -> None:
    out, pngs = rendered
    assert [p.name for p in pngs] == [
        "exempel-resultatrakning-p1.png",  # fit to width: 13 columns on one landscape page
        "exempel-balans-rakning-p1.png",
    ]
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == PNG_SIGNATURE
        # IHDR: width and height as big-endian 32-bit integers at bytes 16..24
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width > height  # landscape A4 at 80 dpi: 936 x 662
        assert width >= 900
    # the wide sheet has real content; the summary sheet is one line on a blank page
    assert pngs[0].stat().st_size > 20_000
    assert pngs[1].stat().st_size > 1_000


@needs_renderer
def test_render_shows_the_right_sheet_with_recalculated_values(
    rendered: tuple[Path, list[Path]],
) -> None:
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None and not os.environ.get("KB_REQUIRE_LIBREOFFICE"):
        pytest.skip("pdftotext not installed")
    out, _ = rendered

    def text(name: str) -> str:
        return subprocess.run(
            ["pdftotext", "-layout", str(out / name), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    first = text("exempel-resultatrakning.pdf")
    assert "År 2031" in first  # last column made it onto the page
    assert "Verksamhetens intäkter rad 30" in first
    assert "Summa" not in first  # the other sheet is hidden while rendering this one
    second = text("exempel-balans-rakning.pdf")
    assert "465000" in second  # = 1000 * (1 + 2 + ... + 30), computed from the hidden sheet
    assert "Verksamhetens" not in second


def test_render_unknown_sheet_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "w.xlsx"
    build_missing_ref(src)
    with pytest.raises(ValueError, match="Budget"):
        render_pdf(src, tmp_path / "out", sheets=["Budget"])


@needs_renderer
def test_render_whole_sheet_is_cropped_to_the_used_range(tmp_path: Path) -> None:
    src = tmp_path / "exempel.xlsx"
    build_render(src)
    pngs = render_png(src, tmp_path / "out", sheets=["Balans räkning"], whole_sheet=True)
    assert [p.name for p in pngs] == ["exempel-balans-rakning-p1.png"]
    data = pngs[0].read_bytes()
    assert data[:8] == PNG_SIGNATURE
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    # two cells (A1:B1) instead of an A4 page (936 x 662 at 80 dpi)
    assert 0 < width < 300
    assert 0 < height < 50
