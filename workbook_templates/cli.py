"""The ``kommunbudget`` command.

Subcommands: ``demo`` (the README's main job on the embedded example). More are added by the
workbook layer (``new``, ``validate``, ``refresh``, ``import-utfall``).

Exit codes: 0 all done without error findings; 1 some findings of severity error (results still
written where safe); 2 a file could not be read or written, or a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from engine.budget import berakna
from engine.resultatbalansering import balansera
from workbook_templates.example import exempelkommun
from workbook_templates.text_report import (
    format_amount,
    format_findings,
    format_ratios,
    format_statement,
)

EXIT_OK, EXIT_FINDINGS, EXIT_FAILURE = 0, 1, 2


def _demo(args: argparse.Namespace) -> int:
    ex = exempelkommun()
    result = berakna(ex.budget)
    st = result.statement
    cols = list(ex.kolumner)
    print(f"{ex.budget.kommun} — budget och ekonomiplan (euro)\n")
    print(format_statement(st, "RR", cols, "Resultaträkningsdel"))
    print()
    print(format_statement(st, "FD", cols, "Finansieringsdel"))
    print()
    print(format_ratios(result.nyckeltal, cols))
    print()
    rb = balansera(ex.enheter, justeringar=ex.justeringar, namnder=ex.namnder,
                   tidplan=ex.tidplan, ar=ex.bokslutsar)
    print(f"Resultatbalansering, bokslut {ex.bokslutsar} (överförs till budget "
          f"{ex.bokslutsar + 1})")
    width = max(len(n.namnd) for n in rb.namnder)
    print(f"{'Nämnd'.ljust(width)}  {'Justerat resultat':>18}  {'Överföring':>12}  {'KS andel':>10}")
    for n in rb.namnder:
        print(f"{n.namnd.ljust(width)}  {format_amount(n.justerat_resultat):>18}  "
              f"{format_amount(n.overforing):>12}  {format_amount(n.ks_andel):>10}")
    findings = [*result.findings, *rb.findings]
    print()
    print(format_findings(findings))
    return EXIT_OK  # the example has error findings on purpose; the demo ran


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kommunbudget",
        description="Kommunbudget: statements, binding checks and resultatbalansering.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the main job on the embedded example municipality")
    demo.add_argument("--out", default="out", help="folder for the example workbooks")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
