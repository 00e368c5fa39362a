"""One sign convention for the whole product: the published one (spec §4, V10).

Published statements show income as positive and costs as negative, and so does every input table,
every ``KB_`` function and the engine. There is no "costs positive" convention anywhere (see
docs/DECISIONS.md): a value whose sign contradicts its line is refused with a finding that says
which value and what to do, never turned into a number.

Two pure checks, shared by the workbook loader (V10 findings with the cell) and the worksheet
functions (``#KB: rad N: …`` messages):

* :func:`line_sign_finding` — an amount on a catalogue line: a ``+`` line (income) must not be
  below zero, a ``-`` line (cost) not above zero; ``±`` lines (net lines, changes, subtotals that
  can be negative, state shares) take either sign. The catalogue's ``sign`` column
  (``engine/data/lines.csv``) is the only source of these signs.
* :func:`item_sign_finding` — the figures of one binding item (budget, budget after changes,
  outturn or forecast): an anslag is a cost (≤ 0), a beräknad inkomst an income (≥ 0), and a netto
  item may be either, but its budget and its outturn must not have different signs (a net
  appropriation cannot be judged against a net income, nor the other way round).

Zero has no sign and is always accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from engine.catalogue import catalogue
from engine.findings import Finding, Location, Severity
from engine.money import format_sv as _sv

__all__ = [
    "CONVENTION",
    "LINE_SIGNS",
    "RULE",
    "cost_sign_finding",
    "item_sign_finding",
    "line_sign_finding",
]

RULE = "V10"

#: The convention, in the words used in help texts and instruction rows.
CONVENTION = "inkomster positiva, utgifter negativa (som i en publicerad resultaträkning)"

#: Published sign of each catalogue line: "+" income (≥ 0), "-" cost (≤ 0), "±" either.
LINE_SIGNS: dict[str, str] = {code: line.sign for code, line in catalogue().lines.items()}


def _where(location: Location | None) -> str:
    return f" i {location}" if location and str(location) else ""


def line_sign_finding(
    line: str,
    amount: Decimal,
    *,
    location: Location | None = None,
    year: int | None = None,
    object: str | None = None,  # noqa: A002 - the Finding field's name
    line_signs: Mapping[str, str] | None = None,
) -> Finding | None:
    """A V10 error when ``amount`` has the wrong sign for catalogue line ``line``, else None.

    >>> from decimal import Decimal
    >>> line_sign_finding("RR.VU", Decimal("-5")) is None
    True
    >>> line_sign_finding("RR.VU", Decimal("5")).rule
    'V10'
    """
    signs = line_signs if line_signs is not None else LINE_SIGNS
    sign = signs.get(line)
    if sign is None or sign == "±" or amount == 0:
        return None
    if (sign == "+" and amount > 0) or (sign == "-" and amount < 0):
        return None
    cat = catalogue()
    label = cat[line].label if line in cat else line
    if sign == "-":
        what, expected, fix = "en utgift", "negativt", f"skriv {_sv(-amount)}"
    else:
        what, expected, fix = "en inkomst", "positivt", f"skriv {_sv(-amount)}"
    return Finding(
        RULE, Severity.ERROR,
        f"{label}: beloppet {_sv(amount)}{_where(location)} har fel tecken ({line} är {what}; "
        f"inkomster anges positiva och utgifter negativa, här ska beloppet vara {expected}). "
        f"Rätta tecknet ({fix}), eller bokför en verklig motsatt post på en egen rad med "
        "förklaring.",
        object or line, year, location)


#: The kinds bound to one sign: the sign a figure must NOT have, the kind's name and its rule.
_ONE_SIGN_KINDS = {
    "anslag": (1, "Anslaget", "ett anslag är en utgift och anges negativt"),
    "beräknad inkomst": (-1, "Beräknad inkomst",
                         "en beräknad inkomst är en inkomst och anges positiv"),
}


def item_sign_finding(
    kind: str,
    figures: Iterable[tuple[str, Decimal | None]],
    *,
    location: Location | None = None,
    year: int | None = None,
    object: str | None = None,  # noqa: A002
) -> Finding | None:
    """A V10 error when the figures of one binding item have signs that contradict its kind.

    ``kind`` is ``"anslag"``, ``"beräknad inkomst"`` or ``"netto"`` (the values of
    :class:`engine.binding.Kind`); ``figures`` are (name, amount) pairs in published signs, e.g.
    ``[("budget", b), ("utfall", u)]``; ``None`` amounts are skipped. An anslag must be ≤ 0, a
    beräknad inkomst ≥ 0; for a netto item no two non-zero figures may have different signs.

    >>> from decimal import Decimal as D
    >>> item_sign_finding("anslag", [("budget", D(-1000)), ("utfall", D(-1100))]) is None
    True
    >>> item_sign_finding("anslag", [("budget", D(1000)), ("utfall", D(1100))]).rule
    'V10'
    >>> item_sign_finding("netto", [("budget", D(-1000)), ("utfall", D(1050))]).rule
    'V10'
    """
    given = [(name, v) for name, v in figures if v is not None and v != 0]
    if kind in _ONE_SIGN_KINDS:
        wrong_sign, label, rule = _ONE_SIGN_KINDS[kind]
        wrong = [(n, v) for n, v in given if v * wrong_sign > 0]
        if wrong:
            n, v = wrong[0]
            return Finding(
                RULE, Severity.ERROR,
                f"{label}: {n} {_sv(v)}{_where(location)} har fel tecken: {rule} (inkomster "
                f"positiva, utgifter negativa). Skriv {_sv(-v)}.", object, year, location)
        return None
    pos = [(n, v) for n, v in given if v > 0]
    neg = [(n, v) for n, v in given if v < 0]
    if pos and neg:
        (pn, pv), (nn, nv) = pos[0], neg[0]
        return Finding(
            RULE, Severity.ERROR,
            f"Posten har olika tecken: {nn} {_sv(nv)} men {pn} {_sv(pv)}{_where(location)}. "
            "Ett (netto)anslag är negativt, en beräknad (netto)inkomst positiv, i budget och "
            "utfall. Rätta tecknet; är båda rätt, dela posten i anslag och beräknad inkomst.",
            object, year, location)
    return None


def cost_sign_finding(
    what: str,
    amount: Decimal,
    *,
    location: Location | None = None,
    year: int | None = None,
    object: str | None = None,  # noqa: A002
    note: str = "",
) -> Finding | None:
    """A V10 error when ``amount``, a cost that is not a catalogue line (a project's
    kostnadskalkyl, its spending in earlier years), is above zero: costs are negative."""
    if amount <= 0:
        return None
    return Finding(
        RULE, Severity.ERROR,
        f"{what}: beloppet {_sv(amount)}{_where(location)} har fel tecken; det är en utgift och "
        f"anges negativt (inkomster positiva, utgifter negativa). Skriv {_sv(-amount)}.{note}",
        object, year, location)
