"""The "Funktioner" sheet (issue 6): every KB_ function in use next to a native formula.

The native formulas are evaluated here by a tiny evaluator of exactly the functions they use
(SUMIFS with Excel's whole-cell/wildcard match, SUM, ROUND half away from zero) and compared with
the UDFs called as plain Python functions on the same cells, and with the engine. With
LibreOffice installed, the sheet is also recalculated there: the native cells give the same
values and the UDF cells say they need the add-in (no error values).
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import addin.udfs as udfs  # noqa: E402
import addin.udfs_binding as udfs_binding  # noqa: E402
from engine.budget import berakna  # noqa: E402
from engine.money import excel_round  # noqa: E402
from workbook_templates.generate.example import exempelkommun  # noqa: E402
from workbook_templates.generate.formula_sheets import ALLOWED_FUNCTIONS  # noqa: E402
from workbook_templates.generate.udf_sheet import (  # noqa: E402
    COL_NATIVE,
    COL_NATIVE_TEXT,
    COL_UDF,
    COL_UDF_TEXT,
    NEEDS_ADDIN,
    SHEET,
    add_udf_sheet,
)

KB_FUNCTIONS = {n for m in (udfs, udfs_binding) for n in m.__all__ if n.startswith("KB_")}


def formula_functions(formula: str) -> set[str]:
    """Function names a formula calls (names with underscores too: KB_ARSBIDRAG)."""
    without_strings = re.sub(r'"(?:[^"]|"")*"', '""', formula)
    return set(re.findall(r"([A-Z_][A-Z0-9._]*)\(", without_strings))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wb = Workbook()
    add_udf_sheet(wb, exempelkommun())
    add_udf_sheet(wb, exempelkommun())  # idempotent
    path = tmp_path_factory.mktemp("udf") / "funktioner.xlsx"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def ws(built: Path):  # noqa: ANN201
    return load_workbook(built)[SHEET]


def _function_rows(ws) -> list[int]:  # noqa: ANN001
    return [c.row for c in ws["A"] if isinstance(c.value, str) and c.value in KB_FUNCTIONS]


def test_no_example_no_sheet() -> None:
    wb = Workbook()
    add_udf_sheet(wb, None)
    assert SHEET not in wb.sheetnames


def test_every_kb_function_is_shown_once(ws) -> None:
    shown = [ws.cell(r, 1).value for r in _function_rows(ws)]
    assert sorted(shown) == sorted(KB_FUNCTIONS)


def test_formula_text_matches_the_live_cell_and_udf_cells_are_marked(ws) -> None:
    for r in _function_rows(ws):
        text = ws.cell(r, COL_UDF_TEXT)
        assert text.data_type == "s" and text.value.startswith("=KB_") or \
            text.value.startswith("=INDEX(KB_")
        live = ws.cell(r, COL_UDF).value
        if live is not None:
            assert live == f'=IFERROR({text.value[1:]},"{NEEDS_ADDIN}")'
        native_text, native = ws.cell(r, COL_NATIVE_TEXT).value, ws.cell(r, COL_NATIVE).value
        assert (native_text is None) == (native is None)
        if native is not None:
            assert native_text == native and ws.cell(r, COL_NATIVE_TEXT).data_type == "s"


def test_native_formulas_use_only_functions_excel_and_libreoffice_agree_on(ws) -> None:
    natives = [ws.cell(r, COL_NATIVE).value for r in _function_rows(ws) if ws.cell(r, COL_NATIVE).value]
    assert len(natives) >= 9
    for f in natives:
        assert formula_functions(f) <= ALLOWED_FUNCTIONS, f
    for row in ws.iter_rows():
        for c in row:
            if c.data_type == "f":
                assert formula_functions(c.value) <= ALLOWED_FUNCTIONS | KB_FUNCTIONS
                if any(k in c.value for k in KB_FUNCTIONS):
                    assert c.value.startswith("=IFERROR(") and NEEDS_ADDIN in c.value


# --- a small evaluator for the sheet's formulas ------------------------------------------------

_REF = r"\$?[A-Z]{1,3}\$?\d+"
_RANGE = rf"{_REF}(?::{_REF})?"


def _cells(ws, ref: str) -> list[list[object]]:  # noqa: ANN001
    c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
    return [[ws.cell(r, c).value for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]


def _d(v: object) -> Decimal:
    return Decimal(0) if v is None else Decimal(str(v))


def _native(ws, formula: str) -> Decimal:  # noqa: ANN001
    def sumifs(m: re.Match) -> str:
        values = [row[0] for row in _cells(ws, m.group(1))]
        keys = [row[0] for row in _cells(ws, m.group(2))]
        crit = m.group(3).casefold()
        hit = (lambda k: k.startswith(crit[:-1])) if crit.endswith("*") else (lambda k: k == crit)
        total = sum((_d(v) for v, k in zip(values, keys, strict=True)
                     if isinstance(k, str) and hit(k.casefold())), Decimal(0))
        return f"({total})"

    expr = formula.lstrip("=")
    expr = re.sub(rf'SUMIFS\(({_RANGE}),({_RANGE}),"([^"]*)"\)', sumifs, expr)
    expr = re.sub(rf"SUM\(({_RANGE})\)",
                  lambda m: f"({sum((_d(v) for row in _cells(ws, m.group(1)) for v in row), Decimal(0))})",
                  expr)
    expr = re.sub(_REF, lambda m: f"({_d(_cells(ws, m.group(0))[0][0])})", expr)
    expr = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)", r"Decimal('\1')", expr)
    expr = expr.replace("ROUND(", "excel_round(")
    return eval(expr, {"Decimal": Decimal, "excel_round": excel_round})  # noqa: S307


def _arg(ws, text: str) -> object:  # noqa: ANN001
    text = text.strip()
    if text.startswith('"'):
        return text.strip('"')
    if re.fullmatch(_RANGE, text):
        block = _cells(ws, text)
        return block[0][0] if ":" not in text else block
    return float(text)


def _udf(ws, formula: str) -> object:  # noqa: ANN001
    m = re.fullmatch(r"INDEX\((KB_\w+\(.*\)),(\d+),(\d+)\)", formula)
    if m:
        table = _udf(ws, m.group(1))
        return table[int(m.group(2)) - 1][int(m.group(3)) - 1]
    m = re.fullmatch(r"(KB_\w+)\((.*)\)", formula)
    name, args = m.group(1), re.findall(r'"[^"]*"|[^,]+', m.group(2))
    return getattr(udfs if hasattr(udfs, name) else udfs_binding, name)(
        *(_arg(ws, a) for a in args))


def test_native_formula_equals_the_udf_on_the_same_cells(ws) -> None:
    compared = 0
    for r in _function_rows(ws):
        native = ws.cell(r, COL_NATIVE).value
        if native is None:
            continue
        udf_value = _udf(ws, ws.cell(r, COL_UDF_TEXT).value[1:])
        assert not (isinstance(udf_value, str) and udf_value.startswith("#KB")), udf_value
        native_value = _native(ws, native)
        places = Decimal("0.01")
        assert _d(udf_value).quantize(places) == native_value.quantize(places), \
            (ws.cell(r, 1).value, udf_value, native_value)
        compared += 1
    assert compared == 10


def test_udfs_on_the_sheet_give_the_engine_values(ws) -> None:
    """KB_ARSBIDRAG etc. on the block equal the engine's statement of the example, Budget 2026:
    årsbidrag 5 272 150,00; inverkan på likviditeten −2 717 850,00."""
    st = berakna(exempelkommun().budget).statement
    rows = {ws.cell(r, 1).value: r for r in _function_rows(ws)}
    for name, code in (("KB_VERKSAMHETSBIDRAG", "RR.VB"), ("KB_ARSBIDRAG", "RR.AB"),
                       ("KB_RESULTAT", "RR.RES"), ("KB_OVERSKOTT", "RR.OVERSKOTT"),
                       ("KB_INVERKAN_LIKVIDITET", "FD.INV")):
        r = rows[name]
        assert _d(_udf(ws, ws.cell(r, COL_UDF_TEXT).value[1:])) == st[code][2]
        assert _native(ws, ws.cell(r, COL_NATIVE).value) == st[code][2]
    assert st["RR.AB"][2] == Decimal("5272150.00")
    assert st["FD.INV"][2] == Decimal("-2717850.00")


def test_libreoffice_computes_the_native_column(built, tmp_path, ws) -> None:
    lo = pytest.importorskip("tests.libreoffice")
    if lo.soffice_path() is None:
        pytest.skip("LibreOffice not installed")
    out = lo.recalculate(built, tmp_path)
    values = lo.read_values(out)[SHEET]
    assert [e for e in lo.error_cells(out) if e.sheet == SHEET] == []
    for r in _function_rows(ws):
        if ws.cell(r, COL_UDF).value is not None:
            assert values[f"{get_column_letter(COL_UDF)}{r}"] == NEEDS_ADDIN
        if ws.cell(r, COL_NATIVE).value is not None:
            assert _d(values[f"{get_column_letter(COL_NATIVE)}{r}"]).quantize(Decimal("0.01")) == \
                _native(ws, ws.cell(r, COL_NATIVE).value).quantize(Decimal("0.01"))
