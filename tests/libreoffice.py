"""LibreOffice headless harness for the test suite (issue 7).

A real, independent spreadsheet engine checks our workbooks: LibreOffice opens a file, recalculates
every formula (a throwaway user profile forces recalculation on load, so cached values written by
openpyxl/XlsxWriter/our batch refresh are never trusted), and saves the result; we read the values
back. The same machinery renders sheets to PNG (xlsx -> PDF -> PNG) for the user guide.

Public API (all paths are ``pathlib.Path`` or ``str``):

    soffice_path() -> str | None               LibreOffice binary, None when not installed
    pdftoppm_path() -> str | None              poppler's pdftoppm, None when not installed
    @needs_libreoffice / @needs_renderer       mark ``libreoffice`` + skip when soffice (and,
                                               for renders, pdftoppm) is absent
    LIBREOFFICE_MARKS / RENDER_MARKS           the same as lists: ``pytestmark = LIBREOFFICE_MARKS``
    recalculate(src, out_dir, fmt="xlsx") -> Path
    recalculate_many(srcs, out_dir, fmt="xlsx") -> list[Path]   one soffice start for all files
    recalculate_parallel(srcs, out_dir, jobs=2) -> list[Path]   the same in ``jobs`` runs at once
    read_values(path) -> dict[sheet, dict[A1, value]]           xlsx/xlsm only
    error_cells(path) -> list[ErrorCell]                        cells holding an error value
    formula_cells(path) -> dict[sheet, dict[A1, formula]]       formulas of a source workbook
    render_pdf(src, out_dir, sheets=None, whole_sheet=False) -> list[Path]   one PDF per sheet
    render_png(src, out_dir, sheets=None, dpi=80, whole_sheet=False) -> list[Path]
                                               one PNG per printed page (or per sheet)

Every soffice call runs with its own fresh profile directory (parallel calls never collide and
never hand the job to an already running instance), a timeout (default 120 s) after which the
whole process group is killed, and a check that each expected output file exists (soffice exits 0
even when it could not load a file).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple, TypeVar

import pytest
from lxml import etree

SOFFICE_TIMEOUT_S = 120.0

# org.openoffice.Office.Calc/Formula/Load: 0 = always recalculate, 1 = never, 2 = prompt.
RECALC_ALWAYS = 0
RECALC_NEVER = 1

_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
</oor:items>
"""

# Output format -> soffice --convert-to target (format[:filter]).
_TARGETS = {
    "xlsx": ("xlsx", "xlsx:Calc MS Excel 2007 XML"),
    "ods": ("ods", "ods:calc8"),
    "pdf": ("pdf", "pdf:calc_pdf_Export"),
}

_WHOLE_SHEET_PDF = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# Error literals Excel and LibreOffice write into cells (LibreOffice's own Err:5xx codes are
# exported to xlsx as #VALUE! or similar, but are listed for completeness).
_ERROR_RE = re.compile(
    r"^(#NULL!|#DIV/0!|#VALUE!|#REF!|#NAME\?|#NUM!|#N/A|#GETTING_DATA"
    r"|#SPILL!|#CALC!|Err:\d{3})$"
)


class LibreOfficeError(RuntimeError):
    """soffice failed, or did not produce an expected output file."""


class LibreOfficeTimeout(LibreOfficeError):
    """soffice did not finish in time; its whole process group was killed."""

    def __init__(self, message: str, pid: int) -> None:
        super().__init__(message)
        self.pid = pid


class ErrorCell(NamedTuple):
    """One cell whose (recalculated) value is a spreadsheet error."""

    sheet: str
    cell: str
    value: str


# --------------------------------------------------------------------------- discovery


def soffice_path() -> str | None:
    """The LibreOffice binary ($KB_SOFFICE, then soffice/libreoffice on PATH), or None."""
    override = os.environ.get("KB_SOFFICE")
    if override:
        return override if Path(override).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice"):
        if Path(candidate).is_file():
            return candidate
    return None


def pdftoppm_path() -> str | None:
    """poppler-utils' pdftoppm, or None."""
    return shutil.which("pdftoppm")


def _required() -> bool:
    """CI sets KB_REQUIRE_LIBREOFFICE=1: a missing LibreOffice then fails the tests, not skips."""
    return os.environ.get("KB_REQUIRE_LIBREOFFICE", "") not in ("", "0")


LIBREOFFICE_MARKS = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(
        soffice_path() is None and not _required(), reason="LibreOffice (soffice) not installed"
    ),
]
RENDER_MARKS = [
    *LIBREOFFICE_MARKS,
    pytest.mark.skipif(
        pdftoppm_path() is None and not _required(),
        reason="pdftoppm (poppler-utils) not installed",
    ),
]

_T = TypeVar("_T")


def needs_libreoffice(test: _T) -> _T:
    """Decorator: mark ``libreoffice`` and skip when soffice is absent.

    For a whole module use ``pytestmark = LIBREOFFICE_MARKS``.
    """
    for mark in reversed(LIBREOFFICE_MARKS):
        test = mark(test)
    return test


def needs_renderer(test: _T) -> _T:
    """Decorator: like needs_libreoffice, and skip when pdftoppm is absent too."""
    for mark in reversed(RENDER_MARKS):
        test = mark(test)
    return test


# --------------------------------------------------------------------------- soffice runs


def _write_profile(root: Path, recalc_mode: int) -> None:
    user = root / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(
        _REGISTRY.format(mode=recalc_mode), encoding="utf-8"
    )


def _run_soffice(args: Sequence[str], *, recalc_mode: int, timeout: float) -> str:
    """Run soffice headless with a fresh throwaway profile; return its stdout."""
    binary = soffice_path()
    if binary is None:
        raise LibreOfficeError("LibreOffice (soffice) is not installed")
    profile = Path(tempfile.mkdtemp(prefix="kb-lo-profile-"))
    try:
        _write_profile(profile, recalc_mode)
        cmd = [
            binary,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--norestore",
            "--nolockcheck",
            *args,
        ]
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group, so a timeout can kill all children
            text=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()  # reap
            raise LibreOfficeTimeout(
                f"soffice did not finish within {timeout} s: {' '.join(args)}", proc.pid
            ) from None
        if proc.returncode != 0:
            raise LibreOfficeError(
                f"soffice exited {proc.returncode}: {err.strip() or out.strip()}"
            )
        return out + err
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _convert(
    srcs: Sequence[Path],
    out_dir: Path,
    fmt: str,
    *,
    recalc_mode: int,
    timeout: float,
    target: str | None = None,
) -> list[Path]:
    if fmt not in _TARGETS:
        raise ValueError(f"unsupported format {fmt!r}; use one of {sorted(_TARGETS)}")
    ext, default_target = _TARGETS[fmt]
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    srcs = [Path(s).resolve() for s in srcs]
    outs = [out_dir / f"{s.stem}.{ext}" for s in srcs]
    for src in srcs:
        if not src.is_file():
            raise FileNotFoundError(src)
    if len(set(outs)) != len(outs):
        raise ValueError(f"two sources share a file name stem; outputs would collide: {outs}")
    for src, out in zip(srcs, outs, strict=True):
        if src == out:
            raise ValueError(f"output would overwrite the source {src}; use another out_dir")
    if not srcs:
        return []
    for out in outs:
        out.unlink(missing_ok=True)  # so a stale file can't pass for a fresh conversion
    log = _run_soffice(
        ["--convert-to", target or default_target, "--outdir", str(out_dir), *map(str, srcs)],
        recalc_mode=recalc_mode,
        timeout=timeout,
    )
    missing = [o for o in outs if not o.is_file()]
    if missing:
        raise LibreOfficeError(f"soffice produced no {missing}; its output:\n{log}")
    return outs


def recalculate_many(
    srcs: Iterable[str | Path],
    out_dir: str | Path,
    fmt: str = "xlsx",
    *,
    recalc: bool = True,
    timeout: float = SOFFICE_TIMEOUT_S,
) -> list[Path]:
    """Open every file in one soffice run, recalculate all formulas, save as ``fmt`` in out_dir.

    Output names are ``<stem>.<fmt>``. ``recalc=False`` keeps cached values (only for control
    tests proving that the forced recalculation is what changes them).
    """
    mode = RECALC_ALWAYS if recalc else RECALC_NEVER
    return _convert([Path(s) for s in srcs], Path(out_dir), fmt, recalc_mode=mode, timeout=timeout)


def recalculate_parallel(
    srcs: Iterable[str | Path],
    out_dir: str | Path,
    fmt: str = "xlsx",
    *,
    jobs: int = 2,
    timeout: float = SOFFICE_TIMEOUT_S,
) -> list[Path]:
    """recalculate_many split into ``jobs`` soffice runs at once (each with its own profile).

    A file costs LibreOffice about 1.5 s to load, recalculate and save, so on a machine with two
    or more cores two runs at once nearly halve the wall time of a big batch. Outputs land in
    out_dir as with recalculate_many, in the order of ``srcs``.
    """
    from concurrent.futures import ThreadPoolExecutor

    paths = [Path(s) for s in srcs]
    jobs = max(1, min(jobs, len(paths), os.cpu_count() or 1))
    chunks = [paths[i::jobs] for i in range(jobs)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        done = list(pool.map(
            lambda chunk: recalculate_many(chunk, out_dir, fmt, timeout=timeout), chunks))
    by_src = {src: out for chunk, outs in zip(chunks, done, strict=True)
              for src, out in zip(chunk, outs, strict=True)}
    return [by_src[p] for p in paths]


def recalculate(
    src: str | Path,
    out_dir: str | Path,
    fmt: str = "xlsx",
    *,
    recalc: bool = True,
    timeout: float = SOFFICE_TIMEOUT_S,
) -> Path:
    """Recalculate one workbook in LibreOffice; return the converted file (``<stem>.<fmt>``)."""
    return recalculate_many([src], out_dir, fmt, recalc=recalc, timeout=timeout)[0]


# --------------------------------------------------------------------------- reading results


def _require_xlsx(path: Path) -> None:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        # python-calamine reads error cells of .ods as "" and openpyxl cannot read .ods at all;
        # recalculate(..., fmt="xlsx") first.
        raise ValueError(f"{path.name}: read results from .xlsx/.xlsm (convert with fmt='xlsx')")


def read_values(path: str | Path) -> dict[str, dict[str, object]]:
    """Cached values of every non-empty cell: {sheet: {"A1": value}} (errors as "#REF!" etc.)."""
    import openpyxl

    path = Path(path)
    _require_xlsx(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        return {
            ws.title: {
                cell.coordinate: cell.value
                for row in ws.iter_rows()
                for cell in row
                if cell.value is not None
            }
            for ws in wb.worksheets
        }
    finally:
        wb.close()


def error_cells(path: str | Path) -> list[ErrorCell]:
    """Every cell whose value is an error (#REF!, #NAME?, #VALUE!, #DIV/0!, Err:5xx ...).

    Uses the cell type written in the file (t="e"), so the text "#N/A" typed as a label is not
    an error; string cells that look exactly like LibreOffice's Err:xxx codes are reported too.
    """
    import openpyxl

    path = Path(path)
    _require_xlsx(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    found: list[ErrorCell] = []
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    value = cell.value
                    if cell.data_type == "e" or (
                        isinstance(value, str)
                        and value.startswith("Err:")
                        and _ERROR_RE.match(value)
                    ):
                        found.append(ErrorCell(ws.title, cell.coordinate, str(value)))
    finally:
        wb.close()
    return found


def formula_cells(path: str | Path) -> dict[str, dict[str, str]]:
    """Formulas of a (source) workbook: {sheet: {"A1": "=SUM(B1:B3)"}}; array formulas as text."""
    import openpyxl

    path = Path(path)
    _require_xlsx(path)
    wb = openpyxl.load_workbook(path, data_only=False)
    try:
        result: dict[str, dict[str, str]] = {}
        for ws in wb.worksheets:
            cells: dict[str, str] = {}
            for row in ws.iter_rows():
                for cell in row:
                    value = cell.value
                    text = getattr(value, "text", value)  # ArrayFormula has .text
                    if cell.data_type == "f" and isinstance(text, str):
                        cells[cell.coordinate] = text
            result[ws.title] = cells
        return result
    finally:
        wb.close()


# --------------------------------------------------------------------------- rendering


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()
    return slug or "sheet"


def _sheet_states(src: Path) -> list[tuple[str, str]]:
    """[(sheet name, state)] in workbook order, read from xl/workbook.xml."""
    with zipfile.ZipFile(src) as zf:
        root = etree.fromstring(zf.read("xl/workbook.xml"))
    return [
        (el.get("name"), el.get("state", "visible")) for el in root.iter(f"{{{_SHEET_NS}}}sheet")
    ]


def _only_sheet_visible(src: Path, dst: Path, keep: str) -> None:
    """Copy src to dst with every sheet but ``keep`` hidden (a lossless edit of workbook.xml).

    Hidden sheets are not printed, yet formulas referring to them still calculate.
    """
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                root = etree.fromstring(data)
                names = []
                for el in root.iter(f"{{{_SHEET_NS}}}sheet"):
                    names.append(el.get("name"))
                    if el.get("name") == keep:
                        el.attrib.pop("state", None)
                    else:
                        el.set("state", "hidden")
                for view in root.iter(f"{{{_SHEET_NS}}}workbookView"):
                    view.set("activeTab", str(names.index(keep)))
                    view.set("firstSheet", str(names.index(keep)))
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(item, data)


def render_pdf(
    src: str | Path,
    out_dir: str | Path,
    sheets: Sequence[str] | None = None,
    *,
    whole_sheet: bool = False,
    timeout: float = SOFFICE_TIMEOUT_S,
) -> list[Path]:
    """One PDF per sheet, ``<stem>-<sheet-slug>.pdf``, in one soffice run (recalculated first).

    ``sheets=None`` means every visible sheet. By default the sheet's own page setup decides the
    pages, as when the user prints (see docs/LIBREOFFICE.md: landscape + fit to width makes wide
    sheets readable). ``whole_sheet=True`` instead puts each sheet's used range on one page of
    exactly its size, without margins (Calc's SinglePageSheets PDF option, LibreOffice >= 7.4;
    needs poppler's pdfinfo and pdfseparate): the tightest picture for the user guide.
    """
    src = Path(src)
    out_dir = Path(out_dir)
    if src.suffix.lower() not in (".xlsx", ".xlsm"):
        raise ValueError(f"{src.name}: render_pdf needs an .xlsx/.xlsm workbook")
    states = dict(_sheet_states(src))
    wanted = (
        list(sheets) if sheets is not None else [n for n, s in states.items() if s == "visible"]
    )
    unknown = [s for s in wanted if s not in states]
    if unknown:
        raise ValueError(f"{src.name} has no sheet(s) {unknown}; it has {list(states)}")
    slugs = [_slug(s) for s in wanted]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"sheet names {wanted} give colliding file names {slugs}")
    with tempfile.TemporaryDirectory(prefix="kb-lo-render-") as tmp:
        if whole_sheet:
            return _render_whole_sheets(
                src, Path(tmp), out_dir, wanted, slugs, list(states), timeout
            )
        copies = []
        for sheet, slug in zip(wanted, slugs, strict=True):
            copy = Path(tmp) / f"{src.stem}-{slug}{src.suffix}"
            _only_sheet_visible(src, copy, sheet)
            copies.append(copy)
        return _convert(copies, out_dir, "pdf", recalc_mode=RECALC_ALWAYS, timeout=timeout)


def _render_whole_sheets(
    src: Path,
    tmp: Path,
    out_dir: Path,
    wanted: list[str],
    slugs: list[str],
    all_sheets: list[str],
    timeout: float,
) -> list[Path]:
    """SinglePageSheets export: page i is sheet i, for EVERY sheet (hidden and empty ones too,
    LibreOffice 7.4), so export the workbook once and split out the wanted pages."""
    for tool in ("pdfinfo", "pdfseparate"):
        if shutil.which(tool) is None:
            raise LibreOfficeError(f"{tool} (poppler-utils) is not installed")
    (whole,) = _convert(
        [src],
        tmp / "whole",
        "pdf",
        recalc_mode=RECALC_ALWAYS,
        timeout=timeout,
        target=_WHOLE_SHEET_PDF,
    )
    info = subprocess.run(
        ["pdfinfo", str(whole)], check=True, capture_output=True, text=True, timeout=timeout
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    if pages != len(all_sheets):
        raise LibreOfficeError(
            f"{src.name}: expected one page per sheet ({len(all_sheets)}), got {pages}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    pdfs = []
    for sheet, slug in zip(wanted, slugs, strict=True):
        page = all_sheets.index(sheet) + 1
        pdf = out_dir / f"{src.stem}-{slug}.pdf"
        subprocess.run(
            ["pdfseparate", "-f", str(page), "-l", str(page), str(whole), str(pdf)],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        pdfs.append(pdf)
    return pdfs


def render_png(
    src: str | Path,
    out_dir: str | Path,
    sheets: Sequence[str] | None = None,
    *,
    dpi: int = 80,
    whole_sheet: bool = False,
    timeout: float = SOFFICE_TIMEOUT_S,
) -> list[Path]:
    """Render sheets to PNG: ``<stem>-<sheet-slug>-p<page>.png``, one per printed page.

    ``whole_sheet=True``: one PNG per sheet, cropped to the used range (see render_pdf).

    xlsx -> PDF (LibreOffice, recalculated) -> PNG (pdftoppm). The PDFs stay in out_dir next to
    the PNGs (``pdftotext`` on them is a cheap way to check what a render shows).
    """
    binary = pdftoppm_path()
    if binary is None:
        raise LibreOfficeError("pdftoppm (poppler-utils) is not installed")
    out_dir = Path(out_dir)
    pngs: list[Path] = []
    for pdf in render_pdf(src, out_dir, sheets, whole_sheet=whole_sheet, timeout=timeout):
        for old in out_dir.glob(f"{pdf.stem}-p*.png"):
            if re.fullmatch(rf"{re.escape(pdf.stem)}-p\d+\.png", old.name):
                old.unlink()
        tmp_prefix = out_dir / f"{pdf.stem}.tmp"
        try:
            subprocess.run(
                [binary, "-png", "-r", str(dpi), str(pdf), str(tmp_prefix)],
                check=True,
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.CalledProcessError as exc:
            raise LibreOfficeError(f"pdftoppm failed on {pdf}: {exc.stderr!r}") from exc
        # pdftoppm names pages prefix-1.png or prefix-01.png (zero-padded to the page count).
        pages = sorted(
            out_dir.glob(f"{tmp_prefix.name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])
        )
        if not pages:
            raise LibreOfficeError(f"pdftoppm produced no page for {pdf}")
        for number, page in enumerate(pages, start=1):
            final = out_dir / f"{pdf.stem}-p{number}.png"
            page.replace(final)
            pngs.append(final)
    return pngs


# --------------------------------------------------------------------------- our workbooks
# Builders for the workbook tests and the user-guide renders: the generated templates and the
# refreshed example, each with the native formulas of workbook_templates.generate.formula_sheets.


def with_formula_sheets(path: str | Path) -> Path:
    """Apply formula_sheets to a FRESHLY generated template (openpyxl load + save).

    Only for files new_kommun/new_namnd just wrote (openpyxl round trips lose shapes and charts
    of user files). Idempotent: once templates.py calls formula_sheets itself, this changes
    nothing but the bytes.
    """
    import openpyxl

    from workbook_templates.generate.formula_sheets import add_formula_sheets

    path = Path(path)
    wb = openpyxl.load_workbook(path)
    add_formula_sheets(wb)
    wb.save(path)
    return path


def committee_file(namnd: str) -> str:
    """The demo's committee file name (workbook_templates.cli.main)."""
    from workbook_templates.cli.main import _slug as cli_slug

    return f"namnd_{cli_slug(namnd)}.xlsx"


def build_templates(folder: str | Path, committees: Sequence[str] | None = None
                    ) -> dict[str, Path]:
    """Every template variant with formulas: {name: path}.

    kommun empty and with the example, in Swedish and Finnish; a committee template empty and
    with the example for each of ``committees`` (default: every committee of the example).
    """
    from workbook_templates.generate.example import exempelkommun
    from workbook_templates.generate.templates import new_kommun, new_namnd

    folder = Path(folder)
    ex = exempelkommun()
    made = {
        "kommun_sv_tom": new_kommun(folder / "kommun_sv_tom.xlsx", None, sprak="sv"),
        "kommun_fi_tom": new_kommun(folder / "kommun_fi_tom.xlsx", None, sprak="fi"),
        "kommun_sv_exempel": new_kommun(folder / "kommun_sv_exempel.xlsx", ex, sprak="sv"),
        "kommun_fi_exempel": new_kommun(folder / "kommun_fi_exempel.xlsx", ex, sprak="fi"),
        "namnd_tom": new_namnd(folder / "namnd_tom.xlsx", "", None),
    }
    for namnd in ex.namndlista if committees is None else committees:
        stem = "mall_" + Path(committee_file(namnd)).stem
        made[stem] = new_namnd(folder / f"{stem}.xlsx", namnd, ex)
    for path in made.values():
        with_formula_sheets(path)
    return made


def build_refreshed_example(folder: str | Path, sprak: str = "sv"):  # -> RefreshReport
    """The demo's example (kommun.xlsx + namnd_*.xlsx) with formulas, refreshed in ``folder``."""
    from workbook_templates.generate.example import exempelkommun
    from workbook_templates.generate.templates import new_kommun, new_namnd
    from workbook_templates.pipeline.refresh import refresh

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ex = exempelkommun()
    kommun = with_formula_sheets(new_kommun(folder / "kommun.xlsx", ex, sprak=sprak))
    for namnd in ex.namndlista:
        with_formula_sheets(new_namnd(folder / committee_file(namnd), namnd, ex))
    return refresh([folder], kommun, backups=0)
