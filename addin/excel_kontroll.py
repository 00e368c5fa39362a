"""``kommunbudget excel-kontroll ARBETSBOK``: does this machine fit this workbook? (issue 12)

Reports in Swedish the interpreter, the kommunbudget and xlwings versions, the interpreter and
UDF modules the workbook's ``xlwings.conf`` sheet names, and — read-only, from the workbook's
``xl/vbaProject.bin`` (parsed with ``oletools``; Excel is not needed) — which
xlwings VBA module the workbook carries and whether it matches the installed xlwings. The
standalone ``xlwings`` module that ``excel-setup`` embeds calls a DLL named after one xlwings
version (``xlwings64-0.37.8.dll``); after ``pip install -U xlwings`` that DLL is gone and every
button and KB_ function of the workbook stops working. It also checks that *Import Functions* has
written a wrapper for every KB_ function (``xlwings_udfs`` module).

Exit code 0 when everything matches, 2 when something must be done (the report says what).
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["VbaFacts", "check", "main", "read_config", "read_vba", "register",
           "wrapper_signatures"]

EXIT_OK, EXIT_PROBLEM = 0, 2
_VERSION = re.compile(r'XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]+)"', re.I)
_DLL = re.compile(r'"xlwings(?:32|64)-([0-9][^"]*)\.dll"', re.I)
_FUNCTION = re.compile(r"^\s*Function\s+(KB_\w+)\s*\(([^)]*)\)", re.I | re.M)


@dataclass
class VbaFacts:
    """What a workbook's VBA project says about xlwings (``None``: no VBA project)."""

    modules: list[str] = field(default_factory=list)
    xlwings_version: str | None = None  # from the embedded xlwings module
    #: KB_ function -> its argument names in the xlwings_udfs wrapper module
    udf_wrappers: dict[str, list[str]] = field(default_factory=dict)


def read_vba(path: Path) -> VbaFacts | None:
    """Read the VBA project of an .xlsm/.xlam read-only; ``None`` if it has none."""
    import warnings

    with warnings.catch_warnings():  # oletools uses pyparsing names deprecated in pyparsing 3
        warnings.simplefilter("ignore")
        from oletools.olevba import VBA_Parser

    with zipfile.ZipFile(path) as z:
        if "xl/vbaProject.bin" not in z.namelist():
            return None
        data = z.read("xl/vbaProject.bin")
    parser = VBA_Parser("vbaProject.bin", data=data)
    facts = VbaFacts()
    try:
        for _file, _stream, name, code in parser.extract_macros():
            facts.modules.append(name)
            found = _VERSION.search(code) or _DLL.search(code)
            if found and facts.xlwings_version is None:
                facts.xlwings_version = found.group(1)
            facts.udf_wrappers.update(wrapper_signatures(code))
    finally:
        parser.close()
    return facts


def read_config(path: Path) -> dict[str, str]:
    """The ``xlwings.conf`` sheet (key | value) read-only; empty if the workbook has none.
    Read through the workbook reader (a sheet spread absurdly far is refused before calamine
    loads it); raises WorkbookReadError for a file it cannot read."""
    from workbook_templates import schema as S
    from workbook_templates.files.reader import open_workbook

    with open_workbook(path) as book:
        if S.SHEET_XLWINGS not in book.sheet_names:
            return {}
        rows, _ = book.read_back_grid(S.SHEET_XLWINGS)
    return {str(r[0]).strip(): str(r[1]).strip() for r in rows
            if len(r) >= 2 and str(r[0]).strip() and str(r[1]).strip()}


def wrapper_signatures(code: str) -> dict[str, list[str]]:
    """KB_ function -> argument names, from VBA as xlwings' Import Functions writes it."""
    return {fname: [a.replace("Optional", "").strip() for a in args.split(",") if a.strip()]
            for fname, args in _FUNCTION.findall(code)}


def _installed(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version  # not at every CLI start

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _registered_functions() -> dict[str, list[str]]:
    """KB_ function -> its argument names, as Import Functions would write them now."""
    import inspect

    import addin.udfs as udfs

    return {n: list(inspect.signature(getattr(udfs, n)).parameters)
            for n in sorted(dir(udfs)) if n.startswith("KB_")}


def check(path: Path, *, xlwings_version: str | None = None) -> tuple[int, list[str]]:
    """The report lines and the exit code. ``xlwings_version``: the installed one (default:
    what this interpreter imports)."""
    installed = xlwings_version or _installed("xlwings")
    lines = [
        f"Python: {sys.version.split()[0]} ({sys.executable})",
        f"kommunbudget: {_installed('kommunbudget') or 'inte installerat som paket'}",
        f"xlwings: {installed or 'saknas'}",
        f"Arbetsbok: {path}",
    ]
    problems: list[str] = []
    if installed is None:
        problems.append("xlwings saknas i denna Python. Installera: pip install -e "
                        "<kommunbudget-mappen> (det installerar en xlwings-version som stöds).")
    if not path.exists():
        return EXIT_PROBLEM, [*lines, f"PROBLEM: filen {path} finns inte."]
    from workbook_templates.files.safety import inspect_workbook

    refused = inspect_workbook(path).errors
    if refused:  # nothing of a file the safety gate refuses is read
        return EXIT_PROBLEM, [*lines, f"PROBLEM: {refused[0].message}"]
    try:
        facts = read_vba(path)
    except zipfile.BadZipFile:
        return EXIT_PROBLEM, [*lines, "PROBLEM: filen är ingen Excel-arbetsbok (.xlsx/.xlsm)."]
    try:
        config = read_config(path)
    except Exception:  # noqa: BLE001 - a config we cannot read is reported, not raised
        config = {}
    interpreter = config.get("Interpreter_Win") or config.get("Interpreter")
    if interpreter:
        lines.append(f"Tolk i arbetsboken (xlwings.conf): {interpreter}")
        if Path(interpreter) != Path(sys.executable):
            lines.append("  Obs: kontrollen körs med en annan Python. Kör den med arbetsbokens "
                         f"tolk för att jämföra rätt xlwings: {interpreter} -m "
                         f"workbook_templates.cli.main excel-kontroll {path}")
    if config and "addin.udfs" not in config.get("UDF Modules", ""):
        problems.append("Bladet xlwings.conf saknar 'UDF Modules = addin.udfs': KB_-funktionerna "
                        "hittas inte. Kör excel-setup igen eller skriv in raden.")
    if facts is None:
        lines.append("VBA: arbetsboken har inga makron (ingen vbaProject.bin).")
        problems.append("Knapparna och KB_-funktionerna kräver en .xlsm med makron. Kör "
                        f"'kommunbudget excel-setup {path}' på en Windows-dator med Excel.")
    else:
        lines.append(f"VBA-moduler: {', '.join(facts.modules) or '(inga)'}")
        if facts.xlwings_version is None:
            lines.append("xlwings i arbetsboken: ingen inbäddad xlwings-modul (arbetsboken "
                         "använder xlwings-tillägget, xlwings.xlam).")
            lines.append("  Tillägget måste ha samma version som xlwings i Python: kör "
                         "'xlwings addin install' efter varje uppgradering av xlwings.")
        elif installed is not None and facts.xlwings_version != installed:
            lines.append(f"xlwings i arbetsboken: {facts.xlwings_version} – STÄMMER INTE med "
                         f"installerade {installed}.")
            problems.append(
                f"Arbetsbokens xlwings-modul ({facts.xlwings_version}) anropar "
                f"xlwings64-{facts.xlwings_version}.dll, som inte finns i xlwings {installed}: "
                "knapparna och KB_-funktionerna fungerar inte. Gör ett av följande: "
                f"(a) installera samma version: pip install xlwings=={facts.xlwings_version} "
                "(om den ligger inom det intervall kommunbudget stöder), eller "
                f"(b) kör 'kommunbudget excel-setup {path}' igen, så byts modulen mot den "
                "installerade versionens.")
        else:
            lines.append(f"xlwings i arbetsboken: {facts.xlwings_version} – stämmer.")
        if facts.xlwings_version is not None or facts.udf_wrappers:
            registered = _registered_functions()
            missing = [f for f in registered if f not in facts.udf_wrappers]
            changed = [f for f, args in registered.items()
                       if f in facts.udf_wrappers and facts.udf_wrappers[f] != args]
            redo = ("Öppna arbetsboken i Excel och klicka xlwings → Import Functions (eller kör "
                    "excel-setup igen).")
            if missing:
                problems.append(f"KB_-funktioner saknar VBA-omslag i arbetsboken: "
                                f"{', '.join(missing)}. {redo}")
            if changed:
                problems.append(f"KB_-funktioner har andra argument än när de importerades: "
                                f"{', '.join(changed)}. {redo}")
            if not missing and not changed:
                lines.append("KB_-funktionerna: alla importerade och aktuella (xlwings_udfs).")
    if problems:
        lines += [f"PROBLEM: {p}" for p in problems]
        return EXIT_PROBLEM, lines
    lines.append("Allt stämmer.")
    return EXIT_OK, lines


def _run(args: argparse.Namespace) -> int:
    code, lines = check(Path(args.arbetsbok))
    print("\n".join(lines))
    return code


def register(subparsers: Any) -> None:
    """Add ``excel-kontroll`` to the CLI's subcommands."""
    p = subparsers.add_parser(
        "excel-kontroll",
        help="kontrollera att arbetsbokens xlwings-makron passar installerade Python/xlwings")
    p.add_argument("arbetsbok", help="arbetsboken (.xlsm) som ska kontrolleras")
    p.set_defaults(func=_run)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kommunbudget excel-kontroll")
    sub = parser.add_subparsers(required=True)
    register(sub)
    args = parser.parse_args(["excel-kontroll", *(argv or sys.argv[1:])])
    return int(args.func(args))
