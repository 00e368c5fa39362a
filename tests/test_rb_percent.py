"""A percent setting of tblRegler typed as Excel users type a percentage (2026-12, found by
testers): "10 %" typed into a General cell is stored by Excel as the number 0.1 with a percent
number format (and 10 typed into a cell already formatted as percent too). The reader gets no
formats from calamine, so it was read as 0.1 percent, 100 times too small, without a word.

Through the real command line (``kommunbudget demo`` and ``refresh``) on the demo workbook
edited with openpyxl as Excel saves it; the expected carries are computed by hand from the
demo's figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from workbook_templates.cli.main import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "ex"
    assert main(["demo", "--out", str(out), "--quiet"]) in (0, 1)
    shutil.rmtree(out / ".kommunbudget-backup", ignore_errors=True)
    return out


def _refresh(demo: Path, tmp_path: Path, name: str,
             settings: dict[str, tuple[object, str]]) -> tuple[dict, list[list[object]], str]:
    """A copy of the demo with ``settings`` (label → (value, number format)) typed into the
    Värde cells of tblRegler, refreshed; (report, Resultatbalansering rows, cells set)."""
    d = tmp_path / name
    shutil.copytree(demo, d)
    wb = openpyxl.load_workbook(d / "kommun.xlsx")
    ws = wb["Regler RB"]
    where = {}
    for row in ws.iter_rows(min_col=1, max_col=2):
        label, cell = row
        if label.value in settings:
            cell.value, cell.number_format = settings[label.value]
            where[label.value] = cell.coordinate
    assert set(where) == set(settings)
    wb.save(d / "kommun.xlsx")
    report = tmp_path / f"{name}.json"
    main(["refresh", str(d), "--report", str(report), "--quiet"])
    rows = CalamineWorkbook.from_path(str(d / "kommun.xlsx")).get_sheet_by_name(
        "Resultatbalansering").to_python()
    return json.loads(report.read_text()), rows, where["Avdrag överskott procent"] \
        if "Avdrag överskott procent" in where else next(iter(where.values()))


def _committee(rows: list[list[object]], name: str) -> list[object]:
    """[måluppfyllelse, justerat resultat, överföring, KS andel] of the committee's row."""
    return next(r[1:5] for r in rows if r[0] == name and r[1] in ("ja", "nej"))


def _unit(rows: list[list[object]], committee: str, unit: str) -> object:
    """The carry (överföring) of a result unit."""
    return next(r[6] for r in rows if r[0] == committee and r[1] == unit)


def _r0(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == "R0"]


def test_a_haircut_typed_as_percent_is_ten_percent_whichever_way_it_is_typed(
        demo: Path, tmp_path: Path) -> None:
    # Bildningsnämnden's adjusted surplus T = 140 000; a haircut of 10 % = 14 000 to KS; the
    # carry round(⅔ · 126 000) = 84 000; KS 140 000 − 84 000 = 56 000 (read as 0,1 %: haircut
    # 140, carry 93 240, KS 46 760)
    label = "Avdrag överskott procent"
    for name, value, fmt in [("excel", 0.1, "0%"),          # "10 %" typed in a General cell
                             ("decimals", 0.1, "0.00 %"),   # a custom percent format
                             ("text", "10 %", "@"),         # typed as text
                             ("number", 10, "General")]:    # the number of percent
        report, rows, _ = _refresh(demo, tmp_path, name, {label: (value, fmt)})
        assert _r0(report) == [], name
        assert _committee(rows, "Bildningsnämnden") == ["ja", 140_000, 84_000, 56_000], name


def test_caps_in_percent_formatted_cells_are_read_as_shown(demo: Path, tmp_path: Path) -> None:
    # Tak överskott enhet 5 %: Byggnadstillsyn (net budget −70 000, surplus 18 000) keeps
    # ⅓ = 6 000, capped at 5 % × 70 000 = 3 500; the 2 500 above goes to KS: Miljö- och
    # byggnämnden (surplus 45 000) carries 30 000 − 2 500 = 27 500, KS 15 000 + 2 500 = 17 500
    report, rows, _ = _refresh(demo, tmp_path, "enhet",
                               {"Tak överskott enhet procent": (0.05, "0%")})
    assert _r0(report) == []
    assert _unit(rows, "Miljö- och byggnämnden", "Byggnadstillsyn") == 3_500
    assert _committee(rows, "Miljö- och byggnämnden") == ["ja", 45_000, 27_500, 17_500]
    # Tak överskott nämnd 1 % of the committee's net budget (1 010 000): carry 30 000 capped
    # at 10 100, KS 45 000 − 10 100 = 34 900 (0,01 read as 0,01 %: a cap of 101)
    report, rows, _ = _refresh(demo, tmp_path, "namnd",
                               {"Tak överskott enhet procent": (None, "General"),
                                "Tak överskott nämnd procent": (0.01, "0.00%")})
    assert _r0(report) == []
    assert _committee(rows, "Miljö- och byggnämnden") == ["ja", 45_000, 10_100, 34_900]


def test_a_percent_formatted_cell_showing_more_than_100_percent_is_refused_at_its_cell(
        demo: Path, tmp_path: Path) -> None:
    # 10 in a cell formatted as percent shows 1000 %: never taken as 10 % without a word
    report, rows, cell = _refresh(demo, tmp_path, "over",
                                  {"Avdrag överskott procent": (10, "0%")})
    (r0,) = _r0(report)
    assert r0["severity"] == "error" and (r0["sheet"], r0["cell"]) == ("Regler RB", cell)
    assert "1000 %" in r0["message"] and "Avdrag överskott procent" in r0["message"]
