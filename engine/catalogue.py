"""The line catalogue: every line of the budget's parts, as data (spec §5).

The catalogue lives in ``engine/data/lines.csv`` (one row per line, in display order). Each line has
a stable code (``RR.AB`` = årsbidrag), the part it belongs to, its parent (a computed line is the
plain sum of its children), its sign in the published convention (``+`` income, ``-`` cost, ``±``
either), whether it is computed, whether it can be a binding item (spec V3), the line it is a
transfer of (``FD.VK.AB`` carries ``RR.AB`` into the finansieringsdel), and its labels in four
wordings (Swedish budget and accounts, Finnish budget and accounts) plus aliases.

Parts: ``RR`` resultaträkningsdel (its operating lines are also the driftsekonomidel's lines per
task), ``DR`` driftsekonomidel-only lines (internal items), ``IN`` investeringsdel, ``FD``
finansieringsdel, ``BAL`` balance-sheet figures some key ratios need.

Label matching (:meth:`Catalogue.resolve`) ignores case, repeated spaces, trailing sign markers
such as ``(-)``/``(+)`` and a trailing total word (``Toimintakulut yhteensä``, ``… sammanlagt``,
``… totalt``). The wordings are those of JHS 199 (budget) and JHS 192 (accounts) in Finnish and
Swedish; the aliases are variants printed in real published statements (Jyväskylä 2018, Helsinki
2019: e.g. the singular ``Antolainasaamisten lisäys``, ``Vuokratuotot``, ``Rahavarat 31.12.``). A label that matches two different lines is an error, never a guess, with
one exception that is not a guess: a line and its transfer (``Vuosikate`` is both ``RR.AB`` and
``FD.VK.AB``) are the same amount, so in a mixed context the label resolves to the source line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from engine.findings import excerpt

__all__ = [
    "PARTS",
    "WORDINGS",
    "Catalogue",
    "Line",
    "LabelError",
    "catalogue",
    "normalize_label",
]

PARTS = ("RR", "DR", "IN", "FD", "BAL")
WORDINGS = ("sv_budget", "sv_accounts", "fi_budget", "fi_accounts")

_SIGN_MARKER = re.compile(r"\s*\((?:\+|-|−|±|\+/-|-/\+|\+/−|−/\+)\)\s*$")
_SPACES = re.compile(r"\s+")
#: A printed total row names its group and adds "yhteensä" / "sammanlagt" / "totalt".
_TOTAL_WORD = re.compile(r"[\s,]+(?:yhteensä|yht\.|sammanlagt|totalt)$", re.IGNORECASE)


def normalize_label(label: str) -> str:
    """Case-folded label with spaces collapsed and trailing sign markers removed.

    >>> normalize_label("  Köp av   tjänster (-) ")
    'köp av tjänster'
    """
    text = _SPACES.sub(" ", str(label).replace("\u00a0", " ")).strip()
    previous = None
    while previous != text:  # "(+) (-)" or "(-)" repeated
        previous = text
        text = _SIGN_MARKER.sub("", text).strip()
    text = text.replace("\u2013", "-").replace("\u2212", "-")
    text = _TOTAL_WORD.sub("", text)
    return text.casefold()


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the catalogue."""

    code: str
    part: str
    parent: str | None
    sign: str  # "+", "-" or "±"
    computed: bool
    binding: bool
    source: str | None  # for transfer lines: the line whose amount this one carries
    show: bool  # shown in a statement even when nothing was given for it
    labels: dict[str, str]
    aliases: tuple[str, ...]
    order: int

    @property
    def label(self) -> str:
        """The Swedish budget wording (the default label)."""
        return self.labels["sv_budget"]

    def label_in(self, wording: str = "sv_budget") -> str:
        return self.labels.get(wording) or self.labels["sv_budget"]


class LabelError(LookupError):
    """A label that matches no line, or more than one."""

    def __init__(self, label: str, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.label = label
        self.message = message
        self.candidates = candidates


class Catalogue:
    """All lines, with lookups by code and by label."""

    def __init__(self, lines: Iterable[Line]) -> None:
        self.lines: dict[str, Line] = {}
        for line in lines:
            if line.code in self.lines:
                raise ValueError(f"duplicate line code {line.code}")
            self.lines[line.code] = line
        self._children: dict[str, list[str]] = {code: [] for code in self.lines}
        for line in self.lines.values():
            if line.parent is not None:
                if line.parent not in self.lines:
                    raise ValueError(f"{line.code}: unknown parent {line.parent}")
                self._children[line.parent].append(line.code)
            if line.source is not None and line.source not in self.lines:
                raise ValueError(f"{line.code}: unknown source {line.source}")
        self._by_label: dict[str, set[str]] = {}
        for line in self.lines.values():
            for text in (*line.labels.values(), *line.aliases):
                if text:
                    self._by_label.setdefault(normalize_label(text), set()).add(line.code)
        self._by_code = {code.casefold(): code for code in self.lines}

    def __getitem__(self, code: str) -> Line:
        return self.lines[code]

    def __contains__(self, code: object) -> bool:
        return code in self.lines

    def children(self, code: str) -> list[str]:
        return self._children[code]

    def part(self, part: str) -> list[Line]:
        """The lines of one part, in display order."""
        return [line for line in self.lines.values() if line.part == part]

    def leaves_below(self, code: str) -> list[str]:
        """Input lines that feed the computed line ``code`` (itself if it is an input)."""
        kids = self._children[code]
        if not kids:
            return [code]
        out: list[str] = []
        for kid in kids:
            out.extend(self.leaves_below(kid))
        return out

    def binding_codes(self, part: str | None = None) -> frozenset[str]:
        """Codes that can be binding items (spec V3 for the resultaträkningsdel)."""
        return frozenset(
            line.code
            for line in self.lines.values()
            if line.binding and (part is None or line.part == part)
        )

    def resolve(self, label: str, parts: Iterable[str] | None = None) -> str:
        """The code of the line named by ``label`` (a code or any wording), within ``parts``.

        Raises :class:`LabelError` if no line or more than one matches.
        """
        text = str(label).strip()
        if not text:
            raise LabelError(label, "tom radbeteckning")
        allowed = set(parts) if parts is not None else None
        code = self._by_code.get(text.casefold())
        if code is not None and (allowed is None or self.lines[code].part in allowed):
            return code
        matches = {
            c
            for c in self._by_label.get(normalize_label(text), set())
            if allowed is None or self.lines[c].part in allowed
        }
        if not matches:
            raise LabelError(label, f"okänd rad: {excerpt(text)}")
        if len(matches) > 1:
            # a line and its transfers are one amount, not an ambiguity
            sources = {self.lines[c].source or c for c in matches}
            if len(sources) == 1:
                (code,) = sources
                if allowed is None or self.lines[code].part in allowed:
                    return code
            names = tuple(sorted(matches))
            raise LabelError(
                label,
                f"tvetydig rad: {excerpt(text)} passar {', '.join(names)}; använd radkoden",
                names,
            )
        (code,) = matches
        return code


def _parse(rows: Iterable[dict[str, str]]) -> list[Line]:
    out = []
    for order, row in enumerate(rows):
        out.append(
            Line(
                code=row["code"],
                part=row["part"],
                parent=row["parent"] or None,
                sign=row["sign"],
                computed=row["computed"] == "ja",
                binding=row["binding"] == "ja",
                source=row["source"] or None,
                show=row["show"] == "ja",
                labels={w: row[w] for w in WORDINGS},
                aliases=tuple(a for a in row["aliases"].split("|") if a),
                order=order,
            )
        )
    return out


@cache
def catalogue() -> Catalogue:
    """The shipped catalogue (``engine/data/lines.csv``), loaded once."""
    text = resources.files("engine").joinpath("data/lines.csv").read_text(encoding="utf-8")
    return Catalogue(_parse(csv.DictReader(text.splitlines(), delimiter=";")))
