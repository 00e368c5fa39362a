"""The batch refresh end to end on the example workbooks (issue 5)."""

from __future__ import annotations

import hashlib
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from bad_inputs import rename_first_task

from engine.budget import berakna
from workbook_templates import schema as S
from workbook_templates.cli.main import main
from workbook_templates.files.reader import open_workbook
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline.refresh import refresh


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def workbooks(tmp_path: Path) -> tuple[Path, list[Path]]:
    ex = exempelkommun()
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    namnder = [new_namnd(tmp_path / f"n{i}.xlsx", n, ex) for i, n in enumerate(ex.namndlista)]
    return kommun, namnder


def _copied(paths: list[Path], folder: Path) -> Path:
    """``folder`` with a copy of each of ``paths`` (the same bytes, the same names)."""
    folder.mkdir()
    for p in paths:
        (folder / p.name).write_bytes(p.read_bytes())
    return folder


def _cells(path: Path, sheet: str) -> dict[str, object]:
    with open_workbook(path) as r:
        res = r.range(sheet, "A1:H200")
        return {c.address: c.value for row in res.cells for c in row if c.value is not None}


def test_refresh_writes_the_engine_values_into_the_owned_sheets(workbooks) -> None:
    kommun, namnder = workbooks
    report = refresh([kommun.parent], kommun)
    assert {f.status for f in report.files} == {"written"}
    assert report.exit_code == 1  # the example has error findings on purpose
    expected = berakna(exempelkommun().budget).statement
    cells = _cells(kommun, "Resultaträkning")
    rows = {v: k for k, v in cells.items() if isinstance(v, str)}
    row = rows["Årsbidrag"][1:]
    assert [cells[f"{c}{row}"] for c in "BCDEF"] == list(expected["RR.AB"])
    fin = _cells(kommun, "Finansieringsdel")
    row = {v: k for k, v in fin.items() if isinstance(v, str)}["Inverkan på likviditeten"][1:]
    assert fin[f"F{row}"] == expected["FD.INV"][4]
    # a committee workbook gets its own results and findings
    social = namnder[2]
    res = _cells(social, "Resultat")
    assert "Socialnämnden: driftsekonomidel per uppgift" in res.values()
    assert "Nämnden totalt" in res.values()
    kontroll = _cells(social, "Kontroll")
    assert any(isinstance(v, str) and "Hemvård" in v for v in kontroll.values())


def test_second_refresh_is_idempotent_and_touches_nothing(workbooks) -> None:
    kommun, namnder = workbooks
    refresh([kommun.parent], kommun)
    before = {p: _digest(p) for p in [kommun, *namnder]}
    report = refresh([kommun.parent], kommun)
    assert {f.status for f in report.files} == {"unchanged"}
    assert {p: _digest(p) for p in before} == before


def test_only_owned_sheets_change(workbooks) -> None:
    kommun, _ = workbooks
    with zipfile.ZipFile(kommun) as z:
        before = {i.filename: z.read(i.filename) for i in z.infolist()}
    refresh([kommun.parent], kommun)
    with zipfile.ZipFile(kommun) as z:
        after = {i.filename: z.read(i.filename) for i in z.infolist()}
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        wb_xml = z.read("xl/workbook.xml").decode()
    assert set(before) == set(after)
    changed = {n for n in before if before[n] != after[n]}
    changed.discard("xl/workbook.xml")  # only if recalculation on open had to be requested
    # map the changed parts back to sheet names: they must all be owned output sheets
    import re

    from workbook_templates.schema import KOMMUN_OUTPUTS

    rid_of = dict(re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', wb_xml))
    target = dict(re.findall(r'Id="([^"]+)"[^>]*Target="/?(?:xl/)?([^"]+)"', rels))
    target.update({k: v for v, k in re.findall(r'Target="/?(?:xl/)?([^"]+)"[^>]*Id="([^"]+)"',
                                               rels)})
    owned_parts = {"xl/" + target[rid_of[name]] for name in KOMMUN_OUTPUTS}
    assert changed and changed <= owned_parts


def test_validate_writes_nothing(workbooks) -> None:
    kommun, namnder = workbooks
    before = {p: _digest(p) for p in [kommun, *namnder]}
    report = refresh([kommun.parent], kommun, write=False)
    assert {f.status for f in report.files} == {"validated"}
    assert {p: _digest(p) for p in before} == before


def test_a_broken_committee_workbook_does_not_stop_the_others(workbooks) -> None:
    kommun, namnder = workbooks
    namnder[0].write_bytes(b"this is not a workbook")
    report = refresh([kommun.parent], kommun)
    status = {f.path.name: f.status for f in report.files}
    assert status[namnder[0].name] == "refused"
    assert status["kommun.xlsx"] == "written"
    assert status[namnder[1].name] == "written"
    assert report.exit_code == 2


def test_a_workbook_open_in_excel_is_skipped(workbooks) -> None:
    kommun, namnder = workbooks
    lock = namnder[1].parent / f"~${namnder[1].name}"
    lock.write_bytes(b"owner")
    before = _digest(namnder[1])
    report = refresh([kommun.parent], kommun)
    status = {f.path.name: f.status for f in report.files}
    assert status[namnder[1].name] == "skipped"
    assert _digest(namnder[1]) == before


def test_text_in_an_amount_cell_is_a_finding_with_its_cell(tmp_path: Path) -> None:
    # build a committee workbook whose first amount is text, via openpyxl on a *fresh* template
    import openpyxl

    ex = exempelkommun()
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    path = new_namnd(tmp_path / "social.xlsx", "Socialnämnden", ex)
    wb = openpyxl.load_workbook(path)
    wb["Driftsbudget"]["D4"] = "tre miljoner"
    wb.save(path)
    report = refresh([tmp_path], kommun, write=False)
    (f,) = [f for f in report.findings if f.location and f.location.cell == "D4"]
    assert f.rule == "V10" and f.location.sheet == "Driftsbudget"
    assert "tre miljoner" in f.message


def test_cli_refresh_and_json_report(workbooks, tmp_path: Path, capsys) -> None:
    kommun, _ = workbooks
    rep = tmp_path / "report.json"
    code = main(["refresh", str(kommun.parent), "--kommun", str(kommun), "--report", str(rep),
                 "--quiet"])
    assert code == 1
    import json

    data = json.loads(rep.read_text(encoding="utf-8"))
    assert data["exit_code"] == 1 and len(data["files"]) == 7
    assert main(["validate", str(kommun.parent), "--format", "json"]) == 1


def test_demo_amounts_are_exact(tmp_path: Path, capsys) -> None:
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    # årsbidrag 2026 of the example, computed independently through the engine
    ab = berakna(exempelkommun().budget).statement.get("RR.AB", 2)
    assert ab == Decimal("5272150.00") and "5\u00a0272\u00a0150" in out


def test_a_renamed_header_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    import openpyxl

    ex = exempelkommun()
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    path = new_namnd(tmp_path / "social.xlsx", "Socialnämnden", ex)
    wb = openpyxl.load_workbook(path)
    ws = wb["Resultatenheter"]
    ws["C3"] = "Budgetbelopp"  # the "Budget" header renamed
    wb["Resultatenheter"].tables["tblResultatenheter"].tableColumns[2].name = "Budgetbelopp"
    wb.save(path)
    report = refresh([tmp_path], kommun, write=False)
    found = [f for f in report.findings if f.location and f.location.workbook == "social.xlsx"
             and "Budget" in f.message]
    assert found and found[0].rule == "V10"
    assert report.exit_code == 1


def test_refresh_is_idempotent_across_processes(workbooks) -> None:
    # set iteration order changes with the hash seed between processes: outputs must not
    import os
    import subprocess
    import sys

    kommun, namnder = workbooks
    code = ("import sys; from workbook_templates.pipeline.refresh import refresh; "
            "refresh([sys.argv[1]], sys.argv[2])")
    for seed in ("1", "2"):
        subprocess.run([sys.executable, "-c", code, str(kommun.parent), str(kommun)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        if seed == "1":
            before = {p: _digest(p) for p in [kommun, *namnder]}
    assert {p: _digest(p) for p in before} == before


def test_jobs_give_the_same_result_as_one_process(workbooks, tmp_path: Path) -> None:
    kommun, namnder = workbooks
    twin = _copied([kommun, *namnder], tmp_path / "twin")
    one = refresh([kommun.parent], kommun)
    two = refresh([twin], twin / kommun.name, jobs=2)
    assert [(f.path.name, f.status) for f in one.files] == \
        [(f.path.name, f.status) for f in two.files]
    assert [str(f) for f in one.findings] == [str(f) for f in two.findings]
    assert [f.changes for f in one.files] == [f.changes for f in two.files]
    for p in [kommun, *namnder]:
        assert _cells(p, "Kontroll") == _cells(twin / p.name, "Kontroll")
    for sheet in S.KOMMUN_OUTPUTS:  # the municipality workbook is written in a worker too
        assert _cells(kommun, sheet) == _cells(twin / kommun.name, sheet)


def test_investment_reserve_limit_reaches_the_kontroll_sheet(tmp_path: Path) -> None:
    # V11 (JHS 199 §6.4.3.5) through the whole refresh: the example's surplus items at the end of
    # 2025 are BAL.TIDOVERSK 6 918 000 + överskott 2025 2 904 975 = 9 822 975; an increase of
    # reserves of 10 000 000 in the budget year 2026 exceeds them by 177 025.
    ex = exempelkommun()
    ex.budget.central["RR.BD.RES"] = (None, None, Decimal("-10000000"), None, None)
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    for i, n in enumerate(ex.namndlista):
        new_namnd(tmp_path / f"n{i}.xlsx", n, ex)
    refresh([tmp_path], kommun)
    kontroll = [v for v in _cells(kommun, "Kontroll").values() if isinstance(v, str)]
    [text] = [v for v in kontroll if "överskottsposterna" in v]
    assert "177\u00a0025,00" in text and "9\u00a0822\u00a0975,00" in text
    assert "V11" in kontroll


def test_project_cost_estimate_typed_positive_is_refused_with_the_fix(tmp_path: Path) -> None:
    # one convention (issue 14): a kostnadskalkyl is a cost, negative like investeringsutgifter.
    # A 0.1 workbook had it positive: refused with the cell and the fix, never flipped silently.
    from openpyxl import load_workbook

    from workbook_templates.pipeline.loader import read_kommun

    ex = exempelkommun()
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    projekt = {p.namn: p for p in read_kommun(kommun).projekt}
    assert projekt["Skolcentrum Norr"].kostnadskalkyl == Decimal("14000000.00")  # round trip
    wb = load_workbook(kommun)
    ws = wb["Investeringar"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == -14000000]
    for c in cells:
        c.value = 14000000
    wb.save(kommun)
    inp = read_kommun(kommun)
    wrong = [f for f in inp.findings if "Kostnadskalkylen" in f.message]
    assert len(wrong) == len(cells) >= 1
    assert all(f.rule == "V10" and "-14\u00a0000\u00a0000,00" in f.message for f in wrong)
    assert wrong[0].location.cell == cells[0].coordinate


def test_a_task_name_in_two_committees_counts_in_neither(pristine: Path, tmp_path: Path) -> None:
    # The engine keys a task's statement, binding items and outturn by its name: the same name
    # in two committees mixed their figures up (one committee's Resultat sheet showed the other's
    # task) with only indirect findings. Now: a V1 error in both, neither counted, run incomplete.
    for f in pristine.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    social, bildning = tmp_path / "social.xlsx", tmp_path / "bildning.xlsx"
    with open_workbook(social) as r:
        taken = r.range("Uppgifter", "A4").cells[0][0].value
    rename_first_task(bildning, taken.upper())  # the same name, in other letters

    report = refresh([tmp_path], tmp_path / "kommun.xlsx")

    [f] = [f for f in report.findings if f.rule == "V1" and "flera nämnder" in f.message]
    assert f.severity.value == "error" and taken.upper() in f.message
    assert {f.location.workbook, *(a.workbook for a in f.also)} == {"bildning.xlsx", "social.xlsx"}
    assert f.location.sheet == "Uppgifter" and f.location.cell == "A4"
    status = {r.path.name: r.status for r in report.files}
    assert status["social.xlsx"] == status["bildning.xlsx"] == "input-errors"
    for path in (social, bildning):  # each committee's Kontroll sheet says why
        assert any("flera nämnder" in str(v) for v in _cells(path, "Kontroll").values())
    assert not report.complete and report.exit_code == 1
    assert {s.workbook for s in report.saknas} >= {"bildning.xlsx", "social.xlsx"}
    # the consolidation holds neither committee's tasks (the social committee's was there)
    assert taken in refresh([pristine], pristine / "kommun.xlsx", write=False
                            ).outputs.berakning.uppgifter
    assert not {taken.casefold()} & {u.casefold() for u in report.outputs.berakning.uppgifter}



def test_an_empty_committee_list_is_a_warning_naming_what_was_counted(pristine: Path,
                                                                      tmp_path: Path) -> None:
    # With tblNamnder empty a committee workbook missing from the folder cannot be noticed: the
    # consolidation would be too small without a word. A warning says so and names what counted.
    from openpyxl import load_workbook

    for f in pristine.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    path = tmp_path / "kommun.xlsx"
    wb = load_workbook(path)
    ws = wb[S.T.NAMNDER.sheet]
    lo, hi = ws.tables[S.T.NAMNDER.name].ref.split(":")
    for row in ws[f"A{int(lo[1:]) + 1}:{hi}"]:
        for cell in row:
            cell.value = None
    wb.save(path)

    report = refresh([tmp_path], path, write=False)
    [w] = [f for f in report.findings if "tblNamnder" in f.message and "tom" in f.message]
    assert w.severity.value == "warning" and w.location.table == S.T.NAMNDER.name
    assert "(2: Bildningsnämnden, Socialnämnden)" in w.message
    filled = refresh([pristine], pristine / "kommun.xlsx", write=False)
    assert not [f for f in filled.findings if "tblNamnder" in f.message and "tom" in f.message]


def test_a_principle_or_organ_alias_is_read_as_the_choice_it_names(pristine: Path,
                                                                    tmp_path: Path) -> None:
    # "Nettoprincipen" and "KS" are names of the choices (engine.binding's aliases); the loader
    # compared the raw text with "netto", so they were taken as brutto and fullmäktige.
    from openpyxl import load_workbook

    from workbook_templates.pipeline.loader import read_namnd

    path = tmp_path / "social.xlsx"
    path.write_bytes((pristine / "social.xlsx").read_bytes())
    wb = load_workbook(path)
    ws = wb["Uppgifter"]
    task = ws["A4"].value
    ws["C4"], ws["D4"] = "Nettoprincipen", "KS"
    wb.save(path)
    n = read_namnd(path)
    assert n.principer[task] == ("netto", "kommunstyrelsen")
    assert not [f for f in n.findings if f.severity.value == "error"]


def test_the_outturn_totals_sum_the_deviation_column_above_them(pristine: Path) -> None:
    # found by an audit (2026-12): the rows show the forecast's deviation, the part total summed
    # the outturn to date's (drift: +27 370 025 under rows summing to +287 271)
    report = refresh([pristine], pristine / "kommun.xlsx", write=False)
    rows = report.outputs.kommun_sheets["Budgetutfall"]
    head = next(i for i, r in enumerate(rows) if r and r[0] == "Del")
    end = next(i for i, r in enumerate(rows) if r and r[0] == "Summa per del")
    body = [r for r in rows[head + 1:end] if r]
    totals = [r for r in rows[end + 1:] if r and r[0] in {r[0] for r in body}]
    assert totals
    for t in totals:
        mine = [r for r in body if r[0] == t[0]]
        if any(r[6] is None for r in mine):  # an item without outturn: no part sum of some rows
            assert t[6] is None and t[8] is None and "utan utfall" in t[10], t[0]
            continue
        column = sum((r[8] for r in mine if r[8] is not None), Decimal(0))
        assert t[8] == column, t[0]
    assert any(t[6] is not None for t in totals) and any(t[6] is None for t in totals)


def test_the_outturn_statement_shows_every_binding_item_of_the_budget(pristine: Path) -> None:
    # seed §7.5: the tablå uses the original budget's layout. Before 2026-12 the example's
    # extraordinary income (budget 1 150 000 in 2025), with no outturn typed, was missing from
    # the tablå, and the resultat part's total of the budget columns lacked it.
    report = refresh([pristine], pristine / "kommun.xlsx", write=False)
    rows = report.outputs.kommun_sheets["Budgetutfall"]
    [row] = [r for r in rows if len(r) > 1 and r[1] == "Extraordinära inkomster – beräknad inkomst"]
    assert row[3] == Decimal("1150000") and row[6] is None and "utfall saknas" in row[10]
    head = next(i for i, r in enumerate(rows) if r and r[0] == "Del")
    end = next(i for i, r in enumerate(rows) if r and r[0] == "Summa per del")
    [total] = [r for r in rows[end + 1:] if r and r[0] == "resultat"]
    assert total[3] == sum(r[3] for r in rows[head + 1:end] if r and r[0] == "resultat")


def test_a_unit_that_types_only_its_arsbidrag_counts_in_the_statements(tmp_path: Path) -> None:
    # found 2026-12: an other balance unit typing only its årsbidrag (one row "Årsbidrag" in
    # Driftsbudget, seed §7.1.2.3) was dropped from the municipality's årsbidrag, with a SUM
    # error that told the controller to correct parts nobody had typed. Typing the unit's
    # årsbidrag instead of its lines must leave the municipality's statements as they were.
    import dataclasses

    from engine.catalogue import catalogue

    ex = exempelkommun()
    before = berakna(ex.budget).statement
    [unit] = [u for u in ex.budget.uppgifter if u.namn == "Lokalservice"]
    below = set(catalogue().leaves_below("RR.AB"))
    n = len(ex.budget.years)
    # by hand: the unit's årsbidrag is the sum of its lines above it (VI, VU, financial items)
    arsbidrag = tuple(sum((vals[i] for code, vals in unit.belopp.items()
                           if code in below and vals[i] is not None), Decimal(0))
                      for i in range(n))
    typed = {c: v for c, v in unit.belopp.items() if c not in below}
    typed["RR.AB"] = arsbidrag
    changed = dataclasses.replace(unit, belopp=typed)
    ex = dataclasses.replace(ex, budget=dataclasses.replace(ex.budget, uppgifter=tuple(
        changed if u is unit else u for u in ex.budget.uppgifter)))
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    for i, name in enumerate(ex.namndlista):
        new_namnd(tmp_path / f"n{i}.xlsx", name, ex)
    report = refresh([tmp_path], kommun)
    assert not [f for f in report.findings if f.rule == "SUM" and f.severity.value == "error"]
    cells = _cells(kommun, "Resultaträkning")
    rows = {v: k[1:] for k, v in cells.items() if isinstance(v, str)}
    for label, code in (("Årsbidrag", "RR.AB"), ("Räkenskapsperiodens resultat", "RR.RES")):
        assert [cells[f"{c}{rows[label]}"] for c in "BCDEF"] == list(before[code]), label


def test_crisis_key_figures_are_read_at_full_precision(tmp_path: Path) -> None:
    # found 2026-12 (audit): tblKris went through the amount reader, which rounds to the cent:
    # a computed loan-servicing margin of 0,7951 read 0,80 and was not "under 0,8", 79,996 %
    # read 80,00 and was not "under 80 %". Typed here: all four 2019 criteria hold in 2023 and
    # 2024 only at full precision (by hand: 79,996 < 80; tax 10 − 7,5 = 2,5 ≥ 2; loans
    # 4 000 ≥ 1,5 × 2 000 = 3 000; 0,7951 < 0,8), so the warning depends on them.
    from openpyxl import load_workbook

    from engine.balance import bedom_v9
    from workbook_templates.pipeline.loader import read_kommun

    kommun = new_kommun(tmp_path / "kommun.xlsx", exempelkommun())
    wb = load_workbook(kommun)
    ws = wb["Balans och kris"]  # tblKris A15:L17, rows 16 (2023) and 17 (2024)
    for row, (pct, margin) in ((16, (79.996, 0.7951)), (17, (60, 0.5))):
        ws[f"C{row}"], ws[f"D{row}"] = 10, 7.5
        ws[f"E{row}"], ws[f"F{row}"], ws[f"G{row}"], ws[f"H{row}"] = pct, 4000, 2000, margin
    wb.save(kommun)
    inp = read_kommun(kommun)
    first = inp.kris[0]
    assert first.koncern_kalkylerat_lanehanteringsbidrag == Decimal("0.7951")
    assert first.koncern_arsbidrag_per_avskrivningar_pct == Decimal("79.996")
    result = bedom_v9(inp.kris)
    assert result.per_ar[2023] == {"arsbidrag_avskrivningar": True, "skattesats": True,
                                   "lan_hyresansvar": True, "lanehanteringsbidrag": True}
    assert result.nyckeltal is True
    # text in a key-figure cell is still refused with its cell, never read as blank or zero
    ws["H16"] = "0,79 ungefär"
    wb.save(kommun)
    inp = read_kommun(kommun)
    [f] = [f for f in inp.findings if f.location and f.location.cell == "H16"]
    assert f.rule == "V10" and "text" in f.message
    assert inp.kris[0].koncern_kalkylerat_lanehanteringsbidrag is None


def test_half_filled_rows_of_balans_och_kris_are_findings_at_the_blank_cell(
        tmp_path: Path) -> None:
    # found 2026-12 (audit): a tblBokslut row with its year but no amount, or a tblKris row with
    # key figures but no year, was left out without a word (the V8/V9 deadline moved later)
    from openpyxl import load_workbook

    from workbook_templates.pipeline.loader import read_kommun

    kommun = new_kommun(tmp_path / "kommun.xlsx", exempelkommun())
    wb = load_workbook(kommun)
    ws = wb["Balans och kris"]  # tblBokslut A3:C5 (2023, 2024), tblKris A15:L17
    ws["B5"] = None  # 2024's accumulated surplus
    ws["A4"] = None  # 2023's year, its amount 3 900 000 kept
    ws["A16"] = None  # 2023's key figures without their year
    wb.save(kommun)
    inp = read_kommun(kommun)
    found = {f.location.cell: f for f in inp.findings if f.rule == "V10"}
    assert set(found) == {"B5", "A4", "A16"}
    assert "Ackumulerat överskott saknas" in found["B5"].message
    assert "Bokslutsår saknas" in found["A4"].message and "År saknas" in found["A16"].message
    assert inp.historik == [] and [n.ar for n in inp.kris] == [2024]


def test_a_budget_change_that_cannot_be_read_makes_the_run_incomplete(workbooks) -> None:
    # found by an audit (2026-12): text in a change's Belopp was a V10 error on Kontroll, but
    # the run said complete and the tablå showed Äldreomsorg's budget after changes without the
    # change (−21 770 400 instead of −22 170 400) as if it were final
    import openpyxl

    kommun, _ = workbooks
    wb = openpyxl.load_workbook(kommun)
    ws = wb["Budgetändringar"]
    [cell] = [c for row in ws.iter_rows() for c in row if c.value == -400000]
    cell.value = "−400 000"
    wb.save(kommun)
    report = refresh([kommun.parent], kommun, write=False)
    assert any(f.rule == "V10" and f.location and f.location.cell == cell.coordinate
               for f in report.findings)
    assert not report.complete
    assert str(report.outputs.kommun_sheets["Budgetutfall"][0][0]).startswith("Ofullständig")


def _tabla_row(report, name: str) -> list[object]:
    rows = report.outputs.kommun_sheets["Budgetutfall"]
    [row] = [r for r in rows if len(r) > 1 and r[1] == name]
    return row


def test_an_outturn_row_typed_twice_counts_once_with_an_error(workbooks) -> None:
    # found by an audit (2026-12): the municipality's Skatteinkomster row copied in its Utfall
    # sheet doubled the outturn (77 880 000 instead of 38 940 000) and turned "underskrids –
    # kräver budgetändring" into "inom ramen" without a word. Now the second row is a V1 error
    # at its cell and does not count: the row shows 38 940 000 / 58 410 000 as before.
    import openpyxl

    kommun, _ = workbooks
    before = _tabla_row(refresh([kommun.parent], kommun, write=False),
                        "Skatteinkomster – beräknad inkomst")
    wb = openpyxl.load_workbook(kommun)
    ws = wb["Utfall"]
    [src] = [row for row in ws.iter_rows() if any(c.value == "RR.SKATT" for c in row)]
    ws.insert_rows(src[0].row + 1)
    for c in src:
        ws.cell(src[0].row + 1, c.column).value = c.value
    for t in ws.tables.values():  # the table takes the inserted row
        a, b = t.ref.split(":")
        t.ref = f"{a}:{b[0]}{int(b[1:]) + 1}" if b[1:].isdigit() else t.ref
    wb.save(kommun)
    report = refresh([kommun.parent], kommun, write=False)
    row = _tabla_row(report, "Skatteinkomster – beräknad inkomst")
    assert row[6:9] == before[6:9] == [Decimal("38940000"), Decimal("58410000"),
                                         Decimal("-590000")]
    assert any(f.rule == "V1" and "finns redan på rad" in f.message for f in report.findings)


def test_outturn_typed_for_another_committees_task_does_not_count(workbooks) -> None:
    # found by an audit (2026-12): a row for Miljöskydd (Miljö- och byggnämnden) typed in
    # Tekniska nämnden's Utfall was added to Miljöskydd's outturn (−594 826 instead of
    # −387 487) with a false U1 error. Now a V1 error at that row; the figure stays −387 487.
    import openpyxl

    kommun, namnder = workbooks
    before = _tabla_row(refresh([kommun.parent], kommun, write=False), "Miljöskydd – anslag")
    teknisk = namnder[3]  # Tekniska nämnden; its first outturn row becomes Miljöskydd's
    wb = openpyxl.load_workbook(teknisk)
    ws = wb["Utfall"]
    ws["A4"], ws["B4"], ws["C4"] = "Miljöskydd", "RR.VU.PERS.LON", "Löner och arvoden"
    ws["D4"], ws["E4"] = -207339, -311009
    wb.save(teknisk)
    report = refresh([kommun.parent], kommun, write=False)
    assert _tabla_row(report, "Miljöskydd – anslag")[6] == before[6] == Decimal("-387487")
    [f] = [f for f in report.findings if f.rule == "V1" and "hör till" in f.message]
    assert f.location.workbook == teknisk.name and f.location.cell == "A4"


def test_each_committee_workbook_is_opened_once_to_read_it(workbooks, monkeypatch) -> None:
    """The check that a workbook is not a municipality workbook (tblCentrala) and the loader
    share one reader (issue 17: the zip was opened and its tables listed twice); an archive copy
    of kommun.xlsx among the committees is still recognised (and not read as a committee)."""
    import collections
    import shutil

    from workbook_templates.files.reader import WorkbookReader

    kommun, namnder = workbooks
    archive = kommun.parent / "kommun arkiv.xlsx"
    shutil.copy(kommun, archive)
    opened: collections.Counter[str] = collections.Counter()
    init = WorkbookReader.__init__

    def counting(self, path, *args, **kwargs) -> None:
        opened[Path(path).name] += 1
        init(self, path, *args, **kwargs)

    monkeypatch.setattr(WorkbookReader, "__init__", counting)
    report = refresh([kommun.parent], kommun, write=False)
    assert {opened[p.name] for p in namnder} == {1}
    assert opened[archive.name] == 1  # opened, found to be a municipality workbook, not read
    (f,) = [f for f in report.findings if f.location and f.location.workbook == archive.name]
    assert "tblCentrala" in f.message


def test_a_budget_change_without_its_decision_body_is_said_and_counted_as_the_councils(
        workbooks) -> None:
    """Beslutat av left blank read as fullmäktige without a word: a committee's own decision
    typed without its organ passed B1 as the council's. Now a B1 warning at the cell; the change
    still counts as the council's (the figures are those of 'fullmäktige' typed in)."""
    from workbook_fixtures import with_cells

    from workbook_templates.files.reader import cell_name, parse_range

    kommun, _ = workbooks
    with open_workbook(kommun) as wb:
        info = wb.find_table(S.T.ANDRINGAR.name)
        r1, c1, _, _ = parse_range(info.ref)
        col = c1 + S.T.ANDRINGAR.headers.index("Beslutat av")
        first = cell_name(r1 + 1, col)
        assert wb.table(S.T.ANDRINGAR.name).table.rows[0]["Beslutat av"].value == "fullmäktige"
    typed = refresh([kommun.parent], kommun, write=False)
    with_cells(kommun, S.T.ANDRINGAR.sheet, {first: None})
    blank = refresh([kommun.parent], kommun, write=False)
    (f,) = [f for f in blank.findings if f.message not in {g.message for g in typed.findings}]
    assert f.rule == "B1" and f.severity.value == "warning" and "Beslutat av" in f.message
    assert (f.location.sheet, f.location.cell) == (S.T.ANDRINGAR.sheet, first)
    assert blank.outputs.uppfoljning == typed.outputs.uppfoljning


def test_a_timetable_step_without_its_date_is_found_at_its_date_cell(workbooks) -> None:
    """R8's 'steg N saknar datum' named the sheet only; the example's fourth step has no date:
    the finding is at that row's Datum cell of tblTidplan."""
    kommun, _ = workbooks
    with open_workbook(kommun) as wb:
        rows = wb.table(S.T.TIDPLAN.name).table.rows
        (cell,) = [r["Datum"] for r in rows if r["Steg"].value == S.RB_STEG[3]]
    assert cell.is_blank
    report = refresh([kommun.parent], kommun, write=False)
    (f,) = [f for f in report.findings if f.rule == "R8" and "steg 4" in f.message]
    assert "saknar datum" in f.message
    assert (f.location.workbook, f.location.sheet, f.location.cell) == (
        kommun.name, S.T.TIDPLAN.sheet, cell.address)


def test_a_measure_named_without_amount_or_year_is_said_at_the_blank_cells(workbooks) -> None:
    """A measure (tblAtgarder) with a name but no amount said nothing unless the plan showed a
    deficit (only then did V8 look at it); now a V10 warning at each blank cell (a half-filled row
    of tblBokslut is an error: the deadline depends on it; a measure counts only against a
    deficit, where V8's error says what the counted measures fall short by), and the row does
    not count."""
    from workbook_fixtures import with_cells

    from workbook_templates.files.reader import cell_name, parse_range

    kommun, _ = workbooks
    spec = S.T.ATGARDER
    with open_workbook(kommun) as wb:
        r1, c1, _, _ = parse_range(wb.find_table(spec.name).ref)
    name, belopp, ar = (cell_name(r1 + 1, c1 + spec.headers.index(h))
                        for h in ("Åtgärd", "Belopp", "År"))
    before = refresh([kommun.parent], kommun, write=False)
    with_cells(kommun, spec.sheet, {name: "Höjd avgift för hemvård", belopp: None, ar: None})
    after = refresh([kommun.parent], kommun, write=False)
    new = [f for f in after.findings if f.message not in {g.message for g in before.findings}]
    assert sorted((f.rule, f.severity.value, f.location.cell) for f in new) == [
        ("V10", "warning", belopp), ("V10", "warning", ar)]
    assert all(f.location.sheet == spec.sheet and f.location.workbook == kommun.name
               for f in new)


def test_an_adjustment_without_its_reason_is_found_at_the_reason_cell(workbooks) -> None:
    """R2 'varje justering ska ha en orsak' was located at the adjustment's Nämnd cell; it is
    the Orsak cell that is blank."""
    from workbook_fixtures import with_cells

    from workbook_templates.files.reader import cell_name, parse_range

    kommun, _ = workbooks
    spec = S.T.JUSTERINGAR
    with open_workbook(kommun) as wb:
        r1, c1, _, _ = parse_range(wb.find_table(spec.name).ref)
        assert wb.table(spec.name).table.rows[0]["Orsak"].value  # the example gives one
    orsak = cell_name(r1 + 1, c1 + spec.headers.index("Orsak"))
    with_cells(kommun, spec.sheet, {orsak: None})
    report = refresh([kommun.parent], kommun, write=False)
    (f,) = [f for f in report.findings if f.rule == "R2" and "orsak" in f.message]
    assert (f.location.workbook, f.location.sheet, f.location.cell) == (
        kommun.name, spec.sheet, orsak)


def test_a_refresh_that_lists_no_changes_counts_them_and_writes_the_same_bytes(
        workbooks, tmp_path: Path) -> None:
    """Without ``--report`` nothing reads the list of changed cells: they are counted, not
    listed; the workbooks come out byte for byte as when they are listed."""
    kommun, namnder = workbooks
    copy = _copied([kommun, *namnder], tmp_path / "copy")
    listed = refresh([kommun.parent], kommun)
    counted = refresh([copy], copy / kommun.name, list_changes=False)
    assert [f.status for f in counted.files] == [f.status for f in listed.files]
    for a, b in zip(listed.files, counted.files, strict=True):
        assert a.path.name == b.path.name
        assert b.changes == []
        assert b.changes_omitted == len(a.changes) + a.changes_omitted, a.path.name
        assert _digest(a.path) == _digest(b.path), a.path.name
    assert sum(f.changes_omitted for f in counted.files) > 1000  # (every result cell is new)


def test_the_command_line_lists_changes_only_for_the_json_report(
        workbooks, tmp_path: Path, monkeypatch) -> None:
    import json

    from workbook_templates.cli import main as cli

    kommun, namnder = workbooks
    pristine = {p: p.read_bytes() for p in [kommun, *namnder]}
    asked: list[bool] = []
    real = cli.refresh

    def spy(*args, **kwargs):
        asked.append(kwargs.get("list_changes", True))
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "refresh", spy)
    monkeypatch.setenv("KOMMUNBUDGET_CACHE", str(tmp_path / "cache"))
    main(["refresh", str(kommun.parent), "--kommun", str(kommun), "--quiet"])
    for p, data in pristine.items():
        p.write_bytes(data)
    report = tmp_path / "r.json"
    main(["refresh", str(kommun.parent), "--kommun", str(kommun), "--quiet",
          "--report", str(report)])
    assert asked == [False, True]
    files = json.loads(report.read_text("utf-8"))["files"]
    assert all(f["changes"] for f in files), [f["path"] for f in files if not f["changes"]]


def test_finding_the_municipality_workbook_opens_no_file_before_the_gate(
        workbooks, tmp_path: Path, monkeypatch) -> None:
    """Without --kommun the refresh looks for tblCentrala in every workbook of the folder. A
    zip bomb in a workbook's own workbook part (what the reader opens first) is refused by the
    gate and never opened by the reader: the look for tblCentrala decompressed it whole
    before, 1 GB for a 1 MB file. Every other workbook is gated once."""
    import hostile_files as hf

    from workbook_templates.files import reader as reader_module
    from workbook_templates.pipeline import refresh as R

    kommun, namnder = workbooks
    folder = _copied([kommun, *namnder], tmp_path / "mapp")
    size = 256 * hf.MiB
    comp, crc = hf._zeros_deflated(size)
    entries = [hf.Entry(e.name, comp, raw=True, crc=crc, size=size)
               if e.name == "xl/workbook.xml" else e for e in hf.read_entries(namnder[0])]
    bomb = hf.write_zip(folder / "bomb.xlsx", entries)
    opened: list[str] = []
    gated: list[str] = []
    init, inspect = reader_module.WorkbookReader.__init__, R.inspect_workbook

    def opening(self, path, *args, **kwargs):
        opened.append(Path(path).name)
        return init(self, path, *args, **kwargs)

    def gating(path, *args, **kwargs):
        gated.append(Path(path).name)
        return inspect(path, *args, **kwargs)

    monkeypatch.setattr(reader_module.WorkbookReader, "__init__", opening)
    monkeypatch.setattr(R, "inspect_workbook", gating)
    report = refresh([folder])
    assert bomb.name not in opened
    assert {r.path.name: r.status for r in report.files}[bomb.name] == "refused"
    assert sorted(gated) == sorted(p.name for p in folder.glob("*.xlsx"))  # each once
    assert report.outputs is not None and not report.complete  # a committee workbook refused


_LIMITED_REFRESH = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
sys.path.insert(0, sys.argv[1])
from workbook_templates.cli.main import main
sys.exit(main(["refresh", sys.argv[2], "--quiet"]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX only")
def test_a_file_too_large_for_the_gate_is_refused_before_it_is_read_whole(
        workbooks, tmp_path: Path) -> None:
    """A 1 GiB file in the folder (an export or a video saved as .xlsx) is refused by the
    gate for its size; nothing reads it into memory first (the hashes of the files, taken
    before the gate for the run's reuse and for the version read, read it whole: a refresh
    limited to 1 GiB of address space ended in a MemoryError, exit code 3)."""
    import os
    import subprocess

    kommun, namnder = workbooks
    folder = _copied([kommun, *namnder], tmp_path / "mapp")
    with open(folder / "stor.xlsx", "wb") as f:  # sparse: no disk is used
        f.truncate(1 << 30)
    env = {**os.environ, "KOMMUNBUDGET_CACHE": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", _LIMITED_REFRESH,
                          str(Path(__file__).resolve().parent.parent), str(folder)],
                         capture_output=True, text=True, check=False, env=env)
    assert out.returncode == 2, out.stdout + out.stderr  # errors found, no internal error
    assert "stor.xlsx: IN fel: Filen är 1024.0 MB, mer än gränsen 100.0 MB" in out.stdout
    assert "Internt fel" not in out.stdout + out.stderr


# --- ratios and the balance checks on the example, through the command line (2026-12) --------
# The example's Centrala poster: columns C..G = 2024..2028; row 25 BAL.LIKV, 26 BAL.LIKV.START,
# 27 BAL.FK, 28 BAL.FORSK, 29 BAL.LAN, 30 BAL.TIDOVERSK; tblAr on Inställningar rows 14..18
# (Invånare in D); tblBokslut on Balans och kris rows 4 (2023) and 5 (2024).


def _edited_and_refreshed(workbooks, edits: dict[str, dict[str, object]]) -> Path:
    from openpyxl import load_workbook

    kommun, _ = workbooks
    wb = load_workbook(kommun)
    for sheet, cells in edits.items():
        for ref, value in cells.items():
            wb[sheet][ref] = value
    wb.save(kommun)
    main(["refresh", str(kommun.parent), "--kommun", str(kommun), "--quiet", "--no-cache"])
    return kommun


def _sheet_rows(path: Path, sheet: str) -> list[tuple]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return [r for r in wb[sheet].iter_rows(values_only=True) if r and r[0] is not None]
    finally:
        wb.close()


def _ratio(path: Path, name: str) -> tuple:
    [row] = [r for r in _sheet_rows(path, "Nyckeltal") if r[0] == name]
    return row[1:6]  # 2024..2028


def _kontroll(path: Path, rule: str) -> list[tuple]:
    """Kontroll rows of ``rule``: (rule, severity, workbook, sheet, cell, object, year, text)."""
    return [r[:8] for r in _sheet_rows(path, "Kontroll") if r[0] == rule]


def test_inhabitants_are_used_as_typed_on_the_nyckeltal_sheet(workbooks) -> None:
    # found 2026-12: int() truncated a projected 14 950,6 to 14 950 and 0,5 to 0 (then "ej
    # definierat"), while KB_NYCKELTAL took the value as typed. By hand, lånestock per invånare:
    # 2026: 31 500 000 / 0,5 = 63 000 000,00; 2027: 32 600 000 / 14 950,6 = 2 180,514… → 2 180,51
    # (14 950 gave 2 180,60)
    kommun = _edited_and_refreshed(workbooks, {"Inställningar": {"D16": 0.5, "D17": 14950.6}})
    per_inv = _ratio(kommun, "Lånestock, €/inv")
    assert per_inv[2:4] == (63000000, 2180.51)
    assert not [r for r in _kontroll(kommun, "V10") if r[3] == "Inställningar"]


def test_a_ratio_is_shown_rounded_once_half_away_from_zero(workbooks) -> None:
    # found 2026-12: ratios were rounded to ten decimals half up, then to two on the sheet.
    # Budget 2026: verksamhetsinkomster 8 790 910 (the example's), skatt 59 900 000,01, SA
    # 27 500 000: denominator 96 190 910,01; FK 44 490 719,05 − förskott 1 200 000 =
    # 43 290 719,05. 45,005 × 96 190 910,01 = 4 329 071 905,00005 > 100 × 43 290 719,05 =
    # 4 329 071 905, so the ratio is 45,005 − 5,2e-13: 45,00 (it showed 45,01)
    kommun = _edited_and_refreshed(workbooks, {"Centrala poster": {
        "E4": 59900000.01, "E27": 44490719.05}})
    assert _ratio(kommun, "Relativ skuldsättning, %")[2] == 45.0


def test_advances_left_blank_for_a_year_make_relative_indebtedness_undefined(workbooks) -> None:
    # found 2026-12: a blank Erhållna förskott 2026 counted as 0 and showed 51,98 %
    # (100 × 50 000 000 / 96 190 910) instead of "ej definierat"; a blank stock is unknown
    kommun = _edited_and_refreshed(workbooks, {"Centrala poster": {"E28": None}})
    shown = _ratio(kommun, "Relativ skuldsättning, %")
    assert shown[2] == "ej definierat: uppgift saknas (Erhållna förskott)"
    # 2027 as before: 100 × (51 100 000 − 1 200 000) / its denominator, a number
    assert isinstance(shown[3], float)


def test_typed_balance_warnings_are_at_the_years_cell(workbooks) -> None:
    # found 2026-12: the V7/V8 warnings on a typed balance were at the code (A25, A30).
    # Likvida medel 31.12.2026 typed 1 000 above the roll-forward (5 278 225 + 1 000) and the
    # earlier periods' surplus for 2026 one euro above 6 918 000 + 2 904 975 = 9 822 975
    kommun = _edited_and_refreshed(workbooks, {"Centrala poster": {
        "E25": 5279225, "E30": 9822976}})
    [likv] = [r for r in _kontroll(kommun, "V7") if "31.12.2026" in r[7]]
    assert likv[3:7] == ("Centrala poster", "E25", "BAL.LIKV", 2026)
    assert "(skillnad 1\u00a0000,00)" in likv[7]
    # (2027's, typed as the example's 9 551 432, is then 1 below 9 822 976 + överskott 2026:
    # said at F30)
    [acc] = [r for r in _kontroll(kommun, "V8") if "perioder för 2026 är" in r[7]]
    assert acc[3:7] == ("Centrala poster", "E30", "BAL.TIDOVERSK", 2026)
    assert "(skillnad 1,00)" in acc[7]
    [nxt] = [r for r in _kontroll(kommun, "V8") if "perioder för 2027 är" in r[7]]
    assert nxt[3:7] == ("Centrala poster", "F30", "BAL.TIDOVERSK", 2027)


def test_cash_at_the_start_of_a_year_unlike_the_close_of_the_year_before_is_said(
        workbooks) -> None:
    # found 2026-12 (repro r2): Likvida medel 1.1.2026 typed 20 000 000 while 31.12.2025 is
    # 7 996 075: V7 took 1.1 without a word. Difference 20 000 000 − 7 996 075 = 12 003 925
    kommun = _edited_and_refreshed(workbooks, {"Centrala poster": {"E26": 20000000}})
    [start] = [r for r in _kontroll(kommun, "V7") if "1.1.2026" in r[7]]
    assert start[1:7] == ("varning", "kommun.xlsx", "Centrala poster", "E26",
                          "BAL.LIKV.START", 2026)
    text = start[7]
    assert "20\u00a0000\u00a0000,00" in text and "7\u00a0996\u00a0075,00" in text
    assert "12\u00a0003\u00a0925,00" in text and "räknar med 1.1-värdet" in text


def test_approved_accounts_unlike_the_columns_surplus_are_said_and_count(workbooks) -> None:
    # found 2026-12 (repro r5): tblBokslut 2024 and BAL.TIDOVERSK 2025 (the same balance)
    # differed in amount without a word, and V8 judged on the column. Accounts typed 6 917 000
    # (the column 6 918 000). The approved accounts count: the accumulated surplus at the end
    # of 2025 is 6 917 000 + överskott 2025 2 904 975 = 9 821 975 (the column gave
    # 9 822 975), and a reserve increase of 10 000 000 in 2026 exceeds it by 178 025 (V11
    # takes the figure V8 uses)
    kommun = _edited_and_refreshed(workbooks, {
        "Balans och kris": {"B5": 6917000}, "Centrala poster": {"E15": -10000000}})
    [v8] = [r for r in _kontroll(kommun, "V8") if "fastställda bokslutet" in r[7]]
    assert v8[1:7] == ("varning", "kommun.xlsx", "Balans och kris", "B5", "BAL.TIDOVERSK",
                       2025)
    assert "6\u00a0917\u00a0000,00" in v8[7] and "6\u00a0918\u00a0000,00" in v8[7]
    assert "(skillnad 1\u00a0000,00)" in v8[7]
    [v11] = [r[7] for r in _kontroll(kommun, "V11") if "överskottsposterna" in r[7]]
    assert "178\u00a0025,00" in v11 and "9\u00a0821\u00a0975,00" in v11
