"""A sweep of the input tables, one cell at a time (the same idea as ``test_nonfinite_cells``).

Every cell of the first data row of every input table of both workbook kinds (the municipality's
``kommun.xlsx`` and a committee's ``social.xlsx``) is changed the way a controller's hand
changes it: a typo (``xyz``, or the cell's own text with a letter changed), the cell emptied,
and for a Kod cell a code that is valid, but of another part (an investment code in an
operating table). After each change a check of the workbooks (``refresh(..., write=False)``)
must say so with a finding located at that row ("never a silently wrong number").

The folder is *complete* (the municipality and all six committees of its list), so the checks
computed from the consolidation are shown too (an incomplete run holds them back).

What a change may legitimately leave without a word is listed in :data:`FREE`, one reason each;
what is told by a finding somewhere else (where the value is used) in :data:`ELSEWHERE`. The
lists are the decision: a column not in them must give a located finding.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from workbook_fixtures import with_cells

from workbook_templates.files.reader import cell_name, open_workbook, parse_range
from workbook_templates.pipeline.refresh import refresh

_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: (workbook, table, column, change) → why no finding is right. "*" matches any.
FREE: dict[tuple[str, str, str, str], str] = {
    ("kommun.xlsx", "tblInstallningar", "Värde", "*"):
        "the municipality's name (first row): a name; blank falls back to the file's name",
    ("*", "tblAr", "Typ", "empty"):
        "blank Typ is budget (the template's default); read only when Bokslutsår is missing",
    ("kommun.xlsx", "tblAr", "Invånare", "empty"):
        "inhabitants unknown for the year: per-inhabitant ratios say 'ej definierat'",
    ("*", "*", "Kod", "empty"): "the Rad label names the line when Kod is blank (its code)",
    ("*", "*", "Rad", "*"): "a label only when Kod is filled: the code governs ('koden gäller')",
    ("*", "*", "Bokslut 2024", "empty"): "a blank amount is zero (DECISIONS, Statements)",
    ("*", "*", "Budget 2025", "empty"): "a blank amount is zero (DECISIONS, Statements)",
    ("*", "*", "Budget 2026", "empty"): "a blank amount is zero (DECISIONS, Statements)",
    ("*", "*", "Plan 2027", "empty"): "a blank amount is zero (DECISIONS, Statements)",
    ("*", "*", "Plan 2028", "empty"): "a blank amount is zero (DECISIONS, Statements)",
    ("*", "*", "Utfall hittills", "empty"): "a blank outturn is zero: nothing booked yet",
    ("kommun.xlsx", "tblUtfallKommun", "Prognos helår", "empty"):
        "the object's only row: no forecast, judged on its outturn to date (DECISIONS)",
    ("*", "tblAndringar", "Paragraf", "*"): "the minutes' paragraph: a reference, free text",
    ("*", "*", "Orsak", "*"): "a reason: free text (a blank adjustment reason is an R2 warning "
                              "only where the adjustment is used)",
    ("*", "tblBokslut", "Fastställt år", "empty"): "not yet approved (V8's deadline, DECISIONS)",
    ("*", "tblKris", "*", "empty"): "a key figure not given: the V9 info names what is missing",
    ("*", "tblRegler", "Värde", "*"): "the rule set's name (first row): a name",
    ("*", "tblNamnder", "Kommentar", "*"): "a comment",
    ("*", "tblJusteringar", "Nivå", "empty"): "blank is enhet, the template's default",
    ("*", "tblUppgifter", "Finansiering", "empty"): "blank is budgetfinansierad (the default)",
    ("*", "tblUppgifter", "Princip", "empty"): "blank is brutto (DECISIONS, choices)",
    ("*", "tblUppgifter", "Bindande mot", "empty"): "blank is fullmäktige (DECISIONS, choices)",
}

#: (workbook, table, column, change) → the finding is where the value is used, not at the row.
ELSEWHERE: dict[tuple[str, str, str, str], str] = {
    ("*", "tblAr", "Kolumn", "*"): "the year columns of the tables or the committee's tblAr "
                                   "no longer match: a finding at the tables' headers",
    ("*", "tblUppgifter", "Uppgift", "*"): "each row of Driftsbudget naming the task says so",
    ("kommun.xlsx", "tblInvesteringar", "Projekt", "*"):
        "a project's row renamed is a project of its own; the budget changes and outturn rows "
        "naming the old name say so where they stand (the example's § 46 on Skolcentrum Norr "
        "is then refused at its Budgetändringar row, and the run marked)",
    ("*", "tblTidplan", "Datum", "empty"): "R8: the step has no date (on the sheet)",
    ("social.xlsx", "tblInstallningar", "*", "*"): "the committee's name is missing: V10",
}


def _match(table: dict[tuple[str, str, str, str], str], key: tuple[str, str, str, str]
           ) -> str | None:
    for pattern, why in table.items():
        if all(p in ("*", k) for p, k in zip(pattern, key, strict=True)):
            return why
    return None


@pytest.fixture(scope="module")
def complete(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example municipality and every committee of its list (a complete run)."""
    from workbook_templates.generate.example import KOF, MOB, TEKNISK, exempelkommun
    from workbook_templates.generate.templates import new_kommun, new_namnd

    folder = tmp_path_factory.mktemp("complete")
    ex = exempelkommun()
    new_kommun(folder / "kommun.xlsx", ex)
    for file, name in [("ks", "Kommunstyrelsen"), ("social", "Socialnämnden"),
                       ("bildning", "Bildningsnämnden"), ("teknik", TEKNISK), ("mob", MOB),
                       ("kof", KOF)]:
        new_namnd(folder / f"{file}.xlsx", name, ex)
    return folder


def _typo(text: str) -> str | None:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ("y" if ch.lower() == "x" else "x") + text[i + 1:]
    return None


def _cases(path: Path) -> list[tuple[str, str, int, str, str, str | None]]:
    """(table, sheet, row, cell, column, change, new value) for the first row of every table."""
    out = []
    with open_workbook(path) as wb:
        for t in wb.tables():
            r1, c1, r2, c2 = parse_range(t.ref)
            first = r1 + t.header_row_count
            if first > r2 - t.totals_row_count:
                continue
            table = wb.table(t.name).table
            row = table.rows[0].cells if table.rows else (None,) * len(table.headers)
            for c in range(c1, c2 + 1):
                head, cell = table.headers[c - c1], row[c - c1]
                value = cell.value if cell is not None else None
                changes: list[tuple[str, str | None]] = [("xyz", "xyz")]
                if value is not None:
                    changes.append(("empty", None))
                if isinstance(value, str) and _typo(value):
                    changes.append(("typo", _typo(value)))
                if head == "Kod":  # valid, but of another part
                    changes.append(("other", "RR.SKATT" if str(value).startswith("IN")
                                    else "IN.UTG"))
                out += [(t.name, t.sheet, first, cell_name(first, c), head, kind, new)
                        for kind, new in changes]
    return out


@pytest.mark.parametrize("name", ["kommun.xlsx", "social.xlsx"])
def test_a_changed_input_cell_is_a_located_finding_or_documented_free(
        complete: Path, tmp_path: Path, name: str) -> None:
    before = {f.message for f in refresh([complete], complete / "kommun.xlsx",
                                         write=False).findings}
    cases = _cases(complete / name)
    assert len(cases) > 60, len(cases)
    silent, unlocated = [], []
    for n, (table, sheet, row, cell, head, kind, new) in enumerate(cases):
        folder = tmp_path / f"c{n}"
        shutil.copytree(complete, folder)
        with_cells(folder / name, sheet, {cell: new})
        report = refresh([folder], folder / "kommun.xlsx", write=False)
        shutil.rmtree(folder)
        key = (name, table, head, kind)
        located = [f for f in report.findings for loc in (f.location, *f.also)
                   if loc and loc.workbook == name and loc.sheet == sheet and loc.cell
                   and loc.cell.lstrip(_LETTERS) == str(row)]
        new_findings = [f for f in report.findings if f.message not in before]
        if located or _match(FREE, key) is not None:
            continue
        if new_findings and _match(ELSEWHERE, key) is not None:
            continue
        (unlocated if new_findings else silent).append(
            (table, cell, head, kind, new, [f.message[:80] for f in new_findings[:2]]))
    assert not silent, f"silently ignored: {silent}"
    assert not unlocated, f"told, but not at the row: {unlocated}"


def test_the_add_ins_settings_are_known_to_the_reader() -> None:
    from addin.buttons import SETTING_KOMMUN, SETTING_NAMNDER
    from workbook_templates.pipeline.loader import ADDIN_SETTINGS

    assert {SETTING_KOMMUN, SETTING_NAMNDER} <= {s.casefold() for s in ADDIN_SETTINGS}
