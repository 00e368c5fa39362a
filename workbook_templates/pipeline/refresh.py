"""The batch refresh: read every workbook, consolidate, check, compute, write back.

One function, :func:`refresh`, serves the scheduled job (``kommunbudget refresh``), ``validate``
(``write=False``) and the buttons (through the same :func:`compute_outputs`). The flow is one way:

    workbooks -> loader -> engine (berakna, checks, outturn, balansera) -> outputs -> writer

Every file first passes the safety gate (:mod:`safety`); a file that cannot be read or written is
one finding and the run goes on with the others. Writing changes only the owned output sheets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.findings import Finding, Location, Severity, count_by_severity, located
from workbook_templates import schema as S
from workbook_templates.files.safety import check_workbook
from workbook_templates.files.xlsx_writer import (
    CellChange,
    WriteResult,
    WriteStatus,
    block,
    write_cells,
)
from workbook_templates.pipeline.loader import KommunInput, NamndInput, read_kommun, read_namnd
from workbook_templates.pipeline.outputs import Outputs, compute_outputs

__all__ = ["FileReport", "RefreshReport", "find_workbooks", "refresh", "write_owned"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class FileReport:
    path: Path
    role: str  # "kommun" or "nämnd"
    status: str  # written, unchanged, skipped, error, refused, validated, input-errors
    findings: list[Finding] = field(default_factory=list)
    backup: Path | None = None
    #: output cells this run changed: (sheet, cell, old value, new value), from the writer
    changes: list[CellChange] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "role": self.role, "status": self.status,
                "findings": count_by_severity(self.findings),
                "backup": str(self.backup) if self.backup else None}


@dataclass
class RefreshReport:
    files: list[FileReport]
    findings: list[Finding]
    outputs: Outputs | None
    #: nothing could be done (no workbook found, no municipality workbook): a usage error, exit 2
    failed: bool = False

    @property
    def exit_code(self) -> int:
        """0 all fine; 1 error findings (files still refreshed where safe); 2 a file could not be
        read or written, or nothing to do (no workbook, no municipality workbook)."""
        if self.failed or any(f.status in ("error", "refused") for f in self.files):
            return 2
        if any(f.severity is Severity.ERROR for f in self.findings):
            return 1
        return 0

    def as_dict(self) -> dict[str, object]:
        return {"exit_code": self.exit_code, "files": [f.as_dict() for f in self.files],
                "findings": [f.as_dict() for f in self.findings]}

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=2,
                                         default=str), encoding="utf-8")


def find_workbooks(paths: Sequence[str | Path]) -> list[Path]:
    """Files and folders -> workbook files (folders non-recursively; Excel lock files and hidden
    files such as our own temp files are skipped). A path that does not exist is returned as
    given (the caller reports it)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(x for x in p.iterdir() if x.suffix.lower() in WORKBOOK_SUFFIXES
                              and not x.name.startswith(("~$", ".")) and x.is_file()))
        else:
            out.append(p)
    return out


def _is_kommun(path: Path) -> bool:
    """A municipality workbook has the tblCentrala table (checked cheaply via the reader)."""
    from workbook_templates.files.reader import open_workbook

    try:
        with open_workbook(path) as r:
            return r.find_table(S.T.CENTRALA.name) is not None
    except Exception:  # noqa: BLE001 - unreadable files are reported by the loader
        return False


def refresh(
    paths: Sequence[str | Path],
    kommun: str | Path | None = None,
    *,
    write: bool = True,
    backups: int = 3,
    progress: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> RefreshReport:
    """Refresh the municipality workbook ``kommun`` and the committee workbooks in ``paths``.

    ``jobs`` > 1 reads and writes the committee workbooks in that many worker processes (the
    engine runs once, in this process); results are identical, in the same order."""
    say = progress or (lambda _msg: None)
    reports: list[FileReport] = []
    all_findings: list[Finding] = []
    missing = [Path(p) for p in [*paths, *([kommun] if kommun else [])] if not Path(p).exists()]
    if missing:
        for p in missing:
            f = Finding("IN", Severity.ERROR, f"Sökvägen {str(p)!r} finns inte. Kontrollera "
                        "namnet och mappen.", location=Location(workbook=p.name))
            reports.append(FileReport(p, "okänd", "error", [f]))
            all_findings.append(f)
        return RefreshReport(reports, all_findings, None, failed=True)
    files = find_workbooks(paths)
    if not files:
        f = Finding("IN", Severity.ERROR, "Ingen arbetsbok (.xlsx, .xlsm) hittades i "
                    f"{', '.join(str(p) for p in paths)}. Ange mappen med arbetsböckerna.")
        return RefreshReport([], [f], None, failed=True)
    kommun_path = Path(kommun) if kommun else None
    if kommun_path is None:
        candidates = [f for f in files if _is_kommun(f)]
        kommun_path = candidates[0] if candidates else None
    namnd_paths = [f for f in files if kommun_path is None or f.resolve() != kommun_path.resolve()]

    def gate(path: Path, role: str) -> bool:
        found = check_workbook(path)
        errors = [f for f in found if f.severity is Severity.ERROR]
        if errors:
            reports.append(FileReport(path, role, "refused", found))
            all_findings.extend(found)
            return False
        all_findings.extend(found)
        return True

    if kommun_path is None and not write:
        return _validate_committees(namnd_paths, gate, reports, all_findings)
    if kommun_path is None:
        f = Finding("IN", Severity.ERROR, "Ingen kommunarbetsbok angavs eller hittades (den med "
                    "tabellen tblCentrala); ange den med --kommun.")
        return RefreshReport([], [f], None, failed=True)

    say(f"Läser {kommun_path.name}")
    k: KommunInput | None = None
    if gate(kommun_path, "kommun"):
        k = read_kommun(kommun_path)
        _name_workbook(k.findings, kommun_path)
        all_findings.extend(k.findings)
        if not k.readable:
            reports.append(FileReport(kommun_path, "kommun", "error", k.findings))
            k = None
    if k is None:
        return RefreshReport(reports, all_findings, None)

    namnder: list[NamndInput] = []
    for p, found, n in _map(_read_committee, [(p, k.kolumner) for p in namnd_paths], jobs,
                            lambda a: say(f"Läser {a[0].name}")):
        all_findings.extend(found)
        if n is None:
            reports.append(FileReport(p, "nämnd", "refused", found))
            continue
        all_findings.extend(n.findings)
        if not n.readable:
            reports.append(FileReport(p, "nämnd", "error", n.findings))
            continue
        namnder.append(n)

    say("Beräknar")
    out = compute_outputs(k, namnder)
    all_findings.extend(out.findings)

    if not write:
        reports.append(FileReport(kommun_path, "kommun", "validated", k.findings))
        reports.extend(FileReport(n.path, "nämnd", "validated", n.findings) for n in namnder)
        return RefreshReport(reports, all_findings, out)

    say(f"Skriver {kommun_path.name}")
    reports.append(write_owned(kommun_path, "kommun", out.kommun_sheets, backups, k.findings))
    tasks = [(n.path, "nämnd", out.namnd_sheets.get(n.namnd, {}), backups, n.findings)
             for n in namnder]
    reports.extend(_map(_write_committee, tasks, jobs, lambda a: say(f"Skriver {a[0].name}")))
    for r in reports:
        if r.status in ("skipped", "error"):
            all_findings.extend(f for f in r.findings if f not in all_findings)
    return RefreshReport(reports, all_findings, out)


def _validate_committees(paths: list[Path], gate: Callable[[Path, str], bool],
                         reports: list[FileReport], all_findings: list[Finding]) -> RefreshReport:
    """``validate`` without a municipality workbook: each committee workbook on its own (a
    committee controller checking a file before sending it). What needs no municipality data is
    checked: the safety gate and everything the loader checks in the committee's own tables
    (against its own tblAr); consolidation, binding items and resultatbalansering need the
    municipality workbook and are not run."""
    for p in paths:
        if not gate(p, "nämnd"):
            continue
        n = read_namnd(p)
        _name_workbook(n.findings, p)
        all_findings.extend(n.findings)
        if not n.readable:
            reports.append(FileReport(p, "nämnd", "error", n.findings))
            continue
        note = Finding("IN", Severity.INFO, "Kontrollerad utan kommunens arbetsbok: nämndens egna "
                       "tabeller är kontrollerade; sammanställning, bindande poster och "
                       "resultatbalansering kontrolleras när kommunens arbetsbok är med.",
                       location=Location(workbook=p.name))
        all_findings.append(note)
        reports.append(FileReport(p, "nämnd", "validated", [*n.findings, note]))
    return RefreshReport(reports, all_findings, None)


def _read_committee(args: tuple[Path, list]) -> tuple[Path, list[Finding], NamndInput | None]:
    """Gate and read one committee workbook (a worker-process task with ``jobs`` > 1)."""
    path, kolumner = args
    found = check_workbook(path)
    if any(f.severity is Severity.ERROR for f in found):
        return path, found, None
    n = read_namnd(path, kolumner)
    _name_workbook(n.findings, path)
    return path, found, n


def _name_workbook(findings: list[Finding], path: Path) -> None:
    """A workbook's own findings located in a sheet or cell get the workbook's file name (so a
    report line reads ``kommun.xlsx Budgetändringar!C6``); changed in place, order kept."""
    for i, f in enumerate(findings):
        loc = f.location
        if loc is not None and not loc.workbook and (loc.sheet or loc.cell or loc.table):
            findings[i] = located(f, replace(loc, workbook=path.name))


def _write_committee(args: tuple) -> FileReport:
    return write_owned(*args)


def _map(fn: Callable, items: list, jobs: int, announce: Callable[[object], None]) -> list:
    """``[fn(x) for x in items]``, in worker processes when ``jobs`` > 1 (order kept)."""
    if jobs <= 1 or len(items) < 2:
        out = []
        for item in items:
            announce(item)
            out.append(fn(item))
        return out
    from workbook_templates.files.workers import worker_pool

    with worker_pool(jobs) as pool:  # workers die with this process, even when it is killed
        futures = [pool.submit(fn, item) for item in items]
        out = []
        for item, fut in zip(items, futures, strict=True):
            announce(item)
            out.append(fut.result())
        return out


#: Excel's limit on the text of one cell.
EXCEL_CELL_CHARS = 32_767


def _fits_a_cell(value: object) -> object:
    """A text longer than a cell may hold, cut (marked with an ellipsis); anything else as is."""
    if isinstance(value, str) and len(value) > EXCEL_CELL_CHARS:
        return value[: EXCEL_CELL_CHARS - 1] + "…"
    return value


def write_owned(path: Path, role: str, sheets: dict[str, list[list[object]]], backups: int,
           findings: list[Finding]) -> FileReport:
    """Write one workbook's owned sheets, unless its own input has errors: a workbook whose
    tables could not be read cleanly is left byte-identical (its findings are in the report and
    in the municipality workbook's Kontroll sheet), so a half-understood input is never answered
    with half-right results."""
    if any(f.severity is Severity.ERROR for f in findings):
        return FileReport(path, role, "input-errors", findings)
    updates = {name: block(S.OUTPUT_ANCHOR, [[_fits_a_cell(v) for v in row] for row in rows])
               for name, rows in sheets.items()}
    clear = {name: [S.OUTPUT_CLEAR] for name in sheets}
    result: WriteResult = write_cells(path, updates, clear=clear, owned_sheets=list(sheets),
                                      backups=backups)
    status = result.status.value
    fr = FileReport(path, role, status, [*findings, *result.findings], result.backup,
                    list(result.changes))
    if result.status is WriteStatus.ERROR and not result.findings:
        fr.findings.append(Finding("IN", Severity.ERROR, "Arbetsboken kunde inte skrivas.",
                                   location=Location(workbook=path.name)))
    return fr
