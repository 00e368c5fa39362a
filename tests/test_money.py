"""Money: exact amounts, Excel rounding, largest-remainder splits (spec §4)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.money import (
    CENT,
    MAX_AMOUNT,
    THOUSAND,
    UNIT,
    AmountTooLarge,
    D,
    MoneyError,
    allocate,
    excel_round,
    quantize,
    to_money,
)


@pytest.mark.parametrize(
    ("value", "digits", "excel", "python_round"),
    [
        # Python rounds half to even on the binary value; Excel rounds half away from zero on
        # the decimal value the user sees.
        (2.675, 2, "2.68", 2.67),  # binary 2.67499999... -> round() says 2.67
        (0.5, 0, "1", 0),  # half to even -> 0
        (2.5, 0, "3", 2),
        (-2.5, 0, "-3", -2),
        (-0.5, 0, "-1", 0),
        (1.005, 2, "1.01", 1.0),
        (0.125, 2, "0.13", 0.12),  # exact binary half: Python goes to even
        (1235, -1, "1240", 1240),  # half of ten, Python also rounds to even: 1240
        (1225, -1, "1230", 1220),  # here they differ
    ],
)
def test_excel_round_differs_from_python_round(value, digits, excel, python_round) -> None:
    assert excel_round(value, digits) == Decimal(excel)
    assert round(value, digits) == python_round


def test_to_money_rounds_once_to_cents() -> None:
    assert to_money(0.1 + 0.2) == Decimal("0.30")  # 0.30000000000000004
    assert to_money("1 234,565") == Decimal("1234.57")  # decimal comma, space thousands
    assert to_money(-0.005) == Decimal("-0.01")
    assert str(to_money(7)) == "7.00"


@pytest.mark.parametrize("bad", [None, "abc", "#REF!", float("nan"), float("inf"), True, [1]])
def test_to_money_refuses_non_amounts(bad) -> None:
    with pytest.raises(MoneyError):
        to_money(bad)


def test_quantize_units() -> None:
    assert quantize(Decimal("1499.5"), UNIT) == Decimal("1500")
    assert quantize(Decimal("-1500"), THOUSAND) == Decimal("-2000")  # half away from zero
    assert quantize(Decimal("1499.99"), THOUSAND) == Decimal("1000")


def test_allocate_thirds() -> None:
    # 100 in thirds: 33.33.. each, one unit left over -> the first part (ties: earliest).
    assert allocate(Decimal("100"), [1, 1, 1], UNIT) == [Decimal(34), Decimal(33), Decimal(33)]
    assert allocate(Decimal("-100"), [1, 1, 1], UNIT) == [Decimal(-34), Decimal(-33), Decimal(-33)]
    assert allocate(Decimal("0.10"), [1, 1, 1], CENT) == [Decimal("0.04"), Decimal("0.03"),
                                                           Decimal("0.03")]
    # largest remainder, not first: 10 split 1:2 = 3.33 / 6.67 -> 3 / 7
    assert allocate(Decimal("10"), [1, 2], UNIT) == [Decimal(3), Decimal(7)]


def test_allocate_refuses_total_off_the_unit() -> None:
    with pytest.raises(ValueError):
        allocate(Decimal("10.5"), [1, 1], UNIT)


@given(
    st.integers(min_value=-10**12, max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(any),
    st.sampled_from([CENT, UNIT, THOUSAND]),
)
def test_allocate_sums_exactly_and_stays_within_one_unit(units, weights, unit) -> None:
    total = Decimal(units) * unit
    parts = allocate(total, weights, unit)
    assert sum(parts, Decimal(0)) == total
    wsum = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        exact = Fraction(total) * w / wsum
        assert abs(Fraction(part) - exact) < Fraction(unit)
        assert Fraction(part) / Fraction(unit) == int(Fraction(part) / Fraction(unit))


@given(st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False))
def test_excel_round_is_half_away_from_zero(x: Decimal) -> None:
    r = excel_round(x, 2)
    assert abs(r - x) <= Decimal("0.005")
    if abs(r - x) == Decimal("0.005"):
        assert abs(r) > abs(x)
    assert D(str(r)) == r


def test_amount_too_large_for_cents_is_a_money_error() -> None:
    with pytest.raises(MoneyError):
        to_money(1e26)


def _to_money_general(value: float) -> Decimal:
    """to_money's rule for a float, written out: the value to Excel's 15 significant digits, to
    the cent, half away from zero (the path every float took before the cents fast path)."""
    number = Decimal(f"{value:.15g}")
    if abs(number) >= MAX_AMOUNT:
        raise AmountTooLarge("för stort")
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


_cents_floats = st.integers(-(10**15) + 1, 10**15 - 1).map(lambda c: c / 100)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(_cents_floats, st.floats(allow_nan=False, allow_infinity=False),
                 st.sampled_from([0.0, -0.0, 0.005, -0.005, 2.675, 1.005, 0.1 + 0.2, 1e13,
                                  -1e13, 9999999999999.99, 1e13 - 0.001, 5e-324, 0.01, -0.01]),
                 _cents_floats.map(lambda v: math.nextafter(v, math.inf)),
                 _cents_floats.map(lambda v: math.nextafter(v, -math.inf))))
def test_to_money_of_a_float_is_the_general_rule_value_and_exponent(value: float) -> None:
    try:
        want = _to_money_general(value)
    except AmountTooLarge:
        with pytest.raises(AmountTooLarge):
            to_money(value)
        return
    got = to_money(value)
    assert got.as_tuple() == want.as_tuple()  # the same digits, sign (also of 0) and exponent


@settings(max_examples=1500, deadline=None)
@given(st.one_of(
    st.lists(st.one_of(_cents_floats, st.floats(),
                       st.sampled_from([0.0, -0.0, 2.675, 1e13, -1e13, 9999999999999.99,
                                        float("nan"), float("inf"), float("-inf")])),
             max_size=6),
    st.lists(_cents_floats, min_size=1, max_size=40)))  # the common row: all in cents
def test_floats_to_cents_is_to_money_of_each(values: list[float]) -> None:
    """Row by row (the common row in one numpy pass, issue 17) the cents of what to_money gives
    each number: cents_to_money of them has its digits, sign and exponent; a row with a number
    to_money refuses, or one it makes −0.00 (whole cents have no sign of zero), is refused
    whole (None: the caller reads it cell by cell, which words the problem)."""
    from engine.money import MoneyError, cents_to_money, floats_to_cents

    try:
        want = [to_money(v) for v in values]
    except MoneyError:
        want = None
    if want is not None and any(not d and d.is_signed() for d in want):
        want = None
    for row in (values, tuple(values)):
        got = floats_to_cents(row)
        if want is None:
            assert got is None
        else:
            assert got is not None and all(type(c) is int for c in got)
            assert [cents_to_money(c).as_tuple() for c in got] == [d.as_tuple() for d in want]


@pytest.mark.parametrize(("formula", "value", "excel"), [
    # formula results as Excel (and LibreOffice) show and ROUND them: the double rounded to 15
    # significant digits first; by hand: 0.1 × 1.15 = 0.115 -> 0.12; 0.35 × 0.7 = 0.245 -> 0.25;
    # 100.05 × 0.3 = 30.015 -> 30.02; 0.7 × 1.15 = 0.805 -> 0.81; 1234.45 × 1.1 = 1357.895 -> 1357.90
    ("=0.1*1.15", 0.1 * 1.15, "0.12"),
    ("=0.35*0.7", 0.35 * 0.7, "0.25"),
    ("=100.05*0.3", 100.05 * 0.3, "30.02"),
    ("=0.7*1.15", 0.7 * 1.15, "0.81"),
    ("=1234.45*1.1", 1234.45 * 1.1, "1357.90"),
    ("=-0.1*1.15", -0.1 * 1.15, "-0.12"),  # half away from zero
    ("2.675 typed", 2.675, "2.68"),  # a typed number: as typed (binary 2.67499…)
    ("0.1 typed", 0.1, "0.10"),
    ("=0.1+0.2", 0.1 + 0.2, "0.30"),
])
def test_a_formula_result_is_rounded_as_excel_shows_it(formula: str, value: float,
                                                       excel: str) -> None:
    # the shortest repr of these doubles (0.11499999999999999, 30.014999999999997, …) is a hair
    # below the half cent that Excel's cell shows, and rounded a cent off what the user sees
    assert to_money(value) == Decimal(excel), formula
    assert str(to_money(value)) == excel


def test_excel_decimal_is_the_typed_number_for_up_to_15_digits() -> None:
    from engine.money import excel_decimal

    for typed in ("0.1", "2.675", "1.005", "123456789012.34", "9999999999999.99", "-0.07",
                  "1E-7", "0.000123456789012345"):
        assert excel_decimal(float(typed)) == Decimal(typed)
