"""One Swedish number format and no internal codes in what a controller reads (issue 18):
amounts ``-1 234 567,50`` (no-break space, decimal comma), counts with the right noun form,
years as numbers and dates as dates in the sheets."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import openpyxl
import pytest

from engine.findings import Severity
from engine.money import format_sv
from engine.resultatbalansering import Resultatenhet, balansera
from engine.svenska import antal, heltal
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline.refresh import refresh

#: a number of 4+ digits without thousands separators (years 1900–2099 aside), or a decimal point
RAW_NUMBER = re.compile(r"(?<![\d\u00a0,.\-])-?(?!(?:19|20)\d\d(?!\d))\d{4,}|\d\.\d\d(?!\d)")
LINE_CODE = re.compile(r"\b(?:RR|FD|DR|IN|BR)\.[A-Z]")


def test_antal_and_heltal() -> None:
    assert antal(1, "varning") == "1 varning" and antal(2, "varning") == "2 varningar"
    assert antal(0, "fel") == "0 fel" and antal(1, "rad") == "1 rad"
    assert antal(12345, "rad") == "12\u00a0345 rader" and heltal(1234567) == "1\u00a0234\u00a0567"
    assert format_sv(Decimal("-210000")) == "-210\u00a0000,00"


def test_raw_number_pattern_catches_the_old_formats() -> None:
    for bad in ("underskott -210000", "52000.00", "22752566.33", "summa 7.77"):
        assert RAW_NUMBER.search(bad), bad
    for good in ("underskott -210\u00a0000,00", "år 2025", "2025-04-30", "1\u00a0713,83", "§ 71"):
        assert not RAW_NUMBER.search(good), good


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    d = tmp_path_factory.mktemp("kommun")
    ex = exempelkommun()
    kommun = new_kommun(d / "kommun.xlsx", ex)
    for n in ex.namndlista:
        new_namnd(d / f"{n}.xlsx", n, ex)
    report = refresh([d], kommun)
    return kommun, report


def test_every_message_uses_the_swedish_format(refreshed) -> None:  # noqa: ANN001
    _kommun, report = refreshed
    assert report.findings
    bad = [f.message for f in report.findings if RAW_NUMBER.search(f.message)]
    assert bad == []
    assert not [f.object for f in report.findings if f.object and LINE_CODE.search(f.object)]


def test_sheets_have_no_codes_years_are_numbers_dates_are_dates(refreshed) -> None:  # noqa: ANN001
    kommun, _report = refreshed
    wb = openpyxl.load_workbook(kommun)
    posts = [r[1].value for r in wb["Sammandrag"].iter_rows(min_row=5) if r[1].value]
    assert posts and not [p for p in posts if LINE_CODE.search(str(p)) or "netto, netto" in p]
    assert "Statsandelar (netto)" in " ".join(posts)
    ws = wb["Resultatbalansering"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    r8 = cells["Tidplan (R8)"].row
    dates = [ws.cell(r, 8) for r in range(r8 + 1, r8 + 4)]
    assert all(isinstance(c.value, dt.datetime) for c in dates), [c.value for c in dates]
    assert all(c.number_format == "yyyy-mm-dd" for c in dates)
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if re.fullmatch(r"\d{4}(-\d\d-\d\d)?", t)]
    assert "seed" not in " ".join(str(c.value) for c in wb["Regler RB"]["A"] + wb["Regler RB"][2])


def test_budgetutfall_totals_are_in_the_amount_columns(refreshed) -> None:  # noqa: ANN001
    kommun, _report = refreshed
    ws = openpyxl.load_workbook(kommun)["Budgetutfall"]
    head = next(c.row for c in ws["A"] if c.value == "Summa per del")
    assert ws.cell(head, 11).value == "Kräver beslut"
    row = head + 1
    assert isinstance(ws.cell(row, 4).value, int | float)
    assert ws.cell(row, 4).number_format == ws.cell(head - 2, 4).number_format != "General"
    assert re.fullmatch(r"\d+ post(er)?", ws.cell(row, 11).value)
    assert ws.cell(row, 2).value is None and ws.cell(row, 3).value is None


def test_a_deficit_message_is_formatted() -> None:
    enheter = [Resultatenhet("Socialnämnden", "Hemvården", resultat=Decimal(-210_000))]
    rb = balansera(enheter)
    msgs = [f.message for f in rb.findings if f.severity is not Severity.INFO]
    assert any("underskott -210\u00a0000,00" in m for m in msgs), msgs
    assert not [m for m in msgs if RAW_NUMBER.search(m)]
