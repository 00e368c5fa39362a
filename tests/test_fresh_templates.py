"""A municipality starting from empty templates (found by metamorphic testing, 2026-12): empty
inputs never come out as real-looking zeros in a run called complete."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from workbook_templates.cli.main import main


def _new(d: Path) -> None:
    assert main(["new", "kommun", str(d / "kommun.xlsx"), "--namnd", "Socialnämnden",
                 "--namnd", "Tekniska nämnden", "-q"]) == 0
    assert main(["new", "namnd", str(d / "soc.xlsx"), "--namnd", "Socialnämnden", "-q"]) == 0
    assert main(["new", "namnd", str(d / "tek.xlsx"), "--namnd", "Tekniska nämnden", "-q"]) == 0


def _fill_social(d: Path) -> None:
    """Äldreomsorg: wages −1 000 in Budget 2026 only; taxes 1 500 and state grants 400 in
    Budget 2026 only (hand-computed: verksamhetsbidrag −1 000, årsbidrag 900)."""
    wb = openpyxl.load_workbook(d / "soc.xlsx")
    u = wb["Uppgifter"]
    u["A4"], u["B4"], u["C4"], u["D4"] = "Äldreomsorg", "budgetfinansierad", "brutto", "fullmäktige"
    dr = wb["Driftsbudget"]
    for r in range(4, 19):
        dr.cell(r, 1, "Äldreomsorg")
    dr["F9"] = -1000  # Löner och arvoden, Budget 2026
    wb.save(d / "soc.xlsx")
    wb = openpyxl.load_workbook(d / "kommun.xlsx")
    c = wb["Centrala poster"]
    c["E4"], c["E5"] = 1500, 400  # Skatteinkomster, Statsandelar, Budget 2026
    wb.save(d / "kommun.xlsx")


def _refresh(d: Path) -> dict:
    main(["refresh", str(d), "--kommun", str(d / "kommun.xlsx"), "--quiet",
          "--report", str(d / "r.json")])
    return json.loads((d / "r.json").read_text(encoding="utf-8"))


def _sheet(path: Path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [tuple(r) for r in wb[sheet].iter_rows(min_row=3, values_only=True)]
    finally:
        wb.close()


def _rows(path: Path, sheet: str) -> dict[str, tuple]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {str(r[0]).strip(): r[1:] for r in wb[sheet].iter_rows(min_row=3, values_only=True)
                if r and r[0]}
    finally:
        wb.close()


def test_an_untouched_committee_template_makes_the_run_incomplete(tmp_path: Path) -> None:
    # Tekniska nämnden's workbook has no tasks: it was counted as zero, the run complete
    _new(tmp_path)
    _fill_social(tmp_path)
    data = _refresh(tmp_path)
    assert data["complete"] is False
    [entry] = [e for e in data["ofullstandig"] if e["namnd"] == "Tekniska nämnden"]
    assert entry["workbook"] == "tek.xlsx" and entry["sheet"] == "Uppgifter"
    assert "inga uppgifter" in entry["orsak"]


def test_year_columns_without_any_amount_are_left_blank_and_said(tmp_path: Path) -> None:
    # only Budget 2026 filled in: the other columns showed årsbidrag 0 and so on, no word
    _new(tmp_path)
    _fill_social(tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "tek.xlsx")  # Tekniska: one task, no amounts
    u = wb["Uppgifter"]
    u["A4"], u["B4"], u["C4"], u["D4"] = "Gator", "budgetfinansierad", "brutto", "fullmäktige"
    wb.save(tmp_path / "tek.xlsx")
    data = _refresh(tmp_path)
    rr = _rows(tmp_path / "kommun.xlsx", "Resultaträkning")
    years = rr["Post"]
    at = years.index("Budget 2026")
    assert rr["Verksamhetsbidrag"][at] == -1000 and rr["Årsbidrag"][at] == 900  # by hand
    for i, _ in enumerate(years):
        if i != at:
            assert rr["Årsbidrag"][i] is None and rr["Verksamhetsbidrag"][i] is None, years[i]
    fd = _rows(tmp_path / "kommun.xlsx", "Finansieringsdel")
    assert [v is None for v in fd["Inverkan på likviditeten"][:len(years)]] == \
        [i != at for i in range(len(years))]
    # the Affärsverk sheet's impact per year likewise (it showed 0,00 there: found 2026-12)
    av = _sheet(tmp_path / "kommun.xlsx", "Affärsverk")
    head = next(i for i, r in enumerate(av) if r and r[0] == "Inverkan per år")
    per_year = [r for r in av[head + 1:] if r and r[0]]
    assert per_year and all(
        [v is None for v in r[1:1 + len(years)]] == [i != at for i in range(len(years))]
        for r in per_year)
    [f] = [f for f in data["findings"] if "har inga belopp i indata" in f["message"]]
    assert f["severity"] == "warning" and f["workbook"] == "kommun.xlsx"
    assert "affärsverkens inverkan" in f["message"]
    assert all(y in f["message"] for y in years if y != "Budget 2026")
    assert "Budget 2026" not in f["message"]


def test_empty_templates_as_they_come_show_no_figures(tmp_path: Path) -> None:
    _new(tmp_path)
    data = _refresh(tmp_path)
    assert data["complete"] is False  # two committees without tasks
    rr = _rows(tmp_path / "kommun.xlsx", "Resultaträkning")
    figures = [v for label, row in rr.items() if not label.startswith(("Post", "Ofullständig"))
               for v in row if v is not None]
    assert figures == []
