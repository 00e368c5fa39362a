"""Swedish for what the command line says: argparse's help and errors, file statuses, counts.

argparse writes English ("usage:", "the following arguments are required", …). The parser
class here gives every fixed text of argparse in Swedish: the help layout by a formatter and
section titles, the error messages by translating argparse's message patterns (the patterns of
the Python versions we support; an untranslated message is still shown, never lost).

The JSON report keeps stable machine values (``written``, ``error``); :data:`STATUS` is what a
person reads for each of them.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

from engine.svenska import antal

__all__ = ["STATUS", "SEVERITY", "SvenskArgumentParser", "antal", "status_sv", "translate"]

#: File status (machine value in the JSON report) -> what a person reads.
STATUS = {
    "written": "skriven",
    "unchanged": "oförändrad",
    "skipped": "hoppades över",
    "input-errors": "fel i indata",
    "validated": "kontrollerad",
    "error": "kunde inte läsas/skrivas",
    "refused": "vägrad",
}

SEVERITY = {"error": "fel", "warning": "varning", "info": "info"}

def status_sv(status: str) -> str:
    return STATUS.get(status, status)


# argparse's message patterns (3.11–3.13) -> Swedish. Groups are kept in order.
_ERRORS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), s) for p, s in (
    (r"^the following arguments are required: (.*)$", r"följande argument saknas: \1"),
    (r"^unrecognized arguments: (.*)$", r"okända argument: \1"),
    (r"^argument (.+?): invalid choice: (.+?) \(choose from (.*)\)$",
     r"argument \1: ogiltigt val: \2 (välj bland \3)"),
    (r"^argument (.+?): invalid (\w+) value: (.*)$", r"argument \1: ogiltigt värde (\2): \3"),
    (r"^argument (.+?): expected one argument$", r"argument \1: ett värde behövs"),
    (r"^argument (.+?): expected at least one argument$", r"argument \1: minst ett värde behövs"),
    (r"^argument (.+?): expected (\d+) arguments?$", r"argument \1: \2 värden behövs"),
    (r"^argument (.+?): ignored explicit argument (.*)$", r"argument \1: värdet \2 ignoreras"),
    (r"^argument (.+?): not allowed with argument (.*)$",
     r"argument \1: kan inte anges tillsammans med \2"),
    (r"^one of the arguments (.*) is required$", r"ett av argumenten \1 behövs"),
    (r"^ambiguous option: (.+?) could match (.*)$", r"tvetydig flagga: \1 kan betyda \2"),
    (r"^argument (.+?): (.*)$", r"argument \1: \2"),
)]


def translate(message: str) -> str:
    """argparse's English error message in Swedish (unchanged if no pattern matches)."""
    for pattern, swedish in _ERRORS:
        if pattern.match(message):
            return pattern.sub(swedish, message)
    return message


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, "användning: " if prefix is None else prefix)


class SvenskArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose help and errors are in Swedish (subparsers inherit the class)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        add_help = kwargs.pop("add_help", True)
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "argument"
        self._optionals.title = "flaggor"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="visa den här hjälpen och avsluta")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: fel: {translate(message)}\n"
                     f"Skriv '{self.prog} --help' för hjälp.\n")
