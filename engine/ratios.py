"""Key ratios (nyckeltal), spec §7: the standard formulas of the Finnish municipal accounting
guidance (KILA), computed exactly from a :class:`~engine.statements.Statement`.

A ratio whose denominator is zero or of the wrong sign, or that needs a figure that was not given,
is *not defined*: :class:`Ratio` then has ``value=None`` and a Swedish ``reason``. It never
raises and never shows a misleading number.

A defined value is not rounded for display: each formula's one division is kept to 40
significant digits (:data:`_QUOTIENT`), and only a display rounds it, once (the Nyckeltal sheet
to two decimals, half away from zero; the KB_ functions return the value, which Excel holds to
15 digits, for the user's ROUND).

Amounts in a statement are in the published sign convention (costs negative); the formulas are
written with costs as positive amounts, so costs are negated where they enter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_05UP, Context, Decimal

from engine.statements import Statement

__all__ = ["RATIOS", "Ratio", "RatioDef", "ackumulerat_kassaflode", "find_ratio", "nyckeltal"]

HUNDRED = Decimal(100)
DAYS = Decimal(365)


@dataclass(frozen=True, slots=True)
class Ratio:
    name: str
    value: Decimal | None
    reason: str | None = None

    @property
    def defined(self) -> bool:
        return self.value is not None


class _NotDefined(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


@dataclass(frozen=True)
class RatioDef:
    name: str  # Swedish, as in spec §7
    fi: str  # Finnish
    aliases: tuple[str, ...]
    needs: tuple[str, ...]  # codes that must have data
    per_inhabitant: bool
    formula: Callable[[Callable[[str], Decimal], Decimal | None], Decimal]


#: The one inexact step of every ratio, its final division: 40 significant digits rounded
#: "05up" (decimal round-to-odd: an inexact last digit 0 or 5 is moved away from zero), so the
#: quotient is never exactly on a rounding boundary unless the exact value is. Any later
#: rounding to fewer digits (the sheet's two decimals, half away from zero) then gives what
#: rounding the exact quotient gives: one rounding, never two. Until 2026-12 ratios were rounded
#: to ten decimals half up first: 45,004999999999480… became 45,0050000000 and showed 45,01.
_QUOTIENT = Context(prec=40, rounding=ROUND_05UP)


def _quotient(num: Decimal, den: Decimal) -> Decimal:
    return _QUOTIENT.divide(num, den)


def _div(num: Decimal, den: Decimal, what: str) -> Decimal:
    """``num / den`` (:func:`_quotient`); ``num`` must be exact (sums and products of amounts
    by 100 or 365 are), so that this is the formula's only rounding."""
    if den == 0:
        raise _NotDefined(f"ej definierat: {what} är noll")
    if den < 0:
        raise _NotDefined(f"ej definierat: {what} har fel tecken")
    return _quotient(num, den)


def _per_inv(num: Decimal, inv: Decimal | None) -> Decimal:
    if inv is None:
        raise _NotDefined("ej definierat: antal invånare saknas")
    if inv <= 0:
        raise _NotDefined("ej definierat: antal invånare måste vara större än noll")
    return _quotient(num, inv)


def _amortizations(v: Callable[[str], Decimal]) -> Decimal:
    """Amorteringar: decrease of long-term loans (positive); plus a net decrease of short-term
    loans when the budget shows one (Interpretation: a negative 'förändring av kortfristiga lån')."""
    short = v("FD.LAN.KORT")
    return -v("FD.LAN.MINL") + (-short if short < 0 else Decimal(0))


def _kassautbetalningar(v: Callable[[str], Decimal]) -> Decimal:
    short = v("FD.LAN.KORT")
    return (
        -v("RR.VU")
        - v("RR.TEB")
        - v("RR.FIN.RU")
        - v("RR.FIN.OFU")
        - v("RR.EXTRA.UTG")
        - v("FD.IK.UTG")
        - v("FD.UTL.OKN")
        - v("FD.LAN.MINL")
        + (-short if short < 0 else Decimal(0))
    )


RATIOS: tuple[RatioDef, ...] = (
    RatioDef(
        "Verksamhetsinkomster / verksamhetsutgifter, %",
        "Toimintatuotot / toimintakulut, %",
        ("Toimintatulot / toimintamenot, %", "Verksamhetsintäkter / verksamhetskostnader, %"),
        ("RR.VI", "RR.VU"),
        False,
        lambda v, inv: _div(HUNDRED * v("RR.VI"), -v("RR.VU") - v("RR.TEB"),
                            "verksamhetsutgifter − tillverkning för eget bruk"),
    ),
    RatioDef(
        "Årsbidrag / avskrivningar, %",
        "Vuosikate / poistot, %",
        ("Vuosikate / poistot ja arvonalentumiset, %", "Vuosikate prosenttia poistoista",
         "Årsbidrag / avskrivningar och nedskrivningar, %"),
        ("RR.AB", "RR.AVS"),
        False,
        lambda v, inv: _div(HUNDRED * v("RR.AB"), -v("RR.AVS"), "avskrivningar och nedskrivningar"),
    ),
    RatioDef(
        "Årsbidrag, €/inv",
        "Vuosikate, €/asukas",
        ("Årsbidrag per invånare", "Vuosikate euroa/asukas"),
        ("RR.AB",),
        True,
        lambda v, inv: _per_inv(v("RR.AB"), inv),
    ),
    RatioDef(
        "Verksamhetsbidragsprocent",
        "Toimintakateprosentti",
        ("Verksamhetsbidrag, %",),
        ("RR.VB", "RR.VI"),
        False,
        lambda v, inv: _div(HUNDRED * v("RR.VB"), v("RR.VI"), "verksamhetsinkomster"),
    ),
    RatioDef(
        "Ackumulerat överskott (underskott), €/inv",
        "Kertynyt ylijäämä (alijäämä), €/asukas",
        ("Ackumulerat överskott, €/inv", "Kertynyt ylijäämä, €/asukas"),
        ("BAL.TIDOVERSK", "RR.OVERSKOTT"),
        True,
        lambda v, inv: _per_inv(v("BAL.TIDOVERSK") + v("RR.OVERSKOTT"), inv),
    ),
    RatioDef(
        "Investeringarnas internt tillförda medel, %",
        "Investointien tulorahoitus, %",
        (),
        ("RR.AB", "FD.IK.UTG"),
        False,
        lambda v, inv: _div(HUNDRED * v("RR.AB"), -v("FD.IK.UTG") - v("FD.IK.FA"),
                            "investeringsutgifter − finansieringsandelar"),
    ),
    RatioDef(
        "Kapitalutgifternas internt tillförda medel, %",
        "Pääomamenojen tulorahoitus, %",
        (),
        ("RR.AB", "FD.IK.UTG"),
        False,
        lambda v, inv: _div(
            HUNDRED * v("RR.AB"),
            -v("FD.IK.UTG") - v("FD.IK.FA") - v("FD.UTL.OKN") - v("FD.UTL.MIN") + _amortizations(v),
            "kapitalutgifterna (investeringar netto + nettoutlåning + amorteringar)",
        ),
    ),
    RatioDef(
        "Låneskötselbidrag",
        "Lainanhoitokate",
        (),
        ("RR.AB", "RR.FIN.RU"),
        False,
        lambda v, inv: _div(v("RR.AB") - v("RR.FIN.RU"), -v("RR.FIN.RU") + _amortizations(v),
                            "ränteutgifter + amorteringar"),
    ),
    RatioDef(
        "Relativ skuldsättning, %",
        "Suhteellinen velkaantuneisuus, %",
        (),
        ("BAL.FK", "BAL.FORSK", "RR.VI", "RR.SKATT"),  # a blank stock is unknown, not 0
        False,
        lambda v, inv: _div(HUNDRED * (v("BAL.FK") - v("BAL.FORSK")),
                            v("RR.VI") + v("RR.SKATT") + v("RR.SA"),
                            "verksamhetsinkomster + skatteinkomster + statsandelar"),
    ),
    RatioDef(
        "Likviditet, kassadagar",
        "Kassan riittävyys, pv",
        ("Likviditet", "Kassadagar", "Likviditeetti, pv"),
        ("BAL.LIKV", "RR.VU"),
        False,
        lambda v, inv: _div(DAYS * v("BAL.LIKV"), _kassautbetalningar(v), "kassautbetalningarna"),
    ),
    RatioDef(
        "Lånestock, €/inv",
        "Lainakanta, €/asukas",
        ("Lånestock per invånare", "Lainakanta euroa/asukas"),
        ("BAL.LAN",),
        True,
        lambda v, inv: _per_inv(v("BAL.LAN"), inv),
    ),
)

ACKUMULERAT_KASSAFLODE = "Ackumulerat kassaflöde för verksamhet och investeringar (5 år)"
ACKUMULERAT_KASSAFLODE_FI = "Toiminnan ja investointien rahavirran kertymä 5 vuodelta"


def _key(name: str) -> str:
    """A name as looked up: case, spaces and punctuation ignored, but "%" kept. Without it
    ("verksamhetsbidrag, %" → "verksamhetsbidrag") an amount's name called up a ratio:
    KB_NYCKELTAL("Verksamhetsbidrag") gave Verksamhetsbidragsprocent, and "Kassadagar, %" or
    "Likviditet, %" resolved too (found 2026-12). A name resolves only to its own ratio."""
    return re.sub(r"[^0-9a-zåäöéü%]", "", name.casefold().replace("€", "eur"))


_BY_KEY: dict[str, str] = {}
for _r in RATIOS:
    for _n in (_r.name, _r.fi, *_r.aliases):
        _BY_KEY[_key(_n)] = _r.name


def _without_percent() -> dict[str, str]:
    """A percentage ratio's name may be written without "%" ("Årsbidrag / avskrivningar"),
    unless that is the name of an amount (a catalogue line: "Verksamhetsbidrag") or of
    another ratio: a name never calls up a ratio it does not name."""
    from engine.catalogue import catalogue

    amounts = {_key(text) for line in catalogue().lines.values()
               for text in (*line.labels.values(), *line.aliases)}
    out: dict[str, str] = {}
    for key, name in _BY_KEY.items():
        bare = key.replace("%", "")
        if bare != key and bare not in amounts and bare not in _BY_KEY:
            out[bare] = name
    return out


_BY_KEY.update(_without_percent())
for _n in (ACKUMULERAT_KASSAFLODE, ACKUMULERAT_KASSAFLODE_FI,
           "Ackumulerat kassaflöde för verksamhet och investeringar",
           "Toiminnan ja investointien rahavirran kertymä"):
    _BY_KEY[_key(_n)] = ACKUMULERAT_KASSAFLODE


def find_ratio(name: str) -> str | None:
    """The Swedish name of the ratio called ``name`` (Swedish or Finnish, any case), or None."""
    return _BY_KEY.get(_key(name))


def _value_getter(st: Statement, year: int) -> Callable[[str], Decimal]:
    def v(code: str) -> Decimal:
        vals = st.values.get(code)
        return vals[year] if vals is not None else Decimal(0)

    return v


def _missing(st: Statement, needs: Sequence[str], year: int | None = None) -> str | None:
    """Why a ratio is not defined: a line it needs has no data, or (for ``year``) a balance-sheet
    stock it needs is left blank that year (a stock is unknown, not zero; a blank flow line
    counts as zero, as in a published statement)."""
    from engine.catalogue import catalogue

    absent = [c for c in needs if c not in st.has_data or (
        year is not None and c.startswith("BAL.") and (c, year) in st.blank)]
    if absent:
        labels = ", ".join(catalogue()[c].label for c in absent)
        return f"ej definierat: uppgift saknas ({labels})"
    return None


def nyckeltal(st: Statement, year: int = 0, invanare: object = None) -> dict[str, Ratio]:
    """All single-year ratios of spec §7 for the ``year``-th column of ``st``."""
    inv = Decimal(str(invanare)) if invanare is not None else None
    v = _value_getter(st, year)
    out: dict[str, Ratio] = {}
    for r in RATIOS:
        missing = _missing(st, r.needs, year)
        if missing:
            out[r.name] = Ratio(r.name, None, missing)
            continue
        try:
            out[r.name] = Ratio(r.name, r.formula(v, inv))
        except _NotDefined as nd:
            out[r.name] = Ratio(r.name, None, nd.reason)
    return out


def ackumulerat_kassaflode(st: Statement) -> list[Ratio]:
    """Running sum of 'verksamhetens och investeringarnas kassaflöde' over the year columns.

    With the five columns last closed year − 1 … plan year + 2 (§6.6.2.1) the last value is the
    five-year accumulation whose goal is ≥ 0.
    """
    missing = _missing(st, ("FD.VIK",))
    if missing:
        return [Ratio(ACKUMULERAT_KASSAFLODE, None, missing) for _ in st.years]
    out, acc = [], Decimal(0)
    for value in st.values["FD.VIK"]:
        acc += value
        out.append(Ratio(ACKUMULERAT_KASSAFLODE, acc))
    return out
