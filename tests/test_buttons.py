"""The buttons (issue 6): the handlers write what the batch refresh writes, through both adapters.

Live Excel is the ``excel`` fixture (tests/conftest.py), every test twice: the xlwings double
(``tests/xlwings_double.py``, an openpyxl workbook behind the exact xlwings calls the adapter
makes) and the installed xlwings' real Windows code over Excel's COM objects faked on the same
file (``tests/xlwings_excel.py``; the book is ``xw.Book.caller()``'s). The file adapter is the
batch writer. Expected rows come from :func:`compute_outputs` and from ``refresh`` on an
identical copy of the example folder.
"""

from __future__ import annotations

import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from addin.buttons import KOMMUN_SHEETS, FileSink, run_on  # noqa: E402
from tests.xlwings_double import trimmed  # noqa: E402
from workbook_templates import schema as S  # noqa: E402
from workbook_templates.files.reader import open_workbook  # noqa: E402
from workbook_templates.generate.example import exempelkommun  # noqa: E402
from workbook_templates.generate.templates import new_kommun, new_namnd  # noqa: E402
from workbook_templates.pipeline.loader import read_kommun, read_namnd  # noqa: E402
from workbook_templates.pipeline.outputs import compute_outputs  # noqa: E402
from workbook_templates.pipeline.refresh import refresh  # noqa: E402


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("example")
    ex = exempelkommun()
    new_kommun(d / "kommun.xlsx", ex)
    for i, n in enumerate(ex.namndlista):
        new_namnd(d / f"n{i}.xlsx", n, ex)
    return d


@pytest.fixture()
def copy(example_dir: Path, tmp_path: Path):  # noqa: ANN201
    def make(name: str) -> Path:
        d = tmp_path / name
        shutil.copytree(example_dir, d)
        return d
    return make


def _norm(rows: list[list[object]]) -> list[list[object]]:
    """Numbers as floats, "" as blank (Excel keeps no empty text), trailing blanks trimmed."""
    return trimmed([float(v) if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)
                    else (None if v == "" else v) for v in r] for r in rows)


def _file_rows(path: Path, sheet: str) -> list[list[object]]:
    with open_workbook(path) as r:
        return _norm(r.range(sheet, S.OUTPUT_LOOKUP).values())


def _expected(d: Path) -> tuple[object, dict]:
    k = read_kommun(d / "kommun.xlsx")
    namnder = [read_namnd(p, k.kolumner) for p in sorted(d.glob("n*.xlsx"))]
    return compute_outputs(k, namnder), {n.namnd: n for n in namnder}


def test_berakna_in_the_municipality_writes_the_computed_sheets(excel, copy) -> None:
    d = copy("a")
    book = excel.Book(d / "kommun.xlsx")
    result = excel.run(book, "berakna")
    out, _ = _expected(d)
    assert set(result.sheets) == {s for s in KOMMUN_SHEETS["berakna"] if s in out.kommun_sheets}
    for sheet in result.sheets:
        assert book.cells(sheet) == _norm(out.kommun_sheets[sheet]), sheet
    assert book.cells("Resultatbalansering") == []  # not this button's sheet
    assert book.app.status_history[-1] is False and len(book.app.status_history) > 3
    assert len(book.app.alerts) == 1 and "Beräkna klart" in book.app.alerts[0]["prompt"]


def test_kontrollera_writes_only_kontroll(excel, copy) -> None:
    d = copy("a")
    book = excel.Book(d / "kommun.xlsx")
    result = excel.run(book, "kontrollera")
    out, _ = _expected(d)
    assert result.sheets == ("Kontroll",)
    assert book.cells("Kontroll") == _norm(out.kommun_sheets["Kontroll"])
    assert book.cells("Resultaträkning") == []


def test_uppdatera_allt_equals_the_batch_refresh(excel, copy) -> None:
    batch, live = copy("batch"), copy("live")
    refresh([batch], batch / "kommun.xlsx")
    book = excel.Book(live / "kommun.xlsx")
    result = excel.run(book, "uppdatera_allt")
    assert {f.status for f in result.files} == {"written"}
    assert len(result.files) == 6
    for sheet in S.KOMMUN_OUTPUTS:
        expected = _file_rows(batch / "kommun.xlsx", sheet)
        assert book.cells(sheet) == expected, sheet
    for p in sorted(batch.glob("n*.xlsx")):
        for sheet in S.NAMND_OUTPUTS:
            assert _file_rows(live / p.name, sheet) == _file_rows(p, sheet), (p.name, sheet)


def test_resultatbalansera_writes_rb_and_kontroll(excel, copy) -> None:
    d = copy("a")
    book = excel.Book(d / "kommun.xlsx")
    result = excel.run(book, "resultatbalansera")
    out, _ = _expected(d)
    assert result.sheets == ("Resultatbalansering", "Kontroll")
    assert book.cells("Resultatbalansering") == _norm(out.kommun_sheets["Resultatbalansering"])
    assert book.cells("Resultaträkning") == []


def _haircut(value: object, fmt: str):  # noqa: ANN202
    def fn(wb: Any) -> None:
        ws = wb["Regler RB"]
        cell = next(b for a, b in ws.iter_rows(min_col=1, max_col=2)
                    if a.value == "Avdrag överskott procent")
        cell.value, cell.number_format = value, fmt
    return fn


def test_a_percent_typed_as_excel_stores_it_is_read_live_as_shown(excel, copy) -> None:
    # "10 %" typed into a General cell: Excel stores 0.1 with the format 0 % (2026-12, found by
    # testers: read as 0,1 % by both the batch and the button). Live, the button reads the
    # cell's NumberFormat; it must write what the haircut typed as the number 10 gives
    typed, live = copy("typed"), copy("live")
    _edit(typed / "kommun.xlsx", _haircut(10, "General"))
    _edit(live / "kommun.xlsx", _haircut(0.1, "0%"))
    book = excel.Book(live / "kommun.xlsx")
    excel.run(book, "resultatbalansera")
    out, _ = _expected(typed)
    assert book.cells("Resultatbalansering") == _norm(out.kommun_sheets["Resultatbalansering"])
    plain, _ = _expected(copy("plain"))  # (and the haircut is there: 10 % changes the carries)
    assert out.kommun_sheets["Resultatbalansering"] != plain.kommun_sheets["Resultatbalansering"]
    assert not [f for f in read_kommun(excel.source(book)).findings if f.rule == "R0"]


def test_open_committee_workbook_is_skipped_with_a_message(excel, copy) -> None:
    d = copy("a")
    (d / "~$n2.xlsx").write_bytes(b"owner")  # Excel's lock file: n2.xlsx is open somewhere
    before = (d / "n2.xlsx").read_bytes()
    book = excel.Book(d / "kommun.xlsx")
    result = excel.run(book, "uppdatera_allt")
    assert (d / "n2.xlsx").read_bytes() == before
    statuses = {f.path.name: f.status for f in result.files}
    assert statuses["n2.xlsx"] == "skipped" and statuses["n0.xlsx"] == "written"
    kontroll = [r for r in book.cells("Kontroll") if r and r[0] == "IN"]
    assert any("öppen i Excel" in str(r[-1]) for r in kontroll)
    assert "n2.xlsx" in book.app.alerts[0]["prompt"]


def test_file_adapter_writes_what_the_live_adapter_writes(excel, copy) -> None:
    """The shared core through the file adapter (reader + batch writer) and through the double."""
    files, live = copy("files"), copy("live")
    with open_workbook(files / "kommun.xlsx") as r:
        run_on(r, FileSink(files / "kommun.xlsx"), "berakna")
    book = excel.Book(live / "kommun.xlsx")
    excel.run(book, "berakna")
    for sheet in S.KOMMUN_OUTPUTS:
        assert _file_rows(files / "kommun.xlsx", sheet) == book.cells(sheet), sheet


def _set_setting(book: Any, key: str, value: str) -> None:
    """Add a row to tblInstallningar in the double's workbook (as a user would in Excel)."""
    ws = book.wb[S.T.INSTALLNINGAR.sheet]
    t = ws.tables[S.T.INSTALLNINGAR.name]
    last = int(t.ref.split(":")[1][1:])
    ws.cell(last + 1, 1, key)
    ws.cell(last + 1, 2, value)
    t.ref = f"A3:B{last + 1}"


def test_committee_berakna_with_kommunarbetsbok_equals_the_batch(excel, copy) -> None:
    batch, live = copy("batch"), copy("live")
    refresh([batch], batch / "kommun.xlsx")
    book = excel.Book(live / "n2.xlsx")  # Socialnämnden
    _set_setting(book, "Kommunarbetsbok", "kommun.xlsx")  # relative to the workbook's folder
    result = excel.run(book, "berakna")
    assert result.role == "nämnd" and result.sheets == ("Resultat", "Kontroll")
    assert book.cells("Resultat") == _file_rows(batch / "n2.xlsx", "Resultat")
    assert book.cells("Kontroll") == _file_rows(batch / "n2.xlsx", "Kontroll")
    assert "Nämnden totalt" in [r[0] for r in book.cells("Resultat") if r]


def test_committee_alone_computes_its_own_budget_and_says_so(excel, copy) -> None:
    d = copy("a")
    book = excel.Book(d / "n2.xlsx")
    result = excel.run(book, "berakna")
    out, _ = _expected(d)
    expected = _norm(out.namnd_sheets["Socialnämnden"]["Resultat"])
    got = book.cells("Resultat")
    cut = next(i for i, r in enumerate(expected) if not r)  # the driftsekonomidel part
    assert got[0][0].startswith("Ofullständig – nämnden beräknades ensam")  # (since 2026-12)
    assert got[1:cut + 1] == expected[:cut]
    info = [f for f in result.findings if f.rule == "IN" and "Kommunarbetsbok" in f.message]
    assert info and info[0].severity.value == "info"


def test_committee_missing_kommunarbetsbok_is_a_finding(excel, copy) -> None:
    d = copy("a")
    book = excel.Book(d / "n2.xlsx")
    _set_setting(book, "Kommunarbetsbok", "finns_inte.xlsx")
    result = excel.run(book, "kontrollera")
    assert any("finns_inte.xlsx" in f.message and f.severity.value == "error"
               for f in result.findings)
    assert result.sheets == ("Kontroll",)


def test_any_exception_becomes_a_finding_and_a_message_box(excel, copy, monkeypatch) -> None:
    d = copy("a")

    def boom(*_a: object) -> None:
        raise RuntimeError("testfel")

    from workbook_templates.pipeline import refresh as pipeline

    monkeypatch.setattr(pipeline, "compute_outputs", boom)  # the reading the batch shares
    book = excel.Book(d / "kommun.xlsx")
    result = excel.run(book, "berakna")  # must not raise
    assert [f.rule for f in result.findings] == ["IN"]
    kontroll = book.cells("Kontroll")
    assert kontroll[2][0] == "IN" and "testfel" in kontroll[2][-1]
    assert "testfel" in book.app.alerts[0]["prompt"]
    assert book.app.status_history[-1] is False


def test_a_broken_header_does_not_crash_the_button(excel, copy) -> None:
    """A renamed header in tblInvesteringar (V10) ends as findings, never a traceback."""
    d = copy("a")
    book = excel.Book(d / "kommun.xlsx")
    book.wb[S.T.INVESTERINGAR.sheet]["B3"] = "Namnd"
    result = excel.run(book, "kontrollera")
    assert any(f.severity.value == "error" for f in result.findings)
    assert book.app.alerts


def test_unknown_action_is_refused(excel, copy) -> None:
    d = copy("a")
    with pytest.raises(ValueError):
        run_on(excel.source(excel.Book(d / "kommun.xlsx")), FileSink(d / "x.xlsx"), "radera")


@pytest.mark.parametrize("handler", ["kontrollera", "berakna", "resultatbalansera",
                                     "uppdatera_allt"])
def test_handlers_use_the_calling_book(excel, copy, handler) -> None:
    d = copy("a")
    book = excel.Book(d / "kommun.xlsx")
    excel.press(handler, book)  # xlwings: RunPython's command line and xw.Book.caller()
    assert book.app.alerts and "klart" in book.app.alerts[0]["prompt"]
    assert book.cells("Kontroll")


def test_berakna_never_counts_a_copied_committee_workbook_twice(excel, copy) -> None:
    """Issue 13 through the button: "n4 - Kopia.xlsx" next to n4.xlsx; the statements are
    marked Ofullständig, the error names both files, nothing is counted twice."""
    batch, live = copy("batch"), copy("live")
    for d in (batch, live):
        shutil.copy(d / "n4.xlsx", d / "n4 - Kopia.xlsx")
    report = refresh([batch], batch / "kommun.xlsx")
    book = excel.Book(live / "kommun.xlsx")
    result = excel.run(book, "berakna")
    (dup,) = [f for f in result.findings if "flera arbetsböcker" in f.message]
    assert set(dup.workbooks) == {"n4.xlsx", "n4 - Kopia.xlsx"}
    first = book.cells("Resultaträkning")[0][0]
    assert first.startswith("Ofullständig") and "n4 - Kopia.xlsx" in first
    assert book.cells("Resultaträkning") == _file_rows(batch / "kommun.xlsx", "Resultaträkning")
    assert not report.complete


def test_committee_berakna_refuses_a_task_named_as_another_committees(excel, copy) -> None:
    """The open committee workbook's task has the name of another committee's task (in the
    folder): its Resultat sheet would show a mix of both; the button writes Kontroll, with the
    V1 error naming both workbooks, and a Resultat of one "Ofullständig" row (since 2026-12:
    no figure of an earlier refresh left standing)."""
    from tests.bad_inputs import rename_first_task

    live = copy("live")
    with open_workbook(live / "n2.xlsx") as r:  # Socialnämnden
        taken = r.range("Uppgifter", "A4").cells[0][0].value
    rename_first_task(live / "n3.xlsx", taken)
    book = excel.Book(live / "n2.xlsx")
    _set_setting(book, "Kommunarbetsbok", "kommun.xlsx")
    result = excel.run(book, "berakna")
    (clash,) = [f for f in result.findings if "flera nämnder" in f.message]
    assert clash.rule == "V1" and clash.severity.value == "error"
    assert set(clash.workbooks) == {"n2.xlsx", "n3.xlsx"}
    assert set(result.sheets) == {"Resultat", "Kontroll"}
    assert str(book.cells("Resultat")[0][0]).startswith("Ofullständig – inget resultat")
    assert any("flera nämnder" in str(v) for r in book.cells("Kontroll") for v in r)


# --- buttons and batch share the reading (found by an audit, 2026-12) --------------------------
# Before, the buttons had a reading of their own beside the batch's: an archive copy of the
# municipality workbook was read as a committee, an unlisted committee counted in a committee's
# figures, a committee with input errors got its Resultat sheet written with wrong figures, and
# the open workbook's Bokfört utfall and optional tables were not read. Now both run
# refresh.read_and_compute; only the adapter that touches cells differs.


def _edit(path: Path, fn) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    wb = load_workbook(path)
    fn(wb)
    wb.save(path)


def _committee_button(excel, d: Path, name: str = "n2.xlsx",  # noqa: ANN001, ANN202
                      action: str = "berakna"):
    book = excel.Book(d / name)
    _set_setting(book, "Kommunarbetsbok", "kommun.xlsx")
    return book, excel.run(book, action)


def test_committee_button_reads_its_own_bokfort_utfall(excel, copy, tmp_path: Path) -> None:
    # the outturn imported from the bookkeeping (owned sheet Bokfört utfall) counts where
    # Utfall hittills is empty: the button ignored it (Äldreomsorg's anslag −6 817 740 against
    # the batch's −14 817 744, Kontroll identical)
    from tests.test_import_utfall import _export, _mappning
    from workbook_templates.pipeline.import_utfall import import_utfall

    def clear(wb) -> None:  # noqa: ANN001
        for row in wb["Utfall"].iter_rows(min_row=4):
            if row[0].value == "Äldreomsorg" and row[1].value == "RR.VU.PERS.LON":
                row[3].value = None
    batch, live = copy("batch"), copy("live")
    for d in (batch, live):
        _edit(d / "n2.xlsx", clear)
        import_utfall(_export(tmp_path / "e.csv"), _mappning(tmp_path / "m.csv"),
                      d / "kommun.xlsx", [d])
    refresh([batch], batch / "kommun.xlsx")
    book, _ = _committee_button(excel, live)
    assert book.cells("Resultat") == _file_rows(batch / "n2.xlsx", "Resultat")


def test_a_committee_with_input_errors_gets_the_same_resultat_through_both_buttons(
        excel, copy) -> None:
    # text in an amount cell: the batch writes Kontroll and a Resultat of one "Ofullständig"
    # row (status input-errors); the buttons wrote Resultat with Verksamhetsutgifter 2026
    # −8 699 380 instead of −20 878 512. Both ways give the same sheets now.
    batch, live, own = copy("batch"), copy("live"), copy("own")
    for d in (batch, live, own):
        _edit(d / "n2.xlsx", lambda wb: wb["Driftsbudget"].__setitem__("F5", "-12 179 132"))
    report = refresh([batch], batch / "kommun.xlsx")
    assert {f.path.name: f.status for f in report.files}["n2.xlsx"] == "input-errors"
    before = _file_rows(batch / "n2.xlsx", "Resultat")
    r = excel.run(excel.Book(live / "kommun.xlsx"), "uppdatera_allt")
    assert {f.path.name: f.status for f in r.files}["n2.xlsx"] == "input-errors"
    assert _file_rows(live / "n2.xlsx", "Resultat") == before
    book, result = _committee_button(excel, own)
    assert book.cells("Resultat") == before and set(result.sheets) == {"Resultat", "Kontroll"}
    assert str(before[0][0]).startswith("Ofullständig – inget resultat: arbetsboken har fel")


def test_an_older_municipality_workbook_without_balans_tables_is_complete_live(excel, copy) -> None:
    batch, live = copy("batch"), copy("live")

    def drop(wb) -> None:  # noqa: ANN001
        ws = wb["Balans och kris"]
        for name in list(ws.tables):
            del ws.tables[name]
    for d in (batch, live):
        _edit(d / "kommun.xlsx", drop)
    assert refresh([batch], batch / "kommun.xlsx").complete
    assert read_kommun(excel.source(excel.Book(live / "kommun.xlsx"))).findings == \
        read_kommun(live / "kommun.xlsx").findings
    book = excel.Book(live / "kommun.xlsx")
    excel.run(book, "berakna")
    assert not str(book.cells("Resultaträkning")[0][0]).startswith("Ofullständig")


def test_an_archive_copy_of_the_municipality_workbook_is_skipped_by_both_buttons(excel, copy) -> None:
    batch, live, own = copy("batch"), copy("live"), copy("own")
    for d in (batch, live, own):
        shutil.copy(d / "kommun.xlsx", d / "Kopia av kommun.xlsx")
    refresh([batch], batch / "kommun.xlsx")
    book = excel.Book(live / "kommun.xlsx")
    excel.run(book, "kontrollera")
    assert book.cells("Kontroll") == _file_rows(batch / "kommun.xlsx", "Kontroll")
    assert any("Kopia av kommun.xlsx" in str(v) for r in book.cells("Kontroll") for v in r)
    cb, _ = _committee_button(excel, own)  # the copy made the run incomplete: n2's B1 error was lost
    assert cb.cells("Kontroll") == _file_rows(batch / "n2.xlsx", "Kontroll")


def test_the_committee_button_never_counts_an_unlisted_committee(excel, copy) -> None:
    # a renamed copy of another committee's workbook: counted by the committee button (V5's
    # internal incomes 12 000 000 against the batch's 6 250 000)
    batch, own = copy("batch"), copy("own")
    for d in (batch, own):
        from openpyxl import load_workbook

        wb = load_workbook(d / "n3.xlsx")
        for row in wb["Inställningar"].iter_rows():
            for c in row:
                if c.value == "Tekniska nämnden":
                    c.value = "Gamla nämnden"
        for sh in ("Uppgifter", "Driftsbudget", "Utfall"):
            for row in wb[sh].iter_rows(min_row=4):
                if isinstance(row[0].value, str):
                    row[0].value = "X " + row[0].value
        wb.save(d / "gammal.xlsx")
    refresh([batch], batch / "kommun.xlsx")
    cb, _ = _committee_button(excel, own)
    assert cb.cells("Kontroll") == _file_rows(batch / "n2.xlsx", "Kontroll")


def test_uppdatera_allt_writes_the_kontroll_of_set_apart_workbooks(excel, copy) -> None:
    batch, live = copy("batch"), copy("live")
    for d in (batch, live):
        shutil.copy(d / "n3.xlsx", d / "n3 - Kopia.xlsx")
    refresh([batch], batch / "kommun.xlsx")
    excel.run(excel.Book(live / "kommun.xlsx"), "uppdatera_allt")
    for name in ("n3.xlsx", "n3 - Kopia.xlsx"):
        rows = _file_rows(live / name, "Kontroll")
        assert any("flera arbetsböcker" in str(v) for r in rows for v in r), name
        assert rows == _file_rows(batch / name, "Kontroll"), name


def test_the_municipality_kontroll_names_a_refused_committee_workbook(excel, copy) -> None:
    # the button's Kontroll listed it, the batch's did not (only its report)
    batch, live = copy("batch"), copy("live")
    for d in (batch, live):
        (d / "n5.xlsx").write_bytes(b"PK\x03\x04garbage")
    refresh([batch], batch / "kommun.xlsx")
    rows = _file_rows(batch / "kommun.xlsx", "Kontroll")
    assert any(r and r[0] == "IN" and r[2] == "n5.xlsx" for r in rows)
    book = excel.Book(live / "kommun.xlsx")
    excel.run(book, "berakna")
    assert book.cells("Kontroll") == rows


def test_held_back_checks_are_named_in_every_committee_kontroll(copy) -> None:
    # an incomplete run holds back the checks of the consolidated figures (B1, U1, V5 …); the
    # info that says so reached only the municipality's Kontroll, so a committee's lost its B1
    # error without a word
    d = copy("batch")
    shutil.copy(d / "n4.xlsx", d / "n4 - Kopia.xlsx")
    refresh([d], d / "kommun.xlsx")
    for name in ("kommun.xlsx", "n2.xlsx"):
        rows = _file_rows(d / name, "Kontroll")
        assert any("visas inte eftersom underlaget är ofullständigt" in str(v)
                   for r in rows for v in r), name


def test_a_currency_formatted_amount_is_read_live_as_in_the_file(excel, copy) -> None:
    # Windows: Range.Value hands a cell formatted as currency as a COM Currency, a Decimal of
    # four decimals (xlwings issues #65, #640): −1 000.004951 came as −1 000.0050 and was
    # rounded again to −1 000.01; Excel shows −1 000,00 € and the batch reads −1 000.00
    from openpyxl import load_workbook

    d = copy("live")
    wb = load_workbook(d / "n2.xlsx")
    cell = wb["Driftsbudget"]["F5"]
    cell.value, cell.number_format = -1000.004951, '#,##0.00 "€"'
    wb.save(d / "n2.xlsx")
    live = read_namnd(excel.source(excel.Book(d / "n2.xlsx")))
    batch = read_namnd(d / "n2.xlsx")
    assert live.uppgifter == batch.uppgifter
    assert any(v == Decimal("-1000.00") for u in live.uppgifter for vals in u.belopp.values()
               for v in vals)



def test_a_text_that_looks_like_a_number_is_written_as_text(excel, copy) -> None:
    # Excel takes a string given to Range.Value as if typed (xlwings #1269): a result unit or
    # an investment project named by its number ("4010", "2301") became the number 4010 in
    # the button's sheets, where the batch writes the text
    def number_names(wb) -> None:  # noqa: ANN001
        for row in wb["Resultatenheter"].iter_rows(min_row=4):
            if row[0].value == "Hemvård":
                row[0].value = "4010"

    def project_number(wb) -> None:  # noqa: ANN001
        for row in wb["Investeringar"].iter_rows(min_row=4):
            if row[0].value == "Gatubelysning LED":
                row[0].value = "2301"
        for row in wb["Resultatbalansering in"].iter_rows(min_row=4):  # the unit renamed in
            if row[1].value == "Hemvård":  # its adjustment too (else it attaches to nothing:
                row[1].value = "4010"      # an R2 error that marks the run, since 2026-12)
    batch, live, own = copy("batch"), copy("live"), copy("own")
    for d in (batch, live, own):
        _edit(d / "n2.xlsx", number_names)
        _edit(d / "kommun.xlsx", project_number)
    refresh([batch], batch / "kommun.xlsx")
    book = excel.Book(live / "kommun.xlsx")
    excel.run(book, "uppdatera_allt")
    for sheet in S.KOMMUN_OUTPUTS:
        assert book.cells(sheet) == _file_rows(batch / "kommun.xlsx", sheet), sheet
    assert "2301" in {r[0] for r in book.cells("Investeringsdel") if r}
    assert not str(book.cells("Investeringsdel")[0][0]).startswith("Ofullständig")
    cb, _ = _committee_button(excel, own)
    assert cb.cells("Resultat") == _file_rows(batch / "n2.xlsx", "Resultat")
    assert "4010" in {r[0] for r in cb.cells("Resultat") if r}


def test_an_owned_sheet_keeps_what_its_protection_allowed(excel, copy) -> None:
    # the grey sheets are protected but let the user widen columns, format, sort and filter
    # (the template); Excel's Protect() without arguments locks all of that again, so after the
    # first button press a user could no longer widen a column of Resultaträkning
    d = copy("a")
    book = excel.Book(d / "kommun.xlsx")
    before = {s: _allowed(book.wb[s]) for s in ("Resultaträkning", "Kontroll")}
    assert before["Kontroll"] >= {"formatColumns", "formatCells", "sort", "autoFilter"}
    excel.run(book, "berakna")
    for sheet, allowed in before.items():
        assert book.wb[sheet].protection.sheet, sheet
        assert _allowed(book.wb[sheet]) == allowed, sheet


def _allowed(ws: Any) -> set[str]:
    p = ws.protection
    return {flag for flag in ("formatCells", "formatColumns", "formatRows", "insertColumns",
                              "insertRows", "insertHyperlinks", "deleteColumns", "deleteRows",
                              "sort", "autoFilter", "pivotTables") if not getattr(p, flag)}


# --- what the buttons cannot write (found through the real xlwings, 2026-12) -------------------
# A grey sheet the button could not write (renamed, deleted, password protected, merged cells
# reaching into the output area) kept its old figures while the others were written, and the
# finding saying so reached the message box but never Kontroll (built before the write).
# Now those sheets are found before anything is written; no figure is written then (the batch
# refuses the whole file for a missing sheet), and Kontroll, written last, says why.

# Skatteinkomster Budget 2026 (Centrala poster E4) 59 900 000 → 60 900 000: the årsbidrag of
# the example's budget year, 5 272 150, becomes 6 272 150 when the figures are written.
OLD_ARSBIDRAG, NEW_ARSBIDRAG = 5_272_150.0, 6_272_150.0


def _arsbidrag(rows: list[list[object]]) -> object:
    return next(r for r in rows if r and str(r[0]).strip() == "Årsbidrag")[3]


def _counts(rows: list[list[object]]) -> str:
    return str(rows[0][0])


def _tax_typed(book: Any) -> None:
    ws = book.wb["Centrala poster"]
    assert ws["B4"].value == "Skatteinkomster" and ws["E4"].value == 59_900_000
    ws["E4"] = 60_900_000  # the user types a new tax estimate (unsaved)


def _pressed_once(excel, d: Path) -> Any:  # noqa: ANN001
    book = excel.Book(d / "kommun.xlsx")
    excel.run(book, "berakna")  # the figures of the example as they stand
    assert _arsbidrag(book.cells("Finansieringsdel")) == OLD_ARSBIDRAG
    return book


def _rename(book: Any) -> None:
    book.wb["Resultaträkning"].title = "Resultaträkning (gammal)"


def _password(book: Any) -> None:
    p = book.wb["Resultaträkning"].protection
    p.sheet, p.password = True, "hemligt"


@pytest.mark.parametrize("spoil", [_rename, _password], ids=["renamed", "password"])
def test_a_sheet_the_button_cannot_write_stops_every_figure_and_is_on_kontroll(
        excel, copy, spoil) -> None:
    d = copy("a")
    book = _pressed_once(excel, d)
    spoil(book)
    _tax_typed(book)
    result = excel.run(book, "berakna")
    kontroll = book.cells("Kontroll")
    # no figure written: Finansieringsdel keeps 5 272 150 (not a mix of 6 272 150 here and the
    # old figure on Resultaträkning)
    assert _arsbidrag(book.cells("Finansieringsdel")) == OLD_ARSBIDRAG
    assert "Kontroll" in result.sheets and "Finansieringsdel" in result.unwritten
    assert kontroll[2][0] == "IN" and kontroll[2][-1].startswith("Inga resultat skrevs")
    assert any("Utdatabladet 'Resultaträkning'" in str(r[-1]) and r[3:4] == ["Resultaträkning"]
               for r in kontroll)
    box = book.app.alerts[-1]["prompt"]
    assert box.splitlines()[0].removeprefix("Beräkna klart: ").startswith(
        _counts(kontroll)), (box, kontroll[0])  # the box counts what Kontroll lists
    assert "Finansieringsdel" in box
    # once the sheet is put right, the same press writes every figure
    if spoil is _rename:
        book.wb["Resultaträkning (gammal)"].title = "Resultaträkning"
    else:
        book.wb["Resultaträkning"].protection.set_password(None, already_hashed=True)
    excel.run(book, "berakna")
    assert _arsbidrag(book.cells("Finansieringsdel")) == NEW_ARSBIDRAG
    assert _arsbidrag(book.cells("Resultaträkning")) == NEW_ARSBIDRAG


def test_a_renamed_kontroll_is_said_in_the_message_box_with_the_findings(excel, copy) -> None:
    d = copy("a")
    book = _pressed_once(excel, d)
    book.wb["Kontroll"].title = "Kontroll (gammal)"
    old = book.cells("Kontroll (gammal)")
    _tax_typed(book)
    result = excel.run(book, "berakna")
    box = book.app.alerts[-1]["prompt"]
    assert not result.shown and "Se fliken Kontroll" not in box
    assert "Fliken Kontroll kunde inte skrivas" in box and "Utdatabladet 'Kontroll'" in box
    assert "B1" in box or "… och" in box  # the run's findings, listed in the box
    assert book.cells("Kontroll (gammal)") == old
    assert _arsbidrag(book.cells("Finansieringsdel")) == OLD_ARSBIDRAG


def test_merged_cells_on_an_output_sheet_stop_the_write_before_it_starts(excel, copy) -> None:
    # A2:C3 merged on Nyckeltal: Excel refuses to clear A3:XFD1048576 there. Before, the
    # sheets before it were written (Resultaträkning 6 272 150), Nyckeltal and the rest kept
    # the old figures, and Kontroll became one finding saying "Inga andra resultat skrevs"
    d = copy("a")
    book = _pressed_once(excel, d)
    ws = book.wb["Nyckeltal"]
    ws.protection.sheet = False  # the user lifts the protection and merges
    ws.merge_cells("A2:C3")
    _tax_typed(book)
    result = excel.run(book, "berakna")
    kontroll = book.cells("Kontroll")
    assert _arsbidrag(book.cells("Resultaträkning")) == OLD_ARSBIDRAG  # nothing half-written
    assert any(r[3:5] == ["Nyckeltal", "A2:C3"] and "sammanfogade" in str(r[-1])
               for r in kontroll)
    assert any(r[0] == "B1" for r in kontroll)  # the run's other findings stay visible
    assert "Nyckeltal" in book.app.alerts[-1]["prompt"] and "Nyckeltal" in result.unwritten


def test_a_sheet_failing_mid_write_is_named_with_the_sheets_written(excel, copy,
                                                                      monkeypatch) -> None:
    # a refusal no check can foresee (here: Excel refuses to clear Nyckeltal): the sheets
    # before it carry the new figures, and Kontroll, written last, says which are which
    from tests import xlwings_double, xlwings_excel

    def refuse(clear: Any) -> Any:
        def call(self: Any) -> None:
            ws = getattr(self, "_ws", None) or self.Worksheet._ws
            if ws.title == "Nyckeltal":
                raise RuntimeError("Excel vägrar")
            clear(self)
        return call
    monkeypatch.setattr(xlwings_double.Range, "clear_contents",
                        refuse(xlwings_double.Range.clear_contents))
    monkeypatch.setattr(xlwings_excel.ComRange, "ClearContents",
                        refuse(xlwings_excel.ComRange.ClearContents))
    d = copy("a")
    book = excel.Book(d / "kommun.xlsx")
    _tax_typed(book)
    result = excel.run(book, "berakna")
    kontroll = book.cells("Kontroll")
    assert _arsbidrag(book.cells("Resultaträkning")) == NEW_ARSBIDRAG
    assert book.cells("Nyckeltal") == []  # (the example's Nyckeltal was never written)
    part = next(str(r[-1]) for r in kontroll if str(r[-1]).startswith("Bara en del"))
    assert "Skrevs: Resultaträkning, Finansieringsdel, Investeringsdel, Affärsverk" in part
    assert part.endswith("skrevs inte (kan visa en tidigare körnings siffror): Nyckeltal.")
    assert any(r[0] == "B1" for r in kontroll)
    assert "Inga andra resultat skrevs" not in str(kontroll)
    assert result.unwritten == ("Nyckeltal",)
    assert "Nyckeltal" in book.app.alerts[-1]["prompt"]


def test_uppdatera_allt_counts_a_workbook_written_with_input_errors_as_updated(excel,
                                                                                copy) -> None:
    # its Kontroll and its "Ofullständig – inget resultat" Resultat were written (status
    # input-errors); the box said "Inte uppdaterade" about it
    d = copy("live")
    _edit(d / "n2.xlsx", lambda wb: wb["Driftsbudget"].__setitem__("F5", "-12 179 13O"))
    result = excel.run(excel.Book(d / "kommun.xlsx"), "uppdatera_allt")
    assert {f.path.name: f.status for f in result.files}["n2.xlsx"] == "input-errors"
    box = result.summary
    assert "Nämndarbetsböcker uppdaterade: 6 av 6." in box
    assert "Inte uppdaterade" not in box and "Med fel i indata" in box and "n2.xlsx" in box


# --- a committee computed alone (no Kommunarbetsbok, a missing one, or a copy) -----------------
# Its Resultat showed "budget efter ändringar" without the council's changes (Äldreomsorg's
# anslag −21 770 400 where the batch shows −21 770 400 − 400 000 = −22 170 400) under the usual
# headings, unmarked, and its Kontroll listed checks of a municipality that was not read (V5
# "Sammandraget balanserar inte", V7, V8, R8 at sheets a committee workbook does not have).


def _row(rows: list[list[object]], label: str) -> list[object]:
    return next(r for r in rows if r and r[0] == label)


@pytest.mark.parametrize("setting", [None, "finns_inte.xlsx"], ids=["unset", "missing"])
def test_a_committee_computed_alone_is_marked_and_runs_only_its_own_checks(excel, copy,
                                                                           setting) -> None:
    batch, d = copy("batch"), copy("alone")
    refresh([batch], batch / "kommun.xlsx")
    book = excel.Book(d / "n2.xlsx")  # Socialnämnden
    if setting:
        _set_setting(book, "Kommunarbetsbok", setting)
    excel.run(book, "berakna")
    rows, kontroll = book.cells("Resultat"), book.cells("Kontroll")
    assert rows[0][0].startswith("Ofullständig – nämnden beräknades ensam, utan kommunens "
                                 "arbetsbok")
    assert ("är inte angiven" if setting is None else "finns_inte.xlsx finns inte") in rows[0][0]
    # the figures under the mark are the committee's alone: without the council's −400 000
    assert _row(rows, "Äldreomsorg – anslag")[1] == -21_770_400.0
    assert _row(_file_rows(batch / "n2.xlsx", "Resultat"), "Äldreomsorg – anslag")[1] == \
        -22_170_400.0
    assert not [r for r in kontroll[2:] if r[0] in ("V5", "V7", "V8", "R8", "U1", "B1")]
    assert any("kontroller av de sammanställda siffrorna" in str(r[-1]) for r in kontroll)


def test_a_copy_computed_alone_is_set_apart_as_the_batch_does(excel, copy) -> None:
    batch, d = copy("batch"), copy("alone")
    for x in (batch, d):
        shutil.copy(x / "n2.xlsx", x / "n2 - Kopia.xlsx")
    refresh([batch], batch / "kommun.xlsx")
    book = excel.Book(d / "n2 - Kopia.xlsx")  # no Kommunarbetsbok
    excel.run(book, "berakna")
    assert book.cells("Resultat") == _file_rows(batch / "n2 - Kopia.xlsx", "Resultat")
    assert book.cells("Resultat")[0][0].startswith("Ofullständig – inget resultat")
    kontroll = book.cells("Kontroll")
    assert any("flera arbetsböcker" in str(r[-1]) for r in kontroll)
    assert not [r for r in kontroll[2:] if r[0] in ("V5", "V7", "V8", "R8", "V10")]
