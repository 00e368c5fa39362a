"""The workbook buttons (xlwings ``RunPython`` handlers): Kontrollera, Beräkna, Resultatbalansera,
Uppdatera allt.

Each handler is one line of Excel glue — ``book = xw.Book.caller()`` — and then :func:`run`, which
is the batch refresh with a different adapter: the open workbook is read through
:class:`~addin.excel_adapter.ExcelTableSource` and written through
:class:`~addin.excel_adapter.ExcelSink`; everything else (loader, engine, :func:`compute_outputs`,
the file writer for other workbooks) is the batch command's own code. :func:`run_on` is the
adapter-free core; the tests drive it through both adapters (the xlwings double and the files).

What each button writes (only owned sheets, only their values):

=================  =========================================  ==================================
button             municipality workbook                      committee workbook
=================  =========================================  ==================================
Kontrollera        Kontroll                                   Kontroll
Beräkna            statements, ratios, outturn, sammandrag,   Resultat, Kontroll
                   Kontroll
Resultatbalansera  Resultatbalansering, Kontroll              Resultat (its RB part), Kontroll
Uppdatera allt     every owned sheet + every committee        Resultat, Kontroll
                   workbook (as files; open ones skipped)
=================  =========================================  ==================================

The municipality workbook (the one with ``tblCentrala``) reads the committee workbooks as files
from the folder in its setting ``Nämndarbetsböcker`` (default: its own folder; every
``.xlsx``/``.xlsm`` but itself). A committee workbook reads the municipality workbook named by its
setting ``Kommunarbetsbok`` (and, through it, the other committees) so its figures are exactly the
batch refresh's; without that setting it computes what it can alone (default rules), its
Resultat marked "Ofullständig" and its engine checks held back, and says so.

Nothing escapes as a Python traceback: every exception becomes an ``IN`` finding in the Kontroll
sheet and a short message box. A sheet the press cannot write is found before anything is
written, and then no figure is written (:func:`_write`). The status bar shows progress while working.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import xlwings as xw

from addin.excel_adapter import ExcelSink, ExcelTableSource
from engine.findings import Finding, Location, Severity, count_by_severity
from engine.money import D
from engine.svenska import antal
from workbook_templates import schema as S
from workbook_templates.pipeline.loader import (
    KommunInput,
    NamndInput,
    TableSource,
    bokfort_for_year,
    read_kolumner,
    read_namnd,
)
from workbook_templates.pipeline.outputs import (
    CommitteeFindings,
    Outputs,
    Saknas,
    at_own_place,
    compute_outputs,
    findings_rows,
)
from workbook_templates.pipeline.refresh import (
    FileReport,
    Run,
    find_workbooks,
    kontroll_findings,
    one_per_committee,
    parsed_in,
    read_and_compute,
    read_committee,
    write_owned,
)

__all__ = ["ACTIONS", "ButtonResult", "FileSink", "Sink", "berakna", "kontrollera",
           "resultatbalansera", "run", "run_on", "uppdatera_allt"]

ACTIONS = ("kontrollera", "berakna", "resultatbalansera", "uppdatera_allt")
LABELS = {"kontrollera": "Kontrollera", "berakna": "Beräkna",
          "resultatbalansera": "Resultatbalansera", "uppdatera_allt": "Uppdatera allt"}
KOMMUN_SHEETS = {
    "kontrollera": ("Kontroll",),
    "berakna": tuple(s for s in S.KOMMUN_OUTPUTS if s != "Resultatbalansering"),
    "resultatbalansera": ("Resultatbalansering", "Kontroll"),
    "uppdatera_allt": S.KOMMUN_OUTPUTS,
}
NAMND_SHEETS = {
    "kontrollera": ("Kontroll",),
    "berakna": S.NAMND_OUTPUTS,
    "resultatbalansera": S.NAMND_OUTPUTS,
    "uppdatera_allt": S.NAMND_OUTPUTS,
}
SETTING_NAMNDER = "nämndarbetsböcker"
SETTING_KOMMUN = "kommunarbetsbok"

Rows = list[list[object]]


class Sink(Protocol):
    """Where the rows of the owned sheets go: live Excel or a file. ``written``: the sheets
    written so far."""

    written: list[str]

    def check(self, names: Sequence[str]) -> list[Finding]: ...

    def write(self, sheets: dict[str, Rows],
              kontroll: Callable[[list[Finding]], Rows] | None = None) -> list[Finding]: ...


class FileSink:
    """The file adapter: the batch refresh's writer (lossless patch, atomic replace, backups).
    It writes a file whole or not at all (a missing sheet refuses the file), so it has nothing
    to find beforehand, and Kontroll is written with the other sheets."""

    def __init__(self, path: str | Path, role: str = "kommun", backups: int = 3) -> None:
        self.path, self.role, self.backups = Path(path), role, backups
        self.written: list[str] = []

    def check(self, names: Sequence[str]) -> list[Finding]:
        return []

    def write(self, sheets: dict[str, Rows],
              kontroll: Callable[[list[Finding]], Rows] | None = None) -> list[Finding]:
        rows = {**sheets, **({"Kontroll": kontroll([])} if kontroll is not None else {})}
        report = write_owned(self.path, self.role, rows, self.backups, [])
        if report.status in ("written", "unchanged", "input-errors"):
            self.written.extend(rows)
        return list(report.findings)


@dataclass
class ButtonResult:
    action: str
    role: str  # "kommun" or "nämnd"
    sheets: tuple[str, ...] = ()  # owned sheets written in the workbook itself
    files: list[FileReport] = field(default_factory=list)  # committee workbooks written
    findings: list[Finding] = field(default_factory=list)  # everything in the Kontroll sheet
    outputs: Outputs | None = None
    unwritten: tuple[str, ...] = ()  # owned sheets of the button not written (findings say why)
    shown: bool = True  # the findings are on the Kontroll sheet (False: it could not be written)

    @property
    def summary(self) -> str:
        c = count_by_severity(self.findings)
        text = (f"{LABELS[self.action]} klart: {antal(c['error'], 'fel')}, "
                f"{antal(c['warning'], 'varning')}, {antal(c['info'], 'info')}.")
        if self.shown:
            text += " Se fliken Kontroll."
        if self.unwritten:
            text += (f"\nInte skrivna (visar inte denna körnings resultat): "
                     f"{', '.join(self.unwritten)}.")
        if not self.shown:
            text += "\nFliken Kontroll kunde inte skrivas, så fynden står här:\n" + \
                _listed(self.findings)
        if self.files:
            ok = ("written", "unchanged", "input-errors")
            done = sum(f.status in ok for f in self.files)
            errors = [f.path.name for f in self.files if f.status == "input-errors"]
            skipped = [f.path.name for f in self.files if f.status not in ok]
            text += f"\nNämndarbetsböcker uppdaterade: {done} av {len(self.files)}."
            if errors:
                text += (" Med fel i indata (bara fliken Kontroll och en rad 'Ofullständig' på "
                         f"fliken Resultat): {', '.join(errors)}.")
            if skipped:
                text += f" Inte uppdaterade (se Kontroll): {', '.join(skipped)}."
        return text


#: Findings a message box lists when the Kontroll sheet could not be written (the rest counted)
BOX_FINDINGS = 8


def _listed(findings: Sequence[Finding]) -> str:
    """The findings as message-box lines, errors first, the first :data:`BOX_FINDINGS`."""
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    ranked = sorted(findings, key=lambda f: order.get(f.severity, 3))
    word = {Severity.ERROR: "fel", Severity.WARNING: "varning", Severity.INFO: "info"}
    lines = []
    for f in ranked[:BOX_FINDINGS]:
        loc = f.location
        where = " ".join(x for x in (loc.workbook, loc.sheet, loc.cell) if x) if loc else ""
        message = f.message if len(f.message) <= 300 else f.message[:297] + "…"
        lines.append(f"• {f.rule} {word.get(f.severity, '')}"
                     f"{' (' + where + ')' if where else ''}: {message}")
    if len(ranked) > BOX_FINDINGS:
        lines.append(f"… och {len(ranked) - BOX_FINDINGS} till.")
    return "\n".join(lines)


def _in(message: str, workbook: str | None = None, severity: Severity = Severity.ERROR) -> Finding:
    return Finding("IN", severity, message, location=Location(workbook=workbook))


def _settings(src: TableSource) -> dict[str, object]:
    """tblInstallningar as {setting (case-folded): value}; a missing table is the loader's
    finding, so none is added here."""
    t = src.table(S.T.INSTALLNINGAR.name, S.T.INSTALLNINGAR.headers).table
    if t is None or not (t.has("Inställning") and t.has("Värde")):
        return {}
    return {str(r.value("Inställning")).strip().casefold(): r.value("Värde")
            for r in t.rows if r.value("Inställning") is not None}


def _setting_path(value: object, base: Path) -> Path | None:
    text = "" if value is None else str(value).strip().strip('"')
    if not text:
        return None
    p = Path(text).expanduser()
    return p if p.is_absolute() else base / p


def _local_folder(path: Path) -> Path | None:
    """The folder of a workbook, or None when Excel gave no local path (unsaved, or a web URL)."""
    text = str(path)
    if "://" in text or not path.is_absolute():
        return None
    return path.parent


def _committee_paths(folder: Path, exclude: Sequence[Path]) -> list[Path]:
    """Workbooks in ``folder`` except ``exclude`` (matched by path, or by file name when Excel
    gave a web address instead of a local path)."""
    skip = {p.resolve() for p in exclude if _local_folder(p) is not None}
    names = {p.name.casefold() for p in exclude}
    return [p for p in find_workbooks([folder])
            if p.resolve() not in skip and p.name.casefold() not in names]


def _is_kommun(src: TableSource) -> bool:
    """A municipality workbook has tblCentrala (the batch refresh's test too)."""
    return src.table(S.T.CENTRALA.name).table is not None


def run_on(source: TableSource, sink: Sink, action: str, *, backups: int = 3,
           say: Callable[[str], None] = lambda _msg: None) -> ButtonResult:
    """The button ``action`` on the workbook read through ``source`` and written through
    ``sink``. May raise only for programming errors; :func:`run` turns those into findings."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {ACTIONS}")
    say("Läser arbetsboken")
    if _is_kommun(source):
        return _run_kommun(source, sink, action, backups, say)
    return _run_namnd(source, sink, action, say)


def _run_kommun(src: TableSource, sink: Sink, action: str, backups: int,
                say: Callable[[str], None]) -> ButtonResult:
    """The batch refresh's reading and computing (:func:`read_and_compute`) with this workbook
    read live; its owned sheets of ``action`` written through ``sink``, and with Uppdatera allt
    every committee workbook read (counted or set apart) written as the batch writes it."""
    wbname = src.path.name
    findings: list[Finding] = []
    reports: list[FileReport] = []
    settings = _settings(src)
    own_folder = _local_folder(src.path)
    folder = _setting_path(settings.get(SETTING_NAMNDER), own_folder or Path.cwd())
    if folder is None:
        folder = own_folder
    paths: list[Path] = []
    if folder is None:
        findings.append(_in("Nämndarbetsböckerna kunde inte hittas: arbetsboken har ingen "
                            "lokal sökväg (osparad eller öppnad från webben). Spara den i "
                            "mappen med nämndarbetsböckerna, eller ange mappen under "
                            "Inställningar → Nämndarbetsböcker.", wbname, Severity.WARNING))
    elif not folder.is_dir():
        findings.append(_in(f"Mappen för nämndarbetsböcker ({folder}) finns inte; rätta "
                            "inställningen Nämndarbetsböcker.", wbname))
    else:
        paths = _committee_paths(folder, [src.path])
    gates: dict = {}  # this run's gate reports: what they parsed, the writes' gates need not
    run = read_and_compute(src, paths, findings=findings, reports=reports, say=say,
                           gates=gates)
    if run is None:  # the open workbook itself cannot be read: its findings, nothing else
        return _kontroll_only(action, "kommun", sink, findings, say)
    out = run.outputs
    result = ButtonResult(action, "kommun", outputs=out)
    later: list[Finding] = []
    if action == "uppdatera_allt":
        result.files.extend(reports)  # refused, unreadable or skipped: named as not updated
        known = parsed_in(gates)
        for args in run.committee_writes(backups):
            say(f"Skriver {args[0].name}")
            report = write_owned(*args, known_wellformed=known)
            result.files.append(report)
            later.extend(report.findings)
    kontroll = kontroll_findings(run.kommun, run.namnder, out, findings, later)
    sheets = {name: out.kommun_sheets[name] for name in KOMMUN_SHEETS[action]
              if name in out.kommun_sheets and name != "Kontroll"}
    return _write(result, sink, sheets, kontroll, say)


def _write(result: ButtonResult, sink: Sink, sheets: dict[str, Rows], kontroll: list[Finding],
           say: Callable[[str], None]) -> ButtonResult:
    """Write the button's ``sheets`` and, last, Kontroll with ``kontroll`` and whatever the
    write found. The sheets that cannot be written are found first (:meth:`Sink.check`): then
    no figure is written at all, as the batch refuses the whole file, and Kontroll lists why
    (before 2026-12 the other sheets were written, the unwritable one kept its old figures and
    Kontroll, built before the write, never named it). When Kontroll itself cannot be written,
    ``result.shown`` is False and the message box lists the findings."""
    say("Skriver resultaten")
    start = len(sink.written)
    blocked = sink.check([*sheets, "Kontroll"])
    kontroll_blocked = any(f.location is not None and (f.location.sheet or "").casefold()
                           == "kontroll" for f in blocked)
    if blocked:
        head = []
        if sheets:
            stopped = ", ".join(dict.fromkeys(f.location.sheet for f in blocked
                                              if f.location is not None and f.location.sheet))
            head.append(_in(
                f"Inga resultat skrevs, eftersom utdatabladet {stopped} inte kan skrivas (se "
                f"nedan): bladen {', '.join(sheets)} visar en tidigare körnings siffror"
                f"{'' if kontroll_blocked else ' och bara fliken Kontroll uppdaterades'}. "
                "Rätta bladet och kör igen.", _workbook_of(blocked)))
        kontroll[:0] = [*head, *blocked]  # the cause first
        result.unwritten = tuple(sheets)
        sheets = {}
    if kontroll_blocked:
        result.findings, result.shown = kontroll, False
        return result
    found = sink.write(sheets, kontroll=lambda extra: findings_rows([*kontroll, *extra]))
    kontroll.extend(found)
    written = tuple(sink.written[start:])
    result.sheets = written
    result.unwritten = (*result.unwritten, *(n for n in sheets if n not in written))
    result.shown = "Kontroll" in written
    result.findings = kontroll
    return result


def _workbook_of(findings: Sequence[Finding]) -> str | None:
    return next((f.location.workbook for f in findings if f.location is not None), None)


def _kontroll_only(action: str, role: str, sink: Sink, findings: list[Finding],
                   say: Callable[[str], None] = lambda _msg: None) -> ButtonResult:
    return _write(ButtonResult(action, role), sink, {}, list(dict.fromkeys(findings)), say)


def _same_workbook(a: Path, b: Path) -> bool:
    if _local_folder(a) is not None and _local_folder(b) is not None:
        return a.resolve() == b.resolve()
    return a.name.casefold() == b.name.casefold()


def _run_namnd(src: TableSource, sink: Sink, action: str,
               say: Callable[[str], None]) -> ButtonResult:
    """With the setting Kommunarbetsbok: the batch refresh's reading and computing
    (:func:`read_and_compute`) of the municipality workbook and its committee folder, with this
    workbook read live in place of its file; its own owned sheets written through ``sink``
    exactly as the batch writes them (only Kontroll when its input has errors or it is set
    apart). Without the setting: the committee alone, with the default rules (it says so)."""
    wbname = src.path.name
    findings: list[Finding] = []
    reports: list[FileReport] = []
    settings = _settings(src)
    own_folder = _local_folder(src.path)
    kpath = _setting_path(settings.get(SETTING_KOMMUN), own_folder or Path.cwd())
    if kpath is not None and not kpath.is_file():
        findings.append(_in(f"Kommunarbetsboken {kpath} finns inte; rätta inställningen "
                            "Kommunarbetsbok. Nämnden beräknades ensam.", wbname))
    elif kpath is not None:
        def committees(k: KommunInput) -> list[Path | TableSource]:
            folder = _setting_path(k.installningar.get(SETTING_NAMNDER), kpath.parent) \
                or kpath.parent
            paths = _committee_paths(folder, [kpath]) if folder.is_dir() else []
            mine: list[Path | TableSource] = [
                src if _same_workbook(p, src.path) else p for p in paths]
            if src not in mine:  # the open workbook lies outside the committees' folder
                mine.append(src)
            return mine

        own = list(findings)  # this workbook's findings about its settings
        run = read_and_compute(kpath, committees, findings=findings, reports=reports, say=say)
        if run is not None:
            return _write_own(run, src, sink, action, own, say)
        findings.append(_in(f"Kommunarbetsboken {kpath.name} kunde inte läsas (se fynden "
                            "ovan). Nämnden beräknades ensam.", wbname))
    own = [f for f in findings if src.path.name in f.workbooks or not f.workbooks]
    k = _alone(src, settings, own, kpath is None)
    # its Bokfört utfall counts for the follow-up year only (its own Bokslutsår here)
    n = bokfort_for_year(read_namnd(src, k.kolumner), k.bokslutsar)
    why = ("kommunens arbetsbok är inte angiven (inställningen Kommunarbetsbok)" if kpath is None
           else f"kommunens arbetsbok {kpath.name} "
                f"{'finns inte' if not kpath.is_file() else 'kunde inte läsas'}")
    saknas = [Saknas(None, None, None, None, why)]
    found = [*own, *n.findings]
    namnder, apart = [n], []
    copies = _copies_of(n, k, own_folder, say)
    if copies:  # one committee in two workbooks: counted in neither, as the batch does
        namnder, apart = one_per_committee(k, [n, *copies], found, saknas)
        found = [f for f in found  # (the municipality's empty list: no list read here)
                 if f.location is None or f.location.table != S.T.NAMNDER.name]
    run = Run(k, namnder, apart, found, compute_outputs(k, namnder, saknas, alone=True))
    run.findings.extend(f for f in run.outputs.findings  # no committee counted: no year has
                        if namnder or f.location is None  # input, which is not this one's
                        or f.location.table != S.T.AR.name)
    return _write_own(run, src, sink, action, own, say)


def _copies_of(n: NamndInput, k: KommunInput, folder: Path | None,
               say: Callable[[str], None]) -> list[NamndInput]:
    """The other workbooks of the committee ``n`` in ``folder`` (a "- Kopia"), gated and read
    as the batch reads them; a committee computed alone has no municipality workbook to name
    its folder, so its own folder is searched."""
    if folder is None or not folder.is_dir():
        return []
    copies = []
    for p in _committee_paths(folder, [n.path]):
        say(f"Läser {p.name}")
        other = read_committee(p, k.kolumner)
        if other is not None and other.readable and other.namnd.casefold() == n.namnd.casefold():
            copies.append(other)
    return copies


def _write_own(run: Run, src: TableSource, sink: Sink, action: str, extra: list[Finding],
               say: Callable[[str], None]) -> ButtonResult:
    """The open committee workbook's owned sheets of ``action``, as the batch writes them."""
    n = next((x for x in [*run.namnder, *run.apart] if x.path == src.path), None)
    if n is None:  # not read as a committee (e.g. refused): its findings only
        mine = [at_own_place(f, src.path.name) for f in run.findings
                if src.path.name in f.workbooks]
        return _kontroll_only(action, "nämnd", sink, [*mine, *extra], say)
    [(_path, _role, sheets, _backups, _own, _version)] = run.committee_writes(0, only=n)
    kontroll = CommitteeFindings(list(dict.fromkeys(run.findings)),
                                 [*run.namnder, *run.apart], run.kommun.projekt).kontroll(n)
    kontroll.extend(f for f in extra if f not in kontroll)  # e.g. the setting's own findings
    sheets = {name: rows for name, rows in sheets.items()
              if name in NAMND_SHEETS[action] and name != "Kontroll"}
    return _write(ButtonResult(action, "nämnd", outputs=run.outputs), sink, sheets, kontroll, say)


def _alone(src: TableSource, settings: dict[str, object], extra: list[Finding],
           unset: bool) -> KommunInput:
    """A municipality input from the committee workbook alone: its year columns, no central
    items, the default resultatbalansering rules."""
    k = KommunInput(src.path, kommun=str(settings.get("kommun") or ""))
    year = settings.get("bokslutsår")
    try:
        k.bokslutsar = int(D(str(year))) if year not in (None, "") else None
    except (ArithmeticError, ValueError):
        k.bokslutsar = None
    k.kolumner = read_kolumner(src, [])  # the loader reports problems with tblAr itself
    if unset:
        extra.append(_in("Kommunarbetsboken är inte angiven (inställningen Kommunarbetsbok): "
                         "nämnden beräknades ensam, med standardreglerna för "
                         "resultatbalansering och utan kommunens justeringar. Ange sökvägen till "
                         "kommunens arbetsbok för samma siffror som vid den centrala "
                         "uppdateringen.", src.path.name, Severity.INFO))
    return k


# ---------------------------------------------------------------------------------------------
# Excel glue


def _say(app: Any) -> Callable[[str], None]:
    def say(message: str) -> None:
        try:
            app.status_bar = f"Kommunbudget: {message} …"
        except Exception:  # noqa: BLE001 - the status bar is a courtesy, never a failure
            pass
    return say


def run(book: Any, action: str, *, backups: int = 3) -> ButtonResult:
    """The button ``action`` on the live ``book``: status bar while working, a message box at
    the end; any exception becomes an ``IN`` finding in Kontroll and a short message box."""
    app = book.app
    sink = ExcelSink(book)
    try:
        result = run_on(ExcelTableSource(book), sink, action, backups=backups,
                        say=_say(app))
        message = result.summary
    except Exception as err:  # noqa: BLE001 - never a traceback dialog in Excel
        name = Path(str(getattr(book, "fullname", ""))).name or None
        done = [s for s in sink.written if s != "Kontroll"]
        written = (f"Bladen {', '.join(done)} skrevs före felet; de andra visar inte denna "
                   "körnings resultat." if done else "Inga andra resultat skrevs.")
        finding = _in(f"{LABELS.get(action, action)} avbröts av ett oväntat fel "
                      f"({type(err).__name__}: {err}). {written} Rätta det "
                      "som meddelandet pekar på, eller kör 'kommunbudget validate' på filen "
                      "och skicka utskriften till den som förvaltar verktyget.", name)
        result = ButtonResult(action if action in ACTIONS else "kontrollera", "",
                              findings=[finding])
        try:
            again = ExcelSink(book)
            problems = again.write({}, kontroll=lambda _extra: findings_rows([finding]))
            if problems:
                raise RuntimeError(problems[0].message)
            message = f"{finding.message}\n(Fyndet står också på fliken Kontroll.)"
        except Exception:  # noqa: BLE001
            message = finding.message
    try:
        app.status_bar = False  # give the status bar back to Excel
        app.alert(message, title="Kommunbudget")
    except Exception:  # noqa: BLE001
        pass
    return result


def kontrollera() -> None:
    """Button Kontrollera: validate, findings into the Kontroll sheet."""
    book = xw.Book.caller()
    run(book, "kontrollera")


def berakna() -> None:
    """Button Beräkna: statements, ratios, outturn, sammandrag (+ Kontroll)."""
    book = xw.Book.caller()
    run(book, "berakna")


def resultatbalansera() -> None:
    """Button Resultatbalansera: carries, reports, next-year budget additions (+ Kontroll)."""
    book = xw.Book.caller()
    run(book, "resultatbalansera")


def uppdatera_allt() -> None:
    """Button Uppdatera allt: every owned sheet, and (municipality) every committee workbook."""
    book = xw.Book.caller()
    run(book, "uppdatera_allt")

