"""Issue 17's engine fast paths against the general computation they replaced.

``tests/reference_engine.py`` keeps the engine's functions as they were before; on random input
(amounts of every exponent, −0, blanks, numbers with more digits than Decimal's context keeps,
unknown codes, any parts and year columns) the fast paths must give the identical result: the
same values with the same exponents and signs, in the same order, the same findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.catalogue import PARTS, catalogue
from engine.findings import Severity
from engine.statements import Statement, compute, sum_amounts
from tests.reference_engine import reference_compute, reference_sum_amounts

CODES = [*catalogue().lines, "XX.OKAND"]

#: amounts as they reach the engine (cents) and as an API caller may pass them (any exponent,
#: negative zero, more digits than the 28 the context keeps, so that the order of additions
#: and every ZERO start are visible)
_FILLED = (
    st.decimals(min_value=-10**13, max_value=10**13, places=2),
    st.decimals(min_value=-10**6, max_value=10**6, places=0),
    st.builds(lambda m, e: Decimal(m).scaleb(e), st.integers(-10**31, 10**31),
              st.integers(-6, 4)),
    st.sampled_from([Decimal("-0"), Decimal("-0.00"), Decimal("0E+2"), Decimal("0.000"),
                     Decimal("-0E-5"), Decimal("1E+3"), Decimal("-5")]),
)
amounts = st.one_of(st.none(), *_FILLED)
filled_amounts = st.one_of(*_FILLED)


def exact(s: Statement) -> tuple:
    """Everything a statement shows, every Decimal by its repr (exponent and sign included)."""
    return (s.parts, s.years, [(c, [repr(v) for v in vals]) for c, vals in s.values.items()],
            s.given, s.has_data, s.findings)


@contextmanager
def plans_run(after: int) -> Iterator[None]:
    """compute()'s plans made anew, their steps made straight-line code after ``after`` uses
    (0: at once; a large number: never, the loop runs them)."""
    import engine.statements as statements

    saved = statements.COMPILE_AFTER
    statements.COMPILE_AFTER = after
    statements._PLANS.clear()
    try:
        yield
    finally:
        statements.COMPILE_AFTER = saved
        statements._PLANS.clear()


def each_path(fn: Callable[[], tuple]) -> list[tuple]:
    """``fn()`` with every plan's steps run by the loop, then as straight-line code."""
    out = []
    for after in (10**9, 0):
        with plans_run(after):
            out.append(fn())
    return out


def outcome(fn: object, *args: object) -> tuple:
    """What a call gives: its exact result, or the exception it raises (type and message; a
    figure too large to format in a message raises in both)."""
    try:
        return ("ok", exact(fn(*args)))  # type: ignore[operator]
    except (ArithmeticError, ValueError) as exc:
        return ("raises", type(exc), str(exc))


@st.composite
def statements(draw: st.DrawFn) -> tuple[dict, list[str], tuple[str, ...]]:
    n = draw(st.integers(1, 5))
    years = draw(st.lists(st.sampled_from(["2024", "2025", "B2026", "x", "2027 prognos"]),
                          min_size=n, max_size=n))
    # codes of related lines more often than not: a part's lines, sums with their components
    codes = draw(st.lists(st.sampled_from(CODES), max_size=30, unique=True))
    given = {}
    for code in codes:
        vals = draw(st.lists(amounts, min_size=n, max_size=n))
        given[code] = vals if draw(st.booleans()) else tuple(vals)
    parts = tuple(draw(st.lists(st.sampled_from(PARTS), min_size=1, max_size=5, unique=True)))
    return given, years, parts


@settings(max_examples=1500)
@given(statements())
def test_compute_is_the_reference_computation(case: tuple) -> None:
    given_amounts, years, parts = case
    want = outcome(reference_compute, given_amounts, years, parts)
    for got in each_path(lambda: outcome(compute, given_amounts, years, parts)):
        assert got == want


@st.composite
def tasks_without_blanks(draw: st.DrawFn) -> tuple[dict, list[str], tuple[str, ...]]:
    """Input as most tasks give it (known codes, a tuple of every year, no blank): compute's
    fast path for it; now and then a list, a blank or an unknown code (the general path)."""
    n = draw(st.integers(1, 5))
    codes = draw(st.lists(st.sampled_from(CODES[:-1]), min_size=1, max_size=30, unique=True))
    given = {c: tuple(draw(st.lists(filled_amounts, min_size=n, max_size=n))) for c in codes}
    change = draw(st.sampled_from(["none", "none", "none", "list", "blank", "unknown", "short"]))
    code = draw(st.sampled_from(codes))
    if change == "list":
        given[code] = list(given[code])
    elif change == "blank":
        given[code] = (*given[code][:-1], None)
    elif change == "unknown":
        given["XX.OKAND"] = given.pop(code)
    elif change == "short":
        given[code] = given[code][1:]
    parts = tuple(draw(st.lists(st.sampled_from(PARTS), min_size=1, max_size=5, unique=True)))
    return given, [str(2024 + i) for i in range(n)], parts


@settings(max_examples=1500)
@given(tasks_without_blanks())
def test_compute_of_filled_input_is_the_reference_computation(case: tuple) -> None:
    given_amounts, years, parts = case
    want = outcome(reference_compute, given_amounts, years, parts)
    for got in each_path(lambda: outcome(compute, given_amounts, years, parts)):
        assert got == want


def test_the_loader_gives_the_engine_rows_it_takes_as_they_are(tmp_path) -> None:
    """Every amount row a committee workbook is read into is a tuple: the form ``compute``
    takes without copying each row first (a list made a task's statement 2.4 times as slow,
    issue 17), and its statements are those of the same rows given as lists."""
    from workbook_templates.generate.example import exempelkommun
    from workbook_templates.generate.templates import new_namnd
    from workbook_templates.pipeline.loader import read_namnd

    k = exempelkommun()
    n = read_namnd(new_namnd(tmp_path / "kof.xlsx", "Kultur- och fritidsnämnden", k))
    rows = [vals for u in n.uppgifter for vals in u.belopp.values()]
    assert rows and all(type(vals) is tuple for vals in rows)
    years = [str(2023 + i) for i in range(len(rows[0]))]
    for u in n.uppgifter:
        as_lists = {code: list(vals) for code, vals in u.belopp.items()}
        assert outcome(compute, u.belopp, years, ("RR", "DR")) == \
            outcome(compute, as_lists, years, ("RR", "DR"))


@settings(max_examples=300)
@given(st.lists(st.dictionaries(st.sampled_from(CODES[:12]), st.lists(amounts, min_size=1,
                                                                      max_size=4)),
                max_size=8),
       st.integers(1, 4))
def test_sum_amounts_is_the_reference_sum(parts: list, n: int) -> None:
    try:
        expected = reference_sum_amounts(parts, n)
    except IndexError:  # a part with more values than year columns
        with pytest.raises(IndexError):
            sum_amounts(parts, n)
        return
    got = sum_amounts(parts, n)
    assert [(c, [repr(v) for v in vals]) for c, vals in got.items()] == \
        [(c, [repr(v) for v in vals]) for c, vals in expected.items()]


# ---- amounts from Excel's doubles (engine.money.to_money, addin.excel_values.amounts) --------

floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(min_value=-1e13, max_value=1e13),
                   st.decimals(min_value=-10**12, max_value=10**12, places=3).map(float),
                   st.sampled_from([0.0, -0.0, 0.005, -0.005, 2.675, 1.005, 1e13, -1e13,
                                    9999999999999.99, 5e-324]))


def money_outcome(fn: object, value: object) -> tuple:
    try:
        return ("ok", repr(fn(value)))  # type: ignore[operator]
    except ArithmeticError as exc:
        return ("raises", type(exc), str(exc))
    except ValueError as exc:
        return ("raises", type(exc), str(exc))


def reference_to_money(value: object) -> Decimal:
    """engine.money.to_money's general path (D, bound, quantize) for every input."""
    from engine.money import CENT, MAX_AMOUNT, AmountTooLarge, D, MoneyError, quantize, short_number

    if value is None:
        raise MoneyError("tom cell")
    number = D(value)
    if abs(number) >= MAX_AMOUNT:
        raise AmountTooLarge(f"beloppet är orimligt stort: {short_number(value)}")
    return quantize(number, CENT)


@settings(max_examples=3000)
@given(floats)
def test_to_money_of_a_float_is_the_general_rule(value: float) -> None:
    from engine.money import to_money

    assert money_outcome(to_money, value) == money_outcome(reference_to_money, value)


@settings(max_examples=500)
@given(st.lists(st.one_of(floats, st.none(), st.sampled_from(["12", "#REF!", "x", True])),
                min_size=1, max_size=5))
def test_a_row_of_amounts_is_read_as_cell_by_cell(row: list) -> None:
    """The whole-row path of addin.excel_values.amounts against reading every cell alone."""
    from addin.excel_values import UdfInputError, amount, amounts

    def where(j: int) -> str:
        return f"belopp kolumn {j}"

    def one_by_one() -> list:
        return [amount(v, where(j)) for j, v in enumerate(row, start=1)]

    def outcome(fn: object) -> tuple:
        try:
            return ("ok", [repr(v) for v in fn()])  # type: ignore[operator]
        except UdfInputError as exc:
            return ("raises", str(exc))

    first = outcome(lambda: amounts(row, where))
    assert first == outcome(one_by_one)
    assert outcome(lambda: amounts(row, where)) == first  # again, from the cache


# ---- engine.money.quantize (amounts that are whole cents or units already) -----------------

#: amounts of every exponent and sign, whole cents or not, −0, more digits than the context
#: keeps, and the values that are no amounts (infinities, NaNs)
quantize_values = st.one_of(
    filled_amounts,
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(lambda m, e: Decimal(m).scaleb(e), st.integers(-10**40, 10**40),
              st.integers(-30, 30)),
    st.sampled_from([Decimal("0.005"), Decimal("-0.005"), Decimal("2.675"), Decimal("12.50"),
                     Decimal("-12.5"), Decimal("1E+27"), Decimal("9" * 28), Decimal("9" * 27 + ".9"),
                     Decimal("-0E+3"), Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity")]),
)


@settings(max_examples=3000)
@given(quantize_values, st.sampled_from(["CENT", "UNIT", "THOUSAND", "0.01", "1.00", "0.05"]))
def test_quantize_is_the_general_rule(value: Decimal, unit_name: str) -> None:
    from engine import money
    from tests.reference_engine import reference_quantize

    unit = getattr(money, unit_name) if unit_name.isupper() else Decimal(unit_name)
    assert money_outcome(lambda v: money.quantize(v, unit), value) == \
        money_outcome(lambda v: reference_quantize(v, unit), value)


# ---- resultatbalansering (integer rounding instead of Fraction arithmetic) -----------------

def _rb_amount() -> st.SearchStrategy[Decimal]:
    return st.one_of(st.decimals(min_value=-10**9, max_value=10**9, places=2),
                     st.decimals(min_value=-10**6, max_value=10**6, places=0),
                     st.builds(lambda m, e: Decimal(m).scaleb(e), st.integers(-10**20, 10**20),
                               st.integers(-5, 2)),
                     st.sampled_from([Decimal("-0.00"), Decimal("0"), Decimal("0.5"),
                                      Decimal("-1.5"), Decimal("2.5")]))


@st.composite
def balanseringar(draw: st.DrawFn) -> tuple:
    from engine.money import CENT, THOUSAND, UNIT
    from engine.rb_rules import DEFAULT_RULES
    from engine.resultatbalansering import Justering, Resultatenhet

    namnder = ["Bildning", "Social", "Teknik"]
    enheter = []
    for i in range(draw(st.integers(0, 12))):
        enheter.append(Resultatenhet(
            draw(st.sampled_from(namnder)), f"Enhet {i}", draw(_rb_amount()),
            maluppfyllelse=draw(st.sampled_from([True, False, None])),
            central=draw(st.booleans()),
            budget=draw(st.one_of(st.none(), _rb_amount())),
            handlingsplan=draw(st.sampled_from([True, False, None]))))
    regler = DEFAULT_RULES.__class__(**{
        **{f: getattr(DEFAULT_RULES, f) for f in DEFAULT_RULES.__dataclass_fields__},
        "avrundning": draw(st.sampled_from([UNIT, CENT, THOUSAND, Decimal("0.05")])),
        "garanti_avrundning": draw(st.sampled_from(["uppat", "nedat", "narmaste"])),
        "garanti_overskott_enhet": draw(st.sampled_from([Fraction(1, 3), Fraction(1, 2),
                                                         Fraction(2, 7)])),
        "garanti_underskott_enhet": draw(st.sampled_from([Fraction(1), Fraction(1, 3)])),
        "avdrag_overskott_procent": draw(st.sampled_from([Decimal(0), Decimal("12.5")])),
        "tak_overskott_enhet_belopp": draw(st.sampled_from([None, Decimal("1000.50")])),
        "tak_underskott_enhet_procent": draw(st.sampled_from([None, Decimal("7")])),
        "underskott_spridning_ar": draw(st.integers(1, 3)),
    })
    justeringar = [Justering(draw(st.sampled_from(namnder)), draw(_rb_amount()), "lagändring",
                             niva=draw(st.sampled_from(["enhet", "namnd"])),
                             resultatenhet=f"Enhet {draw(st.integers(0, 12))}")
                   for _ in range(draw(st.integers(0, 3)))]
    return enheter, regler, justeringar


def _all_fields(x: object) -> str:
    """Every field of a result, recursively, every Decimal by its repr (classes aside)."""
    import dataclasses

    return repr(dataclasses.astuple(x))


@settings(max_examples=400)
@given(balanseringar())
def test_balansera_is_the_reference_balansering(case: tuple) -> None:
    from engine.resultatbalansering import balansera
    from tests.reference_resultatbalansering import balansera as reference_balansera

    enheter, regler, justeringar = case

    def run(fn: object) -> tuple:
        try:
            return ("ok", _all_fields(fn(enheter, regler, justeringar, ar=2024)))  # type: ignore[operator]
        except (ArithmeticError, ValueError) as exc:
            return ("raises", type(exc), str(exc))

    assert run(balansera) == run(reference_balansera)


@settings(max_examples=2000)
@given(_rb_amount(), st.fractions(min_value=-5, max_value=5, max_denominator=1000),
       st.sampled_from([Decimal("0.01"), Decimal("1"), Decimal("1000"), Decimal("0.05"),
                        Decimal("1E+2")]),
       st.sampled_from(["uppat", "nedat", "narmaste"]))
def test_rounding_in_integers_is_the_fraction_rounding(a: Decimal, factor: object,
                                                        unit: Decimal, mode: str) -> None:
    from engine.money import CENT, UNIT
    from engine.resultatbalansering import _round, _round_product
    from tests import reference_resultatbalansering as ref

    for u in (unit, CENT, UNIT):
        expected = repr(ref._round(Fraction(a) * factor, u, mode))
        assert repr(_round_product(a, factor, u, mode)) == expected
        assert repr(_round(Fraction(a) * factor, u, mode)) == expected


# ---- the statement functions' input reading (session 4: rows at once, codes remembered) -----

_LABEL_POOL = [*(ln.label for ln in catalogue().lines.values() if not ln.computed)][:60] + [
    "RR.AB", "RR.VB", "FD.VK.AB", "Verksamhetsintäkter", "  Skatteinkomster ", "okänd rad", "",
    None, "#REF!", 12.0, "Årsbidrag", "Vuosikate"]
_CELLS = st.one_of(
    st.integers(-10**9, 10**9).map(lambda c: c / 100),  # typed amounts
    st.sampled_from([0.0, -0.0, None, "12", "#N/A", True, float("nan"), float("inf"), 1e14,
                     2.675, -1.005]),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9))


@st.composite
def statement_arguments(draw: st.DrawFn) -> tuple[list, list]:
    n = draw(st.integers(1, 8))
    width = draw(st.integers(1, 4))
    rader = [[draw(st.sampled_from(_LABEL_POOL))] for _ in range(n)]
    belopp = [[draw(_CELLS) for _ in range(width)] for _ in range(n)]
    if draw(st.booleans()):  # mostly numbers, as a real statement
        belopp = [[draw(st.integers(1, 10**8).map(lambda c: c / 100)) for _ in range(width)]
                  for _ in range(n)]
    return rader, belopp


@settings(max_examples=1500)
@given(statement_arguments())
def test_statement_functions_read_their_input_as_cell_by_cell(args: tuple[list, list]) -> None:
    from addin.udfs import KB_ARSBIDRAG, KB_INVERKAN_LIKVIDITET
    from tests.reference_udf import reference_line_function

    rader, belopp = args
    for fn, code in ((KB_ARSBIDRAG, "RR.AB"), (KB_INVERKAN_LIKVIDITET, "FD.INV")):
        want = reference_line_function(code, rader, belopp)
        first = fn(rader, belopp)
        assert repr(first) == repr(want)  # the same figures, or the same first problem
        assert repr(fn(rader, belopp)) == repr(want)  # again, from the remembered rows


# ---- integer cents (issue 17: an Excel function's statement added in integers) --------------

#: whole cents as floats turn into them (typed amounts, formula results, the edges), blanks
_CENTS = st.one_of(st.none(), st.integers(-10**15 + 1, 10**15 - 1),
                   st.integers(-10**6, 10**6), st.sampled_from([0, 1, -1, 5, -5]))


@st.composite
def cent_statements(draw: st.DrawFn) -> tuple[dict, list[str], tuple[str, ...]]:
    """Given amounts in cents as the Excel functions give them: known codes (sums given with
    their components, transfer lines such as FD.VK.AB with or without their source), an unknown
    code now and then, blanks, every year filled or not."""
    n = draw(st.integers(1, 5))
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=30, unique=True))
    filled = draw(st.booleans())
    cell = st.integers(-10**15 + 1, 10**15 - 1) if filled else _CENTS
    given = {c: tuple(draw(st.lists(cell, min_size=n, max_size=n))) for c in codes}
    parts = tuple(draw(st.lists(st.sampled_from(PARTS), min_size=1, max_size=5, unique=True)))
    return given, [str(2024 + i) for i in range(n)], parts


@settings(max_examples=1500)
@given(cent_statements())
def test_compute_in_cents_is_the_decimal_computation(case: tuple) -> None:
    """compute(…, cents=True) of integer cents: the statement the Decimal computation gives for
    the same amounts (cents_to_money of each), every value's digits, exponent and sign, every
    line in the same order, the same findings in the same words."""
    from engine.money import cents_to_money

    given_cents, years, parts = case
    as_money = {c: tuple(None if v is None else cents_to_money(v) for v in vals)
                for c, vals in given_cents.items()}
    want = outcome(reference_compute, as_money, years, parts)
    for got in each_path(lambda: outcome(lambda: compute(given_cents, years, parts,
                                                          cents=True))):
        assert got == want


def test_cent_values_are_a_read_only_mapping_of_amounts() -> None:
    import pickle

    from engine.statements import CentValues

    vals = CentValues({"RR.VI": (123456, 0), "RR.VU": (-5, -100)})
    assert vals["RR.VI"] == (Decimal("1234.56"), Decimal("0.00"))
    assert [repr(v) for v in vals["RR.VU"]] == ["Decimal('-0.05')", "Decimal('-1.00')"]
    assert list(vals) == ["RR.VI", "RR.VU"] and len(vals) == 2 and "RR.VU" in vals
    assert vals.get("RR.AB") is None and "RR.AB" not in vals
    with pytest.raises(KeyError):
        vals["RR.AB"]
    assert vals == {"RR.VI": (Decimal("1234.56"), Decimal(0)), "RR.VU": (Decimal("-0.05"),
                                                                         Decimal(-1))}
    assert vals != {"RR.VI": (Decimal("1234.56"), Decimal(0))}
    assert vals.cents("RR.VU") == (-5, -100)
    again = pickle.loads(pickle.dumps(vals))
    assert again == vals and again.cents("RR.VI") == (123456, 0)
    with pytest.raises(TypeError):
        vals["RR.VI"] = (Decimal(1),)  # type: ignore[index]


def test_compute_in_cents_takes_no_unallocated_amounts() -> None:
    with pytest.raises(ValueError, match="cents=True"):
        compute({"RR.VI": (100,)}, ["2024"], ("RR",), cents=True,
                unallocated={"RR.VB": (Decimal(1),)})


@settings(max_examples=3000)
@given(st.one_of(floats, st.integers(-10**15, 10**15).map(lambda c: c / 100)))
def test_floats_to_cents_is_to_money_in_cents(value: float) -> None:
    """A float's cents are exactly what to_money gives for it (cents_to_money of them: digits,
    exponent, sign); refused (None, the caller's general path) only where to_money refuses or
    gives −0.00 (a Decimal keeps the sign of zero, whole cents cannot), nothing else."""
    from engine.money import MoneyError, cents_to_money, floats_to_cents, to_money

    got = floats_to_cents([value])
    try:
        want = to_money(value)
    except MoneyError:
        assert got is None
        return
    if not want and want.is_signed():  # −0.0, or a negative figure rounded to −0.00
        assert got is None
        return
    assert got is not None and type(got[0]) is int
    assert repr(cents_to_money(got[0])) == repr(want)


@settings(max_examples=500)
@given(st.lists(st.one_of(floats, st.none(), st.sampled_from(["12", True, 1, Decimal(1)])),
                max_size=12))
def test_floats_to_cents_of_a_row_is_each_alone(values: list) -> None:
    """A row at once (the typed amounts' pass) is each number alone; any cell that is not a
    float or a blank, or a number refused alone, refuses the row."""
    from engine.money import floats_to_cents

    alone = []
    for v in values:
        if v is None:
            alone.append(None)
        elif type(v) is not float or (one := floats_to_cents([v])) is None:
            alone = None
            break
        else:
            alone.append(one[0])
    assert floats_to_cents(values) == alone
    assert floats_to_cents(tuple(values)) == alone
    if all(type(v) is float for v in values):  # as a caller that knows it
        assert floats_to_cents(values, floats_only=True) == alone


@settings(max_examples=1500)
@given(statement_arguments())
def test_a_statement_of_numbers_in_cents_is_the_decimal_statement(args: tuple[list, list]
                                                                   ) -> None:
    """What every statement function reads its arguments into, computed in integer cents when
    every amount is a number or a blank: the statement of reading them cell by cell into
    Decimal amounts (tests/reference_udf.py), every line's values exactly (digits, exponent,
    sign), its findings and labels; or the same first problem."""
    from addin.excel_values import UdfInputError, from_com
    from addin.udfs import _compute_statement, _statement
    from tests.reference_udf import reference_statement

    rader, belopp = args

    def exactly(fn: object) -> tuple:
        try:
            st_, texts = fn(from_com(rader), from_com(belopp))  # type: ignore[operator]
        except UdfInputError as err:
            return ("raises", str(err))
        return ("ok", exact(st_), texts)

    want = exactly(reference_statement)
    assert exactly(_compute_statement) == want
    assert exactly(_statement) == want  # and kept, as the functions take it


@settings(max_examples=500)
@given(st.lists(st.lists(_CELLS, max_size=4), max_size=6))
def test_a_range_read_from_com_knows_the_types_of_its_cells(value: list) -> None:
    """from_com's rows of a range carry the types of their cells (which the checks of the
    same argument then take instead of looking at every cell again): exactly those types, the
    cells themselves unchanged; a range with any other kind of cell carries none."""
    from addin.excel_values import Rows, from_com

    for given_as in (value, tuple(map(tuple, value))):
        got = from_com(given_as)
        assert [list(r) for r in got] == [list(r) for r in value]
        kinds = frozenset(type(v) for row in value for v in row)
        if type(got) is Rows and got.kinds is not None:
            assert got.kinds == kinds
        else:
            assert not value or not kinds <= {float, str, type(None)}  # ([]: no rows)


# ---- a column of labels read once (issue 17, session 13) -------------------------------------

_LINES = list(catalogue().lines.values())


@st.composite
def known_line_arguments(draw: st.DrawFn) -> tuple[list, list, list]:
    """A statement as a workbook holds one: known lines (codes or any wording, sometimes padded),
    mostly each once, amounts mostly of their line's sign; and a second set of amounts for the
    same labels (Excel recalculating after a figure changed). Now and then a blank amount, an
    amount of the wrong sign, a line twice, a blank or unknown label."""
    lines = draw(st.lists(st.sampled_from(_LINES), min_size=1, max_size=10,
                          unique_by=lambda ln: ln.code))
    if draw(st.integers(0, 7)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(lines)))
    labels: list[object] = []
    for ln in lines:
        text = draw(st.sampled_from([ln.code, *ln.labels.values()]))
        labels.append(draw(st.sampled_from([text, text, text, f" {text}  "])))
    if draw(st.integers(0, 7)) == 0:
        labels[draw(st.integers(0, len(labels) - 1))] = draw(
            st.sampled_from(["", "  ", "okänd rad", None, 12.0]))
    width = draw(st.integers(1, 5))

    def amount(line: object) -> float | None:
        kind = draw(st.integers(0, 29))
        if kind == 0:
            return None
        cents = draw(st.integers(0, 10**10))
        sign = line.sign  # type: ignore[attr-defined]
        negative = sign == "-" or sign == "±" and draw(st.booleans())
        if kind == 1:
            negative = not negative  # the wrong sign for a "+" or "−" line
        return (-cents if negative else cents) / 100

    def belopp() -> list[list[float | None]]:
        return [[amount(ln) for _ in range(width)] for ln in lines]

    rader = [[t] for t in labels]
    return rader, belopp(), belopp()


@settings(max_examples=1500)
@given(known_line_arguments())
def test_a_column_of_known_lines_is_read_as_row_by_row(args: tuple[list, list, list]) -> None:
    """A column of labels is looked up once (``addin.udfs._label_plan``) and its amounts taken
    at once when each row is a known line of its own and no amount is blank or of the wrong
    sign: the same statement (values exactly, findings, labels) or the same first problem as
    reading cell by cell, for the labels' first amounts and again for others (the plan kept)."""
    from addin.excel_values import UdfInputError, from_com
    from addin.udfs import _compute_statement, _statement
    from tests.reference_udf import reference_statement

    rader, *sets = args

    def exactly(fn: object, belopp: list) -> tuple:
        try:
            st_, texts = fn(from_com(rader), from_com(belopp))  # type: ignore[operator]
        except UdfInputError as err:
            return ("raises", str(err))
        return ("ok", exact(st_), texts)

    for belopp in sets:
        want = exactly(reference_statement, belopp)
        assert exactly(_compute_statement, belopp) == want
        assert exactly(_statement, belopp) == want


@pytest.mark.parametrize("cents", [False, True])
def test_a_soft_transfer_keeps_its_given_year_on_each_path(cents: bool) -> None:
    """FD.IK.FORS carries IN.FORS (§6.6) but may differ from it: a given year stands, with a
    warning; a blank year takes the source's figure. Hand-computed: IN.FORS 100.00 and 80.00,
    FD.IK.FORS given as 150.00 (a corrected disposal gain) and blank."""
    src, given_fors = (10000, 8000), (15000, None)
    if not cents:
        src, given_fors = (Decimal("100.00"), Decimal("80.00")), (Decimal("150.00"), None)
    given = {"IN.FORS": src, "FD.IK.FORS": given_fors}
    for got in each_path(lambda: outcome(lambda: compute(given, ["2025", "2026"], ("IN", "FD"),
                                                          cents=cents))):
        assert got[0] == "ok"
        values = dict(got[1][2])
        assert values["FD.IK.FORS"] == [repr(Decimal("150.00")), repr(Decimal("80.00"))]
        assert values["IN.FORS"] == [repr(Decimal("100.00")), repr(Decimal("80.00"))]
        [finding] = got[1][5]
        assert (finding.rule, finding.severity, finding.object, finding.year) == \
            ("V4", Severity.WARNING, "FD.IK.FORS", 2025)
        assert "150,00" in finding.message and "100,00" in finding.message


def test_a_plan_of_many_years_is_run_by_the_loop() -> None:
    """Straight-line code grows with the year columns (an Excel range may have 16 384): beyond
    64 the loop runs the plan, with the same figures. Hand-computed: RR.VI 1.00 per year and
    RR.VU.PERS −0.25 make the verksamhetsbidrag 0.75 in each of 65 years."""
    import engine.statements as statements

    years = [str(2000 + i) for i in range(65)]
    given = {"RR.VI": (Decimal("1.00"),) * 65, "RR.VU.PERS": (Decimal("-0.25"),) * 65}
    with plans_run(0):
        for _ in range(2):
            st_ = compute(given, years, ("RR",))
            assert st_["RR.VB"] == (Decimal("0.75"),) * 65
        [plan] = statements._PLANS[catalogue()].values()
        assert plan.compiled(False) is None
        small = compute({c: v[:5] for c, v in given.items()}, years[:5], ("RR",))
        assert small["RR.VB"] == (Decimal("0.75"),) * 5
        assert all(p.compiled(False) is not None
                   for p in statements._PLANS[catalogue()].values() if p.n == 5)
