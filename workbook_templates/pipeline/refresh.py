"""The batch refresh: read every workbook, consolidate, check, compute, write back.

One function, :func:`refresh`, serves the scheduled job (``kommunbudget refresh``), ``validate``
(``write=False``) and the buttons (through the same :func:`compute_outputs`). The flow is one way:

    workbooks -> loader -> engine (berakna, checks, outturn, balansera) -> outputs -> writer

Every file first passes the safety gate (:mod:`safety`); a file that cannot be read or written is
one finding and the run goes on with the others. Writing changes only the owned output sheets.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import threading
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from engine.budget import Projekt
from engine.findings import Finding, Location, Severity, count_by_severity, has_errors, located
from engine.gc_pause import freeze_now, freezing_survivors, without_gc_pauses
from engine.money import ZERO
from workbook_templates import schema as S
from workbook_templates.files import run_cache
from workbook_templates.files.fileops import (
    ReadVersion,
    content_digest,
    excel_owner_files,
    file_digest,
    file_version,
    read_bounded,
)
from workbook_templates.files.reader import (
    WorkbookReader,
    WorkbookStructure,
    open_workbook,
    workbook_structure,
)
from workbook_templates.files.run_cache import Record, RunCache
from workbook_templates.files.safety import GateReport, inspect_workbook
from workbook_templates.files.xlsx_writer import (
    CellChange,
    ChangeLog,
    RowBlock,
    WriteResult,
    WriteStatus,
    changed_beyond,
    write_cells,
)
from workbook_templates.pipeline import read_record
from workbook_templates.pipeline.loader import (
    Kolumn,
    KommunInput,
    NamndInput,
    TableSource,
    against_kommun,
    bokfort_for_year,
    read_kommun,
    read_namnd,
)
from workbook_templates.pipeline.outputs import INCOMPLETE, Outputs, Saknas, compute_outputs

__all__ = ["FileReport", "RefreshReport", "Run", "RunCache", "Summary", "check_paths",
           "collector_paused", "dedupe", "find_workbooks", "kontroll_findings",
           "one_committee_per_task", "one_per_committee", "read_and_compute", "refresh",
           "write_owned"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: changed cells kept per file for the change report (``cli.report.MAX_CHANGES`` lists as many);
#: the rest are only counted, so a large first refresh does not hold every cell's old and new value
MAX_CHANGES = 20_000

#: ``jobs``: how many worker processes read the committee workbooks and write every workbook;
#: ``"auto"`` (``--jobs auto``) chooses by :func:`_workers`
Jobs = int | Literal["auto"]
#: ``jobs="auto"``: at most this many workers (each holds one workbook's read or write)
AUTO_MAX_WORKERS = 4
#: ``jobs="auto"``: workers only from this many workbooks to read (or written after being read
#: anew) on: starting them, and pickling each workbook's read or write both ways, costs more
#: than it saves on fewer, and on a night whose reads were reused (the writes then mostly find
#: the outputs in place) the pickling costs more than the work it spreads (docs/PERFORMANCE.md)
AUTO_MIN_WORKBOOKS = 8


def auto_workers() -> int:
    """The processors this process may run on, at most :data:`AUTO_MAX_WORKERS`."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # (not on every platform)
        n = os.cpu_count() or 1
    return max(1, min(n, AUTO_MAX_WORKERS))


def _workers(jobs: Jobs, count: int) -> int:
    """Worker processes for ``count`` workbooks' reads or writes: ``jobs`` as given (1: none),
    or for ``"auto"`` :func:`auto_workers` when ``count`` is at least
    :data:`AUTO_MIN_WORKBOOKS`, else none."""
    if jobs == "auto":
        return auto_workers() if count >= AUTO_MIN_WORKBOOKS else 1
    return max(1, jobs)


@dataclass
class FileReport:
    path: Path
    role: str  # "kommun" or "nämnd"
    status: str  # written, unchanged, skipped, error, refused, validated, input-errors
    findings: list[Finding] = field(default_factory=list)
    backup: Path | None = None
    #: output cells this run changed: (sheet, cell, old value, new value), from the writer; the
    #: first :data:`MAX_CHANGES` (what the change report lists), the rest counted below
    changes: Sequence[CellChange] = field(default_factory=ChangeLog)
    changes_omitted: int = 0
    #: skipped because it is open in Excel: not written, so the run exits 2 (README contract);
    #: a workbook locked by another refresh is skipped too, but that run writes it
    open_in_excel: bool = False
    #: this run replaced the file (status ``written``, or ``input-errors`` after a write)
    written: bool = False
    #: :func:`fileops.content_digest` of the file as this run's write left it, when the write
    #: went through (written or unchanged) without a finding of its own; else None
    left_as: str | None = None
    #: not written because of what the file is (another municipality workbook, e.g. an archive
    #: copy): a check of the same bytes decides the same, whenever it runs
    settled: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "role": self.role, "status": self.status,
                "findings": count_by_severity(self.findings),
                "backup": str(self.backup) if self.backup else None}


@dataclass
class RefreshReport:
    files: list[FileReport]
    findings: list[Finding]
    outputs: Outputs | None
    #: why the consolidated figures are incomplete (empty: complete); see :class:`Saknas`
    saknas: list[Saknas] = field(default_factory=list)
    #: nothing could be done (no workbook found, no municipality workbook): a usage error, exit 2
    failed: bool = False
    #: the local time (ISO 8601) of the full check whose report this is, when the refresh found
    #: every workbook as that check left them and reused its report (:class:`RunCache`); None
    #: for a full check. Such a report has no ``outputs``: its figures are in ``stored_summary``.
    reused_from: str | None = None
    stored_summary: Summary | None = None
    stored_complete: bool | None = None

    @property
    def complete(self) -> bool:
        """Every committee of the municipality's list read exactly once without input errors,
        and the municipality workbook too (False when nothing could be computed)."""
        if self.stored_complete is not None:
            return self.stored_complete
        return self.outputs is not None and self.outputs.berakning is not None and \
            not self.saknas

    def summary(self) -> Summary | None:
        """The figures the command line prints (None when nothing was computed)."""
        return self.stored_summary if self.reused_from else Summary.of(self.outputs)

    @property
    def exit_code(self) -> int:
        """0 all fine; 1 error findings (files still refreshed where safe); 2 a file could not be
        read or written (also: skipped because it is open in Excel), or nothing to do (no
        workbook, no municipality workbook)."""
        if self.failed or any(f.status in ("error", "refused") or f.open_in_excel
                              for f in self.files):
            return 2
        if any(f.severity is Severity.ERROR for f in self.findings):
            return 1
        return 0

    def as_dict(self) -> dict[str, object]:
        return {"exit_code": self.exit_code, "complete": self.complete,
                "ofullstandig": [s.as_dict() for s in self.saknas],
                "files": [f.as_dict() for f in self.files],
                "findings": [f.as_dict() for f in self.findings]}

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=2,
                                         default=str), encoding="utf-8")


@dataclass(frozen=True)
class Summary:
    """The municipality's figures a refresh prints: årsbidrag and inverkan på likviditeten per
    year column, and what resultatbalansering carries over (None without a balansering)."""

    years: tuple[str, ...]
    arsbidrag: tuple[Decimal, ...]
    inverkan: tuple[Decimal, ...]
    overfors: Decimal | None = None
    ks_andel: Decimal | None = None

    @classmethod
    def of(cls, out: Outputs | None) -> Summary | None:
        if out is None or out.berakning is None:
            return None
        st = out.berakning.statement
        rb = out.balansering
        return cls(tuple(str(y) for y in out.berakning.budget.years), tuple(st["RR.AB"]),
                   tuple(st["FD.INV"]),
                   sum((n.overforing for n in rb.namnder), ZERO) if rb is not None else None,
                   sum((n.ks_andel for n in rb.namnder), ZERO) if rb is not None else None)


def check_paths(paths: Sequence[str | Path], kommun: str | Path | None = None
                ) -> list[FileReport]:
    """A report per given path that does not exist or cannot be read (an unmounted share, a
    typo): the caller stops before anything is read or written."""
    out = []
    given = [(Path(p), "nämnd") for p in paths]
    if kommun is not None:
        given.append((Path(kommun), "kommun"))
    for p, role in given:
        if not p.exists():
            why = "finns inte"
        elif p.is_dir() and not os.access(p, os.R_OK | os.X_OK):
            why = "är en mapp som inte kan läsas"
        elif not p.is_dir() and not os.access(p, os.R_OK):
            why = "kan inte läsas"
        else:
            continue
        out.append(FileReport(p, role, "error", [Finding(
            "IN", Severity.ERROR,
            f"Sökvägen {str(p)!r} {why}. Ingenting lästes eller skrevs. Kontrollera sökvägen "
            "(är den delade mappen ansluten?) och behörigheten och kör igen.",
            location=Location(workbook=p.name))]))
    return out


def dedupe(files: Sequence[Path]) -> tuple[list[Path], list[Finding]]:
    """The same file given twice (a folder and a path in it, or twice by name) is read once; the
    repetition is an error finding that names both forms."""
    seen: dict[Path, Path] = {}
    out: list[Path] = []
    findings: list[Finding] = []
    for f in files:
        try:
            key = f.resolve()
        except OSError:
            key = f.absolute()
        if key in seen:
            findings.append(Finding(
                "IN", Severity.ERROR,
                f"Samma arbetsbok angavs två gånger ({seen[key]} och {f}); den lästes och räknades "
                "en gång. Ange varje arbetsbok eller mapp bara en gång.",
                location=Location(workbook=f.name)))
            continue
        seen[key] = f
        out.append(f)
    return out, findings


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


def _is_kommun(path: Path, cache: RunCache | None = None,
               memo: dict[tuple[str, str], GateReport] | None = None) -> bool:
    """A municipality workbook has the tblCentrala table (checked cheaply via the reader; an
    unreadable file is not one: the loader reports it). The reader opens only a file that
    passes the safety gate (a file it refuses is no municipality workbook: its read as a
    committee's takes the gate's report from ``memo``, :func:`_gated`, and reports it
    refused): the gate is what keeps a zip bomb or an entity attack from every reading, this
    one too (a zip bomb in the workbook part was decompressed whole here, 1 GB, before
    2026-12)."""
    before = version_before_reading(path)
    if before is None:
        return False  # unreadable: the gate and the loader say why
    if cache is not None and cache.gated_parts(path, before.digest) is not None:
        return False  # these bytes were read or written as a committee's (only then is a
        # gate kept: write_owned keeps none for a municipality workbook)
    if _gated(path, cache, before, memo).refused:
        return False
    reader = _reader_if_committee(path)
    if isinstance(reader, WorkbookReader):
        reader.close()
    return reader is False


def _reader_if_committee(path: Path) -> WorkbookReader | Literal[False] | None:
    """The open reader of a workbook that is not a municipality workbook (:func:`_is_kommun`),
    for the loader to read it without opening it again; False for a municipality workbook;
    None when it cannot be opened or checked (the loader opens it itself and reports why)."""
    try:
        reader = open_workbook(path)
    except Exception:  # noqa: BLE001 - unreadable files are reported by the loader
        return None
    try:
        if reader.find_table(S.T.CENTRALA.name) is not None:
            reader.close()
            return False
    except Exception:  # noqa: BLE001 - as _is_kommun: the loader reads it afresh and reports
        reader.close()
        return None
    return reader


def refresh(
    paths: Sequence[str | Path],
    kommun: str | Path | None = None,
    *,
    write: bool = True,
    backups: int = 3,
    progress: Callable[[str], None] | None = None,
    jobs: Jobs = 1,
    cache: RunCache | None = None,
    list_changes: bool = True,
) -> RefreshReport:
    """Refresh the municipality workbook ``kommun`` and the committee workbooks in ``paths``.

    ``jobs`` > 1 reads the committee workbooks, and writes every workbook, in that many worker
    processes (the municipality workbook is read and the engine runs once, in this process);
    results are identical, in the same order. ``jobs="auto"`` (``--jobs auto``) takes
    workers only where they pay (:func:`_workers`): the reads of at least
    :data:`AUTO_MIN_WORKBOOKS` committee workbooks, and the writes when at least as many were
    read anew (not reused from the cache).

    With a ``cache``, a refresh that finds every workbook byte for byte as a full check with
    the same arguments and program left them, when that check's writes went through without a
    finding of their own, reuses its report (as a check of those bytes would give it: nothing
    to write) instead of checking again (:func:`_refresh_reusing`; ``reused_from`` says so); a full
    check reuses a committee workbook's last read when nothing the loader reads has changed
    (:func:`_read_key`), and the safety gate does not parse XML content parsed before.

    ``list_changes``: each file report lists the cells a write changed (up to
    :data:`MAX_CHANGES`, the rest counted in ``changes_omitted``); False when nothing reads
    the list (the command line without ``--report``): every change is only counted."""
    room = MAX_CHANGES if list_changes else 0
    with collector_paused(), cache.run() if cache is not None else contextlib.nullcontext():
        if cache is not None and write:
            return _refresh_reusing(cache, paths, kommun, backups=backups, progress=progress,
                                    jobs=jobs, room=room)
        return _refresh(paths, kommun, write=write, backups=backups, progress=progress, jobs=jobs,
                        cache=cache, room=room)


@dataclass
class _Reusable:
    """What a full check that wrote nothing reported, as a :class:`RunCache` record keeps it."""

    files: list[FileReport]
    findings: list[Finding]
    saknas: list[Saknas]
    summary: Summary | None
    complete: bool

    def report(self, checked_at: str) -> RefreshReport:
        return RefreshReport([replace(f, findings=list(f.findings)) for f in self.files],
                             list(self.findings), None, list(self.saknas),
                             reused_from=checked_at, stored_summary=self.summary,
                             stored_complete=self.complete)


def _run_files(paths: Sequence[str | Path], kommun: str | Path | None) -> list[Path] | None:
    """The workbooks a refresh of ``paths`` would take (None: a path is missing or repeated)."""
    if check_paths(paths, kommun):
        return None
    files, repeated = dedupe(find_workbooks(paths))
    if repeated or not files:
        return None
    if kommun is not None and Path(kommun).resolve() not in {f.resolve() for f in files}:
        files.append(Path(kommun))
    return files


def _refresh_reusing(cache: RunCache, paths: Sequence[str | Path], kommun: str | Path | None,
                     *, backups: int, progress: Callable[[str], None] | None,
                     jobs: Jobs, room: int = MAX_CHANGES) -> RefreshReport:
    """A refresh that reuses the report of the last full check when nothing it depends on has
    changed since (:mod:`workbook_templates.files.run_cache`): the same arguments, the same
    program, the same workbooks found, each with the same bytes, none open in an office program,
    locked by a refresh, a link or read-only. Otherwise the full check, whose outcome is kept
    as what a check of the workbooks as it left them reports (:func:`_left_as_checked`): when
    every write went through without a finding of its own and every workbook is still what the
    run wrote or found unchanged. So the run after a refresh that wrote reuses too."""
    say = progress or (lambda _msg: None)
    key = cache.key(["refresh", f"backups={backups}",
                     f"kommun={os.path.abspath(kommun) if kommun is not None else ''}",
                     *(os.path.abspath(p) for p in paths)])
    files = _run_files(paths, kommun)
    before = run_cache.state(files) if files else None
    if before is not None:
        record = cache.load(key)
        if record is not None and record.state == before and \
                isinstance(record.payload, _Reusable):
            say(f"Ingen arbetsbok har ändrats sedan kontrollen {record.checked_at}")
            return record.payload.report(record.checked_at)
    report = _refresh(paths, kommun, write=True, backups=backups, progress=progress, jobs=jobs,
                      cache=cache, room=room)
    if before is None:
        return report
    after = run_cache.state(files)
    left = _left_as_checked(report, before, after)
    if left is not None and after is not None:
        cache.save(key, Record(after, datetime.now().astimezone().isoformat(timespec="seconds"),
                               _Reusable(left, report.findings, report.saknas,
                                         report.summary(), report.complete)))
    else:
        cache.forget(key)
    return report


def _left_as_checked(report: RefreshReport, before: run_cache.State,
                     after: run_cache.State | None) -> list[FileReport] | None:
    """The file reports a full check of the workbooks as ``report``'s run left them would give,
    when that is known without checking again; else None (the run is not recorded).

    Known when the run read and computed everything (not failed, outputs made), its files are
    the ones found before it, and every write went through without a finding of its own
    (status written, unchanged or input-errors; none open in Excel), and each file is now
    (``after``) byte for byte what that write left: the bytes it wrote and verified, or found
    unchanged. A file skipped for what it is (:attr:`FileReport.settled`: an archive copy of
    the municipality workbook) is not written: it must be as it was before the run. A check
    of those bytes reads the same input (a write replaces only the sheets a refresh writes,
    which the loader never reads), computes the same outputs, and finds each owned sheet
    holding them (the writer's idempotence): each file ``unchanged`` (or ``input-errors``),
    nothing written, no change, no backup, the same findings. A run during
    which anyone else saved a workbook leaves another digest than its write's and is not
    recorded. ``tests/test_run_cache.py`` holds such a report equal to a full check's."""
    if after is None or report.failed or report.outputs is None:
        return None
    now = dict(after.files)
    if set(now) != {p for p, _ in before.files} or \
            {str(r.path.absolute()) for r in report.files} != set(now):
        return None
    left: list[FileReport] = []
    was = dict(before.files)
    for r in report.files:
        if r.settled:  # skipped, never written
            path = str(r.path.absolute())
            if now[path] != was[path]:
                return None
            left.append(replace(r, findings=list(r.findings)))
            continue
        if r.status not in ("written", "unchanged", "input-errors") or r.open_in_excel \
                or r.left_as is None or now[str(r.path.absolute())] != r.left_as:
            return None
        left.append(replace(r, status="unchanged" if r.status == "written" else r.status,
                            findings=list(r.findings), backup=None, changes=ChangeLog(),
                            changes_omitted=0, written=False))
    return left


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No full collections of Python's cyclic garbage collector while a refresh runs.

    A refresh allocates millions of objects that live until it ends (cells, engine inputs and
    results, laid-out rows, findings). CPython's full (oldest-generation) collections scan all of
    them again each time the heap has grown by a quarter: 20 in a city refresh, 0.8 s of its
    4.4 s, collecting 107 objects. The young collections, which free the run's short-lived
    reference cycles (about 17 000 objects), go on as before, and the refresh makes one full
    collection itself before it writes, where its memory peaks (so the peak stays as it was);
    the previous thresholds are restored when the last of the runs under way ends. What the
    loader and the engine leave behind, and what is alive after that full collection, is frozen
    (:func:`engine.gc_pause.freezing_survivors`): the young collections of the writes do not
    scan it again; it is unfrozen when the last run ends."""
    with _PAUSE_LOCK:
        if _PAUSED[0] == 0:
            _PAUSED[1] = gc.get_threshold()
            gc.set_threshold(_PAUSED[1][0], _PAUSED[1][1], 1 << 30)
        _PAUSED[0] += 1
    try:
        with freezing_survivors():
            yield
    finally:
        with _PAUSE_LOCK:
            _PAUSED[0] -= 1
            if _PAUSED[0] == 0:
                gc.set_threshold(*_PAUSED[1])


_PAUSE_LOCK = threading.Lock()
#: [runs under way, the thresholds to restore when the last one ends]
_PAUSED: list = [0, ()]


def _refresh(
    paths: Sequence[str | Path],
    kommun: str | Path | None,
    *,
    write: bool,
    backups: int,
    progress: Callable[[str], None] | None,
    jobs: Jobs,
    cache: RunCache | None = None,
    room: int = MAX_CHANGES,
) -> RefreshReport:
    say = progress or (lambda _msg: None)
    missing = check_paths(paths, kommun)
    if missing:  # nothing is read, nothing is written anywhere
        return RefreshReport(missing, [f for r in missing for f in r.findings], None, failed=True)
    files, all_findings = dedupe(find_workbooks(paths))
    if not files:
        f = Finding("IN", Severity.ERROR, "Ingen arbetsbok (.xlsx, .xlsm) hittades i "
                    f"{', '.join(str(p) for p in paths)}. Ange mappen med arbetsböckerna.")
        return RefreshReport([], [*all_findings, f], None, failed=True)
    kommun_path = Path(kommun) if kommun else None
    gates: dict[tuple[str, str], GateReport] = {}  # this run's gate reports (_gated)
    if kommun_path is None:
        candidates = [f for f in files if _is_kommun(f, cache, gates)]
        if len(candidates) > 1:  # e.g. an archive copy: never guess which one to write
            names = ", ".join(c.name for c in candidates)
            f = Finding("IN", Severity.ERROR,
                        f"Flera kommunarbetsböcker hittades ({names}); ingenting lästes eller "
                        "skrevs. Ange vilken som gäller med --kommun, eller flytta arkivkopior "
                        "ut ur mappen.", location=Location(workbook=candidates[0].name),
                        also=tuple(Location(workbook=c.name) for c in candidates[1:]))
            return RefreshReport([FileReport(c, "kommun", "error", [f]) for c in candidates],
                                 [*all_findings, f], None)
        kommun_path = candidates[0] if candidates else None
    namnd_paths = [f for f in files if kommun_path is None or f.resolve() != kommun_path.resolve()]

    reports: list[FileReport] = []

    def gate(path: Path, role: str) -> bool:
        return _gate(path, role, reports, all_findings, None, version_before_reading(path),
                     gates)

    if kommun_path is None and not write:
        return _validate_committees(namnd_paths, gate, reports, all_findings)
    if kommun_path is None:
        f = Finding("IN", Severity.ERROR, "Ingen kommunarbetsbok angavs eller hittades (den med "
                    "tabellen tblCentrala); ange den med --kommun.")
        return RefreshReport([], [*all_findings, f], None, failed=True)

    run = read_and_compute(kommun_path, namnd_paths, findings=all_findings, reports=reports,
                           jobs=jobs, say=say, cache=cache, gates=gates)
    if run is None:
        return RefreshReport(reports, all_findings, None)
    k, out = run.kommun, run.outputs
    gc.collect()  # one full collection before the writes, where the peak is (collector_paused)
    freeze_now()  # what lives on to the writes is not scanned again by their young collections

    if not write:
        reports.append(FileReport(kommun_path, "kommun", "validated"))
        reports.extend(FileReport(n.path, "nämnd", "validated")
                       for n in [*run.namnder, *run.apart])
        return _finish(RefreshReport(reports, all_findings, out, out.saknas))

    # the municipality workbook first (its report first); with jobs > 1 it is written in a
    # worker beside the committees' workbooks (it is the largest write)
    # without a cache, what this run's gates parsed well-formed (the parts a write copies)
    # need not be parsed again by the verification's gate (with one, the cache knows it)
    known = None if cache is not None else parsed_in(gates)
    tasks = [(kommun_path, "kommun", out.kommun_sheets, backups, k.findings,
              run.versions.get(kommun_path), cache, room, known),
             *((*args, cache, room, known) for args in run.committee_writes(backups))]
    workers = _workers(jobs, run.read_anew)
    announce = lambda a: say(f"Skriver {a[0].name}")  # noqa: E731
    if workers > 1 and len(tasks) > 1:
        for report, learnt in _map(_write_in_worker, tasks, workers, announce):
            reports.append(report)
            if cache is not None:
                cache.add(learnt)
    else:
        reports.extend(_map(_write_committee, tasks, 1, announce))
    for r in reports:
        if r.status in ("skipped", "error"):
            all_findings.extend(f for f in r.findings if f not in all_findings)
    return _finish(RefreshReport(reports, all_findings, out, out.saknas))


def _gated(path: Path, cache: RunCache | None, before: ReadVersion | None = None,
           memo: dict[tuple[str, str], GateReport] | None = None) -> GateReport:
    """The safety gate's report on ``path``; with a ``cache``, XML content it parsed
    well-formed before is not parsed again (every other check runs), and what it parses now is
    remembered. ``memo``: one run's reports by (absolute path, content digest of the bytes
    gated), with ``before`` the file's version just before (:func:`version_before_reading`):
    the detection of the municipality workbook gates each file, and the file's read takes
    that report when the file is still those bytes (one gate per file and run)."""
    at = (str(path.absolute()), before.digest) if before is not None and memo is not None \
        else None
    if at is not None and at in memo:  # type: ignore[operator]
        return memo[at]  # type: ignore[index]
    if cache is None:
        gate = inspect_workbook(path)
    else:
        gate = inspect_workbook(path, known_wellformed=cache.wellformed())
        cache.remember_wellformed(gate.wellformed)
    if at is not None:
        memo[at] = gate  # type: ignore[index]
    return gate


def parsed_in(gates: Mapping[tuple[str, str], GateReport]) -> frozenset[str]:
    """The XML content (blake2b) that the gate reports ``gates`` (one run's, :func:`_gated`)
    parsed well-formed: what the verification of a write in that run need not parse again
    when there is no cache to know it (``write_owned(known_wellformed=...)``)."""
    return frozenset(d for g in gates.values() for d in g.wellformed)


def _gate(path: Path, role: str, reports: list[FileReport], findings: list[Finding],
          cache: RunCache | None = None, before: ReadVersion | None = None,
          memo: dict[tuple[str, str], GateReport] | None = None) -> bool:
    """The safety gate on one file (:func:`_gated`): its findings kept; False (and a
    ``refused`` report) when it refuses the file."""
    found = list(_gated(path, cache, before, memo).findings)
    findings.extend(found)
    if has_errors(found):
        reports.append(FileReport(path, role, "refused", found))
        return False
    return True


@dataclass
class Run:
    """What a refresh read and computed, before anything is written: the batch refresh and the
    buttons share it (:func:`read_and_compute`); only writing differs."""

    kommun: KommunInput
    #: the committees counted in the consolidation
    namnder: list[NamndInput]
    #: committee workbooks read but not counted (one committee in two workbooks, a committee
    #: not in the municipality's list, a task named in two committees): their Kontroll sheet
    #: is written with the reason
    apart: list[NamndInput]
    #: every finding of the run so far, in order (the caller's list, extended)
    findings: list[Finding]
    outputs: Outputs
    #: each workbook file read: the version read (its write must find that version,
    #: :func:`write_owned`); a workbook read live in Excel has none
    versions: dict[Path, ReadVersion] = field(default_factory=dict)
    #: how many committee workbooks were read anew (not reused from the run cache)
    read_anew: int = 0

    def committee_writes(self, backups: int, only: NamndInput | None = None) -> list[tuple]:
        """``write_owned`` arguments for the committee workbooks (``only``: that one): every
        workbook read, counted or set apart, gets its Kontroll sheet; its other owned sheets
        only when its own input has no errors."""
        written = [*self.namnder, *self.apart]
        kontroll = _kontroll_rows(self.findings, written, self.kommun.projekt)
        return [(n.path, "nämnd", _committee_sheets(n, self.outputs, kontroll), backups,
                 n.findings, self.versions.get(n.path))
                for n in written if only is None or n is only]


def read_and_compute(kommun: Path | TableSource,
                     committees: Sequence[Path | TableSource]
                     | Callable[[KommunInput], Sequence[Path | TableSource]], *,
                     findings: list[Finding], reports: list[FileReport], jobs: Jobs = 1,
                     say: Callable[[str], None] = lambda _msg: None,
                     cache: RunCache | None = None,
                     gates: dict[tuple[str, str], GateReport] | None = None) -> Run | None:
    """Read the municipality workbook and the committee workbooks, choose the committees that
    count, and compute every output: the one reading of a refresh, for the batch command and the
    buttons alike. A workbook is a file (safety gate, then the loader; read in ``jobs`` worker
    processes) or a source already open (the workbook a button was pressed in, read live).

    ``committees`` may be a function of the municipality's input (its settings name the folder
    of the committee workbooks). ``findings`` and ``reports`` are extended in place (a file refused or not read is a report
    of its own). None when the municipality workbook cannot be read. The municipality's Kontroll
    sheet holds every finding of the reading too: a committee workbook that was refused or could
    not be read, one set apart, an archive copy of the municipality workbook skipped.
    ``gates``: the run's gate reports so far (:func:`_gated`), e.g. of the search for the
    municipality workbook: a file still the bytes it gated is not gated again."""
    saknas: list[Saknas] = []
    versions: dict[Path, ReadVersion] = {}
    path = kommun if isinstance(kommun, Path) else kommun.path
    say(f"Läser {path.name}")
    before = None
    if isinstance(kommun, Path):
        before = version_before_reading(kommun)
        if not _gate(kommun, "kommun", reports, findings, cache, before, gates):
            return None
    k = read_kommun(kommun)
    _name_workbook(k.findings, path)
    findings.extend(k.findings)
    if not k.readable:
        reports.append(FileReport(path, "kommun", "error", k.findings))
        return None
    if isinstance(kommun, Path):
        if still_as_read(kommun, before) is None:
            f = _changed_while_read(kommun)
            findings.append(f)
            reports.append(FileReport(kommun, "kommun", "error", [f]))
            return None
        versions[kommun] = before

    if callable(committees):
        committees = committees(k)
    files = [p for p in committees if isinstance(p, Path)]
    # in worker processes, each read comes back packed (read_record: its amounts as one text,
    # a fraction of the pickling both ends would do on it as it is); a read reused from the
    # cache comes back as its record, unpacked here only
    workers = _workers(jobs, len(files))
    reader = _read_committee_packed if workers > 1 and len(files) > 1 else _read_committee
    # the gate reports of the search for the municipality workbook along (to a worker, the
    # file's own only)
    tasks = [(p, k.kolumner, cache, _own_gates(gates, p)) if workers > 1
             else (p, k.kolumner, cache, False, gates) for p in files]
    read = iter(_map(reader, tasks, workers,
                     lambda a: say(f"Läser {a[0].name}")))
    namnder: list[NamndInput] = []
    read_anew = 0
    for src in committees:
        if isinstance(src, Path):
            p, found, n, version, reused, *learnt = next(read)
            if learnt and cache is not None:  # (a worker's)
                cache.add(learnt[0])
            if n is not None and type(n) is not NamndInput:  # (packed by a worker)
                n = read_record.unpack(n)
                if n is None and not reused:
                    raise RuntimeError(f"{p.name}: a worker's read could not be unpacked")
            if reused and (n is None or n.path != p):  # a record not of this read after all
                p, found, n, version, reused = _read_committee((p, k.kolumner))  # read it
            read_anew += not reused
            if n is not None and n.readable and version is None:
                changed = _changed_while_read(p)
                findings.extend(found)
                findings.append(changed)
                reports.append(FileReport(p, "nämnd", "error", [changed]))
                saknas.append(Saknas.of(None, changed))
                continue
            if version is not None:
                versions[p] = version
        else:  # the open workbook: no gate (it is not read from its file)
            say(f"Läser {src.path.name}")
            p, found, n = src.path, [], read_namnd(src, k.kolumner)
            _name_workbook(n.findings, p)
        findings.extend(found)
        if n is None and not has_errors(found):  # another municipality workbook: not ours
            reports.append(FileReport(p, "kommun", "skipped", found, settled=True))
            continue
        if n is None:
            reports.append(FileReport(p, "nämnd", "refused", found))
            saknas.extend(Saknas.of(None, x) for x in found if x.severity is Severity.ERROR)
            continue
        if n.readable:  # its Bokfört utfall counts for the follow-up year only
            n = bokfort_for_year(n, k.bokslutsar)
            # its own Bokslutsår and Kommun: the municipality's apply, a disagreement is said
            kommun_namn = k.installningar.get("kommun")
            n = against_kommun(n, str(kommun_namn) if kommun_namn is not None else "",
                               k.bokslutsar)
        findings.extend(n.findings)
        if not n.readable:
            reports.append(FileReport(p, "nämnd", "error", n.findings))
            saknas.extend(Saknas.of(None, x) for x in n.findings
                          if x.severity is Severity.ERROR)
            continue
        namnder.append(n)
    namnder, apart = one_per_committee(k, namnder, findings, saknas)

    say("Beräknar")
    out = compute_outputs(k, namnder, saknas)
    findings.extend(out.findings)
    _kontroll_of_the_run(out, k, namnder, findings)
    return Run(k, namnder, apart, findings, out, versions, read_anew)


#: The sheets a refresh writes: what a refresh computes does not depend on them, so another
#: refresh writing them meanwhile (two runs at once) changes nothing it read. (Bokfört utfall is
#: written by import-utfall and read by a refresh: a change there is a change.)
REFRESH_SHEETS = frozenset(s for s in (*S.KOMMUN_OUTPUTS, *S.NAMND_OUTPUTS)
                           if s != S.BOKFORT_SHEET)


def version_before_reading(path: Path) -> ReadVersion | None:
    """The version of ``path`` as a refresh starts reading it (:func:`still_as_read` after)."""
    return file_version(path, REFRESH_SHEETS)


def still_as_read(path: Path, before: ReadVersion | None) -> ReadVersion | None:
    """``before`` when the file is still that version after it was read, or differs only in
    the sheets a refresh writes; None when it changed (what was read may mix two versions)."""
    if before is None:
        return None
    data = read_bounded(path)
    if data is None:
        return None
    if content_digest(data) == before.digest or not changed_beyond(
            data, before, before.may_change, absent_ok=True):
        return before
    return None


def _changed_while_read(path: Path) -> Finding:
    return Finding("IN", Severity.ERROR,
                   f"{path.name} ändrades medan den lästes (den sparades under uppdateringen) "
                   "och räknades inte med. Kör uppdateringen igen.",
                   location=Location(workbook=path.name))


def _kontroll_of_the_run(out: Outputs, k: KommunInput, namnder: Sequence[NamndInput],
                         findings: Sequence[Finding]) -> None:
    """The municipality's Kontroll: what :func:`compute_outputs` lists (its own, the counted
    committees' and the computed findings), then every other finding of the reading (before
    2026-12 a refused or unreadable committee workbook, one set apart, or a skipped archive copy
    was missing from it: only the batch report named them)."""
    from workbook_templates.pipeline.outputs import findings_rows

    if "Kontroll" not in out.kommun_sheets:
        return
    listed = kontroll_findings(k, namnder, out, findings)
    if len(listed) > len(k.findings) + sum(len(n.findings) for n in namnder) + len(out.findings):
        out.kommun_sheets["Kontroll"] = findings_rows(listed)


def kontroll_findings(k: KommunInput, namnder: Sequence[NamndInput], out: Outputs,
                      findings: Sequence[Finding], later: Sequence[Finding] = ()
                      ) -> list[Finding]:
    """The findings of the municipality's Kontroll sheet, in its order (``later``: found after
    the reading, e.g. while writing the committee workbooks before the municipality's)."""
    listed = [*k.findings, *(f for n in namnder for f in n.findings), *out.findings]
    seen = set(listed)
    rest = [f for f in dict.fromkeys([*findings, *later]) if f not in seen]
    return [*listed, *rest]


def one_per_committee(k: KommunInput, namnder: list[NamndInput], findings: list[Finding],
                       saknas: list[Saknas]) -> tuple[list[NamndInput], list[NamndInput]]:
    """The committees that take part in the consolidation, and those set apart: one committee
    in two workbooks (a "- Kopia" in the folder) counts in neither, and a workbook whose
    committee is not in the municipality's list (tblNamnder, when it is filled in) does not
    count. Each is an error finding naming the workbooks."""
    by_name: dict[str, list[NamndInput]] = {}
    for n in namnder:
        by_name.setdefault(n.namnd.casefold(), []).append(n)
    listed = {x.namn.casefold() for x in k.namnder}
    keep: list[NamndInput] = []
    apart: list[NamndInput] = []
    for group in by_name.values():
        first = group[0]
        if len(group) > 1:
            names = " och ".join(repr(n.path.name) for n in group)
            f = Finding("IN", Severity.ERROR,
                        f"Nämnden {first.namnd!r} finns i flera arbetsböcker ({names}); ingen av "
                        "dem räknades med, så att inget räknas två gånger. Flytta kopian ut ur "
                        "mappen (eller rätta nämndens namn under Inställningar) och uppdatera "
                        "igen.", object=first.namnd,
                        location=first.plats_namnd or Location(workbook=first.path.name),
                        also=tuple(n.plats_namnd or Location(workbook=n.path.name)
                                   for n in group[1:]))
            findings.append(f)
            saknas.append(Saknas(first.namnd, ", ".join(n.path.name for n in group),
                                 f.location.sheet if f.location else None,
                                 f.location.cell if f.location else None,
                                 "nämnden finns i flera arbetsböcker"))
            for n in group:
                n.findings.append(f)
            apart.extend(group)
        elif listed and first.namnd.casefold() not in listed:
            f = Finding("IN", Severity.ERROR,
                        f"Nämnden {first.namnd!r} ({first.path.name}) finns inte i kommunens "
                        "nämndlista (tabellen tblNamnder i kommunens arbetsbok) och räknades inte "
                        "med. Lägg till nämnden i listan, rätta namnet under Inställningar, eller "
                        "flytta arbetsboken ut ur mappen.", object=first.namnd,
                        location=first.plats_namnd or Location(workbook=first.path.name))
            findings.append(f)
            first.findings.append(f)
            apart.append(first)
        else:
            keep.append(first)
    if not listed:  # nothing to tell a missing committee workbook by
        counted = sorted(n.namnd for n in keep)
        shown = ", ".join(counted[:12]) + (f" och {len(counted) - 12} till"
                                           if len(counted) > 12 else "")
        findings.append(Finding(
            "IN", Severity.WARNING,
            "Kommunens nämndlista (tabellen tblNamnder) är tom, så kommunbudget kan inte se om "
            "en nämnds arbetsbok saknas i mappen: sammanställningen räknar bara de nämnder vars "
            f"arbetsböcker hittades ({len(counted)}: {shown or 'inga'}). Fyll i kommunens "
            "nämnder i listan.", location=Location(workbook=k.path.name,
                                                   sheet=S.T.NAMNDER.sheet,
                                                   table=S.T.NAMNDER.name)))
    return one_committee_per_task(keep, apart, findings, saknas)


def one_committee_per_task(keep: list[NamndInput], apart: list[NamndInput],
                            findings: list[Finding], saknas: list[Saknas]
                            ) -> tuple[list[NamndInput], list[NamndInput]]:
    """A task (uppgift) is one binding item of the council's budget, named once in the whole
    municipality: the engine keys every task's statement, binding items, outturn and budget
    changes by its name. A task name in two committees' workbooks would mix their figures up, so
    neither committee counts (an error finding in each, naming the other): as for one committee
    in two workbooks, the consolidation is marked incomplete rather than silently wrong."""
    owners: dict[str, list[NamndInput]] = {}
    for n in keep:
        for name in dict.fromkeys(u.namn.casefold() for u in n.uppgifter):
            owners.setdefault(name, []).append(n)
    clashes = {name: group for name, group in owners.items() if len(group) > 1}
    if not clashes:
        return keep, apart
    out: set[int] = set()
    for key, group in clashes.items():
        task = next(u.namn for u in group[0].uppgifter if u.namn.casefold() == key)
        where = " och ".join(f"{n.namnd} ({n.path.name})" for n in group)
        places = [_task_place(n, task) for n in group]
        f = Finding("V1", Severity.ERROR,
                    f"Uppgiften {task!r} finns hos flera nämnder: {where}. Ingen av dem räknades "
                    "med, eftersom uppgiftens belopp, bindande poster och uppföljning annars "
                    "blandas ihop. Ge uppgifterna olika namn (t.ex. "
                    f"'{task} ({group[-1].namnd})') i tblUppgifter, Driftsbudget och Utfall och "
                    "uppdatera igen.", object=task, location=places[0], also=tuple(places[1:]))
        findings.append(f)
        for n, place in zip(group, places, strict=True):
            n.findings.append(f)
            if id(n) not in out:
                out.add(id(n))
                saknas.append(Saknas(n.namnd, n.path.name, place.sheet, place.cell,
                                     f"uppgiften {task!r} finns hos flera nämnder"))
    return [n for n in keep if id(n) not in out], [*apart, *(n for n in keep if id(n) in out)]


def _task_place(n: NamndInput, task: str) -> Location:
    """Where the committee's workbook names ``task`` (its tblUppgifter row), by whole name."""
    for name, loc in n.plats.items():
        if name.casefold() == task.casefold():
            return loc if loc.workbook else replace(loc, workbook=n.path.name)
    return n.plats_namnd or Location(workbook=n.path.name)


def _kontroll_rows(findings: list[Finding], namnder: Sequence[NamndInput] = (),
                   projekt: Sequence[Projekt] = ()
                   ) -> Callable[[NamndInput], list[list[object]]]:
    """A committee's Kontroll rows: the findings (each once) that belong to it (its projects'
    among them: ``projekt``), each at its place in the committee's workbook. The findings are
    taken as they are now, deduplicated and matched to ``namnder`` once for all of them."""
    from workbook_templates.pipeline.outputs import CommitteeFindings, findings_rows

    owners = CommitteeFindings(list(dict.fromkeys(findings)), namnder, projekt)

    def rows(n: NamndInput) -> list[list[object]]:
        return findings_rows(owners.kontroll(n))
    return rows


def _committee_sheets(n: NamndInput, out: Outputs,
                      kontroll: Callable[[NamndInput], list[list[object]]]
                      ) -> dict[str, list[list[object]]]:
    """A committee's owned sheets to write: its Kontroll sheet always (its current findings,
    also when its input has errors); its other sheets when its input is clean and it counts.
    Else its Resultat holds one "Ofullständig" row and nothing else: before 2026-12 it kept
    the figures of an earlier refresh, unmarked beside today's Kontroll (found by comparing
    the sheets through LibreOffice), and an old figure is as plausible as a wrong one."""
    sheets = {"Kontroll": kontroll(n)}
    errors = any(f.severity is Severity.ERROR for f in n.findings)
    if not errors and n.namnd in out.namnd_sheets:
        return {**out.namnd_sheets[n.namnd], **sheets}
    why = ("arbetsboken har fel (se fliken Kontroll)" if errors else
           "arbetsboken räknades inte med i sammanställningen (se fliken Kontroll)")
    sheets["Resultat"] = [[f"{INCOMPLETE} – inget resultat: {why}. Resultatet visas igen när "
                           "felet är rättat och uppdateringen har körts."]]
    return sheets


def _finish(report: RefreshReport) -> RefreshReport:
    """Per-file findings: every finding that names the file (counts in the JSON report)."""
    by_workbook: dict[str, list[Finding]] = {}  # in the report's order; each name once per finding
    for f in report.findings:
        for name in f.workbooks:
            by_workbook.setdefault(name, []).append(f)
    for r in report.files:
        if r.status in ("refused", "error") and r.findings:
            continue
        mine = by_workbook.get(r.path.name, [])
        r.findings = list(dict.fromkeys([*mine, *r.findings]))
    return report


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


def _read_committee(args: tuple
                    ) -> tuple[Path, list[Finding], object, ReadVersion | None, bool]:
    """Gate and read one committee workbook (a worker-process task with ``jobs`` > 1), with the
    version read (None when the file changed while it was read: then what was read may mix two
    versions) and whether the read was reused from the cache. ``args``: the path, the
    municipality's year columns and, optionally, the :class:`RunCache` whose record of the
    workbook's last read is reused when nothing it was read from has changed
    (:func:`_read_key`) and whether a reused read is returned as its record (packed, as
    :func:`_read_committee_packed` returns every read; the caller unpacks it and checks its
    path)."""
    path, kolumner = args[0], args[1]
    cache = args[2] if len(args) > 2 else None
    packed = bool(args[3]) if len(args) > 3 else False
    memo = args[4] if len(args) > 4 else None
    before = version_before_reading(path)
    if cache is not None and before is not None:
        # these very bytes gated before, and nothing found: their kept read is reused without
        # gating them again, as the gate would find what it found then (the file is not read
        # here; when there is no kept read, the gate runs before anything reads the file)
        parts = cache.gated_parts(path, before.digest)
        if parts is not None:
            kept = _kept_read(cache, path, _read_key_of(path, kolumner, parts), packed)
            if kept is not None:
                return path, [], kept, still_as_read(path, before), True
    gate = _gated(path, cache, before, memo)
    found = list(gate.findings)
    if any(f.severity is Severity.ERROR for f in found):
        return path, found, None, None, False
    parts = _parts_key(path, gate, before) if cache is not None else None
    key = _read_key_of(path, kolumner, parts) if parts is not None else None
    if key is not None:
        kept = _kept_read(cache, path, key, packed)
        if kept is not None:
            version = still_as_read(path, before)
            _remember_gated(cache, path, gate, before, version, parts)
            return path, found, kept, version, True
    reader = _reader_if_committee(path)
    if reader is False:  # e.g. an archive copy of kommun.xlsx in the folder: never written
        return path, [*found, Finding(
            "IN", Severity.WARNING,
            f"{path.name} är en kommunarbetsbok (den har tabellen tblCentrala), inte en nämnds; "
            "den lästes inte och skrevs inte. Flytta arkivkopior ut ur mappen.",
            location=Location(workbook=path.name))], None, None, False
    n = read_namnd(path if reader is None else reader, kolumner)
    _name_workbook(n.findings, path)
    version = still_as_read(path, before)
    if key is not None and version is not None and n.readable:
        if cache.save_read(path, key, read_record.pack(n)):  # type: ignore[union-attr]
            _remember_gated(cache, path, gate, before, version, parts)
    return path, found, n, version, False


def _kept_read(cache: RunCache, path: Path, key: str, packed: bool) -> object | None:
    """The read of ``path`` kept under ``key`` (None: none): as its record in a worker
    (``packed``: the parent unpacks it), else unpacked, and only when it is ``path``'s."""
    if packed:
        return cache.load_read(path, key)
    # unpickling makes tens of thousands of objects that live to the run's end: no collections
    # meanwhile (and frozen after it, as a read is)
    n = without_gc_pauses(_load_read)(cache, path, key)
    return n if n is not None and n.path == path else None


def _remember_gated(cache: RunCache | None, path: Path, gate: GateReport,
                    before: ReadVersion | None, version: ReadVersion | None,
                    parts: str | None) -> None:
    """Tell ``cache`` that the bytes of ``before`` passed the gate with nothing found and what
    their parts key is (:func:`_parts_key`: the gate decompressed every entry of ``before``'s
    package whole), when that is so: the gate found nothing at all (a warning would have to be
    said again) and the file is still the very bytes hashed before the gate, after the read
    (``version`` also stands for a file changed since only in the sheets a refresh writes:
    those bytes were not what the gate saw, and the writer reads those sheets)."""
    if cache is None or before is None or version is None or parts is None or gate.findings:
        return
    if file_digest(path) == before.digest:
        cache.remember_gated(path, before.digest, parts)


def _own_gates(gates: dict[tuple[str, str], GateReport] | None, path: Path
               ) -> dict[tuple[str, str], GateReport] | None:
    """The reports in ``gates`` of ``path`` (what a worker that reads it needs of them)."""
    if not gates:
        return None
    at = str(path.absolute())
    return {k: v for k, v in gates.items() if k[0] == at} or None


def read_committee(path: Path, kolumner: Sequence[Kolumn]) -> NamndInput | None:
    """One committee workbook gated and read as a refresh reads it (None: refused by the
    gate, or not a committee workbook); for a committee workbook's button computed alone,
    which looks for copies of itself in its folder."""
    n = _read_committee((path, kolumner))[2]
    return n if isinstance(n, NamndInput) else None


def _read_committee_packed(args: tuple) -> tuple[Path, list[Finding], object,
                                                 ReadVersion | None, bool, dict]:
    """:func:`_read_committee` in a worker process, its read packed
    (:func:`read_record.pack`) for the way back to the parent, which unpacks it, and what the
    worker's copy of the cache learnt (``RunCache.take_added``), which the parent keeps."""
    path, kolumner, cache, gates = (*args, None, None)[:4]
    path, found, n, version, reused = _read_committee((path, kolumner, cache, True, gates))
    if n is not None and not reused:
        n = read_record.pack(n)  # type: ignore[arg-type]
    return path, found, n, version, reused, cache.take_added() if cache is not None else {}


def _load_read(cache: RunCache, path: Path, key: str) -> NamndInput | None:
    """The read kept under ``key`` for ``path`` (:mod:`~workbook_templates.pipeline.read_record`),
    or None."""
    return read_record.unpack(cache.load_read(path, key))


#: what a committee's read record holds; a record of another layout is never reused
_READ_FORMAT = "NamndInput-3"


def _read_key(path: Path, kolumner: Sequence[Kolumn], gate: GateReport,
              before: ReadVersion | None) -> str | None:
    """The key under which a committee workbook's read is kept: the program, the workbook's
    absolute path, the municipality's year columns, and the content (blake2b, from the safety
    gate) of every part of the workbook except those of the sheets a refresh writes, which the
    loader never reads (``tests/test_read_cache.py`` holds it to that): a refresh's own write
    leaves the key as it was. None when the gate did not check every part whole, or the
    workbook's sheets cannot be told apart: then it is read."""
    parts = _parts_key(path, gate, before)
    return _read_key_of(path, kolumner, parts) if parts is not None else None


def _read_key_of(path: Path, kolumner: Sequence[Kolumn], parts: str) -> str:
    """:func:`_read_key` from its :func:`_parts_key`."""
    return RunCache.key([_READ_FORMAT, run_cache.program_fingerprint(), str(path.absolute()),
                         repr(list(kolumner)), parts])


def _parts_key(path: Path, gate: GateReport, before: ReadVersion | None) -> str | None:
    """The content of the parts a committee's read is keyed on (:func:`_read_key`) as one
    key, or None when they cannot be told."""
    if before is None or not before.entries \
            or not gate.covers([name for name, _, _ in before.entries]):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            structure = workbook_structure(zf)
    except Exception:  # noqa: BLE001 - not told apart: read it (the loader reports why)
        return None
    return _parts_key_of(gate.part_digests, structure)


def _parts_key_of(part_digests: Sequence[tuple[str, str]], structure: WorkbookStructure) -> str:
    """:func:`_parts_key` from every part's digest and the workbook's structure (the same
    bytes'): every part but those of the sheets a refresh writes."""
    owned = set()
    for name in REFRESH_SHEETS:
        info = structure.sheet(name)
        if info is not None and info.part:
            owned.add(info.part)
    return RunCache.key([f"{part}\0{digest}" for part, digest in part_digests
                         if part not in owned])


def _name_workbook(findings: list[Finding], path: Path) -> None:
    """A workbook's own findings located in a sheet or cell get the workbook's file name (so a
    report line reads ``kommun.xlsx Budgetändringar!C6``); changed in place, order kept."""
    for i, f in enumerate(findings):
        loc = f.location
        if loc is not None and not loc.workbook and (loc.sheet or loc.cell or loc.table):
            findings[i] = located(f, replace(loc, workbook=path.name))


def _write_committee(args: tuple) -> FileReport:
    return write_owned(*args)


def _write_in_worker(args: tuple) -> tuple[FileReport, dict]:
    """:func:`_write_committee` in a worker process, with what the worker's copy of the cache
    (``args[6]``) learnt, which the parent keeps."""
    cache = args[6]
    return write_owned(*args), cache.take_added() if cache is not None else {}


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


def _owned_block(rows: list[list[object]]) -> RowBlock:
    """``block(S.OUTPUT_ANCHOR, [[_fits_a_cell(v) for v in row] for row in rows])`` as a
    :class:`RowBlock`: the same cells with the same values in the same order, kept as rows so the
    writer never names a cell (``tests/test_outputs_layout.py`` holds the two equal). A row is
    copied only when it holds a text too long for a cell."""
    out: list[list[object]] = []
    for row in rows:
        for v in row:
            if isinstance(v, str) and len(v) > EXCEL_CELL_CHARS:
                row = [_fits_a_cell(v) for v in row]
                break
        out.append(row)
    return RowBlock(S.OUTPUT_ANCHOR, out)


@without_gc_pauses  # (its allocations: no collections; what survives it is frozen)
def write_owned(path: Path, role: str, sheets: dict[str, list[list[object]]], backups: int,
                findings: list[Finding], read_version: ReadVersion | None = None,
                cache: RunCache | None = None, max_changes: int = MAX_CHANGES,
                known_wellformed: Collection[str] | None = None,
                cells: dict[str, dict[str, object]] | None = None) -> FileReport:
    """Write one workbook's owned sheets (the caller chooses which: a committee whose input has
    errors gets only its Kontroll sheet). Each owned sheet is cleared below its header rows
    (:data:`schema.OUTPUT_CLEAR`), so nothing of an earlier, longer output stays. The status is
    ``input-errors`` when the workbook's own input has errors and the write went through.
    ``read_version``: the version the results were computed from (:attr:`Run.versions`); a
    workbook saved since is not written (``error``, "ändrades efter att den lästes").
    ``cache``: told the content of the parts written, which the verification parsed (the next
    run's safety gate need not parse them again), and the keys of the owned sheets found or
    written holding these outputs; an owned sheet whose key it knows is not rendered and
    compared again (``xlsx_writer.write_cells(known_unchanged=...)``). ``max_changes``: how
    many changed cells the report lists (the rest are counted). ``known_wellformed``, without
    a cache: XML content this run parsed well-formed (:func:`parsed_in`), which the
    verification's gate does not parse again (with a cache, the cache's record is used).

    The cyclic collector is off while it runs (:func:`engine.gc_pause.without_gc_pauses`): a
    write makes hundreds of thousands of short-lived strings and tuples, whose young
    collections scanned the changed-cell lists again and again (city refresh: collector time
    0.12 -> 0.06 s; the cyclic garbage of the writes, about a thousand objects, is collected
    when the run ends). ``cells``: single cells of a sheet written besides its rows, e.g.
    above them (``{"Bokfört utfall": {"C1": 2026}}``: import-utfall's year; None empties one)."""
    updates: dict[str, Mapping[str, object]] = {
        name: _owned_block(rows) for name, rows in sheets.items()}
    for name, extra in (cells or {}).items():
        updates[name] = {**updates[name], **extra}
    clear = {name: [S.OUTPUT_CLEAR] for name in sheets}
    result: WriteResult = write_cells(
        path, updates, clear=clear, owned_sheets=list(sheets), backups=backups,
        max_changes=max_changes, read_version=read_version,
        known_unchanged=cache.unchanged_sheets() if cache is not None else None,
        known_wellformed=cache.wellformed() if cache is not None else known_wellformed)
    if cache is not None:
        cache.remember_wellformed(result.wellformed)
        cache.remember_unchanged_sheets(result.unchanged_keys)
        if role == "nämnd" and result.gated is not None and result.digest is not None:
            # the bytes written passed the gate (the verification's) with nothing found: the
            # next run that finds them reuses their kept read without gating them again, as
            # it does for bytes it read (:func:`_read_committee`); a committee's only: a
            # municipality workbook's record would tell its detection it is a committee's
            cache.remember_gated(path, result.digest,
                                 _parts_key_of(result.gated.part_digests,
                                               result.gated.structure))
    status = result.status.value
    if result.status in (WriteStatus.WRITTEN, WriteStatus.UNCHANGED) and any(
            f.severity is Severity.ERROR for f in findings):
        status = "input-errors"
    fr = FileReport(path, role, status, [*findings, *result.findings], result.backup,
                    result.changes, result.changes_omitted,
                    open_in_excel=result.status is WriteStatus.SKIPPED
                    and bool(excel_owner_files(path)),
                    written=result.status is WriteStatus.WRITTEN,
                    left_as=result.digest if result.ok and not result.findings else None)
    if result.status is WriteStatus.ERROR and not result.findings:
        fr.findings.append(Finding("IN", Severity.ERROR, "Arbetsboken kunde inte skrivas.",
                                   location=Location(workbook=path.name)))
    return fr
