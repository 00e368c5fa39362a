"""``kommunbudget excel-kontroll`` on real files (issue 12).

The VBA project is xlwings' own: the ``vbaProject.bin`` of the ``quickstart_standalone.xlsm``
that ships inside the installed xlwings package (its standalone ``xlwings`` module, as
``excel-setup`` embeds it), put into a new .xlsm by XlsxWriter. A workbook whose VBA project also
holds the ``xlwings_udfs`` wrappers can only be made by Excel (*Import Functions*); that case is
checked in Excel (docs/ANVANDARGUIDE.md).
"""

from __future__ import annotations

import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
import xlsxwriter
import xlwings

from addin.excel_kontroll import check, read_vba
from workbook_templates.cli.main import main

INSTALLED = version("xlwings")


WIN_PYTHON = r"C:\kommunbudget\.venv\Scripts\python.exe"


def _xlsm(folder: Path, name: str, udf_modules: str = "addin.udfs") -> Path:
    quickstart = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    bin_path = folder / "vbaProject.bin"
    bin_path.write_bytes(zipfile.ZipFile(quickstart).read("xl/vbaProject.bin"))
    out = folder / name
    wb = xlsxwriter.Workbook(str(out))
    wb.add_worksheet("Budget").write("A1", "Budget 2026")
    conf = wb.add_worksheet("xlwings.conf")  # as excel-setup leaves it
    for i, (key, value) in enumerate([("UDF Modules", udf_modules),
                                      ("Interpreter_Win", WIN_PYTHON)]):
        conf.write_row(i, 0, [key, value])
    wb.add_vba_project(str(bin_path))
    wb.close()
    return out


@pytest.fixture(scope="module")
def xlsm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _xlsm(tmp_path_factory.mktemp("kontroll"), "Budget.xlsm")


def test_reports_the_workbooks_interpreter_and_udf_modules(xlsm: Path, tmp_path: Path) -> None:
    code, lines = check(xlsm)
    text = "\n".join(lines)
    assert f"Tolk i arbetsboken (xlwings.conf): {WIN_PYTHON}" in text
    assert "kontrollen körs med en annan Python" in text  # this test runs on Linux
    assert "UDF Modules" not in text
    code, lines = check(_xlsm(tmp_path, "Fel.xlsm", udf_modules="annat"))
    assert code == 2 and "saknar 'UDF Modules = addin.udfs'" in "\n".join(lines)


def test_reads_the_embedded_xlwings_version(xlsm: Path) -> None:
    facts = read_vba(xlsm)
    assert facts is not None
    assert facts.xlwings_version == INSTALLED
    assert "xlwings.bas" in facts.modules or "xlwings" in " ".join(facts.modules)
    assert facts.udf_wrappers == {}


def test_matching_version_but_functions_not_imported(xlsm: Path, capsys) -> None:
    code = main(["excel-kontroll", str(xlsm)])
    out = capsys.readouterr().out
    assert code == 2
    assert f"xlwings: {INSTALLED}" in out and "Python: " in out and "kommunbudget: " in out
    assert f"xlwings i arbetsboken: {INSTALLED} – stämmer." in out
    assert "KB_-funktioner saknar VBA-omslag" in out and "Import Functions" in out
    assert "KB_ARSBIDRAG" in out


def test_after_an_xlwings_upgrade_the_mismatch_is_named_with_what_to_do(xlsm: Path) -> None:
    code, lines = check(xlsm, xlwings_version="0.99.0")
    text = "\n".join(lines)
    assert code == 2
    assert f"{INSTALLED} – STÄMMER INTE med installerade 0.99.0" in text
    assert f"pip install xlwings=={INSTALLED}" in text and "excel-setup" in text


def test_a_workbook_without_macros(tmp_path: Path) -> None:
    path = tmp_path / "Budget.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet()
    wb.close()
    code, lines = check(path)
    assert code == 2 and any("inga makron" in line for line in lines)
    assert any("excel-setup" in line for line in lines)


def test_not_a_workbook_or_missing(tmp_path: Path) -> None:
    bad = tmp_path / "x.xlsm"
    bad.write_text("hej")
    assert check(bad)[0] == 2 and "inte en Excel-arbetsbok" in check(bad)[1][-1]
    assert "finns inte" in check(tmp_path / "saknas.xlsm")[1][-1]


def test_a_workbook_the_safety_gate_refuses_is_not_read(tmp_path: Path, monkeypatch) -> None:
    """A workbook with an entity attack (a DTD) is refused by the gate with its reason before
    the VBA project or the xlwings.conf sheet is read (both were read ungated before 2026-12)."""
    import hostile_files as hf

    from addin import excel_kontroll as EK

    path = tmp_path / "Budget.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet()
    wb.close()
    hf.with_dtd(path)  # an entity attack: the gate refuses it
    read: list[str] = []
    monkeypatch.setattr(EK, "read_vba", lambda p: read.append("vba"))
    monkeypatch.setattr(EK, "read_config", lambda p: read.append("config") or {})
    code, lines = check(path)
    assert code == 2 and read == []
    assert lines[-1].startswith("PROBLEM: ") and "dokumenttypdeklaration" in lines[-1]


def test_wrappers_as_import_functions_writes_them(monkeypatch, xlsm: Path) -> None:
    """The wrapper module text comes from xlwings' real ``generate_vba_wrapper`` (the only part
    of a fully set-up workbook we cannot put into a vbaProject.bin without Excel)."""
    import addin.excel_kontroll as kontroll
    from tests.xlwings_windows import windows_xlwings

    with windows_xlwings() as xl:
        vba = xl.vba_wrappers()
    assert kontroll.wrapper_signatures(vba) == kontroll._registered_functions()

    def facts(path: Path, code: str) -> kontroll.VbaFacts:
        return kontroll.VbaFacts(["xlwings.bas", "xlwings_udfs"], INSTALLED,
                                 kontroll.wrapper_signatures(code))

    monkeypatch.setattr(kontroll, "read_vba", lambda path: facts(path, vba))
    code, lines = check(xlsm)
    assert "KB_-funktionerna: alla importerade och aktuella (xlwings_udfs)." in lines
    assert code == 0 and lines[-1] == "Allt stämmer."
    # a workbook imported before the arguments were renamed (princip, slag)
    old = vba.replace("KB_BINDNING_STATUS(princip, slag,", "KB_BINDNING_STATUS(principle, kind,")
    monkeypatch.setattr(kontroll, "read_vba", lambda path: facts(path, old))
    code, lines = check(xlsm)
    assert code == 2 and any("andra argument än när de importerades: KB_BINDNING_STATUS" in line
                             for line in lines)


def test_an_xlwings_conf_sheet_spread_absurdly_far_is_refused_not_an_abort(tmp_path: Path) -> None:
    """read_config loaded the sheet with calamine directly: one stray value in XFD1048576 made
    it allocate 512 GB and abort the process. Run in a child process, so that such an abort
    fails this test, not the run."""
    import subprocess
    import sys

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "xlwings.conf"
    ws.append(["Interpreter_Win", r"C:\Python\python.exe"])
    ws["XFD1048576"] = "x"
    wb.save(tmp_path / "far.xlsx")
    code = ("import sys\nfrom pathlib import Path\nfrom addin.excel_kontroll import read_config\n"
            "from workbook_templates.files.reader import WorkbookReadError\n"
            "try:\n    read_config(Path(sys.argv[1]))\nexcept WorkbookReadError as e:\n"
            "    print(e.finding.location.cell)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "far.xlsx")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "XFD1048576"
