"""Findings: errors are values that carry their location (spec §8, V10).

Every check in the engine and every input problem in the workbook layer produces a
:class:`Finding` instead of raising. A finding names the rule (``V1``..``V10``, ``R1``..``R8``, or
``IN`` for plain input hygiene), how serious it is, what object and year it concerns, a message
in Swedish that says what is wrong *and what to do*, and, when the input came from a workbook,
the sheet and cell. One bad item never hides the others: checks collect findings and go on.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from enum import StrEnum

__all__ = [
    "MAX_MESSAGE_CHARS",
    "Finding",
    "Location",
    "Severity",
    "count_by_severity",
    "bounded",
    "excerpt",
    "has_errors",
    "located",
]

#: A message longer than this is cut in the middle (its start says what, its end what to do).
#: Far below Excel's 32,767 characters per cell, so a Kontroll row always fits.
MAX_MESSAGE_CHARS = 2_000
#: How much of a bad value a message quotes.
EXCERPT_CHARS = 60


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A bad value as a message quotes it: ``'text'``, or its first ``limit`` characters and
    its length (``'xxxx…' (32 700 tecken)``). Never the whole of a long value."""
    # a str subclass (the reader's CellError) is quoted as its text, not as its repr
    text = str.__str__(value) if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return repr(text) if isinstance(value, str) else text
    n = f"{len(text):,}".replace(",", " ")
    return f"{text[:limit]!r}… ({n} tecken)"


def bounded(text: str | None, limit: int = MAX_MESSAGE_CHARS) -> str | None:
    """``text`` cut in the middle to at most ``limit`` characters (start and end kept)."""
    if text is None or len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head - 5
    return f"{text[:head]} […] {text[-tail:]}"


class Severity(StrEnum):
    """How serious a finding is. ``error`` blocks a trustworthy result; ``warning`` needs a look;
    ``info`` is for the record."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def svenska(self) -> str:
        return {"error": "fel", "warning": "varning", "info": "info"}[self.value]


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a workbook an input came from. All parts optional; ``cell`` is an A1 address."""

    workbook: str | None = None
    sheet: str | None = None
    cell: str | None = None
    table: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.workbook:
            parts.append(self.workbook)
        if self.sheet and self.cell:
            parts.append(f"{self.sheet}!{self.cell}")
        elif self.sheet:
            parts.append(self.sheet)
        elif self.cell:
            parts.append(self.cell)
        if self.table and not self.cell:
            parts.append(f"tabell {self.table}")
        return " ".join(parts)

    def __reduce__(self) -> tuple[type[Location], tuple[str | None, ...]]:
        # pickled as its constructor's arguments: a frozen slotted dataclass otherwise unpickles
        # through dataclasses' Python-level __setstate__, twice as slow (tens of thousands of
        # locations in a refresh's kept reads and in what --jobs workers return)
        return (Location, _location_fields(self))


_location_fields = operator.attrgetter(*(f.name for f in fields(Location)))


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or observation. ``message`` is Swedish and says what to do about it."""

    rule: str
    severity: Severity
    message: str
    object: str | None = None
    year: int | None = None
    location: Location | None = None
    #: further places a finding spans (e.g. one committee in two workbooks): each is named
    also: tuple[Location, ...] = ()

    @property
    def workbooks(self) -> tuple[str, ...]:
        """Every workbook the finding names, its own location's first."""
        names = [loc.workbook for loc in (self.location, *self.also) if loc and loc.workbook]
        return tuple(dict.fromkeys(names))

    def __post_init__(self) -> None:
        # a bound for every message, whatever it quotes (a name can be 32,767 characters long)
        if len(self.message) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "message", bounded(self.message, MAX_MESSAGE_CHARS))
        if isinstance(self.object, str) and len(self.object) > 200:
            object.__setattr__(self, "object", bounded(self.object, 200))

    def __str__(self) -> str:
        head = f"[{self.rule} {self.severity.svenska}]"
        places = [str(loc) for loc in (self.location, *self.also) if loc and str(loc)]
        where = f" {' och '.join(places)}:" if places else ""
        what = f" {self.object}" if self.object else ""
        year = f" ({self.year})" if self.year is not None else ""
        return f"{head}{where}{what}{year} {self.message}"

    def as_dict(self) -> dict[str, object]:
        loc = self.location or Location()
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "object": self.object,
            "year": self.year,
            "workbook": loc.workbook,
            "workbooks": list(self.workbooks),
            "sheet": loc.sheet,
            "cell": loc.cell,
            "table": loc.table,
            # every place, the first one first: a finding spanning workbooks (a unit in two
            # committees, the internal-items warning) is at a cell of each (2026-12)
            "places": [{"workbook": x.workbook, "sheet": x.sheet, "cell": x.cell}
                       for x in (self.location, *self.also) if x is not None],
        }


def located(finding: Finding, location: Location | None) -> Finding:
    """The same finding with a location attached (used by the workbook layer)."""
    return replace(finding, location=location) if location is not None else finding


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for f in findings:
        counts[f.severity.value] += 1
    return counts
