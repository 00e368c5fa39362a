"""The templates as the user guide describes them (issue 18): committees can be typed in an empty
municipality template, ``new kommun --namnd`` fills the list, the grey output sheets are protected
(no password) and the writer and the Excel adapter still update them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from workbook_templates import schema as S
from workbook_templates.cli.main import main
from workbook_templates.files.reader import open_workbook
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline.refresh import refresh


def _validations(ws) -> list:  # noqa: ANN001
    return list(ws.data_validations.dataValidation)


def _covers(dv, col: str, row: int) -> bool:  # noqa: ANN001
    return any(r.min_col <= openpyxl.utils.column_index_from_string(col) <= r.max_col
               and r.min_row <= row <= r.max_row for r in dv.sqref.ranges)


def test_committees_can_be_typed_in_the_empty_municipality_template(tmp_path: Path) -> None:
    path = new_kommun(tmp_path / "kommun.xlsx")
    wb = openpyxl.load_workbook(path)
    listor = wb[S.SHEET_LISTOR]
    assert "(fyll i nämnderna)" not in [c.value for c in listor["A"]]
    inv = wb[S.T.INVESTERINGAR.sheet]
    col = openpyxl.utils.get_column_letter(S.T.INVESTERINGAR.headers.index("Nämnd") + 1)
    # nothing to choose from yet: no list that would refuse a typed committee
    assert not [dv for dv in _validations(inv) if _covers(dv, col, 4)]
    rb = wb[S.T.NAMNDER.sheet]
    assert not [dv for dv in _validations(rb) if _covers(dv, "A", 4)]


def test_new_kommun_namnd_fills_the_list(tmp_path: Path, capsys) -> None:
    path = tmp_path / "kommun.xlsx"
    assert main(["new", "kommun", str(path), "--namnd", "Socialnämnden",
                 "--namnd", "Tekniska nämnden"]) == 0
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb[S.SHEET_LISTOR]["A"]][1:3] == ["Socialnämnden",
                                                                "Tekniska nämnden"]
    rb = wb[S.T.NAMNDER.sheet]
    assert [rb["A4"].value, rb["A5"].value] == ["Socialnämnden", "Tekniska nämnden"]
    inv = wb[S.T.INVESTERINGAR.sheet]
    col = openpyxl.utils.get_column_letter(S.T.INVESTERINGAR.headers.index("Nämnd") + 1)
    dvs = [dv for dv in _validations(inv) if _covers(dv, col, 4)]
    # offered as a list, but a committee added later can still be typed (Excel warns only)
    assert len(dvs) == 1 and dvs[0].errorStyle == "warning"
    assert main(["new", "namnd", str(tmp_path / "n.xlsx"), "--namnd", "A", "--namnd", "B"]) == 2


def _protection(path: Path, sheet: str) -> str | None:
    with open_workbook(path) as r:
        part = r.structure.sheet(sheet).part
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(part).decode("utf-8")
    start = xml.find("<sheetProtection")
    return None if start < 0 else xml[start:xml.index(">", start) + 1]


@pytest.mark.parametrize("kind", ["kommun", "namnd"])
def test_output_sheets_are_protected_without_a_password(kind: str, tmp_path: Path) -> None:
    ex = exempelkommun()
    path = new_kommun(tmp_path / "k.xlsx", ex) if kind == "kommun" else \
        new_namnd(tmp_path / "n.xlsx", "Socialnämnden", ex)
    outputs = S.KOMMUN_OUTPUTS if kind == "kommun" else S.NAMND_OUTPUTS
    wb = openpyxl.load_workbook(path)
    for name in wb.sheetnames:
        prot = wb[name].protection
        assert bool(prot.sheet) == (name in outputs), name
        if name in outputs:
            assert not prot.password


def test_the_writer_updates_protected_sheets_and_keeps_them_protected(tmp_path: Path) -> None:
    ex = exempelkommun()
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    new_namnd(tmp_path / "social.xlsx", "Socialnämnden", ex)
    before = _protection(kommun, "Resultaträkning")
    assert before is not None and 'sheet="1"' in before and "password" not in before.lower()
    report = refresh([tmp_path], kommun)
    assert {f.status for f in report.files} == {"written"}
    assert _protection(kommun, "Resultaträkning") == before
    with open_workbook(kommun) as r:
        assert r.cell("Resultaträkning", 3, 1).value  # written from A3


def test_the_excel_adapter_lifts_and_restores_protection(tmp_path: Path) -> None:
    from addin.excel_adapter import ExcelSink
    from tests.xlwings_double import Book

    kommun = new_kommun(tmp_path / "kommun.xlsx", exempelkommun())
    book = Book(kommun)
    assert ExcelSink(book).write({"Kontroll": [["0 fel"]]}) == []
    sheet = book.sheets["Kontroll"]
    assert sheet.range("A3").value == [["0 fel"]] and sheet.api.ProtectContents


def test_a_password_protected_sheet_is_a_finding_not_a_crash(tmp_path: Path,
                                                             monkeypatch) -> None:
    from addin.excel_adapter import ExcelSink
    from tests import xlwings_double

    kommun = new_kommun(tmp_path / "kommun.xlsx", exempelkommun())
    book = xlwings_double.Book(kommun)

    def refuse(self, Password=None):  # noqa: ANN001, ANN202, N803
        raise RuntimeError("The password you supplied is not correct.")

    monkeypatch.setattr(xlwings_double._SheetApi, "Unprotect", refuse)
    findings = ExcelSink(book).write({"Kontroll": [["0 fel"]]})
    assert len(findings) == 1 and "lösenord" in findings[0].message
    assert findings[0].location.sheet == "Kontroll"
