"""``kommunbudget excel-setup PATH [--out OUT.xlsm]``: put working buttons into a workbook.

openpyxl cannot write VBA, so the buttons are added by Excel itself, driven through xlwings on the
controller's Windows machine (the route and its alternatives: ``docs/DECISIONS-excel-setup.md``):

1. copy the generated template to a temporary file and open the copy in a hidden Excel;
2. check that Excel lets programs change the VBA project ("Trust access to the VBA project object
   model"); if not, stop and say exactly where to switch it on;
3. import the standalone xlwings VBA module (``xlwings.bas`` + ``Dictionary.cls`` from the installed
   xlwings package, so versions match) — or, with ``--reference``, add a VBA reference to the
   installed xlwings add-in — and our own ``macros/*.bas`` (``Knappar``);
4. write the interpreter, PYTHONPATH and UDF modules into the ``xlwings.conf`` sheet;
5. add a "Start" sheet (first) with one Form-control button per handler (``OnAction`` = the VBA Sub);
6. generate the UDF wrappers (``xlwings.udfs.import_udfs``), save as ``.xlsm``, close Excel.

The steps are data (:func:`plan`), so everything but the Excel calls is tested on Linux. Without
Excel (Linux, or Excel not installed) the command explains what to do and exits 2; on a Mac it
prints the manual steps (Excel for Mac does not expose the VBA project to other programs).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from workbook_templates import schema as S

__all__ = ["BUTTONS", "ButtonSpec", "SetupError", "Step", "button_specs", "main", "plan",
           "register", "vba_import_copy", "workbook_role"]

EXIT_OK, EXIT_FAILURE = 0, 2
REPO_ROOT = Path(__file__).resolve().parents[1]
# the .bas files ship as package data of ``macros`` (works for editable and wheel installs)
MACROS_DIR = Path(str(resources.files("macros")))
SHEET_START = "Start"  # our own sheet: "Översikt" holds the key figures (formula_sheets)
XL_BUTTON_CONTROL = 0  # XlFormControl.xlButtonControl
GUIDE = "användarguiden (kommunbudget guide visar var den finns; docs/ANVANDARGUIDE.md)"

TRUST_MESSAGE = (
    "Excel tillåter inte att program ändrar VBA-projektet. Slå på det en gång:\n"
    "  Windows: Arkiv → Alternativ → Säkerhetscenter → Inställningar för Säkerhetscenter → "
    "Makroinställningar → kryssa i 'Lita på åtkomst till VBA-projektets objektmodell'.\n"
    "  (Engelska: File → Options → Trust Center → Trust Center Settings → Macro Settings → "
    "'Trust access to the VBA project object model'.)\n"
    "Kör sedan kommandot igen. Om en IT-policy låser inställningen: be IT slå på den för dig, "
    f"eller följ de manuella stegen i {GUIDE}."
)
NO_EXCEL_MESSAGE = (
    "excel-setup behöver Microsoft Excel på Windows (xlwings styr Excel för att lägga in makron "
    "och knappar). Här finns inget Excel ({platform}).\n"
    "Gör så här:\n"
    "  1. Kopiera arbetsboken till en Windows-dator med Excel och Python.\n"
    "  2. Där: pip install -e <kommunbudget-mappen>  och  xlwings addin install\n"
    "  3. Kör: kommunbudget excel-setup {path}\n"
    f"Utan Excel fungerar allt utom knapparna: 'kommunbudget refresh MAPP'. Se {GUIDE}."
)
MAC_MESSAGE = (
    "Excel för Mac låter inte andra program lägga in VBA-moduler, så excel-setup körs på "
    "Windows. Manuellt på Mac (en gång per arbetsbok):\n"
    "  1. Öppna arbetsboken i Excel och spara den som .xlsm (Excel-arbetsbok med makron).\n"
    "  2. Verktyg → Makro → Visual Basic Editor; Arkiv → Importera fil: {xlwings_bas}, "
    "{dictionary_cls} och {knappar}.\n"
    "  3. Lägg in knappar (Utvecklare → Knapp) och tilldela makrona Kontrollera, Berakna, "
    "Resultatbalansera och UppdateraAllt.\n"
    "  4. Kör i Terminal: xlwings runpython install\n"
    f"Steg för steg med bilder: {GUIDE}."
)


class SetupError(Exception):
    """A setup problem with a Swedish message for the controller (no traceback)."""


@dataclass(frozen=True)
class ButtonSpec:
    caption: str
    macro: str  # the VBA Sub in Knappar.bas
    handler: str  # the Python handler in addin.buttons
    description: str


BUTTONS = (
    ButtonSpec("Kontrollera", "Kontrollera", "kontrollera",
               "Kontrollerar indata och skriver fynden på fliken Kontroll."),
    ButtonSpec("Beräkna", "Berakna", "berakna",
               "Beräknar resultaträkning, finansieringsdel, nyckeltal, budgetutfall och "
               "sammandrag (nämnd: fliken Resultat)."),
    ButtonSpec("Resultatbalansera", "Resultatbalansera", "resultatbalansera",
               "Resultatbalansering: överföringar, rapporter och nästa års budgettillägg."),
    ButtonSpec("Uppdatera allt", "UppdateraAllt", "uppdatera_allt",
               "Allt ovan och, i kommunens arbetsbok, alla nämndarbetsböcker (stängda filer)."),
)


def button_specs(role: str) -> tuple[ButtonSpec, ...]:
    """Municipality workbooks get all four buttons; committee workbooks the first three."""
    return BUTTONS if role == "kommun" else BUTTONS[:3]


@dataclass(frozen=True)
class Step:
    action: str  # copy, open, check_vba_access, import_vba, add_reference, set_config,
    #             add_sheet, add_button, import_udfs, save_as, close
    args: tuple[Any, ...] = ()
    text: str = ""  # what the step does, in Swedish (printed with --dry-run)


def workbook_role(path: Path) -> str:
    """``"kommun"`` (has tblCentrala) or ``"nämnd"`` (has tblUppgifter); else SetupError. The
    workbook passes the safety gate before the reader opens it (a file the gate refuses is a
    SetupError with the gate's reason)."""
    from workbook_templates.files.reader import WorkbookReadError, open_workbook
    from workbook_templates.files.safety import inspect_workbook

    refused = inspect_workbook(path).errors
    if refused:
        raise SetupError(f"{path.name}: {refused[0].message}")
    try:
        with open_workbook(path) as r:
            if r.find_table(S.T.CENTRALA.name) is not None:
                return "kommun"
            if r.find_table(S.T.UPPGIFTER.name) is not None:
                return "nämnd"
    except WorkbookReadError as err:
        raise SetupError(f"{path.name}: {err.finding.message}") from None
    raise SetupError(f"{path.name} är ingen kommunbudget-arbetsbok (tabellen tblCentrala eller "
                     "tblUppgifter saknas). Skapa den med 'kommunbudget new'.")


def udf_modules() -> str:
    """The UDF modules for ``xlwings.conf``: addin.udfs, plus any KB_ module it does not import."""
    import addin.udfs as udfs

    mods = ["addin.udfs"]
    try:
        import addin.udfs_binding as binding

        if not all(hasattr(udfs, n) for n in binding.__all__ if n.startswith("KB_")):
            mods.append("addin.udfs_binding")
    except (ImportError, AttributeError):
        pass
    return ";".join(mods)


def xlwings_vba_files() -> tuple[Path, Path]:
    """The standalone xlwings VBA module and its Dictionary class, from the installed package."""
    import xlwings

    here = Path(xlwings.__file__).parent
    return here / "xlwings.bas", here / "addin" / "Dictionary.cls"


def plan(path: Path, out: Path, *, role: str, reference: bool = False,
         interpreter: str = sys.executable, platform: str = sys.platform,
         macros_dir: Path = MACROS_DIR, work: Path | None = None) -> list[Step]:
    """The setup as a list of steps (nothing is done here)."""
    work = work or out.with_name(f"~kbsetup-{out.stem}.xlsx")
    steps = [Step("copy", (path, work), f"Kopiera {path.name} till en arbetsfil"),
             Step("open", (work,), "Öppna kopian i ett dolt Excel"),
             Step("check_vba_access", (), "Kontrollera åtkomsten till VBA-projektet")]
    if reference:
        steps.append(Step("add_reference", ("xlwings",),
                          "Lägg till VBA-referensen till xlwings-tillägget"))
    else:
        for f in xlwings_vba_files():
            steps.append(Step("import_vba", (f,), f"Importera xlwings-modulen {f.name}"))
    for bas in sorted(macros_dir.glob("*.bas")):
        steps.append(Step("import_vba", (bas,), f"Importera {bas.name}"))
    key = "Interpreter_Mac" if platform == "darwin" else "Interpreter_Win"
    config = ((key, interpreter), ("PYTHONPATH", str(REPO_ROOT)), ("UDF Modules", udf_modules()))
    steps.append(Step("set_config", config, "Skriv Python-sökvägarna på bladet xlwings.conf"))
    specs = button_specs(role)
    steps.append(Step("add_sheet", (SHEET_START, tuple(b.description for b in specs)),
                      f"Lägg till bladet {SHEET_START}"))
    for i, b in enumerate(specs):
        steps.append(Step("add_button", (b.caption, f"Knappar.{b.macro}", i),
                          f"Knapp {b.caption} → makrot {b.macro}"))
    if platform == "win32":
        steps.append(Step("import_udfs", (config[2][1],), "Importera KB_-funktionerna"))
    steps.append(Step("save_as", (out,), f"Spara som {out.name}"))
    steps.append(Step("close", (work,), "Stäng Excel och ta bort arbetsfilen"))
    return steps


def vba_import_copy(src: Path, folder: Path) -> Path:
    """A copy of a VBA text module fit for ``VBComponents.Import``: CRLF line ends and plain
    ASCII (the VBA editor reads the file in the system's ANSI code page; LF-only files import
    as garbage). Non-ASCII text is a SetupError naming the line."""
    text = src.read_text(encoding="utf-8")
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.isascii():
            raise SetupError(f"{src.name} rad {i}: bara ASCII-tecken får stå i en VBA-modul.")
    dst = folder / src.name
    dst.write_bytes(("\r\n".join(text.splitlines()) + "\r\n").encode("ascii"))
    return dst


# ---------------------------------------------------------------------------------------------
# Running the plan in Excel (Windows). Kept to plain COM calls through xlwings' ``.api``.


def _import_vba(book: Any, path: Path, tmp: Path) -> None:
    comps = book.api.VBProject.VBComponents
    name = path.stem
    for c in list(comps):
        if c.Name == name:  # a re-run replaces the module instead of adding Knappar1
            comps.Remove(c)
    src = vba_import_copy(path, tmp) if path.suffix.lower() == ".bas" else path
    comps.Import(str(src))


def _set_config(book: Any, pairs: Sequence[tuple[str, str]]) -> None:
    sheet = book.sheets[S.SHEET_XLWINGS]
    rows = sheet.range("A1:B50").value
    keys = {str(r[0]).strip().casefold(): i for i, r in enumerate(rows) if r[0] is not None}
    free = max(keys.values(), default=-1) + 1
    for key, value in pairs:
        i = keys.get(key.casefold())
        if i is None:
            i, free = free, free + 1
        sheet.range(f"A{i + 1}").value = [[key, value]]


def _add_sheet(book: Any, name: str, descriptions: Sequence[str]) -> Any:
    names = [s.name for s in book.sheets]
    sheet = book.sheets[name] if name in names else book.sheets.add(name, before=book.sheets[0])
    sheet.range("A1").value = "Kommunbudget – knappar"
    sheet.range("A2").value = ("Knapparna kör Python via xlwings. Resultaten skrivs bara i de grå "
                               "utdataflikarna; fynden står på fliken Kontroll.")
    sheet.range("A1").api.Font.Bold = True
    sheet.range("A:A").column_width = 24
    for i, text in enumerate(descriptions):
        sheet.range(f"B{4 + 2 * i}").value = text
    return sheet


def _add_button(sheet: Any, caption: str, macro: str, index: int) -> None:
    cell = sheet.range(f"A{4 + 2 * index}")
    name = f"kb_{macro.split('.')[-1]}"
    for shape in list(sheet.api.Shapes):
        if shape.Name == name:
            shape.Delete()
    shape = sheet.api.Shapes.AddFormControl(XL_BUTTON_CONTROL, cell.left + 2, cell.top,
                                            160, 26)
    shape.Name = name
    shape.OnAction = macro
    shape.TextFrame.Characters().Text = caption


def execute(steps: Sequence[Step], xw: Any, say: Callable[[str], None] = print) -> list[str]:
    """Run the plan in Excel through the xlwings module ``xw``. Returns warnings; raises
    SetupError (Swedish) for anything that stops the setup. Excel is always closed again."""
    warnings: list[str] = []
    app = book = None
    work: Path | None = None
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        try:
            for step in steps:
                say(f"• {step.text}")
                a = step.args
                if step.action == "copy":
                    shutil.copyfile(a[0], a[1])
                    work = a[1]
                elif step.action == "open":
                    app = xw.App(visible=False, add_book=False)
                    app.display_alerts = False
                    book = app.books.open(str(a[0]))
                elif step.action == "check_vba_access":
                    try:
                        _ = book.api.VBProject.VBComponents.Count
                    except Exception:  # noqa: BLE001 - COM says "not trusted" as a generic error
                        raise SetupError(TRUST_MESSAGE) from None
                elif step.action == "import_vba":
                    _import_vba(book, a[0], tmp)
                elif step.action == "add_reference":
                    xlam = Path(app.startup_path) / "xlwings.xlam"
                    if not xlam.exists():
                        raise SetupError("xlwings-tillägget är inte installerat. Kör "
                                         "'xlwings addin install' och sedan detta kommando "
                                         "igen (eller utan --reference).")
                    refs = book.api.VBProject.References
                    if "xlwings" not in [r.Name for r in refs]:
                        refs.AddFromFile(str(xlam))
                elif step.action == "set_config":
                    _set_config(book, a)
                elif step.action == "add_sheet":
                    sheet = _add_sheet(book, a[0], a[1])
                elif step.action == "add_button":
                    _add_button(sheet, *a)
                elif step.action == "import_udfs":
                    try:
                        from xlwings.udfs import import_udfs

                        import_udfs(a[0], book.api)
                    except Exception as err:  # noqa: BLE001 - the buttons work without UDFs
                        warnings.append("KB_-funktionerna kunde inte importeras "
                                        f"({type(err).__name__}: {err}). Öppna arbetsboken och "
                                        "klicka xlwings → Import Functions.")
                elif step.action == "save_as":
                    book.save(str(a[0]))
                elif step.action == "close":
                    pass
                else:
                    raise SetupError(f"okänt steg {step.action!r}")
        finally:
            if book is not None:
                try:
                    book.close()
                except Exception:  # noqa: BLE001
                    pass
            if app is not None:
                try:
                    app.quit()
                except Exception:  # noqa: BLE001
                    pass
            if work is not None and work.exists():
                work.unlink()
    return warnings


# ---------------------------------------------------------------------------------------------
# Command line


def _excel_available() -> bool:
    try:
        import xlwings as xw

        _ = xw.apps.count
        return True
    except Exception:  # noqa: BLE001 - no Excel, no COM, not Windows/Mac
        return False


def _run(args: argparse.Namespace, platform: str | None = None,
         excel_available: Callable[[], bool] = _excel_available) -> int:
    platform = platform or sys.platform
    path = Path(args.path)
    out = Path(args.out) if args.out else path.with_suffix(".xlsm")
    err = sys.stderr
    if not path.is_file():
        print(f"{path} finns inte.", file=err)
        return EXIT_FAILURE
    if out.suffix.lower() != ".xlsm":
        print(f"{out.name}: utfilen ska sluta på .xlsm (en arbetsbok med makron).", file=err)
        return EXIT_FAILURE
    if out.resolve() == path.resolve():
        print("Ange en annan utfil än mallen (--out).", file=err)
        return EXIT_FAILURE
    if out.exists() and not args.force:
        print(f"{out} finns redan; välj ett annat namn med --out eller ange --force.", file=err)
        return EXIT_FAILURE
    try:
        role = workbook_role(path)
        steps = plan(path, out, role=role, reference=args.reference,
                     interpreter=args.python or sys.executable, platform=platform)
    except SetupError as e:
        print(e, file=err)
        return EXIT_FAILURE
    if args.dry_run:
        print(f"excel-setup {path.name} → {out.name} ({role}):")
        for s in steps:
            print(f"  {s.action:16} {s.text}")
        return EXIT_OK
    if platform == "darwin":
        xlwings_bas, dictionary_cls = xlwings_vba_files()
        print(MAC_MESSAGE.format(xlwings_bas=xlwings_bas, dictionary_cls=dictionary_cls,
                                 knappar=MACROS_DIR / "Knappar.bas"), file=err)
        return EXIT_FAILURE
    if platform != "win32" or not excel_available():
        print(NO_EXCEL_MESSAGE.format(platform=platform, path=path), file=err)
        return EXIT_FAILURE
    import xlwings as xw

    try:
        warnings = execute(steps, xw)
    except SetupError as e:
        print(e, file=err)
        return EXIT_FAILURE
    except Exception as e:  # noqa: BLE001 - COM errors: a message, never a traceback
        print(f"Excel avbröt installationen ({type(e).__name__}: {e}). Stäng Excel och försök "
              f"igen; följ annars de manuella stegen i {GUIDE}.", file=err)
        return EXIT_FAILURE
    for w in warnings:
        print(f"Obs: {w}", file=err)
    print(f"Klart: {out}. Öppna den i Excel, aktivera makron och klicka på en knapp på bladet "
          f"{SHEET_START}.")
    return EXIT_OK


def register(subparsers: Any) -> None:
    """Add the ``excel-setup`` subcommand to the ``kommunbudget`` parser."""
    p = subparsers.add_parser("excel-setup",
                              help="lägg in knapparna i en kopia av en arbetsbok (kräver Excel)")
    p.add_argument("path", help="en arbetsbok gjord med 'kommunbudget new'")
    p.add_argument("--out", help=".xlsm-filen som skrivs (standard: PATH med .xlsm)")
    p.add_argument("--force", action="store_true", help="skriv över en befintlig OUT")
    p.add_argument("--reference", action="store_true",
                   help="använd en VBA-referens till det installerade xlwings-tillägget i "
                        "stället för att bädda in xlwings-modulen")
    p.add_argument("--python", help="Python-tolken som Excel ska köra "
                                    "(standard: den här)")
    p.add_argument("--dry-run", action="store_true", help="skriv ut stegen, ändra ingenting")
    p.set_defaults(func=_run)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kommunbudget")
    register(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(["excel-setup", *(argv or [])])
    except SystemExit as exc:
        return int(exc.code or 0)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
