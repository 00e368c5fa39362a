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
batch refresh's; without that setting it computes what it can alone (default rules) and says so.

Nothing escapes as a Python traceback: every exception becomes an ``IN`` finding in the Kontroll
sheet and a short message box. The status bar shows progress while working.
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
from workbook_templates.files.reader import open_workbook
from workbook_templates.files.safety import check_workbook
from workbook_templates.pipeline.loader import (
    KommunInput,
    NamndInput,
    TableSource,
    read_kolumner,
    read_kommun,
    read_namnd,
)
from workbook_templates.pipeline.outputs import (
    Outputs,
    Saknas,
    belongs_to,
    compute_outputs,
    findings_rows,
)
from workbook_templates.pipeline.refresh import (
    FileReport,
    find_workbooks,
    one_committee_per_task,
    one_per_committee,
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
    """Where the rows of the owned sheets go: live Excel or a file."""

    def write(self, sheets: dict[str, Rows]) -> list[Finding]: ...


class FileSink:
    """The file adapter: the batch refresh's writer (lossless patch, atomic replace, backups)."""

    def __init__(self, path: str | Path, role: str = "kommun", backups: int = 3) -> None:
        self.path, self.role, self.backups = Path(path), role, backups

    def write(self, sheets: dict[str, Rows]) -> list[Finding]:
        report = write_owned(self.path, self.role, sheets, self.backups, [])
        return list(report.findings)


@dataclass
class ButtonResult:
    action: str
    role: str  # "kommun" or "nämnd"
    sheets: tuple[str, ...] = ()  # owned sheets written in the workbook itself
    files: list[FileReport] = field(default_factory=list)  # committee workbooks written
    findings: list[Finding] = field(default_factory=list)  # everything in the Kontroll sheet
    outputs: Outputs | None = None

    @property
    def summary(self) -> str:
        c = count_by_severity(self.findings)
        text = (f"{LABELS[self.action]} klart: {antal(c['error'], 'fel')}, "
                f"{antal(c['warning'], 'varning')}, {antal(c['info'], 'info')}. Se fliken "
                "Kontroll.")
        if self.files:
            done = sum(f.status in ("written", "unchanged") for f in self.files)
            skipped = [f.path.name for f in self.files if f.status not in ("written", "unchanged")]
            text += f"\nNämndarbetsböcker uppdaterade: {done} av {len(self.files)}."
            if skipped:
                text += f" Inte uppdaterade (se Kontroll): {', '.join(skipped)}."
        return text


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


def _read_committees(paths: Sequence[Path], kommun: KommunInput, say: Callable[[str], None],
                     extra: list[Finding], saknas: list[Saknas] | None = None
                     ) -> list[NamndInput]:
    """The batch refresh's reading of committee workbooks: safety gate, then the loader; what
    could not be read goes to ``saknas`` (the consolidation is then marked incomplete)."""
    out: list[NamndInput] = []
    lost = saknas if saknas is not None else []
    for i, p in enumerate(paths, start=1):
        say(f"Läser nämndarbetsbok {i} av {len(paths)}: {p.name}")
        gate = check_workbook(p)
        if any(f.severity is Severity.ERROR for f in gate):
            extra.extend(gate)
            lost.extend(Saknas.of(None, f) for f in gate if f.severity is Severity.ERROR)
            continue
        extra.extend(gate)
        n = read_namnd(p, kommun.kolumner)
        if not n.readable:
            extra.extend(n.findings)
            lost.extend(Saknas.of(None, f) for f in n.findings if f.severity is Severity.ERROR)
            continue
        out.append(n)
    return out


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
    extra: list[Finding] = []
    k = read_kommun(src)
    wbname = src.path.name
    settings = _settings(src)
    own_folder = _local_folder(src.path)
    folder = _setting_path(settings.get(SETTING_NAMNDER), own_folder or Path.cwd())
    if folder is None:
        folder = own_folder
    namnder: list[NamndInput] = []
    saknas: list[Saknas] = []
    if folder is None:
        extra.append(_in("Nämndarbetsböckerna kunde inte hittas: arbetsboken har ingen lokal "
                         "sökväg (osparad eller öppnad från webben). Spara den i mappen med "
                         "nämndarbetsböckerna, eller ange mappen under Inställningar → "
                         "Nämndarbetsböcker.", wbname, Severity.WARNING))
    elif not folder.is_dir():
        extra.append(_in(f"Mappen för nämndarbetsböcker ({folder}) finns inte; rätta "
                         "inställningen Nämndarbetsböcker.", wbname))
    else:
        paths = _committee_paths(folder, [src.path])
        namnder = _read_committees(paths, k, say, extra, saknas)
        # one committee in two workbooks counts in neither; an unlisted one does not count
        namnder, _apart = one_per_committee(k, namnder, extra, saknas)
    say("Beräknar")
    out = compute_outputs(k, namnder, saknas)
    result = ButtonResult(action, "kommun", outputs=out)
    if action == "uppdatera_allt":
        for n in namnder:
            say(f"Skriver {n.path.name}")
            report = write_owned(n.path, "nämnd", out.namnd_sheets.get(n.namnd, {}), backups,
                            [])
            result.files.append(report)
            extra.extend(report.findings)
    findings = [*k.findings, *(f for n in namnder for f in n.findings), *out.findings, *extra]
    sheets = {name: out.kommun_sheets[name] for name in KOMMUN_SHEETS[action]
              if name in out.kommun_sheets}
    sheets["Kontroll"] = findings_rows(findings)
    say("Skriver resultaten")
    findings.extend(sink.write(sheets))
    result.sheets = tuple(sheets)
    result.findings = findings
    return result


def _run_namnd(src: TableSource, sink: Sink, action: str,
               say: Callable[[str], None]) -> ButtonResult:
    extra: list[Finding] = []
    wbname = src.path.name
    settings = _settings(src)
    own_folder = _local_folder(src.path)
    kpath = _setting_path(settings.get(SETTING_KOMMUN), own_folder or Path.cwd())
    k: KommunInput | None = None
    others: list[NamndInput] = []
    if kpath is not None and not kpath.is_file():
        extra.append(_in(f"Kommunarbetsboken {kpath} finns inte; rätta inställningen "
                         "Kommunarbetsbok. Nämnden beräknades ensam.", wbname))
    elif kpath is not None:
        say(f"Läser {kpath.name}")
        gate = check_workbook(kpath)
        extra.extend(gate)
        if not any(f.severity is Severity.ERROR for f in gate):
            k = read_kommun(kpath)
            if not k.readable:
                extra.extend(k.findings)
                k = None
        if k is not None:
            with open_workbook(kpath) as r:
                ksettings = _settings(r)
            folder = _setting_path(ksettings.get(SETTING_NAMNDER), kpath.parent) or kpath.parent
            paths = _committee_paths(folder, [kpath, src.path]) if folder.is_dir() else []
            others = _read_committees(paths, k, say, extra)
    if k is None:
        k = _alone(src, settings, extra, kpath is None)
    n = read_namnd(src, k.kolumner)
    same = [o for o in others if o.namnd.casefold() == n.namnd.casefold()]
    for o in same:
        extra.append(_in(f"{o.path.name} gäller också {n.namnd}; den öppna arbetsboken används i "
                         "stället.", wbname, Severity.INFO))
    namnder = [o for o in others if o not in same] + [n]
    clashes: list[Finding] = []  # a task named as another committee's: neither counts
    namnder, apart = one_committee_per_task(namnder, [], clashes, [])
    extra.extend(f for f in clashes if f not in n.findings)
    say("Beräknar")
    out = compute_outputs(k, namnder)
    mine = out.namnd_sheets.get(n.namnd, {}) if n in namnder else {}
    all_findings = [*k.findings, *(f for x in [*namnder, *(a for a in apart if a is n)]
                                   for f in x.findings), *out.findings]
    findings = [f for f in all_findings if belongs_to(f, n)] + extra
    sheets = {name: mine[name] for name in NAMND_SHEETS[action] if name in mine}
    sheets["Kontroll"] = findings_rows(findings)
    say("Skriver resultaten")
    findings.extend(sink.write(sheets))
    return ButtonResult(action, "nämnd", tuple(sheets), findings=findings, outputs=out)


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
    try:
        result = run_on(ExcelTableSource(book), ExcelSink(book), action, backups=backups,
                        say=_say(app))
        message = result.summary
    except Exception as err:  # noqa: BLE001 - never a traceback dialog in Excel
        name = Path(str(getattr(book, "fullname", ""))).name or None
        finding = _in(f"{LABELS.get(action, action)} avbröts av ett oväntat fel "
                      f"({type(err).__name__}: {err}). Inga andra resultat skrevs. Rätta det "
                      "som meddelandet pekar på, eller kör 'kommunbudget validate' på filen "
                      "och skicka utskriften till den som förvaltar verktyget.", name)
        result = ButtonResult(action if action in ACTIONS else "kontrollera", "",
                              findings=[finding])
        try:
            ExcelSink(book).write({"Kontroll": findings_rows([finding])})
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

