"""A committee workbook that disagrees with kommun.xlsx, or leaves a whole year column blank
(found by a tester, 2026-12).

1. Its own settings (Bokslutsår, Kommun) and its tblAr År/Typ under the same column names were
   ignored without a word: kommun.xlsx's apply (no figure changes), but a committee that rolled
   its year on alone saw no sign. Each is now a V10 warning at the committee's cell.
2. A committee whose Driftsbudget has no amount at all in a year column showed 0,00 for that
   year on its Resultat, and the consolidated year lacked it in a run called complete. Its
   Resultat now leaves the column blank, a V10 warning at its tblDrift year header says so, and
   the consolidated sheets are marked Ofullständig.

Through the real command line, on the example set (``ex``: a fresh copy per test). The example's
Socialnämnden: Inställningar B4 Nämnd, B5 Kommun "Exempelby kommun", B6 Bokslutsår 2024; tblAr
A11:C15 (Bokslut 2024 … Plan 2028, År in B, Typ in C); tblDrift A3:H21, Plan 2028 in column H.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from workbook_templates.cli.main import main

SOCIAL = "namnd_socialnämnden.xlsx"


def _refresh(d: Path) -> dict:
    main(["refresh", str(d), "--quiet", "--report", str(d / "r.json")])
    return json.loads((d / "r.json").read_text(encoding="utf-8"))


def _sheet(path: Path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [tuple(r) for r in wb[sheet].iter_rows(min_row=3, values_only=True)]
    finally:
        wb.close()


def _edit(path: Path, sheet: str, cells: dict[str, object]) -> None:
    wb = openpyxl.load_workbook(path)
    for address, value in cells.items():
        wb[sheet][address] = value
    wb.save(path)


def _at(data: dict, workbook: str, sheet: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in data["findings"]:
        if f.get("workbook") == workbook and f.get("sheet") == sheet:
            out.setdefault(f.get("cell"), []).append(f)
    return out


# -- 1. the committee's own settings against kommun.xlsx --------------------------------------

EDITS = {  # edit of Socialnämnden's Inställningar -> the cells that must hold a V10 warning
    "Bokslutsår": ({"B6": 2025}, {"B6": ("Bokslutsår är 2025", "kommunens arbetsbok har 2024")}),
    "Kommun": ({"B5": "Annanby kommun"},
               {"B5": ("'Annanby kommun'", "'Exempelby kommun'")}),
    "tblAr År": ({"B11": 2025, "B12": 2026, "B13": 2027, "B14": 2028, "B15": 2029},
                 {f"B{r}": (f"har året {y + 1} här men {y}", f"kommunens år ({y}) gäller")
                  for r, y in zip(range(11, 16), range(2024, 2029), strict=True)}),
    "tblAr Typ": ({"C12": "bokslut"},
                  {"C12": ("typen 'bokslut' här men 'budget'", "kommunens typ (budget) gäller")}),
}


@pytest.mark.parametrize("what", list(EDITS))
def test_a_committee_setting_that_disagrees_with_kommun_is_a_warning_at_its_cell(
        ex: Path, what: str) -> None:
    before = _refresh(ex)
    figures = {p.name: _sheet(p, "Resultat") for p in ex.glob("namnd_*.xlsx")}
    figures["kommun.xlsx"] = _sheet(ex / "kommun.xlsx", "Resultaträkning")
    assert not _at(before, SOCIAL, "Inställningar")
    edit, expected = EDITS[what]
    _edit(ex / SOCIAL, "Inställningar", edit)
    data = _refresh(ex)
    found = _at(data, SOCIAL, "Inställningar")
    assert set(found) == set(expected), found
    for cell, words in expected.items():
        [f] = found[cell]
        assert (f["rule"], f["severity"]) == ("V10", "warning")
        assert all(w in f["message"] for w in words), f["message"]
    # kommun.xlsx's settings apply: no figure changes, the run stays complete
    assert data["complete"] is before["complete"] is True
    assert {p.name: _sheet(p, "Resultat") for p in ex.glob("namnd_*.xlsx")} == {
        k: v for k, v in figures.items() if k.startswith("namnd_")}
    assert _sheet(ex / "kommun.xlsx", "Resultaträkning") == figures["kommun.xlsx"]


def test_a_blank_committee_setting_says_nothing(ex: Path) -> None:
    _edit(ex / SOCIAL, "Inställningar", {"B5": None, "B6": None})
    assert not _at(_refresh(ex), SOCIAL, "Inställningar")


# -- 2. a committee's year column without any amount -------------------------------------------

def _blank_column(path: Path, column: str, keep: str | None = None) -> None:
    """Every amount of tblDrift's ``column`` (rows 4–21) emptied, but the cell ``keep``."""
    _edit(path, "Driftsbudget", {f"{column}{r}": None for r in range(4, 22)
                                 if f"{column}{r}" != keep})


def _vi_2028(path: Path) -> Decimal:
    """The sum of the committee's verksamhetsinkomster (RR.VI.*) typed in Plan 2028 (H)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["Driftsbudget"]
    return sum((Decimal(str(ws[f"H{r}"].value)) for r in range(4, 22)
                if str(ws[f"B{r}"].value or "").startswith("RR.VI") and ws[f"H{r}"].value),
               Decimal(0))


def _rr(path: Path) -> dict[str, tuple]:
    return {str(r[0]).strip(): r[1:] for r in _sheet(path, "Resultaträkning") if r and r[0]}


def test_a_committee_year_column_without_any_amount_is_blank_said_and_marks_the_year(
        ex: Path) -> None:
    _refresh(ex)
    vi_before = Decimal(str(_rr(ex / "kommun.xlsx")["Verksamhetsinkomster"][4]))
    social_vi = _vi_2028(ex / SOCIAL)
    assert social_vi > 0
    resultat_before = _sheet(ex / SOCIAL, "Resultat")
    _blank_column(ex / SOCIAL, "H")  # Plan 2028
    data = _refresh(ex)

    [f] = _at(data, SOCIAL, "Driftsbudget")["H3"]  # the year's header in tblDrift
    assert (f["rule"], f["severity"]) == ("V10", "warning")
    assert "Socialnämnden" in f["message"] and "Plan 2028" in f["message"]
    assert "sammanställda siffror för Plan 2028 saknar nämnden" in f["message"]
    # the consolidated year lacks the committee: marked, as a committee missing from the folder
    assert data["complete"] is False
    assert any(e["namnd"] == "Socialnämnden" and e["cell"] == "H3"
               for e in data["ofullstandig"])
    rr = _sheet(ex / "kommun.xlsx", "Resultaträkning")
    assert str(rr[0][0]).startswith("Ofullständig") and "Plan 2028" in rr[0][0]
    # the figure itself: the other committees' only (hand-computed from the inputs)
    assert Decimal(str(_rr(ex / "kommun.xlsx")["Verksamhetsinkomster"][4])) == \
        vi_before - social_vi
    # the committee's Resultat: Plan 2028 blank on every row of its task blocks (not 0,00);
    # the other years as before
    resultat = _sheet(ex / SOCIAL, "Resultat")
    head = next(i for i, r in enumerate(resultat) if str(r[0]).endswith("per uppgift"))
    assert resultat[head][5] == "Plan 2028"
    end = next(i for i, r in enumerate(resultat) if i > head and r[0] is None)
    rows = resultat[head + 1:end]
    assert sum(1 for r in rows if r[0].startswith("  ")) > 10
    assert all(r[5] is None for r in rows)
    assert [r[:5] for r in rows] == [r[:5] for r in resultat_before[head + 1:end]]


def test_a_committee_year_column_with_some_amounts_is_computed_as_always(ex: Path) -> None:
    _refresh(ex)
    vi_before = Decimal(str(_rr(ex / "kommun.xlsx")["Verksamhetsinkomster"][4]))
    social_vi = _vi_2028(ex / SOCIAL)
    _blank_column(ex / SOCIAL, "H", keep="H4")  # only Äldreomsorg's avgiftsinkomster 3 311 454
    data = _refresh(ex)
    assert not _at(data, SOCIAL, "Driftsbudget")
    assert data["complete"] is True
    assert Decimal(str(_rr(ex / "kommun.xlsx")["Verksamhetsinkomster"][4])) == \
        vi_before - social_vi + Decimal(3311454)
    resultat = _sheet(ex / SOCIAL, "Resultat")
    aldre = next(i for i, r in enumerate(resultat) if str(r[0]).startswith("Äldreomsorg ("))
    assert resultat[aldre + 1][0].strip() == "Verksamhetsinkomster"
    assert resultat[aldre + 1][5] == 3311454
    assert resultat[aldre + 2][0].strip() == "Verksamhetsutgifter"
    assert resultat[aldre + 2][5] == 0  # a blank in a year with input is 0, as always
