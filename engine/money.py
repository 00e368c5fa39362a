"""Exact money: ``Decimal`` amounts, Excel-compatible rounding and splits that add up.

Amounts in the engine are ``Decimal`` values in the municipality's currency (EUR, SEK, ...),
quantized to the cent when they come in. Nothing here knows a currency; the rounding *unit* is a
parameter (``CENT``, ``UNIT`` = whole currency units, ``THOUSAND``).

Rules (spec §4):

* Excel gives binary floats; round them to cents once, on the way in (:func:`to_money`).
* Rounding is half away from zero, as Excel's ``ROUND`` (Python's ``round()`` rounds half to even
  and works on the binary value, so ``round(2.675, 2) == 2.67`` while Excel says 2.68).
* A division into parts (the ⅓ splits of resultatbalansering) gives parts that add up exactly to
  the whole, by largest-remainder rounding (:func:`allocate`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, DecimalException, InvalidOperation
from fractions import Fraction

__all__ = [
    "CENT",
    "D",
    "MAX_AMOUNT",
    "AmountTooLarge",
    "THOUSAND",
    "UNIT",
    "ZERO",
    "MoneyError",
    "allocate",
    "cents_to_money",
    "excel_decimal",
    "excel_round",
    "floats_to_cents",
    "format_sv",
    "quantize",
    "short_number",
    "to_money",
]

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
UNIT = Decimal("1")
THOUSAND = Decimal("1000")

#: Rounding units by the names used in rule files and settings sheets.
ROUNDING_UNITS: dict[str, Decimal] = {
    "cent": CENT,
    "öre": CENT,
    "0.01": CENT,
    "krona": UNIT,
    "euro": UNIT,
    "unit": UNIT,
    "1": UNIT,
    "tusen": THOUSAND,
    "thousand": THOUSAND,
    "1000": THOUSAND,
}


#: Every amount entering the engine is smaller than this in magnitude: 10¹³ (ten thousand
#: billion). Excel keeps 15 significant digits, so beyond it a typed amount cannot be exact to
#: the cent anyway; no municipal budget comes near it; and every sum, ratio and split of such
#: amounts stays far inside ``Decimal``'s 28 digits (so nothing downstream can overflow).
MAX_AMOUNT = Decimal(10) ** 13


class MoneyError(ValueError):
    """A value that cannot be read as an amount (text, NaN, an Excel error value, ...)."""


class AmountTooLarge(MoneyError):
    """A number whose magnitude is :data:`MAX_AMOUNT` or more."""


def short_number(value: object) -> str:
    """A number for a message, at most ~20 characters (``1E+23``, ``-9,99E+399``)."""
    text = str(value) if not isinstance(value, float) else repr(value)
    if len(text) <= 20:
        return text
    try:
        return f"{Decimal(text):.2E}"
    except (ArithmeticError, ValueError):
        return text[:17] + "…"


def excel_decimal(value: float) -> Decimal:
    """A finite float from a workbook as the decimal Excel shows and rounds: its 15 significant
    digits (Excel keeps and displays 15; ``ROUND`` works on them).

    For a number the user typed (at most 15 significant digits) that is the typed number,
    exactly as the shortest repr: ``0.1`` -> ``0.1``, ``2.675`` -> ``2.675``. For a formula's
    result it is what the cell shows: ``=0.1*1.15`` is the double 0.11499999999999999, shown and
    rounded by Excel as 0.115 -> ``ROUND(…;2)`` = 0.12; the shortest repr would give 0.11, a cent
    off what the controller sees (1.6 % of amounts times a factor such as 1.1 or 0.9)."""
    return Decimal(format(value, ".15g"))


def D(value: object = 0) -> Decimal:
    """Exact ``Decimal`` from an int, a ``Decimal``, a numeric string or a float.

    A float is converted as Excel shows it, to 15 significant digits (:func:`excel_decimal`:
    ``0.1`` -> ``Decimal('0.1')``, the number the user typed, not the binary expansion). Bool is
    refused (``True`` is not an amount).
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError(f"inte ett ändligt tal: {value}")
        return value
    if isinstance(value, bool):
        raise MoneyError(f"ett sanningsvärde är inte ett belopp: {value}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MoneyError(f"inte ett ändligt tal: {value}")
        return excel_decimal(value)
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # decimal comma
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"inte ett tal: {_quoted(value)}") from None
        if not result.is_finite():
            raise MoneyError(f"inte ett ändligt tal: {_quoted(value)}")
        return result
    raise MoneyError(f"inte ett tal: {_quoted(repr(value))}")


def _quoted(text: str, limit: int = 40) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit] + "…")


def quantize(value: Decimal, unit: Decimal = CENT) -> Decimal:
    """Round ``value`` to a multiple of ``unit``, half away from zero (Excel's rule).

    ``unit`` may be ``CENT``, ``UNIT``, ``THOUSAND`` or any positive step.
    """
    if (unit is CENT or unit is UNIT) and type(value) is Decimal:
        # an amount that is a whole number of cents (units) already, the common case: the
        # general rule below gives it back with the unit's exponent and its own sign, which is
        # what Decimal.quantize gives when it is exact (then nothing was rounded, whatever the
        # context's rounding); anything else (inexact, too many digits) takes the general rule
        try:
            exact = value.quantize(unit)
        except DecimalException:
            pass
        else:
            if exact == value:
                return exact
    return _quantize(value, unit)


#: :func:`_quantize`'s division by the unit: exact for any value the engine makes (amounts of at
#: most 17 digits, ratios of 40) and a unit such as 0.01 or 1000
_WIDE = Context(prec=100)


def _quantize(value: Decimal, unit: Decimal) -> Decimal:
    """:func:`quantize`'s general rule, for any amount and unit."""
    if unit <= 0:
        raise ValueError("rounding unit must be positive")
    try:
        # value / unit in a wide context: a value of more digits than the default 28 (a ratio's
        # 40-digit quotient, engine.ratios) would be rounded half to even there first, and a
        # second rounding can cross a half (45,00499…9 → 45,005 → 45,01)
        steps = _WIDE.divide(value, unit).quantize(UNIT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise AmountTooLarge(f"beloppet är för stort: {short_number(value)}") from None
    result = steps * unit
    # keep the exponent of the unit for units < 1 (0.01 -> two decimals), integers otherwise
    return result.quantize(unit) if unit < 1 else result.quantize(UNIT)


def excel_round(value: object, digits: int = 0) -> Decimal:
    """Excel's ``ROUND(value, digits)``: half away from zero, negative ``digits`` allowed."""
    number = D(value)
    return quantize(number, Decimal(1).scaleb(-digits))


def to_money(value: object) -> Decimal:
    """An amount as it enters the engine: exact, rounded once to the cent (half away from zero).

    ``None`` and text raise :class:`MoneyError`; callers that accept blanks decide that themselves
    (a blank is not silently a zero).
    """
    if value is None:
        raise MoneyError("tom cell")
    if type(value) is float and math.isfinite(value):
        if -1e13 < value < 1e13:  # (MAX_AMOUNT) a figure typed in cents, the common case:
            cents = round(value * 100)  # exact for every such float (|error| < 0.5 cent)
            if cents and cents / 100 == value:
                # the decimal cents/100 (at most 15 significant digits below 1e13) reads back
                # as this float, so it is the float's 15-digit decimal too (two decimals at
                # most: any other decimal of 15 digits that reads back as it lies within one
                # ulp, under 0.002 here, and differs from it by 0.01 or more) and the general
                # path gives cents/100 with two decimals; 0 is left to it (-0.0 keeps its sign)
                return Decimal(cents).scaleb(-2)
        # the general path below for a float: its 15-digit decimal (excel_decimal), so
        # quantize() (value / CENT, rounded to a whole number of cents, times CENT) is exactly
        # Decimal.quantize to CENT, half away from zero
        number = excel_decimal(value)
        if abs(number) >= MAX_AMOUNT:
            raise AmountTooLarge(f"beloppet är orimligt stort: {short_number(value)}")
        return number.quantize(CENT, rounding=ROUND_HALF_UP)
    number = D(value)
    if abs(number) >= MAX_AMOUNT:
        raise AmountTooLarge(f"beloppet är orimligt stort: {short_number(value)}")
    return quantize(number, CENT)


_FLOAT_ONLY = frozenset({float})
_FLOAT_OR_BLANK = frozenset({float, type(None)})


def floats_to_cents(values: Sequence[object], *, floats_only: bool = False
                    ) -> list[int | None] | None:
    """Each amount of ``values`` as a whole number of cents, exactly the amount :func:`to_money`
    gives for it (``cents_to_money(c)`` is ``to_money(v)``, exponent and all); a blank
    (``None``) stays ``None``. ``None`` instead of the list when some value is anything else:
    not a float, not finite, too large for :func:`to_money`, −0.0 or a negative figure that
    rounds to −0.00 (its Decimal keeps the sign, whole cents cannot): the caller reads those
    amounts the general way. ``floats_only``: the caller knows that every value is a float.

    Integer cents are the fast form of an amount (issue 17): a typed figure is
    ``round(v * 100)``, checked to read back as the same double (as in :func:`to_money`), with
    no Decimal made; a figure with more decimals (a formula's result) is rounded by
    :func:`to_money` itself."""
    if not floats_only:
        types = set(map(type, values))
        if types != _FLOAT_ONLY:
            return _each_to_cents(values) if types <= _FLOAT_OR_BLANK else None
    if not values:
        return []
    # numbers only: in one numpy pass (an Excel function's range, about twice as fast as a
    # loop step per number); the same doubles, ``round`` (half to even, as numpy's ``rint``)
    # and IEEE division as the loop, so the same cents
    import numpy as np

    a = np.fromiter(values, np.float64, len(values))
    if np.abs(a).max() < 1e13:  # (False for a NaN or an infinity)
        c = np.rint(a * 100)
        if np.array_equal(c / 100, a):
            cents = c.astype(np.int64).tolist()  # (−0.0 == 0.0 above: checked here)
            if 0 in cents and any(math.copysign(1.0, v) < 0 for v in values if v == 0.0):
                return None
            return cents  # type: ignore[no-any-return]
    # a NaN, an infinity, a figure too large or with more decimals: number by number
    return _each_to_cents(values)


def _each_to_cents(values: Sequence[object]) -> list[int | None] | None:
    """:func:`floats_to_cents` of floats and blanks, number by number."""
    out: list[int | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        if not (-1e13 < v < 1e13):  # type: ignore[operator]  # (also a NaN)
            return None
        c = round(v * 100)  # type: ignore[operator]
        if c / 100 != v:  # more decimals than cents: to_money rounds them
            try:
                c = int(to_money(v).scaleb(2))
            except MoneyError:
                return None
        if c == 0 and math.copysign(1.0, v) < 0:  # type: ignore[arg-type]
            return None  # −0.0, or a negative figure rounded to −0.00
        out.append(c)
    return out


def cents_to_money(cents: int) -> Decimal:
    """Whole cents as the engine's amount: exponent −2, exact below 10²⁸ cents (far above any
    sum of amounts under :data:`MAX_AMOUNT`); 0 is :data:`ZERO`."""
    return Decimal(cents) * CENT if cents else ZERO


def allocate(
    total: Decimal,
    weights: Sequence[Fraction | Decimal | int],
    unit: Decimal = CENT,
) -> list[Decimal]:
    """Split ``total`` into parts proportional to ``weights`` that add up exactly to ``total``.

    Largest-remainder (Hamilton) method at the rounding ``unit``: each part is first truncated
    toward zero to a whole number of units, then the leftover units go one each to the parts with
    the largest remainders (ties: the earlier part). ``total`` itself must be a multiple of
    ``unit`` (round it first with :func:`quantize`); otherwise the result could not add up.

    Negative totals are split symmetrically (the split of ``-x`` is minus the split of ``x``).
    Weights must be non-negative and not all zero.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    fracs = [Fraction(w) if not isinstance(w, Decimal) else Fraction(w) for w in weights]
    if any(f < 0 for f in fracs):
        raise ValueError("weights must be non-negative")
    weight_sum = sum(fracs, Fraction(0))
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    units_total = Fraction(total) / Fraction(unit)
    if units_total.denominator != 1:
        raise ValueError(f"total {total} is not a multiple of the rounding unit {unit}")
    n_units = int(units_total)
    sign = -1 if n_units < 0 else 1
    n_abs = abs(n_units)
    exact = [n_abs * f / weight_sum for f in fracs]
    floors = [math.floor(x) for x in exact]
    leftover = n_abs - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [quantize(Decimal(sign * k) * unit, unit) for k in floors]


#: Decimal(1).scaleb(-decimals) for the usual numbers of decimals, built once
_DECIMAL_UNITS = {2: CENT, 1: Decimal("0.1"), 3: Decimal("0.001")}


def format_sv(value: Decimal, decimals: int = 2) -> str:
    """An amount for a Swedish message: ``-1 234 567,50`` (no-break space, decimal comma),
    rounded half away from zero to ``decimals``."""
    unit = _DECIMAL_UNITS.get(decimals) or Decimal(1).scaleb(-decimals)
    rounded = quantize(value, unit) if decimals > 0 else quantize(value, UNIT)
    return f"{rounded:,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
