"""The ``kommunbudget`` command.

Subcommands: ``demo`` (the README's main job on the embedded example), ``new``, ``validate``,
``refresh``, ``import-utfall``, ``excel-setup``. Everything a person reads is Swedish
(:mod:`workbook_templates.cli.svenska`); ``--report FILE`` writes the versioned JSON report
(:mod:`workbook_templates.cli.report`, docs/RAPPORT.md).

Exit codes, the same for every command (:data:`EXIT_CODES`): 0 done without error findings;
1 error findings (results still written where safe); 2 a file could not be read or written, or a
usage error (unknown option, a path that does not exist, a folder without workbooks); 3 an
internal error (a bug: one Swedish line on stderr, the traceback in a log file it names);
130 interrupted (Ctrl+C).

Output: results (summary, one line per error finding, the warnings summarised, file statuses)
go to standard output, through the ``kommunbudget`` logger so that ``--log-file`` keeps them
too with time and level; ``--quiet`` leaves only the error lines and the one-line summary,
``--verbose`` adds every warning and info finding and the progress.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import workbook_templates
from addin.excel_kontroll import register as register_excel_kontroll
from addin.excel_setup import register as register_excel_setup
from engine.findings import Finding, Severity, count_by_severity
from engine.money import ZERO
from workbook_templates.cli.report import build_report, write_report
from workbook_templates.cli.svenska import SvenskArgumentParser, antal, status_sv
from workbook_templates.cli.text_report import format_amount
from workbook_templates.pipeline.outputs import banner
from workbook_templates.pipeline.refresh import RefreshReport, RunCache, collector_paused, refresh

# Template generation (openpyxl, and through it numpy) is imported by the commands that make
# workbooks, not at start-up: every `kommunbudget refresh` would pay for it (issue 17).

EXIT_OK, EXIT_FINDINGS, EXIT_FAILURE, EXIT_CRASH = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
#: Folder for the log of an internal error (default: the system's temp folder).
LOG_DIR_ENV = "KOMMUNBUDGET_LOGG"
EXIT_CODES = {
    EXIT_OK: "klart utan fel",
    EXIT_FINDINGS: "kontrollen hittade fel (resultaten skrevs där det var säkert)",
    EXIT_FAILURE: "en fil kunde inte läsas eller skrivas, eller fel i kommandot",
    EXIT_CRASH: "internt fel i kommunbudget (rapportera det och bifoga loggfilen)",
    EXIT_INTERRUPTED: "avbrutet (Ctrl+C)",
}

log = logging.getLogger("kommunbudget")


class _ConsoleFormat(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def _setup_logging(args: argparse.Namespace) -> None:
    """Console at INFO (``--quiet``: WARNING, ``--verbose``: DEBUG); ``--log-file`` at DEBUG
    with time and level. Results go to stdout, except with ``--format json`` (then stdout is
    the JSON and the log goes to stderr)."""
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    log.propagate = False
    quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
    stream = sys.stderr if getattr(args, "format", "text") == "json" else sys.stdout
    console = logging.StreamHandler(stream)
    console.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    console.setFormatter(_ConsoleFormat())
    log.addHandler(console)
    if getattr(args, "log_file", None):
        fh = logging.FileHandler(args.log_file, encoding="utf-8")
        fh.setLevel(logging.DEBUG)
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
        log.addHandler(fh)
    # the logger passes on only what some handler takes: a debug line nobody shows is not
    # made (a city refresh made and dropped about 3 000 of them, one per finding)
    log.setLevel(min(h.level for h in log.handlers))


def _progress(msg: str) -> None:
    log.debug(msg)


def finding_line(f: Finding) -> str:
    """One line per finding: ``workbook!cell regel: message`` (parts that are known)."""
    loc = f.location
    where = ""
    if loc is not None:
        sheet = f"'{loc.sheet}'" if loc.sheet and " " in loc.sheet else loc.sheet
        ref = f"{sheet}!{loc.cell}" if sheet and loc.cell else (sheet or loc.cell or "")
        where = " ".join(x for x in (loc.workbook, ref) if x)
    what = f" {f.object}" if f.object else ""
    year = f" ({f.year})" if f.year is not None else ""
    head = f"{where}: " if where else ""
    return f"{head}{f.rule} {f.severity.svenska}:{what}{year} {f.message}"


def _print_findings(findings: Sequence[Finding]) -> None:
    """Each error on one line (ERROR); warnings summarised by rule (WARNING), each one with
    --verbose (DEBUG); info findings with --verbose."""
    counts = count_by_severity(findings)
    for f in findings:
        if f.severity is Severity.ERROR:
            log.error(finding_line(f))
    if log.isEnabledFor(logging.DEBUG):  # (--verbose, --log-file)
        for f in findings:
            if f.severity is not Severity.ERROR:
                log.debug(finding_line(f))
    warnings = [f for f in findings if f.severity is Severity.WARNING]
    if warnings:
        by_rule = Counter(f.rule for f in warnings)
        rules = ", ".join(f"{r}: {n}" for r, n in sorted(by_rule.items()))
        log.warning(f"{antal(len(warnings), 'varning')} ({rules}); se bladet Kontroll, "
                    "--verbose eller --report.")
    log.warning(f"Kontroll: {antal(counts['error'], 'fel')}, "
                f"{antal(counts['warning'], 'varning')}, {antal(counts['info'], 'info')}")


def _print_files(files: Sequence[object]) -> None:
    for f in files:
        log.info(f"  {status_sv(f.status):18} {f.path}")  # type: ignore[attr-defined]


def _print_summary(report: RefreshReport, columns: list[str] | None = None) -> None:
    """The figures, findings and file statuses; ``columns`` labels the year columns (default:
    the years)."""
    if report.saknas:  # never a provisional figure that looks complete
        log.warning(banner(report.saknas))
    if report.reused_from:  # shown with --quiet too: the nightly log says what was not redone
        log.warning(f"Ingen arbetsbok har ändrats sedan den fullständiga kontrollen "
                    f"{report.reused_from}, som lämnade alla resultat aktuella; dess resultat "
                    "gäller och ingenting skrevs (--no-cache kontrollerar allt igen).")
    summary = report.summary()
    if summary is not None:
        columns = columns or list(summary.years)
        width = max([len(c) for c in columns] or [0])
        log.info(f"{'':28}" + "".join(f"{c:>{max(width, 14) + 2}}" for c in columns))
        for label, row in (("Årsbidrag", summary.arsbidrag),
                           ("Inverkan på likviditeten", summary.inverkan)):
            log.info(f"{label:28}" + "".join(f"{format_amount(v):>{max(width, 14) + 2}}"
                                             for v in row))
    if summary is not None and summary.overfors is not None:
        log.info(f"Resultatbalansering: överförs till nästa års budget "
                 f"{format_amount(summary.overfors)}, kommunstyrelsens andel "
                 f"{format_amount(summary.ks_andel or ZERO)}")
    _print_findings(report.findings)
    _print_files(report.files)


def _refresh_report(command: str, report: RefreshReport, started: datetime) -> dict[str, object]:
    return build_report(command, started, datetime.now().astimezone(), report.exit_code,
                        report.files, report.findings,
                        complete=report.complete,
                        ofullstandig=[s.as_dict() for s in report.saknas],
                        extra={"reused_from": report.reused_from} if command == "refresh"
                        else None)


def _demo(args: argparse.Namespace) -> int:
    """Write the example workbooks, refresh them and print a short summary."""
    from workbook_templates.generate.example import exempelkommun
    from workbook_templates.generate.templates import new_kommun, new_namnd

    ex = exempelkommun()
    out_dir = Path(args.out)
    targets = [out_dir / "kommun.xlsx",
               *(out_dir / f"namnd_{_slug(namnd)}.xlsx" for namnd in ex.namndlista)]
    existing = [t for t in targets if t.exists()]
    if existing and not args.force:
        print(f"{existing[0]} finns redan (och {len(existing) - 1} till); ingenting skrevs. Välj "
              "en annan mapp med --out eller ange --force för att skriva över exempelfilerna.",
              file=sys.stderr)
        return EXIT_FAILURE
    out_dir.mkdir(parents=True, exist_ok=True)
    kommun = new_kommun(targets[0], ex)
    for namnd, target in zip(ex.namndlista, targets[1:], strict=True):
        new_namnd(target, namnd, ex)
    report = refresh([out_dir], kommun, progress=_progress)
    log.info(f"{ex.budget.kommun}: exempelarbetsböckerna i {out_dir.resolve()}")
    _print_summary(report, list(ex.kolumner))
    # the example has error findings on purpose (they show what the checks find)
    return EXIT_FAILURE if report.exit_code == EXIT_FAILURE else EXIT_OK


def _slug(name: str) -> str:
    keep = "".join(ch if ch.isalnum() else "_" for ch in name.casefold())
    return "_".join(part for part in keep.split("_") if part)


def _new(args: argparse.Namespace) -> int:
    from workbook_templates.generate.example import exempelkommun
    from workbook_templates.generate.templates import new_kommun, new_namnd

    ex = exempelkommun() if args.example else None
    path = Path(args.path)
    if path.exists() and not args.force:
        log.error(f"{path} finns redan; välj ett annat namn eller ange --force.")
        return EXIT_FAILURE
    namnder = [n.strip() for n in args.namnd or [] if n.strip()]
    if args.kind == "kommun":
        if ex is not None and namnder:
            log.error("--namnd och --example kan inte användas tillsammans för en kommunarbetsbok "
                      "(exemplet har sina egna nämnder).")
            return EXIT_FAILURE
        new_kommun(path, ex, sprak=args.sprak, namnder=namnder)
    else:
        if len(namnder) > 1:
            log.error("En nämndarbetsbok hör till en nämnd; ange --namnd en gång.")
            return EXIT_FAILURE
        namnd = namnder[0] if namnder else (ex.namndlista[0] if ex else "")
        new_namnd(path, namnd, ex)
    log.info(str(path))
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    started = datetime.now().astimezone()
    report = refresh(args.paths, args.kommun, write=False, progress=_progress)
    # the JSON report only when it is asked for (it reads the installed version, issue 17)
    data = _refresh_report("validate", report, started) \
        if args.report or args.format == "json" else {}
    if args.report:
        write_report(args.report, data)
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        if report.outputs is not None and report.outputs.saknas:
            log.warning(banner(report.outputs.saknas))
        _print_findings(report.findings)
        _print_files(report.files)
    return report.exit_code


def _jobs(text: str) -> int | str:
    """``--jobs``: a whole number from 1, or ``auto``."""
    if text.strip().casefold() == "auto":
        return "auto"
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(
            f"ogiltigt antal: {text!r} (ange ett heltal från 1, eller auto)")
    return n


def _refresh(args: argparse.Namespace) -> int:
    started = datetime.now().astimezone()
    # the collector paused over the refresh and what is made of its results: building the
    # report after the refresh let one full collection scan everything the run had made (about
    # 0.13 s of a city refresh with --report, issue 17)
    with collector_paused():
        report = refresh(args.paths, args.kommun, backups=args.backups, progress=_progress,
                         jobs=args.jobs, cache=None if args.no_cache else RunCache(),
                         list_changes=args.report is not None)  # (only the report lists them)
        if args.report:
            write_report(args.report, _refresh_report("refresh", report, started))
        _print_summary(report)
    return report.exit_code


def _import_utfall(args: argparse.Namespace) -> int:
    try:
        from workbook_templates.files.ledger_io import CsvOptions
        from workbook_templates.pipeline.import_utfall import import_utfall
    except ImportError as e:  # pandas/numpy are the [ledger] extra
        log.error(f"import-utfall behöver paketen i 'kommunbudget[ledger]' ({e.name or e}); "
                  "installera dem med: pip install 'kommunbudget[ledger]'.")
        return EXIT_FAILURE

    started = datetime.now().astimezone()
    for p in (args.export, args.mappning, args.kommun, *(args.namnder or [])):
        if not Path(p).exists():
            log.error(f"Sökvägen {str(p)!r} finns inte. Kontrollera namnet och mappen.")
            return EXIT_FAILURE
    options = CsvOptions(delimiter=args.delimiter, decimal=args.decimal, encoding=args.encoding,
                         thousands=args.tusental)
    result = import_utfall(args.export, args.mappning, args.kommun, args.namnder or None,
                           options=options, backups=args.backups, jobs=args.jobs)
    if result.report is not None:
        for line in result.report.lines():
            log.info(line)
    _print_findings(result.findings)
    _print_files(result.files)
    if args.report:
        r = result.report
        extra = {"import": None if r is None else {
            "reconciled": r.reconciled, "rows_read": r.rows_read,
            "rows_rejected": r.rows_rejected, "rows_mapped": r.rows_mapped,
            "rows_excluded": r.rows_excluded, "rows_unmapped": r.rows_unmapped,
            "total_export_ore": r.total_export_ore, "total_mapped_ore": r.total_mapped_ore,
            "total_excluded_ore": r.total_excluded_ore,
            "total_unmapped_ore": r.total_unmapped_ore}}
        write_report(args.report, build_report(
            "import-utfall", started, datetime.now().astimezone(), result.exit_code,
            result.files, result.findings, extra=extra))
    return result.exit_code


def _common(p: argparse.ArgumentParser, *, report: bool = True) -> None:
    """The options every batch command has: output level, log file, JSON report."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("-q", "--quiet", action="store_true",
                   help="skriv bara fel och sammanfattningen (för schemalagda körningar)")
    g.add_argument("-v", "--verbose", action="store_true",
                   help="skriv också varje varning, info och förloppet")
    p.add_argument("--log-file", metavar="FIL",
                   help="skriv också allt till en loggfil, med tid och nivå")
    if report:
        p.add_argument("--report", metavar="FIL",
                       help="skriv en JSON-rapport (se docs/RAPPORT.md i användarguiden)")


def build_parser() -> argparse.ArgumentParser:
    parser = SvenskArgumentParser(
        prog="kommunbudget",
        description="Kommunbudget: budget enligt JHS 199, kontroller av bindande poster och "
                    "resultatbalansering, i Excel-arbetsböcker.",
        epilog="Slutkoder: " + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items()) +
               ". Användarguiden: kommunbudget guide.",
    )
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {workbook_templates.__version__}", help="visa versionen och avsluta")
    sub = parser.add_subparsers(dest="command", required=True, metavar="KOMMANDO",
                                title="kommandon")
    demo = sub.add_parser("demo", help="skriv, uppdatera och sammanfatta exempelarbetsböckerna",
                          description="Skriver exempelkommunens arbetsböcker, uppdaterar dem och "
                                      "skriver en sammanfattning.")
    demo.add_argument("--out", default="out", metavar="MAPP",
                      help="mappen för exempelarbetsböckerna (standard: out)")
    # the summary is the demo's result: --quiet only keeps the progress away (as it always did)
    demo.add_argument("-q", "--quiet", action="store_true", dest="demo_quiet",
                      help="inga förloppsrader")
    demo.add_argument("-v", "--verbose", action="store_true", help="skriv också förloppet")
    demo.add_argument("--log-file", metavar="FIL",
                      help="skriv också allt till en loggfil, med tid och nivå")
    demo.add_argument("--force", action="store_true",
                      help="skriv över befintliga exempelfiler")
    demo.set_defaults(func=_demo)

    new = sub.add_parser("new", help="skapa en tom arbetsbok (mall)",
                         description="Skapar en ny kommun- eller nämndarbetsbok.")
    new.add_argument("kind", choices=("kommun", "namnd"), metavar="{kommun,namnd}",
                     help="kommunens arbetsbok eller en nämnds")
    new.add_argument("path", metavar="FIL", help="den nya arbetsbokens namn (.xlsx)")
    new.add_argument("--namnd", action="append", metavar="NAMN",
                     help="nämndens namn (nämndarbetsbok); för en kommunarbetsbok: en nämnd i "
                          "listan, ange flaggan en gång per nämnd")
    new.add_argument("--example", action="store_true", help="fyll i exempelkommunens uppgifter")
    new.add_argument("--språk", "--sprak", dest="sprak", choices=("sv", "fi"), default="sv",
                     help="språket i bokslutsbladens rubriker (standard: sv)")
    new.add_argument("--force", action="store_true", help="skriv över en befintlig fil")
    _common(new, report=False)
    new.set_defaults(func=_new)

    val = sub.add_parser("validate", help="kontrollera, skriv ingenting",
                         description="Kontrollerar arbetsböckerna utan att skriva något. En "
                                     "ensam nämndarbetsbok kan kontrolleras utan kommunens.")
    val.add_argument("paths", nargs="+", metavar="SÖKVÄG", help="arbetsböcker eller mappar")
    val.add_argument("--kommun", metavar="FIL",
                     help="kommunens arbetsbok (standard: hittas på tabellen tblCentrala)")
    val.add_argument("--format", choices=("text", "json"), default="text",
                     help="text (standard) eller JSON-rapporten på standard output")
    _common(val)
    val.set_defaults(func=_validate)

    ref = sub.add_parser("refresh", help="läs, beräkna och skriv tillbaka alla arbetsböcker",
                         description="Läser alla arbetsböcker, beräknar och skriver resultaten "
                                     "på de grå bladen.")
    ref.add_argument("paths", nargs="+", metavar="SÖKVÄG", help="arbetsböcker eller mappar")
    ref.add_argument("--kommun", metavar="FIL",
                     help="kommunens arbetsbok (standard: hittas på tabellen tblCentrala)")
    ref.add_argument("--backups", type=int, default=3, metavar="ANTAL",
                     help="säkerhetskopior per arbetsbok (standard: 3)")
    ref.add_argument("--jobs", type=_jobs, default=1, metavar="ANTAL",
                     help="processer för att läsa nämndarbetsböckerna och skriva alla "
                          "arbetsböcker (standard: 1); auto: en per processorkärna, högst 4, "
                          "där det lönar sig (minst 8 arbetsböcker att läsa, eller att skriva "
                          "efter att ha lästs på nytt)")
    ref.add_argument("--no-cache", action="store_true",
                     help="läs och kontrollera allt även när ingen arbetsbok har ändrats sedan "
                          "förra fullständiga kontrollen (standard: dess resultat återanvänds, och "
                          "en nämndarbetsbok som inte har ändrats sedan den lästes läses inte om)")
    _common(ref)
    ref.set_defaults(func=_refresh)

    imp = sub.add_parser("import-utfall", help="utfall från bokföringens export in i "
                         "arbetsböckerna", description="Läser bokföringens export, mappar den "
                         "och skriver bladet Bokfört utfall i arbetsböckerna.")
    imp.add_argument("export", metavar="EXPORT",
                     help="exporten: CSV (valfri avgränsare, decimalkomma) eller xlsx")
    imp.add_argument("--mappning", required=True, metavar="FIL",
                     help="mappning av konton och kostnadsställen (CSV/xlsx)")
    imp.add_argument("--kommun", required=True, metavar="FIL", help="kommunens arbetsbok")
    imp.add_argument("--namnder", nargs="*", metavar="SÖKVÄG",
                     help="nämndarbetsböcker eller mappar (standard: kommunarbetsbokens mapp)")
    imp.add_argument("--delimiter", metavar="TECKEN", help="CSV-avgränsare (standard: hittas)")
    imp.add_argument("--decimal", metavar="TECKEN", help="decimaltecken (standard: hittas)")
    imp.add_argument("--tusental", metavar="TECKEN", choices=[".", ",", " "],
                     help="tusentalsavgränsare i beloppen, t.ex. . i 1.234,50 (standard: mellanslag "
                          "och ' godtas)")
    imp.add_argument("--encoding", metavar="KODNING", help="teckenkodning (standard: hittas)")
    imp.add_argument("--backups", type=int, default=3, metavar="ANTAL",
                     help="säkerhetskopior per arbetsbok (standard: 3)")
    imp.add_argument("--jobs", type=int, default=1, metavar="ANTAL",
                     help="processer för att läsa en stor CSV-export (standard: 1)")
    _common(imp)
    imp.set_defaults(func=_import_utfall)

    guide = sub.add_parser("guide", help="visa var användarguiden finns (eller skriv ut den)",
                           description="Användarguiden följer med paketet.")
    guide.add_argument("--print", action="store_true", dest="print_text",
                       help="skriv ut guiden (Markdown) på standard output")
    guide.set_defaults(func=_guide)

    register_excel_setup(sub)  # excel-setup: buttons into a workbook (addin/excel_setup.py)
    register_excel_kontroll(sub)  # excel-kontroll: workbook VBA vs installed xlwings (issue 12)
    return parser


def _guide(args: argparse.Namespace) -> int:
    from kommunbudget_guide import user_guide

    path = user_guide()
    if args.print_text:
        sys.stdout.write(path.read_text(encoding="utf-8"))
    else:
        print(path)
    return EXIT_OK


def _crash_log(args: argparse.Namespace, argv: Sequence[str] | None) -> Path | None:
    """Write the current exception's traceback to a log file; its path, or None if none could
    be written. ``--log-file`` wins where the command has one."""
    given = getattr(args, "log_file", None)
    path = Path(given) if given else Path(os.environ.get(LOG_DIR_ENV) or tempfile.gettempdir()) \
        / f"kommunbudget-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    text = (f"{datetime.now().isoformat(timespec='seconds')} kommunbudget internt fel\n"
            f"argv: {list(sys.argv[:1]) + list(argv if argv is not None else sys.argv[1:])}\n"
            f"{traceback.format_exc()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
    except OSError:
        return None
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help/--version
        return int(exc.code or 0)
    _setup_logging(args)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("Avbrutet. Varje arbetsbok är antingen orörd eller helt uppdaterad.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the top: a bug becomes exit 3 and a log, not a dump
        crash_log = _crash_log(args, argv)
        what = type(exc).__name__
        where = f"detaljer i {crash_log}" if crash_log else "loggfilen kunde inte skrivas"
        print(f"Internt fel i kommunbudget ({what}); {where}. Varje arbetsbok är antingen orörd "
              "eller helt uppdaterad. Rapportera felet och bifoga loggfilen.", file=sys.stderr)
        return EXIT_CRASH


if __name__ == "__main__":
    sys.exit(main())
