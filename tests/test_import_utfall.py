"""import-utfall end to end: export -> mapping -> committee workbooks -> refresh (issue 8)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl

from engine.binding import Kind
from workbook_templates.cli.main import main
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline.import_utfall import BOKFORT_SHEET
from workbook_templates.pipeline.loader import read_namnd
from workbook_templates.pipeline.refresh import refresh

KONTOPLAN = Path(__file__).resolve().parents[1] / "engine" / "data" / "kontoplan_exempel.csv"


def _mappning(path: Path) -> Path:
    # the example chart of accounts, and cost centres 3100 -> the task Äldreomsorg, 4100 -> Bibliotek
    konto = [ln for ln in KONTOPLAN.read_text(encoding="utf-8").splitlines()
             if ln.startswith(("typ;", "konto;"))]
    path.write_text("\n".join([*konto, "kst;3100;;Äldreomsorg;;Hemvård",
                               "kst;4100;;Bibliotek;;Biblioteket"]) + "\n", encoding="utf-8")
    return path


def _export(path: Path) -> Path:
    # debit positive, decimal comma, semicolons: salaries of Äldreomsorg in months 1-8,
    # a fee income (credit, negative in the export), an excluded balance-sheet account and an
    # account the mapping does not know (0999)
    lines = ["Konto;Kostnadsställe;Period;Belopp"]
    for month in range(1, 9):
        lines.append(f"4000;3100;{month};1000000,50")
    lines += ["3100;3100;3;-250000,25", "1910;3100;8;999,99", "0999;4100;2;12,34"]
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    return path


def test_import_writes_the_ledger_into_the_committee_workbook_and_the_refresh_uses_it(
        tmp_path: Path, capsys) -> None:
    ex = exempelkommun()
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    social = new_namnd(tmp_path / "social.xlsx", "Socialnämnden", ex)
    # the controller left Utfall hittills empty for Äldreomsorg's salaries (fresh file: openpyxl ok)
    wb = openpyxl.load_workbook(social)
    ws = wb["Utfall"]
    for row in ws.iter_rows(min_row=4):
        if row[0].value == "Äldreomsorg" and row[1].value == "RR.VU.PERS.LON":
            row[3].value = None
    wb.save(social)

    code = main(["import-utfall", str(_export(tmp_path / "export.csv")), "--mappning",
                 str(_mappning(tmp_path / "mappning.csv")), "--kommun", str(kommun)])
    out = capsys.readouterr().out
    assert "stämmer på centen" in out
    assert code == 0 or code == 1  # unmapped account 0999 is reported, not dropped
    assert "0999" in out

    n = read_namnd(social)
    got = {(u.objekt, u.kod): u.utfall for u in n.utfall}
    # 8 × 1 000 000,50 debit -> cost −8 000 004,00 in published signs
    assert got[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-8000004.00")
    # a typed figure in tblUtfall wins over the ledger (the fee income row was typed)
    typed = [r for r in ex.utfall if r.uppgift == "Äldreomsorg" and r.kod == "RR.VI.AVG"][0]
    assert got[("Äldreomsorg", "RR.VI.AVG")] == typed.utfall

    report = refresh([tmp_path], kommun)
    rows = report.outputs.uppfoljning.tabla.rows
    (anslag,) = [r for r in rows if r.item.object == "Äldreomsorg" and r.item.kind is Kind.ANSLAG]
    other_costs = sum((r.utfall for r in ex.utfall if r.uppgift == "Äldreomsorg"
                       and r.kod.startswith(("RR.VU", "DR.INT.UTG"))
                       and r.kod != "RR.VU.PERS.LON"), Decimal(0))
    assert anslag.utfall == Decimal("-8000004.00") + other_costs

    wb = openpyxl.load_workbook(kommun, read_only=True)
    cells = [c for row in wb[BOKFORT_SHEET].iter_rows(values_only=True) for c in row if c]
    assert "Bibliotek" not in cells  # account 0999 was unmapped: never silently booked
    wb.close()


def test_an_unreadable_export_is_a_finding_and_exit_2(tmp_path: Path, capsys) -> None:
    ex = exempelkommun()
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    bad = tmp_path / "export.xlsx"
    bad.write_bytes(b"not a zip at all")
    assert main(["import-utfall", str(bad), "--mappning", str(_mappning(tmp_path / "m.csv")),
                 "--kommun", str(kommun)]) == 2
