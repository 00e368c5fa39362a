"""Contract test (issue 12): every KB_ function through xlwings' REAL Windows UDF machinery.

``tests/xlwings_windows.py`` imports the installed xlwings as on Windows (pywin32 stubbed, nothing
else), so the decorators are xlwings' ``xlfunc``/``xlarg``/``xlret`` and each call goes through
``xlwings.udfs.call_udf`` with the arguments exactly as COM delivers them: Range objects whose
``.Value`` is a double, a tuple of row tuples or ``None``; values passed directly as doubles or
strings; Excel errors as integers (-2146826265 = #REF!); -2147352572 for an omitted optional.
``.ci/run`` runs this file again with the lowest supported xlwings (``pyproject.toml``).

Expected values are computed by hand in the comments.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.xlwings_windows import (
    ERRORS,
    MISSING,
    XlwingsWindows,
    cell,
    cells,
    column,
    one,
)

# --- inputs, as ranges on a sheet ---------------------------------------------------------------

RADER = ["Verksamhetsinkomster", "Verksamhetsutgifter (-)", "Skatteinkomster", "Statsandelar",
         None, "Ränteutgifter", "Avskrivningar enligt plan", "Extraordinära inkomster",
         "Förändring av avskrivningsdifferens"]
BELOPP = [[150.0, 160.0], [-600.0, -610.0], [500.0, 520.0], [100.0, 100.0], [None, None],
          [-10.0, -10.0], [-40.0, -45.0], [5.0, None], [2.0, 2.0]]
# VB = 150 − 600 = −450 ; 160 − 610 = −450
# ÅB = −450 + 500 + 100 − 10 = 140 ; −450 + 520 + 100 − 10 = 160
# RES = 140 − 40 + 5 = 105 ; 160 − 45 = 115 ; ÖVERSKOTT = 107 ; 117
FD_RADER = ["Årsbidrag", "Investeringsutgifter", "Ökning av långfristiga lån"]
FD_BELOPP = [140.0, -300.0, 250.0]  # inverkan på likviditeten = 140 − 300 + 250 = 90

KFN = "Kultur- och fritidsnämnden"
RB_TABELL = [
    ["Nämnd", "Resultatenhet", "Central", "Resultat", "Måluppfyllelse", "Nämndens måluppfyllelse"],
    [KFN, "A", "nej", 900.0, "ja", "ja"],
    [KFN, "B", None, -300.0, "ja", "ja"],
    [KFN, "Central förvaltningsledning", "ja", 0.0, "ja", "ja"],
]  # spec §10 worked example: A +900, B −300, central 0 → committee 600: 400 carried, KS 200;
# units: A keeps ⅓ of 900 = 300, B carries −300, the committee's rest 400 − (300 − 300) = 400


def _kb(result: object) -> str:
    result = one(result)
    assert isinstance(result, str) and result.startswith("#KB:"), result
    return result


def test_the_harness_runs_xlwings_windows_code(xl: XlwingsWindows) -> None:
    assert xl.xlwings.func is xl.udfs.xlfunc
    names = set(xl.functions())
    assert len(names) == 13 and all(n.startswith("KB_") for n in names)


# --- every function: one cell, a column, a block of year columns, omitted optionals -------------

@pytest.mark.parametrize(
    ("func", "expected"),
    [("KB_VERKSAMHETSBIDRAG", [[-450.0, -450.0]]), ("KB_ARSBIDRAG", [[140.0, 160.0]]),
     ("KB_RESULTAT", [[105.0, 115.0]]), ("KB_OVERSKOTT", [[107.0, 117.0]])],
)
def test_line_functions_block_of_year_columns(xl: XlwingsWindows, func: str, expected: Any) -> None:
    assert xl.call(func, column(RADER), cells(BELOPP)) == expected


def test_line_functions_one_column_and_one_cell(xl: XlwingsWindows) -> None:
    # ÅB of skatteinkomster 10 and verksamhetsutgifter −3 = 7
    assert one(xl.call("KB_ARSBIDRAG", column(["RR.SKATT", "RR.VU"]), column([10.0, -3.0]))) == 7.0
    assert one(xl.call("KB_ARSBIDRAG", cell("Skatteinkomster"), cell(10.0))) == 10.0
    # values typed into the formula arrive as they are: a string and a double
    assert one(xl.call("KB_ARSBIDRAG", "Skatteinkomster", 10.0)) == 10.0
    assert one(xl.call("KB_INVERKAN_LIKVIDITET", column(FD_RADER), column(FD_BELOPP))) == 90.0


def test_tables_are_plain_2d_results_that_spill(xl: XlwingsWindows) -> None:
    for name in ("KB_RESULTATRAKNING", "KB_FINANSIERINGSDEL", "KB_RESULTATBALANSERING",
                 "KB_RESULTATBALANSERING_NAMND"):
        assert "expand" not in xl.functions()[name].__xlfunc__["ret"]["options"], name
    table = xl.call("KB_RESULTATRAKNING", column(RADER), cells(BELOPP))
    assert isinstance(table, list) and ["Årsbidrag", 140.0, 160.0] in table
    assert table[-1] == ["Räkenskapsperiodens överskott (underskott)", 107.0, 117.0]
    fd = xl.call("KB_FINANSIERINGSDEL", column(FD_RADER), column(FD_BELOPP))
    assert ["Inverkan på likviditeten", 90.0] in fd


def test_nyckeltal_with_and_without_the_optional(xl: XlwingsWindows) -> None:
    rader = column(["Verksamhetsinkomster", "Verksamhetsutgifter", "Skatteinkomster"])
    belopp = cells([[200.0, 200.0], [-1000.0, -1000.0], [890.0, 800.0]])
    # ÅB 90 and 0; per invånare with 30: 3 and 0 ; vi/vu = 20 %
    assert xl.call("KB_NYCKELTAL", "Vuosikate, €/asukas", rader, belopp, cell(30.0)) == [[3.0, 0.0]]
    assert xl.call("KB_NYCKELTAL", "Toimintatuotot / toimintakulut, %", rader, belopp,
                   MISSING) == [[20.0, 20.0]]


def test_tackningsar_with_and_without_the_optional(xl: XlwingsWindows) -> None:
    # 2016 accounts approved 2017 → covered by the end of 2021
    assert one(xl.call("KB_TACKNINGSAR", 2016.0, MISSING)) == 2021
    assert one(xl.call("KB_TACKNINGSAR", cell(2016.0), cell(2017.0))) == 2021
    # an empty optional cell is "not given"
    assert one(xl.call("KB_TACKNINGSAR", cell(2016.0), cell(None))) == 2021
    # a year as text: four digits only (float() read "20_16" as 2016, "2e3" as 2000 and
    # full-width digits: plausible years from garbage; found by metamorphic testing 2026-12)
    assert one(xl.call("KB_TACKNINGSAR", cell("2016"), MISSING)) == 2021
    for text in ("20_16", "2e3", "２０１６", "2016.0", " 2 016", "0x7e0", "2016\n1"):
        got = one(xl.call("KB_TACKNINGSAR", cell(text), MISSING))
        assert isinstance(got, str) and got.startswith("#KB:") and "årtal" in got, (text, got)


def test_binding_functions(xl: XlwingsWindows) -> None:
    assert one(xl.call("KB_BINDNING_STATUS", "brutto", "anslag", cell(-1000.0), cell(-950.0),
                       MISSING, MISSING, MISSING)) == "inom ramen"
    over = one(xl.call("KB_BINDNING_STATUS", "brutto", "anslag", cell(-1000.0), cell(-1050.0),
                       MISSING, MISSING, MISSING))
    assert isinstance(over, str) and "överskrids" in over and not over.startswith("#KB")
    # −1050 − (−1000 + −30) = −20
    assert one(xl.call("KB_AVVIKELSE", cell(-1000.0), cell(-1050.0),
                       cells([[-10.0, -20.0]]))) == -20.0
    assert one(xl.call("KB_AVVIKELSE", -1000.0, -1050.0, MISSING)) == -50.0


def test_resultatbalansering(xl: XlwingsWindows) -> None:
    units = xl.call("KB_RESULTATBALANSERING", cells(RB_TABELL), MISSING)
    assert isinstance(units, list)
    head = units[0]
    overforing = [row[head.index("Överföring")] for row in units[1:]]
    assert overforing == [300.0, -300.0, 0.0, 400.0]  # the last row: Nämndens disposition
    assert xl.call("KB_RESULTATBALANSERING_NAMND", cells(RB_TABELL), MISSING) == [
        ["Nämnd", "Justerat resultat", "Överföring", "KS andel"], [KFN, 600.0, 400.0, 200.0]]


# --- an error value in every argument: a #KB: message naming the argument -----------------------

GOOD: dict[str, tuple[object, ...]] = {
    "KB_VERKSAMHETSBIDRAG": (column(RADER), cells(BELOPP)),
    "KB_ARSBIDRAG": (column(RADER), cells(BELOPP)),
    "KB_RESULTAT": (column(RADER), cells(BELOPP)),
    "KB_OVERSKOTT": (column(RADER), cells(BELOPP)),
    "KB_INVERKAN_LIKVIDITET": (column(FD_RADER), column(FD_BELOPP)),
    "KB_RESULTATRAKNING": (column(RADER), cells(BELOPP)),
    "KB_FINANSIERINGSDEL": (column(FD_RADER), column(FD_BELOPP)),
    "KB_NYCKELTAL": ("Årsbidrag, €/inv", column(RADER), cells(BELOPP), cell(30.0)),
    "KB_TACKNINGSAR": (2016.0, 2017.0),
    "KB_BINDNING_STATUS": ("brutto", "anslag", -1000.0, -950.0, -10.0, 50.0, "publicerat"),
    "KB_AVVIKELSE": (-1000.0, -1050.0, -30.0),
    "KB_RESULTATBALANSERING": (cells(RB_TABELL), "standard"),
    "KB_RESULTATBALANSERING_NAMND": (cells(RB_TABELL), "standard"),
}


def test_every_function_has_a_good_call(xl: XlwingsWindows) -> None:
    assert set(GOOD) == set(xl.functions())
    for name, args in GOOD.items():
        result = xl.call(name, *args)
        assert isinstance(result, list), (name, result)
        assert not str(result[0][0]).startswith("#KB"), (name, result)


@pytest.mark.parametrize("error", ["#REF!", "#N/A", "#SPILL!"])
@pytest.mark.parametrize("how", ["cell", "value"])
def test_an_error_value_in_any_argument_is_named(xl: XlwingsWindows, error: str, how: str) -> None:
    """A cell holding an error (a Range), or an error passed by value (an integer); optional
    arguments included. Never a number, never "missing"."""
    for name, args in GOOD.items():
        params = [a["name"] for a in xl.functions()[name].__xlfunc__["args"]]
        for i, param in enumerate(params):
            bad = cell(error) if how == "cell" else ERRORS[error]
            call = list(args)
            call[i] = bad
            message = _kb(xl.call(name, *call))
            assert param in message and error in message, (name, param, message)


def test_a_huge_text_in_any_argument_gives_a_short_message(xl: XlwingsWindows) -> None:
    """Issue 15: Excel allows 32 767 characters in a cell; a message quotes only a short excerpt
    of a bad value and always fits a cell (a whole 30 000-character value would not be short)."""
    huge = "x" * 30_000
    for name, args in GOOD.items():
        for i in range(len(args)):
            for bad in (huge, cell(huge), column([huge, huge])):
                call = list(args)
                call[i] = bad
                result = xl.call(name, *call)
                texts = [str(v) for row in result for v in row]
                assert all(len(s) <= 2_000 for s in texts), (name, i, max(map(len, texts)))


def test_an_error_inside_a_range_is_located(xl: XlwingsWindows) -> None:
    belopp = [list(r) for r in BELOPP]
    belopp[2][1] = "#DIV/0!"
    message = _kb(xl.call("KB_ARSBIDRAG", column(RADER), cells(belopp)))
    assert "belopp rad 3 kolumn 2" in message and "#DIV/0!" in message
    rader = list(RADER)
    rader[3] = "#N/A"
    message = _kb(xl.call("KB_ARSBIDRAG", column(rader), cells(BELOPP)))
    assert "rader rad 4" in message and "#N/A" in message


def test_text_in_an_amount_is_refused_the_same_way_by_every_function(xl: XlwingsWindows) -> None:
    """Issue 14 point 7 / issue 16: one parser. A number stored as text ("1000") is refused with
    the same words everywhere (as the workbook loader does), naming the argument."""
    words = "talet är lagrat som text"
    belopp = [list(r) for r in BELOPP]
    belopp[0][0] = "150"
    for name in ("KB_VERKSAMHETSBIDRAG", "KB_ARSBIDRAG", "KB_RESULTAT", "KB_OVERSKOTT",
                 "KB_RESULTATRAKNING"):
        assert words in _kb(xl.call(name, column(RADER), cells(belopp)))
    assert words in _kb(xl.call("KB_INVERKAN_LIKVIDITET", column(FD_RADER),
                                column(["140", -300.0, 250.0])))
    assert words in _kb(xl.call("KB_FINANSIERINGSDEL", column(FD_RADER),
                                column(["140", -300.0, 250.0])))
    assert words in _kb(xl.call("KB_NYCKELTAL", "Årsbidrag, €/inv", column(RADER), cells(BELOPP),
                                cell("30")))
    assert words in _kb(xl.call("KB_AVVIKELSE", cell("-1000"), -1050.0, MISSING))
    assert words in _kb(xl.call("KB_AVVIKELSE", -1000.0, -1050.0, cells([["-30"]])))
    assert words in _kb(xl.call("KB_BINDNING_STATUS", "brutto", "anslag", -1000.0, cell("-950"),
                                MISSING, MISSING, MISSING))
    table = [list(r) for r in RB_TABELL]
    table[1][3] = "900"
    for name in ("KB_RESULTATBALANSERING", "KB_RESULTATBALANSERING_NAMND"):
        message = _kb(xl.call(name, cells(table), MISSING))
        assert words in message and "rad 2, kolumn Resultat" in message


# --- what Excel's function wizard and Import Functions get -------------------------------------

def test_import_functions_tells_the_wizard_in_swedish(xl: XlwingsWindows) -> None:
    book = xl.import_functions()
    options = {o["Macro"].split("!")[1]: o for o in book.Application.macro_options}
    assert set(options) == set(xl.functions())
    for name, o in options.items():
        assert o["Category"] == "Kommunbudget", name
        assert "\n" not in o["Description"] and len(o["Description"]) <= 255, name
        assert "Python function" not in o["Description"], name
        args = xl.functions()[name].__xlfunc__["args"]
        assert len(o["ArgumentDescriptions"]) == len(args), name
        for doc in o["ArgumentDescriptions"]:
            assert doc and not doc.startswith("Positional argument") and len(doc) <= 255, name
    [module] = book.VBProject.VBComponents.imported
    assert "Function KB_NYCKELTAL(namn, rader, belopp, Optional invanare)" in module


def test_vba_wrappers_declare_optionals_as_optional(xl: XlwingsWindows) -> None:
    vba = xl.vba_wrappers()
    assert ("Function KB_BINDNING_STATUS(princip, slag, budget, utfall, Optional andringar, "
            "Optional overskridningsratt, Optional tecken)") in vba
    assert "Function KB_TACKNINGSAR(bokslutsar, Optional faststallelsear)" in vba
    assert "Function KB_RESULTATBALANSERING(tabell, Optional regler)" in vba


# --- the supported xlwings range -----------------------------------------------------------------

def test_supported_xlwings_range_is_stated_and_both_ends_are_tested() -> None:
    import re
    from importlib.metadata import version
    from pathlib import Path

    from packaging.specifiers import SpecifierSet

    root = Path(__file__).resolve().parents[1]
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    spec = SpecifierSet(re.search(r'"xlwings([^"]+)"', pyproject).group(1))  # type: ignore[union-attr]
    lowest = re.search(r"^XLWINGS_LOWEST := (\S+)$", (root / "Makefile").read_text(),
                       re.M).group(1)  # type: ignore[union-attr]
    assert f">={lowest}" in str(spec).split(","), (spec, lowest)
    assert any(s.operator == "<" for s in spec), "state an upper end"
    assert version("xlwings") in spec  # the venv's xlwings: the newest the range allows
    assert "make test-xlwings-lowest" in (root / ".ci" / "run").read_text()


def test_an_empty_required_cell_is_named_never_a_zero(xl: XlwingsWindows) -> None:
    assert "budget: cellen är tom" in _kb(xl.call("KB_AVVIKELSE", cell(None), -1050.0, MISSING))
    assert "namn: cellen är tom" in _kb(xl.call("KB_NYCKELTAL", cell(None), column(RADER),
                                                cells(BELOPP), MISSING))


def test_dates_and_booleans_in_amount_cells_are_refused(xl: XlwingsWindows) -> None:
    import datetime as dt

    from tests.xlwings_windows import PyTime

    date_cell = cell(PyTime(2026, 1, 31, tzinfo=dt.UTC))
    assert "budget: innehåller ett datum" in _kb(xl.call("KB_AVVIKELSE", date_cell, -1.0, MISSING))
    assert "utfall: innehåller ett sanningsvärde" in _kb(
        xl.call("KB_AVVIKELSE", -1.0, cell(True), MISSING))
    belopp = [list(r) for r in BELOPP]
    belopp[0][1] = False
    assert "belopp rad 1 kolumn 2: innehåller ett sanningsvärde" in _kb(
        xl.call("KB_ARSBIDRAG", column(RADER), cells(belopp)))


def test_a_whole_year_column_left_blank_is_refused_not_zero(xl: XlwingsWindows) -> None:
    # found by an audit (2026-12): a third year column with no amounts gave KB_ARSBIDRAG 0.0 for
    # that year, a year of zeros no one typed (spec V10: never a silent zero)
    belopp = [[*row, None] for row in BELOPP]
    message = _kb(xl.call("KB_ARSBIDRAG", column(RADER), cells(belopp)))
    assert "kolumn 3" in message
    assert xl.call("KB_ARSBIDRAG", column(RADER), cells(BELOPP)) == [[140.0, 160.0]]


def test_a_currency_formatted_cell_is_read_as_its_double(xl: XlwingsWindows) -> None:
    # Windows: Range.Value hands a cell formatted as currency as a COM Currency, which pywin32
    # makes a Decimal rounded to four decimals (xlwings issues #65, #640). 1000.114951 came as
    # 1000.1150 and was rounded again to 1000.12; Excel shows 1000,11 € and ROUND gives 1000.11,
    # as the batch refresh (calamine reads the double). By hand: 1000.11 − 0.004951 → −0.00
    # is 0.00, so årsbidrag = 1000.11 + 0.00 = 1000.11.
    rader = column(["Skatteinkomster", "Övriga verksamhetsutgifter"])
    belopp = cells([[1000.114951], [-0.004951]], currency=True)
    assert belopp.Value[0][0] == Decimal("1000.1150")  # the double rounding's first step
    assert one(xl.call("KB_ARSBIDRAG", rader, belopp)) == 1000.11
    # one cell: Value is a scalar Decimal, Value2 the scalar double
    assert one(xl.call("KB_ARSBIDRAG", cell("Skatteinkomster"),
                       cells([[2.675049]], currency=True))) == 2.68
    assert one(xl.call("KB_ARSBIDRAG", cell("Skatteinkomster"),
                       cells([[2.674951]], currency=True))) == 2.67


# --- recalculation: a statement made once per distinct pair of ranges ---------------------------

STATEMENT_FUNCS = ("KB_VERKSAMHETSBIDRAG", "KB_ARSBIDRAG", "KB_RESULTAT", "KB_OVERSKOTT",
                   "KB_INVERKAN_LIKVIDITET", "KB_RESULTATRAKNING", "KB_FINANSIERINGSDEL")
# argument pairs a sheet might hold; the variants differ by one cell, a sign of zero, a type
_VARIANTS: list[tuple[list[object], list[list[object]]]] = [
    (RADER, BELOPP),
    (RADER, [[151.0, 160.0], *BELOPP[1:]]),  # one amount changed
    (RADER, [[0.0, 160.0], *BELOPP[1:]]),  # an income of zero …
    (RADER, [[-0.0, 160.0], *BELOPP[1:]]),  # … and of minus zero (it keeps its own sign)
    (RADER, [[150.0, 160.0], [-0.0, -610.0], *BELOPP[2:]]),  # a cost of minus zero
    (RADER, [[150.0, "150"], *BELOPP[1:]]),  # a number typed as text: refused
    (RADER, [[150.0, "#REF!"], *BELOPP[1:]]),  # an error value: refused
    (["Verksamhetsinkomster", "RR.VU", *RADER[2:]], BELOPP),  # a label as a code: the same
    (["Verksamhetsinkomster", "Verksamhetsutgiftr", *RADER[2:]], BELOPP),  # a typo: refused
    (FD_RADER, [[v] for v in FD_BELOPP]),
]


def _udfs_module() -> Any:
    import sys

    return sys.modules["addin.udfs"]


def _outcome(xl: XlwingsWindows, func: str, variant: int) -> str:
    rader, belopp = _VARIANTS[variant]
    return repr(xl.call(func, column(rader), cells(belopp)))  # repr: -0.0 is not 0.0


def test_a_recalculation_gives_what_a_first_calculation_gives(xl: XlwingsWindows) -> None:
    """Any order of calls over the variants gives, call for call, what each gives computed
    afresh (the kept statements emptied first): the keeping never changes a result."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    kept = _udfs_module()._STATEMENTS
    fresh: dict[tuple[str, int], str] = {}
    for func in STATEMENT_FUNCS:
        for i in range(len(_VARIANTS)):
            kept.clear()
            fresh[func, i] = _outcome(xl, func, i)
    assert fresh["KB_ARSBIDRAG", 0] == repr([[140.0, 160.0]])
    assert fresh["KB_ARSBIDRAG", 1] == repr([[141.0, 160.0]])
    assert "#KB" in fresh["KB_ARSBIDRAG", 5] and "#KB" in fresh["KB_ARSBIDRAG", 8]

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(STATEMENT_FUNCS),
                              st.integers(0, len(_VARIANTS) - 1)), min_size=1, max_size=12))
    def calls(sequence: list[tuple[str, int]]) -> None:
        kept.clear()
        for func, i in sequence:
            assert _outcome(xl, func, i) == fresh[func, i], (func, i)

    calls()


def test_functions_over_the_same_ranges_compute_the_statement_once(
        xl: XlwingsWindows, monkeypatch: pytest.MonkeyPatch) -> None:
    udfs = _udfs_module()
    made: list[int] = []
    real = udfs._compute_statement

    def counting(*args: object) -> object:
        made.append(1)
        return real(*args)

    monkeypatch.setattr(udfs, "_compute_statement", counting)
    udfs._STATEMENTS.clear()
    for func in ("KB_ARSBIDRAG", "KB_RESULTAT", "KB_RESULTATRAKNING", "KB_ARSBIDRAG"):
        xl.call(func, column(RADER), cells(BELOPP))
    assert xl.call("KB_NYCKELTAL", "Vuosikate, €/asukas", column(RADER), cells(BELOPP),
                   cell(10.0)) == [[14.0, 16.0]]  # årsbidrag 140 and 160 per 10 invånare
    assert len(made) == 1
    xl.call("KB_ARSBIDRAG", column(RADER), cells([[151.0, 160.0], *BELOPP[1:]]))
    assert len(made) == 2  # other amounts: computed
    xl.call("KB_ARSBIDRAG", column(RADER), cells([[150.0, "#REF!"], *BELOPP[1:]]))
    xl.call("KB_ARSBIDRAG", column(RADER), cells([[150.0, "#REF!"], *BELOPP[1:]]))
    assert len(made) == 4  # an error value: every call takes the full path (and is refused)


def test_amounts_as_excel_holds_them_in_the_integer_cents_path(xl: XlwingsWindows) -> None:
    """Through xlwings' own code, a range of doubles (the integer-cents path, issue 17): a
    formula's result with more decimals rounded as Excel shows it (15 digits, then half away
    from zero), zeros and a blank year; with a −0.0 (the Decimal path) the same: by hand."""
    rader = column(["Skatteinkomster", "Verksamhetsutgifter", "Statsandelar"])
    # 0.1 × 1.15 is the double 0.11499999999999999: Excel shows 0.115, rounds to 0.12; the
    # double 1234.565 (1234.56499…) shows 1234.565, rounds to 1234.57. ÅB per year:
    # 1234.57 + 0 + 0.12 = 1234.69 ; 0 − 0 + 0.12 = 0.12 ; 0 + blank + 5 = 5
    belopp = cells([[1234.565, 0.0, 0.0], [0.0, -0.0, None], [0.1 * 1.15, 0.1 * 1.15, 5.0]])
    assert xl.call("KB_ARSBIDRAG", rader, belopp) == [[1234.69, 0.12, 5.0]]
    # the same amounts typed in cents (no −0.0: the integer-cents path): the same figures
    typed = cells([[1234.57, 0.0, 0.0], [0.0, 0.0, None], [0.12, 0.12, 5.0]])
    assert xl.call("KB_ARSBIDRAG", rader, typed) == [[1234.69, 0.12, 5.0]]
    assert xl.call("KB_ARSBIDRAG", rader, cells([[1234.565, 0.0, 0.0], [0.0, 0.0, None],
                                                 [0.1 * 1.15, 0.1 * 1.15, 5.0]])) \
        == [[1234.69, 0.12, 5.0]]


def test_a_label_column_used_again_reads_each_call_s_amounts(xl: XlwingsWindows) -> None:
    """Through xlwings' own code, one label range recalculated with other amounts (its lines
    looked up once and kept, issue 17): figures by hand, then a cost typed positive refused
    where it is, then a blank cost counted as zero, then figures again."""
    rader = column(["Skatteinkomster", "Verksamhetsutgifter", "Statsandelar"])
    # ÅB = skatteinkomster + verksamhetsutgifter + statsandelar:
    # 1000.00 − 400.00 + 250.50 = 850.50 ; 1100.00 − 450.25 + 0 = 649.75
    good = cells([[1000.0, 1100.0], [-400.0, -450.25], [250.5, 0.0]])
    assert xl.call("KB_ARSBIDRAG", rader, good) == [[850.5, 649.75]]
    positive = cells([[1000.0, 1100.0], [400.0, -450.25], [250.5, 0.0]])
    [[got]] = xl.call("KB_ARSBIDRAG", rader, positive)  # (one cell, as Excel shows it)
    assert isinstance(got, str) and got.startswith("#KB: rad 2 kolumn 1: ")
    assert "fel tecken" in got and "400,00" in got
    # a blank year of a given line is zero: 1000.00 + 0 + 250.50 = 1250.50
    blank = cells([[1000.0, 1100.0], [None, -450.25], [250.5, 0.0]])
    assert xl.call("KB_ARSBIDRAG", rader, blank) == [[1250.5, 649.75]]
    assert xl.call("KB_ARSBIDRAG", rader, cells([[1000.0, 1100.0], [-0.5, -450.25],
                                                 [250.5, 0.0]])) == [[1250.0, 649.75]]
