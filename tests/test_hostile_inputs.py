"""Issue 15, values: every amount and every text has a bound with a located finding (points 4, 5).

Huge numbers and very long texts, typed where a controller types: through the whole refresh, the
engine's parser and the UDFs. Nothing raises; a message quotes at most a short excerpt.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from addin.udfs import KB_NYCKELTAL
from engine.findings import MAX_MESSAGE_CHARS, Finding, Severity, excerpt
from engine.input_hygiene import parse_amount
from engine.money import MAX_AMOUNT, MoneyError, to_money
from workbook_templates.pipeline.refresh import refresh

EXCEL_MAX_CELL_TEXT = 32_767
SHORT = 400  # a finding about one bad value is a few sentences, not the value


def _copy(src: Path, dst: Path) -> Path:
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def _set(path: Path, sheet: str, cell: str, value: object) -> None:
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


# ---------------------------------------------------------------------------------------------
# 4. Huge numbers


@pytest.mark.parametrize("value", [Decimal("1e13"), 10**13, 1e23, -1e23, 1e308, "1e308",
                                   "9" * 400, Decimal("1e400"), 10**400])
def test_amount_beyond_the_bound_is_a_short_finding(value: object) -> None:
    got = parse_amount(value, accept_numeric_text=True)
    assert isinstance(got, Finding) and got.severity is Severity.ERROR
    assert len(got.message) < SHORT, got.message
    with pytest.raises(MoneyError):
        to_money(value)


@pytest.mark.parametrize("value", [Decimal("9999999999999.99"), -9999999999999.99, 10**13 - 1])
def test_amounts_within_the_bound_are_exact(value: object) -> None:
    assert parse_amount(value) == Decimal(str(value)).quantize(Decimal("0.01"))
    assert abs(to_money(value)) < MAX_AMOUNT


@pytest.mark.parametrize(("sheet", "cell", "value", "where"), [
    ("Driftsbudget", "D5", -1e23, "social.xlsx"),
    ("Driftsbudget", "E4", 1e23, "social.xlsx"),
    ("Utfall", "D4", 1e23, "social.xlsx"),
    ("Resultatenheter", "C5", 1e23, "social.xlsx"),
    ("Resultatenheter", "D5", 1e308, "social.xlsx"),
    ("Centrala poster", "E4", 1e23, "kommun.xlsx"),
    ("Budgetändringar", "E4", -1e23, "kommun.xlsx"),
    ("Balans och kris", "B4", 1e23, "kommun.xlsx"),
])
def test_huge_amount_in_a_workbook_is_a_located_finding_and_nothing_raises(
    pristine: Path, tmp_path: Path, sheet: str, cell: str, value: float, where: str
) -> None:
    folder = _copy(pristine, tmp_path)
    _set(folder / where, sheet, cell, value)
    report = refresh([folder], folder / "kommun.xlsx")
    mine = [f for f in report.findings if f.location and f.location.workbook in (where, None)
            and f.location.sheet == sheet and f.location.cell == cell]
    assert mine, [str(f) for f in report.findings if f.severity is Severity.ERROR]
    assert all(len(f.message) < SHORT for f in report.findings)
    assert report.exit_code in (1, 2)
    assert {f.path.name: f.status for f in report.files}["bildning.xlsx"] == "written"


@pytest.mark.parametrize("value", [1e13, 1e18, 1e23, 1e308])
def test_kb_nyckeltal_with_a_huge_amount_is_a_short_kb_text(value: float) -> None:
    rader = ["Verksamhetsinkomster", "Verksamhetsutgifter", "Skatteinkomster",
             "Avskrivningar och nedskrivningar"]
    for name in ("årsbidrag / avskrivningar, %", "Vuosikate, €/asukas",
                 "Toimintatuotot / toimintakulut, %"):
        got = KB_NYCKELTAL(name, rader, [[value], [-value], [value], [-1.0]], 3)
        assert isinstance(got, str) and got.startswith("#KB:") and len(got) < 200, got


def test_kb_nyckeltal_at_the_bound_still_computes() -> None:
    rader = ["Verksamhetsinkomster", "Verksamhetsutgifter", "Skatteinkomster",
             "Avskrivningar och nedskrivningar"]
    big = 9_999_999_999_999.0
    got = KB_NYCKELTAL("Vuosikate, €/asukas", rader, [[big], [-big], [big], [-1.0]], 1)
    assert got == [[big]] or got == big


# ---------------------------------------------------------------------------------------------
# 5. Long text


def test_excerpt_cuts_and_says_so() -> None:
    assert excerpt("kort") == "'kort'"
    long = "x" * 32_700
    cut = excerpt(long)
    assert len(cut) < 100 and "32 700 tecken" in cut


def test_finding_message_is_bounded() -> None:
    f = Finding("V10", Severity.ERROR, "a" * 40_000)
    assert len(f.message) <= MAX_MESSAGE_CHARS < EXCEL_MAX_CELL_TEXT


def test_unit_name_of_32700_characters_does_not_abort_the_refresh(
    pristine: Path, tmp_path: Path
) -> None:
    folder = _copy(pristine, tmp_path)
    name = "Hemvård " + "x" * 32_692  # 32 700 characters: within Excel's cell limit
    _set(folder / "social.xlsx", "Resultatenheter", "A5", name)
    report = refresh([folder], folder / "kommun.xlsx")
    status = {f.path.name: f.status for f in report.files}
    assert status["bildning.xlsx"] == "written" and status["kommun.xlsx"] == "written"
    mine = [f for f in report.findings if f.location and f.location.workbook == "social.xlsx"
            and f.location.sheet == "Resultatenheter" and f.location.cell == "A5"]
    assert mine
    assert all(len(f.message) < SHORT for f in report.findings)
    # nothing written anywhere is longer than a cell may hold
    for p in folder.glob("*.xlsx"):
        wb = openpyxl.load_workbook(p, read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    assert not isinstance(v, str) or len(v) <= EXCEL_MAX_CELL_TEXT


def test_long_texts_in_other_name_cells_do_not_abort_the_refresh(
    pristine: Path, tmp_path: Path
) -> None:
    folder = _copy(pristine, tmp_path)
    long = "y" * 32_700
    _set(folder / "social.xlsx", "Uppgifter", "A6", long)
    _set(folder / "social.xlsx", "Driftsbudget", "A4", long)
    _set(folder / "kommun.xlsx", "Investeringar", "A4", long)
    report = refresh([folder], folder / "kommun.xlsx")
    assert all(len(f.message) < SHORT for f in report.findings), max(
        len(f.message) for f in report.findings)
    assert {f.path.name: f.status for f in report.files}["bildning.xlsx"] == "written"


@pytest.mark.parametrize("value", [1e23, 1e308])
def test_huge_total_in_bokfort_utfall_is_a_located_finding(
    pristine: Path, tmp_path: Path, value: float
) -> None:
    """The sheet import-utfall writes is read back by the refresh; a user may type into it."""
    folder = _copy(pristine, tmp_path)
    wb = openpyxl.load_workbook(folder / "social.xlsx")
    ws = wb["Bokfört utfall"]
    ws["A3"], ws["B3"], ws["P3"] = "Uppgift", "Kod", "Summa"
    ws["A4"], ws["B4"], ws["P4"] = "Äldreomsorg", "RR.VU.OVR", value  # not typed
    wb.save(folder / "social.xlsx")
    report = refresh([folder], folder / "kommun.xlsx")
    mine = [f for f in report.findings if f.location and f.location.sheet == "Bokfört utfall"
            and f.location.cell == "P4"]
    assert mine and mine[0].severity is Severity.ERROR, [str(f) for f in report.findings][:5]
    assert {f.path.name: f.status for f in report.files}["bildning.xlsx"] == "written"
