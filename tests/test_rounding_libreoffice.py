"""Amounts computed by formulas are rounded to the cent as a real spreadsheet rounds them.

LibreOffice (an independent engine, as Excel would) computes ``=a*f`` and ``=ROUND(a*f;2)`` for
amounts times the factors budgets use (index raises, shares); our reader reads the products as
LibreOffice saved them and :func:`engine.money.to_money` must give ROUND's cent, every time. With
the shortest repr of the double (the rule before 2026-12) 1.6 % of such products came out a cent
below: 0.1 × 1.15 is the double 0.11499999999999999, which the cell shows as 0.12.
"""

from __future__ import annotations

import random
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.money import to_money  # noqa: E402
from tests.libreoffice import LIBREOFFICE_MARKS, read_values, recalculate  # noqa: E402
from workbook_templates.files.reader import open_workbook  # noqa: E402

pytestmark = LIBREOFFICE_MARKS

FACTORS = (1.15, 1.1, 0.9, 1.05, 1.025, 0.3, 0.7, 0.35, 1.5, 0.25)


def test_formula_products_round_to_the_cent_libreoffice_rounds_them(tmp_path: Path) -> None:
    rnd = random.Random(20261201)
    cases = [(0.1, 1.15), (0.35, 0.7), (100.05, 0.3), (0.7, 1.15), (1234.45, 1.1),
             (-0.1, 1.15)]
    cases += [(rnd.randrange(-10**8, 10**8) / 100, rnd.choice(FACTORS)) for _ in range(400)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for i, (a, f) in enumerate(cases, start=1):
        ws.cell(i, 1, f"={a!r}*{f!r}")
        ws.cell(i, 2, f"=ROUND(A{i},2)")
    src = tmp_path / "products.xlsx"
    wb.save(src)

    done = recalculate(src, tmp_path / "out")
    rounded = read_values(done)["S"]
    with open_workbook(done) as r:
        products = r.range("S", f"A1:A{len(cases)}").values()
    off = [(cases[i], p[0], rounded[f"B{i + 1}"]) for i, p in enumerate(products)
           if to_money(p[0]) != Decimal(repr(rounded[f"B{i + 1}"])).quantize(Decimal("0.01"))]
    assert not off, off[:5]
    # the cases are not all easy ones: the shortest repr of the double would miss some of them
    shortest = sum(Decimal(repr(float(a * f))).quantize(Decimal("0.01"), "ROUND_HALF_UP")
                   != to_money(a * f) for a, f in cases)
    assert shortest >= 5
