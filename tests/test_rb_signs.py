"""Resultatenheter in published signs, as Driftsbudget (issue 14, "Two conventions in one
workbook"), through the real loader on generated committee workbooks.

Template version 0.1 had no *Mallversion* setting and took Budget and Utfall as costs positive;
:func:`as_version_01` turns a freshly generated workbook into what 0.1 wrote (the differences
are exactly: no Mallversion row, the instruction row, costs positive). Kultur- och
fritidsnämnden of the example municipality, net costs (budget / outturn):

    Central förvaltningsledning  310 000 / 306 000  -> +4 000
    Biblioteket                  880 000 / 861 000  -> +19 000
    Idrott                     1 050 000 / 1 083 000 -> -33 000
    Fritid och ungdom            420 000 / 398 000  -> +22 000
    Kultur                       830 000 / 801 000  -> +29 000
    Medborgarinstitutet          540 000 / 529 000  -> +11 000
                                                      = +52 000 (the issue's surplus)
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from engine.findings import Severity
from engine.resultatbalansering import Namnd, balansera
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline.loader import read_kommun, read_namnd
from workbook_templates.schema import MALLVERSION, MALLVERSION_INSTALLNING

KOF = "Kultur- och fritidsnämnden"
RESULTS = {"Central förvaltningsledning": 4000, "Biblioteket": 19000, "Idrott": -33000,
           "Fritid och ungdom": 22000, "Kultur": 29000, "Medborgarinstitutet": 11000}
OLD_A2 = ("Bokslutsårets nettobudget och nettoutfall per resultatenhet (kostnad positiv). "
          "Central = ja för den centrala förvaltningsledningen.")


@pytest.fixture(scope="module")
def namnd_02(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_namnd(tmp_path_factory.mktemp("rb") / "kof.xlsx", KOF, exempelkommun())


def _units_sheet(wb: openpyxl.Workbook) -> tuple[object, int, int, int]:
    ws = wb["Resultatenheter"]
    t = ws.tables["tblResultatenheter"]
    first, last = t.ref.split(":")
    r1 = int("".join(c for c in first if c.isdigit()))
    r2 = int("".join(c for c in last if c.isdigit()))
    headers = [ws.cell(r1, c).value for c in range(1, 12)]
    return ws, r1, r2, headers.index("Budget") + 1


def _rewrite(src: Path, dst: Path, *, version: str | None = MALLVERSION, sign: int = 1,
             a2: str | None = None, cells: dict[str, object] | None = None) -> Path:
    """A copy of ``src`` with the Mallversion setting set (``None``: removed), Budget and Utfall
    multiplied by ``sign``, the instruction row and single cells replaced."""
    wb = openpyxl.load_workbook(src)
    ws = wb["Inställningar"]
    for row in ws.iter_rows(min_row=4, max_row=20):
        if row[0].value == MALLVERSION_INSTALLNING:
            row[1].value = version
            if version is None:
                row[0].value = None
    us, r1, r2, bcol = _units_sheet(wb)
    for r in range(r1 + 1, r2):  # the data rows (the last row of the table is its totals row)
        for c in (bcol, bcol + 1):
            v = us.cell(r, c).value
            if isinstance(v, int | float):
                us.cell(r, c).value = sign * v
    if a2 is not None:
        us["A2"] = a2
    for ref, value in (cells or {}).items():
        us[ref] = value
    wb.save(dst)
    return dst


def as_version_01(src: Path, dst: Path, sign: int = -1) -> Path:
    """What template 0.1 wrote: no Mallversion, costs positive (``sign=-1`` turns the 0.2
    template's published signs back), the old instruction row."""
    return _rewrite(src, dst, version=None, sign=sign, a2=OLD_A2)


def _results(path: Path) -> tuple[dict[str, Decimal], list]:
    n = read_namnd(path)
    return {e.namn: e.resultat for e in n.enheter}, n.findings


def _errors(findings: list) -> list:
    return [f for f in findings if f.severity is Severity.ERROR]


def test_template_writes_published_signs_and_the_version(namnd_02: Path) -> None:
    wb = openpyxl.load_workbook(namnd_02)
    us, r1, _, bcol = _units_sheet(wb)
    # Central förvaltningsledning: net cost 310 000 budget, 306 000 outturn -> -310 000, -306 000
    assert (us.cell(r1 + 1, bcol).value, us.cell(r1 + 1, bcol + 1).value) == (-310000, -306000)
    assert "publicerade tecken" in us["A2"].value and "negativ" in us["A2"].value
    settings = {r[0].value: r[1].value for r in wb["Inställningar"].iter_rows(min_row=4, max_row=9)}
    assert settings[MALLVERSION_INSTALLNING] == MALLVERSION


def test_published_signs_give_the_surplus_not_a_flipped_deficit(namnd_02: Path) -> None:
    # Issue 14: units entered in the published signs flipped silently (+52 000 became -52 000).
    # Resultat = utfall - budget: -306 000 - (-310 000) = +4 000 ... sum +52 000.
    results, findings = _results(namnd_02)
    assert results == RESULTS and sum(results.values()) == 52000
    assert not _errors(findings)


def test_version_01_workbook_gives_the_same_resultatbalansering(namnd_02: Path,
                                                                 tmp_path: Path) -> None:
    old = as_version_01(namnd_02, tmp_path / "kof-0.1.xlsx")
    results, findings = _results(old)
    assert results == RESULTS
    assert not _errors(findings)
    assert any(f.severity is Severity.INFO and "mallversion 0.1" in f.message for f in findings)
    # the whole balancing is the same as from the 0.2 workbook (committee goals stated as met):
    # +52 000 -> carry round(34 666.7) = 34 667, KS 17 333; Idrott -33 000; Biblioteket keeps
    # ceil(19 000 / 3) = 6 334 ...
    b_old = balansera(read_namnd(old).enheter, namnder=[Namnd(KOF, True)])
    b_new = balansera(read_namnd(namnd_02).enheter, namnder=[Namnd(KOF, True)])
    assert b_old.enheter == b_new.enheter and b_old.namnder == b_new.namnder
    n = b_new.namnd(KOF)
    assert (n.justerat_resultat, n.overforing, n.ks_andel) == (52000, 34667, 17333)
    assert b_new.enhet(KOF, "Biblioteket").overforing == 6334
    assert b_new.enhet(KOF, "Idrott").overforing == -33000


def test_version_01_workbook_typed_in_published_signs_is_refused_not_flipped(
        namnd_02: Path, tmp_path: Path) -> None:
    # a 0.1 workbook (no Mallversion) whose controller typed the published signs: read as costs
    # positive, every unit would be a net income and the surplus a deficit. Refused, located.
    old = as_version_01(namnd_02, tmp_path / "kof-0.1-published.xlsx", sign=1)
    n = read_namnd(old)
    assert n.enheter == []
    errors = _errors(n.findings)
    assert len(errors) == 1
    f = errors[0]
    assert f.location.sheet == "Resultatenheter" and f.location.cell == "C4"
    assert "mallversion 0.1" in f.message and f"{MALLVERSION_INSTALLNING} = {MALLVERSION}" in \
        f.message


def test_costs_typed_positive_in_a_02_workbook_are_refused(namnd_02: Path,
                                                           tmp_path: Path) -> None:
    typed = _rewrite(namnd_02, tmp_path / "kof-positive.xlsx", sign=-1)
    n = read_namnd(typed)
    assert n.enheter == []
    [f] = _errors(n.findings)
    assert "positiv nettobudget" in f.message and f.location.cell == "C4"


def test_budget_and_outturn_with_different_signs_is_a_located_error(namnd_02: Path,
                                                                    tmp_path: Path) -> None:
    # Biblioteket (row 5): budget -880 000, outturn typed +861 000
    mixed = _rewrite(namnd_02, tmp_path / "kof-mixed.xlsx", cells={"D5": 861000})
    results, findings = _results(mixed)
    assert "Biblioteket" not in results and results["Idrott"] == -33000
    [f] = _errors(findings)
    assert f.location.cell == "D5" and "olika tecken" in f.message


def test_unknown_template_version_is_refused(namnd_02: Path, tmp_path: Path) -> None:
    odd = _rewrite(namnd_02, tmp_path / "kof-odd.xlsx", version="7.3")
    results, findings = _results(odd)
    assert results == {}
    assert any("Okänd mallversion" in f.message for f in _errors(findings))


def test_blank_goal_flags_are_not_ja(namnd_02: Path, tmp_path: Path) -> None:
    # Issue 14: a blank committee goal flag counted as "ja"; so did a blank unit flag.
    blank = _rewrite(namnd_02, tmp_path / "kof-blank.xlsx", cells={"E5": None})
    n = read_namnd(blank)
    assert {e.namn: e.maluppfyllelse for e in n.enheter}["Biblioteket"] is None
    k = new_kommun(tmp_path / "kommun.xlsx", exempelkommun())
    wb = openpyxl.load_workbook(k)
    ws = wb["Resultatbalansering in"]
    ws["B4"] = None  # the first committee's Måluppfyllelse
    wb.save(k)
    first = ws["A4"].value
    assert {x.namn: x.maluppfyllelse for x in read_kommun(k).namnder}[first] is None


def test_live_excel_reads_a_version_01_workbook_the_same_way(namnd_02: Path,
                                                              tmp_path: Path) -> None:
    # the buttons read the open workbook through xlwings (the double): same conversion
    from addin.excel_adapter import ExcelTableSource
    from tests.xlwings_double import Book

    old = as_version_01(namnd_02, tmp_path / "kof-0.1-live.xlsx")
    live = read_namnd(ExcelTableSource(Book(old)))
    assert {e.namn: e.resultat for e in live.enheter} == RESULTS
    assert live.enheter == read_namnd(old).enheter


def test_justering_column_is_shown_as_an_adjustment_and_rows_add_up(namnd_02: Path,
                                                                    tmp_path: Path) -> None:
    # Biblioteket (row 5): Justering 1 500, Kommentar "Lagändring". It used to be merged into
    # Resultat (20 500 shown as the result, Justering 0). Now: Resultat 19 000 + Justering 1 500
    # = Justerat resultat 20 500; Biblioteket keeps ceil(20 500 / 3) = 6 834.
    from workbook_templates.pipeline.outputs import compute_outputs

    adj = _rewrite(namnd_02, tmp_path / "kof-adj.xlsx", cells={"F5": 1500, "I5": "Lagändring"})
    k = read_kommun(new_kommun(tmp_path / "kommun.xlsx", exempelkommun()))
    n = read_namnd(adj, k.kolumner)
    assert [(j.belopp, j.orsak, j.resultatenhet) for j in n.justeringar] == [
        (1500, "Lagändring", "Biblioteket")]
    e = compute_outputs(k, [n]).balansering.enhet(KOF, "Biblioteket")
    assert (e.resultat, e.justering, e.justerat_resultat, e.overforing) == (19000, 1500, 20500,
                                                                           6834)
