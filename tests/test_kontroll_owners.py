"""Which findings a committee workbook's Kontroll sheet lists, and where it says they are.

Every test runs ``kommunbudget refresh`` (the CLI's ``main``) on a copy of the example set as
``kommunbudget demo`` writes it, altered as a user would, and reads the committees' Kontroll
sheets as Excel shows them (found 2026-12 by a tester): a project's findings on its committee's
Kontroll, a task named "Kultur" not taking Kultur- och fritidsnämnden's findings, a finding of
several workbooks at each workbook's own cell.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from workbook_templates.cli.main import main

KOMMUN = "kommun.xlsx"
TEKNIK = "namnd_tekniska_nämnden.xlsx"
BILDNING = "namnd_bildningsnämnden.xlsx"
KULTUR = "namnd_kultur_och_fritidsnämnden.xlsx"
SOCIAL = "namnd_socialnämnden.xlsx"
INPUT_SHEETS = ("Uppgifter", "Driftsbudget", "Utfall", "Resultatenheter")


def _refresh(folder: Path) -> None:
    main(["refresh", str(folder), "--kommun", str(folder / KOMMUN), "--quiet"])


def _kontroll(path: Path) -> list[tuple]:
    """The finding rows of a Kontroll sheet (after its header row)."""
    ws = openpyxl.load_workbook(path, data_only=True, read_only=True)["Kontroll"]
    rows = [r for r in ws.iter_rows(values_only=True) if any(c is not None for c in r)]
    header = next(i for i, r in enumerate(rows) if r[:3] == ("Regel", "Allvar", "Arbetsbok"))
    return rows[header + 1:]


def _rename(path: Path, old: str, new: str) -> None:
    """Every input cell that holds ``old`` (a task's name) holds ``new``."""
    wb = openpyxl.load_workbook(path)
    for sheet in INPUT_SHEETS:
        for row in wb[sheet].iter_rows():
            for cell in row:
                if cell.value == old:
                    cell.value = new
    wb.save(path)


def test_a_projects_findings_are_on_its_committees_kontroll(ex: Path) -> None:
    """The demo's U1 error on Gatubelysning LED (Tekniska nämnden) and V1 errors on Skolcentrum
    Norr (Bildningsnämnden) and Idrottshallen (Kultur- och fritidsnämnden) were on no committee's
    Kontroll ("0 fel"). The committee is matched case-insensitively, as the loader does."""
    wb = openpyxl.load_workbook(ex / KOMMUN)
    ws = next(w for w in wb if "tblInvesteringar" in w.tables)
    for row in ws.iter_rows():
        if row[0].value == "Gatubelysning LED":
            row[1].value = "TEKNISKA nämnden"
    wb.save(ex / KOMMUN)
    _refresh(ex)
    for workbook, rule, project in ((TEKNIK, "U1", "Gatubelysning LED"),
                                    (BILDNING, "V1", "Skolcentrum Norr"),
                                    (KULTUR, "V1", "Idrottshallen, renovering")):
        rows = [r for r in _kontroll(ex / workbook) if project in (r[5] or "")]
        assert any(r[0] == rule and r[1] == "fel" and r[2] == KOMMUN for r in rows), workbook
    assert not any("Gatubelysning" in (r[5] or "") for r in _kontroll(ex / SOCIAL))


def test_a_task_named_like_the_start_of_another_committee_takes_none_of_its_findings(
        ex: Path) -> None:
    """Bildningsnämnden's task "Kultur": "Kultur- och fritidsnämnden" is a longer name, so that
    committee's findings (R5 at its Resultatenheter, R3 of its goals) stay on its own Kontroll."""
    _rename(ex / KULTUR, "Kultur", "Kulturverksamhet")
    _rename(ex / BILDNING, "Småbarnspedagogik", "Kultur")
    _refresh(ex)
    theirs = [r for r in _kontroll(ex / KULTUR) if (r[5] or "").startswith("Kultur- och")]
    assert {r[0] for r in theirs} >= {"R5", "R3"}
    assert not [r for r in _kontroll(ex / BILDNING) if "Kultur- och" in (r[5] or "")]


def test_a_finding_of_several_workbooks_is_at_each_workbooks_own_cell(ex: Path) -> None:
    """The V5 internal-items warning sums tasks of four committees: each committee's Kontroll
    names its own internal row, its workbook first (it showed Bildningsnämnden's
    Driftsbudget!A10 everywhere, an unrelated row in Tekniska nämnden's workbook)."""
    _refresh(ex)
    seen = set()
    for workbook in (TEKNIK, BILDNING, "namnd_kommunstyrelsen.xlsx"):
        v5s = [r for r in _kontroll(ex / workbook) if r[0] == "V5" and r[5] == "interna poster"]
        assert v5s  # one a year
        drift = openpyxl.load_workbook(ex / workbook, data_only=True)["Driftsbudget"]
        for v5 in v5s:
            assert v5[2].split(", ")[0] == workbook and v5[3] == "Driftsbudget"
            row = int(v5[4].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            assert str(drift[f"B{row}"].value).startswith("DR.INT"), (workbook, v5[4])
            seen.add(v5[4])
    assert len(seen) > 1  # not one cell for all
