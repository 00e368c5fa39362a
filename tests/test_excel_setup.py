"""``kommunbudget excel-setup`` (issue 6): everything that runs without Excel.

The setup is a plan of steps (data) run by a small executor that talks to Excel through xlwings'
``.api``. Tested here: argument handling, the plan for each workbook type, the VBA text copies,
the refusal without Excel (Linux: a clear message, exit 2, no traceback), the Mac instructions,
and the executor against a recording fake of the few COM calls it makes (including "Trust access
to the VBA project object model" switched off). The Excel run itself is verified only in Excel.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from addin import excel_setup as ES
from workbook_templates import schema as S
from workbook_templates.cli.main import main
from workbook_templates.generate.templates import new_kommun, new_namnd


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tpl")
    return new_kommun(d / "kommun.xlsx"), new_namnd(d / "social.xlsx", "Socialnämnden")


def test_workbook_role(templates, tmp_path) -> None:
    kommun, namnd = templates
    assert ES.workbook_role(kommun) == "kommun"
    assert ES.workbook_role(namnd) == "nämnd"
    other = tmp_path / "annan.xlsx"
    Workbook().save(other)
    with pytest.raises(ES.SetupError, match="ingen kommunbudget-arbetsbok"):
        ES.workbook_role(other)
    (tmp_path / "trasig.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ES.SetupError, match="trasig.xlsx"):
        ES.workbook_role(tmp_path / "trasig.xlsx")


def test_a_workbook_the_safety_gate_refuses_is_not_opened(tmp_path, monkeypatch) -> None:
    """excel-setup opens the workbook with the reader to tell its role only after the safety
    gate passed it (it read it ungated before 2026-12); a refused one is a SetupError with the
    gate's reason."""
    import hostile_files as hf

    from workbook_templates.files import reader

    path = new_namnd(tmp_path / "social.xlsx", "Socialnämnden")
    hf.with_dtd(path)  # an entity attack: the gate refuses it
    opened: list[Path] = []
    real = reader.WorkbookReader.__init__

    def opening(self, p, *args, **kwargs):
        opened.append(Path(p))
        return real(self, p, *args, **kwargs)

    monkeypatch.setattr(reader.WorkbookReader, "__init__", opening)
    with pytest.raises(ES.SetupError, match="social.xlsx: .*dokumenttypdeklaration"):
        ES.workbook_role(path)
    assert opened == []


def _actions(steps: list[ES.Step]) -> list[str]:
    return [s.action for s in steps]


def test_plan_for_the_municipality_workbook(templates, tmp_path) -> None:
    kommun, _ = templates
    out = tmp_path / "kommun.xlsm"
    steps = ES.plan(kommun, out, role="kommun", interpreter="C:/Python311/python.exe",
                    platform="win32")
    assert _actions(steps)[:3] == ["copy", "open", "check_vba_access"]
    assert _actions(steps)[-2:] == ["save_as", "close"]
    imports = [s.args[0].name for s in steps if s.action == "import_vba"]
    assert imports == ["xlwings.bas", "Dictionary.cls", "Knappar.bas"]
    assert all(s.args[0].is_file() for s in steps if s.action == "import_vba")
    buttons = [s.args for s in steps if s.action == "add_button"]
    assert buttons == [("Kontrollera", "Knappar.Kontrollera", 0), ("Beräkna", "Knappar.Berakna", 1),
                       ("Resultatbalansera", "Knappar.Resultatbalansera", 2),
                       ("Uppdatera allt", "Knappar.UppdateraAllt", 3)]
    config = dict(next(s.args for s in steps if s.action == "set_config"))
    assert config["Interpreter_Win"] == "C:/Python311/python.exe"
    assert Path(config["PYTHONPATH"]) == Path(ES.__file__).resolve().parents[1]
    assert config["UDF Modules"].split(";")[0] == "addin.udfs"
    assert "import_udfs" in _actions(steps)
    # the order matters: modules before buttons (OnAction names a Sub), save last
    acts = _actions(steps)
    assert acts.index("add_button") > max(i for i, a in enumerate(acts) if a == "import_vba")
    assert next(s.args[0] for s in steps if s.action == "save_as") == out


def test_plan_for_a_committee_workbook_has_three_buttons(templates, tmp_path) -> None:
    _, namnd = templates
    steps = ES.plan(namnd, tmp_path / "n.xlsm", role="nämnd", platform="win32")
    assert [s.args[0] for s in steps if s.action == "add_button"] == \
        ["Kontrollera", "Beräkna", "Resultatbalansera"]


def test_plan_with_reference_and_on_mac(templates, tmp_path) -> None:
    kommun, _ = templates
    steps = ES.plan(kommun, tmp_path / "k.xlsm", role="kommun", reference=True, platform="darwin")
    assert [s.args[0].name for s in steps if s.action == "import_vba"] == ["Knappar.bas"]
    assert "add_reference" in _actions(steps)
    assert "import_udfs" not in _actions(steps)  # xlwings UDFs are Windows-only
    assert "Interpreter_Mac" in dict(next(s.args for s in steps if s.action == "set_config"))


def test_udf_modules_cover_every_kb_function() -> None:
    import importlib

    names = set()
    for mod in ES.udf_modules().split(";"):
        names |= {n for n in dir(importlib.import_module(mod)) if n.startswith("KB_")}
    assert {"KB_ARSBIDRAG", "KB_BINDNING_STATUS", "KB_RESULTATBALANSERING"} <= names


def test_vba_import_copy_makes_crlf_ascii(tmp_path) -> None:
    src = tmp_path / "src" / "M.bas"
    src.parent.mkdir()
    src.write_text('Attribute VB_Name = "M"\nSub A()\nEnd Sub\n', encoding="utf-8")
    dst = ES.vba_import_copy(src, tmp_path)
    assert dst.read_bytes() == b'Attribute VB_Name = "M"\r\nSub A()\r\nEnd Sub\r\n'
    src.write_text('Attribute VB_Name = "M"\n\' Beräkna\n', encoding="utf-8")
    with pytest.raises(ES.SetupError, match="rad 2"):
        ES.vba_import_copy(src, tmp_path)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the no-Excel path")
def test_without_excel_it_explains_and_exits_2(templates, tmp_path, capsys) -> None:
    kommun, _ = templates
    code = main(["excel-setup", str(kommun), "--out", str(tmp_path / "k.xlsm")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Windows" in err and "docs/ANVANDARGUIDE.md" in err and "Traceback" not in err
    assert not (tmp_path / "k.xlsm").exists()


def _args(path: Path, **kw: object):  # noqa: ANN202
    import argparse

    base = {"path": str(path), "out": None, "force": False, "reference": False, "python": None,
            "dry_run": False}
    return argparse.Namespace(**{**base, **kw})


def test_refusals_exit_2(templates, tmp_path, capsys) -> None:
    kommun, _ = templates
    assert ES._run(_args(tmp_path / "saknas.xlsx")) == 2
    assert ES._run(_args(kommun, out=str(tmp_path / "k.xlsx"))) == 2
    (tmp_path / "finns.xlsm").write_bytes(b"")
    assert ES._run(_args(kommun, out=str(tmp_path / "finns.xlsm"))) == 2
    err = capsys.readouterr().err
    assert "finns inte" in err and ".xlsm" in err and "--force" in err


def test_mac_prints_the_manual_steps(templates, tmp_path, capsys) -> None:
    kommun, _ = templates
    assert ES._run(_args(kommun, out=str(tmp_path / "k.xlsm")), platform="darwin") == 2
    err = capsys.readouterr().err
    assert "Knappar.bas" in err and "xlwings runpython install" in err


def test_windows_without_excel_exits_2(templates, tmp_path, capsys) -> None:
    kommun, _ = templates
    code = ES._run(_args(kommun, out=str(tmp_path / "k.xlsm")), platform="win32",
                   excel_available=lambda: False)
    assert code == 2 and "Excel" in capsys.readouterr().err


def test_dry_run_prints_the_plan(templates, tmp_path, capsys) -> None:
    kommun, _ = templates
    assert main(["excel-setup", str(kommun), "--out", str(tmp_path / "k.xlsm"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Knapp Kontrollera → makrot Kontrollera" in out and "save_as" in out


# ---------------------------------------------------------------------------------------------
# The executor against a recording fake of the COM calls it makes.


class _Obj:
    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)


class _Components(list):
    trusted = True

    @property
    def Count(self) -> int:  # noqa: N802 - COM name
        if not self.trusted:
            raise RuntimeError("Programmatic access to Visual Basic Project is not trusted")
        return len(self)

    def Import(self, path: str) -> None:  # noqa: N802
        lines = Path(path).read_bytes().decode("ascii").split("\r\n")
        name = next(x for x in lines if x.startswith("Attribute VB_Name")).split('"')[1]
        self.append(_Obj(Name=name, source=path))

    def Remove(self, comp: object) -> None:  # noqa: N802
        self.remove(comp)


class _Shapes(list):
    def AddFormControl(self, kind: int, left: float, top: float, w: float, h: float):  # noqa: N802
        shape = _Obj(kind=kind, left=left, top=top, Name="", OnAction="",
                     TextFrame=_Obj(Characters=lambda: chars))
        chars = _Obj(Text="")
        shape.chars = chars
        shape.Delete = lambda: self.remove(shape)
        self.append(shape)
        return shape


class _Range:
    def __init__(self, sheet: _Sheet, ref: str) -> None:
        self.sheet, self.ref = sheet, ref
        self.left, self.top = 0.0, 20.0 * int("".join(ch for ch in ref if ch.isdigit()) or 1)
        self.api = _Obj(Font=_Obj(Bold=False))
        self.column_width = 8

    @property
    def value(self) -> object:
        return [[self.sheet.cells.get(f"A{r}"), self.sheet.cells.get(f"B{r}")]
                for r in range(1, 51)]

    @value.setter
    def value(self, v: object) -> None:
        if isinstance(v, list):
            row = int(self.ref[1:])
            self.sheet.cells[f"A{row}"], self.sheet.cells[f"B{row}"] = v[0]
        else:
            self.sheet.cells[self.ref] = v


class _Sheet:
    def __init__(self, name: str) -> None:
        self.name, self.cells, self.api = name, {}, _Obj(Shapes=_Shapes())

    def range(self, ref: str) -> _Range:
        return _Range(self, ref)


class _Sheets(list):
    def __getitem__(self, key):  # noqa: ANN001, ANN204
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)

    def add(self, name: str, before: object = None) -> _Sheet:
        s = _Sheet(name)
        self.insert(0, s)
        return s


class _FakeXw:
    def __init__(self, trusted: bool = True) -> None:
        self.trusted, self.events = trusted, []

    def App(self, visible: bool, add_book: bool):  # noqa: N802
        fake = self
        conf = _Sheet(S.SHEET_XLWINGS)
        conf.cells.update({"A1": "UDF Modules", "B1": "addin.udfs", "A2": "Show Console",
                           "B2": False})
        comps = _Components()
        comps.trusted = self.trusted
        book = _Obj(api=_Obj(VBProject=_Obj(VBComponents=comps)),
                    sheets=_Sheets([_Sheet(S.SHEET_INSTRUKTIONER), conf]))
        book.save = lambda p: (Path(p).write_bytes(b"xlsm"), fake.events.append("save"))
        book.close = lambda: fake.events.append("close")
        self.book = book
        return _Obj(display_alerts=True, startup_path="/nowhere",
                    books=_Obj(open=lambda p: (fake.events.append(f"open {Path(p).name}"),
                                               book)[1]),
                    quit=lambda: fake.events.append("quit"))


def test_executor_runs_the_plan(templates, tmp_path) -> None:
    kommun, _ = templates
    out = tmp_path / "kommun.xlsm"
    steps = ES.plan(kommun, out, role="kommun", platform="win32")
    fake = _FakeXw()
    warnings = ES.execute(steps, fake, say=lambda _m: None)
    assert out.read_bytes() == b"xlsm"
    assert fake.events[-2:] == ["close", "quit"]
    assert fake.events[0].startswith("open ~kbsetup-")
    assert not list(tmp_path.glob("~kbsetup-*"))  # the working copy is gone
    comps = fake.book.api.VBProject.VBComponents
    assert [c.Name for c in comps] == ["xlwings", "Dictionary", "Knappar"]
    oversikt = fake.book.sheets[0]
    assert oversikt.name == "Start"
    shapes = oversikt.api.Shapes
    assert [(s.OnAction, s.chars.Text) for s in shapes] == [
        ("Knappar.Kontrollera", "Kontrollera"), ("Knappar.Berakna", "Beräkna"),
        ("Knappar.Resultatbalansera", "Resultatbalansera"),
        ("Knappar.UppdateraAllt", "Uppdatera allt")]
    conf = fake.book.sheets[S.SHEET_XLWINGS].cells
    assert conf["A3"] == "Interpreter_Win" and conf["A4"] == "PYTHONPATH"
    assert conf["B1"].startswith("addin.udfs")  # updated in place, not duplicated
    assert all("Import Functions" in w for w in warnings)  # no COM here: UDF import warns


def test_executor_rerun_replaces_instead_of_duplicating(templates, tmp_path) -> None:
    kommun, _ = templates
    steps = ES.plan(kommun, tmp_path / "k.xlsm", role="kommun", platform="linux")
    fake = _FakeXw()
    ES.execute(steps, fake, say=lambda _m: None)
    book = fake.book
    fake.App = lambda **_kw: _Obj(display_alerts=True, books=_Obj(open=lambda p: book),
                                  quit=lambda: None)
    ES.execute(steps, fake, say=lambda _m: None)
    assert [c.Name for c in book.api.VBProject.VBComponents] == ["xlwings", "Dictionary",
                                                                 "Knappar"]
    assert len(book.sheets[0].api.Shapes) == 4


def test_untrusted_vba_project_stops_with_instructions(templates, tmp_path, capsys) -> None:
    kommun, _ = templates
    steps = ES.plan(kommun, tmp_path / "k.xlsm", role="kommun", platform="win32")
    fake = _FakeXw(trusted=False)
    with pytest.raises(ES.SetupError, match="Lita på åtkomst till VBA-projektets objektmodell"):
        ES.execute(steps, fake, say=lambda _m: None)
    assert fake.events[-2:] == ["close", "quit"]  # Excel is closed again
    assert not (tmp_path / "k.xlsm").exists()
