"""Our workbooks in a real spreadsheet application (issue 7): LibreOffice opens, recalculates and
saves every generated template and every refreshed example workbook; we read back what it computed.

* every file opens, keeps every sheet (hidden ones too) and has no error cell (#NAME?, #REF! …);
* every native formula cell (workbook_templates.generate.formula_sheets: totals rows, Översikt;
  workbook_templates.generate.udf_sheet: the native twins of the KB_ functions) as LibreOffice computes it
  equals the engine's value for the same quantity, to the cent (the twins: the UDF itself, run in
  Python on the same cells); a KB_ cell shows "kräver tillägget"; every formula cell has an
  expectation, so a new formula without one fails the test;
* the values the batch refresh wrote into the owned sheets are what LibreOffice reads: numbers to
  the cent, texts equal, nothing left over below them;
* the functions the formulas rely on beyond tests/test_libreoffice_harness.py's IDENTICAL list are
  pinned here (PINNED), as are two table-reference forms LibreOffice 7.4 reads differently
  (DIFFERENT_TABLES: banned in templates).

Groups: ``mall`` every template variant (kommun sv/fi, empty/example; committee empty/example),
``ex_sv`` and ``ex_fi`` the example refreshed with Swedish and Finnish statement wording,
``demo`` exactly what ``kommunbudget demo`` writes (formulas there once templates.py calls
formula_sheets). The files go through two soffice runs at once (~1.5 s a file).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` is not a package (yet)

from engine.budget import Berakning  # noqa: E402
from engine.money import ZERO  # noqa: E402
from engine.resultatbalansering import Balansering  # noqa: E402
from tests.libreoffice import (  # noqa: E402
    LIBREOFFICE_MARKS,
    build_refreshed_example,
    build_templates,
    committee_file,
    error_cells,
    formula_cells,
    read_values,
    recalculate_many,
    recalculate_parallel,
)
from workbook_templates import schema as S  # noqa: E402
from workbook_templates.cli.main import main as cli_main  # noqa: E402
from workbook_templates.generate.example import Exempel, exempelkommun  # noqa: E402
from workbook_templates.generate.formula_sheets import (  # noqa: E402
    CHECKS,
    OVERSIKT,
    RATIO_FIGURES,
    STATEMENT_FIGURES,
)
from workbook_templates.generate.templates import DEFAULT_COLUMNS  # noqa: E402
from workbook_templates.pipeline.refresh import RefreshReport, refresh  # noqa: E402

pytestmark = LIBREOFFICE_MARKS

EX = exempelkommun()
COMMITTEE_FILES = {Path(committee_file(n)).stem: n for n in EX.namndlista}
#: One committee template with the example stands for all six (same code, other rows); every
#: committee is covered refreshed.
TEMPLATE_COMMITTEE = "Socialnämnden"
TEMPLATES = ["kommun_sv_tom", "kommun_fi_tom", "kommun_sv_exempel", "kommun_fi_exempel",
             "namnd_tom", "mall_" + Path(committee_file(TEMPLATE_COMMITTEE)).stem]
REFRESHED = ["kommun", *COMMITTEE_FILES]
# ex_fi: only the municipality workbook differs from ex_sv (committee workbooks have no language)
FILES = [("mall", t) for t in TEMPLATES] + [("ex_sv", n) for n in REFRESHED] + [
    ("ex_fi", "kommun")] + [("demo", n) for n in REFRESHED]
IDS = [f"{g}/{n}" for g, n in FILES]


def cents(value: object) -> Decimal:
    """A number from the spreadsheet as money, to the cent (half away from zero)."""
    assert isinstance(value, int | float | Decimal) and not isinstance(value, bool), value
    return Decimal(repr(value) if isinstance(value, float) else value).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)


def same(lo: object, expected: object) -> bool:
    """LibreOffice's value equals the expected one: numbers to the cent, text exactly, blank as
    None/"", a date as a date (LibreOffice reads a date-formatted cell as a midnight datetime)."""
    if expected is None or expected == "":
        return lo is None or lo == ""
    if isinstance(expected, str):
        return lo == expected
    if isinstance(expected, dt.date) and not isinstance(expected, dt.datetime):
        return isinstance(lo, dt.datetime) and lo == dt.datetime.combine(expected, dt.time())
    if isinstance(lo, bool) or not isinstance(lo, int | float):
        return False
    return cents(lo) == cents(expected)


@dataclass
class Converted:
    src: Path
    out: Path
    values: dict[str, dict[str, object]]


@dataclass
class Runs:
    files: dict[tuple[str, str], Converted]
    reports: dict[str, RefreshReport]  # ex_sv, ex_fi, demo (demo: recomputed with write=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("lo_workbooks")
    sources: dict[tuple[str, str], Path] = {}
    for name, path in build_templates(root / "mall", [TEMPLATE_COMMITTEE]).items():
        sources[("mall", name)] = path
    reports = {}
    for group, sprak in (("ex_sv", "sv"), ("ex_fi", "fi")):
        reports[group] = build_refreshed_example(root / group, sprak)
    demo = root / "demo"
    cli_main(["demo", "--out", str(demo), "--quiet"])
    reports["demo"] = refresh([demo], demo / "kommun.xlsx", write=False)
    for group, name in FILES:
        if group != "mall":
            sources[(group, name)] = root / group / f"{name}.xlsx"
    assert set(sources) == set(FILES)
    stage = root / "stage"  # one batch needs unique file stems
    stage.mkdir()
    staged = []
    for (group, name), path in sources.items():
        staged.append(shutil.copy2(path, stage / f"{group}--{name}.xlsx"))
    outs = recalculate_parallel(staged, root / "lo")  # ~1.5 s a file; two soffice runs at once
    files = {key: Converted(src, out, read_values(out))
             for (key, src), out in zip(sources.items(), outs, strict=True)}
    return Runs(files, reports)


# --------------------------------------------------------------------------- opens cleanly


@pytest.mark.parametrize("key", FILES, ids=IDS)
def test_opens_with_every_sheet_and_no_error_value(runs: Runs, key: tuple[str, str]) -> None:
    c = runs.files[key]
    src = openpyxl.load_workbook(c.src, read_only=True)
    out = openpyxl.load_workbook(c.out, read_only=True)
    try:
        assert out.sheetnames == src.sheetnames
        for name in src.sheetnames:
            assert out[name].sheet_state == src[name].sheet_state, name
    finally:
        src.close()
        out.close()
    assert error_cells(c.out) == []


# --------------------------------------------------------------------------- native formulas


def _years(ex: Exempel | None) -> list[str]:
    return list(ex.kolumner) if ex else [c[0] for c in DEFAULT_COLUMNS]


def _sum(values: list[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), ZERO)


def _per_year(rows: list[dict[str, list[Decimal | None]]], codes: Callable[[str], bool],
              n: int) -> list[Decimal]:
    """Σ over rows (code -> amounts per year) of the codes selected, per year."""
    return [_sum([vals[i] for r in rows for code, vals in r.items() if codes(code)])
            for i in range(n)]


def _totals_expectations(path: Path, ex: Exempel | None, namnd: str | None
                         ) -> dict[tuple[str, str], object]:
    """Expected values of the totals rows (and the result beside tblResultatenheter), computed
    from the example's data with Decimal arithmetic."""
    n = len(_years(ex))
    b = ex.budget if ex else None
    tasks = [u.belopp for u in b.uppgifter if u.namnd == namnd] if b and namnd else []
    units = [e for e in ex.enheter if e.namnd == namnd] if ex and namnd else []
    utfall = [r for r in ex.utfall if r.namnd == namnd] if ex and namnd else []
    per_column: dict[str, dict[str, object]] = {
        # every line of the committee's tasks, signed: incomes + costs
        "tblDrift": dict(zip(_years(ex), _per_year(tasks, lambda c: True, n), strict=True)),
        # every flow of every project (IN.UTG negative, IN.FA and IN.FORS positive): the net
        "tblInvesteringar": dict(zip(_years(ex), _per_year(
            [p.belopp for p in b.projekt] if b else [], lambda c: True, n), strict=True)),
        # only the resultaträkning lines among the central items
        "tblCentrala": dict(zip(_years(ex), _per_year(
            [b.central] if b else [], lambda c: c.startswith("RR."), n), strict=True)),
        "tblUtfall": {"Utfall hittills": _sum([r.utfall for r in utfall]),
                      "Prognos helår": _sum([r.prognos for r in utfall])},
        # published signs: the template writes Utfall = budget + resultat; Justering empty
        "tblResultatenheter": {"Budget": _sum([e.budget for e in units]),
                               "Utfall": _sum([e.budget + e.resultat for e in units]),
                               "Justering": ZERO},
    }
    labels = {"tblDrift": "Summa", "tblUtfall": "Summa", "tblResultatenheter": "Summa",
              "tblInvesteringar": "Summa (netto)",
              "tblCentrala": "Summa resultaträkningsposter (RR.*)"}
    expected: dict[tuple[str, str], object] = {}
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for t in ws.tables.values():
            if not t.totalsRowCount:
                continue
            c1, r1, c2, r2 = range_boundaries(t.ref)
            for c in range(c1, c2 + 1):
                header = str(ws.cell(r1, c).value)
                cell = ws.cell(r2, c)
                if header in per_column[t.displayName]:
                    expected[(ws.title, cell.coordinate)] = per_column[t.displayName][header]
                elif cell.value is not None:
                    expected[(ws.title, cell.coordinate)] = labels[t.displayName]
            if t.displayName == "tblResultatenheter":
                # beside the table: Σ resultat = Σ utfall − Σ budget
                cell = ws.cell(r1 + 1, c2 + 2)
                expected[(ws.title, cell.coordinate)] = _sum([e.resultat for e in units])
    return expected


def _overview_expectations(path: Path, ex: Exempel | None, sprak: str,
                           report: RefreshReport | None) -> dict[tuple[str, str], object]:
    """Expected values of every formula cell of Översikt: the engine's (refresh report) figures,
    or blanks before the first refresh."""
    wb = openpyxl.load_workbook(path)
    if OVERSIKT not in wb.sheetnames:
        return {}
    ws = wb[OVERSIKT]
    years = _years(ex)
    b: Berakning | None = report.outputs.berakning if report else None
    rb: Balansering | None = report.outputs.balansering if report else None
    expected: dict[tuple[str, str], object] = {(OVERSIKT, "B3"): sprak}
    # the "Ofullständig" row of an incomplete refresh (issue 13): blank when complete
    expected[(OVERSIKT, "A4")] = "" if report is None or report.complete else \
        report.outputs.kommun_sheets["Resultaträkning"][0][0]
    header_row = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Belopp per årskolumn")
    ncols = 0
    for col in range(2, 40):
        if isinstance(ws.cell(header_row, col).value, str) and \
                ws.cell(header_row, col).value.startswith("=IFERROR(INDEX(tblAr"):
            ncols = col - 1
            expected[(OVERSIKT, ws.cell(header_row, col).coordinate)] = (
                years[col - 2] if col - 2 < len(years) else "")
    assert ncols == len(years)

    def year_cells(row: int, value: Callable[[int], object]) -> None:
        for i in range(ncols):
            v = value(i) if b is not None and i < len(years) else ""
            expected[(OVERSIKT, f"{get_column_letter(2 + i)}{row}")] = v

    figures = {catalogue_label(code): code for _, code in STATEMENT_FIGURES}
    checks = {label: (shown, parts, optional) for label, _, shown, parts, optional in CHECKS}
    rb_rows: list[int] = []
    in_rb = False
    for row in range(header_row + 1, ws.max_row + 1):
        label = ws.cell(row, 1).value
        if label in figures:
            code = figures[label]
            year_cells(row, lambda i, code=code: b.statement[code][i])
        elif label in RATIO_FIGURES:
            def ratio(i: int, name: str = label) -> object:
                if name.startswith("Ackumulerat kassaflöde"):
                    r = b.ackumulerat_kassaflode[i]
                    return r.value if r.defined else r.reason
                r = b.nyckeltal[i][name]
                return r.value.quantize(Decimal("0.01")) if r.defined else r.reason
            year_cells(row, ratio)
        elif label in checks:
            shown, parts, optional = checks[label]

            def diff(i: int, shown: str = shown, codes: tuple = (*parts, *optional)) -> Decimal:
                # the engine's own lines: Σ parts − the shown total (0 when consistent)
                st = b.statement.values
                return sum((st[c][i] for c in codes if c in st), ZERO) - st[shown][i]
            year_cells(row, diff)
            expected[(OVERSIKT, f"{get_column_letter(ncols + 2)}{row}")] = \
                "OK" if b is not None else ""
        elif label == "Nämnd":
            in_rb = True
        elif label == "Alla nämnder":
            in_rb = False
            names = [n.namnd for n in rb.namnder] if rb else []
            # the units' rows and each committee's disposition row
            units = sum((e.overforing for e in rb.enheter), ZERO) + sum(
                (n.disposition for n in rb.namnder), ZERO) if rb else ""
            own = sum((n.overforing for n in rb.namnder), ZERO) if rb else ""
            expected[(OVERSIKT, f"B{row}")] = units
            expected[(OVERSIKT, f"C{row}")] = own
            expected[(OVERSIKT, f"D{row}")] = units - own if rb else ""
            expected[(OVERSIKT, f"E{row}")] = "OK" if rb else ""
            assert len(rb_rows) >= len(names)
            for k, r in enumerate(rb_rows):
                name = names[k] if k < len(names) else ""
                u = sum((e.overforing for e in rb.enheter if e.namnd == name), ZERO) + next(
                    n.disposition for n in rb.namnder if n.namnd == name) if name else ""
                o = next(n.overforing for n in rb.namnder if n.namnd == name) if name else ""
                expected[(OVERSIKT, f"A{r}")] = name
                expected[(OVERSIKT, f"B{r}")] = u
                expected[(OVERSIKT, f"C{r}")] = o
                expected[(OVERSIKT, f"D{r}")] = u - o if name else ""
        elif in_rb:
            rb_rows.append(row)
        elif label in ("Fel", "Varningar"):
            count = ""
            if report is not None:
                summary = str(report.outputs.kommun_sheets["Kontroll"][0][0])
                m = re.match(r"(\d+) fel, (\d+) varning(?:ar)?", summary)
                count = int(m.group(1) if label == "Fel" else m.group(2))
            expected[(OVERSIKT, f"B{row}")] = count
    return expected


NEEDS_ADDIN = "kräver tillägget"


def _split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments of a formula call (quotes and parentheses kept)."""
    args, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            args.append(text[start:i])
            start = i + 1
    args.append(text[start:])
    return [a.strip() for a in args]


def _udf_value(ws, formula: str) -> object:
    """Evaluate a KB_ UDF call (as the Funktioner sheet writes it) in Python, fed what Excel
    hands a UDF: a column or row range as a 1-D list, a block as a 2-D list, a cell as a value.
    ``INDEX(KB_…(…),r,c)`` picks from the returned table."""
    import addin.udfs as udfs

    body = formula.removeprefix("=")
    m = re.fullmatch(r'IFERROR\((.*),"' + NEEDS_ADDIN + r'"\)', body)
    body = m.group(1) if m else body
    pick = None
    if body.startswith("INDEX("):
        inner, r, c = _split_args(body[len("INDEX("):-1])
        body, pick = inner, (int(r), int(c))
    name, rest = body.split("(", 1)
    args = []
    for a in _split_args(rest[:-1]):
        if a.startswith('"'):
            args.append(a[1:-1].replace('""', '"'))
        elif re.fullmatch(r"-?\d+(\.\d+)?", a):
            args.append(float(a) if "." in a else int(a))
        else:
            ref = a.replace("$", "")
            if ":" not in ref:
                args.append(ws[ref].value)
                continue
            c1, r1, c2, r2 = range_boundaries(ref)
            rows = [[ws.cell(r, c).value for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
            if c1 == c2:
                args.append([row[0] for row in rows])
            elif r1 == r2:
                args.append(rows[0])
            else:
                args.append(rows)
    result = getattr(udfs, name)(*args)
    if pick is not None and isinstance(result, list):
        result = result[pick[0] - 1][pick[1] - 1]
    return result


def _udf_sheet_expectations(path: Path) -> dict[tuple[str, str], object]:
    """The Funktioner sheet (workbook_templates.generate.udf_sheet): a KB_ cell shows "kräver tillägget"
    without the add-in; the native formula beside it equals the UDF computed in Python (the
    engine) on the same cells, to the cent."""
    from workbook_templates.generate import udf_sheet as U
    wb = openpyxl.load_workbook(path)
    if U.SHEET not in wb.sheetnames:
        return {}
    ws = wb[U.SHEET]
    expected: dict[tuple[str, str], object] = {}
    for row in ws.iter_rows():
        for cell in row:
            f = cell.value
            if cell.data_type != "f" or not isinstance(f, str):
                continue
            if "KB_" in f:
                expected[(U.SHEET, cell.coordinate)] = NEEDS_ADDIN
            elif cell.column == U.COL_NATIVE:
                udf = ws.cell(cell.row, U.COL_UDF).value
                value = _udf_value(ws, udf)
                assert not (isinstance(value, str) and value.startswith("#KB")), (udf, value)
                expected[(U.SHEET, cell.coordinate)] = value
    return expected


def catalogue_label(code: str) -> str:
    from engine.catalogue import catalogue

    return catalogue()[code].label_in("sv_budget")


def _context(key: tuple[str, str], runs: Runs
             ) -> tuple[Exempel | None, str | None, str, RefreshReport | None]:
    """(example or None, committee or None, language, report if refreshed) of a file."""
    group, name = key
    if group == "mall":
        ex = EX if "exempel" in name or name.startswith("mall_") else None
        namnd = COMMITTEE_FILES.get(name.removeprefix("mall_"))
        return ex, namnd, "fi" if "_fi_" in name else "sv", None
    return EX, COMMITTEE_FILES.get(name), "fi" if group == "ex_fi" else "sv", runs.reports[group]


@pytest.mark.parametrize("key", FILES, ids=IDS)
def test_every_native_formula_equals_the_engine_to_the_cent(
        runs: Runs, key: tuple[str, str]) -> None:
    c = runs.files[key]
    ex, namnd, sprak, report = _context(key, runs)
    formulas = {(sheet, cell) for sheet, cells in formula_cells(c.src).items() for cell in cells}
    if key[0] == "demo" and not formulas:
        pytest.skip("no native formulas in this file yet (templates.py does not call "
                    "formula_sheets yet)")
    expected = {**_totals_expectations(c.src, ex, namnd),
                **_overview_expectations(c.src, ex, sprak, report),
                **_udf_sheet_expectations(c.src)}
    expected = {k: v for k, v in expected.items() if k in formulas}
    assert formulas == set(expected), f"formula cells without an expectation: {formulas - set(expected)}"
    wrong = {f"{s}!{a}": (c.values[s].get(a), v) for (s, a), v in expected.items()
             if not same(c.values[s].get(a), v)}
    assert wrong == {}, "LibreOffice value, engine value"


def test_there_are_formulas_to_check(runs: Runs) -> None:
    """Guard: the comparison above is not vacuous."""
    kommun = formula_cells(runs.files[("ex_sv", "kommun")].src)
    assert len(kommun[OVERSIKT]) > 150
    assert len(kommun["Centrala poster"]) == 5
    namnd = formula_cells(runs.files[("ex_sv", "namnd_socialnämnden")].src)
    assert len(namnd["Driftsbudget"]) == 5 and len(namnd["Resultatenheter"]) == 4
    natives = {k: v for k, v in _udf_sheet_expectations(runs.files[("ex_sv", "kommun")].src)
               .items() if v != NEEDS_ADDIN}
    assert len(natives) >= 8  # the Funktioner sheet's native twins of the UDFs


# --------------------------------------------------------------------------- refreshed values


def _written(report: RefreshReport, name: str) -> dict[str, list[list[object]]]:
    out = report.outputs
    if name == "kommun":
        return out.kommun_sheets
    return out.namnd_sheets[COMMITTEE_FILES[name]]


@pytest.mark.parametrize("key", [k for k in FILES if k[0] != "mall"],
                         ids=[i for i, k in zip(IDS, FILES, strict=True) if k[0] != "mall"])
def test_refreshed_values_are_what_libreoffice_reads(runs: Runs, key: tuple[str, str]) -> None:
    c = runs.files[key]
    sheets = _written(runs.reports[key[0]], key[1])
    wanted = S.KOMMUN_OUTPUTS if key[1] == "kommun" else S.NAMND_OUTPUTS
    assert set(sheets) >= {"Kontroll"} and set(sheets) <= set(wanted)
    _, r0 = re.match(r"([A-Z]+)(\d+)", S.OUTPUT_ANCHOR).groups()
    top = int(r0)
    for sheet, rows in sheets.items():
        lo = c.values[sheet]
        expected: dict[str, object] = {}
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                expected[f"{get_column_letter(1 + j)}{top + i}"] = value
        wrong = {a: (lo.get(a), v) for a, v in expected.items() if not same(lo.get(a), v)}
        assert wrong == {}, f"{sheet}: LibreOffice value, written value"
        # nothing else below the title rows: no leftovers from the template or a former refresh
        extra = {a: v for a, v in lo.items()
                 if int(re.sub(r"[A-Z]+", "", a)) >= top and a not in expected}
        assert extra == {}, sheet
        assert lo.get("A1") == sheet and lo.get("A2") == S.OWNED_MARK


def test_refreshed_statement_is_the_engines(runs: Runs) -> None:
    """Spot check by hand against the engine and the example (sv): Resultaträkning's årsbidrag
    row, found by label, equals berakna()'s RR.AB for every year, and the Finnish workbook shows
    the same numbers under 'Vuosikate'."""
    st = runs.reports["ex_sv"].outputs.berakning.statement
    for group, label in (("ex_sv", "Årsbidrag"), ("ex_fi", "Vuosikate")):
        lo = runs.files[(group, "kommun")].values["Resultaträkning"]
        row = next(a[1:] for a, v in lo.items() if a.startswith("A") and v == label)
        got = [cents(lo[f"{get_column_letter(2 + i)}{row}"]) for i in range(5)]
        assert got == [cents(v) for v in st["RR.AB"]]
    # 2026: 5 272 150 (see the demo's summary line), by the engine
    assert cents(st["RR.AB"][2]) == Decimal("5272150.00")


# --------------------------------------------------------------------------- pinned functions

# Sheet "Data": table tblT (A3:C7, totals row 8): Kod, Namn, Belopp
#   RR.VI  Åsa    100.25
#   RR.VU  bo    -40.10
#   FD.X   Cecil   7.00
#   BAL.Y  (blank) 1000
# totals row: "Summa", -, SUBTOTAL(109,tblT[Belopp]) = 1067.15
# F1:F3: "fel", "varning", "fel"; G1 = "" (formula), G2 = -1, G3 = -2
PINNED = [
    # (formula, Excel's documented result = LibreOffice 7.4's)
    ("=SUM(tblT[Belopp])", 1067.15),  # a column specifier is the data rows only (no totals row)
    ("=SUBTOTAL(109,tblT[Belopp])", 1067.15),  # 100.25 - 40.10 + 7 + 1000
    ('=SUMIFS(tblT[Belopp],tblT[Kod],"RR.*")', 60.15),  # 100.25 - 40.10
    ("=INDEX(tblT[Namn],2)", "bo"),
    ('=MATCH("åsa",tblT[Namn],0)', 1),  # exact match ignores case, also for å/Å
    ("=INDEX(Data!$A$1:$C$8,MATCH(\"Cecil\",Data!$B$1:$B$8,0),"
     "MATCH(\"Belopp\",Data!$A$3:$C$3,0))", 7),
    ("=SUM(INDEX(Data!$C$1:$C$8,4):INDEX(Data!$C$1:$C$8,5))", 60.15),  # INDEX:INDEX is a range
    ('=IFERROR(MATCH("saknas",tblT[Namn],0),"")', ""),
    ('=INDEX(Data!$A$1:$A$20,20)&""', ""),  # an empty cell joined with "" is ""
    ("=COUNT(Data!G1:G3)", 2),  # "" from a formula is text, not a number
    ("=MAX(Data!G1:G3)", -1),  # text in a range is ignored
    ("=MIN(Data!G1:G3)", -2),
    ("=MAX(Data!G1:G1)", 0),  # no numbers at all: 0
    ('=LEFT(TRIM("  fi  "),2)', "fi"),
    ('=COUNTIF(Data!F1:F3,"fel")', 2),
    ('=COUNTA(Data!F1:F3)', 3),
    ('=SUMPRODUCT(--(tblT[Kod]="rr.vu"),tblT[Belopp])', -40.1),  # = ignores case
    ('=IF(AND(MAX(Data!G2:G3)=-1,MIN(Data!G2:G3)=-2),"OK","AVVIKELSE")', "OK"),
    ("=ROUND(0.1+0.2-0.3,2)", 0),
]
DIFFERENT_TABLES = [
    # (formula, Excel, LibreOffice 7.4): banned in templates
    ("=ROWS(tblT)", 4, 6),  # bare table name: Excel the data rows, LibreOffice header..totals
    ("=ROWS(tblT[#Headers])", 1, "#NAME?"),  # [#Headers] is not read from xlsx
]


@pytest.fixture(scope="module")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from openpyxl.worksheet.table import Table, TableColumn

    root = tmp_path_factory.mktemp("pinned")
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "Data"
    data.append(["Tabell"])
    data.append([])
    for row in (["Kod", "Namn", "Belopp"], ["RR.VI", "Åsa", 100.25], ["RR.VU", "bo", -40.10],
                ["FD.X", "Cecil", 7], ["BAL.Y", None, 1000]):
        data.append(row)
    data["A8"] = "Summa"
    data["C8"] = "=SUBTOTAL(109,tblT[Belopp])"
    t = Table(displayName="tblT", ref="A3:C8", totalsRowCount=1)
    t.tableColumns = [TableColumn(id=1, name="Kod", totalsRowLabel="Summa"),
                      TableColumn(id=2, name="Namn"),
                      TableColumn(id=3, name="Belopp", totalsRowFunction="sum")]
    from openpyxl.worksheet.filters import AutoFilter

    t.autoFilter = AutoFilter(ref="A3:C7")
    data.add_table(t)
    for i, v in enumerate(("fel", "varning", "fel"), start=1):
        data[f"F{i}"] = v
    data["G1"], data["G2"], data["G3"] = '=""', -1, -2
    f = wb.create_sheet("F")
    for i, (formula, *_) in enumerate(PINNED + DIFFERENT_TABLES, start=1):
        f[f"A{i}"] = formula
    src = root / "pinned.xlsx"
    wb.save(src)
    (out,) = recalculate_many([src], root / "lo")
    return read_values(out)["F"]


@pytest.mark.parametrize(("row", "formula", "expected"),
                         [(i + 1, f, e) for i, (f, e) in enumerate(PINNED)],
                         ids=[f for f, _ in PINNED])
def test_pinned_functions_compute_as_excel_documents(
        pinned: dict[str, object], row: int, formula: str, expected: object) -> None:
    got = pinned.get(f"A{row}")
    if isinstance(expected, str):
        assert (got or "") == expected
    else:
        assert not isinstance(got, str), got
        assert cents(got) == cents(expected)


@pytest.mark.parametrize(("row", "formula", "excel", "libreoffice"),
                         [(len(PINNED) + i + 1, f, e, lo)
                          for i, (f, e, lo) in enumerate(DIFFERENT_TABLES)],
                         ids=[f for f, _, _ in DIFFERENT_TABLES])
def test_table_forms_libreoffice_reads_differently(
        pinned: dict[str, object], row: int, formula: str, excel: object,
        libreoffice: object) -> None:
    got = pinned.get(f"A{row}")
    assert got == libreoffice
    assert got != excel
