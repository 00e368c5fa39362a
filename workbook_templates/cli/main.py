"""The ``kommunbudget`` command.

Subcommands: ``demo`` (the README's main job on the embedded example), ``new``, ``validate``,
``refresh``.

Exit codes: 0 all done without error findings; 1 some findings of severity error (results still
written where safe); 2 a file could not be read or written, or a usage error; 3 an internal error
(a bug: one Swedish line on stderr, the traceback in a log file it names).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from addin.excel_kontroll import register as register_excel_kontroll
from addin.excel_setup import register as register_excel_setup
from engine.money import ZERO
from workbook_templates.cli.text_report import format_amount, format_findings
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline.outputs import banner
from workbook_templates.pipeline.refresh import RefreshReport, refresh

EXIT_OK, EXIT_FINDINGS, EXIT_FAILURE, EXIT_CRASH = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
#: Folder for the log of an internal error (default: the system's temp folder).
LOG_DIR_ENV = "KOMMUNBUDGET_LOGG"


def _print_summary(report: RefreshReport, columns: list[str]) -> None:
    out = report.outputs
    if out is not None and out.saknas:  # never a provisional figure that looks complete
        print(banner(out.saknas))
    if out is not None and out.berakning is not None:
        st = out.berakning.statement
        width = max(len(c) for c in columns)
        print(f"{'':28}" + "".join(f"{c:>{max(width, 14) + 2}}" for c in columns))
        for code, label in (("RR.AB", "Årsbidrag"), ("FD.INV", "Inverkan på likviditeten")):
            print(f"{label:28}" + "".join(f"{format_amount(v):>{max(width, 14) + 2}}"
                                          for v in st[code]))
    if out is not None and out.balansering is not None:
        rb = out.balansering
        carried = sum((n.overforing for n in rb.namnder), ZERO)
        ks = sum((n.ks_andel for n in rb.namnder), ZERO)
        print(f"Resultatbalansering: överförs till nästa års budget {format_amount(carried)}, "
              f"kommunstyrelsens andel {format_amount(ks)}")
    # nothing computed (a missing path, no municipality workbook): say why right here
    print(format_findings(report.findings, limit=0 if out is not None else 50))
    for f in report.files:
        print(f"  {f.status:10} {f.path}")


def _progress(enabled: bool) -> Callable[[str], None]:
    if not enabled:
        return lambda _msg: None
    tty = sys.stderr.isatty()

    def say(msg: str) -> None:
        if tty:
            print(f"\r\033[K{msg}", end="", file=sys.stderr, flush=True)
        else:
            print(f"{datetime.now():%Y-%m-%d %H:%M:%S} {msg}", file=sys.stderr, flush=True)

    return say


def _demo(args: argparse.Namespace) -> int:
    """Write the example workbooks, refresh them and print a short summary."""
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
    report = refresh([out_dir], kommun, progress=_progress(not args.quiet))
    if sys.stderr.isatty() and not args.quiet:
        print(file=sys.stderr)
    print(f"{ex.budget.kommun}: exempelarbetsböckerna i {out_dir.resolve()}")
    _print_summary(report, list(ex.kolumner))
    # the example has error findings on purpose (they show what the checks find)
    return EXIT_FAILURE if report.exit_code == EXIT_FAILURE else EXIT_OK


def _slug(name: str) -> str:
    keep = "".join(ch if ch.isalnum() else "_" for ch in name.casefold())
    return "_".join(part for part in keep.split("_") if part)


def _new(args: argparse.Namespace) -> int:
    ex = exempelkommun() if args.example else None
    path = Path(args.path)
    if path.exists() and not args.force:
        print(f"{path} finns redan; välj ett annat namn eller ange --force.", file=sys.stderr)
        return EXIT_FAILURE
    if args.kind == "kommun":
        new_kommun(path, ex, sprak=args.sprak)
    else:
        namnd = args.namnd or (ex.namndlista[0] if ex else "")
        new_namnd(path, namnd, ex)
    print(path)
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    report = refresh(args.paths, args.kommun, write=False)
    if args.format == "json":
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        if report.outputs is not None and report.outputs.saknas:
            print(banner(report.outputs.saknas))
        print(format_findings(report.findings, limit=10_000))
    return report.exit_code


def _refresh(args: argparse.Namespace) -> int:
    report = refresh(args.paths, args.kommun, backups=args.backups,
                     progress=_progress(not args.quiet), jobs=args.jobs)
    if sys.stderr.isatty() and not args.quiet:
        print(file=sys.stderr)
    if args.report:
        report.write_json(args.report)
    columns = [str(y) for y in report.outputs.berakning.budget.years] \
        if report.outputs and report.outputs.berakning else []
    _print_summary(report, columns)
    return report.exit_code


def _import_utfall(args: argparse.Namespace) -> int:
    from workbook_templates.files.ledger_io import CsvOptions
    from workbook_templates.pipeline.import_utfall import import_utfall

    options = CsvOptions(delimiter=args.delimiter, decimal=args.decimal, encoding=args.encoding)
    result = import_utfall(args.export, args.mappning, args.kommun, args.namnder or None,
                           options=options, backups=args.backups, jobs=args.jobs)
    if result.report is not None:
        print("\n".join(result.report.lines()))
    print(format_findings(result.findings, limit=50))
    for f in result.files:
        print(f"  {f.status:10} {f.path}")
    return result.exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kommunbudget",
        description="Kommunbudget: statements, binding checks and resultatbalansering.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write, refresh and summarise the example workbooks")
    demo.add_argument("--out", default="out", help="folder for the example workbooks")
    demo.add_argument("--quiet", action="store_true", help="no progress lines")
    demo.add_argument("--force", action="store_true", help="overwrite existing example files")
    demo.set_defaults(func=_demo)

    new = sub.add_parser("new", help="create a workbook template")
    new.add_argument("kind", choices=("kommun", "namnd"))
    new.add_argument("path")
    new.add_argument("--namnd", help="the committee's name (namnd workbooks)")
    new.add_argument("--example", action="store_true", help="fill with the example municipality")
    new.add_argument("--språk", "--sprak", dest="sprak", choices=("sv", "fi"), default="sv",
                     help="labels of the statement sheets")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.set_defaults(func=_new)

    val = sub.add_parser("validate", help="findings only, nothing written")
    val.add_argument("paths", nargs="+", help="workbooks or folders")
    val.add_argument("--kommun", help="the municipality workbook (default: found by its tables)")
    val.add_argument("--format", choices=("text", "json"), default="text")
    val.set_defaults(func=_validate)

    ref = sub.add_parser("refresh", help="read, compute and write back every workbook")
    ref.add_argument("paths", nargs="+", help="workbooks or folders")
    ref.add_argument("--kommun", help="the municipality workbook (default: found by its tables)")
    ref.add_argument("--report", help="write a JSON report of what was done per file")
    ref.add_argument("--backups", type=int, default=3, help="backups kept per workbook")
    ref.add_argument("--quiet", action="store_true", help="no progress lines")
    ref.add_argument("--jobs", type=int, default=1,
                     help="worker processes for reading and writing committee workbooks")
    ref.set_defaults(func=_refresh)

    imp = sub.add_parser("import-utfall", help="outturn from a bookkeeping export into the "
                         "workbooks")
    imp.add_argument("export", help="the export: CSV (any delimiter, decimal comma) or xlsx")
    imp.add_argument("--mappning", required=True, help="account/cost-centre mapping (CSV/xlsx)")
    imp.add_argument("--kommun", required=True, help="the municipality workbook")
    imp.add_argument("--namnder", nargs="*", help="committee workbooks or folders (default: the "
                     "municipality workbook's folder)")
    imp.add_argument("--delimiter", help="CSV delimiter (default: detected)")
    imp.add_argument("--decimal", help="decimal sign (default: detected)")
    imp.add_argument("--encoding", help="file encoding (default: detected)")
    imp.add_argument("--backups", type=int, default=3)
    imp.add_argument("--jobs", type=int, default=1,
                     help="processes for reading a large CSV export (see docs/PERFORMANCE.md)")
    imp.set_defaults(func=_import_utfall)

    register_excel_setup(sub)  # excel-setup: buttons into a workbook (addin/excel_setup.py)
    register_excel_kontroll(sub)  # excel-kontroll: workbook VBA vs installed xlwings (issue 12)
    return parser


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
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("Avbrutet. Varje arbetsbok är antingen orörd eller helt uppdaterad.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the top: a bug becomes exit 3 and a log, not a dump
        log = _crash_log(args, argv)
        what = type(exc).__name__
        where = f"detaljer i {log}" if log else "loggfilen kunde inte skrivas"
        print(f"Internt fel i kommunbudget ({what}); {where}. Varje arbetsbok är antingen orörd "
              "eller helt uppdaterad. Rapportera felet och bifoga loggfilen.", file=sys.stderr)
        return EXIT_CRASH


if __name__ == "__main__":
    sys.exit(main())
